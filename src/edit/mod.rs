//! Edits definition files in place, keeping everything else byte for byte.
//!
//! A change (link a part, move an arc stage…) is applied to the text of one
//! file: TOML through toml_edit, YAML by rewriting only the lines of the
//! edited key (and refusing where that cannot be done safely). The result is
//! then checked twice before anything is written: re-parsed, it must hold
//! exactly the intended value; compiled with the whole repository, it must
//! have no error. Writes are atomic and touch no other file.

mod change;
mod fields;
mod json;
mod rename;
mod yaml;

pub use change::{ArcChange, Change, LinkField, Refusal};
use change::{fields_region, push_like_the_others, refuse, remove_keeping_layout};
pub use fields::{edit_arc, new_file, set_text};
pub use rename::{TextEdit, applied, rename};

use std::path::Path;
use std::sync::Arc;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Value};

use crate::model::{Definition, Kind, Persona};
use crate::parse::{self, Syntax};

/// Applies a change to the text of a persona file, and checks by parsing the
/// result that it holds exactly the intended value and nothing else moved.
pub fn apply(path: &Arc<str>, text: &str, change: &Change) -> Result<String, Refusal> {
    let before = persona(path, text)?;
    if let Change::Link { field, name, .. } = change
        && field.names(&before).contains(name)
    {
        return refuse(format!("`{name}` is already linked in `{path}`"));
    }
    let (syntax, fields) = fields_region(path, text)?;
    let edited = match syntax {
        Syntax::Toml => edit_toml(&text[fields.clone()], change)?,
        Syntax::Yaml => yaml::edit(&text[fields.clone()], change).map_err(Refusal::Edit)?,
        Syntax::Json => json::edit(&text[fields.clone()], change).map_err(Refusal::Edit)?,
    };
    let new_text = format!("{}{}{}", &text[..fields.start], edited, &text[fields.end..]);
    let after = persona(path, &new_text).map_err(|_| Refusal::Edit(format!("could not edit `{path}` safely; change it by hand")))?;
    if !holds(&before, &after, change) {
        return refuse(format!("could not edit `{path}` safely; change it by hand"));
    }
    Ok(new_text)
}

fn persona(path: &Arc<str>, text: &str) -> Result<Arc<Persona>, Refusal> {
    match parse::parse_definition(path, text) {
        Ok(Definition::Persona(p)) => Ok(p),
        Ok(_) => refuse(format!("`{path}` is not a persona")),
        Err(diags) => Err(Refusal::Invalid(diags)),
    }
}

/// Whether `after` is `before` with exactly the change made.
fn holds(before: &Persona, after: &Persona, change: &Change) -> bool {
    let same_other_links = |except: LinkField| {
        [LinkField::Parts, LinkField::Traits, LinkField::Skills, LinkField::Guardrails]
            .into_iter()
            .filter(|f| *f != except)
            .all(|f| f.names(before) == f.names(after))
    };
    let same_arc = || {
        before.arc.as_ref().map(|a| (&a.name.value, a.stage.as_ref().map(|s| &s.value)))
            == after.arc.as_ref().map(|a| (&a.name.value, a.stage.as_ref().map(|s| &s.value)))
    };
    match change {
        Change::Link { field, name, order, priority } => {
            let mut expected = field.names(before);
            expected.push(name.clone());
            let placed = match field {
                LinkField::Parts => after.parts.last().is_some_and(|r| r.order == *order && r.priority == *priority),
                _ => true,
            };
            field.names(after) == expected && placed && same_other_links(*field) && same_arc()
        }
        Change::Unlink { field, name } => {
            let expected: Vec<String> = field.names(before).into_iter().filter(|n| n != name).collect();
            field.names(after) == expected && same_other_links(*field) && same_arc()
        }
        Change::SetArc { name, stage } => {
            let arc = after.arc.as_ref();
            arc.is_some_and(|a| &a.name.value == name && a.stage.as_ref().map(|s| &s.value) == stage.as_ref())
                && [LinkField::Parts, LinkField::Traits, LinkField::Skills, LinkField::Guardrails]
                    .into_iter()
                    .all(|f| f.names(before) == f.names(after))
        }
    }
}

/// The value a link is written as: a name, or a table when it is placed.
fn link_value(name: &str, order: Option<i64>, priority: Option<i64>) -> Value {
    if order.is_none() && priority.is_none() {
        return Value::from(name);
    }
    let mut table = InlineTable::new();
    table.insert("name", Value::from(name));
    if let Some(order) = order {
        table.insert("order", Value::from(order));
    }
    if let Some(priority) = priority {
        table.insert("priority", Value::from(priority));
    }
    Value::InlineTable(table)
}

fn link_name(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s.value()),
        Value::InlineTable(t) => t.get("name").and_then(Value::as_str),
        _ => None,
    }
}

fn edit_toml(fields: &str, change: &Change) -> Result<String, Refusal> {
    let mut doc: DocumentMut =
        fields.parse().map_err(|e: toml_edit::TomlError| Refusal::Edit(format!("cannot edit invalid TOML: {}", e.message())))?;
    match change {
        Change::Link { field, name, order, priority } => {
            let value = link_value(name, *order, *priority);
            match doc.get_mut(field.key()) {
                None => {
                    let mut array = Array::new();
                    array.push(value);
                    doc.insert(field.key(), Item::Value(Value::Array(array)));
                }
                Some(item) => {
                    let Some(array) = item.as_array_mut() else {
                        return refuse(format!("`{}` is not a list; fix it by hand first", field.key()));
                    };
                    push_like_the_others(array, value);
                }
            }
        }
        Change::Unlink { field, name } => {
            let Some(array) = doc.get_mut(field.key()).and_then(Item::as_array_mut) else {
                return refuse(format!("`{name}` is not linked in this file's `{}`", field.key()));
            };
            let Some(index) = array.iter().position(|v| link_name(v) == Some(name)) else {
                return refuse(format!("`{name}` is not linked in this file's `{}`", field.key()));
            };
            remove_keeping_layout(array, index);
            if array.is_empty() {
                doc.remove(field.key());
            }
        }
        Change::SetArc { name, stage } => set_arc_toml(&mut doc, name, stage.as_deref())?,
    }
    Ok(doc.to_string())
}

fn set_arc_toml(doc: &mut DocumentMut, name: &str, stage: Option<&str>) -> Result<(), Refusal> {
    fn set_in(table: &mut dyn toml_edit::TableLike, name: &str, stage: Option<&str>) {
        set_keeping_decor(table, "name", name);
        match stage {
            Some(stage) => set_keeping_decor(table, "stage", stage),
            None => _ = table.remove("stage"),
        }
    }
    match doc.get_mut("arc") {
        Some(Item::Value(Value::InlineTable(t))) => {
            // The space before `}` belongs to whichever value is last.
            let last_suffix = |t: &mut InlineTable| -> String {
                let last = t.iter_mut().last().map(|(_, v)| v);
                last.map(|v| {
                    let s = v.decor().suffix().and_then(|s| s.as_str()).unwrap_or("").to_string();
                    v.decor_mut().set_suffix("");
                    s
                })
                .unwrap_or_default()
            };
            let suffix = last_suffix(t);
            set_in(t, name, stage);
            if let Some((_, v)) = t.iter_mut().last() {
                v.decor_mut().set_suffix(suffix);
            }
        }
        Some(Item::Table(t)) => set_in(t, name, stage),
        Some(Item::Value(v)) if v.is_str() => {
            let decor = v.decor().clone();
            let mut table = InlineTable::new();
            set_in(&mut table, name, stage);
            *v = Value::InlineTable(table);
            *v.decor_mut() = decor;
        }
        Some(_) => return refuse("`arc` is neither a name nor a table; fix it by hand first"),
        None => {
            let mut table = InlineTable::new();
            set_in(&mut table, name, stage);
            doc.insert("arc", Item::Value(Value::InlineTable(table)));
        }
    }
    Ok(())
}

fn set_keeping_decor(table: &mut dyn toml_edit::TableLike, key: &str, value: &str) {
    match table.get_mut(key) {
        Some(Item::Value(v)) => {
            if v.as_str() != Some(value) {
                let decor = v.decor().clone();
                *v = Value::from(value);
                *v.decor_mut() = decor;
            }
        }
        _ => _ = table.insert(key, Item::Value(Value::from(value))),
    }
}

/// Writes an edit: first checks that the repository with `path` set to
/// `text` (removed, for `None`) compiles, then writes the file atomically or
/// removes it. Nothing else is touched; a refusal touches nothing.
///
/// The check is incremental: files parse through `cache` (only the edited
/// one is new), and only the personas whose inputs differ from those the
/// output folder's `index.json` (read through `index`) records are compiled: those the edit
/// reaches, through a link, a parent, an arc or a channel, and any changed
/// since the last build. The others compiled without errors from exactly
/// these inputs.
pub fn save(
    root: &Path,
    snapshot: &crate::snapshot::Snapshot,
    path: &Arc<str>,
    text: Option<&str>,
    cache: &crate::catalog::Cache,
    index: &crate::artifacts::IndexCache,
) -> Result<Saved, Refusal> {
    let edited = match text {
        Some(text) => snapshot.with_file(path, text),
        None => snapshot.without(path),
    };
    let project = crate::project::Project::load(&edited, cache).map_err(Refusal::Invalid)?;
    let index = crate::rules::out_dir(root, &project.catalog.config, None).ok().and_then(|dir| index.read(&dir));
    let reuse = index.as_deref().map(|previous| crate::artifacts::Reuse {
        previous,
        from: crate::artifacts::Previous::Recorded,
        changed: None,
        untouched: None,
    });
    let output = crate::artifacts::compile(
        &project.catalog,
        &project.renderer,
        &project.tokenizer,
        &edited,
        reuse,
        None,
        &crate::artifacts::Discard,
    )
    .map_err(Refusal::Invalid)?;
    let saved = Saved { compiled: output.personas.len() - output.reused, personas: output.personas.len(), snapshot: edited, project };
    let file = root.join(&**path);
    let written = match text {
        Some(text) => {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Refusal::Edit(format!("cannot create the folder of `{path}`: {e}")))?;
            }
            crate::atomic::write(&file, text.as_bytes())
        }
        None => std::fs::remove_file(&file),
    };
    written.map_err(|e| Refusal::Edit(format!("cannot write `{path}`: {e}")))?;
    Ok(saved)
}

/// A written edit: how it was validated (the personas compiled with it, of
/// all), and the repository with it, loaded.
pub struct Saved {
    pub compiled: usize,
    pub personas: usize,
    pub snapshot: crate::snapshot::Snapshot,
    pub project: crate::project::Project,
}

/// What to do with a persona's arc.
pub enum ArcAction<'a> {
    Assign { arc: &'a str, stage: Option<&'a str> },
    Advance,
    Reset,
}

/// The change an arc action makes to a persona's file, and a message for
/// it (`maya: advance arc hero to trial`); or why it cannot be done.
pub fn arc_change(catalog: &crate::catalog::Catalog, persona: &str, action: &ArcAction) -> Result<(Change, String), String> {
    let resolved = catalog.resolve(persona, &crate::model::Request::default()).map_err(|e| match e {
        crate::resolve::ResolveError::Request(msg) => msg,
        crate::resolve::ResolveError::Definitions(_) => format!("persona `{persona}` does not resolve; fix its errors first"),
    })?;
    let current = resolved.stage.as_ref().map(|s| (s.arc, s.index));
    let no_arc = || format!("persona `{persona}` has no arc\n  help: put it on one with `personac arc assign {persona} ARC`");
    match action {
        ArcAction::Assign { arc, stage } => {
            let Some(definition) = catalog.arcs.get(arc) else {
                let mut msg = format!("no arc named `{arc}`");
                if let Some(best) = crate::diag::did_you_mean(arc, catalog.names(Kind::Arc)) {
                    msg.push_str(&format!("\n  help: did you mean `{best}`?"));
                }
                return Err(msg);
            };
            if let Some(stage) = stage
                && !definition.stages.iter().any(|s| s.name.value == *stage)
            {
                let names: Vec<&str> = definition.stages.iter().map(|s| s.name.value.as_str()).collect();
                return Err(format!("arc `{arc}` has no stage `{stage}`\n  help: its stages are: {}", names.join(", ")));
            }
            let message = match stage {
                Some(s) => format!("{persona}: assign arc {arc} at {s}"),
                None => format!("{persona}: assign arc {arc}"),
            };
            Ok((Change::SetArc { name: arc.to_string(), stage: stage.map(str::to_string) }, message))
        }
        ArcAction::Advance => {
            let (arc, index) = current.ok_or_else(no_arc)?;
            let Some(next) = arc.stages.get(index + 1) else {
                return Err(format!(
                    "persona `{persona}` is already at the last stage `{}` of arc `{}`\n  help: `personac arc reset {persona}` starts it over",
                    arc.stages[index].name.value, arc.meta.name
                ));
            };
            let message = format!("{persona}: advance arc {} to {}", arc.meta.name, next.name.value);
            Ok((Change::SetArc { name: arc.meta.name.clone(), stage: Some(next.name.value.clone()) }, message))
        }
        ArcAction::Reset => {
            let (arc, _) = current.ok_or_else(no_arc)?;
            let message = format!("{persona}: reset arc {} to {}", arc.meta.name, arc.stages[0].name.value);
            // Without a stage, a persona is at its arc's first stage.
            Ok((Change::SetArc { name: arc.meta.name.clone(), stage: None }, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_str(path: &str, text: &str, change: &Change) -> String {
        match apply(&Arc::from(path), text, change) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn link(field: LinkField, name: &str) -> Change {
        Change::Link { field, name: name.into(), order: None, priority: None }
    }

    #[test]
    fn toml_links_follow_the_layout_and_round_trip() {
        let cases = [
            "version = \"1.0.0\"\nsummary = \"s\"\ntraits = [\"a\", \"b\"] # kind ones\n",
            "version = \"1.0.0\"\nsummary = \"s\"\ntraits = [\n  \"a\",\n  \"b\",\n]\n[vars]\nx = 1\n",
            "version = \"1.0.0\"\nsummary = \"s\"\ntraits = [\n  \"a\",\n  \"b\"\n]\n",
            "# top\nversion = \"1.0.0\"\nsummary = \"s\"\n\n[vars]\nx = 1 # note\n",
        ];
        for text in cases {
            let linked = apply_str("personas/p.toml", text, &link(LinkField::Traits, "c"));
            let unlinked = apply_str("personas/p.toml", &linked, &Change::Unlink { field: LinkField::Traits, name: "c".into() });
            assert_eq!(unlinked, text, "round trip of:\n{text}\nvia:\n{linked}");
        }
        let linked = apply_str("personas/p.toml", cases[1], &link(LinkField::Traits, "c"));
        assert!(linked.contains("  \"b\",\n  \"c\",\n]"), "{linked}");
        let linked = apply_str("personas/p.toml", cases[3], &link(LinkField::Traits, "c"));
        assert!(linked.starts_with("# top\nversion = \"1.0.0\"\nsummary = \"s\"\ntraits = [\"c\"]\n"), "{linked}");
        // A comment above the last item stays with it, once.
        let commented = "version = \"1.0.0\"\nsummary = \"s\"\ntraits = [\n  \"a\",\n  # the goal\n  \"b\",\n]\n";
        let linked = apply_str("personas/p.toml", commented, &link(LinkField::Traits, "c"));
        assert_eq!(linked, "version = \"1.0.0\"\nsummary = \"s\"\ntraits = [\n  \"a\",\n  # the goal\n  \"b\",\n  \"c\",\n]\n");
    }

    #[test]
    fn toml_arc_stage_moves_and_resets() {
        let text = "version = \"1.0.0\"\nsummary = \"s\"\narc = { name = \"hero\" } # the journey\n";
        let moved = apply_str("personas/p.toml", text, &Change::SetArc { name: "hero".into(), stage: Some("trial".into()) });
        assert_eq!(moved, "version = \"1.0.0\"\nsummary = \"s\"\narc = { name = \"hero\", stage = \"trial\" } # the journey\n");
        let reset = apply_str("personas/p.toml", &moved, &Change::SetArc { name: "hero".into(), stage: None });
        assert_eq!(reset, text);
    }
}
