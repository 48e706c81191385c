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

pub const CONFIG_FILE: &str = "personac.toml";
pub const TEMPLATES_DIR: &str = "templates";

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
                            let text = normalized(&text);
                            let hash = sha2::Sha256::digest(text.as_bytes()).into();
                            Read::Text(text.into(), hash)
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
                Read::Text(text, hash) => {
                    let path: Arc<str> = rel.into();
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
                        // Not a definition at all: parse says so, which helps more.
                        self.insert(&rel, &lossy);
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
        let text = normalized(text);
        let path: Arc<str> = path.into();
        self.hashes.insert(path.clone(), sha2::Sha256::digest(text.as_bytes()).into());
        self.files.insert(path, text.into());
    }

    /// This snapshot with one file set to `text` (an edit, before it is written).
    pub fn with_file(&self, path: &str, text: &str) -> Snapshot {
        let mut edited = self.clone();
        edited.insert(path, text);
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

    /// All files, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>)> {
        self.files.iter()
    }

    /// The paths whose text differs between `earlier` and this snapshot:
    /// changed, added or removed.
    pub fn changed_since(&self, earlier: &Snapshot) -> foldhash::HashSet<Arc<str>> {
        let changed = self.hashes.iter().filter(|(path, hash)| earlier.hashes.get(&***path) != Some(*hash));
        let removed = earlier.hashes.keys().filter(|path| !self.hashes.contains_key(&***path));
        changed.map(|(path, _)| path).chain(removed).cloned().collect()
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

/// When a file or folder last changed on disk: its inode change time
/// (ctime), in seconds and nanoseconds. Every write, rename, chmod or
/// restore of a file sets it from the filesystem's clock, and nothing can
/// set it back; adding, removing or renaming an entry sets a folder's.
pub type Changed = (i64, i64);

/// The change time in `meta`, where the platform keeps one.
pub fn changed(meta: &std::fs::Metadata) -> Option<Changed> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        Some((meta.ctime(), meta.ctime_nsec()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// What the sources looked like on disk: a fingerprint of the path and
/// change time of every listed file and folder, and of whether every
/// top-level source location exists. Two equal fingerprints taken at two
/// moments mean that no source was written, added, removed or renamed in
/// between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTimes([u8; 32]);

impl SourceTimes {
    fn of<'a>(listing: &'a Listing, files: impl Iterator<Item = (&'a str, Option<Changed>)>) -> Option<SourceTimes> {
        let folders = listing.folders.iter().map(|(rel, changed)| (rel.as_str(), *changed));
        SourceTimes::hashed(listing.complete, files.chain(folders))
    }

    fn hashed<'a>(complete: bool, times: impl Iterator<Item = (&'a str, Option<Changed>)>) -> Option<SourceTimes> {
        let mut h = sha2::Sha256::new();
        h.update([u8::from(complete)]);
        for (rel, changed) in times {
            let (seconds, nanos) = changed?;
            h.update(rel.as_bytes());
            h.update([0]);
            h.update(seconds.to_le_bytes());
            h.update(nanos.to_le_bytes());
        }
        Some(SourceTimes(h.finalize().into()))
    }

    /// The sources of the repository at `root` as they are on disk now,
    /// told from their metadata alone (nothing is read).
    pub fn now(root: &Path) -> Option<SourceTimes> {
        let listing = Listing::of(root);
        if !listing.diags.is_empty() {
            return None;
        }
        let changes = listing.file_changes()?;
        SourceTimes::of(&listing, listing.paths.iter().map(|(rel, _)| rel.as_str()).zip(changes.into_iter().map(Some)))
    }

    /// What [`SourceTimes::now`] would give, found without walking the
    /// folders again: every file and folder `listing` found is looked at,
    /// and every top-level location must still be what it was (the config
    /// a file or not; each kind's folder a folder, a link or nothing). A
    /// file or folder added, removed or renamed in a listed folder changes
    /// that folder's change time, so a walk would find nothing else (within
    /// the tick of a coarse clock, as for an edit, see [`crate::artifacts::mark`]).
    pub fn again(listing: &Listing) -> Option<SourceTimes> {
        use rayon::prelude::*;
        if !listing.diags.is_empty() {
            return None;
        }
        let root = crate::at::Folder::new(&listing.root);
        let had_config = listing.paths.first().is_some_and(|(rel, _)| rel == CONFIG_FILE);
        if listing.root.join(CONFIG_FILE).is_file() != had_config {
            return None;
        }
        for folder in Kind::ALL.iter().map(|k| k.folder()).chain([TEMPLATES_DIR]) {
            let was_link = listing.links.iter().any(|link| link == folder);
            let was_folder = listing.folders.iter().any(|(rel, _)| rel == folder);
            let found = root.look(folder);
            let is_link = found.as_ref().is_some_and(|f| f.is_link);
            let is_folder = found.as_ref().is_some_and(|f| f.is_dir);
            if (was_link, was_folder) != (is_link, is_folder) {
                return None;
            }
        }
        let files = listing.file_changes()?;
        let folders: Vec<Option<Changed>> = listing.folders.par_iter().map(|(rel, _)| root.look(rel).and_then(|f| f.changed)).collect();
        let files = listing.paths.iter().map(|(rel, _)| rel.as_str()).zip(files.into_iter().map(Some));
        let folders = listing.folders.iter().map(|(rel, _)| rel.as_str()).zip(folders);
        SourceTimes::hashed(listing.complete, files.chain(folders))
    }
}

/// A file as read, before it joins a snapshot.
enum Read {
    /// UTF-8 text, normalised, and its sha256.
    Text(Arc<str>, [u8; 32]),
    /// Bytes that are not UTF-8, or why the file could not be read.
    Raw(std::io::Result<Vec<u8>>),
}

/// The text of a source as personac reads it: without a leading BOM, with
/// LF line ends.
pub(crate) fn normalized(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains("\r\n") { text.replace("\r\n", "\n") } else { text.to_string() }
}

/// The source files of a repository on disk, listed but not read: a
/// command that needs a few of them reads only those
/// ([`Snapshot::from_listing`]).
#[derive(Debug, Default)]
pub struct Listing {
    /// Repository-relative paths, sorted, with their paths on disk.
    pub paths: Vec<(String, std::path::PathBuf)>,
    /// Symbolic links in the source folders, which are never followed.
    links: Vec<String>,
    /// Folders that could not be read.
    diags: Vec<Diagnostic>,
    /// Every folder walked, with its change time as it was listed.
    folders: Vec<(String, Option<Changed>)>,
    /// The repository, where the paths are.
    root: std::path::PathBuf,
    /// Whether the config, the layout templates' folder and every kind's
    /// folder exist. When one does not, only the repository root's change
    /// time tells whether it was there before.
    complete: bool,
}

impl Listing {
    /// The config alone, if it is a file (what a build reads first, to find
    /// its output folder).
    pub fn config(root: &Path) -> Listing {
        let mut listing = Listing { root: root.to_path_buf(), ..Listing::default() };
        let config = root.join(CONFIG_FILE);
        if config.is_file() {
            listing.paths.push((CONFIG_FILE.to_string(), config));
        }
        listing
    }

    /// Lists the sources of the repository at `root`: the config, every
    /// file in a kind's folder and every layout template.
    pub fn of(root: &Path) -> Listing {
        let mut listing = Listing::config(root);
        listing.complete = !listing.paths.is_empty();
        let folders = Kind::ALL.iter().map(|k| k.folder()).chain([TEMPLATES_DIR]);
        for folder in folders {
            let dir = root.join(folder);
            if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                listing.links.push(folder.to_string());
                listing.complete = false;
                continue;
            }
            if !dir.is_dir() {
                listing.complete = false;
                continue;
            }
            let walker =
                walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(err) => {
                        let rel = err.path().map(|p| relative(root, p)).unwrap_or_else(|| folder.to_string());
                        let file: Arc<str> = rel.into();
                        listing.diags.push(Diagnostic::error(code::IO, format!("cannot read: {err}")).at(&file, 0..0));
                        continue;
                    }
                };
                if entry.file_type().is_symlink() {
                    listing.links.push(relative(root, entry.path()));
                    continue;
                }
                if entry.file_type().is_dir() {
                    let changed = entry.metadata().ok().and_then(|m| changed(&m));
                    listing.folders.push((relative(root, entry.path()), changed));
                    continue;
                }
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = relative(root, entry.path());
                if is_source_path(&rel) {
                    listing.paths.push((rel, entry.into_path()));
                }
            }
        }
        listing
    }

    /// The change time of every listed file, in listing order, from its
    /// metadata (nothing is read); `None` if one cannot be told.
    pub fn file_changes(&self) -> Option<Vec<Changed>> {
        use rayon::prelude::*;
        let root = crate::at::Folder::new(&self.root);
        self.paths.par_iter().map(|(rel, _)| root.look(rel).and_then(|found| found.changed)).collect()
    }

    /// The change time of every folder walked, as it was listed.
    pub fn folder_changes(&self) -> impl Iterator<Item = Option<Changed>> + '_ {
        self.folders.iter().map(|(_, changed)| *changed)
    }

    /// Whether every top-level source location exists (see the field).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether a folder could not be read.
    pub fn has_problems(&self) -> bool {
        !self.diags.is_empty()
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // On Unix a path is already `/`-separated.
    #[cfg(unix)]
    if let Some(rel) = rel.to_str() {
        return rel.to_string();
    }
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Whether a repository-relative path is a source personac reads: the config,
/// a layout template, or a file in a kind's folder (hidden files and
/// `README.md` excepted).
pub fn is_source_path(path: &str) -> bool {
    if path == CONFIG_FILE {
        return true;
    }
    let mut segments = path.split('/');
    let Some(top) = segments.next() else { return false };
    let rest: Vec<&str> = segments.collect();
    let Some(name) = rest.last() else { return false };
    if rest.iter().any(|s| s.starts_with('.') || s.is_empty()) {
        return false;
    }
    if top == TEMPLATES_DIR {
        return name.ends_with(".j2");
    }
    Kind::from_folder(top).is_some() && *name != "README.md"
}

#[cfg(test)]
mod tests {
    use super::Listing;

    /// A listing lists each folder, then what it holds, by name; hidden
    /// entries, README files and links left out (links reported).
    #[test]
    fn a_listing_walks_each_folder_then_what_it_holds_by_name() {
        let root = tempfile::tempdir().unwrap();
        let files = [
            "personac.toml",
            "personas/b.md",
            "personas/a.toml",
            "personas/README.md",
            "personas/.hidden.toml",
            "personas/sub/deeper/d.toml",
            "personas/sub/c.toml",
            "personas/zz/e.toml",
            "personas/.git/x.toml",
            "parts/top.toml",
            "parts/tone/x.md",
            "parts/goal/y.toml",
            "parts/goal/notes.txt",
            "templates/detail.md.j2",
            "templates/other.txt",
        ];
        for file in files {
            let path = root.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.path().join("parts/top.toml"), root.path().join("parts/goal/link.toml")).unwrap();
        let listing = Listing::of(root.path());
        let paths: Vec<&str> = listing.paths.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(
            paths,
            [
                "personac.toml",
                "personas/a.toml",
                "personas/b.md",
                "personas/sub/c.toml",
                "personas/sub/deeper/d.toml",
                "personas/zz/e.toml",
                "parts/goal/notes.txt",
                "parts/goal/y.toml",
                "parts/tone/x.md",
                "parts/top.toml",
                "templates/detail.md.j2",
            ]
        );
        for (rel, path) in &listing.paths {
            assert_eq!(*path, root.path().join(rel));
        }
        let folders: Vec<&str> = listing.folders.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(
            folders,
            ["personas", "personas/sub", "personas/sub/deeper", "personas/zz", "parts", "parts/goal", "parts/tone", "templates"]
        );
        assert!(listing.folders.iter().all(|(_, changed)| changed.is_some()));
        #[cfg(unix)]
        assert_eq!(listing.links, ["parts/goal/link.toml"]);
        assert!(!listing.complete, "no traits, skills, guardrails or arcs folder");
    }

    /// Looking again at what a listing found tells what walking again
    /// tells: whether any source was written, added, removed or renamed.
    #[test]
    fn looking_again_tells_what_walking_again_tells() {
        use super::SourceTimes;
        type Change = fn(&std::path::Path);
        let changes: [(&str, Change); 9] = [
            ("nothing", |_| {}),
            ("an edit", |root| std::fs::write(root.join("parts/tone/x.md"), "y").unwrap()),
            ("a new file", |root| std::fs::write(root.join("parts/tone/new.md"), "y").unwrap()),
            ("a new hidden file", |root| std::fs::write(root.join("personas/.new.toml"), "y").unwrap()),
            ("a removed file", |root| std::fs::remove_file(root.join("personas/a.toml")).unwrap()),
            ("a new kind folder", |root| std::fs::create_dir(root.join("skills")).unwrap()),
            ("a new config", |root| std::fs::write(root.join("personac.toml"), "").unwrap()),
            ("a folder renamed", |root| std::fs::rename(root.join("parts/tone"), root.join("parts/voice")).unwrap()),
            ("a kind folder made a link", |root| {
                std::fs::remove_dir_all(root.join("arcs")).unwrap();
                #[cfg(unix)]
                std::os::unix::fs::symlink(root.join("parts"), root.join("arcs")).unwrap();
            }),
        ];
        for (what, change) in changes {
            let root = tempfile::tempdir().unwrap();
            for file in ["personas/a.toml", "parts/tone/x.md", "arcs/journey.toml"] {
                let path = root.path().join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, "x").unwrap();
            }
            let listing = Listing::of(root.path());
            let before = SourceTimes::now(root.path()).unwrap();
            assert_eq!(SourceTimes::again(&listing), Some(before.clone()), "{what}");
            // Past the tick of a coarse clock.
            std::thread::sleep(std::time::Duration::from_millis(30));
            change(root.path());
            let walked = SourceTimes::now(root.path()) == Some(before.clone());
            let looked = SourceTimes::again(&listing) == Some(before);
            assert_eq!(looked, walked, "{what}");
            assert_eq!(looked, what == "nothing", "{what}");
        }
    }
}
