//! Reading one table's fields: each field's type, unknown fields (with
//! "did you mean"), required fields, and template variables.

use std::ops::Range;
use std::sync::Arc;

use super::node::{Entry, Node, Value, line_numbers, line_origins};
use super::syntax::{Syntax, is_identifier, is_valid_name, suggest_name};
use crate::diag::{Diagnostic, code};
use crate::model::*;

pub(super) const COMMON: [&str; 4] = ["name", "description", "tags", "template"];

/// Settings of a model's runtime that people put on a persona: an unknown
/// field of these names belongs under `metadata`, not a did-you-mean.
const RUNTIME_SETTINGS: [&str; 10] =
    ["temperature", "top_p", "top_k", "max_tokens", "color", "stop", "seed", "frequency_penalty", "presence_penalty", "max_output_tokens"];

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
        let mut diag =
            Diagnostic::error(code::FIELD_TYPE, format!("`{}` must be {expected}, found {}", entry.key, entry.node.value.describe()))
                .at(self.file, entry.node.span.clone());
        // A number where a string belongs (`version: 1.0`): quote it.
        if expected == "a string"
            && matches!(entry.node.value, Value::Int(_) | Value::Float(_))
            && let Some(raw) = self.text.get(entry.node.span.clone())
        {
            let mut fixed = raw.trim().to_string();
            if entry.key == "version" {
                while fixed.matches('.').count() < 2 {
                    fixed.push_str(".0");
                }
            }
            let quoted = match self.syntax {
                Syntax::Yaml => format!("{}: \"{fixed}\"", entry.key),
                other => other.field(&entry.key, &format!("\"{fixed}\"")),
            };
            diag = diag.help(format!("quote it, so that it stays text: `{quoted}`"));
        }
        self.diags.push(diag);
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
            Value::Str(s) => {
                let lines = line_origins(self.text, &entry.node.span, s);
                Some(Text {
                    source: s.as_str().into(),
                    span: entry.node.span.clone(),
                    file_lines: line_numbers(self.text, entry.node.span.start, &lines).into(),
                    table: Default::default(),
                    lines: lines.into(),
                })
            }
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
        // A misspelled key (`sumary`) is reported once, where it is, as an
        // unknown field with its did-you-mean.
        let misspelled = self.entries.iter().any(|e| e.key != key && crate::diag::did_you_mean(&e.key, [key]).is_some());
        if value.is_none() && !misspelled && !self.entries.iter().any(|e| e.key == key) {
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
                let mut diag = Diagnostic::error(code::UNKNOWN_FIELD, format!("unknown field `{}` in {}", entry.key, self.what))
                    .at(self.file, entry.key_span.clone());
                if RUNTIME_SETTINGS.contains(&entry.key.as_str()) && allowed.contains(&"metadata") {
                    let value = self.text.get(entry.node.span.clone()).map_or("…", str::trim);
                    let how = match self.syntax {
                        Syntax::Toml => format!("a `[metadata]` table with `{} = {value}` in it", entry.key),
                        Syntax::Yaml => format!("`metadata:` with `  {}: {value}` indented below it", entry.key),
                        Syntax::Json => format!("`\"metadata\": {{ \"{}\": {value} }}`", entry.key),
                    };
                    diag = diag
                        .help(format!("`{}` is a setting of the model's runtime, which personac does not read: put it under `metadata`, which loaders and exports carry to the runtime", entry.key))
                        .help(format!("write {how}"));
                } else {
                    diag = diag.suggest(&entry.key, allowed.iter().copied());
                }
                self.diags.push(diag.help(format!("the fields of {} are: {}", self.what, allowed.join(", "))));
            }
        }
        self.diags
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
