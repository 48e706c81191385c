//! The index a long-running process (watch, serve) keeps in memory between
//! builds: parsed once, trusted while the file is as it was, with what the
//! process knows of the build that wrote it (the sources it was compiled
//! from, whether the output folder's entries changed since, which
//! personas' files are untouched).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::INDEX;
use super::disk::{PreviousIndex, read_index};

/// An output folder's `index.json`, parsed again only when the file changed
/// (its length, modification or change time): for a process that validates
/// many edits, or rebuilds on every save. An entry read a little late is
/// still true (those inputs compiled without errors), so staleness costs
/// work, never correctness.
#[derive(Default)]
pub struct IndexCache {
    last: std::sync::Mutex<Option<Held>>,
}

/// The index an [`IndexCache`] holds, as the file looked, and the sources
/// it was compiled from, if this process compiled it.
struct Held {
    stamp: IndexStamp,
    index: Arc<PreviousIndex>,
    sources: Option<Arc<crate::snapshot::Snapshot>>,
    /// Its files, being looked at ([`IndexCache::look_at_files`]).
    untouched: Option<Arc<super::untouched::Untouched>>,
}

/// An index found in an [`IndexCache`].
pub struct Remembered {
    pub index: Arc<PreviousIndex>,
    /// Which temp files to sweep before writing.
    pub sweep: Sweep,
    /// The sources it was compiled from, if this process compiled it.
    pub sources: Option<Arc<crate::snapshot::Snapshot>>,
    /// Which personas' files are as that build left them, if someone
    /// started looking ([`IndexCache::look_at_files`]).
    pub untouched: Option<Arc<super::untouched::Untouched>>,
}

/// Which `index.json`, and how it looked (path, length, modification and
/// change times); and when the output folder's own entries last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexStamp {
    index: (PathBuf, u64, Option<std::time::SystemTime>, Option<std::time::SystemTime>),
    folder: Option<std::time::SystemTime>,
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

/// Which temp files a build sweeps from the output folder before it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// None: the folder's entries are as this process's last build left them.
    Nothing,
    /// Those in the folder's root, where this version makes them.
    Root,
    /// Every folder's, for those older versions made beside their targets.
    Whole,
}

impl IndexCache {
    /// The index of `out_dir`, from the cache if the file is as it was.
    pub fn read(&self, out_dir: &Path) -> Option<Arc<PreviousIndex>> {
        let stamp = IndexStamp::of(out_dir)?;
        if let Some(hit) = self.held(&stamp) {
            return Some(hit.index);
        }
        let index = std::sync::Arc::new(read_index(out_dir)?);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Held { stamp, index: index.clone(), sources: None, untouched: None });
        Some(index)
    }

    /// The index of `out_dir` if the cache holds it as the file is now,
    /// and which temp files the next build must sweep: none if the folder's
    /// entries are as the build that wrote it left them, else the root's.
    pub fn lookup(&self, out_dir: &Path) -> Option<Remembered> {
        self.held(&IndexStamp::of(out_dir)?)
    }

    /// The index held, if it was the file that `stamp` describes.
    fn held(&self, stamp: &IndexStamp) -> Option<Remembered> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let held = last.as_ref().filter(|held| held.stamp.index == stamp.index)?;
        let as_left = held.stamp.folder.is_some() && held.stamp.folder == stamp.folder;
        let sweep = if as_left { Sweep::Nothing } else { Sweep::Root };
        Some(Remembered { index: held.index.clone(), sweep, sources: held.sources.clone(), untouched: held.untouched.clone() })
    }

    /// Starts looking, on two threads of their own (one from each end), at
    /// the files of the index held (if it is still the file on disk): which
    /// personas' files are as that build left them. A watch calls this as a
    /// change arrives, while both cores wait for the change to settle; the
    /// rebuild then looks only at those the threads have not reached yet.
    /// What an earlier look found is forgotten at once, so that a rebuild
    /// never trusts a look older than its change, however late the thread.
    pub fn look_at_files(self: &Arc<Self>) {
        if let Some(held) = self.last.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            held.untouched = None;
        }
        let cache = self.clone();
        std::thread::spawn(move || cache.look_now());
    }

    fn look_now(&self) {
        let untouched = {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            let Some(held) = last.as_mut() else { return };
            let Some(out_dir) = held.stamp.index.0.parent() else { return };
            let (Some(now), Some(index_time)) = (IndexStamp::of(out_dir), held.stamp.index.3) else { return };
            if now.index != held.stamp.index {
                return;
            }
            let untouched = super::untouched::Untouched::new(out_dir.to_path_buf(), held.index.clone(), index_time);
            held.untouched.insert(std::sync::Arc::new(untouched)).clone()
        };
        let other = untouched.clone();
        std::thread::spawn(move || other.look_at_all(true));
        untouched.look_at_all(false);
    }

    /// Remembers the index this process wrote from `sources`, which the
    /// file showed `stamp` just after: a build by this process need not
    /// read it again, nor hash again the inputs of personas whose sources
    /// did not change since.
    pub fn remember(&self, stamp: IndexStamp, index: PreviousIndex, sources: Arc<crate::snapshot::Snapshot>) {
        let held = Held { stamp, index: Arc::new(index), sources: Some(sources), untouched: None };
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(held);
    }
}
