//! The watch's guard on its output folder: which personas' folders
//! changed since it was last asked, so that a rebuild need not look at the
//! files of 10,000 personas to find the one a hand edited (at 10,000
//! personas, looking at every artifact costs a core about a tenth of a
//! second on every save).
//!
//! On Linux, inotify, as watchman does: the root of the output folder, for
//! a persona's folder made, removed or renamed, and each persona's folders,
//! each watched just before its files are looked at
//! ([`crate::artifacts::Guard::watch`]). Asking drains the queue without
//! waiting: the kernel queues an event as the change is made, so every
//! change made before the question is in the answer. A lost track (the
//! queue overflowed, the root folder went away) answers `None`, and every
//! persona is looked at again; a folder that cannot be watched (a link
//! where a folder should be, past half the kernel's limit of watches,
//! which it leaves to the sources' watcher and other programs) has its
//! persona looked at again each time. Like every inotify user, it does not
//! see a write through a memory map, or through a hard link in a folder it
//! does not watch, nor a change made on another machine of a network
//! filesystem (the watch does not guard a polled repository).
//! Elsewhere there is no guard, and the watch looks at every persona's
//! files on every change.

use std::path::Path;
use std::sync::Arc;

use crate::artifacts::Guard;

#[cfg(not(target_os = "linux"))]
use elsewhere::Inotify;
#[cfg(target_os = "linux")]
use linux::Inotify;

/// A guard on one output folder.
pub struct Output {
    dir: std::path::PathBuf,
    inotify: Inotify,
}

impl Output {
    /// Starts guarding `dir`, if the platform can; nothing is known yet, so
    /// the first question answers `None`.
    pub fn start(dir: &Path) -> Option<Arc<Output>> {
        Some(Arc::new(Output { dir: dir.to_path_buf(), inotify: Inotify::start(dir)? }))
    }

    /// Whether it guards `dir` still (it has not lost the folder).
    pub fn guards(&self, dir: &Path) -> bool {
        self.dir == dir && !self.inotify.gone()
    }
}

impl Guard for Output {
    fn watch(&self, persona: &str, folders: &[String]) {
        self.inotify.watch(&self.dir, persona, folders);
    }

    fn changed(&self) -> Option<foldhash::HashSet<String>> {
        self.inotify.changed()
    }
}

#[cfg(not(target_os = "linux"))]
mod elsewhere {
    use std::path::Path;

    /// No guard: every persona's files are looked at on every change.
    pub enum Inotify {}

    impl Inotify {
        pub fn start(_: &Path) -> Option<Inotify> {
            None
        }

        pub fn gone(&self) -> bool {
            match *self {}
        }

        pub fn watch(&self, _: &Path, _: &str, _: &[String]) {
            match *self {}
        }

        pub fn changed(&self) -> Option<foldhash::HashSet<String>> {
            match *self {}
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::MaybeUninit;
    use std::path::Path;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rustix::fd::OwnedFd;
    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use rustix::io::Errno;

    /// In the root: a persona's folder made, removed or renamed, and the
    /// root itself going away.
    const ROOT: WatchFlags = WatchFlags::CREATE
        .union(WatchFlags::DELETE)
        .union(WatchFlags::MOVED_FROM)
        .union(WatchFlags::MOVED_TO)
        .union(WatchFlags::DELETE_SELF)
        .union(WatchFlags::MOVE_SELF);
    /// In a persona's folder: anything written, its times or modes set, an
    /// entry made, removed or renamed, the folder itself removed or renamed.
    const FOLDER: WatchFlags = ROOT.union(WatchFlags::MODIFY).union(WatchFlags::ATTRIB);
    /// A folder, never a link's target.
    const ONLY_THE_FOLDER: WatchFlags = WatchFlags::ONLYDIR.union(WatchFlags::DONT_FOLLOW);

    pub struct Inotify {
        fd: OwnedFd,
        root: i32,
        state: Mutex<State>,
        /// How many folders it may watch: half the kernel's limit, so that
        /// the sources' watcher and other programs keep the rest.
        most: usize,
        /// The kernel's limit of watches, or its own, was reached.
        full: AtomicBool,
    }

    #[derive(Default)]
    struct State {
        /// Each watched folder's persona, by its watch.
        personas: foldhash::HashMap<i32, String>,
        /// Personas a folder of which could not be watched.
        unguarded: foldhash::HashSet<String>,
        /// Nothing was asked yet: nothing is known.
        fresh: bool,
        /// The root is no longer watched (removed, renamed, unmounted).
        gone: bool,
    }

    impl Inotify {
        pub fn start(dir: &Path) -> Option<Inotify> {
            let limit = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches").ok().and_then(|s| s.trim().parse().ok());
            Inotify::watching_at_most(dir, limit.unwrap_or(8192) / 2)
        }

        pub fn watching_at_most(dir: &Path, most: usize) -> Option<Inotify> {
            let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
            let root = inotify::add_watch(&fd, dir, ROOT | ONLY_THE_FOLDER).ok()?;
            let state = Mutex::new(State { fresh: true, ..State::default() });
            Some(Inotify { fd, root, state, most, full: AtomicBool::new(false) })
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }

        pub fn gone(&self) -> bool {
            self.state().gone
        }

        /// Watches a persona's folders. Its persona is known for a watch
        /// before its files are looked at: an event for a watch not known
        /// (yet) is of a change the look will see.
        pub fn watch(&self, dir: &Path, persona: &str, folders: &[String]) {
            if self.state().personas.len() + folders.len() > self.most {
                self.full.store(true, Ordering::Relaxed);
            }
            let mut watches = Vec::with_capacity(folders.len());
            let mut unguarded = false;
            for folder in folders {
                if self.full.load(Ordering::Relaxed) {
                    unguarded = true;
                    break;
                }
                match inotify::add_watch(&self.fd, dir.join(folder), FOLDER | ONLY_THE_FOLDER) {
                    Ok(wd) => watches.push(wd),
                    Err(error) => {
                        unguarded = true;
                        // The kernel's limit of watches: no more are tried.
                        if error == Errno::NOSPC {
                            self.full.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
            let mut state = self.state();
            for wd in watches {
                state.personas.insert(wd, persona.to_string());
            }
            if unguarded {
                state.unguarded.insert(persona.to_string());
            }
        }

        /// The events queued since last asked: the personas they are in.
        pub fn changed(&self) -> Option<foldhash::HashSet<String>> {
            let mut state = self.state();
            let mut changed = std::mem::take(&mut state.unguarded);
            let mut lost = std::mem::take(&mut state.fresh);
            let mut buffer = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
            let mut events = inotify::Reader::new(&self.fd, &mut buffer);
            loop {
                let event = match events.next() {
                    Ok(event) => event,
                    Err(Errno::INTR) => continue,
                    Err(Errno::AGAIN) => break,
                    Err(_) => {
                        lost = true;
                        break;
                    }
                };
                let (wd, flags) = (event.wd(), event.events());
                if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                    lost = true;
                } else if wd == self.root {
                    let away = ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::IGNORED | ReadFlags::UNMOUNT;
                    if flags.intersects(away) {
                        state.gone = true;
                    }
                    if let Some(name) = event.file_name() {
                        changed.insert(name.to_string_lossy().into_owned());
                    }
                } else if flags.contains(ReadFlags::IGNORED) {
                    // The folder is no longer watched: removed, or its file
                    // system unmounted.
                    changed.extend(state.personas.remove(&wd));
                } else if let Some(persona) = state.personas.get(&wd) {
                    changed.insert(persona.clone());
                }
            }
            (!lost && !state.gone).then_some(changed)
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn folders(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn set(names: &[&str]) -> Option<foldhash::HashSet<String>> {
        Some(names.iter().map(|s| s.to_string()).collect())
    }

    /// Past the folders it may watch, a persona's folders are not watched,
    /// and it is told as changed each time it was looked at.
    #[test]
    fn past_the_folders_it_may_watch_a_persona_is_told_each_time() {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["ann/stages", "bob"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        let inotify = linux::Inotify::watching_at_most(dir.path(), 2).unwrap();
        let guard = Output { dir: dir.path().to_path_buf(), inotify };
        assert_eq!(guard.changed(), None);
        guard.watch("ann", &folders(&["ann", "ann/stages"]));
        guard.watch("bob", &folders(&["bob"]));
        assert_eq!(guard.changed(), set(&["bob"]));
        assert_eq!(guard.changed(), set(&[]), "until it is looked at again");
        guard.watch("bob", &folders(&["bob"]));
        assert_eq!(guard.changed(), set(&["bob"]));
        std::fs::write(dir.path().join("ann/stages/summary.md"), "a").unwrap();
        std::fs::write(dir.path().join("bob/summary.md"), "b").unwrap();
        assert_eq!(guard.changed(), set(&["ann"]));
    }

    /// What each kind of change in a persona's folders, or in the root,
    /// tells; and what makes the guard lose track.
    #[test]
    fn tells_each_change_in_a_watched_folder_by_its_persona() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for folder in ["ann/stages/one", "bob", "cy"] {
            std::fs::create_dir_all(out.join(folder)).unwrap();
        }
        std::fs::write(out.join("ann/stages/one/summary.md"), "a").unwrap();
        std::fs::write(out.join("bob/summary.md"), "b").unwrap();
        let guard = Output::start(out).unwrap();
        assert!(guard.guards(out));
        // Nothing was watched before it started.
        assert_eq!(guard.changed(), None);
        guard.watch("ann", &folders(&["ann", "ann/stages", "ann/stages/one"]));
        guard.watch("bob", &folders(&["bob"]));
        assert_eq!(guard.changed(), set(&[]));

        // A write deep in a persona's folders.
        std::fs::write(out.join("ann/stages/one/summary.md"), "edited").unwrap();
        assert_eq!(guard.changed(), set(&["ann"]));
        assert_eq!(guard.changed(), set(&[]), "told once");
        // A time set back, and a file added.
        let file = std::fs::OpenOptions::new().write(true).open(out.join("bob/summary.md")).unwrap();
        file.set_modified(std::time::UNIX_EPOCH).unwrap();
        std::fs::write(out.join("ann/stages/extra.md"), "x").unwrap();
        assert_eq!(guard.changed(), set(&["ann", "bob"]));
        // A persona's folder removed whole, and one made, in the root.
        std::fs::remove_dir_all(out.join("bob")).unwrap();
        std::fs::create_dir(out.join("dee")).unwrap();
        assert_eq!(guard.changed(), set(&["bob", "dee"]));
        // A folder that is a link is not watched: its persona is told each
        // time, until it is watched.
        std::os::unix::fs::symlink(out.join("ann"), out.join("eve")).unwrap();
        assert_eq!(guard.changed(), set(&["eve"]));
        guard.watch("eve", &folders(&["eve"]));
        assert_eq!(guard.changed(), set(&["eve"]));
        std::fs::write(out.join("cy/summary.md"), "not watched").unwrap();
        assert_eq!(guard.changed(), set(&[]), "cy's folder was never watched: its look will tell");

        // More changes than the kernel queues: track is lost once.
        let queued: usize =
            std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(16384);
        let files = [out.join("ann/stages/one/summary.md"), out.join("ann/stages/extra.md")];
        let handles: Vec<_> = files.iter().map(|f| std::fs::OpenOptions::new().write(true).open(f).unwrap()).collect();
        for i in 0..=queued {
            // Two files in turn: the kernel merges only an event like the last.
            handles[i % 2].set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(i as u64)).unwrap();
        }
        assert_eq!(guard.changed(), None);
        assert_eq!(guard.changed(), set(&[]));
        assert!(guard.guards(out));

        // The folder of every persona watched removed: each is told.
        drop(handles);
        std::fs::remove_dir_all(out.join("ann")).unwrap();
        std::fs::remove_dir_all(out.join("dee")).unwrap();
        assert_eq!(guard.changed(), set(&["ann", "dee"]));
        // The root renamed: another folder may take its place unwatched,
        // so track is lost for good.
        let elsewhere = dir.path().with_extension("moved");
        std::fs::rename(out, &elsewhere).unwrap();
        std::fs::create_dir(out).unwrap();
        assert_eq!(guard.changed(), None);
        assert!(!guard.guards(out));
        assert_eq!(guard.changed(), None);
        std::fs::remove_dir_all(elsewhere).unwrap();
    }
}
