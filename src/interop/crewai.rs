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

/// Text for CrewAI from a text whose open runtime variables are marked
/// ([`Exported::marked`]): each variable becomes `{var}`, which CrewAI fills
/// at kickoff; literal text is written as it is. CrewAI's interpolation
/// (1.x `interpolate_only`) fills every `{name}` (a letter or `_`, then
/// letters, digits, `_` or `-`) and has no escape, so literal text holding
/// one cannot be carried: those are given back as refused.
fn crewai_text(marked: &str) -> (String, Vec<String>) {
    let (open, close) = (crate::render::MARK_OPEN, crate::render::MARK_CLOSE);
    let mut out = String::with_capacity(marked.len());
    let mut refused = Vec::new();
    let mut rest = marked;
    loop {
        let (literal, var) = match rest.find(open) {
            Some(at) => match rest[at + open.len_utf8()..].find(close) {
                Some(len) => (&rest[..at], Some(&rest[at + open.len_utf8()..at + open.len_utf8() + len])),
                None => (rest, None),
            },
            None => (rest, None),
        };
        refused.extend(crewai_placeholders(literal));
        out.push_str(literal);
        match var {
            Some(name) => {
                out.push_str(&format!("{{{name}}}"));
                rest = &rest[literal.len() + open.len_utf8() + name.len() + close.len_utf8()..];
            }
            None => break,
        }
    }
    (out, refused)
}

/// The `{name}` patterns CrewAI would fill in `text`.
fn crewai_placeholders(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (at, _) in text.match_indices('{') {
        let name_len = bytes[at + 1..]
            .iter()
            .enumerate()
            .take_while(|(i, b)| {
                if *i == 0 { b.is_ascii_alphabetic() || **b == b'_' } else { b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-' }
            })
            .count();
        if name_len > 0 && bytes.get(at + 1 + name_len) == Some(&b'}') {
            found.push(text[at..at + name_len + 2].to_string());
        }
    }
    found
}

/// The texts of an agent as CrewAI reads them: role, goal and backstory.
fn texts(p: &Exported) -> [String; 3] {
    let goals: Vec<&str> = p.parts.iter().filter(|(t, _, _)| t == "goal").map(|(_, _, text)| text.as_str()).collect();
    let goal = if goals.is_empty() { p.summary.clone() } else { goals.join("\n\n") };
    // The backstory is the whole compiled prompt but its title line (the
    // role), when it has one.
    let backstory = p.detail_view.strip_prefix(&format!("# {}\n", p.title)).unwrap_or(&p.detail_view).trim().to_string();
    [p.title.clone(), goal, backstory]
}

impl Exporter for Crewai {
    fn default_out(&self) -> &'static str {
        "crewai"
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut yaml = String::from("# CrewAI agents, compiled by personac: each key names an @agent method of your crew.\n");
        for p in personas {
            let key = p.name.replace('-', "_");
            let [role, goal, backstory] = texts(p.marked.as_deref().unwrap_or(p)).map(|t| crewai_text(&t).0);
            yaml.push_str(&format!("\n{key}:\n"));
            yaml.push_str(&format!("  role: {}\n", yaml_string(&role, 4)));
            yaml.push_str(&format!("  goal: {}\n", yaml_string(&goal, 4)));
            yaml.push_str(&format!("  backstory: {}\n", yaml_string(&backstory, 4)));
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

    fn refuses(&self, personas: &[Exported]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for p in personas {
            let mut refused: Vec<String> = texts(p.marked.as_deref().unwrap_or(p)).iter().flat_map(|t| crewai_text(t).1).collect();
            refused.dedup();
            out.extend(refused.into_iter().map(|text| (p.name.clone(), text)));
        }
        out
    }

    fn name(&self) -> &'static str {
        "crewai"
    }

    fn carries(&self) -> super::agent::Carries {
        use super::agent::Carries;
        Carries { tools: true, model: true, runtime_vars: true, metadata: OPTIONS.to_vec(), ..Carries::PROMPT }
    }

    fn loses(&self) -> &'static str {
        "the split into parts (the backstory is the compiled detail view), stages and channels (unless exported as agents of their own), token budgets, and metadata other than CrewAI's agent options; tools must exist as @tool methods of your crew"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_for_crewai_writes_variables_as_inputs_and_refuses_literal_placeholders() {
        let (open, close) = (crate::render::MARK_OPEN, crate::render::MARK_CLOSE);
        let marked = format!("Study {open}topic{close}; show {{{{ topic }}}} and {{\"a\": 1}} and ${{#arr[@]}} as is");
        assert_eq!(crewai_text(&marked), ("Study {topic}; show {{ topic }} and {\"a\": 1} and ${#arr[@]} as is".to_string(), vec![]));
        let (_, refused) = crewai_text("Fill {x} and {{CompanyName}} and {a-b} but not { y } or {9z}");
        assert_eq!(refused, ["{x}", "{CompanyName}", "{a-b}"]);
        assert_eq!(crew_of("src/research/config/agents.yaml").as_deref(), Some("research"));
        assert_eq!(crew_of("crews/writing/agents.yaml").as_deref(), Some("writing"));
    }
}
