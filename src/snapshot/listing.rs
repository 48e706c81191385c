//! Which files are sources: the repository's source folders listed, not
//! read, with the change times that tell whether any changed since.

use std::path::Path;
use std::sync::Arc;

use sha2::Digest as _;

pub use crate::at::{Changed, changed};
use crate::diag::{Diagnostic, code};
use crate::model::Kind;
use crate::rules::{CONFIG_FILE, TEMPLATES_DIR};

/// What the sources looked like on disk: a fingerprint of the path and
/// change time of every listed file and folder, and of whether every
/// top-level source location exists. Two equal fingerprints taken at two
/// moments mean that no source was written, added, removed or renamed in
/// between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTimes([u8; 32]);

impl SourceTimes {
    pub(super) fn of<'a>(listing: &'a Listing, files: impl Iterator<Item = (&'a str, Option<Changed>)>) -> Option<SourceTimes> {
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

/// The source files of a repository on disk, listed but not read: a
/// command that needs a few of them reads only those
/// ([`Snapshot::from_listing`]).
#[derive(Debug, Default)]
pub struct Listing {
    /// Repository-relative paths, sorted, with their paths on disk.
    pub paths: Vec<(String, std::path::PathBuf)>,
    /// Symbolic links in the source folders, which are never followed.
    pub(super) links: Vec<String>,
    /// Folders that could not be read.
    pub(super) diags: Vec<Diagnostic>,
    /// Every folder walked, with its change time as it was listed.
    pub(super) folders: Vec<(String, Option<Changed>)>,
    /// The repository, where the paths are.
    pub(super) root: std::path::PathBuf,
    /// Whether the config, the layout templates' folder and every kind's
    /// folder exist. When one does not, only the repository root's change
    /// time tells whether it was there before.
    pub(super) complete: bool,
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
