//! A skill in the Agent Skills form (agentskills.io): `skills/…/NAME/SKILL.md`,
//! YAML front matter with the specification's fields, a Markdown body that is
//! the skill's content. The folder's other files (references, scripts,
//! assets) are not this file's: the catalog gathers them.

use std::sync::Arc;

use super::node::Value;
use super::reader::Reader;
use super::syntax::{Document, Syntax};
use crate::diag::{Diagnostic, code};
use crate::model::*;

/// The specification's fields, the only ones this form takes.
pub const FIELDS: [&str; 6] = ["name", "description", "license", "compatibility", "metadata", "allowed-tools"];

/// The specification's limits, in characters.
pub const NAME_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 1024;
pub const COMPATIBILITY_MAX: usize = 500;

/// Why a name breaks the specification's rule (`a-z`, `0-9` and `-`, at
/// most 64 characters, no leading, trailing or double `-`), if it does.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.chars().count() > NAME_MAX {
        Some("it is longer than 64 characters")
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        Some("it may hold only lowercase letters `a-z`, digits and `-`")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("it may not start or end with `-`")
    } else if name.contains("--") {
        Some("it may not hold `--`")
    } else {
        None
    }
}

/// The folder a `SKILL.md` names its skill after: `pdf-forms` for
/// `skills/tools/pdf-forms/SKILL.md`.
pub fn folder_name(path: &str) -> &str {
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    dir.rsplit('/').next().unwrap_or(dir)
}

pub(super) fn read(file: &Arc<str>, text: &str, doc: Document) -> Result<Definition, Vec<Diagnostic>> {
    let folder = folder_name(file);
    let what = format!("Agent Skills skill `{folder}`");
    if doc.syntax != Syntax::Yaml {
        return Err(vec![
            Diagnostic::error(code::FRONT_MATTER, "an Agent Skills `SKILL.md` has YAML front matter")
                .at(file, 0..3)
                .help("open and close the front matter with `---` lines, and write its fields in YAML"),
        ]);
    }
    let mut r = Reader::new(file, text, doc.syntax, what.clone(), &doc.fields, doc.anchor.clone()).map_err(|d| vec![d])?;

    let name = r.string("name");
    let name = r.require("name", name, &format!("\"{folder}\""));
    let mut name_span = doc.anchor.clone();
    if let Some(name) = &name {
        name_span = name.span.clone();
        if name.value != folder {
            r.diags.push(
                Diagnostic::error(code::NAME_MISMATCH, format!("`name` is `{}` but the skill's folder is `{folder}`", name.value))
                    .at(file, name.span.clone())
                    .help(format!(
                        "the Agent Skills specification names a skill by its folder: write `name: {folder}`, or rename the folder to `{}`",
                        name.value
                    )),
            );
        }
    }
    if let Some(why) = name_problem(folder) {
        r.diags.push(
            Diagnostic::error(code::INVALID_NAME, format!("`{folder}` is not a valid Agent Skills name: {why}"))
                .at(file, name_span.clone())
                .help("rename the folder (and `name`) with lowercase letters, digits and single `-` between them, at most 64 characters"),
        );
    }

    let description = r.text("description");
    let description = r.require("description", description, "\"What the skill does, and when to use it\"");
    if let Some(d) = &description {
        let count = d.source.chars().count();
        if d.source.trim().is_empty() {
            r.diags.push(
                Diagnostic::error(code::INVALID_VALUE, "`description` is empty")
                    .at(file, d.span.clone())
                    .help("say what the skill does and when to use it: agents choose skills by it"),
            );
        } else if count > DESCRIPTION_MAX {
            r.diags.push(too_long(file, "description", d.span.clone(), count, DESCRIPTION_MAX));
        }
    }
    let license = r.string("license").map(|l| l.value);
    let compatibility = r.string("compatibility");
    if let Some(c) = &compatibility {
        let count = c.value.chars().count();
        if count > COMPATIBILITY_MAX {
            r.diags.push(too_long(file, "compatibility", c.span.clone(), count, COMPATIBILITY_MAX));
        }
    }
    let allowed_tools = match r.take("allowed-tools") {
        None => None,
        Some(entry) => match &entry.node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                r.type_error(entry, "a string");
                if let Some(last) = r.diags.last_mut() {
                    last.help.push("the specification writes `allowed-tools` as one string of tools separated by spaces: `allowed-tools: Bash(git:*) Read`".into());
                }
                None
            }
        },
    };
    let mut metadata = Vec::new();
    let mut template = false;
    if let Some(entry) = r.take("metadata") {
        match &entry.node.value {
            Value::Table(entries) => {
                for e in entries {
                    let Value::Str(value) = &e.node.value else {
                        r.diags.push(
                            Diagnostic::error(
                                code::FIELD_TYPE,
                                format!("`metadata.{}` must be a string, found {}", e.key, e.node.value.describe()),
                            )
                            .at(file, e.node.span.clone())
                            .help("the specification's `metadata` maps strings to strings: quote the value"),
                        );
                        continue;
                    };
                    if e.key == SKILL_TEMPLATE_KEY {
                        match value.as_str() {
                            "true" => template = true,
                            "false" => {}
                            _ => r.diags.push(
                                Diagnostic::error(code::INVALID_VALUE, format!("`{SKILL_TEMPLATE_KEY}` is `\"true\"` or `\"false\"`"))
                                    .at(file, e.node.span.clone())
                                    .help(format!("write `{SKILL_TEMPLATE_KEY}: \"true\"` to render the skill's texts as templates")),
                            ),
                        }
                    }
                    metadata.push((e.key.clone(), value.clone()));
                }
            }
            _ => r.type_error(entry, "a table of strings"),
        }
    }
    let diags = r.finish(&FIELDS);
    if !diags.is_empty() {
        return Err(diags);
    }
    let Some(description) = description else {
        return Err(vec![
            Diagnostic::error(code::MISSING_FIELD, format!("{what} is missing the required field `description`")).at(file, doc.anchor),
        ]);
    };
    let content = doc.body.map(|(source, offset)| Text {
        span: offset..offset + source.len(),
        lines: [(0, offset)].into(),
        file_lines: super::node::line_numbers(text, offset, &[(0, offset)]).into(),
        table: Default::default(),
        source: source.into(),
    });
    let meta = Meta { name: folder.to_string(), file: file.clone(), name_span, description: Some(description), tags: Vec::new(), template };
    let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
    let folder = SkillFolder {
        dir,
        license,
        compatibility: compatibility.map(|c| c.value),
        metadata,
        allowed_tools,
        references: Vec::new(),
        reference_files: Vec::new(),
        files: Vec::new(),
    };
    Ok(Definition::Skill(Arc::new(Skill { meta, content, title: None, folder: Some(Arc::new(folder)) })))
}

fn too_long(file: &Arc<str>, field: &str, span: std::ops::Range<usize>, count: usize, max: usize) -> Diagnostic {
    Diagnostic::error(
        code::INVALID_VALUE,
        format!("`{field}` is {count} characters long; the Agent Skills specification allows at most {max}"),
    )
    .at(file, span)
    .help(format!("shorten it by {} characters: harnesses cut or refuse a longer one", count - max))
}

/// The Agent Skills folders among repository paths: each folder under
/// `skills/` that holds a `SKILL.md` (below the top folder).
pub fn folders<'a>(paths: impl Iterator<Item = &'a str>) -> std::collections::BTreeSet<&'a str> {
    let prefix = format!("{}/", Kind::Skill.folder());
    paths
        .filter(|p| p.starts_with(&prefix))
        .filter_map(|p| p.strip_suffix(SKILL_FILE).and_then(|d| d.strip_suffix('/')))
        .filter(|dir| dir.contains('/'))
        .collect()
}

/// The Agent Skills folder a path belongs to (the deepest, if folders
/// nest), unless it is that folder's `SKILL.md`.
pub fn owner<'a>(path: &str, folders: &std::collections::BTreeSet<&'a str>) -> Option<&'a str> {
    let mut end = path.len();
    while let Some(slash) = path[..end].rfind('/') {
        if let Some(dir) = folders.get(&path[..slash]) {
            return (path[slash + 1..] != *SKILL_FILE).then_some(*dir);
        }
        end = slash;
    }
    None
}

/// Whether a path inside a skill's folder (`references/api.md`) is one of
/// its references: a Markdown file directly in `references/`.
pub fn is_reference(inside: &str) -> bool {
    inside.strip_prefix("references/").is_some_and(|name| !name.contains('/') && name.ends_with(".md"))
}
