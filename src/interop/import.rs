//! An import, start to end: read the sources with a format's importer,
//! plan the definition files, and check the plan against the repository
//! (no file or name it would clash with, and everything compiles) before
//! the caller writes any of it: all or nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Format;
use super::agent::Agent;
use super::plan::{Plan, plan};
use crate::diag::{Diagnostic, Sources, code};
use crate::model::Kind;
use crate::snapshot::Snapshot;

/// The source files of an import, by the path the user gave.
#[derive(Default)]
pub struct SourceFiles {
    pub files: BTreeMap<String, String>,
}

impl Sources for SourceFiles {
    fn source(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}

/// Why an import writes nothing.
pub enum ImportError {
    /// Source files that cannot be read as the format (exit 1).
    Sources(Vec<Diagnostic>),
    /// Files or names the import would clash with (exit 1): each message
    /// names the file.
    Clash(Vec<String>),
    /// The planned files would not compile (a bug in an importer).
    Invalid(Vec<Diagnostic>),
}

/// Reads every source with the format's importer.
pub fn read(format: Format, sources: &SourceFiles) -> Result<Vec<Agent>, Vec<Diagnostic>> {
    let importer = format.importer();
    let mut agents = Vec::new();
    let mut diags = Vec::new();
    for (path, text) in &sources.files {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
        match importer.read(path, &text) {
            Ok(found) => agents.extend(found),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() { Ok(agents) } else { Err(diags) }
}

/// Plans an import into the repository of `snapshot`, and checks it.
pub fn prepare(format: Format, sources: &SourceFiles, snapshot: &Snapshot) -> Result<Plan, ImportError> {
    let agents = read(format, sources).map_err(ImportError::Sources)?;
    if agents.is_empty() {
        let file: Arc<str> = sources.files.keys().next().map_or("", String::as_str).into();
        return Err(ImportError::Sources(vec![Diagnostic::error(code::IMPORT, format!("no {format} agent found")).at(&file, 0..0)]));
    }
    let plan = plan(agents);
    let catalog = crate::catalog::Catalog::load(snapshot).ok();
    let mut clashes = Vec::new();
    for path in plan.files.keys() {
        if snapshot.get(path).is_some() {
            clashes.push(format!("`{path}` already exists"));
            continue;
        }
        if let (Some((kind, name)), Some(catalog)) = (Kind::of_path(path), &catalog)
            && let Some(existing) = catalog.meta(kind, name)
        {
            clashes.push(format!("`{path}` would be a second {kind} named `{name}` (the first is `{}`)", existing.file));
        }
    }
    if !clashes.is_empty() {
        return Err(ImportError::Clash(clashes));
    }
    let mut edited = snapshot.clone();
    for (path, text) in &plan.files {
        edited = edited.with_file(path, text);
    }
    let cache = crate::catalog::Cache::default();
    let project = crate::project::Project::load(&edited, &cache).map_err(ImportError::Invalid)?;
    crate::artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &edited, None, None, &crate::artifacts::Discard)
        .map_err(ImportError::Invalid)?;
    Ok(plan)
}
