//! A persona's fields: links (with their placement, mode and load),
//! inheritance, the arc, channels, variables, budget and runtime settings.

use super::node::{Entry, Node, Value};
use super::reader::{Reader, read_vars};
use super::syntax::is_identifier;
use crate::diag::{Diagnostic, code};
use crate::model::*;

pub(super) const PERSONA_FIELDS: [&str; 19] = [
    "version",
    "abstract",
    "title",
    "headings",
    "summary",
    "detail",
    "extends",
    "parts",
    "traits",
    "skills",
    "guardrails",
    "arc",
    "runtime_vars",
    "budget",
    "vars",
    "channels",
    "model",
    "tools",
    "metadata",
];

pub(super) fn read_persona(r: &mut Reader, meta: Meta, long_text: &mut dyn FnMut(&mut Reader, &str) -> Option<Text>) -> Option<Persona> {
    let file = r.file;
    let extends = r.string("extends").filter(|n| r.check_name_ref(n));
    let version = r.string("version").and_then(|v| match semver::Version::parse(&v.value) {
        Ok(version) => Some(Spanned::new(version, v.span)),
        Err(err) => {
            r.diags.push(
                Diagnostic::error(code::INVALID_VERSION, format!("`{}` is not a semantic version: {err}", v.value))
                    .at(file, v.span)
                    .help("write versions as MAJOR.MINOR.PATCH, for example `1.0.0`"),
            );
            None
        }
    });
    let is_abstract = r.bool("abstract").is_some_and(|a| a.value);
    // An abstract base is never built: it needs no version, and may leave
    // its summary to the personas that extend it.
    if version.is_none() && !is_abstract {
        r.require::<()>("version", None, "\"1.0.0\"");
    }
    let summary = r.text("summary");
    if extends.is_none() && !r.entries.iter().any(|e| e.key == "extends") && !is_abstract {
        r.require("summary", summary.as_ref(), "\"...\"");
    }
    let title = r.text("title").filter(|t| one_line_title(r, t));
    let own_headings = r
        .one_of("headings", &["standard", "own"], code::INVALID_VALUE, "headings", "the values of `headings`")
        .map(|h| Spanned::new(h.value == "own", h.span));
    let detail = long_text(r, "detail");

    let mut parts = Vec::new();
    if let Some(entry) = r.take("parts") {
        match &entry.node.value {
            Value::List(items) => {
                for item in items {
                    if let Some(part) = read_part_ref(r, item) {
                        parts.push(part);
                    }
                }
            }
            _ => r.type_error(entry, "a list of part names or `{ name, order, priority, mode, load }` tables"),
        }
    }
    let traits = read_links(r, "traits", Kind::Trait);
    let skills = read_links(r, "skills", Kind::Skill);
    let guardrails = r.name_list("guardrails");
    let model = r.string("model");
    let tools = r.string_list("tools");
    let metadata = r.table("metadata").map(|entry| read_metadata(r, entry)).unwrap_or_default();

    let arc = r.take("arc").and_then(|entry| match &entry.node.value {
        Value::Str(s) => {
            let name = Spanned::new(s.clone(), entry.node.span.clone());
            r.check_name_ref(&name).then_some(ArcRef { name, stage: None })
        }
        Value::Table(_) => {
            let what = "the `arc` table".to_string();
            let mut sub = Reader::new(file, r.text, r.syntax, what, &entry.node, entry.node.span.clone()).ok()?;
            let name = sub.string("name");
            let name = sub.require("name", name, "\"hero-journey\"").filter(|n| sub.check_name_ref(n));
            let stage = sub.string("stage").filter(|n| sub.check_name_ref(n));
            let diags = sub.finish(&["name", "stage"]);
            let ok = diags.is_empty();
            r.diags.extend(diags);
            ok.then_some(ArcRef { name: name?, stage })
        }
        _ => {
            r.type_error(entry, "a table `{ name, stage }`");
            None
        }
    });

    let runtime_vars = read_runtime_vars(r);

    let budget = r.table("budget").and_then(|entry| {
        let mut sub = Reader::new(file, r.text, r.syntax, "the `budget` table".into(), &entry.node, entry.node.span.clone()).ok()?;
        let max = sub.int("max_tokens");
        let max = sub.require("max_tokens", max, "1500");
        let max = max.and_then(|m| match u64::try_from(m.value) {
            Ok(v) if v > 0 => Some(Spanned::new(v, m.span)),
            _ => {
                sub.diags.push(
                    Diagnostic::error(code::INVALID_VALUE, "`max_tokens` must be a positive integer")
                        .at(file, m.span)
                        .help("set a budget such as `max_tokens = 1500`, or remove `budget`"),
                );
                None
            }
        });
        r.diags.extend(sub.finish(&["max_tokens"]));
        max
    });

    let (vars, var_spans) = r.table("vars").map(|entry| read_vars(r, entry)).unwrap_or_default();

    let channels = r.table("channels").map(|entry| {
        let Value::Table(entries) = &entry.node.value else { return Vec::new() };
        let mut channels = Vec::new();
        for ch in entries {
            let name = Spanned::new(ch.key.clone(), ch.key_span.clone());
            if !r.check_name_ref(&name) {
                continue;
            }
            let what = format!("channel `{}`", ch.key);
            let Ok(mut sub) = Reader::new(file, r.text, r.syntax, what, &ch.node, ch.key_span.clone()) else {
                r.diags.push(
                    Diagnostic::error(code::FIELD_TYPE, format!("channel `{}` must be a table with `overrides` and `vars`", ch.key))
                        .at(file, ch.node.span.clone()),
                );
                continue;
            };
            let mut overrides = Vec::new();
            if let Some(o) = sub.table("overrides")
                && let Value::Table(pairs) = &o.node.value
            {
                for pair in pairs {
                    match &pair.node.value {
                        Value::Str(part) => overrides.push((
                            Spanned::new(pair.key.clone(), pair.key_span.clone()),
                            Spanned::new(part.clone(), pair.node.span.clone()),
                        )),
                        other => sub.diags.push(
                            Diagnostic::error(
                                code::FIELD_TYPE,
                                format!("an override maps a part type to a part name, found {}", other.describe()),
                            )
                            .at(file, pair.node.span.clone())
                            .help(format!("write `{} = \"part-name\"`", pair.key)),
                        ),
                    }
                }
            }
            let (vars, _) = sub.table("vars").map(|v| read_vars(&mut sub, v)).unwrap_or_default();
            r.diags.extend(sub.finish(&["overrides", "vars"]));
            channels.push(Channel { name, overrides, vars });
        }
        channels
    });

    Some(Persona {
        meta,
        version,
        is_abstract,
        title,
        own_headings,
        summary,
        detail,
        extends,
        parts,
        traits,
        skills,
        guardrails,
        model,
        tools,
        metadata,
        arc,
        runtime_vars,
        budget,
        vars,
        var_spans,
        channels,
    })
}

pub(super) fn read_part_ref(r: &mut Reader, item: &Node) -> Option<PartRef> {
    match &item.value {
        Value::Str(s) => {
            let name = Spanned::new(s.clone(), item.span.clone());
            r.check_name_ref(&name).then_some(PartRef { name, order: None, priority: None, mode: Mode::Replace, load: Load::Inline })
        }
        Value::Table(_) => {
            let mut sub = Reader::new(r.file, r.text, r.syntax, "a part link".into(), item, item.span.clone()).ok()?;
            let name = sub.string("name");
            let name = sub.require("name", name, "\"tone-warm\"").filter(|n| sub.check_name_ref(n));
            let order = sub.int("order").map(|o| o.value);
            let priority = sub.int("priority").map(|p| p.value);
            let mode = read_mode(&mut sub);
            let load = read_load(&mut sub);
            let diags = sub.finish(&["name", "order", "priority", "mode", "load"]);
            let ok = diags.is_empty();
            r.diags.extend(diags);
            ok.then_some(PartRef { name: name?, order, priority, mode, load })
        }
        other => {
            r.diags.push(
                Diagnostic::error(
                    code::FIELD_TYPE,
                    format!("a part link is a name or a `{{ name, order, priority, mode, load }}` table, found {}", other.describe()),
                )
                .at(r.file, item.span.clone()),
            );
            None
        }
    }
}

/// A link's `mode`: `replace` (the default) or `append`.
pub(super) fn read_mode(sub: &mut Reader) -> Mode {
    match sub.one_of("mode", &["replace", "append"], code::INVALID_VALUE, "mode", "modes").as_ref().map(|m| m.value.as_str()) {
        Some("append") => Mode::Append,
        _ => Mode::Replace,
    }
}

/// A link's `load`: `inline` (the default) or `on_demand`.
fn read_load(sub: &mut Reader) -> Load {
    match sub.one_of("load", &["inline", "on_demand"], code::INVALID_VALUE, "load", "loads").as_ref().map(|m| m.value.as_str()) {
        Some("on_demand") => Load::OnDemand,
        _ => Load::Inline,
    }
}

/// Trait or skill links: names, or `{ name, load }` tables.
fn read_links(r: &mut Reader, key: &str, kind: Kind) -> Vec<Link> {
    let Some(entry) = r.take(key) else { return Vec::new() };
    let Value::List(items) = &entry.node.value else {
        r.type_error(entry, &format!("a list of {kind} names or `{{ name, load }}` tables"));
        if let Value::Str(one) = &entry.node.value {
            let fix = r.syntax.list_of_one(key, one);
            if let Some(last) = r.diags.last_mut() {
                last.help.push(format!("write a list, even of one: `{fix}`"));
            }
        }
        return Vec::new();
    };
    let mut links = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => {
                let name = Spanned::new(s.clone(), item.span.clone());
                if r.check_name_ref(&name) {
                    links.push(Link { name, load: Load::Inline });
                }
            }
            Value::Table(_) => {
                let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, format!("a {kind} link"), item, item.span.clone()) else {
                    continue;
                };
                let name = sub.string("name");
                let name = sub.require("name", name, "\"...\"").filter(|n| sub.check_name_ref(n));
                let load = read_load(&mut sub);
                let diags = sub.finish(&["name", "load"]);
                let ok = diags.is_empty();
                r.diags.extend(diags);
                if let (true, Some(name)) = (ok, name) {
                    links.push(Link { name, load });
                }
            }
            other => r.diags.push(
                Diagnostic::error(
                    code::FIELD_TYPE,
                    format!("a {kind} link is a name or a `{{ name, load }}` table, found {}", other.describe()),
                )
                .at(r.file, item.span.clone()),
            ),
        }
    }
    links
}

/// `metadata`: strings, numbers and booleans, by key.
fn read_metadata(r: &mut Reader, entry: &Entry) -> Metadata {
    let Value::Table(entries) = &entry.node.value else { return Metadata::new() };
    let mut metadata = Metadata::new();
    for item in entries {
        match &item.node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                metadata.insert(item.key.clone(), item.node.to_json());
            }
            other => r.diags.push(
                Diagnostic::error(
                    code::FIELD_TYPE,
                    format!("metadata `{}` must be a string, a number or a boolean, found {}", item.key, other.describe()),
                )
                .at(r.file, item.node.span.clone())
                .help(
                    "metadata holds plain values: write a list or a table as one string, or as several keys (`voice_model`, `voice_speed`)",
                ),
            ),
        }
    }
    metadata
}

/// A title is shown as a heading: one line.
pub(super) fn one_line_title(r: &mut Reader, title: &Text) -> bool {
    let ok = !title.source.trim().is_empty() && !title.source.contains(['\n', '\r']);
    if !ok {
        r.diags.push(
            Diagnostic::error(code::INVALID_VALUE, "a title is one line of text")
                .at(r.file, title.span.clone())
                .help("write the display name on one line; longer text belongs in `summary` or `description`"),
        );
    }
    ok
}

/// `runtime_vars`: each a name, or `{ name, description, default, max_length }`.
fn read_runtime_vars(r: &mut Reader) -> Option<Vec<RuntimeVar>> {
    let entry = r.take("runtime_vars")?;
    let Value::List(items) = &entry.node.value else {
        r.type_error(entry, "a list of names or `{ name, description, default, max_length }` tables");
        return None;
    };
    let mut out: Vec<RuntimeVar> = Vec::new();
    for item in items {
        let var = match &item.value {
            Value::Str(s) => {
                Some(RuntimeVar { name: Spanned::new(s.clone(), item.span.clone()), description: None, default: None, max_length: None })
            }
            Value::Table(_) => {
                let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, "a runtime variable".into(), item, item.span.clone()) else {
                    continue;
                };
                let name = sub.string("name");
                let name = sub.require("name", name, "\"user_name\"");
                let description = sub.string("description").map(|d| d.value);
                let default = sub.string("default");
                let max_length = sub.int("max_length");
                if let Some(n) = &max_length
                    && n.value < 1
                {
                    sub.diags.push(
                        Diagnostic::error(code::INVALID_VALUE, format!("`max_length` must be at least 1, found {}", n.value))
                            .at(r.file, n.span.clone())
                            .help("it counts characters (Unicode code points); leave it out for no limit"),
                    );
                }
                if let (Some(d), Some(n)) = (&default, &max_length)
                    && n.value >= 1
                    && d.value.chars().count() as i64 > n.value
                {
                    sub.diags.push(
                        Diagnostic::error(
                            code::INVALID_VALUE,
                            format!("the default is {} characters, over `max_length` ({})", d.value.chars().count(), n.value),
                        )
                        .at(r.file, d.span.clone())
                        .help("shorten the default, or raise `max_length`"),
                    );
                }
                let diags = sub.finish(&["name", "description", "default", "max_length"]);
                let ok = diags.is_empty();
                r.diags.extend(diags);
                name.filter(|_| ok).map(|name| RuntimeVar {
                    name,
                    description,
                    default: default.map(|d| d.value),
                    max_length: max_length.map(|n| n.value as u64),
                })
            }
            other => {
                r.diags.push(
                    Diagnostic::error(
                        code::FIELD_TYPE,
                        format!(
                            "a runtime variable is a name or a `{{ name, description, default, max_length }}` table, found {}",
                            other.describe()
                        ),
                    )
                    .at(r.file, item.span.clone()),
                );
                None
            }
        };
        let Some(var) = var else { continue };
        if !is_identifier(&var.name.value) {
            r.diags.push(
                Diagnostic::error(code::INVALID_VALUE, format!("`{}` is not a valid variable name", var.name.value))
                    .at(r.file, var.name.span.clone())
                    .help("variable names use letters, digits and `_`, and do not start with a digit"),
            );
            continue;
        }
        if out.iter().any(|v| v.name.value == var.name.value) {
            r.diags.push(
                Diagnostic::error(code::INVALID_VALUE, format!("the runtime variable `{}` is declared twice", var.name.value))
                    .at(r.file, var.name.span.clone())
                    .help("declare each runtime variable once"),
            );
            continue;
        }
        out.push(var);
    }
    Some(out)
}
