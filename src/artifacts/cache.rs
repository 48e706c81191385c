//! The index a long-running process (watch, serve) keeps in memory between
//! builds: parsed once, trusted while the file is as it was, with what the
//! process knows of the build that wrote it (the sources it was compiled
//! from, whether the output folder's entries changed since, which
//! personas' files are untouched).

use std::path::Path;
use std::sync::Arc;

use super::disk::{IndexStamp, PreviousIndex, read_index};
use super::output::{INDEX, Output, Sweep};
use super::untouched::{Guard, Untouched};

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
    untouched: Option<Arc<Untouched>>,
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
    pub untouched: Option<Arc<Untouched>>,
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
    ///
    /// With a `guard` that kept track since the last look, only the
    /// personas whose folders it says changed are looked at again; without
    /// one, what an earlier look found is forgotten at once, so that a
    /// rebuild never trusts a look older than its change, however late the
    /// thread.
    pub fn look_at_files(self: &Arc<Self>, guard: Option<Arc<dyn Guard>>) {
        let held = self.last.lock().unwrap_or_else(|p| p.into_inner()).as_ref().and_then(|held| held.untouched.clone());
        if let (Some(held), Some(changed)) = (held, guard.as_ref().and_then(|guard| guard.changed())) {
            if held.forget(&changed) > 0 {
                held.look_at_all_meanwhile();
            }
            return;
        }
        if let Some(held) = self.last.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            held.untouched = None;
        }
        let cache = self.clone();
        std::thread::spawn(move || cache.look_now(guard));
    }

    fn look_now(&self, guard: Option<Arc<dyn Guard>>) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let Some(held) = last.as_mut() else { return };
        let Some(out_dir) = held.stamp.index.0.parent() else { return };
        let (Some(now), Some(index_time)) = (IndexStamp::of(out_dir), held.stamp.index.3) else { return };
        if now.index != held.stamp.index {
            return;
        }
        let untouched = Untouched::new(out_dir.to_path_buf(), held.index.clone(), index_time, Vec::new(), guard);
        held.untouched.insert(std::sync::Arc::new(untouched)).look_at_all_meanwhile();
    }

    /// Remembers the index of `output`, which this process compiled from
    /// `sources` and wrote (the file showed `stamp` just after): a build by
    /// this process need not read it again, nor hash again the inputs of
    /// personas whose sources did not change since. Made from the index
    /// held, whichever build wrote it: an entry whose text it holds byte
    /// for byte keeps its parsed value, and only the others are parsed (at
    /// 10,000 personas, parsing all of them takes a core most of a third of
    /// a second, and would delay a save that follows).
    ///
    /// With a `guard` on the output folder, the new index's files are
    /// looked at from now on, on two threads (the next rebuild looks itself
    /// at those they have not reached yet): those of a persona found
    /// untouched before are not, if its entry is the same and nothing
    /// changed in its folders since (the guard is asked after the write, so
    /// this build's own writes are among what changed).
    pub fn remember_output(
        &self,
        stamp: IndexStamp,
        output: &Output,
        sources: Arc<crate::snapshot::Snapshot>,
        guard: Option<Arc<dyn Guard>>,
    ) {
        let held = self.last.lock().unwrap_or_else(|p| p.into_inner()).take();
        let (earlier, mut carried) = match held {
            Some(held) => {
                // Once its threads are done, what looked at its files holds
                // the index no more.
                let carried = held.untouched.map(|untouched| {
                    untouched.wait();
                    untouched.found()
                });
                let carried = carried.unwrap_or_default();
                (Arc::try_unwrap(held.index).ok(), carried)
            }
            None => (None, Vec::new()),
        };
        let index = match earlier {
            Some(earlier) => patched(earlier, output),
            None => PreviousIndex::of(output),
        };
        let Some(mut index) = index else { return };
        index.count_reached();
        let index = Arc::new(index);
        let untouched = guard.and_then(|guard| {
            match guard.changed() {
                Some(changed) => carried.retain(|(persona, _)| !changed.contains(persona)),
                None => carried.clear(),
            }
            let (out_dir, index_time) = (stamp.index.0.parent()?, stamp.index.3?);
            let untouched = Arc::new(Untouched::new(out_dir.to_path_buf(), index.clone(), index_time, carried, Some(guard)));
            untouched.look_at_all_meanwhile();
            Some(untouched)
        });
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Held { stamp, index, sources: Some(sources), untouched });
    }
}

/// The index of `output`, from `earlier`, an index this process held: an
/// entry whose text is byte for byte the one `earlier` has is taken from it
/// (the same text parses to the same value), the others are taken out and
/// the new ones parsed and checked as [`PreviousIndex::parse`] does. `None`
/// if the output's index does not parse.
fn patched(mut earlier: PreviousIndex, output: &Output) -> Option<PreviousIndex> {
    use serde_json::Value;
    let raw: super::disk::RawIndex = serde_json::from_slice(output.files.get(INDEX)?).ok()?;
    if raw.encoding != earlier.encoding || !earlier.ignored.is_empty() {
        return PreviousIndex::of(output);
    }
    let PreviousIndex { artifacts, personas, texts, .. } = &mut earlier;
    personas.retain(|persona, entry| {
        let now = raw.personas.get(persona.as_str()).map(|text| text.get());
        let kept = now.is_some_and(|now| texts.get(persona).is_some_and(|then| **then == *now));
        if !kept {
            for (path, _) in super::provenance::entry_files(entry) {
                artifacts.remove(&format!("{persona}/{path}"));
            }
        }
        kept
    });
    texts.retain(|persona, _| personas.contains_key(persona));
    let new: Vec<_> = raw.personas.iter().filter(|(persona, _)| !personas.contains_key(&***persona)).collect();
    for (persona, text) in new {
        let entry: Value = serde_json::from_str(text.get()).ok()?;
        let mut ignored = Vec::new();
        if !super::disk::admit(persona, &entry, artifacts, &mut ignored) {
            return PreviousIndex::of(output);
        }
        personas.insert(persona.to_string(), entry);
        texts.insert(persona.to_string(), text.get().into());
    }
    earlier.exports = raw.exports;
    earlier.reached = None;
    Some(earlier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(personas: &[(&str, &str, &str)]) -> super::super::output::Output {
        let entries: Vec<String> = personas
            .iter()
            .map(|(name, path, hash)| {
                format!("    \"{name}\": {{\n      \"artifacts\": {{ \"{path}\": {{ \"sha256\": \"{hash}\", \"tokens\": 3 }} }},\n      \"sources\": [\"parts/{name}.md\"]\n    }}")
            })
            .collect();
        let text = format!("{{\n  \"encoding\": \"o200k_base\",\n  \"personas\": {{\n{}\n  }}\n}}\n", entries.join(",\n"));
        let mut output = super::super::output::Output::default();
        output.files.insert(INDEX.to_string(), text.into_bytes());
        output
    }

    fn same(a: &PreviousIndex, b: &PreviousIndex) {
        assert_eq!(a.encoding, b.encoding);
        assert_eq!(a.personas, b.personas);
        assert_eq!(a.artifacts, b.artifacts);
        assert_eq!(a.texts, b.texts);
        assert_eq!(a.ignored, b.ignored);
        assert_eq!(a.exports, b.exports);
    }

    /// Patched from the index before, the index after a build is the one
    /// parsing it whole gives: kept, changed, gone and new personas.
    #[test]
    fn a_patched_index_is_the_parsed_one() {
        let before = output(&[("ann", "summary.md", "a1"), ("bob", "summary.md", "b1"), ("cy", "detail.md", "c1")]);
        let after = output(&[("ann", "summary.md", "a1"), ("bob", "stages/x/summary.md", "b2"), ("dee", "summary.md", "d1")]);
        let earlier = PreviousIndex::of(&before).unwrap();
        let index = patched(earlier, &after).unwrap();
        same(&index, &PreviousIndex::of(&after).unwrap());
        // As an index read from disk says, but with each entry's text.
        let read = PreviousIndex::parse(&after.files[INDEX]).unwrap();
        assert_eq!((&index.personas, &index.artifacts, &index.ignored), (&read.personas, &read.artifacts, &read.ignored));
        assert!(read.texts.is_empty() && index.texts.len() == 3);
        assert!(!index.artifacts.contains_key("cy/detail.md") && !index.artifacts.contains_key("bob/summary.md"));
        // An entry that would lead outside the output folder is not trusted.
        let bad = output(&[("ann", "summary.md", "a1"), ("eve", "../../escape.md", "e1")]);
        let index = patched(PreviousIndex::of(&after).unwrap(), &bad).unwrap();
        same(&index, &PreviousIndex::of(&bad).unwrap());
        assert_eq!(index.ignored.len(), 1);
    }
}
