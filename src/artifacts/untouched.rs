//! Which personas' files in the output folder are as the build that wrote
//! them left them (none modified after its index was put in place). A watch
//! starts looking on a thread of its own as soon as a change arrives, while
//! it reads and loads the changed sources (a core is mostly idle then); the
//! rebuild asks for each persona it would keep, and looks at those the
//! thread has not reached yet itself. Each persona's files are looked at
//! once, by whichever comes first, and never before the change arrived.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::SystemTime;

use serde_json::Value;

use super::disk::PreviousIndex;

const PENDING: u8 = 0;
const LOOKING: u8 = 1;
const UNTOUCHED: u8 = 2;
const TOUCHED: u8 = 3;

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
}

impl Untouched {
    pub fn new(out_dir: PathBuf, index: Arc<PreviousIndex>, index_time: SystemTime) -> Untouched {
        let personas: Vec<String> = index.personas.keys().cloned().collect();
        let places = personas.iter().enumerate().map(|(i, p)| (p.clone(), i)).collect();
        let states = personas.iter().map(|_| AtomicU8::new(PENDING)).collect();
        Untouched { folder: crate::at::Folder::new(&out_dir), index, index_time, personas, places, states }
    }

    /// Looks at every persona no one has looked at yet, in order, or from
    /// the last (so that two threads rarely meet before the middle).
    pub fn look_at_all(&self, from_last: bool) {
        let n = self.personas.len();
        for i in 0..n {
            let i = if from_last { n - 1 - i } else { i };
            if self.claim(i) {
                self.look(i);
            }
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
                // The other thread is looking at it: a few files.
                _ => std::thread::yield_now(),
            }
        }
    }

    fn claim(&self, i: usize) -> bool {
        self.states[i].compare_exchange(PENDING, LOOKING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    fn look(&self, i: usize) -> bool {
        let persona = &self.personas[i];
        let entry = self.index.personas.get(persona);
        let files =
            entry.and_then(|e| e.get("artifacts")).and_then(Value::as_object).into_iter().flat_map(|a| a.keys().map(String::as_str));
        let untouched = entry.is_some() && super::fresh::modified_before(&self.folder, persona, files, self.index_time);
        self.states[i].store(if untouched { UNTOUCHED } else { TOUCHED }, Ordering::Release);
        untouched
    }
}
