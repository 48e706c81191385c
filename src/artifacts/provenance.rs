//! Source records of a persona's views: for every line, the definition's
//! text line (file, line, definition, layer) that made it, or the layout's
//! own line ([`crate::render::LineSource`]).

use serde_json::Value;

use crate::budget::Fitted;
use crate::model::{Request, ResolvedPersona};
use crate::render::{LineSource, RenderedPersona, Renderer, View};

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
/// (docs/artifacts.md, *Source records*), from its traced texts (and
/// `rendered`, the persona [`crate::render::Traced::plain`] gave):
/// `None` for a view whose layout cannot be traced.
pub(super) fn records(
    renderer: &Renderer,
    traced: &crate::render::Traced,
    rendered: &RenderedPersona,
    fitted: &[Fitted; 2],
) -> [Option<Vec<u8>>; 2] {
    let of = |i: usize| {
        let view = View::BOTH[i];
        renderer.source_record_bytes(traced, rendered, view, &fitted[i].dropped_at, &fitted[i].text, super::output::FORMAT)
    };
    [of(0), of(1)]
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
