//! The one seam for reading sources.
//!
//! A [`Snapshot`] is the set of source files of a persona repository: the
//! working tree on disk, in-memory files in tests, or (later) a git tree. Every
//! later step reads through it and nothing else, so the pipeline never touches
//! the filesystem behind the snapshot's back. Text is normalised here (a
//! leading BOM dropped, CRLF made LF) so that every source form gives the same
//! artifacts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use sha2::Digest as _;

use crate::diag::{Diagnostic, Sources, code};
use crate::model::Kind;

mod listing;

pub use crate::rules::{CONFIG_FILE, TEMPLATES_DIR};
pub use listing::{Changed, Listing, SourceTimes, changed, is_source_path};

/// Finds the repository root from `start` upward, as cargo and git do: the
/// first folder that holds `personac.toml` or a `personas/` folder. The
/// search stops at a git work tree's root and at the filesystem root. A bare
/// git repository (no working tree: its revisions are read with `--rev`) is
/// its own root.
pub fn find_root(start: &Path) -> Option<std::path::PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let bare = |dir: &Path| dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir();
    if bare(&start) {
        return Some(start);
    }
    for dir in start.ancestors() {
        if dir.join(CONFIG_FILE).is_file() || dir.join(Kind::Persona.folder()).is_dir() {
            return Some(dir.to_path_buf());
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Source files by repository-relative path (with `/` separators).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    files: BTreeMap<Arc<str>, Arc<str>>,
    /// The sha256 of each file's (normalised) text, made once when it is read.
    hashes: foldhash::HashMap<Arc<str>, [u8; 32]>,
    /// Files that are not UTF-8, decoded lossily: only to show them in
    /// diagnostics, never read as sources.
    unreadable: BTreeMap<Arc<str>, Arc<str>>,
    /// Why files could not be read.
    read_errors: BTreeMap<Arc<str>, Diagnostic>,
    /// Symbolic links in the source folders, which are never followed.
    links: BTreeMap<Arc<str>, Diagnostic>,
    /// The bytes of files whose text differs from them (normalised, or
    /// decoded lossily): what a carried file is copied as.
    raw: BTreeMap<Arc<str>, Arc<[u8]>>,
}

impl Snapshot {
    /// A snapshot of in-memory files; paths that are not sources are ignored.
    pub fn from_files<P: AsRef<str>, T: AsRef<str>>(files: impl IntoIterator<Item = (P, T)>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for (path, text) in files {
            if is_source_path(path.as_ref()) {
                snapshot.insert(path.as_ref(), text.as_ref());
            }
        }
        snapshot
    }

    /// A snapshot of in-memory files given as bytes, read as files on disk
    /// are (a file that is not UTF-8 is an error of that file).
    pub fn from_bytes<P: AsRef<str>>(files: impl IntoIterator<Item = (P, Vec<u8>)>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for (path, bytes) in files {
            if is_source_path(path.as_ref()) {
                snapshot.add(path.as_ref().to_string(), Ok(bytes));
            }
        }
        snapshot
    }

    /// Reads the sources of the repository at `root`, with a diagnostic for
    /// each file that could not be read (the rest are still read).
    pub fn from_dir(root: &Path) -> (Snapshot, Vec<Diagnostic>) {
        Snapshot::from_listing(&Listing::of(root), |_| true)
    }

    /// Reads the files of a listing that `wanted` keeps (by
    /// repository-relative path), with the listing's links and problems.
    pub fn from_listing(listing: &Listing, wanted: impl Fn(&str) -> bool + Sync) -> (Snapshot, Vec<Diagnostic>) {
        let (snapshot, diags, _) = Snapshot::read(listing, wanted);
        (snapshot, diags)
    }

    /// Reads every file of a listing, as [`Snapshot::from_listing`], and
    /// also tells what the files and folders looked like on disk when they
    /// were read ([`SourceTimes`]), where the platform and the filesystem
    /// can say.
    pub fn from_listing_timed(listing: &Listing) -> (Snapshot, Vec<Diagnostic>, Option<SourceTimes>) {
        Snapshot::read(listing, |_| true)
    }

    fn read(listing: &Listing, wanted: impl Fn(&str) -> bool + Sync) -> (Snapshot, Vec<Diagnostic>, Option<SourceTimes>) {
        let mut snapshot = Snapshot::default();
        for link in &listing.links {
            snapshot.link(link.clone());
        }
        let mut diags = listing.diags.clone();
        // Reading, normalising and hashing are the slow part: done in
        // parallel, kept in path order.
        use rayon::prelude::*;
        let read: Vec<(&str, Read, Option<Changed>)> = listing
            .paths
            .par_iter()
            .filter(|(rel, _)| wanted(rel))
            .map(|(rel, path)| {
                let (bytes, changed) = read_file(path);
                let read = match bytes {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => {
                            let normal = normalized(&text);
                            let hash = sha2::Sha256::digest(normal.as_bytes()).into();
                            let raw = (normal.len() != text.len()).then(|| text.into_bytes().into());
                            Read::Text(normal.into(), hash, raw)
                        }
                        Err(err) => Read::Raw(Ok(err.into_bytes())),
                    },
                    Err(err) => Read::Raw(Err(err)),
                };
                (rel.as_str(), read, changed)
            })
            .collect();
        let whole = read.len() == listing.paths.len() && listing.diags.is_empty();
        let times = whole.then(|| SourceTimes::of(listing, read.iter().map(|(rel, _, changed)| (*rel, *changed)))).flatten();
        for (rel, read, _) in read {
            let rel = rel.to_string();
            match read {
                Read::Text(text, hash, raw) => {
                    let path: Arc<str> = rel.into();
                    if let Some(raw) = raw {
                        snapshot.raw.insert(path.clone(), raw);
                    }
                    snapshot.hashes.insert(path.clone(), hash);
                    snapshot.files.insert(path, text);
                }
                Read::Raw(bytes) => snapshot.add(rel, bytes),
            }
        }
        diags.extend(snapshot.read_errors());
        (snapshot, diags, times)
    }

    /// This snapshot after the given repository-relative paths changed on
    /// disk: only they are read again (a folder means reading everything).
    pub fn refresh(&self, root: &Path, changed: &[String]) -> (Snapshot, Vec<Diagnostic>) {
        let mut next = self.clone();
        for rel in changed {
            let path = root.join(rel);
            if path.is_dir() {
                return Snapshot::from_dir(root);
            }
            next.remove_path(rel);
            let meta = std::fs::symlink_metadata(&path);
            if meta.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
                if is_source_path(rel) {
                    next.link(rel.clone());
                }
            } else if is_source_path(rel) && meta.is_ok_and(|m| m.is_file()) {
                next.add(rel.clone(), std::fs::read(&path));
            }
        }
        let diags = next.read_errors();
        (next, diags)
    }

    /// Forgets a file, or every file under a folder.
    fn remove_path(&mut self, rel: &str) {
        let under = format!("{rel}/");
        let gone = |p: &Arc<str>| &**p == rel || p.starts_with(&under);
        self.files.retain(|p, _| !gone(p));
        self.hashes.retain(|p, _| !gone(p));
        self.unreadable.retain(|p, _| !gone(p));
        self.read_errors.retain(|p, _| !gone(p));
        self.links.retain(|p, _| !gone(p));
        self.raw.retain(|p, _| !gone(p));
    }

    /// Records a symbolic link that is not followed.
    fn link(&mut self, rel: String) {
        let file: Arc<str> = rel.into();
        let diag = Diagnostic::warning(code::SYMLINK, format!("`{file}` is a symbolic link; personac does not follow links"))
            .at(&file, 0..0)
            .help("it is left out of the build; put the file itself here (a link could lead outside the repository)");
        self.links.insert(file, diag);
    }

    /// Warnings about the sources: symbolic links left out.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.links.values().cloned().collect()
    }

    /// The diagnostics of files that could not be read.
    pub fn read_errors(&self) -> Vec<Diagnostic> {
        self.read_errors.values().cloned().collect()
    }

    /// Records a file as read from disk.
    fn add(&mut self, rel: String, bytes: std::io::Result<Vec<u8>>) {
        match bytes {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => self.insert(&rel, &text),
                Err(err) => {
                    let at = err.utf8_error().valid_up_to();
                    let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
                    let definition = [".toml", ".yaml", ".yml", ".md", ".j2"].iter().any(|e| rel.ends_with(e));
                    if !definition {
                        // Not a definition at all: parse says so, which helps
                        // more; a skill folder carries it as it is.
                        self.insert(&rel, &lossy);
                        self.raw.insert(rel.into(), err.into_bytes().into());
                        return;
                    }
                    let file: Arc<str> = rel.into();
                    let diag = Diagnostic::error(code::NOT_UTF8, "file is not valid UTF-8")
                        .at(&file, at..at + 1)
                        .label("not UTF-8")
                        .help("save the file as UTF-8");
                    self.read_errors.insert(file.clone(), diag);
                    self.unreadable.insert(file, lossy.into());
                }
            },
            Err(err) => {
                let file: Arc<str> = rel.into();
                self.read_errors.insert(file.clone(), Diagnostic::error(code::IO, format!("cannot read file: {err}")).at(&file, 0..0));
            }
        }
    }

    fn insert(&mut self, path: &str, text: &str) {
        let normal = normalized(text);
        let path: Arc<str> = path.into();
        if normal.len() != text.len() {
            self.raw.insert(path.clone(), text.as_bytes().into());
        } else {
            self.raw.remove(&path);
        }
        let text = normal;
        self.hashes.insert(path.clone(), sha2::Sha256::digest(text.as_bytes()).into());
        self.files.insert(path, text.into());
    }

    /// This snapshot with one file set to `text` (an edit, before it is written).
    pub fn with_file(&self, path: &str, text: &str) -> Snapshot {
        let mut edited = self.clone();
        edited.insert(path, text);
        edited
    }

    /// This snapshot with several files' texts replaced or added (the
    /// buffers an editor has open), copied once.
    pub fn with_files<'a>(&self, files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Snapshot {
        let mut edited = self.clone();
        for (path, text) in files {
            edited.insert(path, text);
        }
        edited
    }

    /// This snapshot without one file (a deletion, before it is made).
    pub fn without(&self, path: &str) -> Snapshot {
        let mut edited = self.clone();
        edited.remove_path(path);
        edited
    }

    /// The sha256 of a file's text.
    pub fn hash(&self, path: &str) -> Option<&[u8; 32]> {
        self.hashes.get(path)
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|t| &**t)
    }

    /// A file's bytes as they are on disk (its text before it was
    /// normalised): what a skill folder's carried files are copied as.
    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        self.raw.get(path).map(|b| &**b).or_else(|| self.get(path).map(str::as_bytes))
    }

    /// All files, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>)> {
        self.files.iter()
    }

    /// The paths whose text differs between `earlier` and this snapshot:
    /// changed, added or removed.
    ///
    /// The two lists of files are gone through side by side, in path order:
    /// a file whose text both share (a snapshot made from the other keeps
    /// the texts it did not change) is the same without a look at its hash.
    pub fn changed_since(&self, earlier: &Snapshot) -> foldhash::HashSet<Arc<str>> {
        use std::cmp::Ordering;
        let mut changed = foldhash::HashSet::default();
        let (mut now, mut before) = (self.files.iter().peekable(), earlier.files.iter().peekable());
        loop {
            match (now.peek(), before.peek()) {
                (None, None) => break,
                (Some((path, _)), None) => {
                    changed.insert((*path).clone());
                    now.next();
                }
                (None, Some((path, _))) => {
                    changed.insert((*path).clone());
                    before.next();
                }
                (Some((path, text)), Some((was, old))) => match path.cmp(was) {
                    Ordering::Less => {
                        changed.insert((*path).clone());
                        now.next();
                    }
                    Ordering::Greater => {
                        changed.insert((*was).clone());
                        before.next();
                    }
                    Ordering::Equal => {
                        if !Arc::ptr_eq(text, old) && self.hashes.get(&***path) != earlier.hashes.get(&***path) {
                            changed.insert((*path).clone());
                        }
                        now.next();
                        before.next();
                    }
                },
            }
        }
        changed
    }

    /// A file's shared path and text.
    pub fn file(&self, path: &str) -> Option<(&Arc<str>, &Arc<str>)> {
        self.files.get_key_value(path)
    }

    /// The snapshot's own path of a source file, to share rather than copy.
    pub fn path(&self, path: &str) -> Option<&Arc<str>> {
        // Every file has a hash, under the same shared path.
        self.hashes.get_key_value(path).map(|(path, _)| path)
    }
}

impl Sources for Snapshot {
    fn source(&self, path: &str) -> Option<&str> {
        self.get(path).or_else(|| self.unreadable.get(path).map(|t| &**t))
    }
}

/// Reads a file, with its change time as it was opened.
fn read_file(path: &Path) -> (std::io::Result<Vec<u8>>, Option<Changed>) {
    use std::io::Read as _;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) => return (Err(err), None),
    };
    // The size, as `std::fs::read` asks it, and the change time come from
    // one stat of the open file.
    let meta = file.metadata().ok();
    let mut bytes = Vec::with_capacity(meta.as_ref().map_or(0, |m| m.len() as usize));
    // Through `Take`, which is not specialised for files: `File`'s own
    // `read_to_end` would ask the position (one more syscall) for the size
    // already known.
    match (&file).take(u64::MAX).read_to_end(&mut bytes) {
        Ok(_) => (Ok(bytes), meta.as_ref().and_then(changed)),
        Err(err) => (Err(err), None),
    }
}

/// A file as read, before it joins a snapshot.
enum Read {
    /// UTF-8 text, normalised, its sha256, and its bytes if normalising
    /// changed them.
    Text(Arc<str>, [u8; 32], Option<Arc<[u8]>>),
    /// Bytes that are not UTF-8, or why the file could not be read.
    Raw(std::io::Result<Vec<u8>>),
}

/// The text of a source as personac reads it: without a leading BOM, with
/// LF line ends.
pub(crate) fn normalized(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains("\r\n") { text.replace("\r\n", "\n") } else { text.to_string() }
}
