//! Every name a definition file writes, with its span and what it names:
//! the one table that go-to-definition, references, rename, hover and
//! document symbols read. It comes from the parsed definitions (which carry
//! the span of every reference), so it covers the four file forms alike.

use std::ops::Range;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::model::{CharacterArc, Kind, Meta, Persona};
use crate::snapshot::Snapshot;

/// What a name names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Def(Kind, String),
    Stage { arc: String, stage: String },
    PartType(String),
}

/// A name written in a file.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub span: Range<usize>,
    pub target: Target,
    /// The name's own definition (a `name` field, an arc's stage name),
    /// not a reference to it.
    pub defining: bool,
}

/// The definition a file holds, as the catalog has it.
pub fn defined_in(catalog: &Catalog, path: &str) -> Option<(Kind, String)> {
    let (kind, stem) = Kind::of_path(path)?;
    if catalog.meta(kind, stem).is_some_and(|m| &*m.file == path) {
        return Some((kind, stem.to_string()));
    }
    // An Agent Skills folder's SKILL.md: named by its folder.
    catalog.skills.values().find(|s| &*s.meta.file == path).map(|s| (Kind::Skill, s.meta.name.clone()))
}

/// Every name a file writes, in file order.
pub fn occurrences(catalog: &Catalog, snapshot: &Snapshot, path: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let Some((kind, name)) = defined_in(catalog, path) else { return found };
    let Some(meta) = catalog.meta(kind, &name) else { return found };
    own_name(meta, kind, snapshot.get(path).unwrap_or(""), &mut found);
    match kind {
        Kind::Persona => {
            if let Some(p) = catalog.personas.get(&name) {
                persona(p, &mut found);
            }
        }
        Kind::Arc => {
            if let Some(a) = catalog.arcs.get(&name) {
                arc(a, &mut found);
            }
        }
        Kind::Part => {
            if let Some(p) = catalog.parts.get(&name) {
                found.push(reference(&p.part_type.span, Target::PartType(p.part_type.value.clone())));
            }
        }
        Kind::Trait | Kind::Skill | Kind::Guardrail => {}
    }
    found.sort_by_key(|o| o.span.start);
    found
}

/// Where the definition is named: its `name` field, if it has one (else
/// the name's span is where its fields start).
fn own_name(meta: &Meta, kind: Kind, text: &str, found: &mut Vec<Occurrence>) {
    if text.get(meta.name_span.clone()).is_some_and(|t| t.contains(meta.name.as_str())) {
        found.push(Occurrence { span: meta.name_span.clone(), target: Target::Def(kind, meta.name.clone()), defining: true });
    }
}

fn reference(span: &Range<usize>, target: Target) -> Occurrence {
    Occurrence { span: span.clone(), target, defining: false }
}

fn persona(p: &Arc<Persona>, found: &mut Vec<Occurrence>) {
    let def = |kind: Kind, name: &str| Target::Def(kind, name.to_string());
    if let Some(e) = &p.extends {
        found.push(reference(&e.span, def(Kind::Persona, &e.value)));
    }
    found.extend(p.parts.iter().map(|r| reference(&r.name.span, def(Kind::Part, &r.name.value))));
    found.extend(p.traits.iter().map(|l| reference(&l.name.span, def(Kind::Trait, &l.name.value))));
    found.extend(p.skills.iter().map(|l| reference(&l.name.span, def(Kind::Skill, &l.name.value))));
    found.extend(p.guardrails.iter().map(|g| reference(&g.span, def(Kind::Guardrail, &g.value))));
    if let Some(a) = &p.arc {
        found.push(reference(&a.name.span, def(Kind::Arc, &a.name.value)));
        if let Some(stage) = &a.stage {
            found.push(reference(&stage.span, Target::Stage { arc: a.name.value.clone(), stage: stage.value.clone() }));
        }
    }
    for channel in p.channels.iter().flatten() {
        for (part_type, part) in &channel.overrides {
            found.push(reference(&part_type.span, Target::PartType(part_type.value.clone())));
            found.push(reference(&part.span, def(Kind::Part, &part.value)));
        }
    }
}

fn arc(a: &Arc<CharacterArc>, found: &mut Vec<Occurrence>) {
    for stage in &a.stages {
        let target = Target::Stage { arc: a.meta.name.clone(), stage: stage.name.value.clone() };
        found.push(Occurrence { span: stage.name.span.clone(), target, defining: true });
        found.extend(stage.parts.iter().map(|p| reference(&p.name.span, Target::Def(Kind::Part, p.name.value.clone()))));
    }
}

/// The name at a byte offset of a file (the innermost, if spans nest).
pub fn at(catalog: &Catalog, snapshot: &Snapshot, path: &str, offset: usize) -> Option<Occurrence> {
    occurrences(catalog, snapshot, path).into_iter().filter(|o| o.span.start <= offset && offset <= o.span.end).min_by_key(|o| o.span.len())
}

/// Every place a target is written, by file, in every persona and arc
/// (references; with `defining`, its own names too).
pub fn references(catalog: &Catalog, snapshot: &Snapshot, target: &Target) -> Vec<(Arc<str>, Occurrence)> {
    let mut files: Vec<&Arc<str>> = catalog.personas.values().map(|p| &p.meta.file).collect();
    files.extend(catalog.arcs.values().map(|a| &a.meta.file));
    if let Some((kind, name)) = match target {
        Target::Def(kind, name) => Some((*kind, name.as_str())),
        _ => None,
    } && let Some(meta) = catalog.meta(kind, name)
        && !files.contains(&&meta.file)
    {
        files.push(&meta.file);
    }
    if matches!(target, Target::PartType(_)) {
        files.extend(catalog.parts.values().map(|p| &p.meta.file));
    }
    files.sort();
    files.dedup();
    let mut found = Vec::new();
    for file in files {
        found.extend(occurrences(catalog, snapshot, file).into_iter().filter(|o| &o.target == target).map(|o| (file.clone(), o)));
    }
    found
}

/// Where a target is defined: its file and the span of its name (the
/// file's start when it has no `name` field).
pub fn definition(catalog: &Catalog, target: &Target) -> Option<(Arc<str>, Range<usize>)> {
    match target {
        Target::Def(kind, name) => catalog.meta(*kind, name).map(|m| (m.file.clone(), m.name_span.clone())),
        Target::Stage { arc, stage } => {
            let a = catalog.arcs.get(arc)?;
            let s = a.stages.iter().find(|s| &s.name.value == stage)?;
            Some((a.meta.file.clone(), s.name.span.clone()))
        }
        Target::PartType(t) => {
            let declared = catalog.config.part_types.iter().find(|p| &p.value == t)?;
            Some((catalog.config_file.clone()?, declared.span.clone()))
        }
    }
}
