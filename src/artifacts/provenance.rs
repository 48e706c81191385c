//! Source records of a persona's views: for every line, the definition's
//! text line (file, line, definition, layer) that made it, or the layout's
//! own line ([`crate::render::LineSource`]).

use serde_json::{Value, json};

use crate::budget::Fitted;
use crate::diag::Diagnostic;
use crate::model::{Request, ResolvedPersona};
use crate::render::{LineSource, Renderer, View};

/// One view of a persona as compiled, with the source of each line
/// (`None` when its layout does not give its texts' lines back whole).
pub struct Traced {
    pub view: View,
    pub fitted: Fitted,
    pub lines: Option<Vec<LineSource>>,
}

/// Every request a loader may pick of a persona: the current stage, each
/// channel, each stage, and each stage on each channel.
pub fn requests(base: &ResolvedPersona) -> Vec<Request> {
    let mut stages: Vec<Option<String>> = vec![None];
    if let Some(stage) = &base.stage {
        stages.extend(stage.arc.stages.iter().map(|s| Some(s.name.value.clone())));
    }
    let mut out = Vec::new();
    for stage in stages {
        for channel in std::iter::once(None).chain(base.channels.iter().cloned().map(Some)) {
            out.push(Request { stage: stage.clone(), channel, ..Request::default() });
        }
    }
    out
}

/// The source records of a variant's two views, as their files' bytes
/// (docs/artifacts.md, *Source records*): `None` for a view whose layout
/// cannot be traced.
pub(super) fn records(
    renderer: &Renderer,
    resolved: &ResolvedPersona,
    fitted: &[Fitted; 2],
) -> Result<[Option<Vec<u8>>; 2], Vec<Diagnostic>> {
    let traced = renderer.render_traced(resolved)?;
    let of = |i: usize| {
        let view = View::BOTH[i];
        renderer.sources(&traced, view, &fitted[i].dropped_at, &fitted[i].text).map(|lines| record_bytes(&lines))
    };
    Ok([of(0), of(1)])
}

/// `{"format": 2, "texts": [...], "lines": [[text, line] | "heading", ...]}`,
/// one line of JSON: each text once, each line an index into them with its
/// file line, or what the layout's own line is.
fn record_bytes(lines: &[LineSource]) -> Vec<u8> {
    // A text is told apart by what its record says of it; the JSON of each
    // is made once.
    type Key<'a> = (&'a str, &'a str, &'a str, &'static str, Option<&'a str>, Option<[u32; 2]>, bool);
    let mut texts: Vec<Value> = Vec::new();
    let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let (Some(file), Some(line)) = (&l.file, l.line) else {
            out.push(json!(l.field));
            continue;
        };
        if l.kind == "layout" {
            out.push(json!(l.field));
            continue;
        }
        let key: Key = (file, &l.definition, l.field, l.kind, l.layer.as_deref(), l.lines, l.template);
        let i = *index.entry(key).or_insert_with(|| {
            let mut text = json!({
                "definition": l.definition, "field": l.field, "file": file, "kind": l.kind,
                "lines": l.lines, "template": l.template,
            });
            if let Some(layer) = &l.layer {
                text["layer"] = json!(layer);
            }
            texts.push(text);
            texts.len() - 1
        });
        out.push(json!([i, line]));
    }
    let mut bytes = serde_json::to_vec(&json!({ "format": super::output::FORMAT, "texts": texts, "lines": out })).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The path of a view's source records: `detail.md` → `detail.sources.json`.
pub fn records_path(view_path: &str) -> String {
    format!("{}.sources.json", view_path.strip_suffix(".md").unwrap_or(view_path))
}

/// Every file an index entry lists: its artifacts, then its source
/// records, each with what is recorded of it.
pub fn entry_files(entry: &Value) -> impl Iterator<Item = (&String, &Value)> + Clone {
    ["artifacts", "provenance"].into_iter().flat_map(move |field| entry.get(field).and_then(Value::as_object).into_iter().flatten())
}
