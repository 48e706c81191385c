//! The preview's JSON: one view of one persona with the source of every
//! line, from the same compile as `build` and `show --annotate`
//! ([`artifacts::traced_views`]), and what its layers and filters left out,
//! as `why` tells it.

use serde_json::{Value, json};

use crate::artifacts;
use crate::diag::{self, Diagnostic};
use crate::model::{self, Request};
use crate::project::Project;
use crate::render::{LineSource, View};
use crate::rules;
use crate::snapshot::Snapshot;

/// What the page asks for: a persona's view at a stage, on a channel, with
/// runtime variables filled as `show --var` fills them.
pub struct ViewQuery {
    pub persona: String,
    pub view: View,
    pub stage: Option<String>,
    pub channel: Option<String>,
    pub vars: Vec<(String, String)>,
    /// Only parts of these types, as `show --types`.
    pub types: Option<Vec<String>>,
    /// Only the N parts of highest priority, as `show --limit`.
    pub limit: Option<usize>,
}

impl ViewQuery {
    /// From a URL's query string: `persona=maya&view=detail&stage=&channel=voice&types=a,b&limit=N&var.NAME=VALUE`.
    pub fn parse(query: &str) -> Result<ViewQuery, String> {
        let mut q = ViewQuery {
            persona: String::new(),
            view: View::Detail,
            stage: None,
            channel: None,
            vars: Vec::new(),
            types: None,
            limit: None,
        };
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
                "types" => {
                    let types: Vec<String> = value.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
                    q.types = (!types.is_empty()).then_some(types);
                }
                "limit" if value.is_empty() => q.limit = None,
                "limit" => q.limit = Some(value.parse().map_err(|_| format!("the limit `{value}` is not a whole number"))?),
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
    let mut request =
        Request { stage: q.stage.clone(), channel: q.channel.clone(), types: q.types.clone(), limit: q.limit, ..Request::default() };
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
    let editor = project.catalog.config.editor_url.as_ref().map_or(rules::EDITOR_URL, |u| u.value.as_str());
    let mut value = crate::describe::shown(&resolved, &rendered, &traced.fitted, q.view);
    value["lines"] = json!(
        lines
            .iter()
            .map(|l| {
                let abs = l.file.as_ref().filter(|_| l.kind != "layout").map(|f| root.join(&**f).display().to_string());
                let href =
                    abs.as_ref().zip(l.file.as_ref()).zip(l.line).map(|((path, file), line)| rules::editor_url(editor, path, file, line));
                json!({
                    "text": l.text, "file": l.file, "path": abs, "line": l.line, "definition": l.definition,
                    "kind": l.kind, "field": l.field, "layer": l.layer, "place": l.place(), "href": href,
                })
            })
            .collect::<Vec<_>>()
    );
    let dropped = &traced.fitted.dropped;
    let mut parts: Vec<Value> = resolved
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
        .collect();
    // What the layers replaced and the filters left out, as `why` tells it.
    for gone in model::absent(&resolved.layering, &resolved.filtered) {
        let part_type = gone.part_type.clone().or_else(|| project.catalog.parts.get(gone.part.as_str()).map(|p| p.part_type.value.clone()));
        parts.push(json!({
            "name": gone.part, "type": part_type, "layer": gone.layer.to_string(), "tokens": null, "dropped": gone.reason(),
        }));
    }
    value["parts"] = json!(parts);
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
