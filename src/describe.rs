//! Definitions as documents: what `get` and `list` print (and what a server
//! returns for them). Texts are shown as written, templates unrendered; a
//! persona is shown resolved (inheritance applied).

use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::Catalog;
use crate::model::*;

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(|t| &*t.source)
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
        Kind::Skill => {
            let s = &catalog.skills[name];
            let mut value = json!({ "content": text(&s.content) });
            if let Some(folder) = &s.folder {
                value["agent_skills"] = folder_json(folder);
            }
            value
        }
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

/// What an Agent Skills folder holds besides the skill's texts.
fn folder_json(folder: &SkillFolder) -> Value {
    json!({
        "folder": folder.dir,
        "license": folder.license,
        "compatibility": folder.compatibility,
        "metadata": folder.metadata.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "allowed_tools": folder.allowed_tools,
        "references": folder.references.iter().map(|(path, _)| path).collect::<Vec<_>>(),
        "files": folder.files.iter().map(|p| &p[folder.dir.len() + 1..]).collect::<Vec<_>>(),
    })
}

fn persona(catalog: &Catalog, name: &str) -> Value {
    let p = &catalog.personas[name];
    let Ok(r) = catalog.resolve_any(name, &Request::default()) else {
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
    let mut value = json!({
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
    });
    settings(&mut value, &r, r.title.map(|t| &*t.source));
    if p.is_abstract {
        value["abstract"] = json!(true);
    }
    value
}

/// A resolved persona's display name and runtime settings, as every answer
/// about it shows them (keys present only when set). `title` is the title
/// as shown: rendered in a compiled answer, as written in a definition.
pub fn settings(value: &mut Value, r: &ResolvedPersona, title: Option<&str>) {
    if r.title.is_some()
        && let Some(title) = title
    {
        value["title"] = json!(title);
    }
    if let Some(model) = &r.model {
        value["model"] = json!(model);
    }
    if let Some(tools) = &r.tools {
        value["tools"] = json!(tools);
    }
    if !r.metadata.is_empty() {
        value["metadata"] = json!(r.metadata);
    }
}

/// Why a definition could not be shown rendered.
pub enum ShowError {
    /// No such definition, persona or channel: a bad request.
    Request(String),
    /// A text does not render.
    Definitions(Vec<crate::diag::Diagnostic>),
}

impl From<crate::resolve::ResolveError> for ShowError {
    fn from(e: crate::resolve::ResolveError) -> ShowError {
        match e {
            crate::resolve::ResolveError::Request(msg) => ShowError::Request(msg),
            crate::resolve::ResolveError::Definitions(d) => ShowError::Definitions(d),
        }
    }
}

/// One definition as JSON, with its texts rendered: with the project's
/// variables, or with a persona's (and a channel's) when one is given.
/// Runtime variables stay `{{ name }}`. This is what `get` and the fetch
/// tools answer: an agent never receives a raw template.
pub fn rendered(
    catalog: &Catalog,
    renderer: &crate::render::Renderer,
    kind: Kind,
    name: &str,
    persona: Option<(&str, Option<&str>)>,
) -> Result<Value, ShowError> {
    let unknown = |kind: Kind, name: &str| {
        let mut msg = format!("no {kind} named `{name}`");
        if let Some(best) = crate::diag::did_you_mean(name, catalog.names(kind)) {
            msg.push_str(&format!("\n  help: did you mean `{best}`?"));
        }
        ShowError::Request(msg)
    };
    let mut value = definition(catalog, kind, name).ok_or_else(|| unknown(kind, name))?;
    if kind == Kind::Persona {
        return Ok(value);
    }
    let (vars, runtime_vars) = match persona {
        None => (catalog.config.vars.clone(), Vec::new()),
        Some((persona, channel)) => {
            let request = Request { channel: channel.map(str::to_string), ..Request::default() };
            let r = catalog.resolve_any(persona, &request)?;
            (r.vars, r.runtime_vars)
        }
    };
    let meta = catalog.meta(kind, name).ok_or_else(|| unknown(kind, name))?;
    let mut texts: Vec<(&str, Option<&Text>)> = vec![("description", meta.description.as_ref())];
    match kind {
        Kind::Part => {
            let p = &catalog.parts[name];
            texts.extend([("summary", Some(&p.summary)), ("content", p.content.as_ref())]);
        }
        Kind::Trait => texts.push(("instruction", catalog.traits[name].instruction.as_ref())),
        Kind::Skill => texts.push(("content", catalog.skills[name].content.as_ref())),
        Kind::Guardrail => texts.push(("content", catalog.guardrails[name].content.as_ref())),
        Kind::Arc => texts.push(("summary", catalog.arcs[name].summary.as_ref())),
        Kind::Persona => {}
    }
    let mut diags = Vec::new();
    // Without a persona, a variable the project does not define may be a
    // persona's: it is left as `{{ name }}` and named in `unfilled`, and a
    // text whose logic depends on one is answered as written and named in
    // `unrendered`. A fetch without a persona never fails for it.
    let mut unfilled = std::collections::BTreeSet::new();
    let mut unrendered = Vec::new();
    let mut render = |field: String, text: &Text| -> Option<String> {
        let open: Vec<String> = match persona {
            Some(_) => runtime_vars.clone(),
            None if meta.template => renderer.variables(&meta.file, text).into_iter().filter(|v| !vars.contains_key(v)).collect(),
            None => Vec::new(),
        };
        match renderer.render_one(&meta.file, text, !meta.template, &vars, &open) {
            Ok(rendered) => {
                if persona.is_none() {
                    unfilled.extend(open);
                }
                Some(rendered)
            }
            Err(d) if persona.is_none() && !open.is_empty() && d.code == crate::diag::code::RUNTIME_VARIABLE => {
                unfilled.extend(open);
                unrendered.push(field);
                Some(text.source.to_string())
            }
            Err(d) => {
                diags.push(d.help(match persona {
                    Some((p, _)) => format!("rendered with the variables of persona `{p}`"),
                    None => "rendered with the project's `[vars]`".to_string(),
                }));
                None
            }
        }
    };
    for (field, text) in texts {
        let Some(text) = text else { continue };
        if let Some(rendered) = render(field.to_string(), text) {
            value[field] = json!(rendered);
        }
    }
    if kind == Kind::Arc {
        for (i, stage) in catalog.arcs[name].stages.iter().enumerate() {
            for (field, text) in [("description", stage.description.as_ref()), ("condition", stage.condition.as_ref())] {
                let Some(text) = text else { continue };
                if let Some(rendered) = render(format!("stages[{i}].{field}"), text) {
                    value["stages"][i][field] = json!(rendered);
                }
            }
        }
    }
    if !unfilled.is_empty() {
        value["unfilled"] = json!(unfilled);
    }
    if !unrendered.is_empty() {
        value["unrendered"] = json!(unrendered);
    }
    if diags.is_empty() { Ok(value) } else { Err(ShowError::Definitions(diags)) }
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
    if let Some(folder) = value.get("agent_skills") {
        let list = |key: &str| -> Vec<String> {
            folder.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(|p| format!("`{p}`")).collect()
        };
        out.push_str(&format!("Agent Skills folder `{}`", folder["folder"].as_str().unwrap_or_default()));
        for (key, what) in [("references", "references (fetched on demand)"), ("files", "files carried")] {
            let items = list(key);
            if !items.is_empty() {
                out.push_str(&format!(" · {what}: {}", items.join(", ")));
            }
        }
        out.push_str("\n\n");
    }
    let unfilled: Vec<&str> = value.get("unfilled").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    if !unfilled.is_empty() {
        let names: Vec<String> = unfilled.iter().map(|v| format!("`{v}`")).collect();
        out.push_str(&format!(
            "> Left as written for a persona to fill: {}. Pass `--persona NAME` to render with a persona's variables.\n\n",
            names.join(", ")
        ));
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
    /// A persona's resolved tags (its ancestors' included); another
    /// definition's own.
    pub tags: Vec<String>,
    pub file: String,
    /// An abstract persona (a base, never compiled on its own).
    #[serde(rename = "abstract", skip_serializing_if = "std::ops::Not::not")]
    pub is_abstract: bool,
}

/// The definitions of a kind, filtered by type and tag, sorted by name. A
/// persona's tags are its resolved ones, as its manifest shows them.
/// Descriptions are rendered: a persona's with its variables, another
/// definition's with the project's (runtime variables stay `{{ name }}`;
/// one that does not render is shown as written).
pub fn list(catalog: &Catalog, renderer: &crate::render::Renderer, kind: Kind, item_type: Option<&str>, tag: Option<&str>) -> Vec<Row> {
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
        .map(|(name, meta)| {
            let resolved = (kind == Kind::Persona).then(|| catalog.resolve_any(name, &Request::default()).ok()).flatten();
            let description = meta.description.as_ref().map(|d| {
                let (vars, runtime) = match &resolved {
                    Some(r) => (&r.vars, &r.runtime_vars[..]),
                    None => (&catalog.config.vars, &[][..]),
                };
                renderer
                    .render_one(&meta.file, d, !meta.template, vars, runtime)
                    .unwrap_or_else(|_| d.source.to_string())
                    .trim()
                    .to_string()
            });
            Row {
                name: name.to_string(),
                kind,
                item_type: type_of(name),
                description,
                tags: match &resolved {
                    Some(r) => r.tags.clone(),
                    None => meta.tags.iter().map(|t| t.value.clone()).collect(),
                },
                file: meta.file.to_string(),
                is_abstract: catalog.personas.get(name).is_some_and(|p| kind == Kind::Persona && p.is_abstract),
            }
        })
        .filter(|r| item_type.is_none_or(|t| r.item_type.as_deref() == Some(t)))
        .filter(|r| tag.is_none_or(|t| r.tags.iter().any(|x| x == t)))
        .collect()
}

/// One compiled view as `show --format json` prints it (and a server returns
/// it): the persona, its parts in assembly order, what the budget dropped,
/// the token count and the text.
pub fn shown(
    resolved: &ResolvedPersona,
    rendered: &crate::render::RenderedPersona,
    fitted: &crate::budget::Fitted,
    view: crate::render::View,
) -> Value {
    let dropped: Vec<&str> = fitted.dropped.iter().map(String::as_str).collect();
    let load = |load: Load| (load == Load::OnDemand).then_some("on_demand");
    let mut value = json!({
        "persona": resolved.name,
        "version": resolved.version.as_ref().map(ToString::to_string),
        "view": view,
        "stage": resolved.stage.as_ref().map(|s| s.stage().name.value.clone()),
        "channel": resolved.channel,
        "parts": resolved.parts.iter().filter(|p| !dropped.contains(&p.part.meta.name.as_str())).map(|p| {
            let mut part = json!({
                "name": p.part.meta.name, "type": p.part.part_type.value, "order": p.order, "priority": p.priority,
                "layer": p.layer.to_string(),
            });
            if let Some(load) = load(p.load) {
                part["load"] = json!(load);
            }
            part
        }).collect::<Vec<_>>(),
        "traits": resolved.traits.iter().map(|t| &t.meta.name).collect::<Vec<_>>(),
        "skills": resolved.skills.iter().map(|s| &s.meta.name).collect::<Vec<_>>(),
        "guardrails": resolved.guardrails.iter().map(|g| &g.meta.name).collect::<Vec<_>>(),
        "dropped": fitted.dropped,
        "tokens": fitted.tokens,
        "text": fitted.text,
    });
    let on_demand: Vec<&String> = resolved
        .traits
        .iter()
        .filter(|t| t.load == Load::OnDemand)
        .map(|t| &t.meta.name)
        .chain(resolved.skills.iter().filter(|s| s.load == Load::OnDemand).map(|s| &s.meta.name))
        .collect();
    if !on_demand.is_empty() {
        value["on_demand"] = json!(on_demand);
    }
    settings(&mut value, resolved, Some(&rendered.persona.title));
    value
}

/// The first place among the texts a resolved persona shows where `literal`
/// is written: its file and the span of `literal` (the whole text's span
/// where the text's lines do not map into the file).
pub fn find_text(r: &ResolvedPersona, literal: &str) -> Option<(std::sync::Arc<str>, std::ops::Range<usize>)> {
    r.texts().into_iter().find_map(|(_, file, text)| {
        let at = text.source.find(literal)?;
        let span = match crate::model::file_offset(&text.lines, at) {
            Some(start) => start..start + literal.len(),
            None => text.span.clone(),
        };
        Some((file, span))
    })
}
