//! The server's state: the repository as read from disk, the buffers the
//! editor has open (which overlay it: the snapshot is the one seam for
//! input), and the last analysis of the two together: the project loaded
//! (kept even when it has errors, to look names up in) and every diagnostic
//! `check` would give. Changes arrive in order on one thread; an analysis is
//! made again only when asked for after a change, parsing only the files
//! that changed (`catalog::Cache`), patching the last project where it can.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lsp_types::Url;

use crate::artifacts;
use crate::catalog::Cache;
use crate::diag::{self, Diagnostic};
use crate::project::Project;
use crate::snapshot::{Snapshot, is_source_path};

/// An open document.
pub struct Doc {
    pub uri: Url,
    pub version: i32,
    pub text: String,
}

/// The repository with the open buffers over it, analysed.
pub struct Analysis {
    pub snapshot: Snapshot,
    /// What parsed, loaded even when something did not.
    pub project: Project,
    /// Every diagnostic `check` gives (lints included), sorted.
    pub diags: Vec<Diagnostic>,
    patchable: bool,
}

pub struct Workspace {
    pub root: PathBuf,
    cache: Cache,
    /// The sources as on disk, with the problems of reading them.
    disk: (Snapshot, Vec<Diagnostic>),
    /// Open documents by repository-relative path.
    pub open: BTreeMap<String, Doc>,
    /// The last analysis; `stale` when anything changed since.
    current: Option<Analysis>,
    stale: bool,
    /// The last compile of every persona without an error.
    baseline: std::sync::Mutex<Option<Baseline>>,
}

/// A compile of every persona without an error: the snapshot it compiled,
/// its index (each persona's inputs, and how many personas reach each
/// source) and the variables each persona's templates used.
struct Baseline {
    snapshot: Snapshot,
    index: artifacts::PreviousIndex,
    variables: crate::lint::Recorded,
}

/// What a baseline compile keeps: the index and the variables, no files.
struct Baselined;

impl artifacts::Sink for Baselined {
    fn put(&self, _: &str, _: Vec<u8>) -> Option<Vec<u8>> {
        None
    }

    fn wants_variables(&self) -> bool {
        true
    }

    fn wants_records(&self) -> bool {
        false
    }
}

impl Workspace {
    pub fn new(root: PathBuf) -> Workspace {
        let disk = Snapshot::from_dir(&root);
        Workspace { root, cache: Cache::default(), disk, open: BTreeMap::new(), current: None, stale: true, baseline: Default::default() }
    }

    /// A buffer opened or changed.
    pub fn set(&mut self, path: String, doc: Doc) {
        self.open.insert(path, doc);
        self.stale = true;
    }

    /// A buffer closed: the file is what is on disk again.
    pub fn close(&mut self, path: &str) -> Option<Doc> {
        self.stale = true;
        self.disk_changed(&[path.to_string()]);
        self.open.remove(path)
    }

    /// Files changed on disk (saved, or changed by another program).
    pub fn disk_changed(&mut self, paths: &[String]) {
        let (snapshot, _) = self.disk.0.refresh(&self.root, paths);
        let diags = snapshot.read_errors();
        self.disk = (snapshot, diags);
        self.stale = true;
    }

    /// The analysis of the repository with the open buffers, made again if
    /// anything changed since the last.
    pub fn analysis(&mut self) -> &Analysis {
        if self.stale || self.current.is_none() {
            let earlier = self.current.take();
            self.current = Some(self.analyse(earlier));
            self.stale = false;
        }
        self.current.as_ref().expect("just made")
    }

    fn analyse(&self, earlier: Option<Analysis>) -> Analysis {
        let open = self.open.iter().filter(|(path, _)| is_source_path(path));
        let snapshot = self.disk.0.with_files(open.map(|(path, doc)| (path.as_str(), doc.text.as_str())));
        let mut diags = self.disk.1.clone();
        diags.extend(snapshot.warnings());
        let (project, before) = match earlier.filter(|a| a.patchable) {
            Some(a) => (Some(a.project), Some(a.snapshot)),
            None => (None, None),
        };
        let partial = Project::load_partial(&snapshot, &self.cache, project.zip(before.as_ref()));
        let project = partial.project;
        if partial.diags.is_empty() {
            // What `check` runs: the compile (resolve, render, budgets),
            // then the lints on what it recorded. Against the last compile
            // without an error, a persona whose inputs are as it recorded
            // them compiled without an error then and is not compiled again
            // (as an edit is validated); the variables it used are as then.
            let (catalog, renderer, tokenizer) = (&project.catalog, &project.renderer, &project.tokenizer);
            let mut baseline = self.baseline.lock().unwrap_or_else(|p| p.into_inner());
            let compiled = match baseline.as_ref() {
                Some(base) => {
                    // What changed since tells which personas' inputs may
                    // differ (the others' are not hashed again) and which
                    // files' templates the baseline did not check.
                    let changed = artifacts::Changed::between(&base.snapshot, &snapshot);
                    let reuse = artifacts::Reuse {
                        previous: &base.index,
                        from: artifacts::Previous::Recorded,
                        changed: Some(&changed),
                        untouched: None,
                    };
                    artifacts::compile(catalog, renderer, tokenizer, &snapshot, Some(reuse), None, &artifacts::Linted)
                        .map(|output| crate::lint::leveled(catalog, renderer, &[&output.variables, &base.variables]))
                }
                None => artifacts::compile(catalog, renderer, tokenizer, &snapshot, None, None, &Baselined).map(|output| {
                    let lints = crate::lint::leveled(catalog, renderer, &[&output.variables]);
                    if let Some(mut index) = artifacts::PreviousIndex::of(&output) {
                        index.count_reached();
                        *baseline = Some(Baseline { snapshot: snapshot.clone(), index, variables: output.variables });
                    }
                    lints
                }),
            };
            match compiled {
                Ok(lints) => diags.extend(lints),
                Err(more) => diags.extend(more),
            }
        } else {
            diags.extend(partial.diags);
        }
        diag::normalize(&mut diags);
        Analysis { snapshot, project, diags, patchable: partial.patchable }
    }
}

impl Workspace {
    /// A document position as a repository path and a byte offset into the
    /// analysed text of that file (`None`: not a file of the repository).
    pub fn at(&mut self, uri: &Url, position: lsp_types::Position) -> Option<(String, usize)> {
        let path = super::text::repo_path(&self.root, uri)?;
        let text = self.analysis().snapshot.get(&path)?;
        let offset = super::text::offset(text, position);
        Some((path, offset))
    }

    /// The protocol's location of a span of a repository file.
    pub fn location(&mut self, path: &str, span: &std::ops::Range<usize>) -> Option<lsp_types::Location> {
        let uri = super::text::uri(&self.root, path)?;
        let text = self.analysis().snapshot.get(path).unwrap_or("");
        Some(lsp_types::Location { uri, range: super::text::range(text, span) })
    }
}
