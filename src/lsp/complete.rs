//! Completion: the names that fit where the cursor is (parts in `parts`,
//! only parts of the overridden type in `overrides`, traits, skills,
//! guardrails, arcs and their stages, personas after `extends`, part and
//! trait types, severities), the fields of each kind where a key goes, and
//! the variables a text can use inside `{{ }}`.

use std::collections::BTreeMap;

use lsp_types::{CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse, CompletionTextEdit, TextEdit};

use super::context::{self, Slot};
use super::names;
use super::workspace::Workspace;
use crate::catalog::Catalog;
use crate::model::{Kind, PART_TYPES, Persona, SEVERITIES, TRAIT_TYPES};
use crate::parse::{self, Syntax};

pub fn completion(ws: &mut Workspace, params: CompletionParams) -> Option<CompletionResponse> {
    let p = params.text_document_position;
    let (path, offset) = ws.at(&p.text_document.uri, p.position)?;
    let analysis = ws.analysis();
    let text = analysis.snapshot.get(&path)?;
    let (kind, _) = Kind::of_path(&path)?;
    let path_arc: std::sync::Arc<str> = path.as_str().into();
    let (syntax, fields) = match Syntax::of_path(&path) {
        Some(syntax) => (syntax, 0..text.len()),
        None => match parse::front_matter(&path_arc, text) {
            Ok(fm) => (fm.syntax, fm.fields),
            // No front matter yet: only variables in the body.
            Err(_) => (Syntax::Yaml, 0..0),
        },
    };
    let catalog = &analysis.project.catalog;
    // Each item replaces the whole name being typed (names hold `-`, which
    // editors count as a word's end).
    let is_name = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let start = text[..offset].rfind(|c: char| !is_name(c)).map_or(0, |i| i + 1);
    let end = text[offset..].find(|c: char| !is_name(c)).map_or(text.len(), |i| offset + i);
    let range = super::text::range(text, &(start..end));
    // What is typed already narrows the list here (thousands of parts are
    // too many to send on every keystroke); the editor asks again when the
    // word changes, as the list says it is incomplete.
    let typed = &text[start..offset];
    let Offered { items, all } = match context::slot(text, offset, syntax, fields) {
        Slot::Variable => variables(catalog, &path).into(),
        Slot::Key(keys) => self::keys(kind, &keys).into(),
        Slot::Value(keys) => values(catalog, kind, &path, &keys, typed),
        Slot::None => Vec::new().into(),
    };
    let items: Vec<CompletionItem> = items
        .into_iter()
        .filter(|item| in_order(typed, &item.label))
        .take(MAX_ITEMS)
        .map(|item| CompletionItem { text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text: item.label.clone() })), ..item })
        .collect();
    Some(CompletionResponse::List(CompletionList { is_incomplete: items.len() < all, items }))
}

/// The most items one answer holds; more typed narrows the rest.
const MAX_ITEMS: usize = 200;

/// The items a slot offers: those made, and how many it offers in all.
/// Of the names of a kind (30,000 parts at 10,000 personas) only those
/// that fit what is typed, up to [`MAX_ITEMS`], are made into items.
struct Offered {
    items: Vec<CompletionItem>,
    all: usize,
}

impl From<Vec<CompletionItem>> for Offered {
    fn from(items: Vec<CompletionItem>) -> Offered {
        Offered { all: items.len(), items }
    }
}

/// Whether `label` holds the characters of `typed` in order (as editors
/// match a completion).
fn in_order(typed: &str, label: &str) -> bool {
    let mut label = label.chars().flat_map(char::to_lowercase);
    typed.chars().flat_map(char::to_lowercase).all(|c| label.any(|l| l == c))
}

/// At most one line of a text, shortened, as a completion's detail.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem { label: label.to_string(), kind: Some(kind), detail, ..Default::default() }
}

/// Definitions of a kind, with their description as detail: those that
/// fit what is typed, up to [`MAX_ITEMS`], and how many there are.
fn definitions(catalog: &Catalog, kind: Kind, keep: impl Fn(&str) -> bool, typed: &str) -> Offered {
    let mut offered = Offered { items: Vec::new(), all: 0 };
    for name in catalog.names(kind).filter(|n| keep(n)) {
        offered.all += 1;
        if offered.items.len() == MAX_ITEMS || !in_order(typed, name) {
            continue;
        }
        let meta = catalog.meta(kind, name);
        let detail = match kind {
            Kind::Part => catalog.part(name).map(|p| format!("{} part: {}", p.part_type.value, short(&p.summary.source))),
            _ => meta.and_then(|m| m.description.as_ref()).map(|d| format!("{kind}: {}", short(&d.source))),
        };
        offered.items.push(item(name, CompletionItemKind::REFERENCE, detail.or_else(|| Some(kind.to_string()))));
    }
    offered
}

fn words(words: impl IntoIterator<Item = impl AsRef<str>>, detail: &str) -> Vec<CompletionItem> {
    words.into_iter().map(|w| item(w.as_ref(), CompletionItemKind::ENUM_MEMBER, Some(detail.to_string()))).collect()
}

fn keys(kind: Kind, keys: &[String]) -> Vec<CompletionItem> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let fields: Vec<&str> = match (kind, &keys[..]) {
        (_, []) => parse::fields(kind),
        (Kind::Persona, ["parts"]) => vec!["name", "order", "priority", "mode", "load"],
        (Kind::Persona, ["traits" | "skills"]) => vec!["name", "load"],
        (Kind::Persona, ["arc"]) => vec!["name", "stage"],
        (Kind::Persona, ["budget"]) => vec!["max_tokens"],
        (Kind::Persona, ["runtime_vars"]) => vec!["name", "description", "default", "max_length"],
        (Kind::Persona, ["channels", _]) => vec!["overrides", "vars"],
        (Kind::Persona, ["channels", _, "overrides"]) => return words(PART_TYPES, "part type"),
        (Kind::Arc, ["stages"]) => vec!["name", "description", "condition", "parts"],
        (Kind::Arc, ["stages", "parts"]) => vec!["name", "mode"],
        _ => Vec::new(),
    };
    fields.into_iter().map(|f| item(f, CompletionItemKind::FIELD, Some(format!("{kind} field")))).collect()
}

fn values(catalog: &Catalog, kind: Kind, path: &str, keys: &[String], typed: &str) -> Offered {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let own = names::defined_in(catalog, path).map(|(_, n)| n);
    let items = match (kind, &keys[..]) {
        (Kind::Persona, ["parts"] | ["parts", "name"]) => return definitions(catalog, Kind::Part, |_| true, typed),
        (Kind::Persona, ["traits"] | ["traits", "name"]) => return definitions(catalog, Kind::Trait, |_| true, typed),
        (Kind::Persona, ["skills"] | ["skills", "name"]) => return definitions(catalog, Kind::Skill, |_| true, typed),
        (Kind::Persona, ["guardrails"]) => return definitions(catalog, Kind::Guardrail, |_| true, typed),
        (Kind::Persona, ["extends"]) => return definitions(catalog, Kind::Persona, move |n| Some(n) != own.as_deref(), typed),
        (Kind::Persona, ["arc"] | ["arc", "name"]) => return definitions(catalog, Kind::Arc, |_| true, typed),
        (Kind::Persona, ["arc", "stage"]) => {
            let arc = own.as_deref().and_then(|n| catalog.persona(n)).and_then(|p| p.arc.as_ref()).map(|a| a.name.value.clone());
            catalog
                .arcs
                .values()
                .filter(|a| arc.as_ref().is_none_or(|n| *n == a.meta.name))
                .flat_map(|a| {
                    a.stages
                        .iter()
                        .map(move |s| item(&s.name.value, CompletionItemKind::ENUM_MEMBER, Some(format!("stage of arc `{}`", a.meta.name))))
                })
                .collect()
        }
        (Kind::Persona, ["channels", _, "overrides", part_type]) => {
            let part_type = part_type.to_string();
            return definitions(catalog, Kind::Part, move |n| catalog.part(n).is_some_and(|p| p.part_type.value == part_type), typed);
        }
        (Kind::Persona, ["parts" | "stages", "mode"] | ["arc", "mode"]) => words(["replace", "append"], "mode"),
        (Kind::Persona, ["parts" | "traits" | "skills", "load"]) => words(["inline", "on_demand"], "load"),
        (Kind::Persona, ["abstract"] | ["headings"]) | (_, ["template"]) => words(["true", "false"], "boolean"),
        (Kind::Arc, ["stages", "parts"] | ["stages", "parts", "name"]) => return definitions(catalog, Kind::Part, |_| true, typed),
        (Kind::Arc, ["stages", "parts", "mode"]) => words(["replace", "append"], "mode"),
        (Kind::Part, ["type"]) => words(&catalog.part_types, "part type"),
        (Kind::Trait, ["type"]) => words(TRAIT_TYPES, "trait type"),
        (Kind::Guardrail, ["severity"]) => words(SEVERITIES, "severity"),
        _ => Vec::new(),
    };
    items.into()
}

/// The variables a text of this file can use, with where each comes from:
/// a persona's own and its ancestors' `vars`, its channels' and runtime
/// variables, then `[vars]` of personac.toml. In a part, trait, skill or
/// guardrail: those of the personas that use it (or every persona's).
fn variables(catalog: &Catalog, path: &str) -> Vec<CompletionItem> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let personas: Vec<&Persona> = match names::defined_in(catalog, path) {
        Some((Kind::Persona, name)) => catalog.persona(&name).into_iter().collect(),
        Some((kind, name)) => {
            let users: Vec<&Persona> =
                catalog.personas.values().filter(|p| p.references().contains(&(kind, name.as_str()))).map(|p| &**p).collect();
            if users.is_empty() { catalog.personas.values().map(|p| &**p).collect() } else { users }
        }
        None => catalog.personas.values().map(|p| &**p).collect(),
    };
    for persona in personas {
        let mut at = Some(persona);
        let mut depth = 0;
        while let Some(p) = at {
            let whose = if depth == 0 { format!("`{}`", p.meta.name) } else { format!("ancestor `{}`", p.meta.name) };
            for name in p.vars.keys() {
                found.entry(name.clone()).or_insert_with(|| format!("vars of {whose}"));
            }
            for var in p.runtime_vars.iter().flatten() {
                found.entry(var.name.value.clone()).or_insert_with(|| format!("runtime variable of {whose}"));
            }
            for channel in p.channels.iter().flatten() {
                for name in channel.vars.keys() {
                    found.entry(name.clone()).or_insert_with(|| format!("vars of {whose}'s channel `{}`", channel.name.value));
                }
            }
            depth += 1;
            at = p.extends.as_ref().and_then(|e| catalog.persona(&e.value)).filter(|_| depth < crate::catalog::MAX_DEPTH);
        }
    }
    for name in catalog.config.vars.keys() {
        found.entry(name.clone()).or_insert_with(|| "[vars] of personac.toml".to_string());
    }
    found.into_iter().map(|(name, from)| item(&name, CompletionItemKind::VARIABLE, Some(from))).collect()
}
