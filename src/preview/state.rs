//! What the preview serves from: the repository as last loaded without
//! errors, the diagnostics of the load after it if that one failed, and a
//! generation that counts the loads, for the page's live updates.
//!
//! Loads go through the same steps as a watch's rebuild (the snapshot,
//! refreshed where files changed, then [`Project::load`] with parsing
//! cached by content); nothing is written.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::api;
use super::list::Personas;
use crate::catalog::Cache;
use crate::project::Project;
use crate::snapshot::Snapshot;

/// A repository loaded without errors.
pub struct Good {
    pub snapshot: Snapshot,
    pub project: Project,
    /// The list of personas, made with this load.
    pub personas: Personas,
}

#[derive(Default)]
struct Current {
    good: Option<Arc<Good>>,
    /// The last load's diagnostics, as the page shows them, if it failed.
    broken: Option<Value>,
    /// The last snapshot read, good or not: the next refresh starts there.
    snapshot: Option<Snapshot>,
}

pub struct State {
    pub root: PathBuf,
    /// Parsed files by content, shared by every load (and a diff's other side).
    pub cache: Cache,
    current: Mutex<Current>,
    /// Bumped after every load; the page's event streams wait on it.
    pub generation: tokio::sync::watch::Sender<u64>,
}

impl State {
    pub fn new(root: &Path) -> State {
        State {
            root: root.to_path_buf(),
            cache: Cache::default(),
            current: Mutex::new(Current::default()),
            generation: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Reads the repository again: all of it (`None`), or the files that
    /// changed. A load with errors keeps the last good one.
    pub fn reload(&self, changed: Option<&[String]>) {
        let last = self.lock().snapshot.take();
        let (snapshot, diags) = match (last, changed) {
            (Some(last), Some(paths)) => last.refresh(&self.root, paths),
            _ => Snapshot::from_dir(&self.root),
        };
        let project = Project::load_read(&snapshot, &self.cache, None, diags).map_err(|diags| api::diagnostics(&diags, &snapshot));
        let project = project.map(|project| {
            let before = self.good();
            let personas = Personas::make(&project, &snapshot, before.as_ref().map(|g| &g.personas));
            (project, personas)
        });
        let mut current = self.lock();
        match project {
            Ok((project, personas)) => {
                current.snapshot = Some(snapshot.clone());
                current.good = Some(Arc::new(Good { snapshot, project, personas }));
                current.broken = None;
            }
            Err(broken) => {
                current.snapshot = Some(snapshot);
                current.broken = Some(broken);
            }
        }
        drop(current);
        self.generation.send_modify(|g| *g += 1);
    }

    /// The last good load, if any.
    pub fn good(&self) -> Option<Arc<Good>> {
        self.lock().good.clone()
    }

    /// `{"generation": N, "ok": bool, "diagnostics": [...]}`.
    pub fn status(&self) -> Value {
        let current = self.lock();
        json!({
            "generation": *self.generation.borrow(),
            "ok": current.broken.is_none(),
            "good": current.good.is_some(),
            "diagnostics": current.broken.clone().unwrap_or_else(|| json!([])),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}
