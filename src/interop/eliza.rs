//! elizaOS characters: one JSON file per character. Two generations are
//! read: the older (`modelProvider`, `clients`, `lore`, message examples
//! spoken by `user` with `{{user1}}` placeholders) and the newer v1
//! (`system`, examples spoken by `name`, `plugins`, top-level `secrets`).
//! Export writes the newer shape, whose loader refuses unknown keys; secrets
//! are never written, on import or export.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::agent::{Agent, Exported, Exporter, Importer, Role};
use super::source::{self, Fields};
use super::text::{bullets, section};
use crate::parse::{Node, Value as V};
use crate::render::has_template_syntax;

pub struct Eliza;

fn string_or_list(node: &Node) -> Vec<String> {
    match &node.value {
        V::Str(s) => vec![s.clone()],
        V::List(items) => items.iter().filter_map(source::scalar_text).filter(|s| !s.trim().is_empty()).collect(),
        _ => Vec::new(),
    }
}

/// Message examples as `speaker: text` lines, one conversation a block.
fn examples(node: &Node) -> String {
    let mut blocks = Vec::new();
    let V::List(conversations) = &node.value else { return String::new() };
    for conversation in conversations {
        let V::List(messages) = &conversation.value else { continue };
        let mut lines = Vec::new();
        for message in messages {
            let json = message.to_json();
            let speaker = json.get("name").or_else(|| json.get("user")).and_then(Value::as_str).unwrap_or("?");
            let text = json.get("content").and_then(|c| c.get("text")).and_then(Value::as_str).unwrap_or_default();
            lines.push(format!("{speaker}: {text}"));
        }
        blocks.push(lines.join("\n"));
    }
    blocks.join("\n\n")
}

impl Importer for Eliza {
    fn accepts(&self, path: &std::path::Path) -> bool {
        path.extension().is_some_and(|e| e == "json")
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<crate::diag::Diagnostic>> {
        let node = crate::parse::json_document(text).map_err(|e| source::syntax(path, "JSON", e))?;
        let Some(mut fields) = Fields::of(&node) else {
            return Err(vec![source::error(path, node.span.clone(), "an eliza character is a JSON object")]);
        };
        let Some(name) = fields.string("name") else {
            return Err(vec![source::error(path, node.span.start..node.span.start + 1, "an eliza character needs a `name`")]);
        };
        let mut agent = Agent { original_name: name.clone(), title: Some(name), source: path.to_string(), ..Agent::default() };
        if let Some(system) = fields.string("system") {
            agent.intro_literal = has_template_syntax(&system);
            agent.intro = system;
        }
        let add = |agent: &mut Agent, title: &str, role: Role, text: String| {
            if !text.trim().is_empty() {
                agent.sections.push(section(title, role, &text));
            }
        };
        if let Some(bio) = fields.get("bio") {
            add(&mut agent, "Bio", Role::Part("backstory"), bullets(&string_or_list(bio)));
        }
        if let Some(lore) = fields.get("lore") {
            add(&mut agent, "Lore", Role::Part("backstory"), bullets(&string_or_list(lore)));
        }
        if let Some(adjectives) = fields.get("adjectives") {
            add(&mut agent, "Adjectives", Role::Part("soul"), bullets(&string_or_list(adjectives)));
        }
        if let Some(topics) = fields.get("topics") {
            add(&mut agent, "Topics", Role::Part("context"), bullets(&string_or_list(topics)));
        }
        if let Some(knowledge) = fields.get("knowledge") {
            let items: Vec<String> = match &knowledge.value {
                V::List(items) => items
                    .iter()
                    .map(|i| source::scalar_text(i).unwrap_or_else(|| i.to_json().to_string()))
                    .filter(|s| !s.trim().is_empty())
                    .collect(),
                _ => Vec::new(),
            };
            add(&mut agent, "Knowledge", Role::Part("context"), bullets(&items));
        }
        if let Some(style) = fields.get("style") {
            let json = style.to_json();
            let mut lines = Vec::new();
            for group in ["all", "chat", "post"] {
                let items: Vec<String> =
                    json.get(group).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
                if !items.is_empty() {
                    lines.push(format!("{}:\n{}", super::super::render::title_case(group), bullets(&items)));
                }
            }
            add(&mut agent, "Style", Role::Part("voice"), lines.join("\n\n"));
        }
        if let Some(messages) = fields.get("messageExamples") {
            add(&mut agent, "Message examples", Role::Part("context"), examples(messages));
        }
        if let Some(posts) = fields.get("postExamples") {
            add(&mut agent, "Post examples", Role::Part("context"), bullets(&string_or_list(posts)));
        }
        // Settings: the model and voice have homes; secrets never do.
        if let Some(settings) = fields.get("settings") {
            let json = settings.to_json();
            if let Some(map) = json.as_object() {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("secrets", Value::Object(secrets)) => {
                            if !secrets.is_empty() {
                                agent.unmapped.push((
                                    "settings.secrets".into(),
                                    format!("{} secret(s) left out: secrets never go into a repository", secrets.len()),
                                ));
                            }
                        }
                        ("model", Value::String(m)) => agent.model = Some(m.clone()),
                        (_, Value::Object(inner)) => {
                            for (k, v) in inner {
                                let v = if v.is_object() || v.is_array() { Value::String(v.to_string()) } else { v.clone() };
                                agent.metadata.insert(format!("settings.{key}.{k}"), v);
                            }
                        }
                        (_, Value::Array(_)) => _ = agent.metadata.insert(format!("settings.{key}"), Value::String(value.to_string())),
                        (_, Value::Null) => {}
                        _ => _ = agent.metadata.insert(format!("settings.{key}"), value.clone()),
                    }
                }
            }
        }
        if let Some(secrets) = fields.get("secrets")
            && matches!(&secrets.value, V::Table(entries) if !entries.is_empty())
        {
            agent.unmapped.push(("secrets".into(), "left out: secrets never go into a repository".into()));
        }
        if let Some(provider) = fields.string("modelProvider") {
            agent.metadata.insert("model_provider".into(), Value::String(provider));
        }
        source::keep_rest(&fields, &mut agent, "");
        Ok(vec![agent])
    }
}

/// Lines of a compiled part's text, as eliza's list fields hold them.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().trim_start_matches("- ").to_string()).filter(|l| !l.is_empty()).collect()
}

impl Exporter for Eliza {
    fn default_out(&self) -> &'static str {
        "characters"
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for p in personas {
            let part_lines = |title: &str| -> Vec<String> { p.texts_titled(title).flat_map(lines).collect() };
            let mut bio = part_lines("Bio");
            if bio.is_empty() {
                bio.push(p.summary.clone());
            }
            let mut character = json!({
                "name": p.title,
                "username": p.name,
                "system": p.detail_view,
                "bio": bio,
                "topics": if part_lines("Topics").is_empty() { p.tags.clone() } else { part_lines("Topics") },
                "adjectives": if part_lines("Adjectives").is_empty() { p.traits.iter().map(|(n, _)| n.clone()).collect() } else { part_lines("Adjectives") },
                "plugins": p.metadata.get("plugins").and_then(Value::as_str).and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(json!([])),
            });
            let mut settings = serde_json::Map::new();
            if let Some(model) = &p.model {
                settings.insert("model".into(), json!(model));
            }
            for (key, value) in &p.metadata {
                // Settings that came from an eliza character go back; secrets
                // were never kept.
                if let Some(rest) = key.strip_prefix("settings.") {
                    settings.insert(rest.to_string(), value.clone());
                }
            }
            if !settings.is_empty() {
                character["settings"] = Value::Object(settings);
            }
            let mut text = serde_json::to_string_pretty(&character).unwrap_or_default();
            text.push('\n');
            files.insert(format!("{}.character.json", p.name), text.into_bytes());
        }
        files
    }

    fn name(&self) -> &'static str {
        "eliza"
    }

    fn carries(&self) -> super::agent::Carries {
        use super::agent::Carries;
        Carries { model: true, metadata: vec!["settings.*", "plugins"], ..Carries::PROMPT }
    }

    fn loses(&self) -> &'static str {
        "the split into parts (`system` is the compiled detail view), tools, stages and channels (unless exported as agents of their own), and metadata other than eliza settings; secrets are never exported"
    }
}
