//! JSON edits through a concrete syntax tree (jsonc-parser's CST): only the
//! edited value changes, and the file's indentation, key order and spacing
//! stay as they were. Every result is re-parsed by the caller to confirm it.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstArray, CstInputValue, CstNode, CstObject, CstRootNode};

use super::change::{ArcChange, Change};

fn root(text: &str) -> Result<(CstRootNode, CstObject), String> {
    let root = CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| format!("cannot edit invalid JSON: {}", e.kind()))?;
    let object = root.object_value().ok_or("the file is not a JSON object; fix it by hand first")?;
    Ok((root, object))
}

fn string(value: &str) -> CstInputValue {
    CstInputValue::String(value.to_string())
}

/// The name a list element links: a string, or an object's `name`.
fn element_name(node: &CstNode) -> Option<String> {
    if let Some(s) = node.as_string_lit() {
        return s.decoded_value().ok();
    }
    let object = node.as_object()?;
    object.get("name")?.value()?.as_string_lit()?.decoded_value().ok()
}

/// A small object written on one line, `{ "name": "x", "order": 5 }`, as
/// people write link tables (the CST would spread a new object over lines).
fn inline_object(fields: &[(&str, serde_json::Value)]) -> String {
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{}: {v}", serde_json::Value::from(*k))).collect();
    format!("{{ {} }}", inner.join(", "))
}

/// Adds an inline object to an array (through a placeholder whose raw text
/// becomes the object).
fn append_inline(array: &CstArray, object: String) {
    if let Some(placeholder) = array.append(string("")).as_string_lit() {
        placeholder.set_raw_value(object);
    }
}

/// A link: a name, or an inline table when it is placed.
fn link_object(name: &str, order: Option<i64>, priority: Option<i64>) -> Option<String> {
    if order.is_none() && priority.is_none() {
        return None;
    }
    let mut fields = vec![("name", serde_json::Value::from(name))];
    if let Some(order) = order {
        fields.push(("order", order.into()));
    }
    if let Some(priority) = priority {
        fields.push(("priority", priority.into()));
    }
    Some(inline_object(&fields))
}

fn list(object: &CstObject, key: &str) -> Result<Option<CstArray>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(prop) => prop.array_value().map(Some).ok_or_else(|| format!("`{key}` is not a list; fix it by hand first")),
    }
}

pub(super) fn edit(text: &str, change: &Change) -> Result<String, String> {
    let (root, object) = root(text)?;
    match change {
        Change::Link { field, name, order, priority } => {
            let array = match list(&object, field.key())? {
                Some(array) => array,
                None => object.array_value_or_set(field.key()),
            };
            match link_object(name, *order, *priority) {
                Some(inline) => append_inline(&array, inline),
                None => _ = array.append(string(name)),
            }
        }
        Change::Unlink { field, name } => {
            let not_linked = || format!("`{name}` is not linked in this file's `{}`", field.key());
            let array = list(&object, field.key())?.ok_or_else(not_linked)?;
            let element = array.elements().into_iter().find(|e| element_name(e).as_deref() == Some(name)).ok_or_else(not_linked)?;
            element.remove();
            if array.elements().is_empty()
                && let Some(prop) = object.get(field.key())
            {
                prop.remove();
            }
        }
        Change::SetArc { name, stage } => match object.get("arc") {
            Some(prop) => match prop.object_value() {
                // An arc object on one line stays on one line.
                Some(arc)
                    if !arc.to_string().contains('\n')
                        && arc.properties().iter().all(|p| matches!(p.decoded_name().as_deref(), Some("name" | "stage"))) =>
                {
                    let mut fields = vec![("name", serde_json::Value::from(name.as_str()))];
                    if let Some(stage) = stage {
                        fields.push(("stage", stage.as_str().into()));
                    }
                    prop.set_value(string(""));
                    if let Some(placeholder) = prop.value().and_then(|v| v.as_string_lit()) {
                        placeholder.set_raw_value(inline_object(&fields));
                    }
                }
                Some(arc) => {
                    set(&arc, "name", string(name));
                    match (stage, arc.get("stage")) {
                        (Some(stage), _) => set(&arc, "stage", string(stage)),
                        (None, Some(old)) => old.remove(),
                        (None, None) => {}
                    }
                }
                None if prop.value().is_some_and(|v| v.as_string_lit().is_some()) => match stage {
                    None => prop.set_value(string(name)),
                    Some(stage) => prop
                        .set_value(CstInputValue::Object(vec![("name".to_string(), string(name)), ("stage".to_string(), string(stage))])),
                },
                None => return Err("`arc` is neither a name nor an object; fix it by hand first".into()),
            },
            None => {
                let mut fields = vec![("name", serde_json::Value::from(name.as_str()))];
                if let Some(stage) = stage {
                    fields.push(("stage", stage.as_str().into()));
                }
                if let Some(value) = object.append("arc", string("")).value().and_then(|v| v.as_string_lit()) {
                    value.set_raw_value(inline_object(&fields));
                }
            }
        },
    }
    Ok(root.to_string())
}

/// Sets a key of an object, keeping its place, or adds it at the end.
fn set(object: &CstObject, key: &str, value: CstInputValue) {
    match object.get(key) {
        Some(prop) => prop.set_value(value),
        None => _ = object.append(key, value),
    }
}

/// Sets a top-level key to a string.
pub(super) fn set_scalar(text: &str, key: &str, value: &str) -> Result<String, String> {
    let (root, object) = root(text)?;
    set(&object, key, string(value));
    Ok(root.to_string())
}

/// Adds a stage to an arc, or a part to a stage, or removes one.
pub(super) fn edit_arc(text: &str, arc: &str, change: &ArcChange) -> Result<String, String> {
    let (root, object) = root(text)?;
    let stages = list(&object, "stages")?.ok_or("the arc has no `stages` list; fix it by hand first")?;
    let find = |name: &str| stages.elements().into_iter().find(|s| element_name(s).as_deref() == Some(name));
    match change {
        ArcChange::AddStage { name, description, condition, parts } => {
            if find(name).is_some() {
                return Err(format!("arc `{arc}` already has a stage `{name}`"));
            }
            let mut fields = vec![("name".to_string(), string(name))];
            if let Some(d) = description {
                fields.push(("description".to_string(), string(d)));
            }
            if let Some(c) = condition {
                fields.push(("condition".to_string(), string(c)));
            }
            fields.push(("parts".to_string(), CstInputValue::Array(parts.iter().map(|p| string(p)).collect())));
            stages.append(CstInputValue::Object(fields));
        }
        ArcChange::AddStagePart { stage, part } | ArcChange::RemoveStagePart { stage, part } => {
            let stage_object = find(stage).and_then(|s| s.as_object()).ok_or_else(|| format!("arc `{arc}` has no stage `{stage}`"))?;
            let adding = matches!(change, ArcChange::AddStagePart { .. });
            let parts =
                list(&stage_object, "parts").map_err(|_| format!("stage `{stage}`'s `parts` is not a list; fix it by hand first"))?;
            let at = parts.as_ref().and_then(|p| p.elements().into_iter().find(|e| element_name(e).as_deref() == Some(*part)));
            match (adding, parts, at) {
                (true, _, Some(_)) => return Err(format!("part `{part}` is already in stage `{stage}`")),
                (true, Some(parts), None) => _ = parts.append(string(part)),
                (true, None, None) => _ = stage_object.append("parts", CstInputValue::Array(vec![string(part)])),
                (false, _, Some(element)) => element.remove(),
                (false, _, None) => return Err(format!("part `{part}` is not in stage `{stage}`")),
            }
        }
    }
    Ok(root.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::change::LinkField;

    fn link(name: &str) -> Change {
        Change::Link { field: LinkField::Traits, name: name.into(), order: None, priority: None }
    }

    #[test]
    fn links_keep_the_layout_and_round_trip() {
        let text = "{\n    \"version\": \"1.0.0\",\n    \"summary\": \"s\",\n    \"traits\": [\n        \"a\",\n        \"b\"\n    ]\n}\n";
        let linked = edit(text, &link("c")).unwrap();
        assert_eq!(
            linked,
            "{\n    \"version\": \"1.0.0\",\n    \"summary\": \"s\",\n    \"traits\": [\n        \"a\",\n        \"b\",\n        \"c\"\n    ]\n}\n"
        );
        let back = edit(&linked, &Change::Unlink { field: LinkField::Traits, name: "c".into() }).unwrap();
        assert_eq!(back, text);
        let one_line = "{ \"version\": \"1.0.0\", \"traits\": [\"a\"] }\n";
        assert_eq!(edit(one_line, &link("b")).unwrap(), "{ \"version\": \"1.0.0\", \"traits\": [\"a\", \"b\"] }\n");
    }

    #[test]
    fn arcs_move_and_reset() {
        // The edited object is laid out by the CST (one key a line); the
        // rest of the file stays as it was.
        let text = "{\n  \"version\": \"1.0.0\",\n  \"arc\": {\n    \"name\": \"hero\"\n  }\n}\n";
        let moved = edit(text, &Change::SetArc { name: "hero".into(), stage: Some("trial".into()) }).unwrap();
        assert_eq!(moved, "{\n  \"version\": \"1.0.0\",\n  \"arc\": {\n    \"name\": \"hero\",\n    \"stage\": \"trial\"\n  }\n}\n");
        let reset = edit(&moved, &Change::SetArc { name: "hero".into(), stage: None }).unwrap();
        assert_eq!(reset, text);
        let inline = "{\n  \"arc\": { \"name\": \"hero\" }\n}\n";
        let moved = edit(inline, &Change::SetArc { name: "hero".into(), stage: Some("trial".into()) }).unwrap();
        assert_eq!(moved, "{\n  \"arc\": { \"name\": \"hero\", \"stage\": \"trial\" }\n}\n");
        assert_eq!(edit(&moved, &Change::SetArc { name: "hero".into(), stage: None }).unwrap(), inline);
        let placed =
            edit("{ \"parts\": [\"a\"] }", &Change::Link { field: LinkField::Parts, name: "b".into(), order: Some(5), priority: None });
        assert_eq!(placed.unwrap(), "{ \"parts\": [\"a\", { \"name\": \"b\", \"order\": 5 }] }");
        let named = "{ \"arc\": \"hero\", \"x\": 1 }";
        assert_eq!(edit(named, &Change::SetArc { name: "quest".into(), stage: None }).unwrap(), "{ \"arc\": \"quest\", \"x\": 1 }");
    }
}
