//! Reads each kind's fields from a parsed tree: required fields, field types,
//! unknown fields (with "did you mean"), names, and the Markdown body.

use std::ops::Range;
use std::sync::Arc;

use super::node::{Entry, Node, Value, line_origins};
use super::persona::{PERSONA_FIELDS, one_line_title, read_mode, read_persona};
use super::{Document, Syntax, is_identifier, is_valid_name, suggest_name};
use crate::diag::{Diagnostic, code};
use crate::model::*;

const COMMON: [&str; 4] = ["name", "description", "tags", "template"];

/// Reads the fields of one table, remembering which were used.
pub(super) struct Reader<'a> {
    pub(super) file: &'a Arc<str>,
    pub(super) text: &'a str,
    pub(super) syntax: Syntax,
    /// "part `tone-warm`", "stage 2 of arc `hero`"…, for messages.
    what: String,
    pub(super) entries: &'a [Entry],
    used: Vec<bool>,
    anchor: Range<usize>,
    pub(super) diags: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(
        file: &'a Arc<str>,
        text: &'a str,
        syntax: Syntax,
        what: String,
        node: &'a Node,
        anchor: Range<usize>,
    ) -> Result<Self, Diagnostic> {
        let Value::Table(entries) = &node.value else {
            return Err(Diagnostic::error(code::FIELD_TYPE, format!("{what} must be a table of fields, found {}", node.value.describe()))
                .at(file, node.span.clone()));
        };
        Ok(Reader { file, text, syntax, what, used: vec![false; entries.len()], entries, anchor, diags: Vec::new() })
    }

    pub(super) fn take(&mut self, key: &str) -> Option<&'a Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.entries[i])
    }

    pub(super) fn type_error(&mut self, entry: &Entry, expected: &str) {
        self.diags.push(
            Diagnostic::error(code::FIELD_TYPE, format!("`{}` must be {expected}, found {}", entry.key, entry.node.value.describe()))
                .at(self.file, entry.node.span.clone()),
        );
    }

    pub(super) fn string(&mut self, key: &str) -> Option<Spanned<String>> {
        let entry = self.take(key)?;
        match &entry.node.value {
            Value::Str(s) => Some(Spanned::new(s.clone(), entry.node.span.clone())),
            _ => {
                self.type_error(entry, "a string");
                None
            }
        }
    }

    pub(super) fn text(&mut self, key: &str) -> Option<Text> {
        let entry = self.take(key)?;
        self.text_of(entry)
    }

    pub(super) fn text_of(&mut self, entry: &Entry) -> Option<Text> {
        match &entry.node.value {
            Value::Str(s) => Some(Text {
                source: s.as_str().into(),
                span: entry.node.span.clone(),
                lines: line_origins(self.text, &entry.node.span, s).into(),
            }),
            _ => {
                self.type_error(entry, "a string");
                None
            }
        }
    }

    pub(super) fn string_list(&mut self, key: &str) -> Option<Vec<Spanned<String>>> {
        let entry = self.take(key)?;
        let Value::List(items) = &entry.node.value else {
            self.type_error(entry, "a list of strings");
            if let Value::Str(one) = &entry.node.value {
                let fix = self.syntax.list_of_one(key, one);
                if let Some(last) = self.diags.last_mut() {
                    last.help.push(format!("write a list, even of one: `{fix}`"));
                }
            }
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match &item.value {
                Value::Str(s) => out.push(Spanned::new(s.clone(), item.span.clone())),
                other => self.diags.push(
                    Diagnostic::error(code::FIELD_TYPE, format!("`{key}` must list strings, found {}", other.describe()))
                        .at(self.file, item.span.clone()),
                ),
            }
        }
        Some(out)
    }

    /// A list of definition names: each must be a valid name.
    pub(super) fn name_list(&mut self, key: &str) -> Vec<Spanned<String>> {
        let names = self.string_list(key).unwrap_or_default();
        names.into_iter().filter(|n| self.check_name_ref(n)).collect()
    }

    pub(super) fn check_name_ref(&mut self, name: &Spanned<String>) -> bool {
        if is_valid_name(&name.value) {
            return true;
        }
        let mut diag = Diagnostic::error(code::INVALID_NAME, format!("`{}` is not a valid name", name.value))
            .at(self.file, name.span.clone())
            .help("names use lowercase letters, digits, `-` and `_`, start with a letter or digit, and have at most 64 characters");
        if let Some(fixed) = suggest_name(&name.value) {
            diag = diag.help(format!("did you mean `{fixed}`?"));
        }
        self.diags.push(diag);
        false
    }

    pub(super) fn int(&mut self, key: &str) -> Option<Spanned<i64>> {
        let entry = self.take(key)?;
        match entry.node.value {
            Value::Int(i) => Some(Spanned::new(i, entry.node.span.clone())),
            _ => {
                self.type_error(entry, "an integer");
                None
            }
        }
    }

    pub(super) fn bool(&mut self, key: &str) -> Option<Spanned<bool>> {
        let entry = self.take(key)?;
        match entry.node.value {
            Value::Bool(b) => Some(Spanned::new(b, entry.node.span.clone())),
            _ => {
                self.type_error(entry, "a boolean (`true` or `false`)");
                None
            }
        }
    }

    pub(super) fn table(&mut self, key: &str) -> Option<&'a Entry> {
        let entry = self.take(key)?;
        match entry.node.value {
            Value::Table(_) => Some(entry),
            _ => {
                self.type_error(entry, "a table");
                None
            }
        }
    }

    pub(super) fn one_of(&mut self, key: &str, allowed: &[&str], code: &'static str, what: &str, plural: &str) -> Option<Spanned<String>> {
        let value = self.string(key)?;
        if allowed.contains(&value.value.as_str()) {
            return Some(value);
        }
        self.diags.push(
            Diagnostic::error(code, format!("unknown {what} `{}`", value.value))
                .at(self.file, value.span.clone())
                .suggest(&value.value, allowed.iter().copied())
                .help(format!("{plural} are: {}", allowed.join(", "))),
        );
        None
    }

    pub(super) fn require<T>(&mut self, key: &str, value: Option<T>, example: &str) -> Option<T> {
        if value.is_none() && !self.entries.iter().any(|e| e.key == key) {
            let how = self.syntax.field(key, example);
            self.diags.push(
                Diagnostic::error(code::MISSING_FIELD, format!("{} is missing the required field `{key}`", self.what))
                    .at(self.file, self.anchor.clone())
                    .help(format!("add `{how}`")),
            );
        }
        value
    }

    /// Reports fields that are not in `allowed`; returns the diagnostics.
    pub(super) fn finish(mut self, allowed: &[&str]) -> Vec<Diagnostic> {
        for (entry, used) in self.entries.iter().zip(&self.used) {
            if !used && !allowed.contains(&entry.key.as_str()) {
                self.diags.push(
                    Diagnostic::error(code::UNKNOWN_FIELD, format!("unknown field `{}` in {}", entry.key, self.what))
                        .at(self.file, entry.key_span.clone())
                        .suggest(&entry.key, allowed.iter().copied())
                        .help(format!("the fields of {} are: {}", self.what, allowed.join(", "))),
                );
            }
        }
        self.diags
    }
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
    let body =
        doc.body.map(|(source, offset)| Text { span: offset..offset + source.len(), lines: [(0, offset)].into(), source: source.into() });
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
            let title = r.string("title").filter(|t| one_line_title(&mut r, t));
            let diags = r.finish(&[&common[..], &["type", "summary", "content", "title"]].concat());
            finish_or(diags, || Some(Definition::Part(Arc::new(Part { meta, part_type: part_type?, summary: summary?, content, title }))))
        }
        Kind::Trait => {
            let trait_type = r.one_of("type", &TRAIT_TYPES, code::UNKNOWN_TRAIT_TYPE, "trait type", "trait types");
            let trait_type = r.require("type", trait_type, "\"personality\"");
            if meta.description.is_none() {
                r.require::<()>("description", None, "\"...\"");
            }
            let instruction = long_text(&mut r, "instruction");
            let diags = r.finish(&[&common[..], &["type", "instruction"]].concat());
            finish_or(diags, || Some(Definition::Trait(Arc::new(Trait { meta, trait_type: trait_type?, instruction }))))
        }
        Kind::Skill => {
            if meta.description.is_none() {
                r.require::<()>("description", None, "\"...\"");
            }
            let content = long_text(&mut r, "content");
            let diags = r.finish(&[&common[..], &["content"]].concat());
            finish_or(diags, || Some(Definition::Skill(Arc::new(Skill { meta, content }))))
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
            let diags = r.finish(&[&common[..], &["content", "severity"]].concat());
            finish_or(diags, || Some(Definition::Guardrail(Arc::new(Guardrail { meta, content, severity: severity? }))))
        }
        Kind::Arc => {
            let summary = r.text("summary");
            let stages = read_stages(&mut r, stem);
            let stages = r.require("stages", stages, "[{ name = \"start\", parts = [] }]");
            let diags = r.finish(&[&common[..], &["summary", "stages"]].concat());
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

/// Template variables, and where each is defined.
pub(super) fn read_vars(r: &mut Reader, entry: &Entry) -> (Vars, VarSpans) {
    let Value::Table(entries) = &entry.node.value else { return Default::default() };
    let mut vars = Vars::new();
    let mut spans = VarSpans::new();
    for var in entries {
        if !is_identifier(&var.key) {
            r.diags.push(
                Diagnostic::error(code::INVALID_VALUE, format!("`{}` is not a valid variable name", var.key))
                    .at(r.file, var.key_span.clone())
                    .help("variable names use letters, digits and `_`, and do not start with a digit"),
            );
            continue;
        }
        vars.insert(var.key.clone(), var.node.to_json());
        spans.insert(var.key.clone(), var.key_span.clone());
    }
    (vars, spans)
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

/// `[export.FORMAT]` tables: `out` (a folder of its own inside the
/// repository, outside every source folder and the output folder), and
/// optional `channels` and `stages` flags.
fn read_exports(r: &mut Reader, entry: &Entry, out_dir: &str) -> std::collections::BTreeMap<String, ExportConfig> {
    let mut exports = std::collections::BTreeMap::new();
    let Value::Table(entries) = &entry.node.value else { return exports };
    let formats: Vec<&str> = crate::interop::Format::exportable().map(|f| f.name()).collect();
    for item in entries {
        if !formats.contains(&item.key.as_str()) {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("personac does not export `{}`", item.key))
                    .at(r.file, item.key_span.clone())
                    .suggest(&item.key, formats.iter().copied())
                    .help(format!("export formats are: {}", formats.join(", "))),
            );
            continue;
        }
        let what = format!("`[export.{}]`", item.key);
        let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, what, &item.node, item.key_span.clone()) else {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("`export.{}` must be a table with `out`", item.key))
                    .at(r.file, item.node.span.clone()),
            );
            continue;
        };
        let out = sub.string("out");
        let out = sub.require("out", out, "\".claude/agents\"");
        let channels = sub.bool("channels").is_some_and(|b| b.value);
        let stages = sub.bool("stages").is_some_and(|b| b.value);
        let diags = sub.finish(&["out", "channels", "stages"]);
        r.diags.extend(diags);
        let Some(out) = out else { continue };
        let folder = out.value.trim_end_matches('/');
        let top = folder.split('/').next().unwrap_or_default();
        let out_dir = out_dir.trim_end_matches('/');
        let problem = if !crate::artifacts::is_safe_relative(folder) {
            Some("must be a relative path inside the repository, without `..`".to_string())
        } else if Kind::from_folder(top).is_some() || top == crate::snapshot::TEMPLATES_DIR {
            Some(format!("is inside the source folder `{top}/`"))
        } else if folder == out_dir || folder.starts_with(&format!("{out_dir}/")) || out_dir.starts_with(&format!("{folder}/")) {
            Some(format!("overlaps the output folder `{out_dir}`"))
        } else {
            None
        };
        if let Some(problem) = problem {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("the export folder `{}` {problem}", out.value))
                    .at(r.file, out.span.clone())
                    .help("give each export a folder of its own, such as `.claude/agents` or `exports/crewai`"),
            );
            continue;
        }
        exports.insert(item.key.clone(), ExportConfig { out: Spanned::new(folder.to_string(), out.span), channels, stages });
    }
    exports
}

/// `[lints]`: a level (`allow`, `warn`, `deny`) per lint name.
fn read_lints(r: &mut Reader, entry: &Entry) -> std::collections::BTreeMap<String, Spanned<crate::lint::Level>> {
    let mut lints = std::collections::BTreeMap::new();
    let Value::Table(entries) = &entry.node.value else { return lints };
    let names: Vec<&str> = crate::lint::NAMES.iter().map(|(_, n)| *n).collect();
    for item in entries {
        if !names.contains(&item.key.as_str()) {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("unknown lint `{}`", item.key))
                    .at(r.file, item.key_span.clone())
                    .suggest(&item.key, names.iter().copied())
                    .help(format!("lints are: {}", names.join(", "))),
            );
            continue;
        }
        match &item.node.value {
            Value::Str(level) if crate::lint::Level::parse(level).is_some() => {
                let level = crate::lint::Level::parse(level).unwrap_or(crate::lint::Level::Warn);
                lints.insert(item.key.clone(), Spanned::new(level, item.node.span.clone()));
            }
            _ => r.diags.push(
                Diagnostic::error(code::CONFIG, format!("the level of lint `{}` must be \"allow\", \"warn\" or \"deny\"", item.key))
                    .at(r.file, item.node.span.clone()),
            ),
        }
    }
    lints
}

pub(super) fn read_config(file: &Arc<str>, text: &str, doc: Document) -> Result<Config, Vec<Diagnostic>> {
    let mut r = Reader::new(file, text, doc.syntax, "`personac.toml`".into(), &doc.fields, doc.anchor).map_err(|d| vec![d])?;
    let mut config = Config::default();
    if let Some(out_dir) = r.string("out_dir") {
        config.out_dir = out_dir;
    }
    if let Some(encoding) = r.string("encoding") {
        config.encoding = encoding;
    }
    config.part_types = r.name_list("part_types");
    if let Some(entry) = r.table("vars") {
        (config.vars, config.var_spans) = read_vars(&mut r, entry);
    }
    if let Some(entry) = r.table("lints") {
        config.lints = read_lints(&mut r, entry);
    }
    if let Some(entry) = r.table("export") {
        config.exports = read_exports(&mut r, entry, &config.out_dir.value);
    }
    let diags = r.finish(&["out_dir", "encoding", "part_types", "vars", "lints", "export"]);
    if diags.is_empty() { Ok(config) } else { Err(diags) }
}
