//! The no-op build, decided without compiling: when the sources are the
//! ones the output's `index.json` records, and every artifact and export
//! file is as that build left it, there is nothing to do. The sources are
//! known unchanged without reading them when `index.json` carries the mark
//! of a build and none changed since ([`unchanged`], see [`super::mark`]);
//! otherwise they are read, and must hash as its top-level `inputs`
//! ([`up_to_date`]). Like make, an artifact counts as untouched when it was
//! not modified after the index was put in place; an export file, which
//! lives among the user's files, is hashed. Anything else (a changed
//! source, a file edited by hand, a tampered index, a stamp that differs)
//! takes the full build, which compiles, writes and reports.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::Metadata;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;

use super::disk::{is_safe_relative, sweep_temp_files};
use super::output::{INDEX, Sweep};
use crate::hash::sha256_hex;
use crate::snapshot::{Listing, Snapshot};

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
    artifacts: BTreeMap<Cow<'a, str>, Artifact<'a>>,
    /// The views' source records, which are files of the persona too.
    #[serde(default, borrow)]
    provenance: BTreeMap<Cow<'a, str>, Artifact<'a>>,
}

impl Persona<'_> {
    fn files(&self) -> impl Iterator<Item = (&Cow<'_, str>, &Artifact<'_>)> {
        self.artifacts.iter().chain(&self.provenance)
    }
}

#[derive(Deserialize)]
struct Artifact<'a> {
    #[serde(borrow)]
    sha256: Cow<'a, str>,
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
    let before = std::fs::symlink_metadata(&index_path).ok().filter(|m| m.is_file())?;
    let bytes = std::fs::read(&index_path).ok()?;
    let index: Index = serde_json::from_slice(&bytes).ok()?;
    if index.inputs.as_deref() != Some(super::inputs::build_inputs(snapshot).as_str()) || index.source.as_ref() != stamp {
        return None;
    }
    as_left(root, out_dir, &index, &before, on_wait)
}

/// The sources of the repository at `root`, listed, and the output folder
/// `out_dir`, if its `index.json` carries the mark of a build whose sources
/// have not changed since ([`super::mark`]), and the folder is as that
/// build left it. Nothing is read but `index.json`, and export files, which
/// are hashed.
pub fn unchanged(root: &Path, out_dir: &Path, on_wait: &mut dyn FnMut(&str)) -> (Listing, Option<UpToDate>) {
    let index_path = out_dir.join(INDEX);
    // Only a marked index can vouch for sources not read.
    let marked = std::fs::symlink_metadata(&index_path).ok().filter(|m| m.is_file() && super::mark::mark_of(m).is_some());
    let Some(before) = marked else { return (Listing::of(root), None) };
    let Ok(bytes) = std::fs::read(&index_path) else { return (Listing::of(root), None) };
    // Under the lock, nothing writes the folder while it is checked, and
    // the sweep is safe from a build under way.
    let Ok(_lock) = crate::lock::acquire(out_dir, on_wait) else { return (Listing::of(root), None) };
    // The sources are listed and their times looked at while the index is
    // parsed and its artifacts are looked at; that look stops as soon as a
    // source is found changed.
    let changed = AtomicBool::new(false);
    let ((listing, unchanged), looked) = rayon::join(
        || {
            let listing = Listing::of(root);
            let unchanged = super::mark::unchanged_since_mark(root, &listing, &before);
            changed.store(!unchanged, Ordering::Relaxed);
            (listing, unchanged)
        },
        || {
            let index = serde_json::from_slice::<Index>(&bytes).ok()?;
            if index.inputs.is_none() || index.source.is_some() {
                return None;
            }
            let files = looked_at(out_dir, &index, &before, &changed)?;
            Some((index, files))
        },
    );
    let done = match looked {
        Some((index, files)) if unchanged => finish(root, out_dir, &index, &before, files),
        _ => None,
    };
    (listing, done)
}

/// The output folder, if it is as the build that wrote `index` (whose
/// metadata was `before` it was read) left it.
fn as_left(root: &Path, out_dir: &Path, index: &Index, before: &Metadata, on_wait: &mut dyn FnMut(&str)) -> Option<UpToDate> {
    let _lock = crate::lock::acquire(out_dir, on_wait).ok()?;
    let files = looked_at(out_dir, index, before, &AtomicBool::new(false))?;
    finish(root, out_dir, index, before, files)
}

/// How many files the output folder holds, if the index is still the file
/// whose metadata was `before`, and every artifact it lists is as the
/// build that wrote it left it; `None` too as soon as `stop` is set. The
/// caller holds the lock.
fn looked_at(out_dir: &Path, index: &Index, before: &Metadata, stop: &AtomicBool) -> Option<usize> {
    let index_path = out_dir.join(INDEX);
    let stamp_of = |meta: &Metadata| (meta.len(), meta.modified().ok(), super::mark::put_in_place(meta));
    let index_time = super::mark::put_in_place(before)?;
    if std::fs::symlink_metadata(&index_path).ok().map(|m| stamp_of(&m)) != Some(stamp_of(before)) {
        return None;
    }
    // Every artifact is looked at, persona by persona in parallel: a file
    // reached through folders (not links), modified before the index was
    // put in place. One modified within the same tick of the clock could
    // have been edited just after: as git does with such "racily clean"
    // entries, it is read and hashed.
    let mut files = 1;
    for (persona, entry) in &index.personas {
        if !crate::parse::is_valid_name(persona) {
            return None;
        }
        for (rel, _) in entry.files() {
            if !is_safe_relative(&format!("{persona}/{rel}")) {
                return None;
            }
            files += 1;
        }
    }
    let out = crate::at::Folder::new(out_dir);
    let folder = |rel: &str| out.look(rel).is_some_and(|found| found.is_dir);
    let untouched = |rel: &str, sha256: &str| {
        out.look(rel).is_some_and(|found| {
            found.is_file
                && match found.modified {
                    Some(modified) if modified < index_time => true,
                    Some(modified) if modified == index_time => std::fs::read(out_dir.join(rel)).is_ok_and(|b| sha256_hex(&b) == sha256),
                    _ => false,
                }
        })
    };
    use rayon::prelude::*;
    let as_left = index.personas.par_iter().all(|(persona, entry)| {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let mut folders: HashSet<&str> = HashSet::new();
        let at = |rel: &str| format!("{persona}/{rel}");
        folder(persona)
            && entry.files().all(|(rel, artifact)| {
                let on_the_way = rel.match_indices('/').map(|(at, _)| &rel[..at]);
                on_the_way.into_iter().all(|f| folders.contains(f) || (folder(&at(f)) && folders.insert(f)))
                    && untouched(&at(rel), &artifact.sha256)
            })
    });
    as_left.then_some(files)
}

/// What an output folder found as left holds, once the temp files a killed
/// build left in its root are swept (unless the root has not changed since
/// the index was put in place) and every export file hashes as recorded.
/// The caller holds the lock.
fn finish(root: &Path, out_dir: &Path, index: &Index, before: &Metadata, files: usize) -> Option<UpToDate> {
    let sweep = if root_changed_before(out_dir, before) { Sweep::Nothing } else { Sweep::Root };
    let swept = sweep_temp_files(out_dir, sweep).ok()?;
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
    Some(UpToDate { personas: index.personas.keys().map(|p| p.to_string()).collect(), files, swept })
}

/// Whether the output folder's own entries last changed before its index
/// (whose metadata is `index`) was marked: then no temp file can be in its
/// root. Every writer holds the lock, and a build leaves none behind when it
/// puts `index.json` in place, last; making or removing one since would
/// have changed the folder, and nothing can set a change time back. One
/// within the same tick of the clock as the mark is not told apart: the
/// folder is swept.
fn root_changed_before(out_dir: &Path, index: &Metadata) -> bool {
    let root = std::fs::symlink_metadata(out_dir).ok().and_then(|m| crate::snapshot::changed(&m));
    matches!((root, crate::snapshot::changed(index)), (Some(root), Some(index)) if root < index)
}

/// Whether every file of `files` (paths relative to the persona's folder in
/// the output folder `out`) was last modified before `time` (a symbolic
/// link's own time, not its target's): a persona's files as the build that
/// wrote them left them.
pub(super) fn modified_before<'a>(
    out: &crate::at::Folder,
    persona: &str,
    mut files: impl Iterator<Item = &'a str>,
    time: std::time::SystemTime,
) -> bool {
    let mut path = String::new();
    files.all(|rel| {
        path.clear();
        path.push_str(persona);
        path.push('/');
        path.push_str(rel);
        out.look(&path).and_then(|found| found.modified).is_some_and(|modified| modified < time)
    })
}
