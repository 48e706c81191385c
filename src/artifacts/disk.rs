//! The output folder on disk: what the previous build recorded, writing a
//! new build into it, and checking it against a build.
//!
//! Every path read back from an existing `index.json` is untrusted (the file
//! is committed, so a pull request can carry a tampered one): a persona key
//! must be a valid name and an artifact path a relative path of normal
//! components, and nothing is removed through a symbolic link. A path that
//! fails is ignored with a warning and never followed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::output::{INDEX, Output, Sink, Sweep, recorded_sources};
use crate::hash::sha256_hex;
pub use crate::rules::is_safe_relative;

/// What a write changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Temp files an interrupted build had left, now removed.
    pub swept: Vec<String>,
    /// Entries of the previous `index.json` that were ignored, and why.
    pub ignored: Vec<String>,
    /// Export files written, and removed, relative to the repository root.
    pub exported: Vec<String>,
    pub unexported: Vec<String>,
    /// How `index.json` looked once in place, for a build that keeps an
    /// [`super::IndexCache`] ([`super::IndexCache::remember_output`]).
    pub index: Option<IndexStamp>,
}

/// What an existing `index.json` says: its encoding, and each artifact's
/// hash and token count by path relative to the output folder.
pub struct PreviousIndex {
    pub encoding: String,
    pub artifacts: foldhash::HashMap<String, (String, usize)>,
    /// Each persona's entry, as written (only those whose paths are valid).
    pub personas: serde_json::Map<String, Value>,
    /// Entries that were ignored, and why: paths that could lead outside the
    /// output folder.
    pub ignored: Vec<String>,
    /// The exports it recorded (`exports`), as written.
    pub exports: Option<Value>,
    /// Each persona's entry as this process serialized it, for an index it
    /// made itself (never one read from disk, which anyone could have
    /// edited): a persona kept as it was keeps its entry byte for byte,
    /// without serializing it again.
    pub texts: foldhash::HashMap<String, std::sync::Arc<str>>,
    /// How many personas reach each source, counted for an index this
    /// process made ([`PreviousIndex::count_reached`]).
    pub reached: Option<foldhash::HashMap<String, u32>>,
}

pub fn read_index(out_dir: &Path) -> Option<PreviousIndex> {
    PreviousIndex::parse(&std::fs::read(out_dir.join(INDEX)).ok()?)
}

impl PreviousIndex {
    /// The index of an output compiled in memory, by this process: each
    /// persona's entry is kept as serialized ([`PreviousIndex::texts`]).
    /// Entries are parsed in parallel: at 10,000 personas this is tens of
    /// megabytes, read while the watch waits for the next save.
    pub fn of(output: &Output) -> Option<PreviousIndex> {
        use rayon::prelude::*;
        let raw: RawIndex = serde_json::from_slice(output.files.get(INDEX)?).ok()?;
        let entries: Vec<_> = raw.personas.into_iter().collect();
        let values: Vec<Option<Value>> = entries.par_iter().map(|(_, text)| serde_json::from_str(text.get()).ok()).collect();
        let mut index = PreviousIndex {
            encoding: raw.encoding,
            artifacts: Default::default(),
            personas: serde_json::Map::new(),
            ignored: Vec::new(),
            exports: raw.exports,
            texts: Default::default(),
            reached: None,
        };
        for ((persona, text), value) in entries.into_iter().zip(values) {
            let value = value?;
            if admit(&persona, &value, &mut index.artifacts, &mut index.ignored) {
                index.texts.insert(persona.to_string(), text.get().into());
                index.personas.insert(persona.into_owned(), value);
            }
        }
        Some(index)
    }

    /// Counts how many personas reach each source: the next build of this
    /// process need not find every file no persona reaches again.
    pub fn count_reached(&mut self) {
        let mut reached: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
        for entry in self.personas.values() {
            for source in recorded_sources(entry) {
                match reached.get_mut(source) {
                    Some(n) => *n += 1,
                    None => _ = reached.insert(source.to_string(), 1),
                }
            }
        }
        self.reached = Some(reached);
    }

    pub fn parse(bytes: &[u8]) -> Option<PreviousIndex> {
        let mut index: Value = serde_json::from_slice(bytes).ok()?;
        let encoding = index.get("encoding")?.as_str()?.to_string();
        let Value::Object(entries) = index.get_mut("personas")?.take() else { return None };
        let mut artifacts = foldhash::HashMap::default();
        let mut personas = serde_json::Map::new();
        let mut ignored = Vec::new();
        for (persona, entry) in entries {
            if admit(&persona, &entry, &mut artifacts, &mut ignored) {
                personas.insert(persona, entry);
            }
        }
        let exports = index.get_mut("exports").map(Value::take);
        Some(PreviousIndex { encoding, artifacts, personas, ignored, exports, texts: Default::default(), reached: None })
    }
}

/// An index as written: each persona's entry as its text.
#[derive(serde::Deserialize)]
pub(super) struct RawIndex<'a> {
    pub encoding: String,
    #[serde(borrow)]
    pub personas: std::collections::BTreeMap<std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue>,
    pub exports: Option<Value>,
}

/// Whether a persona's entry can be trusted as far as paths go (a valid
/// name, plain relative artifact paths), recording its artifacts if so and
/// why not if not.
pub(super) fn admit(
    persona: &str,
    entry: &Value,
    artifacts: &mut foldhash::HashMap<String, (String, usize)>,
    ignored: &mut Vec<String>,
) -> bool {
    if !crate::parse::is_valid_name(persona) {
        ignored.push(format!("persona `{}`: not a valid persona name", persona.escape_debug()));
        return false;
    }
    let paths: Vec<(&String, &Value)> = super::provenance::entry_files(entry).collect();
    if let Some((bad, _)) = paths.iter().find(|(p, _)| !is_safe_relative(p)) {
        ignored.push(format!("persona `{persona}`: artifact path `{}` is not a plain relative path", bad.escape_debug()));
        return false;
    }
    for (path, a) in paths {
        let hash = a.get("sha256").and_then(Value::as_str).unwrap_or_default().to_string();
        let tokens = a.get("tokens").and_then(Value::as_u64).unwrap_or(0) as usize;
        artifacts.insert(format!("{persona}/{path}"), (hash, tokens));
    }
    true
}

/// Whether `rel` under `out_dir` is reached without passing through a
/// symbolic link (the file itself may be one: removing it removes the link).
fn no_link_on_the_way(out_dir: &Path, rel: &str) -> bool {
    let mut dir = out_dir.to_path_buf();
    let components: Vec<&str> = rel.split('/').collect();
    for folder in &components[..components.len().saturating_sub(1)] {
        dir.push(folder);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            _ => return false,
        }
    }
    true
}

/// Refuses a folder under `out_dir` that a symbolic link (or a file) stands
/// in the way of: writing through it would write outside the folder.
fn real_folders(out_dir: &Path, folder: &Path) -> std::io::Result<()> {
    let mut dir = out_dir.to_path_buf();
    for part in folder.components() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            _ => {
                let rel = relative(out_dir, &dir);
                return Err(std::io::Error::other(format!(
                    "`{rel}` is not a folder but a symbolic link or a file, and personac does not write through links: remove it and build again"
                )));
            }
        }
    }
    Ok(())
}

/// Files the previous build wrote that this one does not.
fn stale(out_dir: &Path, output: &Output, previous: Option<&PreviousIndex>) -> Vec<String> {
    let Some(previous) = previous else { return Vec::new() };
    let mut stale: Vec<String> = previous
        .artifacts
        .keys()
        .filter(|p| {
            let persona = p.split('/').next().unwrap_or(p);
            !output.kept.contains(persona) && !output.files.contains_key(*p) && !output.held.contains(*p)
        })
        .filter(|p| no_link_on_the_way(out_dir, p) && std::fs::symlink_metadata(out_dir.join(p)).is_ok_and(|m| !m.is_dir()))
        .cloned()
        .collect();
    stale.sort();
    stale
}

/// The sink of a build that writes: each compiled file that differs from
/// the one on disk is written aside at once (a temp file in the output
/// folder), and nothing is put in place until the whole build succeeded
/// ([`Stager::commit`]). Dropped instead, it removes what it wrote aside,
/// so a failed build leaves the folder as it was. The caller holds the
/// folder's lock from [`Stager::new`] to the commit.
///
/// Into an empty folder (a first build), there is nothing to compare or
/// replace: the files are written, under their own names, into a temp
/// folder in the output folder, and each persona's folder is put in place
/// by one rename.
pub struct Stager<'a> {
    out_dir: PathBuf,
    previous: Option<&'a PreviousIndex>,
    index_time: Option<std::time::SystemTime>,
    staged: std::sync::Mutex<Vec<(String, crate::atomic::Staged)>>,
    unchanged: std::sync::atomic::AtomicUsize,
    /// The first error writing aside; the commit returns it.
    failed: std::sync::Mutex<Option<std::io::Error>>,
    swept: Vec<String>,
    /// The folder held nothing (a first build): its files are written into
    /// a temp folder instead of one temp file each.
    empty: Option<FirstBuild>,
}

/// A first build's files, written into a temp folder as they are laid out
/// in the output folder (removed with it if the build fails).
struct FirstBuild {
    folder: tempfile::TempDir,
    written: std::sync::Mutex<Vec<String>>,
    /// Folders made in `folder` so far: each is made once, parents first,
    /// so no write or mkdir fails on a folder not yet there.
    made: std::sync::RwLock<std::collections::HashSet<String>>,
}

impl FirstBuild {
    /// Writes a new file at `rel` in the temp folder, making its folders
    /// (outside the lock: two threads may both try one, and one finds it).
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            let is_made = |folder: &str| self.made.read().unwrap_or_else(|p| p.into_inner()).contains(folder);
            if !is_made(parent) {
                let ends = parent.match_indices('/').map(|(i, _)| i).chain([parent.len()]);
                for folder in ends.map(|end| &parent[..end]) {
                    if is_made(folder) {
                        continue;
                    }
                    match std::fs::create_dir(self.folder.path().join(folder)) {
                        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => return Err(err),
                        _ => _ = self.made.write().unwrap_or_else(|p| p.into_inner()).insert(folder.to_string()),
                    }
                }
            }
        }
        std::fs::write(self.folder.path().join(rel), bytes)?;
        self.written.lock().unwrap_or_else(|p| p.into_inner()).push(rel.to_string());
        Ok(())
    }
}

impl<'a> Stager<'a> {
    /// Sweeps the temp files a killed build left, then stages into `out_dir`
    /// (which exists), against the previous build's index.
    pub fn new(out_dir: &Path, previous: Option<&'a PreviousIndex>, sweep: Sweep) -> std::io::Result<Stager<'a>> {
        let out_dir = std::path::absolute(out_dir)?;
        let swept = sweep_temp_files(&out_dir, sweep)?;
        let index_time = std::fs::metadata(out_dir.join(INDEX)).ok().and_then(|m| super::mark::put_in_place(&m));
        let empty = match std::fs::read_dir(&out_dir)?.next() {
            None => Some(FirstBuild {
                folder: tempfile::Builder::new().prefix(crate::atomic::TEMP_PREFIX).tempdir_in(&out_dir)?,
                written: Default::default(),
                made: Default::default(),
            }),
            Some(_) => None,
        };
        Ok(Stager {
            out_dir,
            previous,
            index_time,
            staged: Default::default(),
            unchanged: Default::default(),
            failed: Default::default(),
            swept,
            empty,
        })
    }

    /// Puts every staged file in place, removes stale artifacts, and writes
    /// the files of `output` (`index.json` last).
    pub fn commit(self, output: &Output) -> std::io::Result<WriteReport> {
        use rayon::prelude::*;
        if let Some(err) = self.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(err);
        }
        let out_dir = &self.out_dir;
        let stale = stale(out_dir, output, self.previous);
        let written = match self.empty {
            Some(first) => {
                let mut written = first.written.into_inner().unwrap_or_else(|p| p.into_inner());
                written.sort();
                // Each top-level folder (a persona's) in place at once.
                let tops: BTreeSet<&str> = written.iter().filter_map(|rel| rel.split('/').next()).collect();
                tops.into_par_iter().try_for_each(|top| std::fs::rename(first.folder.path().join(top), out_dir.join(top)))?;
                written
            }
            None => {
                let mut staged = self.staged.into_inner().unwrap_or_else(|p| p.into_inner());
                staged.sort_by(|a, b| a.0.cmp(&b.0));
                let folders: BTreeSet<&Path> = staged.iter().filter_map(|(rel, _)| Path::new(rel).parent()).collect();
                for folder in folders {
                    real_folders(out_dir, folder)?;
                    std::fs::create_dir_all(out_dir.join(folder))?;
                }
                let written: Vec<String> = staged.iter().map(|(rel, _)| rel.clone()).collect();
                staged.into_par_iter().try_for_each(|(rel, file)| file.persist(&out_dir.join(rel)))?;
                written
            }
        };
        let unchanged = self.unchanged.into_inner() + output.kept_files;
        let ignored = self.previous.map(|p| p.ignored.clone()).unwrap_or_default();
        let mut report = WriteReport { written, unchanged, swept: self.swept, ignored, ..WriteReport::default() };
        for rel in stale {
            let path = out_dir.join(&rel);
            std::fs::remove_file(&path)?;
            remove_empty_parents(out_dir, &path);
            report.removed.push(rel);
        }
        // Files kept in memory, `index.json` last.
        let index = output.files.get_key_value(INDEX);
        for (rel, bytes) in output.files.iter().filter(|(rel, _)| rel.as_str() != INDEX).chain(index) {
            if let Some(parent) = Path::new(rel).parent() {
                std::fs::create_dir_all(out_dir.join(parent))?;
            }
            if write_if_changed(out_dir, rel, bytes)? {
                if rel == INDEX {
                    super::mark::clear(&out_dir.join(INDEX));
                }
                report.written.push(rel.clone());
            } else {
                report.unchanged += 1;
            }
        }
        Ok(report)
    }
}

impl Sink for Stager<'_> {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Option<Vec<u8>> {
        let written = match &self.empty {
            Some(first) => first.write(rel, &bytes),
            None => {
                let path = self.out_dir.join(rel);
                if fresh(&self.out_dir, rel, &bytes, self.previous, self.index_time) || std::fs::read(&path).is_ok_and(|old| old == bytes) {
                    self.unchanged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return None;
                }
                crate::atomic::stage(&self.out_dir, &bytes)
                    .map(|file| self.staged.lock().unwrap_or_else(|p| p.into_inner()).push((rel.to_string(), file)))
            }
        };
        if let Err(err) = written {
            self.failed.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(err);
        }
        None
    }
}

/// Removes the temp files of atomic writes, and the temp folders of first
/// builds, that a killed build left behind (never following a link), and
/// returns their paths (a folder's with a `/`).
pub(super) fn sweep_temp_files(out_dir: &Path, sweep: Sweep) -> std::io::Result<Vec<String>> {
    let mut swept = Vec::new();
    let depth = match sweep {
        Sweep::Nothing => return Ok(swept),
        Sweep::Root => 1,
        Sweep::Whole => usize::MAX,
    };
    let mut walk = walkdir::WalkDir::new(out_dir).max_depth(depth).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        if entry.depth() == 0 || !crate::atomic::is_temp(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if entry.file_type().is_dir() {
            walk.skip_current_dir();
            std::fs::remove_dir_all(entry.path())?;
            swept.push(format!("{}/", relative(out_dir, entry.path())));
        } else {
            std::fs::remove_file(entry.path())?;
            swept.push(relative(out_dir, entry.path()));
        }
    }
    Ok(swept)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Whether an artifact is known to hold these bytes without reading it, as
/// make knows: the previous index recorded the same hash, and the file has
/// the same size and was modified before that index was put in place. A file
/// edited by hand since is newer, so it is read and restored; one modified
/// within the same tick of the clock is read too, as git reads its
/// "racily clean" entries.
fn fresh(out_dir: &Path, rel: &str, bytes: &[u8], previous: Option<&PreviousIndex>, index_time: Option<std::time::SystemTime>) -> bool {
    let (Some(previous), Some(index_time)) = (previous, index_time) else { return false };
    let Some((hash, _)) = previous.artifacts.get(rel) else { return false };
    let Ok(meta) = std::fs::metadata(out_dir.join(rel)) else { return false };
    meta.len() == bytes.len() as u64 && meta.modified().is_ok_and(|m| m < index_time) && *hash == sha256_hex(bytes)
}

/// Replaces one file atomically, unless it already holds these bytes. Its
/// folder exists.
fn write_if_changed(out_dir: &Path, rel: &str, bytes: &[u8]) -> std::io::Result<bool> {
    let path = out_dir.join(rel);
    if holds(&path, bytes) {
        return Ok(false);
    }
    crate::atomic::write(&path, bytes)?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `bytes`: its length first, then
/// its contents a block at a time, up to the first difference (an index
/// of tens of megabytes is neither read whole nor held twice).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read as _;
    let Ok(file) = std::fs::File::open(path) else { return false };
    if file.metadata().map(|m| m.len()).ok() != Some(bytes.len() as u64) {
        return false;
    }
    let mut block = vec![0; 1 << 16];
    let (mut file, mut rest) = (file.take(bytes.len() as u64 + 1), bytes);
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && block[..n] == rest[..n] => rest = &rest[n..],
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir: Option<PathBuf> = file.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        if d == out_dir || !d.starts_with(out_dir) || std::fs::remove_dir(&d).is_err() {
            break;
        }
        dir = d.parent().map(Path::to_path_buf);
    }
}

/// What `build --check` finds: files that differ or are missing, and every
/// file or folder in the output folder that no build would write (stale
/// artifacts of removed personas, temp files a killed build left, anything
/// else put there).
pub fn check(out_dir: &Path, output: &Output, previous: Option<&PreviousIndex>) -> Vec<(String, &'static str)> {
    let mut problems = Vec::new();
    for (rel, bytes) in &output.files {
        match std::fs::read(out_dir.join(rel)) {
            Ok(old) if &old == bytes => {}
            Ok(_) => problems.push((rel.clone(), "out of date")),
            Err(_) => problems.push((rel.clone(), "missing")),
        }
    }
    let expected_dirs: BTreeSet<String> = output
        .files
        .keys()
        .flat_map(|rel| {
            let parts: Vec<&str> = rel.split('/').collect();
            (1..parts.len()).map(move |n| parts[..n].join("/"))
        })
        .collect();
    let recorded = |rel: &str| previous.is_some_and(|p| p.artifacts.contains_key(rel));
    // Folders no build makes, and whether a file was found under each.
    let mut stray_dirs: Vec<(String, bool)> = Vec::new();
    let mut walk = walkdir::WalkDir::new(out_dir).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        if entry.depth() == 0 {
            continue;
        }
        let rel = relative(out_dir, entry.path());
        if entry.file_type().is_dir() && crate::atomic::is_temp(&entry.file_name().to_string_lossy()) {
            walk.skip_current_dir();
            problems.push((format!("{rel}/"), "temp folder of an interrupted build"));
            continue;
        }
        if entry.file_type().is_dir() {
            if !expected_dirs.contains(&rel) {
                stray_dirs.push((rel, false));
            }
            continue;
        }
        for (dir, has_files) in &mut stray_dirs {
            *has_files |= rel.starts_with(&format!("{dir}/"));
        }
        if output.files.contains_key(&rel) {
            continue;
        }
        let why = if crate::atomic::is_temp(&entry.file_name().to_string_lossy()) {
            "temp file of an interrupted build"
        } else if recorded(&rel) {
            "stale: its persona no longer exists"
        } else {
            "stray: no build writes this file"
        };
        problems.push((rel, why));
    }
    // A folder is reported only when nothing under it is.
    for (dir, has_files) in stray_dirs {
        if !has_files {
            problems.push((format!("{dir}/"), "stray folder: no build makes it"));
        }
    }
    problems.sort();
    problems
}

/// Which `index.json`, and how it looked (path, length, modification and
/// change times); and when the output folder's own entries last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexStamp {
    pub(super) index: (PathBuf, u64, Option<std::time::SystemTime>, Option<std::time::SystemTime>),
    pub(super) folder: Option<std::time::SystemTime>,
}

impl IndexStamp {
    /// The `index.json` of `out_dir` as it is now.
    pub fn of(out_dir: &Path) -> Option<IndexStamp> {
        let path = out_dir.join(INDEX);
        let meta = std::fs::metadata(&path).ok()?;
        let index = (path, meta.len(), meta.modified().ok(), super::mark::put_in_place(&meta));
        Some(IndexStamp { index, folder: folder_time(out_dir) })
    }
}

/// When a folder's entries last changed: a file made, renamed or removed
/// in it changes its modification time.
fn folder_time(dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::symlink_metadata(dir).ok()?.modified().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        for ok in ["summary.md", "stages/call/detail.md", "a/b/c"] {
            assert!(is_safe_relative(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../b", "a//b", "./a", "a/./b", "a\\..\\b", "C:/x", "a/", "a\0b"] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_tampered_index_is_read_without_its_bad_entries() {
        let index = br#"{"encoding": "o200k_base", "personas": {
            "maya": {"artifacts": {"summary.md": {"sha256": "x", "tokens": 3}}},
            "maya/../../../sibling": {"artifacts": {"victim.txt": {}}},
            "/abs": {"artifacts": {"victim.txt": {}}},
            "sam": {"artifacts": {"../../victim.txt": {}}}
        }}"#;
        let previous = PreviousIndex::parse(index).unwrap();
        assert_eq!(previous.personas.keys().collect::<Vec<_>>(), ["maya"]);
        assert_eq!(previous.artifacts.keys().collect::<Vec<_>>(), ["maya/summary.md"]);
        assert_eq!(previous.ignored.len(), 3, "{:?}", previous.ignored);
    }
}
