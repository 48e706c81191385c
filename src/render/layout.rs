//! Laying rendered texts out as a view: a built-in layout natively, a
//! repository's own through the template engine, then tidied.

use std::collections::BTreeSet;

use super::Renderer;
use super::engine;
use super::rendered::{RenderedPersona, View};
use super::shown::{Shown, tidy};
use crate::diag::Diagnostic;

impl Renderer {
    /// Lays a rendered persona out as one view, leaving out the parts at the
    /// given positions (dropped by the budget). In the detail view, parts,
    /// traits and skills loaded on demand are listed, not inlined.
    pub fn layout(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
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
            return Ok(tidy(&text));
        }
        let ctx = shown.context();
        let template = self.env.get_template(name).map_err(|e| self.template_error(name, e, &ctx))?;
        engine::render(&template, ctx.clone()).map(|text| tidy(&text)).map_err(|e| self.failure(name, e, &ctx))
    }
}
