//! `manifest.json`: the lightweight discovery view of a persona.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::model::*;
use crate::render::RenderedPersona;

/// The lightweight discovery view of a persona.
pub fn manifest(resolved: &ResolvedPersona, rendered: &RenderedPersona, tokens: &BTreeMap<&str, usize>) -> Value {
    let describe = |description: &str, fallback: &str| if description.is_empty() { fallback.to_string() } else { description.to_string() };
    let on_demand = |load: Load| load == Load::OnDemand;
    let mut manifest = json!({
        "name": resolved.name,
        "version": resolved.version.as_ref().map(ToString::to_string),
        "description": describe(&rendered.persona.description, &rendered.persona.summary),
        "summary": rendered.persona.summary,
        "tags": resolved.tags,
        "parts": rendered.parts.iter().map(|p| {
            let mut part = json!({
                "name": p.name,
                "type": p.part_type,
                "description": describe(&p.description, &p.summary),
            });
            if on_demand(p.load) {
                part["load"] = json!("on_demand");
            }
            part
        }).collect::<Vec<_>>(),
        "traits": rendered.traits.iter().map(|t| json!({
            "name": t.name,
            "trait_type": t.item_type,
            "description": t.description,
        })).collect::<Vec<_>>(),
        "skills": rendered.skills.iter().map(|s| &s.name).collect::<Vec<_>>(),
        "guardrails": rendered.guardrails.iter().map(|g| &g.name).collect::<Vec<_>>(),
        "stage": rendered.stage.as_ref().map(|s| json!({
            "arc": s.arc,
            "name": s.name,
            "description": s.description,
            "condition": s.condition,
            "next": s.next,
        })),
        "channels": resolved.channels,
        "tokens": tokens,
        "on_demand_tools": {
            "get_agent_part": "Fetch one part's full content by `name`, with `persona` set to this persona, when the task needs what its description promises.",
            "get_agent_trait": "Fetch one trait's full instruction by `name`, with `persona` set to this persona.",
            "get_agent_skill": "Fetch one skill's full instructions by `name`, with `persona` set to this persona, before you use it.",
            "get_agent_guardrail": "Fetch one guardrail's full rule and severity by `name`, with `persona` set to this persona.",
            "compile_persona": "Fetch the whole compiled persona (summary and detail) in one call, when the context has room for it.",
        },
    });
    // Keys a persona that does not use them never gets, so that its
    // manifest stays as it was.
    let listed: Vec<Value> = rendered
        .parts
        .iter()
        .filter(|p| on_demand(p.load))
        .map(|p| json!({ "kind": "part", "name": p.name, "path": format!("on_demand/part/{}.md", p.name), "tool": "get_agent_part" }))
        .chain(rendered.traits.iter().filter(|t| on_demand(t.load)).map(
            |t| json!({ "kind": "trait", "name": t.name, "path": format!("on_demand/trait/{}.md", t.name), "tool": "get_agent_trait" }),
        ))
        .chain(rendered.skills.iter().filter(|s| on_demand(s.load)).map(
            |s| json!({ "kind": "skill", "name": s.name, "path": format!("on_demand/skill/{}.md", s.name), "tool": "get_agent_skill" }),
        ))
        .chain(resolved.skills.iter().filter_map(|s| s.folder.as_ref().map(|f| (&s.meta.name, f))).flat_map(|(name, folder)| {
            folder.references.iter().map(move |(file, _)| {
                json!({ "kind": "skill", "name": name, "file": file, "path": format!("on_demand/skill/{name}/{file}"), "tool": "get_agent_skill" })
            })
        }))
        .collect();
    if !listed.is_empty() {
        manifest["on_demand"] = json!(listed);
    }
    crate::describe::settings(&mut manifest, resolved, Some(&rendered.persona.title));
    manifest
}
