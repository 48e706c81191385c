//! Exports: compiled personas in another tool's format. `personac export`
//! writes one into a folder; `[export.FORMAT]` in personac.toml makes
//! `build` keep it current (only changed files written, atomically; the
//! files of removed personas removed) and `build --check` verify it. Each
//! export's files and hashes are recorded in `index.json`, which is how a
//! later build knows what it may remove: a file it never wrote is never
//! touched, and nothing is written or removed outside the export's folder.
//! `personac export` records what it wrote in the folder itself
//! ([`LEDGER`]). Either record is what makes a file an export's own: a file
//! no export of this repository recorded writing is never replaced, unless
//! the command line says `--force` ([`clashes`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

use super::Format;
use super::agent::Exported;
use crate::diag::Diagnostic;
use crate::hash::sha256_hex;
use crate::model::{Request, ResolvedPersona};
use crate::project::Project;
use crate::render::{RenderedPersona, View};
use crate::resolve::ResolveError;

/// What to export: which personas, and which channel and stage variants as
/// agents of their own.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only these personas (all when empty).
    pub personas: Vec<String>,
    /// Channels exported as agents of their own (`NAME-CHANNEL`).
    pub channels: Vec<String>,
    /// Stages exported as agents of their own (`NAME-STAGE`).
    pub stages: Vec<String>,
    /// Every channel, and every stage.
    pub all_channels: bool,
    pub all_stages: bool,
    /// The skills are exported as Agent Skills folders alongside
    /// (`[export.agent-skills]`): each agent names its skills in metadata
    /// `skills`, and its prompt leaves their text out, so that a harness
    /// that reads both loads each skill once.
    pub skills_apart: bool,
}

/// Why an export could not be made.
pub enum ExportError {
    /// A persona, channel or stage that does not exist (exit 2).
    Request(String),
    /// The definitions do not compile (exit 1).
    Definitions(Vec<Diagnostic>),
}

fn exported(project: &Project, resolved: &ResolvedPersona, name: String, skills_apart: bool) -> Result<Exported, Vec<Diagnostic>> {
    let apart;
    let resolved = if skills_apart && !resolved.skills.is_empty() {
        apart = without_skills(resolved);
        &apart
    } else {
        resolved
    };
    let (rendered, [summary, detail]) = crate::artifacts::views(&project.renderer, &project.tokenizer, resolved)?;
    let mut out = exported_from(resolved, &rendered, name.clone(), summary.text.clone(), detail.text.clone());
    out.dropped = detail.dropped.clone();
    out.on_demand = on_demand(&rendered, &detail.dropped_at);
    if resolved.runtime_vars.iter().any(|v| !resolved.vars.contains_key(v)) {
        let renderer = &project.renderer;
        let marked = renderer.render_texts_with(resolved, crate::render::Placeholder::Marked)?;
        let layout = |view, fitted: &crate::budget::Fitted| renderer.layout(&marked, view, &fitted.dropped_at).map_err(|d| vec![d]);
        let (summary_m, detail_m) = (layout(View::Summary, &summary)?, layout(View::Detail, &detail)?);
        let marked = exported_from(resolved, &marked, name, summary_m, detail_m);
        out.open_vars = open_vars(&[&marked.title, &marked.description, &marked.summary, &marked.detail_view]);
        out.marked = Some(Box::new(marked));
    }
    Ok(out)
}

/// The items the detail view lists to be fetched on demand, `(kind, name)`.
fn on_demand(rendered: &RenderedPersona, dropped: &BTreeSet<usize>) -> Vec<(String, String)> {
    use crate::model::Load;
    let parts = rendered.parts.iter().enumerate().filter(|(i, p)| p.load == Load::OnDemand && !dropped.contains(i));
    let mut out: Vec<(String, String)> = parts.map(|(_, p)| ("part".to_string(), p.name.clone())).collect();
    for (kind, items) in [("trait", &rendered.traits), ("skill", &rendered.skills), ("guardrail", &rendered.guardrails)] {
        out.extend(items.iter().filter(|i| i.load == Load::OnDemand).map(|i| (kind.to_string(), i.name.clone())));
    }
    out
}

/// The runtime variables marked open in these texts, each once, in the
/// order first shown.
fn open_vars(texts: &[&str]) -> Vec<String> {
    let (open, close) = (crate::render::MARK_OPEN, crate::render::MARK_CLOSE);
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        let mut rest = *text;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len_utf8()..];
            let Some(end) = rest.find(close) else { break };
            if !out.iter().any(|n| n == &rest[..end]) {
                out.push(rest[..end].to_string());
            }
            rest = &rest[end + close.len_utf8()..];
        }
    }
    out
}

fn exported_from(
    resolved: &ResolvedPersona,
    rendered: &RenderedPersona,
    name: String,
    summary_view: String,
    detail_view: String,
) -> Exported {
    let own = if rendered.persona.detail.is_empty() { &rendered.persona.summary } else { &rendered.persona.detail };
    Exported {
        name,
        title: rendered.persona.title.clone(),
        version: rendered.persona.version.clone().unwrap_or_default(),
        description: rendered.persona.description.clone(),
        summary: rendered.persona.summary.clone(),
        detail_view,
        summary_view,
        own_text: own.clone(),
        parts: rendered.parts.iter().map(|p| (p.part_type.clone(), p.title.clone(), p.content.clone())).collect(),
        traits: rendered.traits.iter().map(|t| (t.name.clone(), t.description.clone())).collect(),
        tags: resolved.tags.clone(),
        model: resolved.model.clone(),
        tools: resolved.tools.clone(),
        metadata: resolved.metadata.clone(),
        runtime_vars: resolved.runtime_vars.clone(),
        open_vars: Vec::new(),
        stages: Vec::new(),
        channels: Vec::new(),
        budget: resolved.budget,
        dropped: Vec::new(),
        on_demand: Vec::new(),
        marked: None,
    }
}

/// The compiled personas a selection names, in name order.
pub fn personas(project: &Project, selection: &Selection) -> Result<Vec<Exported>, ExportError> {
    let catalog = &project.catalog;
    for name in &selection.personas {
        catalog.resolve(name, &Request::default()).map_err(request)?;
    }
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (name, persona) in &catalog.personas {
        if persona.is_abstract || (!selection.personas.is_empty() && !selection.personas.contains(name)) {
            continue;
        }
        let base = catalog.resolve(name, &Request::default()).map_err(request)?;
        let mut variants = vec![(name.clone(), base.clone())];
        // What is not exported as an agent of its own, for the report.
        let (mut channels, mut stages) = (Vec::new(), Vec::new());
        for channel in &base.channels {
            if selection.all_channels || selection.channels.contains(channel) {
                let wanted = Request { channel: Some(channel.clone()), ..Request::default() };
                variants.push((format!("{name}-{channel}"), catalog.resolve(name, &wanted).map_err(request)?));
            } else {
                channels.push(channel.clone());
            }
        }
        if let Some(stage) = &base.stage {
            for s in &stage.arc.stages {
                if selection.all_stages || selection.stages.contains(&s.name.value) {
                    let wanted = Request { stage: Some(s.name.value.clone()), ..Request::default() };
                    variants.push((format!("{name}-{}", s.name.value), catalog.resolve(name, &wanted).map_err(request)?));
                } else if s.name.value != stage.stage().name.value {
                    stages.push(s.name.value.clone());
                }
            }
        }
        for (i, (agent, resolved)) in variants.into_iter().enumerate() {
            match exported(project, &resolved, agent, selection.skills_apart) {
                Ok(mut e) => {
                    if i == 0 {
                        (e.channels, e.stages) = (std::mem::take(&mut channels), std::mem::take(&mut stages));
                    }
                    out.push(e)
                }
                Err(d) => diags.extend(d),
            }
        }
    }
    if !diags.is_empty() {
        crate::diag::normalize(&mut diags);
        return Err(ExportError::Definitions(diags));
    }
    let unused: Vec<&String> =
        selection.channels.iter().chain(&selection.stages).filter(|v| !out.iter().any(|e| e.name.ends_with(&format!("-{v}")))).collect();
    if let Some(variant) = unused.first() {
        return Err(ExportError::Request(format!("no exported persona has a channel or stage `{variant}`")));
    }
    Ok(out)
}

/// A persona without its skills, which its metadata `skills` names instead
/// (after any it names itself).
fn without_skills<'c>(resolved: &ResolvedPersona<'c>) -> ResolvedPersona<'c> {
    let mut apart = resolved.clone();
    // Metadata `skills` as the persona gives it: a list, or a list as JSON
    // text.
    let mut names: Vec<Value> = match apart.metadata.get("skills") {
        Some(Value::Array(list)) => list.clone(),
        Some(Value::String(text)) => serde_json::from_str::<Vec<Value>>(text).unwrap_or_default(),
        _ => Vec::new(),
    };
    for skill in std::mem::take(&mut apart.skills) {
        let name = json!(skill.meta.name);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    apart.metadata.insert("skills".to_string(), Value::Array(names));
    apart
}

fn request(err: ResolveError) -> ExportError {
    match err {
        ResolveError::Request(msg) => ExportError::Request(msg),
        ResolveError::Definitions(d) => ExportError::Definitions(d),
    }
}

/// The files of one export, by path relative to its folder; refused, with
/// the place of each text the format's runtime would corrupt, when there is
/// one.
pub fn files(project: &Project, format: Format, personas: &[Exported]) -> Result<BTreeMap<String, Vec<u8>>, Vec<Diagnostic>> {
    let Some(exporter) = format.exporter() else { return Ok(BTreeMap::new()) };
    let refused = exporter.refuses(personas);
    if !refused.is_empty() {
        return Err(refused.iter().map(|(persona, text)| refusal(project, format, persona, text)).collect());
    }
    Ok(exporter.export(personas))
}

/// Where `text` comes from among the texts persona `persona` shows, as an
/// error that says why `format` refuses it.
fn refusal(project: &Project, format: Format, persona: &str, text: &str) -> Diagnostic {
    let base = persona.split_once('-').map_or(persona, |(b, _)| b);
    let name = if project.catalog.personas.contains_key(persona) { persona } else { base };
    let mut d = Diagnostic::error(
        crate::diag::code::RUNTIME_VARIABLE,
        format!("{format} would take `{text}` in persona `{persona}` for an input to fill: the export would change the prompt"),
    )
    .help(format!(
        "{format} fills every `{{name}}` in an agent's texts and has no escape: write it with spaces (`{{ {} }}`), or make it a runtime variable (`{{{{ {} }}}}` with `runtime_vars`) if {format} should fill it",
        &text[1..text.len() - 1],
        &text[1..text.len() - 1]
    ));
    if let Ok(resolved) = project.catalog.resolve(name, &Request::default())
        && let Some((file, span)) = crate::describe::find_text(&resolved, text)
    {
        d = d.at(&file, span);
    } else if let Some(p) = project.catalog.personas.get(name) {
        d = d.at(&p.meta.file, p.meta.name_span.clone()).help("the text comes from a value, such as one under `[vars]`");
    }
    d
}

/// What writing an export changed.
#[derive(Debug, Default)]
pub struct Written {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
}

/// Writes an export's files into `dir` (made if missing): changed files
/// atomically, unchanged ones untouched; then removes the files `previous`
/// lists (files an earlier build wrote there) that this export no longer
/// has, never through a link.
pub fn write(dir: &Path, files: &BTreeMap<String, Vec<u8>>, previous: &[String]) -> std::io::Result<Written> {
    let mut report = Written::default();
    std::fs::create_dir_all(dir)?;
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if std::fs::read(&path).is_ok_and(|old| old == *bytes) {
            report.unchanged += 1;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        crate::atomic::write(&path, bytes)?;
        report.written.push(rel.clone());
    }
    for rel in previous {
        if files.contains_key(rel) || !crate::rules::is_safe_relative(rel) {
            continue;
        }
        // Never through a link: every folder on the way is a real folder.
        let mut folder = dir.to_path_buf();
        let mut through_link = false;
        for part in rel.split('/').take(rel.matches('/').count()) {
            folder.push(part);
            through_link |= !std::fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir());
        }
        let path = dir.join(rel);
        if !through_link && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path)?;
            report.removed.push(rel.clone());
        }
    }
    Ok(report)
}

/// The file `personac export` records the files it wrote in, inside the
/// export's folder: `{"format": …, "files": {path: sha256}}`.
pub const LEDGER: &str = ".personac-export.json";

/// The files `personac export` recorded writing into `dir`.
pub fn ledger(dir: &Path) -> BTreeSet<String> {
    let Ok(bytes) = std::fs::read(dir.join(LEDGER)) else { return BTreeSet::new() };
    let Ok(value) = serde_json::from_slice::<Value>(&bytes) else { return BTreeSet::new() };
    value
        .get("files")
        .and_then(Value::as_object)
        .map(|f| f.keys().filter(|k| crate::rules::is_safe_relative(k)).cloned().collect())
        .unwrap_or_default()
}

/// Records in `dir`'s ledger the files an export wrote there (with those an
/// earlier one recorded that are still there), so that the next export
/// knows them as its own.
pub fn write_ledger(dir: &Path, format: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    let mut hashes: BTreeMap<String, Value> = BTreeMap::new();
    for rel in ledger(dir) {
        if let Ok(bytes) = std::fs::read(dir.join(&rel)) {
            hashes.insert(rel, json!(sha256_hex(&bytes)));
        }
    }
    hashes.extend(files.iter().map(|(rel, bytes)| (rel.clone(), json!(sha256_hex(bytes)))));
    let mut bytes = serde_json::to_vec_pretty(&json!({ "format": format, "files": hashes })).unwrap_or_default();
    bytes.push(b'\n');
    if std::fs::read(dir.join(LEDGER)).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    crate::atomic::write(&dir.join(LEDGER), &bytes)
}

/// The files of an export that writing it into `dir` would replace although
/// no export of this repository recorded writing them (`owned`): there, and
/// not byte for byte what the export writes. A file the same as the one
/// exported is left as it is, so it is no clash.
pub fn clashes(dir: &Path, files: &BTreeMap<String, Vec<u8>>, owned: &BTreeSet<String>) -> Vec<String> {
    files
        .iter()
        .filter(|(rel, bytes)| {
            let path = dir.join(rel);
            let Ok(found) = std::fs::symlink_metadata(&path) else { return false };
            !owned.contains(*rel) && (!found.is_file() || std::fs::read(&path).map_or(true, |old| old != **bytes))
        })
        .map(|(rel, _)| rel.clone())
        .collect()
}

/// Why an export was refused: the files it would take over (by path as the
/// user knows them), and what to do.
pub fn clash_message(clashes: &[String]) -> String {
    let mut msg = format!(
        "the export would replace {} that no export of this repository wrote: nothing was written",
        if clashes.len() == 1 { "a file" } else { "files" }
    );
    for rel in clashes {
        msg.push_str(&format!("\n  {rel}"));
    }
    msg.push_str(
        "\n  help: move them aside, or export into another folder (`--out DIR`)\n  help: `--force` on the command line replaces them, and records them as the export's own from then on",
    );
    msg
}

/// What `build --check` finds wrong with an export: files that differ or
/// are missing, and files an earlier build wrote that no build would now.
pub fn check(dir: &Path, files: &BTreeMap<String, Vec<u8>>, previous: &[String]) -> Vec<(String, &'static str)> {
    let mut problems = Vec::new();
    for (rel, bytes) in files {
        match std::fs::read(dir.join(rel)) {
            Ok(old) if old == *bytes => {}
            Ok(_) => problems.push((rel.clone(), "out of date")),
            Err(_) => problems.push((rel.clone(), "missing")),
        }
    }
    for rel in previous {
        if !files.contains_key(rel) && crate::rules::is_safe_relative(rel) && dir.join(rel).is_file() {
            problems.push((rel.clone(), "stale: its persona no longer exists"));
        }
    }
    problems
}

/// An export's entry in `index.json`: its folder and each file's hash.
pub fn index_entry(out: &str, files: &BTreeMap<String, Vec<u8>>) -> Value {
    let hashes: serde_json::Map<String, Value> = files.iter().map(|(p, b)| (p.clone(), json!(sha256_hex(b)))).collect();
    json!({ "out": out, "files": hashes })
}

/// The files an earlier build recorded for an export (by its name under
/// `[export.NAME]`) in `index.json`, if it wrote to the same folder.
pub fn recorded(index: Option<&crate::artifacts::PreviousIndex>, name: &str, out: &str) -> Vec<String> {
    let Some(entry) = index.and_then(|i| i.exports.as_ref()).and_then(|e| e.get(name)) else { return Vec::new() };
    if entry.get("out").and_then(Value::as_str) != Some(out) {
        return Vec::new();
    }
    entry.get("files").and_then(Value::as_object).map(|f| f.keys().cloned().collect()).unwrap_or_default()
}

/// The files an export of this repository recorded writing into the folder
/// `out` (relative to the root; `dir` on disk): any format's entry in the
/// output's `index.json` for that folder, and the folder's ledger.
pub fn owned(index: Option<&crate::artifacts::PreviousIndex>, out: &str, dir: &Path) -> BTreeSet<String> {
    let mut owned = ledger(dir);
    let entries = index.and_then(|i| i.exports.as_ref()).and_then(Value::as_object);
    for entry in entries.into_iter().flat_map(|e| e.values()) {
        if entry.get("out").and_then(Value::as_str) == Some(out) {
            owned.extend(entry.get("files").and_then(Value::as_object).into_iter().flat_map(|f| f.keys().cloned()));
        }
    }
    owned
}

/// One export `build` keeps current.
pub struct Configured {
    /// Its name under `[export.NAME]`: a format's, or `bundle`.
    pub name: &'static str,
    /// Its folder, relative to the repository root.
    pub out: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// The exports `[export.FORMAT]` in personac.toml asks for, compiled from
/// `snapshot` (a bundle is the build output itself).
pub fn configured(project: &Project, snapshot: &crate::snapshot::Snapshot) -> Result<Vec<Configured>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    for (name, config) in &project.catalog.config.exports {
        if name == "agent-skills" {
            let skills = super::agent_skills::used(project, &[])?;
            let (files, _) = super::agent_skills::export(project, snapshot, &skills)?;
            out.push(Configured { name: "agent-skills", out: config.out.value.clone(), files });
            continue;
        }
        if name == "bundle" {
            let bundle = super::bundle::bundle(project, snapshot)?;
            out.push(Configured {
                name: "bundle",
                out: config.out.value.clone(),
                files: BTreeMap::from([(super::bundle::FILE.to_string(), bundle)]),
            });
            continue;
        }
        let Some(format) = Format::parse(name) else { continue };
        let skills_apart = format == Format::ClaudeCode && project.catalog.config.exports.contains_key("agent-skills");
        let selection = Selection { all_channels: config.channels, all_stages: config.stages, skills_apart, ..Selection::default() };
        let personas = match personas(project, &selection) {
            Ok(p) => p,
            Err(ExportError::Definitions(d)) => return Err(d),
            Err(ExportError::Request(msg)) => return Err(vec![Diagnostic::error(crate::diag::code::CONFIG, msg)]),
        };
        out.push(Configured { name: format.name(), out: config.out.value.clone(), files: files(project, format, &personas)? });
    }
    Ok(out)
}

/// Records each export's folder and file hashes in the output's
/// `index.json`, so that a later build knows what it wrote.
pub fn record(output: &mut crate::artifacts::Output, exports: &[Configured]) {
    if exports.is_empty() {
        return;
    }
    let Some(mut index) = output.files.get(crate::artifacts::INDEX).and_then(|b| serde_json::from_slice::<Value>(b).ok()) else { return };
    let entries: serde_json::Map<String, Value> = exports.iter().map(|e| (e.name.to_string(), index_entry(&e.out, &e.files))).collect();
    index["exports"] = Value::Object(entries);
    let mut bytes = serde_json::to_vec_pretty(&index).unwrap_or_default();
    bytes.push(b'\n');
    output.files.insert(crate::artifacts::INDEX.to_string(), bytes);
}
