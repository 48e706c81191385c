//! llm-persona definitions, YAML or JSON, one persona per file or a mapping
//! of name to persona. Two shapes are read: the library's own (`name`,
//! `system_prompt`, `description`, `tags`, `metadata`, and `model`,
//! `temperature`, `extra`), and the registry shape (`role`, `company`,
//! `tone`, `capabilities`, `constraints`, `greeting`, `custom_sections` as
//! title to text). `{var}` placeholders are Python format fields: a field the
//! persona gives a value (`company`) becomes a variable with that value, any
//! other a runtime variable.

use serde_json::Value;

use super::agent::{Agent, Importer, Role, Section};
use super::source::{self, Fields};
use super::text::{bullets, placeholders, role_of};
use crate::parse::{Node, Value as V};

pub struct LlmPersona;

fn is_persona(node: &Node) -> bool {
    matches!(&node.value, V::Table(entries) if entries.iter().any(|e| e.key == "system_prompt" || e.key == "role"))
}

impl Importer for LlmPersona {
    fn accepts(&self, path: &std::path::Path) -> bool {
        path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<crate::diag::Diagnostic>> {
        let node = if path.ends_with(".json") {
            crate::parse::json_document(text).map_err(|e| source::syntax(path, "JSON", e))?
        } else {
            crate::parse::yaml_at(text, 0).map_err(|e| source::syntax(path, "YAML", e))?
        };
        if is_persona(&node) {
            let stem = std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            return read_persona(path, &stem, &node).map(|a| vec![a]);
        }
        let V::Table(entries) = &node.value else {
            return Err(vec![source::error(path, node.span.clone(), "an llm-persona file is a persona, or a mapping of name to persona")]);
        };
        let mut agents = Vec::new();
        let mut diags = Vec::new();
        for entry in entries {
            if !is_persona(&entry.node) {
                diags.push(
                    source::error(path, entry.key_span.clone(), format!("`{}` is not a persona", entry.key))
                        .help("a persona has a `system_prompt` (or the registry shape's `role`)"),
                );
                continue;
            }
            match read_persona(path, &entry.key, &entry.node) {
                Ok(agent) => agents.push(agent),
                Err(d) => diags.extend(d),
            }
        }
        if diags.is_empty() { Ok(agents) } else { Err(diags) }
    }
}

fn read_persona(path: &str, key: &str, node: &Node) -> Result<Agent, Vec<crate::diag::Diagnostic>> {
    let Some(mut fields) = Fields::of(node) else {
        return Err(vec![source::error(path, node.span.clone(), format!("persona `{key}` must be a mapping"))]);
    };
    let name = fields.string("name").unwrap_or_else(|| key.to_string());
    let mut agent = Agent { original_name: name, source: path.to_string(), ..Agent::default() };
    // Scalar fields a placeholder may name, with their values.
    let values: Vec<(String, String)> =
        fields.entries.iter().filter_map(|e| source::scalar_text(&e.node).map(|v| (e.key.clone(), v))).collect();
    let mut names: Vec<String> = Vec::new();
    let mut convert = |text: &str| {
        let (converted, found) = placeholders(text.trim());
        names.extend(found);
        converted
    };
    if let Some(prompt) = fields.string("system_prompt") {
        agent.intro = convert(&prompt);
    }
    agent.description = fields.string("description");
    agent.tags = fields.list("tags").unwrap_or_default();
    let add = |agent: &mut Agent, title: &str, role: Role, text: Option<String>, convert: &mut dyn FnMut(&str) -> String| {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            agent.sections.push(Section { title: title.to_string(), role, text: convert(&text), literal: false });
        }
    };
    add(&mut agent, "Role", Role::Part("identity"), fields.string("role"), &mut convert);
    let company = fields.string("company");
    add(&mut agent, "Tone", Role::Part("tone"), fields.string("tone"), &mut convert);
    add(&mut agent, "Capabilities", Role::Part("specialization"), fields.list("capabilities").map(|c| bullets(&c)), &mut convert);
    add(&mut agent, "Constraints", Role::Guardrail, fields.list("constraints").map(|c| bullets(&c)), &mut convert);
    add(&mut agent, "Greeting", Role::Part("voice"), fields.string("greeting"), &mut convert);
    if let Some(custom) = fields.get("custom_sections") {
        match &custom.value {
            V::Table(entries) => {
                for entry in entries {
                    let text = source::scalar_text(&entry.node);
                    add(&mut agent, &entry.key, role_of(&entry.key), text, &mut convert);
                }
            }
            _ => agent.unmapped.push(("custom_sections".into(), "not a mapping of title to text; left out".into())),
        }
    }
    names.dedup();
    // A placeholder the persona gives a value for is a variable with that
    // value; any other is left for the caller.
    for var in names {
        match values.iter().find(|(k, _)| *k == var) {
            Some((_, value)) => _ = agent.vars.insert(var.clone(), Value::String(value.clone())),
            None if !agent.runtime_vars.contains(&var) => agent.runtime_vars.push(var),
            None => {}
        }
    }
    if let Some(company) = company.filter(|_| !agent.vars.contains_key("company")) {
        agent.sections.push(Section { title: "Company".into(), role: Role::Part("context"), text: company, literal: false });
    }
    agent.model = fields.string("model");
    if let Some(metadata) = fields.get("metadata")
        && let V::Table(entries) = &metadata.value
    {
        for entry in entries {
            if let Some((value, as_json)) = source::metadata_value(&entry.node) {
                if as_json {
                    agent.unmapped.push((format!("metadata.{}", entry.key), "kept in `metadata` as JSON text".into()));
                }
                agent.metadata.insert(entry.key.clone(), value);
            }
        }
    }
    source::keep_rest(&fields, &mut agent, "");
    Ok(agent)
}
