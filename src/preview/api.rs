//! The preview's JSON: the personas of a loaded repository, and one view
//! of one persona with the source of every line, from the same compile as
//! `build` and `show --annotate` ([`artifacts::traced_views`]).

use serde_json::{Value, json};

use crate::artifacts;
use crate::diag::{self, Diagnostic};
use crate::model::Request;
use crate::project::Project;
use crate::render::{LineSource, View};
use crate::snapshot::Snapshot;

/// The compiled personas (abstract bases left out): name, version, tokens
/// per view, budget, channels, stages, and what the budget dropped.
pub fn personas(project: &Project) -> Value {
    let catalog = &project.catalog;
    let mut out = Vec::new();
    for (name, _) in catalog.personas.iter().filter(|(_, p)| !p.is_abstract) {
        let mut entry = json!({ "name": name });
        match catalog.resolve(name, &Request::default()) {
            Err(_) => entry["warnings"] = json!(["does not resolve"]),
            Ok(resolved) => {
                entry["version"] = json!(resolved.version.as_ref().map(ToString::to_string));
                entry["budget"] = json!(resolved.budget);
                entry["channels"] = json!(resolved.channels);
                entry["stages"] =
                    json!(resolved.stage.as_ref().map(|s| s.arc.stages.iter().map(|s| s.name.value.clone()).collect::<Vec<_>>()));
                entry["stage"] = json!(resolved.stage.as_ref().map(|s| s.stage().name.value.clone()));
                entry["runtime_vars"] = json!(resolved.runtime_vars);
                match artifacts::views(&project.renderer, &project.tokenizer, &resolved) {
                    Ok((_, [summary, detail])) => {
                        entry["tokens"] = json!({ "summary": summary.tokens, "detail": detail.tokens });
                        let warnings: Vec<String> = detail.dropped.iter().map(|p| format!("part `{p}` dropped by the budget")).collect();
                        entry["warnings"] = json!(warnings);
                    }
                    Err(d) => entry["warnings"] = json!(d.iter().map(|d| d.message.clone()).collect::<Vec<_>>()),
                }
            }
        }
        out.push(entry);
    }
    json!(out)
}

/// What the page asks for: a persona's view at a stage, on a channel, with
/// runtime variables filled as `show --var` fills them.
pub struct ViewQuery {
    pub persona: String,
    pub view: View,
    pub stage: Option<String>,
    pub channel: Option<String>,
    pub vars: Vec<(String, String)>,
}

impl ViewQuery {
    /// From a URL's query string: `persona=maya&view=detail&stage=&channel=voice&var.NAME=VALUE`.
    pub fn parse(query: &str) -> Result<ViewQuery, String> {
        let mut q = ViewQuery { persona: String::new(), view: View::Detail, stage: None, channel: None, vars: Vec::new() };
        for (key, value) in pairs(query) {
            let some = |v: String| (!v.is_empty()).then_some(v);
            match key.as_str() {
                "persona" => q.persona = value,
                "view" => {
                    q.view = match value.as_str() {
                        "summary" => View::Summary,
                        "detail" | "" => View::Detail,
                        other => return Err(format!("unknown view `{other}`: summary or detail")),
                    }
                }
                "stage" => q.stage = some(value),
                "channel" => q.channel = some(value),
                _ => match key.strip_prefix("var.") {
                    Some(name) if crate::parse::is_identifier(name) => q.vars.push((name.to_string(), value)),
                    Some(name) => return Err(format!("`{name}` is not a valid variable name")),
                    None => {}
                },
            }
        }
        if q.persona.is_empty() {
            return Err("no persona: `?persona=NAME`".into());
        }
        Ok(q)
    }
}

/// A query string's pairs, percent- and plus-decoded.
pub fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(byte) => {
                    out.push(byte);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a view could not be made: the request (400), or the definitions.
pub enum ViewError {
    Request(String),
    Definitions(Vec<Diagnostic>),
}

/// One view with its line sources, its parts' token counts against the
/// budget, and the parts the budget dropped.
pub fn view(project: &Project, root: &std::path::Path, q: &ViewQuery) -> Result<Value, ViewError> {
    let mut request = Request { stage: q.stage.clone(), channel: q.channel.clone(), ..Request::default() };
    for (k, v) in &q.vars {
        request.vars.insert(k.clone(), v.as_str().into());
    }
    if !project.catalog.personas.contains_key(q.persona.as_str()) {
        return Err(ViewError::Request(format!("no persona `{}`", q.persona)));
    }
    let resolved = project.catalog.resolve(&q.persona, &request).map_err(|e| match e {
        crate::resolve::ResolveError::Request(msg) => ViewError::Request(msg),
        crate::resolve::ResolveError::Definitions(d) => ViewError::Definitions(d),
    })?;
    let (rendered, [summary, detail]) =
        artifacts::traced_views(&project.renderer, &project.tokenizer, &resolved).map_err(ViewError::Definitions)?;
    let traced = if q.view == View::Summary { summary } else { detail };
    let text = &traced.fitted.text;
    let lines = traced.lines.unwrap_or_else(|| text.lines().map(LineSource::unknown).collect());
    let mut value = crate::describe::shown(&resolved, &rendered, &traced.fitted, q.view);
    value["lines"] = json!(
        lines
            .iter()
            .map(|l| {
                let abs = l.file.as_ref().filter(|_| l.kind != "layout").map(|f| root.join(&**f).display().to_string());
                json!({
                    "text": l.text, "file": l.file, "path": abs, "line": l.line, "definition": l.definition,
                    "kind": l.kind, "field": l.field, "layer": l.layer, "place": l.place(),
                })
            })
            .collect::<Vec<_>>()
    );
    let dropped = &traced.fitted.dropped;
    value["parts"] = json!(
        resolved
            .parts
            .iter()
            .zip(&rendered.parts)
            .map(|(p, r)| {
                let body = if q.view == View::Summary { &r.summary } else { &r.content };
                let tokens = project.tokenizer.count(body).unwrap_or(0);
                json!({
                    "name": r.name, "type": r.part_type, "layer": p.layer.to_string(), "tokens": tokens,
                    "dropped": dropped.contains(&r.name).then_some("dropped by the budget"),
                })
            })
            .collect::<Vec<_>>()
    );
    value["budget"] = json!(resolved.budget);
    value["channels"] = json!(resolved.channels);
    value["runtime_vars"] = json!(resolved.runtime_vars);
    value["stages"] = json!(resolved.stage.as_ref().map(|s| s.arc.stages.iter().map(|s| s.name.value.clone()).collect::<Vec<_>>()));
    Ok(value)
}

/// Diagnostics as the page shows them: located, as `watch --format json`.
pub fn diagnostics(diags: &[Diagnostic], snapshot: &Snapshot) -> Value {
    json!(diags.iter().map(|d| diag::locate(d, snapshot)).collect::<Vec<_>>())
}
