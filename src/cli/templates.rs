//! The starting point `personac new` writes for each kind, in each file
//! form, with its schema line so that editors complete and check it.

use serde_json::{Value, json};

use crate::model::Kind;
use crate::render::title_case;
use clap::ValueEnum;

/// The file form of a new definition (`new --form`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Form {
    /// Front matter (TOML) and a Markdown body for the long text
    Md,
    Toml,
    Yaml,
    Json,
}

/// A kind's starting fields, and its long text (the Markdown body).
fn fields(kind: Kind, name: &str, item_type: Option<&str>) -> (Vec<(&'static str, Value)>, Option<String>) {
    let title = title_case(name);
    match kind {
        Kind::Persona => (
            vec![
                ("version", json!("0.1.0")),
                ("summary", json!(format!("{title} in one sentence: who they are and what they do."))),
                ("description", json!(format!("{title}: what an agent choosing a persona should know."))),
                ("parts", json!([])),
                ("traits", json!([])),
                ("skills", json!([])),
                ("guardrails", json!([])),
            ],
            Some(format!("You are {title}. Write the full instructions here: this text is the persona's detail view.")),
        ),
        Kind::Part => {
            let part_type = item_type.unwrap_or("context");
            (
                vec![("type", json!(part_type)), ("summary", json!(format!("What this {part_type} part says, in one line.")))],
                Some("Write the part's full text here.".to_string()),
            )
        }
        Kind::Trait => (
            vec![("type", json!(item_type.unwrap_or("personality"))), ("description", json!(format!("{title}: the trait in one line.")))],
            Some("How the persona shows this trait, as an instruction.".to_string()),
        ),
        Kind::Skill => (
            vec![("description", json!(format!("{title}: what the skill lets the persona do.")))],
            Some("How and when to use it.".to_string()),
        ),
        Kind::Guardrail => (
            vec![("description", json!(format!("{title}: what must never happen."))), ("severity", json!("medium"))],
            Some("The rule, stated plainly.".to_string()),
        ),
        Kind::Arc => (
            vec![
                ("summary", json!(format!("{title}: where the arc goes."))),
                ("stages", json!([{ "name": "start", "description": "Where it begins.", "condition": "The story starts.", "parts": [] }])),
            ],
            None,
        ),
    }
}

/// A stage's fields in the order people read them.
fn ordered(item: &Value) -> Vec<(&String, &Value)> {
    let rank = |k: &str| ["name", "description", "condition", "parts"].iter().position(|o| *o == k).unwrap_or(usize::MAX);
    let mut fields: Vec<(&String, &Value)> = item.as_object().into_iter().flatten().collect();
    fields.sort_by_key(|(k, _)| rank(k));
    fields
}

fn toml_value(value: &Value) -> toml_edit::Value {
    match value {
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => toml_edit::Value::Array(items.iter().map(toml_value).collect()),
        Value::Bool(b) => (*b).into(),
        other => other.to_string().into(),
    }
}

fn toml(fields: &[(&str, Value)], schema: &str) -> String {
    let mut doc = toml_edit::DocumentMut::new();
    let mut tables = Vec::new();
    for (key, value) in fields {
        match value.as_array().filter(|items| items.iter().any(Value::is_object)) {
            Some(items) => tables.push((key, items)),
            None => _ = doc.insert(key, toml_edit::Item::Value(toml_value(value))),
        }
    }
    for (key, items) in tables {
        let mut array = toml_edit::ArrayOfTables::new();
        for item in items {
            let mut table = toml_edit::Table::new();
            for (k, v) in ordered(item) {
                table.insert(k, toml_edit::Item::Value(toml_value(v)));
            }
            array.push(table);
        }
        doc.insert(key, toml_edit::Item::ArrayOfTables(array));
    }
    format!("#:schema {schema}\n{doc}")
}

/// A YAML value: strings JSON-quoted (a JSON string is a YAML scalar).
fn yaml(fields: &[(&str, Value)], schema: &str) -> String {
    let mut out = format!("# yaml-language-server: $schema={schema}\n");
    for (key, value) in fields {
        match value {
            Value::Array(items) if items.iter().any(Value::is_object) => {
                out.push_str(&format!("{key}:\n"));
                for item in items {
                    for (i, (k, v)) in ordered(item).into_iter().enumerate() {
                        out.push_str(&format!("{}{k}: {v}\n", if i == 0 { "  - " } else { "    " }));
                    }
                }
            }
            Value::String(text) if text.contains('\n') => {
                out.push_str(&format!("{key}: |\n"));
                for line in text.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            other => out.push_str(&format!("{key}: {other}\n")),
        }
    }
    out
}

/// The text of a new definition file.
pub fn new_file(kind: Kind, name: &str, item_type: Option<&str>, form: Form, schema: &str) -> String {
    let (mut fields, body) = fields(kind, name, item_type);
    let long = kind.body_field().unwrap_or("content");
    match form {
        Form::Md => {
            let front = toml(&fields, schema);
            format!("+++\n{front}+++\n{}\n", body.unwrap_or_default())
        }
        Form::Toml | Form::Yaml | Form::Json => {
            if let Some(body) = body {
                fields.push((long, json!(body)));
            }
            match form {
                Form::Toml => toml(&fields, schema),
                Form::Yaml => yaml(&fields, schema),
                _ => {
                    // Fields in their reading order, `$schema` first.
                    let mut lines = vec![format!("  \"$schema\": {}", json!(schema))];
                    for (k, v) in &fields {
                        let value = serde_json::to_string_pretty(v).unwrap_or_default().replace('\n', "\n  ");
                        lines.push(format!("  {}: {value}", json!(k)));
                    }
                    format!("{{\n{}\n}}\n", lines.join(",\n"))
                }
            }
        }
    }
}
