//! The mark a build leaves on `index.json`, so that the next build can tell
//! that no source changed without reading one.
//!
//! Like git's index and make, this trusts the filesystem's times, but only
//! the change time (ctime) of sources: every write, rename, chmod or
//! restore of a file sets it from the filesystem's clock, and nothing can
//! set it back; adding, removing or renaming an entry sets a folder's.
//!
//! A build that read every source from disk, once its output is in place
//! (or found up to date), takes the filesystem's clock by touching
//! `index.json`, checks that no source file or folder changed since it read
//! them ([`SourceTimes`]), and sets `index.json`'s modification time to the
//! mark: the latest time no later than that clock whose nanoseconds end
//! with six digits drawn from the personac version and its built-in
//! layouts (so at most a millisecond earlier). Anything that
//! changes a source afterwards gives it a later change time. So the next
//! build of the same personac knows its sources are the ones `index.json`
//! records when every source file and folder (and the repository root,
//! when a top-level source folder is missing) changed before the mark, and
//! the personac binary was installed before it.
//!
//! An `index.json` that anything else wrote (git checkout, an editor, a
//! build from a git revision, another personac) carries no mark, but for a
//! one-in-a-million chance on its nanoseconds (and then its sources must
//! also all be older than it). One copied with its times
//! (cp -p, tar, rsync) keeps the mark, but the sources were copied too, and
//! their change times are new. Where the platform has no change times, or
//! the filesystem keeps no nanoseconds, nothing is ever marked, and every
//! build reads its sources.

use std::fs::Metadata;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::snapshot::{Changed, Listing, SourceTimes, changed};

/// A mark's nanoseconds end with these six digits: a mark is at most a
/// millisecond older than the clock it was taken from.
const MARK_EVERY: i64 = 1_000_000;

/// The last six digits of this personac's marks' nanoseconds.
fn mark_digits() -> i64 {
    static DIGITS: OnceLock<i64> = OnceLock::new();
    *DIGITS.get_or_init(|| {
        let mut h = Sha256::new();
        super::inputs::hash_personac(&mut h);
        let bytes: [u8; 8] = h.finalize()[..8].try_into().unwrap_or_default();
        (u64::from_le_bytes(bytes) % MARK_EVERY as u64) as i64
    })
}

/// The mark for `now`, a reading of the filesystem's clock: the latest
/// time no later than it whose nanoseconds end with the mark's digits.
fn mark_at(now: Changed) -> Option<SystemTime> {
    let (mut seconds, mut nanos) = (now.0, now.1 - now.1.rem_euclid(MARK_EVERY) + mark_digits());
    if nanos > now.1 {
        nanos -= MARK_EVERY;
    }
    if nanos < 0 {
        (seconds, nanos) = (seconds - 1, nanos + 1_000_000_000);
    }
    time_of((seconds, nanos))
}

/// A change time as a `SystemTime`.
fn time_of((seconds, nanos): Changed) -> Option<SystemTime> {
    Some(UNIX_EPOCH + Duration::new(u64::try_from(seconds).ok()?, u32::try_from(nanos).ok()?))
}

/// The mark `index.json`'s metadata carries, if it is this personac's.
pub(super) fn mark_of(index: &Metadata) -> Option<Changed> {
    let modified = index.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    let nanos = i64::from(modified.subsec_nanos());
    (nanos % MARK_EVERY == mark_digits()).then(|| (i64::try_from(modified.as_secs()).unwrap_or(i64::MAX), nanos))
}

/// When a file was last put in place: its change time where the platform
/// keeps one (a rename or a mark sets it; a copy that keeps times does
/// not), its modification time elsewhere.
pub(super) fn put_in_place(meta: &Metadata) -> Option<SystemTime> {
    match changed(meta) {
        Some(at) => time_of(at),
        None => meta.modified().ok(),
    }
}

/// Marks the `index.json` in `out_dir` after a build that read the sources
/// `listing` found as `read`, if they are still as it read them (looked at
/// again, [`SourceTimes::again`]) and no other process is writing the
/// folder. Whether the mark was set; not setting it
/// only costs the next build a reading.
pub fn mark(out_dir: &Path, listing: &Listing, read: &SourceTimes) -> bool {
    let marked = || -> Option<bool> {
        let _lock = crate::lock::try_acquire(out_dir)?;
        let file = std::fs::OpenOptions::new().write(true).open(out_dir.join(super::output::INDEX)).ok()?;
        // Unmarked first, which also reads the filesystem's clock: the
        // change time this takes.
        file.set_modified(UNIX_EPOCH).ok()?;
        let now = changed(&file.metadata().ok()?)?;
        if SourceTimes::again(listing).as_ref() != Some(read) {
            return Some(false);
        }
        file.set_modified(mark_at(now)?).ok()?;
        Some(true)
    };
    marked().unwrap_or(false)
}

/// Takes away the mark an `index.json` this build wrote carries by chance
/// (a modification time that happens to end with the mark's digits, one in
/// a million): only [`mark`] may vouch for the sources behind it, not a
/// build from a git revision or the watch.
pub(super) fn clear(index: &Path) {
    let Ok(meta) = std::fs::metadata(index) else { return };
    if mark_of(&meta).is_some()
        && let Ok(modified) = meta.modified()
        && let Ok(file) = std::fs::OpenOptions::new().write(true).open(index)
    {
        let _ = file.set_modified(modified + Duration::from_nanos(1));
    }
}

/// Whether the sources `listing` found at `root` are unchanged since the
/// `index.json` with metadata `index` was marked (nothing is read).
pub fn unchanged_since_mark(root: &Path, listing: &Listing, index: &Metadata) -> bool {
    let Some(mark) = mark_of(index) else { return false };
    let before = |at: Option<Changed>| at.is_some_and(|at| at < mark);
    let changed_at = |path: &Path| std::fs::metadata(path).ok().and_then(|m| changed(&m));
    if listing.has_problems() || !before(std::env::current_exe().ok().and_then(|exe| changed_at(&exe))) {
        return false;
    }
    if !listing.is_complete() && !before(changed_at(root)) {
        return false;
    }
    listing.folder_changes().all(before) && listing.file_changes().is_some_and(|files| files.into_iter().all(|at| at < mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_at_most_a_millisecond_before_the_clock_it_was_taken_from() {
        let digits = mark_digits();
        let nows = [0, 1, digits - 1, digits, digits + 1, MARK_EVERY - 1, 5 * MARK_EVERY + digits, 999_999_999];
        for now in nows.into_iter().filter(|n| (0..1_000_000_000).contains(n)).map(|n| (100, n)) {
            let mark = mark_at(now).unwrap().duration_since(UNIX_EPOCH).unwrap();
            let mark = (mark.as_secs() as i64, i64::from(mark.subsec_nanos()));
            let before = (now.0 - mark.0) * 1_000_000_000 + now.1 - mark.1;
            assert!((0..MARK_EVERY).contains(&before), "{mark:?} for {now:?}");
            assert_eq!(mark.1 % MARK_EVERY, digits);
        }
    }

    #[test]
    fn an_index_marked_by_chance_loses_the_mark_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.json");
        std::fs::write(&index, "{}").unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&index).unwrap();
        file.set_modified(mark_at((1_700_000_000, 500_000_000)).unwrap()).unwrap();
        let Some(_) = mark_of(&std::fs::metadata(&index).unwrap()) else {
            return; // a filesystem without nanoseconds keeps no mark at all
        };
        clear(&index);
        assert!(mark_of(&std::fs::metadata(&index).unwrap()).is_none());
        assert_eq!(std::fs::read_to_string(&index).unwrap(), "{}");
        // An unmarked index is left as it is.
        let before = std::fs::metadata(&index).unwrap().modified().unwrap();
        clear(&index);
        assert_eq!(std::fs::metadata(&index).unwrap().modified().unwrap(), before);
    }
}
