//! What one view shows, chosen from a persona's rendered texts: the
//! context a layout template receives (documented in docs/templates.md),
//! and the tidying every view gets after it.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::Serde;

use super::rendered::{ItemObject, PartObject, RenderedItem, RenderedPart, RenderedPersona, View, pick, title_case};
use crate::model::Load;

/// What one view of a persona shows, chosen from its rendered texts: the
/// parts the budget kept, and what the detail view lists to load on demand
/// instead of inlining. A layout template receives it as its context
/// ([`Shown::context`]); the built-in layouts are also written natively
/// ([`super::builtin`]).
pub(super) struct Shown<'a> {
    pub view: View,
    pub persona: &'a RenderedPersona,
    /// The persona's own text this view shows.
    pub text: &'a str,
    pub parts: Vec<&'a Arc<RenderedPart>>,
    /// Runs of consecutive parts under one heading, as ranges of `parts`:
    /// parts of one type share their type's heading; a part with a title of
    /// its own has its own.
    pub sections: Vec<std::ops::Range<usize>>,
    pub traits: Vec<&'a Arc<RenderedItem>>,
    pub skills: Vec<&'a Arc<RenderedItem>>,
    pub guardrails: Vec<&'a Arc<RenderedItem>>,
    pub on_demand: Vec<Listed<'a>>,
}

/// One entry of the detail view's on-demand listing.
pub(super) struct Listed<'a> {
    pub kind: &'static str,
    pub name: &'a str,
    /// The part's own title (the rendered text itself, not a copy), or
    /// its name's.
    pub title: std::borrow::Cow<'a, str>,
    pub description: &'a str,
    pub tool: &'static str,
}

impl<'a> Shown<'a> {
    /// What `view` shows of `persona`, leaving out the parts at the given
    /// positions (dropped by the budget).
    pub fn of(persona: &'a RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Shown<'a> {
        let listed = |load: Load| view == View::Detail && load == Load::OnDemand;
        let mut on_demand = Vec::new();
        let mut parts = Vec::new();
        for (i, p) in persona.parts.iter().enumerate() {
            if dropped.contains(&i) {
                continue;
            }
            if listed(p.load) {
                let title = if p.own_title { (&p.title).into() } else { title_case(&p.name).into() };
                let description = if p.description.is_empty() { &p.summary } else { &p.description };
                on_demand.push(Listed { kind: "part", name: &p.name, title, description, tool: "get_agent_part" });
                continue;
            }
            parts.push(p);
        }
        let mut sections = Vec::new();
        let mut start = 0;
        for (i, part) in parts.iter().enumerate() {
            let same_section = |next: &RenderedPart| !part.own_title && !next.own_title && next.part_type == part.part_type;
            if parts.get(i + 1).is_none_or(|next| !same_section(next)) {
                sections.push(start..i + 1);
                start = i + 1;
            }
        }
        let mut items = |list: &'a [Arc<RenderedItem>], kind: &'static str, tool: &'static str| {
            let mut inline = Vec::new();
            for item in list {
                if listed(item.load) {
                    on_demand.push(Listed {
                        kind,
                        name: &item.name,
                        title: title_case(&item.name).into(),
                        description: &item.description,
                        tool,
                    });
                } else {
                    inline.push(item);
                }
            }
            inline
        };
        let traits = items(&persona.traits, "trait", "get_agent_trait");
        let skills = items(&persona.skills, "skill", "get_agent_skill");
        let guardrails = items(&persona.guardrails, "guardrail", "get_agent_guardrail");
        let text = pick(view, &persona.persona.summary, &persona.persona.detail);
        Shown { view, persona, text, parts, sections, traits, skills, guardrails, on_demand }
    }

    /// The context a layout template receives (docs/templates.md). Parts
    /// and items are objects whose fields a template reads on demand:
    /// nothing is copied or serialized that the layout does not use.
    pub fn context(&self) -> Value {
        let view = self.view;
        let parts: Vec<Value> = self.parts.iter().map(|&p| Value::from_object(PartObject { part: p.clone(), view })).collect();
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(|run| {
                let last = &self.parts[run.end - 1];
                Value::from_pairs([
                    ("type", Value::from(last.part_type.as_str())),
                    ("title", Value::from(last.title.as_str())),
                    ("own_title", Value::from(last.own_title)),
                    ("parts", Value::from(parts[run.clone()].to_vec())),
                ])
            })
            .collect();
        let items = |list: &[&Arc<RenderedItem>]| -> Value {
            list.iter().map(|&item| Value::from_object(ItemObject { item: item.clone(), view })).collect()
        };
        let on_demand: Vec<Value> = self
            .on_demand
            .iter()
            .map(|l| {
                Value::from_pairs([
                    ("kind", Value::from(l.kind)),
                    ("name", Value::from(l.name)),
                    ("title", Value::from(&*l.title)),
                    ("description", Value::from(l.description)),
                    ("tool", Value::from(l.tool)),
                ])
            })
            .collect();
        let persona = self.persona;
        Value::from_pairs([
            ("view", Value::from(view.as_str())),
            ("text", Value::from(self.text)),
            ("persona", Value::from(Serde(&persona.persona))),
            ("parts", Value::from(parts)),
            ("sections", Value::from(sections)),
            ("traits", items(&self.traits)),
            ("skills", items(&self.skills)),
            ("guardrails", items(&self.guardrails)),
            ("on_demand", Value::from(on_demand)),
            ("stage", Value::from(Serde(&persona.stage))),
            ("channel", Value::from(persona.channel.clone())),
        ])
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
