//! Reading other tools' files: a parsed tree's fields by name, each value
//! turned into what personac keeps, and diagnostics that point into the
//! source file.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::diag::{Diagnostic, code};
use crate::parse::{Node, SyntaxError, Value};

/// A diagnostic in a source file being imported.
pub fn error(path: &str, span: std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
    let file: Arc<str> = path.into();
    Diagnostic::error(code::IMPORT, message).at(&file, span)
}

/// A syntax error of a source file.
pub fn syntax(path: &str, what: &str, err: SyntaxError) -> Vec<Diagnostic> {
    vec![error(path, err.span, format!("invalid {what}: {}", err.message))]
}

/// A mapping's fields, read by name; the ones read are remembered, so that
/// the rest can go to metadata or the report.
pub struct Fields<'a> {
    pub entries: &'a [crate::parse::Entry],
    read: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn of(node: &'a Node) -> Option<Fields<'a>> {
        match &node.value {
            Value::Table(entries) => Some(Fields { entries, read: Vec::new() }),
            _ => None,
        }
    }

    pub fn get(&mut self, key: &'a str) -> Option<&'a Node> {
        let entry = self.entries.iter().find(|e| e.key == key)?;
        self.read.push(key);
        Some(&entry.node)
    }

    /// A string field (numbers and booleans read as their text).
    pub fn string(&mut self, key: &'a str) -> Option<String> {
        scalar_text(self.get(key)?)
    }

    /// A list of strings, or one comma-separated string.
    pub fn list(&mut self, key: &'a str) -> Option<Vec<String>> {
        let node = self.get(key)?;
        strings(node)
    }

    /// Fields not read yet, as `(key, node)`.
    pub fn rest(&self) -> impl Iterator<Item = (&'a str, &'a Node)> + '_ {
        self.entries.iter().filter(|e| !self.read.contains(&e.key.as_str())).map(|e| (e.key.as_str(), &e.node))
    }
}

/// A scalar's text.
pub fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of strings, or a comma-separated string; `None` for null.
pub fn strings(node: &Node) -> Option<Vec<String>> {
    match &node.value {
        Value::Str(s) => Some(s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()),
        Value::List(items) => Some(items.iter().filter_map(scalar_text).collect()),
        _ => None,
    }
}

/// A value as metadata keeps it: a scalar as itself; a list or a table as
/// its JSON text (metadata holds plain values), `true` in the second place
/// when so.
pub fn metadata_value(node: &Node) -> Option<(Json, bool)> {
    match &node.value {
        Value::Null | Value::Other(_) => None,
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some((node.to_json(), false)),
        Value::List(_) | Value::Table(_) => Some((Json::String(node.to_json().to_string()), true)),
    }
}

/// Keeps the fields not read yet in an agent's metadata (lists and tables as
/// JSON text, said in the report), and reports what cannot be kept.
pub fn keep_rest(fields: &Fields, agent: &mut super::agent::Agent, prefix: &str) {
    for (key, node) in fields.rest() {
        let key = format!("{prefix}{key}");
        match metadata_value(node) {
            Some((value, as_json)) => {
                if as_json {
                    agent.unmapped.push((key.clone(), "kept in `metadata` as JSON text".to_string()));
                }
                agent.metadata.insert(key, value);
            }
            None => agent.unmapped.push((key, "empty or of a type metadata cannot hold; left out".to_string())),
        }
    }
}
