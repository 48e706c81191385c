//! Agent Skills (agentskills.io): skill folders in and out. Export writes
//! every skill the exported personas use as `NAME/SKILL.md` (front matter
//! within the specification's limits, the body rendered with the project's
//! vars) with its references and files carried byte for byte; import copies
//! skill folders into `skills/`, checked, never overwriting. A skill already
//! in the folder form is written back as it came.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::agent::Loss;
use super::import::ImportError;
use crate::diag::{Diagnostic, code};
use crate::model::{Kind, Request, SKILL_FILE, Skill};
use crate::parse::skill_folder::{COMPATIBILITY_MAX, DESCRIPTION_MAX, name_problem};
use crate::project::Project;
use crate::snapshot::Snapshot;

/// Where `personac export agent-skills` writes when no folder is given:
/// where Claude Code (and Copilot, which reads it too) looks for skills.
pub const DEFAULT_OUT: &str = ".claude/skills";

/// An export's files, by path relative to its folder.
pub type Files = BTreeMap<String, Vec<u8>>;

/// One skill exported, and what its folder could not carry.
pub struct ExportedSkill {
    pub name: String,
    pub lost: Vec<Loss>,
}

/// The skills the personas named use (every concrete persona when `only`
/// is empty), by name.
pub fn used<'c>(project: &'c Project, only: &[String]) -> Result<BTreeMap<String, &'c Arc<Skill>>, Vec<Diagnostic>> {
    let catalog = &project.catalog;
    let mut skills = BTreeMap::new();
    for (name, persona) in &catalog.personas {
        if persona.is_abstract || (!only.is_empty() && !only.contains(name)) {
            continue;
        }
        let resolved = catalog.resolve(name, &Request::default()).map_err(|e| match e {
            crate::resolve::ResolveError::Definitions(d) => d,
            crate::resolve::ResolveError::Request(msg) => vec![Diagnostic::error(code::CONFIG, msg)],
        })?;
        for s in &resolved.skills {
            if let Some(skill) = catalog.skills.get(&s.meta.name) {
                skills.insert(s.meta.name.clone(), skill);
            }
        }
    }
    Ok(skills)
}

/// The files of an Agent Skills export of `skills`, by path relative to the
/// export's folder, and what each skill's folder could not carry.
pub fn export(
    project: &Project,
    snapshot: &Snapshot,
    skills: &BTreeMap<String, &Arc<Skill>>,
) -> Result<(Files, Vec<ExportedSkill>), Vec<Diagnostic>> {
    let mut files = BTreeMap::new();
    let mut report = Vec::new();
    let mut diags = Vec::new();
    for (name, skill) in skills {
        let meta = &skill.meta;
        if let Some(why) = name_problem(name) {
            diags.push(
                Diagnostic::error(code::INVALID_NAME, format!("skill `{name}` cannot be an Agent Skills folder: its name breaks the specification's rule ({why})"))
                    .at(&meta.file, meta.name_span.clone())
                    .help("Agent Skills names use lowercase letters, digits and single `-` between them: rename the skill's file (and its links), e.g. `_` to `-`"),
            );
            continue;
        }
        let rendered = match crate::describe::rendered(&project.catalog, &project.renderer, Kind::Skill, name, None) {
            Ok(value) => value,
            Err(crate::describe::ShowError::Definitions(d)) => {
                diags.extend(d);
                continue;
            }
            Err(crate::describe::ShowError::Request(msg)) => {
                diags.push(Diagnostic::error(code::CONFIG, msg));
                continue;
            }
        };
        let text = |key: &str| rendered.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let description = text("description").trim().to_string();
        let count = description.chars().count();
        if count > DESCRIPTION_MAX {
            let span = meta.description.as_ref().map_or(meta.name_span.clone(), |d| d.span.clone());
            diags.push(
                Diagnostic::error(
                    code::INVALID_VALUE,
                    format!(
                        "skill `{name}`'s description is {count} characters long (rendered); Agent Skills allows at most {DESCRIPTION_MAX}"
                    ),
                )
                .at(&meta.file, span)
                .help(format!("shorten it by {} characters: the export never cuts it", count - DESCRIPTION_MAX)),
            );
            continue;
        }
        let mut lost = Vec::new();
        let mut front = format!("---\nname: {name}\ndescription: {}\n", yaml_string(&description));
        match &skill.folder {
            Some(folder) => {
                if let Some(license) = &folder.license {
                    front.push_str(&format!("license: {}\n", yaml_string(license)));
                }
                if let Some(compatibility) = folder.compatibility.as_ref().filter(|c| c.chars().count() <= COMPATIBILITY_MAX) {
                    front.push_str(&format!("compatibility: {}\n", yaml_string(compatibility)));
                }
                if !folder.metadata.is_empty() {
                    front.push_str("metadata:\n");
                    for (key, value) in &folder.metadata {
                        front.push_str(&format!("  {}: {}\n", yaml_string(key), yaml_string(value)));
                    }
                }
                if let Some(tools) = &folder.allowed_tools {
                    front.push_str(&format!("allowed-tools: {}\n", yaml_string(tools)));
                }
            }
            None => {
                if skill.title.is_some() {
                    lost.push(Loss {
                        kind: "title",
                        items: vec![name.clone()],
                        note: "Agent Skills has no heading field: the body is written as it is".into(),
                    });
                }
            }
        }
        if !meta.tags.is_empty() {
            lost.push(Loss {
                kind: "tags",
                items: meta.tags.iter().map(|t| t.value.clone()).collect(),
                note: "Agent Skills has no tags field".into(),
            });
        }
        if let Some(unfilled) = rendered.get("unfilled").and_then(Value::as_array).filter(|u| !u.is_empty()) {
            lost.push(Loss {
                kind: "runtime-variables",
                items: unfilled.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                note: "no project value fills them (a persona's vars do not apply to a shared skill): left as written, `{{ name }}`".into(),
            });
        }
        front.push_str("---\n");
        let body = text("content");
        if !body.trim().is_empty() {
            front.push('\n');
            front.push_str(body.trim_end());
            front.push('\n');
        }
        files.insert(format!("{name}/{SKILL_FILE}"), front.into_bytes());
        if let Some(folder) = &skill.folder {
            for (path, text) in &folder.references {
                let bytes = snapshot.bytes(&format!("{}/{path}", folder.dir)).map_or_else(|| text.as_bytes().to_vec(), <[u8]>::to_vec);
                files.insert(format!("{name}/{path}"), bytes);
            }
            for path in &folder.files {
                if let Some(bytes) = snapshot.bytes(path) {
                    files.insert(format!("{name}/{}", &path[folder.dir.len() + 1..]), bytes.to_vec());
                }
            }
        }
        report.push(ExportedSkill { name: name.clone(), lost });
    }
    if diags.is_empty() { Ok((files, report)) } else { Err(diags) }
}

/// A YAML scalar for a string, as the harnesses write front matter.
fn yaml_string(s: &str) -> String {
    super::harness::yaml_value(&Value::String(s.to_string()))
}

/// A skill folder found for import: its name (the folder's), where it is
/// as given, and its files by path inside it.
pub struct Found {
    pub name: String,
    pub source: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Checks the folders an import brings against the repository of
/// `snapshot`: each `SKILL.md` as the specification and personac read it
/// (diagnostics against the source's path), no folder or skill name
/// already there, and the repository still compiling with them in.
/// Returns the files to write, by repository-relative path.
pub fn plan_import(found: &[Found], snapshot: &Snapshot) -> Result<BTreeMap<String, Vec<u8>>, ImportError> {
    let catalog = crate::catalog::Catalog::load(snapshot).ok();
    let mut diags = Vec::new();
    let mut clashes = Vec::new();
    let mut names = BTreeSet::new();
    let mut out = BTreeMap::new();
    for skill in found {
        let dir = format!("{}/{}", Kind::Skill.folder(), skill.name);
        let Some(text) = skill.files.get(SKILL_FILE).map(|b| String::from_utf8_lossy(b).into_owned()) else { continue };
        let virtual_path: Arc<str> = format!("{dir}/{SKILL_FILE}").into();
        if let Err(found_diags) = crate::parse::parse_definition(&virtual_path, &crate::snapshot::normalized(&text)) {
            let source: Arc<str> = format!("{}/{SKILL_FILE}", skill.source).into();
            diags.extend(found_diags.into_iter().map(|mut d| {
                if d.file.as_deref() == Some(&*virtual_path) {
                    d.file = Some(source.clone());
                }
                d
            }));
            continue;
        }
        if !names.insert(skill.name.clone()) {
            clashes.push(format!("two folders given are both skill `{}`", skill.name));
            continue;
        }
        if snapshot.files().any(|(p, _)| p.starts_with(&format!("{dir}/"))) {
            clashes.push(format!("`{dir}/` already exists"));
            continue;
        }
        if let Some(existing) = catalog.as_ref().and_then(|c| c.meta(Kind::Skill, &skill.name)) {
            clashes.push(format!("`{dir}/` would be a second skill named `{}` (the first is `{}`)", skill.name, existing.file));
            continue;
        }
        for (path, bytes) in &skill.files {
            out.insert(format!("{dir}/{path}"), bytes.clone());
        }
    }
    if !diags.is_empty() {
        return Err(ImportError::Sources(diags));
    }
    if !clashes.is_empty() {
        return Err(ImportError::Clash(clashes));
    }
    let mut edited = snapshot.clone();
    for (path, bytes) in &out {
        if let Ok(text) = std::str::from_utf8(bytes) {
            edited = edited.with_file(path, text);
        }
    }
    let cache = crate::catalog::Cache::default();
    let project = Project::load(&edited, &cache).map_err(ImportError::Invalid)?;
    crate::artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &edited, None, None, &crate::artifacts::Discard)
        .map_err(ImportError::Invalid)?;
    Ok(out)
}
