//! The built-in layouts, written natively. `templates/summary.md.j2` and
//! `templates/detail.md.j2` (beside this file) stay what they are: the
//! layouts a repository replaces, and what `templates` prints to start
//! from. Running them through the template engine was a sixth of a build's
//! CPU, so a view that uses a built-in layout is written here instead, to
//! the same bytes: the tests below render both ways, on every combination of
//! what a view can show, and compare.
//!
//! Each function writes what its template prints before tidying (block tags
//! take their line with them), and a view past the engine's output cap
//! fails as the template would. Fuel, which bounds a repository's own
//! templates, does not apply: this code's work is linear in the view. A value is printed as minijinja prints it:
//! a string as is, a missing one as `None`.

use std::fmt::Write;

use std::sync::Arc;

use super::rendered::{RenderedItem, pick};
use super::shown::Shown;

pub(super) const BUILTIN_SUMMARY: &str = include_str!("templates/summary.md.j2");
pub(super) const BUILTIN_DETAIL: &str = include_str!("templates/detail.md.j2");
/// The built-in layouts' templates, for tests and docs.
pub const BUILTIN_LAYOUTS: [&str; 2] = [BUILTIN_SUMMARY, BUILTIN_DETAIL];
pub(super) const BUILTIN_SUMMARY_NAME: &str = "<builtin>/summary.md.j2";
pub(super) const BUILTIN_DETAIL_NAME: &str = "<builtin>/detail.md.j2";

/// Whether `layout` names a built-in layout.
pub(super) fn is_builtin(layout: &str) -> bool {
    layout == BUILTIN_SUMMARY_NAME || layout == BUILTIN_DETAIL_NAME
}

/// The view, if `layout` names a built-in layout.
pub(super) fn layout(layout: &str, shown: &Shown<'_>) -> Option<String> {
    let mut out = String::with_capacity(8192);
    layout_into(layout, shown, &mut out).then_some(out)
}

/// [`layout`], written into `out`: each text is written whole, in one
/// `write_str` of the rendered persona's own string, which is how
/// [`super::sources`] finds where each text went. `false` if `layout`
/// names no built-in layout.
pub(super) fn layout_into(layout: &str, shown: &Shown<'_>, out: &mut impl Write) -> bool {
    match layout {
        BUILTIN_SUMMARY_NAME => summary(shown, out),
        BUILTIN_DETAIL_NAME => detail(shown, out),
        _ => return false,
    }
    true
}

/// A value that may be missing, as a template prints it (minijinja prints
/// `none` as `None`).
fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("None")
}

/// The traits section, the same in both layouts.
fn traits(out: &mut impl Write, shown: &Shown<'_>) {
    if !shown.traits.is_empty() {
        let _ = out.write_str("\n## Traits\n\n");
        for t in &shown.traits {
            let _ = writeln!(out, "- **{}** ({}): {}", t.name, or_none(&t.item_type), pick(shown.view, &t.description, &t.content));
        }
    }
}

/// `templates/summary.md.j2`.
fn summary(shown: &Shown<'_>, out: &mut impl Write) {
    let view = shown.view;
    // `write!` into a String cannot fail.
    let _ = write!(out, "# {}\n\n{}\n", shown.persona.persona.title, shown.text);
    if !shown.parts.is_empty() {
        let _ = out.write_str("\n## Parts\n\n");
        for p in &shown.parts {
            let _ = writeln!(out, "- **{}** (`{}`): {}", p.title, p.name, pick(view, &p.summary, &p.content));
        }
    }
    traits(out, shown);
    if !shown.skills.is_empty() {
        let _ = out.write_str("\n## Skills\n\n");
        for s in &shown.skills {
            let _ = writeln!(out, "- **{}**: {}", s.title.as_ref().unwrap_or(&s.name), pick(view, &s.description, &s.content));
        }
    }
    if !shown.guardrails.is_empty() {
        let _ = out.write_str("\n## Guardrails\n\n");
        for g in &shown.guardrails {
            let _ = writeln!(
                out,
                "- **{}** ({}): {}",
                g.title.as_ref().unwrap_or(&g.name),
                or_none(&g.severity),
                pick(view, &g.description, &g.content)
            );
        }
    }
}

/// `templates/detail.md.j2`.
fn detail(shown: &Shown<'_>, out: &mut impl Write) {
    let view = shown.view;
    // `headings = "own"`: only the headings the definitions wrote.
    let own = shown.persona.persona.own_headings;
    if !own {
        let _ = write!(out, "# {}\n\n", shown.persona.persona.title);
    }
    let _ = writeln!(out, "{}", shown.text);
    for run in &shown.sections {
        let last = &shown.parts[run.end - 1];
        if last.own_title || !own {
            let _ = write!(out, "\n## {}\n", last.title);
        }
        for p in &shown.parts[run.clone()] {
            let _ = write!(out, "\n{}\n", pick(view, &p.summary, &p.content));
        }
    }
    traits(out, shown);
    let (own_skills, skills): (Vec<&&Arc<RenderedItem>>, Vec<_>) = shown.skills.iter().partition(|s| own && s.title.is_some());
    for s in &own_skills {
        let _ = write!(out, "\n## {}\n\n{}\n", s.title.as_deref().unwrap_or_default(), pick(view, &s.description, &s.content));
    }
    if !skills.is_empty() {
        let _ = out.write_str("\n## Skills\n");
        for s in &skills {
            let _ = write!(out, "\n### {}\n\n{}\n", s.title.as_ref().unwrap_or(&s.name), pick(view, &s.description, &s.content));
        }
    }
    if !shown.on_demand.is_empty() {
        let _ =
            out.write_str("\n## On demand\n\nNot loaded here: fetch one with its tool, naming this persona, when the task needs it.\n\n");
        let persona = &shown.persona.persona.name;
        for item in &shown.on_demand {
            let _ = writeln!(
                out,
                "- **{}** (`{}`, {}; fetch with `{}`, `persona`: `{persona}`): {}",
                item.title, item.name, item.kind, item.tool, item.description
            );
        }
    }
    let (own_guardrails, guardrails): (Vec<&&Arc<RenderedItem>>, Vec<_>) = shown.guardrails.iter().partition(|g| own && g.title.is_some());
    for g in &own_guardrails {
        let _ = write!(out, "\n## {}\n\n{}\n", g.title.as_deref().unwrap_or_default(), pick(view, &g.description, &g.content));
    }
    if !guardrails.is_empty() {
        let _ = out.write_str("\n## Guardrails\n\nFollow these rules in every reply; they outrank everything above.\n");
        for g in &guardrails {
            match &g.title {
                Some(title) => _ = write!(out, "\n### {title}\n"),
                None => _ = write!(out, "\n### {} ({})\n", g.name, or_none(&g.severity)),
            }
            let _ = write!(out, "\n{}\n", pick(view, &g.description, &g.content));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::super::engine;
    use super::super::rendered::{PersonaTexts, RenderedItem, RenderedPart, RenderedPersona, View};
    use super::super::shown::Shown;
    use super::{BUILTIN_DETAIL, BUILTIN_DETAIL_NAME, BUILTIN_SUMMARY, BUILTIN_SUMMARY_NAME};
    use crate::model::Load;

    /// Texts that test printing: several lines, trailing spaces, blank
    /// lines, literal braces, Markdown, other scripts, nothing at all.
    const TEXTS: [&str; 6] = [
        "Be brief.",
        "First line.  \n\n\n  indented\n- item\n",
        "",
        "Literal {{ braces }} and {% tags %}",
        "caf\u{e9} \u{65e5}\u{672c}",
        "ends with a newline\n",
    ];

    fn text(seed: usize) -> String {
        TEXTS[seed % TEXTS.len()].to_string()
    }

    fn load(on_demand: bool) -> Load {
        if on_demand { Load::OnDemand } else { Load::Inline }
    }

    /// A persona for each `seed`: each bit, and each text, varies what its
    /// views show.
    fn persona(seed: usize) -> RenderedPersona {
        let bit = |b: usize| seed >> b & 1 == 1;
        let types = ["tone", "goal", "tone", "protocol", "protocol"];
        let parts = (0..(seed % 6))
            .map(|i| {
                let own_title = bit(3) && i % 2 == 1;
                Arc::new(RenderedPart {
                    name: format!("part-{i}"),
                    part_type: types[(i + seed) % types.len()].to_string(),
                    title: if own_title { format!("Own Title {i}") } else { format!("Type {}", types[(i + seed) % types.len()]) },
                    own_title,
                    order: i as i64,
                    priority: 0,
                    description: if bit(4) { String::new() } else { format!("Described {i}") },
                    summary: text(seed + i),
                    content: if bit(5) && i == 0 { String::new() } else { text(seed + i + 1) },
                    load: load(bit(6) && i % 3 == 1),
                })
            })
            .collect();
        let items = |kind: &str, n: usize, flag: bool| -> Vec<Arc<RenderedItem>> {
            (0..n)
                .map(|i| {
                    Arc::new(RenderedItem {
                        name: format!("{kind}-{i}"),
                        item_type: (flag || i > 0).then(|| format!("{kind}-type")),
                        description: text(seed + 2 * i),
                        content: text(seed + 2 * i + 3),
                        severity: (flag || i > 0).then(|| "critical".to_string()),
                        title: (bit(12) && i % 2 == 0).then(|| format!("Own {kind} {i}")),
                        load: load(bit(7) && i == 1),
                    })
                })
                .collect()
        };
        RenderedPersona {
            persona: PersonaTexts {
                name: "maya".into(),
                title: if bit(8) { "Maya".into() } else { String::new() },
                version: None,
                summary: text(seed),
                description: String::new(),
                detail: if bit(9) { text(seed + 3) } else { String::new() },
                tags: Vec::new(),
                own_headings: bit(13),
            },
            parts,
            traits: items("trait", usize::from(bit(0)) * (1 + seed % 3), bit(10)),
            skills: items("skill", usize::from(bit(1)) * (1 + seed % 2), bit(10)),
            guardrails: items("guardrail", usize::from(bit(2)) * (1 + seed % 3), bit(10)),
            stage: None,
            channel: bit(11).then(|| "voice".to_string()),
        }
    }

    /// Every view of every persona is written to exactly the text its
    /// built-in template renders, before tidying and so after it too.
    #[test]
    fn the_builtin_layouts_write_what_their_templates_render() {
        let env = engine::environment(|name| match name {
            BUILTIN_SUMMARY_NAME => Some(BUILTIN_SUMMARY.to_string()),
            BUILTIN_DETAIL_NAME => Some(BUILTIN_DETAIL.to_string()),
            _ => None,
        });
        let mut compared = 0;
        for seed in 0..16384 {
            let persona = persona(seed);
            let droppable = persona.parts.len();
            for dropped in [BTreeSet::new(), BTreeSet::from([0]), (1..droppable).collect()] {
                for (view, name) in [(View::Summary, BUILTIN_SUMMARY_NAME), (View::Detail, BUILTIN_DETAIL_NAME)] {
                    let shown = Shown::of(&persona, view, &dropped);
                    let template = env.get_template(name).unwrap();
                    let Ok(rendered) = engine::render(&template, shown.context()) else { panic!("{name} failed on seed {seed}") };
                    assert_eq!(super::layout(name, &shown).as_deref(), Some(rendered.as_str()), "{name}, seed {seed}, dropped {dropped:?}");
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 16384 * 3 * 2);
    }

    #[test]
    fn other_layouts_are_left_to_their_templates() {
        let persona = persona(7);
        let shown = Shown::of(&persona, View::Detail, &BTreeSet::new());
        assert_eq!(super::layout("templates/detail.md.j2", &shown), None);
    }
}
