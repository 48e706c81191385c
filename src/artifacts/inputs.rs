//! What a build was made from: the hashes `index.json` records so that
//! work can be skipped (each persona's inputs, the whole build's), and what
//! changed in the sources since a build this process made.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::hash::hex;
use crate::snapshot::Snapshot;

/// The sources that changed since a build: a persona none of whose sources
/// is among them, with the config and templates unchanged, has the inputs
/// that build recorded, without hashing them again.
pub struct Changed {
    paths: foldhash::HashSet<Arc<str>>,
    /// The config or a template changed: every persona's inputs did.
    pub(super) globals: bool,
}

impl Changed {
    /// The paths that changed, in no order.
    pub(super) fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(|p| &**p)
    }

    pub fn between(earlier: &Snapshot, now: &Snapshot) -> Changed {
        let paths = now.changed_since(earlier);
        let globals = paths.iter().any(|p| is_global(p));
        Changed { paths, globals }
    }

    /// Whether none of `sources` changed, nor anything every persona depends on.
    pub(super) fn none_of<'s>(&self, mut sources: impl Iterator<Item = &'s str>) -> bool {
        !self.globals && sources.all(|s| !self.paths.contains(s))
    }
}

/// Whether every persona depends on a source file: the config, and every
/// layout template (present or not).
fn is_global(path: &str) -> bool {
    path == crate::snapshot::CONFIG_FILE || path.starts_with("templates/")
}

/// What every persona depends on besides its own sources: the personac
/// version, the config and every layout template (present or not).
pub(super) fn globals_hash(snapshot: &Snapshot) -> [u8; 32] {
    let mut h = Sha256::new();
    hash_personac(&mut h);
    for (path, _) in snapshot.files() {
        if is_global(path) {
            file_hash(&mut h, snapshot, path);
        }
    }
    h.finalize().into()
}

/// Adds personac itself to a hash: its version and its built-in layouts.
pub(super) fn hash_personac(h: &mut Sha256) {
    h.update(concat!("personac ", env!("CARGO_PKG_VERSION"), "\n"));
    for layout in crate::render::BUILTIN_LAYOUTS {
        h.update(layout);
    }
}

/// A hash of everything a build was made from: the personac version and
/// every source file, used or not. A build whose sources hash as the
/// output's `index.json` records has nothing to do ([`super::up_to_date`]).
pub fn build_inputs(snapshot: &Snapshot) -> String {
    let mut h = Sha256::new();
    h.update(globals_hash(snapshot));
    for (path, _) in snapshot.files() {
        file_hash(&mut h, snapshot, path);
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// A hash of everything a persona's artifacts were made from.
pub(super) fn inputs_hash<'a>(snapshot: &Snapshot, globals: &[u8; 32], sources: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    h.update(globals);
    for path in sources {
        file_hash(&mut h, snapshot, path);
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// Adds a file's path and content hash (or its absence) to a hash.
fn file_hash(h: &mut Sha256, snapshot: &Snapshot, path: &str) {
    h.update(path.as_bytes());
    match snapshot.hash(path) {
        Some(content) => {
            h.update([1]);
            h.update(content);
        }
        None => h.update([0]),
    }
}
