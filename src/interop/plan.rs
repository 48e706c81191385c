//! From imported agents to definition files: valid names (the original kept
//! as `title`), clashes within one import resolved by the agent's group and
//! reported, shared bases for what several agents of a group share, and the
//! files themselves, laid out as a person would write them. Nothing is
//! written here: the caller checks the plan against the repository (no
//! clash, everything compiles) and writes it all or nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table};

use super::agent::{Agent, Role, Section};
use super::text::first_sentence;
use crate::parse::{is_valid_name, suggest_name};

/// The files an import would write, and what it has to say.
#[derive(Debug, Default)]
pub struct Plan {
    /// Repository-relative path to text, in path order.
    pub files: BTreeMap<String, String>,
    /// Each persona made, with the source it came from.
    pub personas: Vec<(String, String)>,
    /// Things the report must say: renames, shared bases.
    pub notes: Vec<String>,
    /// What had no home: `(source, field, why)`.
    pub unmapped: Vec<(String, String, String)>,
}

/// A name made valid: the source's, lowercased and hyphenated.
fn valid(original: &str) -> String {
    if is_valid_name(original) {
        return original.to_string();
    }
    suggest_name(original).unwrap_or_else(|| "agent".to_string())
}

/// `text` shortened to a name's length, at a hyphen where it can be.
fn clamp(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let cut = &name[..max];
    cut.rfind('-').filter(|&i| i > max / 2).map_or(cut, |i| &cut[..i]).trim_matches(['-', '_']).to_string()
}

fn slug(title: &str) -> String {
    suggest_name(title).unwrap_or_else(|| "section".to_string())
}

/// Makes a plan from the agents of one import.
pub fn plan(mut agents: Vec<Agent>) -> Plan {
    let mut plan = Plan::default();
    name_agents(&mut agents, &mut plan);
    let bases = shared_bases(&mut agents, &mut plan);
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for base in &bases {
        write_persona(base, &mut plan, &mut taken, None, &BTreeSet::new());
    }
    for agent in &agents {
        let base = agent.group.as_ref().and_then(|g| bases.iter().find(|b| b.group.as_deref() == Some(g)));
        let inherited: BTreeSet<&str> = base.map(|b| b.sections.iter().filter_map(|s| part_type(s)).collect()).unwrap_or_default();
        write_persona(agent, &mut plan, &mut taken, base.map(|b| b.original_name.as_str()), &inherited);
        plan.personas.push((agent.original_name.clone(), agent.source.clone()));
        for (field, why) in &agent.unmapped {
            plan.unmapped.push((agent.source.clone(), field.clone(), why.clone()));
        }
        plan.notes.extend(agent.notes.iter().cloned());
    }
    plan
}

/// Gives every agent a valid, unique name (kept in `original_name` from
/// here on); the source's name becomes its title when it differs.
fn name_agents(agents: &mut [Agent], plan: &mut Plan) {
    for agent in agents.iter_mut() {
        let name = valid(&agent.original_name);
        if name != agent.original_name && agent.title.is_none() {
            agent.title = Some(agent.original_name.clone());
        }
        agent.original_name = clamp(&name, 48);
    }
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for agent in agents.iter() {
        *count.entry(agent.original_name.clone()).or_default() += 1;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for agent in agents.iter_mut() {
        let name = agent.original_name.clone();
        if count[&name] > 1 {
            let qualified = match &agent.group {
                Some(group) => clamp(&format!("{}-{name}", valid(group)), 56),
                None => name.clone(),
            };
            let mut unique = qualified.clone();
            let mut n = 2;
            while used.contains(&unique) {
                unique = format!("{qualified}-{n}");
                n += 1;
            }
            plan.notes.push(format!(
                "`{name}` is the name of {} agents in this import: the one from {} is `{unique}`",
                count[&name], agent.source
            ));
            agent.original_name = unique;
        }
        used.insert(agent.original_name.clone());
    }
}

fn part_type(section: &Section) -> Option<&'static str> {
    match section.role {
        Role::Part(t) => Some(t),
        Role::Guardrail => None,
    }
}

fn same_section(a: &Section, b: &Section) -> bool {
    a.title == b.title && a.role == b.role && a.text == b.text
}

/// For each group of two or more agents, an abstract base with what all of
/// them share (identical sections, model, tools, metadata); the agents then
/// extend it and keep only what is theirs.
fn shared_bases(agents: &mut [Agent], plan: &mut Plan) -> Vec<Agent> {
    let groups: BTreeSet<String> = agents.iter().filter_map(|a| a.group.clone()).collect();
    let mut bases = Vec::new();
    for group in groups {
        let members: Vec<usize> = (0..agents.len()).filter(|&i| agents[i].group.as_deref() == Some(group.as_str())).collect();
        if members.len() < 2 {
            continue;
        }
        let first = &agents[members[0]];
        let all = |f: &dyn Fn(&Agent) -> bool| members.iter().all(|&i| f(&agents[i]));
        let sections: Vec<Section> =
            first.sections.iter().filter(|s| all(&|a: &Agent| a.sections.iter().any(|t| same_section(s, t)))).cloned().collect();
        let model = first.model.clone().filter(|m| all(&|a: &Agent| a.model.as_ref() == Some(m)));
        let tools = first.tools.clone().filter(|t| all(&|a: &Agent| a.tools.as_ref() == Some(t)));
        let metadata: BTreeMap<String, Value> = first
            .metadata
            .iter()
            .filter(|(k, v)| all(&|a: &Agent| a.metadata.get(*k) == Some(*v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if sections.is_empty() && model.is_none() && tools.is_none() && metadata.is_empty() {
            continue;
        }
        let base_name = clamp(&format!("{}-base", valid(&group)), 64);
        for &i in &members {
            let agent = &mut agents[i];
            agent.sections.retain(|s| !sections.iter().any(|t| same_section(s, t)));
            if model.is_some() {
                agent.model = None;
            }
            if tools.is_some() {
                agent.tools = None;
            }
            agent.metadata.retain(|k, _| !metadata.contains_key(k));
        }
        let mut shared = Vec::new();
        if !sections.is_empty() {
            shared.push(format!("{} section{}", sections.len(), if sections.len() == 1 { "" } else { "s" }));
        }
        for (what, set) in [("model", model.is_some()), ("tools", tools.is_some()), ("metadata", !metadata.is_empty())] {
            if set {
                shared.push(what.to_string());
            }
        }
        plan.notes.push(format!(
            "the {} agents of `{group}` share {}: they extend the abstract base `{base_name}`",
            members.len(),
            shared.join(", ")
        ));
        bases.push(Agent {
            original_name: base_name,
            description: Some(format!("What the agents of {group} share")),
            sections,
            model,
            tools,
            metadata,
            group: Some(group.clone()),
            source: format!("{} agents of {group}", members.len()),
            is_base: true,
            ..Agent::default()
        });
    }
    bases
}

/// A name of `kind` for a section of `persona`, unique in this plan.
fn unique(taken: &mut BTreeSet<String>, kind: &str, wanted: &str) -> String {
    let wanted = clamp(wanted, 60);
    let mut name = wanted.clone();
    let mut n = 2;
    while taken.contains(&format!("{kind}/{name}")) {
        name = format!("{wanted}-{n}");
        n += 1;
    }
    taken.insert(format!("{kind}/{name}"));
    name
}

/// `+++` TOML front matter, then the body.
fn markdown(doc: &DocumentMut, body: &str) -> String {
    let body = body.trim_matches('\n');
    if body.is_empty() { format!("+++\n{doc}+++\n") } else { format!("+++\n{doc}+++\n{body}\n") }
}

fn string_array(items: &[String]) -> Array {
    items.iter().map(String::as_str).collect()
}

fn toml_value(value: &Value) -> toml_edit::Value {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => f.into(),
            _ => n.to_string().into(),
        },
        Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

fn table(values: &BTreeMap<String, Value>) -> Table {
    let mut table = Table::new();
    for (k, v) in values {
        table.insert(k, Item::Value(toml_value(v)));
    }
    table
}

/// Writes one persona and its parts and guardrails into the plan.
fn write_persona(agent: &Agent, plan: &mut Plan, taken: &mut BTreeSet<String>, extends: Option<&str>, inherited: &BTreeSet<&str>) {
    let name = &agent.original_name;
    let is_base = agent.is_base;
    let mut parts = Array::new();
    let mut guardrails = Vec::new();
    for (i, section) in agent.sections.iter().enumerate() {
        let wanted = format!("{name}-{}", slug(&section.title));
        let summary = Some(first_sentence(&section.text)).filter(|s| !s.is_empty()).unwrap_or_else(|| section.title.clone());
        let mut doc = DocumentMut::new();
        match section.role {
            Role::Part(part_type) => {
                let part = unique(taken, "parts", &wanted);
                doc.insert("type", Item::Value(part_type.into()));
                doc.insert("title", Item::Value(section.title.as_str().into()));
                doc.insert("summary", Item::Value(summary.as_str().into()));
                if section.literal {
                    doc.insert("template", Item::Value(false.into()));
                }
                plan.files.insert(format!("parts/{name}/{part}.md"), markdown(&doc, &section.text));
                // Parts keep the source's order; a part of a type the base
                // also has joins it instead of replacing it.
                let mut link = InlineTable::new();
                link.insert("name", part.as_str().into());
                link.insert("order", ((i as i64 + 1) * 10).into());
                if inherited.contains(part_type) {
                    link.insert("mode", "append".into());
                }
                parts.push(toml_edit::Value::InlineTable(link));
            }
            Role::Guardrail => {
                let guardrail = unique(taken, "guardrails", &wanted);
                // The source's heading, which the views print, never the slug.
                doc.insert("title", Item::Value(section.title.as_str().into()));
                doc.insert("description", Item::Value(summary.as_str().into()));
                if section.literal {
                    doc.insert("template", Item::Value(false.into()));
                }
                plan.files.insert(format!("guardrails/{name}/{guardrail}.md"), markdown(&doc, &section.text));
                guardrails.push(guardrail);
            }
        }
    }
    let mut doc = DocumentMut::new();
    if is_base {
        doc.insert("abstract", Item::Value(true.into()));
    } else {
        doc.insert("version", Item::Value("0.1.0".into()));
    }
    if let Some(title) = &agent.title {
        doc.insert("title", Item::Value(title.as_str().into()));
    }
    if agent.own_headings && !is_base {
        doc.insert("headings", Item::Value("own".into()));
    }
    if let Some(parent) = extends {
        doc.insert("extends", Item::Value(parent.into()));
    }
    if !is_base {
        let summary = agent
            .description
            .as_deref()
            .map(first_sentence)
            .filter(|s| !s.is_empty())
            .or_else(|| Some(first_sentence(&agent.intro)).filter(|s| !s.is_empty()))
            .or_else(|| agent.sections.first().map(|s| first_sentence(&s.text)))
            .unwrap_or_else(|| agent.title.clone().unwrap_or_else(|| name.clone()));
        doc.insert("summary", Item::Value(summary.as_str().into()));
    }
    if let Some(description) = &agent.description {
        doc.insert("description", Item::Value(description.trim().into()));
    }
    if !agent.tags.is_empty() {
        doc.insert("tags", Item::Value(toml_edit::Value::Array(string_array(&agent.tags))));
    }
    if agent.intro_literal {
        doc.insert("template", Item::Value(false.into()));
    }
    if !parts.is_empty() {
        // One link a line, as people lay out placed links.
        for item in parts.iter_mut() {
            item.decor_mut().set_prefix("\n  ");
            item.decor_mut().set_suffix("");
        }
        parts.set_trailing_comma(true);
        parts.set_trailing("\n");
        doc.insert("parts", Item::Value(toml_edit::Value::Array(parts)));
    }
    if !guardrails.is_empty() {
        doc.insert("guardrails", Item::Value(toml_edit::Value::Array(string_array(&guardrails))));
    }
    let runtime: Vec<String> = agent.runtime_vars.iter().filter(|v| !agent.vars.contains_key(*v)).cloned().collect();
    if !runtime.is_empty() {
        doc.insert("runtime_vars", Item::Value(toml_edit::Value::Array(string_array(&runtime))));
    }
    if let Some(model) = &agent.model {
        doc.insert("model", Item::Value(model.as_str().into()));
    }
    if let Some(tools) = &agent.tools {
        doc.insert("tools", Item::Value(toml_edit::Value::Array(string_array(tools))));
    }
    if !agent.metadata.is_empty() {
        doc.insert("metadata", Item::Table(table(&agent.metadata)));
    }
    if !agent.vars.is_empty() {
        doc.insert("vars", Item::Table(table(&agent.vars)));
    }
    plan.files.insert(format!("personas/{name}.md"), markdown(&doc, &agent.intro));
}
