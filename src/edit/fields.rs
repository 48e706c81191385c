//! Edits beyond a persona's links: setting a text field of any definition,
//! and adding stages and stage parts to an arc. Same rules as the rest of
//! this room: only the edited key changes, and the result is re-parsed to
//! confirm it holds exactly the new value.

use std::sync::Arc;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::change::{ArcChange, Refusal, fields_region, push_like_the_others, refuse, remove_keeping_layout};
use crate::model::{CharacterArc, Definition, Text};
use crate::parse::{self, Syntax};

/// The current text of a definition's field, for checking an edit.
fn field_text(def: &Definition, field: &str) -> Option<String> {
    let text = |t: &Option<Text>| t.as_ref().map(|t| t.source.to_string());
    let meta = def.meta();
    if field == "description" {
        return text(&meta.description);
    }
    match (def, field) {
        (Definition::Persona(p), "summary") => text(&p.summary),
        (Definition::Persona(p), "detail") => text(&p.detail),
        (Definition::Persona(p), "version") => p.version.as_ref().map(|v| v.value.to_string()),
        (Definition::Part(p), "summary") => Some(p.summary.source.to_string()),
        (Definition::Part(p), "content") => text(&p.content),
        (Definition::Part(p), "type") => Some(p.part_type.value.clone()),
        (Definition::Trait(t), "instruction") => text(&t.instruction),
        (Definition::Trait(t), "type") => Some(t.trait_type.value.clone()),
        (Definition::Skill(s), "content") => text(&s.content),
        (Definition::Guardrail(g), "content") => text(&g.content),
        (Definition::Guardrail(g), "severity") => Some(g.severity.value.clone()),
        (Definition::Arc(a), "summary") => text(&a.summary),
        _ => None,
    }
}

fn definition(path: &Arc<str>, text: &str) -> Result<Definition, Refusal> {
    parse::parse_definition(path, text).map_err(Refusal::Invalid)
}

/// Sets a text field: in the Markdown body when it is the kind's long-text
/// field of a `.md` file, else as a TOML or YAML string.
pub fn set_text(path: &Arc<str>, text: &str, field: &str, value: &str) -> Result<String, Refusal> {
    let before = definition(path, text)?;
    let kind = before.kind();
    let in_body = path.ends_with(".md") && kind.body_field() == Some(field);
    let new_text = if in_body {
        let fm = parse::front_matter(path, text).map_err(|d| Refusal::Invalid(vec![d]))?;
        let mut out = text[..fm.body_start].to_string();
        if !value.is_empty() {
            out.push_str(value.trim_end_matches('\n'));
            out.push('\n');
        }
        out
    } else {
        let (syntax, region) = fields_region(path, text)?;
        let fields = &text[region.clone()];
        let edited = match syntax {
            Syntax::Toml => {
                let mut doc: DocumentMut = fields.parse().map_err(|e: toml_edit::TomlError| Refusal::Edit(e.message().to_string()))?;
                match doc.get_mut(field) {
                    Some(Item::Value(v)) => {
                        let decor = v.decor().clone();
                        *v = Value::from(value);
                        *v.decor_mut() = decor;
                    }
                    Some(_) => return refuse(format!("`{field}` is not a string; fix it by hand first")),
                    None => _ = doc.insert(field, Item::Value(Value::from(value))),
                }
                doc.to_string()
            }
            Syntax::Yaml => super::yaml::set_scalar(fields, field, value).map_err(Refusal::Edit)?,
            Syntax::Json => super::json::set_scalar(fields, field, value).map_err(Refusal::Edit)?,
        };
        format!("{}{}{}", &text[..region.start], edited, &text[region.end..])
    };
    let after = definition(path, &new_text)?;
    let expected = if in_body && value.is_empty() { None } else { Some(value.to_string()) };
    let got = field_text(&after, field).map(|t| if in_body { t.trim_end_matches('\n').to_string() } else { t });
    if got != expected.map(|v| if in_body { v.trim_end_matches('\n').to_string() } else { v }) {
        return refuse(format!("could not set `{field}` in `{path}` safely; change it by hand"));
    }
    Ok(new_text)
}

/// Edits an arc written in TOML or JSON.
pub fn edit_arc(path: &Arc<str>, text: &str, change: &ArcChange) -> Result<String, Refusal> {
    let Definition::Arc(before) = definition(path, text)? else { return refuse(format!("`{path}` is not an arc")) };
    let new_text = match Syntax::of_path(path) {
        Some(Syntax::Toml) => edit_arc_toml(text, &before, change)?,
        Some(Syntax::Json) => super::json::edit_arc(text, &before.meta.name, change).map_err(Refusal::Edit)?,
        _ => {
            return refuse(format!(
                "`{path}` is YAML: personac edits the stages of TOML and JSON arcs only; change it by hand, or write the arc in TOML"
            ));
        }
    };
    let Definition::Arc(after) = definition(path, &new_text)? else { return refuse("the edit broke the arc") };
    if !stages_hold(&before, &after, change) {
        return refuse(format!("could not edit `{path}` safely; change it by hand"));
    }
    Ok(new_text)
}

fn edit_arc_toml(text: &str, before: &CharacterArc, change: &ArcChange) -> Result<String, Refusal> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| Refusal::Edit(e.message().to_string()))?;
    let Some(stages) = doc.get_mut("stages").and_then(Item::as_array_of_tables_mut) else {
        return refuse("the arc's `stages` are not written as `[[stages]]` tables; change it by hand");
    };
    let find =
        |stages: &mut ArrayOfTables, name: &str| stages.iter_mut().find(|t| t.get("name").and_then(Item::as_str) == Some(name)).is_some();
    match change {
        ArcChange::AddStage { name, description, condition, parts } => {
            if find(stages, name) {
                return refuse(format!("arc `{}` already has a stage `{name}`", before.meta.name));
            }
            let mut table = Table::new();
            table.insert("name", Item::Value(Value::from(*name)));
            if let Some(d) = description {
                table.insert("description", Item::Value(Value::from(*d)));
            }
            if let Some(c) = condition {
                table.insert("condition", Item::Value(Value::from(*c)));
            }
            table.insert("parts", Item::Value(Value::Array(parts.iter().map(String::as_str).collect())));
            table.decor_mut().set_prefix("\n");
            stages.push(table);
        }
        ArcChange::AddStagePart { stage, part } | ArcChange::RemoveStagePart { stage, part } => {
            let Some(table) = stages.iter_mut().find(|t| t.get("name").and_then(Item::as_str) == Some(*stage)) else {
                return refuse(format!("arc `{}` has no stage `{stage}`", before.meta.name));
            };
            let adding = matches!(change, ArcChange::AddStagePart { .. });
            if table.get("parts").is_none() {
                if !adding {
                    return refuse(format!("part `{part}` is not in stage `{stage}`"));
                }
                table.insert("parts", Item::Value(Value::Array(toml_edit::Array::new())));
            }
            let Some(list) = table.get_mut("parts").and_then(Item::as_array_mut) else {
                return refuse(format!("stage `{stage}`'s `parts` is not a list; fix it by hand first"));
            };
            let at = list.iter().position(|v| v.as_str() == Some(*part));
            match (adding, at) {
                (true, Some(_)) => return refuse(format!("part `{part}` is already in stage `{stage}`")),
                (true, None) => push_like_the_others(list, Value::from(*part)),
                (false, Some(i)) => remove_keeping_layout(list, i),
                (false, None) => return refuse(format!("part `{part}` is not in stage `{stage}`")),
            }
        }
    }
    Ok(doc.to_string())
}

fn stages_hold(before: &CharacterArc, after: &CharacterArc, change: &ArcChange) -> bool {
    let names = |a: &CharacterArc| a.stages.iter().map(|s| s.name.value.clone()).collect::<Vec<_>>();
    let parts = |a: &CharacterArc, stage: &str| {
        a.stages.iter().find(|s| s.name.value == stage).map(|s| s.parts.iter().map(|p| p.name.value.clone()).collect::<Vec<_>>())
    };
    match change {
        ArcChange::AddStage { name, .. } => {
            let mut expected = names(before);
            expected.push(name.to_string());
            names(after) == expected
        }
        ArcChange::AddStagePart { stage, part } => {
            let mut expected = parts(before, stage).unwrap_or_default();
            expected.push(part.to_string());
            parts(after, stage) == Some(expected) && names(after) == names(before)
        }
        ArcChange::RemoveStagePart { stage, part } => {
            let expected: Vec<String> = parts(before, stage).unwrap_or_default().into_iter().filter(|p| p != part).collect();
            parts(after, stage) == Some(expected) && names(after) == names(before)
        }
    }
}

/// The text of a new definition file, with its fields in TOML front matter
/// and its long text as the Markdown body (arcs: a TOML file).
pub fn new_file(fields: &[(&str, toml_edit::Value)], body: Option<&str>) -> String {
    let mut doc = DocumentMut::new();
    for (key, value) in fields {
        doc.insert(key, Item::Value(value.clone()));
    }
    format!("+++\n{}+++\n{}", doc, body.map(|b| format!("{}\n", b.trim_end_matches('\n'))).unwrap_or_default())
}
