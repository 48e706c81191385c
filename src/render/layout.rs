//! Laying rendered texts out as a view: the context a layout template
//! receives (documented in docs/templates.md), and the tidying every view
//! gets after it.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::Serde;

use super::rendered::{ItemObject, PartObject, RenderedItem, RenderedPersona, pick, title_case};
use super::{Renderer, View, engine};
use crate::diag::Diagnostic;
use crate::model::Load;

/// One entry of the detail view's on-demand listing.
fn listing(kind: &str, name: &str, title: &str, description: &str, tool: &str) -> Value {
    Value::from_pairs([
        ("kind", Value::from(kind)),
        ("name", Value::from(name)),
        ("title", Value::from(title)),
        ("description", Value::from(description)),
        ("tool", Value::from(tool)),
    ])
}

impl Renderer {
    /// Lays a rendered persona out as one view, leaving out the parts at the
    /// given positions (dropped by the budget). In the detail view, parts,
    /// traits and skills loaded on demand are listed, not inlined.
    pub fn layout(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
        let listed = |load: Load| view == View::Detail && load == Load::OnDemand;
        let mut on_demand: Vec<Value> = Vec::new();
        // Parts and items are objects whose fields a template reads on
        // demand: nothing is copied or serialized that the layout does not use.
        let mut parts: Vec<(&super::RenderedPart, Value)> = Vec::new();
        for (i, p) in persona.parts.iter().enumerate() {
            if dropped.contains(&i) {
                continue;
            }
            if listed(p.load) {
                let title = if p.own_title { p.title.clone() } else { title_case(&p.name) };
                let description = if p.description.is_empty() { &p.summary } else { &p.description };
                on_demand.push(listing("part", &p.name, &title, description, "get_agent_part"));
                continue;
            }
            parts.push((p, Value::from_object(PartObject { part: p.clone(), view })));
        }
        // Consecutive parts of one type share their type's heading; a part
        // with a title of its own has its own.
        let mut sections: Vec<Value> = Vec::new();
        let mut run: Vec<Value> = Vec::new();
        for (i, (part, value)) in parts.iter().enumerate() {
            run.push(value.clone());
            let same_section = |next: &super::RenderedPart| !part.own_title && !next.own_title && next.part_type == part.part_type;
            if parts.get(i + 1).is_none_or(|(next, _)| !same_section(next)) {
                let section = [
                    ("type", Value::from(part.part_type.as_str())),
                    ("title", Value::from(part.title.as_str())),
                    ("parts", Value::from(std::mem::take(&mut run))),
                ];
                sections.push(Value::from_pairs(section));
            }
        }
        let mut items = |list: &[Arc<RenderedItem>], kind: &str, tool: &str| -> Value {
            let mut inline = Vec::new();
            for item in list {
                if listed(item.load) {
                    on_demand.push(listing(kind, &item.name, &title_case(&item.name), &item.description, tool));
                } else {
                    inline.push(Value::from_object(ItemObject { item: item.clone(), view }));
                }
            }
            Value::from(inline)
        };
        let traits = items(&persona.traits, "trait", "get_agent_trait");
        let skills = items(&persona.skills, "skill", "get_agent_skill");
        let guardrails = items(&persona.guardrails, "guardrail", "get_agent_guardrail");
        let ctx = Value::from_pairs([
            ("view", Value::from(view.as_str())),
            ("text", Value::from(pick(view, &persona.persona.summary, &persona.persona.detail))),
            ("persona", Value::from(Serde(&persona.persona))),
            ("parts", parts.into_iter().map(|(_, v)| v).collect()),
            ("sections", Value::from(sections)),
            ("traits", traits),
            ("skills", skills),
            ("guardrails", guardrails),
            ("on_demand", Value::from(on_demand)),
            ("stage", Value::from(Serde(&persona.stage))),
            ("channel", Value::from(persona.channel.clone())),
        ]);
        let name = match view {
            View::Summary => &self.summary_layout,
            View::Detail => &self.detail_layout,
        };
        let template = self.env.get_template(name).map_err(|e| self.template_error(name, e, &ctx))?;
        engine::render(&template, ctx.clone()).map(|text| tidy(&text)).map_err(|e| self.failure(name, e, &ctx))
    }
}

/// Every view ends tidy: no trailing spaces, never more than one blank line
/// in a row, and one newline at the end.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim_start_matches('\n').lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn views_are_tidy() {
        assert_eq!(tidy("# A  \n\n\n\nText\t\n- one\n\n\n- two\n\n"), "# A\n\nText\n- one\n\n- two\n");
        assert_eq!(tidy("\n\nx"), "x\n");
        assert_eq!(tidy(""), "");
    }
}
