//! CrewAI crews: `config/agents.yaml` maps each agent's key to its `role`,
//! `goal` and `backstory` (with `{var}` placeholders filled at kickoff),
//! `llm`, `tools` and more options. One file is one crew; two crews often
//! reuse keys (`researcher`), which the plan tells apart by crew.

use std::collections::BTreeMap;

use serde_json::Value;

use super::agent::{Agent, Exported, Exporter, Importer, Role, Section};
use super::source::{self, Fields};
use super::text::placeholders;
use crate::parse::Value as V;

pub struct Crewai;

/// Agent options CrewAI reads besides role, goal, backstory, llm and tools:
/// kept in metadata on import, written back on export.
const OPTIONS: [&str; 18] = [
    "verbose",
    "allow_delegation",
    "function_calling_llm",
    "max_iter",
    "max_rpm",
    "max_execution_time",
    "max_tokens",
    "max_retry_limit",
    "cache",
    "memory",
    "respect_context_window",
    "use_system_prompt",
    "allow_code_execution",
    "code_execution_mode",
    "multimodal",
    "reasoning",
    "inject_date",
    "date_format",
];

/// The crew a file belongs to: `src/CREW/config/agents.yaml` is `CREW`;
/// otherwise the file's folder.
fn crew_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    let folder = parts.len().checked_sub(2).map(|i| parts[i])?;
    if folder == "config" { parts.len().checked_sub(3).map(|i| parts[i].to_string()) } else { Some(folder.to_string()) }
}

impl Importer for Crewai {
    fn accepts(&self, path: &std::path::Path) -> bool {
        path.file_name().is_some_and(|n| n == "agents.yaml" || n == "agents.yml")
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<crate::diag::Diagnostic>> {
        let node = crate::parse::yaml_at(text, 0).map_err(|e| source::syntax(path, "YAML", e))?;
        let V::Table(entries) = &node.value else {
            return Err(vec![source::error(
                path,
                node.span.clone(),
                "a CrewAI agents.yaml maps each agent's key to its role, goal and backstory",
            )]);
        };
        let crew = crew_of(path);
        let mut agents = Vec::new();
        let mut diags = Vec::new();
        for entry in entries {
            let Some(mut fields) = Fields::of(&entry.node) else {
                diags.push(source::error(
                    path,
                    entry.node.span.clone(),
                    format!("agent `{}` must be a mapping of role, goal and backstory", entry.key),
                ));
                continue;
            };
            let (role, goal, backstory) = (fields.string("role"), fields.string("goal"), fields.string("backstory"));
            let missing: Vec<&str> = [("role", &role), ("goal", &goal), ("backstory", &backstory)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                diags.push(
                    source::error(path, entry.key_span.clone(), format!("agent `{}` has no {}", entry.key, missing.join(", ")))
                        .help("a CrewAI agent needs `role`, `goal` and `backstory` (is this a tasks.yaml?)"),
                );
                continue;
            }
            let mut agent = Agent { original_name: entry.key.clone(), source: path.to_string(), group: crew.clone(), ..Agent::default() };
            let mut vars = Vec::new();
            let mut convert = |text: &str| {
                let (converted, names) = placeholders(text.trim());
                vars.extend(names);
                converted
            };
            agent.title = role.map(|r| convert(&r));
            let goal = convert(&goal.unwrap_or_default());
            agent.intro = convert(&backstory.unwrap_or_default());
            agent.sections = vec![Section { title: "Goal".into(), role: Role::Part("goal"), text: goal, literal: false }];
            vars.dedup();
            agent.runtime_vars = vars;
            match fields.get("llm") {
                Some(node) if matches!(node.value, V::Str(_)) => agent.model = source::scalar_text(node),
                Some(node) => {
                    if let Some((value, _)) = source::metadata_value(node) {
                        agent.metadata.insert("llm".into(), value);
                        agent.unmapped.push(("llm".into(), "not a model name: kept in `metadata` as JSON text".into()));
                    }
                }
                None => {}
            }
            agent.tools = fields.list("tools");
            source::keep_rest(&fields, &mut agent, "");
            agents.push(agent);
        }
        if diags.is_empty() { Ok(agents) } else { Err(diags) }
    }
}

/// A string as YAML: a block scalar for several lines, else JSON-quoted.
pub(super) fn yaml_string(text: &str, indent: usize) -> String {
    if !text.contains('\n') {
        return Value::String(text.to_string()).to_string();
    }
    let pad = " ".repeat(indent);
    let lines: Vec<String> = text.lines().map(|l| if l.trim().is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
    format!("|-\n{}", lines.join("\n"))
}

/// Text for CrewAI: runtime variables back to `{var}`, and every other
/// `{word}` spaced out (`{ word }`), which CrewAI would otherwise take for an
/// input it must be given.
fn crewai_text(text: &str, vars: &[String]) -> String {
    let mut out = text.to_string();
    for var in vars {
        out = out.replace(&format!("{{{{ {var} }}}}"), &format!("\u{0}{var}\u{1}"));
    }
    let mut defanged = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find('{') {
        defanged.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let word = after.find('}').filter(|&n| n > 0 && after[..n].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        match word {
            Some(n) => {
                defanged.push_str(&format!("{{ {} }}", &after[..n]));
                rest = &after[n + 1..];
            }
            None => {
                defanged.push('{');
                rest = after;
            }
        }
    }
    defanged.push_str(rest);
    defanged.replace('\u{0}', "{").replace('\u{1}', "}")
}

impl Exporter for Crewai {
    fn default_out(&self) -> &'static str {
        "crewai"
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut yaml = String::from("# CrewAI agents, compiled by personac: each key names an @agent method of your crew.\n");
        for p in personas {
            let key = p.name.replace('-', "_");
            let goals: Vec<&str> = p.parts.iter().filter(|(t, _, _)| t == "goal").map(|(_, _, text)| text.as_str()).collect();
            let goal = if goals.is_empty() { p.summary.clone() } else { goals.join("\n\n") };
            // The backstory is the whole compiled prompt but its title line
            // (the role), when it has one.
            let backstory = p.detail_view.strip_prefix(&format!("# {}\n", p.title)).unwrap_or(&p.detail_view).trim().to_string();
            let text = |t: &str| crewai_text(t, &p.runtime_vars);
            yaml.push_str(&format!("\n{key}:\n"));
            yaml.push_str(&format!("  role: {}\n", yaml_string(&text(&p.title), 4)));
            yaml.push_str(&format!("  goal: {}\n", yaml_string(&text(&goal), 4)));
            yaml.push_str(&format!("  backstory: {}\n", yaml_string(&text(&backstory), 4)));
            if let Some(model) = &p.model {
                yaml.push_str(&format!("  llm: {}\n", yaml_string(model, 4)));
            }
            if let Some(tools) = &p.tools {
                let list: Vec<String> = tools.iter().map(|t| Value::String(t.clone()).to_string()).collect();
                yaml.push_str(&format!("  tools: [{}]\n", list.join(", ")));
            }
            for (k, v) in p.metadata.iter().filter(|(k, _)| OPTIONS.contains(&k.as_str())) {
                yaml.push_str(&format!("  {k}: {v}\n"));
            }
        }
        BTreeMap::from([("agents.yaml".to_string(), yaml.into_bytes())])
    }

    fn loses(&self) -> &'static str {
        "the split into parts (the backstory is the compiled detail view), stages and channels (unless exported as agents of their own), token budgets, and metadata other than CrewAI's agent options; tools must exist as @tool methods of your crew"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_for_crewai_keeps_inputs_and_defangs_other_braces() {
        let vars = vec!["topic".to_string()];
        assert_eq!(
            crewai_text("Study {{ topic }} and {{CompanyName}} and {x} and {\"a\": 1}", &vars),
            "Study {topic} and {{ CompanyName }} and { x } and {\"a\": 1}"
        );
        assert_eq!(crew_of("src/research/config/agents.yaml").as_deref(), Some("research"));
        assert_eq!(crew_of("crews/writing/agents.yaml").as_deref(), Some("writing"));
    }
}
