//! The no-op build, decided without compiling: when every source hashes as
//! the output's `index.json` records (its top-level `inputs`), and every
//! artifact and export file is as that build left it, there is nothing to
//! do. Like make and cargo, an artifact counts as untouched when it is not
//! newer than the index written after it; an export file, which lives
//! among the user's files, is hashed. Anything else (a changed source, a
//! file edited by hand, a tampered index, a stamp that differs) takes the
//! full build, which compiles, writes and reports.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::INDEX;
use super::disk::{is_safe_relative, sweep_temp_files};
use crate::hash::sha256_hex;
use crate::snapshot::Snapshot;

/// What an up-to-date output folder holds.
#[derive(Debug)]
pub struct UpToDate {
    /// The compiled personas, by name.
    pub personas: Vec<String>,
    /// Artifacts, `index.json` included.
    pub files: usize,
    /// Temp files an interrupted build had left, now removed.
    pub swept: Vec<String>,
}

/// The parts of `index.json` this check reads; the rest is skipped unparsed.
#[derive(Deserialize)]
struct Index<'a> {
    #[serde(borrow)]
    inputs: Option<Cow<'a, str>>,
    source: Option<serde_json::Value>,
    #[serde(borrow)]
    personas: BTreeMap<Cow<'a, str>, Persona<'a>>,
    #[serde(default, borrow)]
    exports: BTreeMap<Cow<'a, str>, Export<'a>>,
}

#[derive(Deserialize)]
struct Persona<'a> {
    #[serde(borrow)]
    artifacts: BTreeMap<Cow<'a, str>, IgnoredAny>,
}

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(borrow)]
    out: Cow<'a, str>,
    #[serde(borrow)]
    files: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

/// The output folder `out_dir`, if a build of `snapshot` (with this
/// `stamp`) would leave it as it is. Temp files a killed build left are
/// swept, under the folder's lock (`on_wait` is called with its holder if
/// it must wait). `root` is the repository, where exports live.
pub fn up_to_date(
    root: &Path,
    out_dir: &Path,
    snapshot: &Snapshot,
    stamp: Option<&serde_json::Value>,
    on_wait: &mut dyn FnMut(&str),
) -> Option<UpToDate> {
    let index_path = out_dir.join(INDEX);
    let stamp_of = |path: &Path| std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()).map(|m| (m.len(), m.modified().ok()));
    let before = stamp_of(&index_path)?;
    let bytes = std::fs::read(&index_path).ok()?;
    let index: Index = serde_json::from_slice(&bytes).ok()?;
    if index.inputs.as_deref() != Some(super::build_inputs(snapshot).as_str()) || index.source.as_ref() != stamp {
        return None;
    }
    let index_time = before.1?;
    // Under the lock, nothing writes the folder while it is checked, and
    // the sweep is safe from a build under way.
    let _lock = crate::lock::acquire(out_dir, on_wait).ok()?;
    if stamp_of(&index_path)? != before {
        return None;
    }
    // One walk of the folder, no stat: temp files a killed build left are
    // swept, and every other file reached through folders (not links) is
    // noted; then each artifact's time is read, in parallel.
    let mut present: HashSet<String> = HashSet::new();
    let swept = sweep_temp_files(out_dir, |rel| _ = present.insert(rel)).ok()?;
    let mut artifacts = Vec::new();
    for (persona, entry) in &index.personas {
        if !crate::parse::is_valid_name(persona) {
            return None;
        }
        for rel in entry.artifacts.keys() {
            let rel = format!("{persona}/{rel}");
            if !is_safe_relative(&rel) || !present.contains(&rel) {
                return None;
            }
            artifacts.push(rel);
        }
    }
    use rayon::prelude::*;
    let untouched = artifacts
        .par_iter()
        .all(|rel| std::fs::symlink_metadata(out_dir.join(rel)).ok().and_then(|m| m.modified().ok()).is_some_and(|m| m <= index_time));
    if !untouched {
        return None;
    }
    for export in index.exports.values() {
        for (rel, hash) in &export.files {
            if !is_safe_relative(&export.out) || !is_safe_relative(rel) {
                return None;
            }
            let bytes = std::fs::read(root.join(&*export.out).join(&**rel)).ok()?;
            if sha256_hex(&bytes) != *hash {
                return None;
            }
        }
    }
    let files = artifacts.len() + 1;
    Some(UpToDate { personas: index.personas.keys().map(|p| p.to_string()).collect(), files, swept })
}
