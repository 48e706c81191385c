//! Definitions as documents: what `get` and `list` print (and what a server
//! returns for them). Texts are shown as written, templates unrendered; a
//! persona is shown resolved (inheritance applied).

use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::Catalog;
use crate::model::*;

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| t.source.as_str())
}

fn names(list: &[Spanned<String>]) -> Vec<&str> {
    list.iter().map(|s| s.value.as_str()).collect()
}

fn base(meta: &Meta, kind: Kind) -> Value {
    json!({
        "name": meta.name,
        "kind": kind,
        "description": text(&meta.description),
        "tags": names(&meta.tags),
        "file": &*meta.file,
    })
}

/// One definition as JSON, or `None` if there is no such name.
pub fn definition(catalog: &Catalog, kind: Kind, name: &str) -> Option<Value> {
    let mut value = base(catalog.meta(kind, name)?, kind);
    let extra = match kind {
        Kind::Part => {
            let p = &catalog.parts[name];
            json!({ "type": p.part_type.value, "summary": p.summary.source, "content": text(&p.content) })
        }
        Kind::Trait => {
            let t = &catalog.traits[name];
            json!({ "type": t.trait_type.value, "instruction": text(&t.instruction) })
        }
        Kind::Skill => json!({ "content": text(&catalog.skills[name].content) }),
        Kind::Guardrail => {
            let g = &catalog.guardrails[name];
            json!({ "severity": g.severity.value, "content": text(&g.content) })
        }
        Kind::Arc => {
            let a = &catalog.arcs[name];
            json!({
                "summary": text(&a.summary),
                "stages": a.stages.iter().map(|s| json!({
                    "name": s.name.value,
                    "description": text(&s.description),
                    "condition": text(&s.condition),
                    "parts": s.parts.iter().map(|p| &p.name.value).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        }
        Kind::Persona => persona(catalog, name),
    };
    if let (Some(obj), Value::Object(extra)) = (value.as_object_mut(), extra) {
        obj.extend(extra);
    }
    Some(value)
}

fn persona(catalog: &Catalog, name: &str) -> Value {
    let p = &catalog.personas[name];
    let Ok(r) = catalog.resolve(name, &Request::default()) else {
        // Unresolvable: show it as written, so the user can see what is wrong.
        return json!({
            "version": p.version.as_ref().map(|v| v.value.to_string()),
            "summary": text(&p.summary),
            "detail": text(&p.detail),
            "extends": p.extends.as_ref().map(|e| &e.value),
            "parts": p.parts.iter().map(|r| &r.name.value).collect::<Vec<_>>(),
            "traits": p.traits.iter().map(|l| &l.name.value).collect::<Vec<_>>(),
            "skills": p.skills.iter().map(|l| &l.name.value).collect::<Vec<_>>(),
            "guardrails": names(&p.guardrails),
        });
    };
    json!({
        "version": r.version.as_ref().map(ToString::to_string),
        "summary": r.summary.map(|t| &t.source),
        "description": r.description.map(|t| &t.source),
        "detail": r.detail.map(|t| &t.source),
        "extends": p.extends.as_ref().map(|e| &e.value),
        "tags": r.tags,
        "parts": r.parts.iter().map(|p| json!({
            "name": p.part.meta.name, "type": p.part.part_type.value, "order": p.order, "priority": p.priority,
        })).collect::<Vec<_>>(),
        "traits": r.traits.iter().map(|t| &t.meta.name).collect::<Vec<_>>(),
        "skills": r.skills.iter().map(|s| &s.meta.name).collect::<Vec<_>>(),
        "guardrails": r.guardrails.iter().map(|g| &g.meta.name).collect::<Vec<_>>(),
        "arc": r.stage.as_ref().map(|s| json!({ "name": s.arc.meta.name, "stage": s.stage().name.value })),
        "channels": r.channels,
        "runtime_vars": r.runtime_vars,
        "vars": r.vars,
        "budget": r.budget.map(|b| json!({ "max_tokens": b })),
        "sources": r.sources.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    })
}

/// A definition's JSON as a Markdown document for people.
pub fn markdown(value: &Value) -> String {
    let get = |k: &str| value.get(k).and_then(Value::as_str);
    let mut out = format!("# {}\n\n", get("name").unwrap_or_default());
    let mut facts = vec![format!("kind: {}", get("kind").unwrap_or_default())];
    for key in ["type", "severity", "version", "extends"] {
        if let Some(v) = get(key) {
            facts.push(format!("{key}: {v}"));
        }
    }
    facts.push(format!("file: {}", get("file").unwrap_or_default()));
    out.push_str(&facts.join(" · "));
    out.push_str("\n\n");
    for key in ["description", "summary"] {
        if let Some(v) = get(key) {
            out.push_str(&format!("**{}:** {}\n\n", crate::render::title_case(key), v.trim()));
        }
    }
    for key in ["parts", "traits", "skills", "guardrails", "stages"] {
        let Some(items) = value.get(key).and_then(Value::as_array).filter(|a| !a.is_empty()) else { continue };
        out.push_str(&format!("## {}\n\n", crate::render::title_case(key)));
        for item in items {
            let line = match item {
                Value::String(s) => s.clone(),
                Value::Object(o) => {
                    let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                    let rest: Vec<String> = o
                        .iter()
                        .filter(|(k, v)| k.as_str() != "name" && !v.is_null())
                        .map(|(k, v)| match v {
                            Value::String(s) => format!("{k}: {s}"),
                            other => format!("{k}: {other}"),
                        })
                        .collect();
                    format!("{name} ({})", rest.join(", "))
                }
                other => other.to_string(),
            };
            out.push_str(&format!("- {line}\n"));
        }
        out.push('\n');
    }
    for key in ["detail", "content", "instruction"] {
        if let Some(v) = get(key) {
            out.push_str(v.trim_end());
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// One row of `list`.
#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub kind: Kind,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub file: String,
}

/// The definitions of a kind, filtered by type and tag, sorted by name.
pub fn list(catalog: &Catalog, kind: Kind, item_type: Option<&str>, tag: Option<&str>) -> Vec<Row> {
    let type_of = |name: &str| -> Option<String> {
        match kind {
            Kind::Part => catalog.parts.get(name).map(|p| p.part_type.value.clone()),
            Kind::Trait => catalog.traits.get(name).map(|t| t.trait_type.value.clone()),
            _ => None,
        }
    };
    catalog
        .names(kind)
        .filter_map(|name| catalog.meta(kind, name).map(|m| (name, m)))
        .map(|(name, meta)| Row {
            name: name.to_string(),
            kind,
            item_type: type_of(name),
            description: meta.description.as_ref().map(|d| d.source.trim().to_string()),
            tags: meta.tags.iter().map(|t| t.value.clone()).collect(),
            file: meta.file.to_string(),
        })
        .filter(|r| item_type.is_none_or(|t| r.item_type.as_deref() == Some(t)))
        .filter(|r| tag.is_none_or(|t| r.tags.iter().any(|x| x == t)))
        .collect()
}

/// One compiled view as `show --format json` prints it (and a server returns
/// it): the persona, its parts in assembly order, what the budget dropped,
/// the token count and the text.
pub fn shown(resolved: &ResolvedPersona, fitted: &crate::budget::Fitted, view: crate::render::View) -> Value {
    let dropped: Vec<&str> = fitted.dropped.iter().map(String::as_str).collect();
    json!({
        "persona": resolved.name,
        "version": resolved.version.as_ref().map(ToString::to_string),
        "view": view,
        "stage": resolved.stage.as_ref().map(|s| s.stage().name.value.clone()),
        "channel": resolved.channel,
        "parts": resolved.parts.iter().filter(|p| !dropped.contains(&p.part.meta.name.as_str())).map(|p| json!({
            "name": p.part.meta.name, "type": p.part.part_type.value, "order": p.order, "priority": p.priority,
        })).collect::<Vec<_>>(),
        "traits": resolved.traits.iter().map(|t| &t.meta.name).collect::<Vec<_>>(),
        "skills": resolved.skills.iter().map(|s| &s.meta.name).collect::<Vec<_>>(),
        "guardrails": resolved.guardrails.iter().map(|g| &g.meta.name).collect::<Vec<_>>(),
        "dropped": fitted.dropped,
        "tokens": fitted.tokens,
        "text": fitted.text,
    })
}
