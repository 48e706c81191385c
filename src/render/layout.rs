//! Laying rendered texts out as a view: a built-in layout natively, a
//! repository's own through the template engine, then tidied; and the
//! same again from texts whose lines are marked, for the view's source
//! records ([`super::sources`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::Value;

use super::Renderer;
use super::bare::substitute;
use super::engine;
use super::marks::{MarkAt, MarkedLine, located_lines, mark_source, read_marks, tidy_marked};
use super::rendered::{RenderedPersona, View};
use super::shown::{Shown, tidy};
use super::sources::{LineSource, Traced};
use crate::diag::Diagnostic;

impl Renderer {
    /// Lays a rendered persona out as one view, leaving out the parts at the
    /// given positions (dropped by the budget). In the detail view, parts,
    /// traits and skills loaded on demand are listed, not inlined.
    pub fn layout(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
        self.layout_raw(persona, view, dropped).map(|text| tidy(&text))
    }

    /// [`Renderer::layout`] before tidying.
    pub(super) fn layout_raw(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
        let shown = Shown::of(persona, view, dropped);
        let name = match view {
            View::Summary => &self.summary_layout,
            View::Detail => &self.detail_layout,
        };
        if let Some(text) = super::builtin::layout(name, &shown) {
            if text.len() > engine::MAX_OUTPUT {
                // No place of its own: the caller puts it at the persona.
                let message = format!(
                    "the {} view of persona `{}` lays out to more than {} MiB",
                    view.as_str(),
                    persona.persona.name,
                    engine::MAX_OUTPUT >> 20
                );
                return Err(Diagnostic::error(crate::diag::code::TEMPLATE_RUNTIME, message).help(
                    "a view may be at most 1 MiB: shorten the texts it shows, or load some of its parts on demand (`load = \"on_demand\"`)",
                ));
            }
            return Ok(text);
        }
        let ctx = shown.context();
        let template = self.env.get_template(name).map_err(|e| self.template_error(name, e, &ctx))?;
        engine::render(&template, ctx.clone()).map_err(|e| self.failure(name, e, &ctx))
    }
}

impl Renderer {
    /// The source of every line of `view`, the view of `traced`'s persona
    /// laid out leaving out `dropped`. `None` when the marked layout does
    /// not give the view back exactly (a layout that measures or rewrites
    /// its texts, a text holding U+E002 or U+E003).
    pub fn sources(&self, traced: &Traced, view_kind: View, dropped: &BTreeSet<usize>, view: &str) -> Option<Vec<LineSource>> {
        let layout = self.layout_name(view_kind);
        let custom = !layout.starts_with("builtin:") && self.origins.source(layout).is_some();
        self.with_marked_lines(traced, None, view_kind, dropped, view, |lines| {
            lines
                .into_iter()
                .map(|(text, mark)| match mark {
                    Some((mark, at)) => traced.record(text.into_owned(), mark, at),
                    None => LineSource {
                        file: custom.then(|| Arc::from(layout.as_str())),
                        line: None,
                        lines: None,
                        definition: layout.clone(),
                        kind: "layout",
                        field: layout_field(&text),
                        layer: None,
                        template: false,
                        at: 0,
                        source: String::new(),
                        text: text.into_owned(),
                    },
                })
                .collect()
        })
    }

    /// [`Renderer::sources`] as the bytes of the view's source records
    /// (`persona`: the rendered persona, if [`Traced::plain`] lent it)
    /// (docs/artifacts.md, *Source records*), written straight from the
    /// marks: `{"format": F, "lines": [[text, line] | "heading", ...],
    /// "texts": [...]}`, each text once.
    pub fn source_record_bytes(
        &self,
        traced: &Traced,
        persona: &RenderedPersona,
        view_kind: View,
        dropped: &BTreeSet<usize>,
        view: &str,
        format: u64,
    ) -> Option<Vec<u8>> {
        self.with_marked_lines(traced, Some(persona), view_kind, dropped, view, |lines| {
            traced.record_bytes(lines.iter().map(|(text, mark)| mark.map(|(m, _)| m).ok_or_else(|| layout_field(text))), format)
        })
    }

    /// `then` of the view's lines laid out from `traced`'s marked texts,
    /// each with its mark, when they give the view back exactly.
    fn with_marked_lines<R>(
        &self,
        traced: &Traced,
        lent: Option<&RenderedPersona>,
        view_kind: View,
        dropped: &BTreeSet<usize>,
        view: &str,
        then: impl FnOnce(Vec<MarkedLine<'_>>) -> R,
    ) -> Option<R> {
        let persona = traced.laid_out(lent)?;
        let raw;
        let lines = match traced.places() {
            Some(places) => {
                let shown = Shown::of(persona, view_kind, dropped);
                let mut out = Locating { out: String::with_capacity(view.len() + 256), places, written: Vec::new() };
                if !super::builtin::layout_into(self.layout_name(view_kind), &shown, &mut out) {
                    return None;
                }
                raw = out.out;
                located_lines(&raw, &out.written)
            }
            None => {
                raw = self.layout_raw(persona, view_kind, dropped).ok()?;
                tidy_marked(&raw)
            }
        };
        // The view again, compared a line at a time.
        let mut rest = view;
        for (content, _) in &lines {
            rest = rest.strip_prefix(&**content)?.strip_prefix('\n')?;
        }
        rest.is_empty().then(|| then(lines))
    }

    fn layout_name(&self, view_kind: View) -> &String {
        match view_kind {
            View::Summary => &self.summary_layout,
            View::Detail => &self.detail_layout,
        }
    }

    /// The source line (from 0) of each line of `expected`, what the
    /// template `source` renders in `ctx` (cleaned), or `None`.
    /// [`Renderer::template_lines`], remembered by source and output.
    pub(super) fn template_lines_of(&self, source: &Arc<str>, ctx: &Value, expected: &str) -> Option<Arc<[usize]>> {
        let known = self.lines.lock().ok().and_then(|m| m.get(&**source).and_then(|by| by.get(expected).cloned()));
        if let Some(known) = known {
            return known;
        }
        let map: Option<Arc<[usize]>> = self.template_lines(source, ctx, expected).map(Into::into);
        if let Ok(mut m) = self.lines.lock() {
            m.entry(source.clone()).or_default().insert(expected.to_string(), map.clone());
        }
        map
    }

    pub(super) fn template_lines(&self, source: &str, ctx: &Value, expected: &str) -> Option<Vec<usize>> {
        let marked = mark_source(source);
        let rendered = match substitute(&marked, ctx) {
            Some(done) => done,
            None => crate::guard::catch(|| self.env.render_str(&marked, ctx.clone())).ok()?.ok()?,
        };
        let mut lines = read_marks(&rendered, MarkAt::First);
        // As `clean` does: leading empty lines and trailing whitespace go.
        let lead = lines.iter().take_while(|(c, _)| c.is_empty()).count();
        lines.drain(..lead);
        while lines.last().is_some_and(|(c, _)| c.trim().is_empty()) {
            lines.pop();
        }
        if let Some((last, _)) = lines.last_mut() {
            let kept = last.trim_end().len();
            last.to_mut().truncate(kept);
        }
        let mut joined = String::with_capacity(expected.len());
        for (i, (content, _)) in lines.iter().enumerate() {
            if i > 0 {
                joined.push('\n');
            }
            joined.push_str(content);
        }
        (joined == expected).then(|| lines.into_iter().map(|(_, at)| at.map_or(0, |(n, _)| n)).collect())
    }
}

/// A view being written by a built-in layout, with where it wrote each
/// text it shows: `(offset, first mark, length)`
/// ([`super::sources::located_lines`]).
struct Locating<'a> {
    out: String,
    places: &'a foldhash::HashMap<usize, (usize, usize)>,
    written: Vec<(usize, usize, usize)>,
}

impl std::fmt::Write for Locating<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if let Some(&(first, len)) = self.places.get(&(s.as_ptr() as usize))
            && len <= s.len()
            && len > 0
        {
            self.written.push((self.out.len(), first, len));
        }
        self.out.push_str(s);
        Ok(())
    }
}

/// What a line the layout wrote itself is.
fn layout_field(text: &str) -> &'static str {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        "blank"
    } else if trimmed.starts_with('#') {
        "heading"
    } else if trimmed.starts_with("- ") || trimmed.starts_with("* ") {
        "listing"
    } else {
        "text"
    }
}
