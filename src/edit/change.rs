//! What an edit is (a change to a persona's links or arc, or to an arc's
//! stages), why one is refused, and what every form's editor shares: the
//! file's fields region, and TOML arrays changed keeping their layout.

use std::sync::Arc;

use toml_edit::{Array, Value};

use crate::diag::Diagnostic;
use crate::model::{Kind, Persona};
use crate::parse::{self, Syntax};

/// A persona's link lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkField {
    Parts,
    Traits,
    Skills,
    Guardrails,
}

impl LinkField {
    pub fn key(self) -> &'static str {
        match self {
            LinkField::Parts => "parts",
            LinkField::Traits => "traits",
            LinkField::Skills => "skills",
            LinkField::Guardrails => "guardrails",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            LinkField::Parts => Kind::Part,
            LinkField::Traits => Kind::Trait,
            LinkField::Skills => Kind::Skill,
            LinkField::Guardrails => Kind::Guardrail,
        }
    }

    pub(super) fn names(self, p: &Persona) -> Vec<String> {
        match self {
            LinkField::Parts => p.parts.iter().map(|r| r.name.value.clone()).collect(),
            LinkField::Traits => p.traits.iter().map(|l| l.name.value.clone()).collect(),
            LinkField::Skills => p.skills.iter().map(|l| l.name.value.clone()).collect(),
            LinkField::Guardrails => p.guardrails.iter().map(|s| s.value.clone()).collect(),
        }
    }
}

/// One change to a persona's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Link {
        field: LinkField,
        name: String,
        order: Option<i64>,
        priority: Option<i64>,
    },
    Unlink {
        field: LinkField,
        name: String,
    },
    /// Sets `arc`; no stage means the arc's first (the key is removed).
    SetArc {
        name: String,
        stage: Option<String>,
    },
}

/// Why an edit was refused; nothing was written.
#[derive(Debug)]
pub enum Refusal {
    /// The edit itself cannot be made, with a message and a hint.
    Edit(String),
    /// The result would not compile.
    Invalid(Vec<Diagnostic>),
}

pub(super) fn refuse<T>(message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Edit(message.into()))
}

/// A change to an arc's stages.
pub enum ArcChange<'a> {
    AddStage { name: &'a str, description: Option<&'a str>, condition: Option<&'a str>, parts: &'a [String] },
    AddStagePart { stage: &'a str, part: &'a str },
    RemoveStagePart { stage: &'a str, part: &'a str },
}

/// The syntax and byte range of a file's fields.
pub(super) fn fields_region(path: &Arc<str>, text: &str) -> Result<(Syntax, std::ops::Range<usize>), Refusal> {
    if let Some(syntax) = Syntax::of_path(path) {
        Ok((syntax, 0..text.len()))
    } else {
        let fm = parse::front_matter(path, text).map_err(|d| Refusal::Invalid(vec![d]))?;
        Ok((fm.syntax, fm.fields))
    }
}

/// Appends to an array the way its elements are already laid out.
pub(super) fn push_like_the_others(array: &mut Array, mut value: Value) {
    let len = array.len();
    if len == 0 {
        array.push(value);
        return;
    }
    let last = array.get_mut(len - 1).expect("len > 0");
    let prefix = last.decor().prefix().and_then(|p| p.as_str()).unwrap_or(if len == 1 { " " } else { "" }).to_string();
    // The new element takes the last one's line break and indentation, not
    // the comments above it.
    let prefix = match prefix.rfind('\n') {
        Some(at) => format!("\n{}", &prefix[at + 1..]),
        None if len == 1 => " ".to_string(),
        None => prefix,
    };
    // The last element's trailing space (before `]` when there is no trailing
    // comma) moves to the new last element.
    let suffix = last.decor().suffix().and_then(|s| s.as_str()).unwrap_or("").to_string();
    last.decor_mut().set_suffix("");
    value.decor_mut().set_prefix(prefix);
    value.decor_mut().set_suffix(suffix);
    array.push_formatted(value);
}

/// Removes an element; the layout of the others stays as it was.
pub(super) fn remove_keeping_layout(array: &mut Array, index: usize) {
    let removed = array.remove(index);
    let len = array.len();
    if index == len && len > 0 {
        let suffix = removed.decor().suffix().and_then(|s| s.as_str()).unwrap_or("").to_string();
        if let Some(last) = array.get_mut(len - 1) {
            last.decor_mut().set_suffix(suffix);
        }
    } else if index == 0 && len > 0 {
        let prefix = removed.decor().prefix().and_then(|s| s.as_str()).unwrap_or("").to_string();
        if let Some(first) = array.get_mut(0) {
            first.decor_mut().set_prefix(prefix);
        }
    }
}
