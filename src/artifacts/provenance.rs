//! Source records of a persona's views: for every line, the definition's
//! text line (file, line, definition, layer) that made it, or the layout's
//! own line ([`crate::render::LineSource`]).

use crate::budget::Fitted;
use crate::diag::Diagnostic;
use crate::model::{Request, ResolvedPersona};
use crate::render::{LineSource, RenderedPersona, Renderer, View};
use crate::tokens::Tokenizer;

/// One view of a persona as compiled, with the source of each line
/// (`None` when its layout does not give its texts' lines back whole).
pub struct Traced {
    pub view: View,
    pub fitted: Fitted,
    pub lines: Option<Vec<LineSource>>,
}

/// The summary and detail views of one resolved persona, each line with
/// its source.
pub fn traced_views(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
) -> Result<(RenderedPersona, [Traced; 2]), Vec<Diagnostic>> {
    let (rendered, [summary, detail]) = super::persona::views(renderer, tokenizer, resolved)?;
    let traced = renderer.render_traced(resolved)?;
    let of = |view: View, fitted: Fitted| {
        let lines = renderer.sources(&traced, view, &fitted.dropped_at, &fitted.text);
        Traced { view, fitted, lines }
    };
    Ok((rendered, [of(View::Summary, summary), of(View::Detail, detail)]))
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
