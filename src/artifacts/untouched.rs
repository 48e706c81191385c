//! Which personas' files in the output folder are as the build that wrote
//! them left them (none modified after its index was put in place). A watch
//! starts looking on threads of its own as soon as a change arrives, while
//! it reads and loads the changed sources (a core is mostly idle then); the
//! rebuild asks for each persona it would keep, and looks at those the
//! threads have not reached yet itself. Each persona's files are looked at
//! once, by whichever comes first.
//!
//! Where a [`Guard`] watches the output folder, a look may be older than
//! the change: each persona's folders are watched before its files are
//! looked at, and a look found untouched is carried to the next build's
//! index (for a persona whose entry there is the same) until the guard
//! says something changed in its folders. Otherwise a look is never older
//! than the change it serves.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::SystemTime;

use super::disk::PreviousIndex;

const PENDING: u8 = 0;
const LOOKING: u8 = 1;
const UNTOUCHED: u8 = 2;
const TOUCHED: u8 = 3;

/// What watches the output folder's entries for changes (the watch's
/// inotify), so that a look need not be repeated while nothing changed.
pub trait Guard: Send + Sync {
    /// Told just before a persona's files are looked at, with the folders
    /// they are in (relative to the output folder, the persona's own
    /// first): anything that changes in them afterwards is to be told by
    /// [`Guard::changed`].
    fn watch(&self, persona: &str, folders: &[String]);
    /// The personas whose folders changed since it was last asked (or that
    /// it could not watch); `None` when it lost track, and every look is to
    /// be forgotten.
    fn changed(&self) -> Option<foldhash::HashSet<String>>;
}

/// Personas found untouched, each with its index entry (as serialized) at
/// the look, to be carried to the next index.
pub type Carried = Vec<(String, Arc<str>)>;

pub struct Untouched {
    /// The output folder, whose files are looked at relative to it.
    folder: crate::at::Folder,
    index: Arc<PreviousIndex>,
    /// When the index was put in place.
    index_time: SystemTime,
    /// The index's personas, in its order, and each one's place.
    personas: Vec<String>,
    places: foldhash::HashMap<String, usize>,
    states: Vec<AtomicU8>,
    guard: Option<Arc<dyn Guard>>,
    /// The threads looking ([`Untouched::look_at_all_meanwhile`]).
    threads: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Untouched {
    /// The personas of `index` as yet unlooked at, but for those `carried`
    /// untouched from the index before whose entry is the same in this one.
    pub fn new(
        out_dir: PathBuf,
        index: Arc<PreviousIndex>,
        index_time: SystemTime,
        carried: Carried,
        guard: Option<Arc<dyn Guard>>,
    ) -> Untouched {
        let personas: Vec<String> = index.personas.keys().cloned().collect();
        let places: foldhash::HashMap<String, usize> = personas.iter().enumerate().map(|(i, p)| (p.clone(), i)).collect();
        let states: Vec<AtomicU8> = personas.iter().map(|_| AtomicU8::new(PENDING)).collect();
        for (persona, entry) in carried {
            let same = index.texts.get(&persona).is_some_and(|now| Arc::ptr_eq(now, &entry) || **now == *entry);
            if let (true, Some(&i)) = (same, places.get(&persona)) {
                states[i].store(UNTOUCHED, Ordering::Relaxed);
            }
        }
        let folder = crate::at::Folder::new(&out_dir);
        Untouched { folder, index, index_time, personas, places, states, guard, threads: Default::default() }
    }

    /// Looks at every persona no one has looked at yet, in order, or from
    /// the last (so that two threads rarely meet before the middle).
    fn look_at_all(&self, from_last: bool) {
        let n = self.personas.len();
        for i in 0..n {
            let i = if from_last { n - 1 - i } else { i };
            if self.claim(i) {
                self.look(i);
            }
        }
    }

    /// Starts looking at every persona no one has looked at yet, on two
    /// threads of their own (one from each end); [`Untouched::wait`] waits
    /// for them.
    pub fn look_at_all_meanwhile(self: &Arc<Self>) {
        let threads = [false, true].map(|from_last| {
            let untouched = self.clone();
            std::thread::spawn(move || untouched.look_at_all(from_last))
        });
        let mut held = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        // Those done are let go (a rebuild that fails waits for none).
        held.retain(|thread| !thread.is_finished());
        held.extend(threads);
    }

    /// Waits for the threads looking, if any.
    pub fn wait(&self) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            let _ = thread.join();
        }
    }

    /// Whether a persona's files are untouched, looking at them now if no
    /// one has yet; `None` for a persona the index does not have.
    pub fn of(&self, persona: &str) -> Option<bool> {
        let i = *self.places.get(persona)?;
        loop {
            match self.states[i].load(Ordering::Acquire) {
                UNTOUCHED => return Some(true),
                TOUCHED => return Some(false),
                PENDING if self.claim(i) => return Some(self.look(i)),
                // Another thread is looking at it: a few files.
                _ => std::thread::yield_now(),
            }
        }
    }

    /// Forgets what was found of `personas` (something changed in their
    /// folders): they are looked at again. How many were forgotten.
    pub fn forget<'a>(&self, personas: impl IntoIterator<Item = &'a String>) -> usize {
        let mut forgotten = 0;
        for &i in personas.into_iter().filter_map(|p| self.places.get(p)) {
            loop {
                match self.states[i].load(Ordering::Acquire) {
                    PENDING => break,
                    LOOKING => std::thread::yield_now(),
                    found => {
                        if self.states[i].compare_exchange(found, PENDING, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                            forgotten += 1;
                            break;
                        }
                    }
                }
            }
        }
        forgotten
    }

    /// The personas found untouched, with their entries, to be carried to
    /// the next index ([`Untouched::new`]).
    pub fn found(&self) -> Carried {
        let untouched = |i: &usize| self.states[*i].load(Ordering::Acquire) == UNTOUCHED;
        (0..self.personas.len())
            .filter(untouched)
            .filter_map(|i| {
                let persona = &self.personas[i];
                self.index.texts.get(persona).map(|entry| (persona.clone(), entry.clone()))
            })
            .collect()
    }

    fn claim(&self, i: usize) -> bool {
        self.states[i].compare_exchange(PENDING, LOOKING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    fn look(&self, i: usize) -> bool {
        let persona = &self.personas[i];
        let entry = self.index.personas.get(persona);
        let files = || entry.into_iter().flat_map(super::provenance::entry_files).map(|(path, _)| path.as_str());
        if let Some(guard) = &self.guard {
            guard.watch(persona, &folders(persona, files()));
        }
        let untouched = entry.is_some() && super::fresh::modified_before(&self.folder, persona, files(), self.index_time);
        self.states[i].store(if untouched { UNTOUCHED } else { TOUCHED }, Ordering::Release);
        untouched
    }
}

/// The folders a persona's files are in, relative to the output folder:
/// its own, then every one on the way to each file, each once.
fn folders<'a>(persona: &str, files: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut folders = vec![persona.to_string()];
    for file in files {
        let mut end = 0;
        while let Some(slash) = file[end..].find('/') {
            end += slash;
            let folder = format!("{persona}/{}", &file[..end]);
            if !folders.contains(&folder) {
                folders.push(folder);
            }
            end += 1;
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_personas_folders_are_its_own_and_those_on_the_way_to_each_file() {
        let files = ["summary.md", "stages/one/summary.md", "stages/two/detail.md", "stages/one/detail.md"];
        assert_eq!(
            super::folders("ann", files.into_iter()),
            ["ann", "ann/stages", "ann/stages/one", "ann/stages/two"].map(String::from).to_vec()
        );
    }
}
