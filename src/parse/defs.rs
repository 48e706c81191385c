//! Reads each kind's fields from a parsed tree: required fields, field types,
//! unknown fields (with "did you mean"), names, and the Markdown body.

use std::sync::Arc;

use super::node::Value;
use super::persona::{PERSONA_FIELDS, one_line_title, read_mode, read_persona};
use super::reader::{COMMON, Reader};
use super::syntax::{Document, Syntax, is_valid_name, suggest_name};
use crate::diag::{Diagnostic, code};
use crate::model::*;

/// Each kind's own fields beside the common ones: part, trait, skill,
/// guardrail, arc (a persona's are `PERSONA_FIELDS`).
const OWN_FIELDS: [&[&str]; 5] = [
    &["type", "summary", "content", "title"],
    &["type", "instruction"],
    &["content", "title"],
    &["content", "severity", "title"],
    &["summary", "stages"],
];

/// The fields a kind's file takes, the common ones first.
pub fn fields(kind: Kind) -> Vec<&'static str> {
    let own: &[&str] = match kind {
        Kind::Part => OWN_FIELDS[0],
        Kind::Trait => OWN_FIELDS[1],
        Kind::Skill => OWN_FIELDS[2],
        Kind::Guardrail => OWN_FIELDS[3],
        Kind::Arc => OWN_FIELDS[4],
        Kind::Persona => &PERSONA_FIELDS,
    };
    [&COMMON[..], own].concat()
}

pub(super) fn read_definition(file: &Arc<str>, text: &str, kind: Kind, stem: &str, doc: Document) -> Result<Definition, Vec<Diagnostic>> {
    let what = format!("{kind} `{stem}`");
    let mut r = Reader::new(file, text, doc.syntax, what, &doc.fields, doc.anchor.clone()).map_err(|d| vec![d])?;

    // The name: the file stem, which a `name` field may repeat.
    let mut name_span = doc.anchor.clone();
    if let Some(name) = r.string("name") {
        if name.value != stem {
            r.diags.push(
                Diagnostic::error(code::NAME_MISMATCH, format!("`name` is `{}` but the file is named `{stem}`", name.value))
                    .at(file, name.span.clone())
                    .help(format!("a definition's name is its file name: remove `name`, or rename the file to `{}`", name.value)),
            );
        }
        name_span = name.span;
    }
    if !is_valid_name(stem) {
        let mut diag = Diagnostic::error(code::INVALID_NAME, format!("`{stem}` is not a valid {kind} name"))
            .at(file, doc.anchor.clone())
            .help("names use lowercase letters, digits, `-` and `_`, start with a letter or digit, and have at most 64 characters");
        if let Some(fixed) = suggest_name(stem) {
            diag = diag.help(format!("rename the file to `{}`", file.replacen(stem, &fixed, 1).rsplit('/').next().unwrap_or(&fixed)));
        }
        r.diags.push(diag);
    }

    let description = r.text("description");
    let tags = r.string_list("tags").unwrap_or_default();
    let template = r.bool("template").is_none_or(|t| t.value);
    // A JSON file names its schema in `$schema`, as editors expect; other
    // forms name it in a comment.
    if doc.syntax == Syntax::Json {
        let _ = r.string("$schema");
    }
    let meta = Meta { name: stem.to_string(), file: file.clone(), name_span, description, tags, template };
    let mut common = COMMON.to_vec();
    if doc.syntax == Syntax::Json {
        common.push("$schema");
    }

    // The Markdown body fills the kind's long-text field.
    let body = doc.body.map(|(source, offset)| Text {
        span: offset..offset + source.len(),
        lines: [(0, offset)].into(),
        file_lines: super::node::line_numbers(text, offset, &[(0, offset)]).into(),
        table: Default::default(),
        source: source.into(),
    });
    let mut long_text = |r: &mut Reader, field: &str| -> Option<Text> {
        let in_fields = r.text(field);
        match (in_fields, &body) {
            (Some(t), Some(_)) => {
                r.diags.push(
                    Diagnostic::error(
                        code::BODY_AND_FIELD,
                        format!("`{field}` is given both in the front matter and as the Markdown body"),
                    )
                    .at(file, t.span.clone())
                    .help(format!("keep one: remove `{field}` from the front matter, or empty the body")),
                );
                None
            }
            (Some(t), None) => Some(t),
            (None, b) => b.clone(),
        }
    };

    match kind {
        Kind::Part => {
            let part_type = r.string("type");
            let part_type = r.require("type", part_type, "\"tone\"");
            let summary = r.text("summary");
            let summary = r.require("summary", summary, "\"...\"");
            let content = long_text(&mut r, "content");
            let title = r.text("title").filter(|t| one_line_title(&mut r, t));
            let diags = r.finish(&[&common[..], OWN_FIELDS[0]].concat());
            finish_or(diags, || Some(Definition::Part(Arc::new(Part { meta, part_type: part_type?, summary: summary?, content, title }))))
        }
        Kind::Trait => {
            let trait_type = r.one_of("type", &TRAIT_TYPES, code::UNKNOWN_TRAIT_TYPE, "trait type", "trait types");
            let trait_type = r.require("type", trait_type, "\"personality\"");
            if meta.description.is_none() {
                r.require::<()>("description", None, "\"...\"");
            }
            let instruction = long_text(&mut r, "instruction");
            let diags = r.finish(&[&common[..], OWN_FIELDS[1]].concat());
            finish_or(diags, || Some(Definition::Trait(Arc::new(Trait { meta, trait_type: trait_type?, instruction }))))
        }
        Kind::Skill => {
            if meta.description.is_none() {
                r.require::<()>("description", None, "\"...\"");
            }
            let content = long_text(&mut r, "content");
            let title = r.text("title").filter(|t| one_line_title(&mut r, t));
            let diags = r.finish(&[&common[..], OWN_FIELDS[2]].concat());
            finish_or(diags, || Some(Definition::Skill(Arc::new(Skill { meta, content, title, folder: None }))))
        }
        Kind::Guardrail => {
            if meta.description.is_none() {
                r.require::<()>("description", None, "\"...\"");
            }
            let content = long_text(&mut r, "content");
            let severity = if r.entries.iter().any(|e| e.key == "severity") {
                r.one_of("severity", &SEVERITIES, code::UNKNOWN_SEVERITY, "severity", "severities")
            } else {
                Some(Spanned::new("medium".to_string(), 0..0))
            };
            let title = r.text("title").filter(|t| one_line_title(&mut r, t));
            let diags = r.finish(&[&common[..], OWN_FIELDS[3]].concat());
            finish_or(diags, || Some(Definition::Guardrail(Arc::new(Guardrail { meta, content, severity: severity?, title }))))
        }
        Kind::Arc => {
            let summary = r.text("summary");
            let stages = read_stages(&mut r, stem);
            let stages = r.require("stages", stages, "[{ name = \"start\", parts = [] }]");
            let diags = r.finish(&[&common[..], OWN_FIELDS[4]].concat());
            finish_or(diags, || Some(Definition::Arc(Arc::new(CharacterArc { meta, summary, stages: stages? }))))
        }
        Kind::Persona => {
            let persona = read_persona(&mut r, meta, &mut long_text);
            let diags = r.finish(&[&common[..], &PERSONA_FIELDS[..]].concat());
            finish_or(diags, || persona.map(|p| Definition::Persona(Arc::new(p))))
        }
    }
}

/// The definition, if reading it found no error. Every missing field has a
/// diagnostic, so `make` returns `None` only with diagnostics to show.
fn finish_or(diags: Vec<Diagnostic>, make: impl FnOnce() -> Option<Definition>) -> Result<Definition, Vec<Diagnostic>> {
    match (diags.is_empty(), make()) {
        (true, Some(definition)) => Ok(definition),
        (true, None) => Err(vec![Diagnostic::error(
            code::MISSING_FIELD,
            "a required field is missing (personac could not say which: please report this)",
        )]),
        (false, _) => Err(diags),
    }
}

fn read_stages(r: &mut Reader, arc: &str) -> Option<Vec<Stage>> {
    let entry = r.take("stages")?;
    let Value::List(items) = &entry.node.value else {
        r.type_error(entry, "a list of stage tables");
        return None;
    };
    if items.is_empty() {
        r.diags.push(
            Diagnostic::error(code::INVALID_VALUE, format!("arc `{arc}` has no stages"))
                .at(r.file, entry.node.span.clone())
                .help("an arc needs at least one stage: `{ name = \"start\", condition = \"...\", parts = [] }`"),
        );
        return None;
    }
    let mut stages: Vec<Stage> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let what = format!("stage {} of arc `{arc}`", i + 1);
        let mut sub = match Reader::new(r.file, r.text, r.syntax, what, item, item.span.clone()) {
            Ok(sub) => sub,
            Err(diag) => {
                r.diags.push(diag);
                continue;
            }
        };
        let name = sub.string("name");
        let name = sub.require("name", name, "\"start\"").filter(|n| sub.check_name_ref(n));
        let description = sub.text("description");
        let condition = sub.text("condition");
        let parts = read_stage_parts(&mut sub);
        let diags = sub.finish(&["name", "description", "condition", "parts"]);
        r.diags.extend(diags);
        if let Some(name) = name {
            if let Some(first) = stages.iter().find(|s| s.name.value == name.value) {
                let (line, _) = crate::diag::line_col(r.text, first.name.span.start);
                r.diags.push(
                    Diagnostic::error(code::DUPLICATE_STAGE, format!("arc `{arc}` has two stages named `{}`", name.value))
                        .at(r.file, name.span.clone())
                        .label(format!("the first is on line {line}"))
                        .help("stage names are unique within an arc; rename one of them"),
                );
                continue;
            }
            stages.push(Stage { name, description, condition, parts });
        }
    }
    Some(stages)
}

/// A stage's parts: names, or `{ name, mode }` tables.
fn read_stage_parts(r: &mut Reader) -> Vec<StagePart> {
    let Some(entry) = r.take("parts") else { return Vec::new() };
    let Value::List(items) = &entry.node.value else {
        r.type_error(entry, "a list of part names or `{ name, mode }` tables");
        return Vec::new();
    };
    let mut parts = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => {
                let name = Spanned::new(s.clone(), item.span.clone());
                if r.check_name_ref(&name) {
                    parts.push(StagePart { name, mode: Mode::Replace });
                }
            }
            Value::Table(_) => {
                let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, "a stage part".into(), item, item.span.clone()) else { continue };
                let name = sub.string("name");
                let name = sub.require("name", name, "\"...\"").filter(|n| sub.check_name_ref(n));
                let mode = read_mode(&mut sub);
                let diags = sub.finish(&["name", "mode"]);
                let ok = diags.is_empty();
                r.diags.extend(diags);
                if let (true, Some(name)) = (ok, name) {
                    parts.push(StagePart { name, mode });
                }
            }
            other => r.diags.push(
                Diagnostic::error(
                    code::FIELD_TYPE,
                    format!("a stage part is a name or a `{{ name, mode }}` table, found {}", other.describe()),
                )
                .at(r.file, item.span.clone()),
            ),
        }
    }
    parts
}
