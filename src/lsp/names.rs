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

/// What a name names, borrowed from the definitions: looking for one
/// target through every file compares names without copying them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Named<'a> {
    Def(Kind, &'a str),
    Stage { arc: &'a str, stage: &'a str },
    PartType(&'a str),
}

impl Named<'_> {
    fn target(self) -> Target {
        match self {
            Named::Def(kind, name) => Target::Def(kind, name.to_string()),
            Named::Stage { arc, stage } => Target::Stage { arc: arc.to_string(), stage: stage.to_string() },
            Named::PartType(t) => Target::PartType(t.to_string()),
        }
    }
}

impl Target {
    fn named(&self) -> Named<'_> {
        match self {
            Target::Def(kind, name) => Named::Def(*kind, name),
            Target::Stage { arc, stage } => Named::Stage { arc, stage },
            Target::PartType(t) => Named::PartType(t),
        }
    }
}

/// Every name a file writes, in file order.
pub fn occurrences(catalog: &Catalog, snapshot: &Snapshot, path: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    each(catalog, snapshot, path, &mut |span, named, defining| {
        found.push(Occurrence { span: span.clone(), target: named.target(), defining });
    });
    found.sort_by_key(|o| o.span.start);
    found
}

/// Each name a file writes, in no order: its span, what it names, and
/// whether it is the name's own definition.
fn each<'c>(catalog: &'c Catalog, snapshot: &Snapshot, path: &str, found: &mut dyn FnMut(&Range<usize>, Named<'c>, bool)) {
    let Some((kind, name)) = defined_in(catalog, path) else { return };
    let Some(meta) = catalog.meta(kind, &name) else { return };
    own_name(meta, kind, snapshot.get(path).unwrap_or(""), found);
    match kind {
        Kind::Persona => {
            if let Some(p) = catalog.personas.get(&name) {
                persona(p, found);
            }
        }
        Kind::Arc => {
            if let Some(a) = catalog.arcs.get(&name) {
                arc(a, found);
            }
        }
        Kind::Part => {
            if let Some(p) = catalog.parts.get(&name) {
                found(&p.part_type.span, Named::PartType(&p.part_type.value), false);
            }
        }
        Kind::Trait | Kind::Skill | Kind::Guardrail => {}
    }
}

/// Where the definition is named: its `name` field, if it has one (else
/// the name's span is where its fields start).
fn own_name<'c>(meta: &'c Meta, kind: Kind, text: &str, found: &mut dyn FnMut(&Range<usize>, Named<'c>, bool)) {
    if text.get(meta.name_span.clone()).is_some_and(|t| t.contains(meta.name.as_str())) {
        found(&meta.name_span, Named::Def(kind, &meta.name), true);
    }
}

fn persona<'c>(p: &'c Arc<Persona>, found: &mut dyn FnMut(&Range<usize>, Named<'c>, bool)) {
    if let Some(e) = &p.extends {
        found(&e.span, Named::Def(Kind::Persona, &e.value), false);
    }
    for r in &p.parts {
        found(&r.name.span, Named::Def(Kind::Part, &r.name.value), false);
    }
    for l in &p.traits {
        found(&l.name.span, Named::Def(Kind::Trait, &l.name.value), false);
    }
    for l in &p.skills {
        found(&l.name.span, Named::Def(Kind::Skill, &l.name.value), false);
    }
    for g in &p.guardrails {
        found(&g.span, Named::Def(Kind::Guardrail, &g.value), false);
    }
    if let Some(a) = &p.arc {
        found(&a.name.span, Named::Def(Kind::Arc, &a.name.value), false);
        if let Some(stage) = &a.stage {
            found(&stage.span, Named::Stage { arc: &a.name.value, stage: &stage.value }, false);
        }
    }
    for channel in p.channels.iter().flatten() {
        for (part_type, part) in &channel.overrides {
            found(&part_type.span, Named::PartType(&part_type.value), false);
            found(&part.span, Named::Def(Kind::Part, &part.value), false);
        }
    }
}

fn arc<'c>(a: &'c Arc<CharacterArc>, found: &mut dyn FnMut(&Range<usize>, Named<'c>, bool)) {
    for stage in &a.stages {
        found(&stage.name.span, Named::Stage { arc: &a.meta.name, stage: &stage.name.value }, true);
        for p in &stage.parts {
            found(&p.name.span, Named::Def(Kind::Part, &p.name.value), false);
        }
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
    // A file that names a definition or a stage holds its name as written,
    // unless it escapes characters (`\u0074one`): any other file is passed
    // over without reading its definitions (at 10,000 personas, most of a
    // hover's time). A part type may be implied by the part's folder, so
    // every part file is read for one.
    let own = match target {
        Target::Def(kind, name) => catalog.meta(*kind, name).map(|m| &*m.file),
        _ => None,
    };
    let needle = match target {
        Target::Def(_, name) => Some(memchr::memmem::Finder::new(name.as_bytes())),
        Target::Stage { stage, .. } => Some(memchr::memmem::Finder::new(stage.as_bytes())),
        Target::PartType(_) => None,
    };
    let may_name = |file: &str| match (&needle, snapshot.get(file)) {
        (Some(needle), Some(text)) if Some(file) != own => {
            needle.find(text.as_bytes()).is_some() || memchr::memchr(b'\\', text.as_bytes()).is_some()
        }
        _ => true,
    };
    let wanted = target.named();
    let mut found = Vec::new();
    for file in files.into_iter().filter(|f| may_name(f)) {
        let mut here: Vec<Occurrence> = Vec::new();
        each(catalog, snapshot, file, &mut |span, named, defining| {
            if named == wanted {
                here.push(Occurrence { span: span.clone(), target: target.clone(), defining });
            }
        });
        here.sort_by_key(|o| o.span.start);
        found.extend(here.into_iter().map(|o| (file.clone(), o)));
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
