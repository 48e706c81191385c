//! Compiled views in, `build-output/` out: the only room that writes.
//!
//! [`compile`] turns a catalog into the full set of output files (views,
//! manifests, `index.json`), handing each persona's files to a [`Sink`] as
//! they are made: kept in memory (a diff, `build --check`), dropped (`check`),
//! or written aside by a [`Stager`], which puts them in place only when the
//! whole build succeeded, so a failed build has written nothing. A commit
//! replaces each changed file atomically (a temp file renamed into place),
//! leaves unchanged files untouched, removes the artifacts of removed
//! personas, and writes `index.json` last. Nothing is written outside the
//! output folder.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::catalog::Catalog;
use crate::diag::Diagnostic;
use crate::model::*;
use crate::render::Renderer;
use crate::resolve::ResolveError;
use crate::snapshot::Snapshot;
use crate::tokens::Tokenizer;

mod cache;
mod disk;
mod fresh;
mod inputs;
mod manifest;
mod mark;
mod output;
mod persona;
mod provenance;
mod segments;
mod untouched;
pub use cache::{IndexCache, Remembered};
pub use disk::{IndexStamp, PreviousIndex, Stager, WriteReport, check, is_safe_relative, read_index};
pub use fresh::{UpToDate, unchanged, up_to_date};
pub use inputs::{Changed, build_inputs};
use inputs::{globals_hash, inputs_hash};
pub use manifest::manifest;
pub use mark::mark;
use output::recorded_sources;
pub use output::{Discard, FORMAT, INDEX, InMemory, Linted, Output, Sink, Sweep};
use persona::{PersonaOutput, compile_persona};
pub use persona::{recorded_view, traced_views, traced_views_marked, views};
pub use provenance::{Traced, entry_files, records_path, requests};
pub use segments::{Piece, Segments, fill_checked};
pub use untouched::Guard;

/// A previous build that a rebuild may keep personas from: a persona whose
/// inputs (every source behind it, the config, the templates, the personac
/// version) hash as recorded, and whose files on disk are as that build left
/// them, is kept as it is instead of compiled again.
pub struct Reuse<'a> {
    pub previous: &'a PreviousIndex,
    pub from: Previous<'a>,
    /// What changed since the sources the previous build compiled, when
    /// that is known (a watch's rebuild).
    pub changed: Option<&'a Changed>,
    /// Which personas' files on disk are untouched, being looked at since
    /// the change arrived (a watch's rebuild).
    pub untouched: Option<&'a untouched::Untouched>,
}

/// Where the previous build's files are.
pub enum Previous<'a> {
    /// Written in this output folder: kept there untouched.
    Disk(&'a Path),
    /// Compiled in memory (the other side of a diff): copied.
    Memory(&'a Output),
    /// Only recorded: the build validates and its output is dropped (an
    /// edit checked before it is written). A persona whose inputs are as the
    /// index records compiled without errors then, so it is not compiled.
    Recorded,
    /// Only listed: the base side of a diff, against the index committed at
    /// its revision. A persona whose inputs are as that index records, and
    /// none of whose sources is among [`Reuse::changed`] (what differs
    /// between the two sides), keeps its entry there without being
    /// compiled, and has no files: the other side lists it too
    /// ([`Output::listed`]), and the two entries are the same.
    Listed,
}

/// Compiles every persona of the catalog, in parallel.
pub fn compile(
    catalog: &Catalog,
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    snapshot: &Snapshot,
    reuse: Option<Reuse>,
    stamp: Option<Value>,
    sink: &dyn Sink,
) -> Result<Output, Vec<Diagnostic>> {
    use rayon::prelude::*;
    let globals = globals_hash(snapshot);
    // The output folder of a build on disk, open, and when its index was put
    // in place: the files of a persona kept are looked at against it.
    let on_disk = match reuse.as_ref().map(|r| &r.from) {
        Some(Previous::Disk(dir)) => {
            std::fs::metadata(dir.join(INDEX)).ok().and_then(|m| mark::put_in_place(&m)).map(|time| (crate::at::Folder::new(dir), time))
        }
        _ => None,
    };
    // Abstract personas are bases: checked below, never compiled.
    let names: Vec<&String> = catalog.personas.iter().filter(|(_, p)| !p.is_abstract).map(|(name, _)| name).collect();
    // The whole build's input hash is made alongside: a rebuild that keeps
    // most personas would otherwise wait for it at the end.
    let index_wanted = !matches!(reuse, Some(Reuse { from: Previous::Recorded, .. })) && sink.wants_index();
    let variables = sink.wants_variables();
    let records = sink.wants_records() && catalog.config.provenance;
    let compile_all = || -> Vec<_> {
        names
            .par_iter()
            .map(|name| {
                if let Some(reuse) = &reuse
                    && let Some(kept) = keep(reuse, name, snapshot, &globals, on_disk.as_ref())
                {
                    return Ok(kept);
                }
                compile_persona(catalog, renderer, tokenizer, name, variables, records).map(
                    |PersonaOutput { artifacts, mut entry, variables: used }| {
                        let sources = entry["sources"].as_array().into_iter().flatten().filter_map(Value::as_str);
                        entry["inputs"] = json!(inputs_hash(snapshot, &globals, sources));
                        let files = artifacts.into_iter().map(|a| {
                            let rel = format!("{name}/{}", a.path);
                            let kept = sink.put(&rel, a.bytes);
                            (rel, kept)
                        });
                        (Compiled::Fresh(files.collect(), used), Entry::of(&entry, snapshot))
                    },
                )
            })
            .collect()
    };
    let (compiled, inputs) = rayon::join(compile_all, || index_wanted.then(|| build_inputs(snapshot)));
    let mut diags = Vec::new();
    let mut output = Output::default();
    let mut index_personas: Vec<(&String, Entry)> = Vec::new();
    for (name, result) in names.into_iter().zip(compiled) {
        match result {
            Ok((compiled, entry)) => {
                match compiled {
                    Compiled::Fresh(files, used) => {
                        if let Some(used) = used {
                            output.variables.insert(name.clone(), used);
                        }
                        for (rel, kept) in files {
                            match kept {
                                Some(bytes) => _ = output.files.insert(rel, bytes),
                                None => _ = output.held.insert(rel),
                            }
                        }
                    }
                    Compiled::Kept(files) => {
                        output.reused += 1;
                        output.kept.insert(name.clone());
                        output.kept_files += files;
                    }
                    Compiled::Copied(files) => {
                        output.reused += 1;
                        output.files.extend(files);
                    }
                    Compiled::Listed => {
                        output.reused += 1;
                        output.listed.insert(name.clone());
                    }
                }
                index_personas.push((name, entry));
                output.personas.push(name.clone());
            }
            Err(d) => diags.extend(d),
        }
    }
    // What no compiled persona reached is still checked: an abstract base's
    // links, and the templates of every file no persona uses.
    for (name, _) in catalog.personas.iter().filter(|(_, p)| p.is_abstract) {
        if let Err(ResolveError::Definitions(d)) = catalog.resolve_any(name, &Request::default()) {
            diags.extend(d);
        }
    }
    // The index is made while the templates no persona reached are checked;
    // it is dropped if they have errors.
    let inputs = inputs.filter(|_| diags.is_empty());
    let (unreached, index) = rayon::join(
        || check_unreached(renderer, reuse.as_ref(), &index_personas),
        || inputs.map(|inputs| index_text(tokenizer.encoding(), &inputs, &index_personas, stamp.as_ref())),
    );
    diags.extend(unreached);
    if !diags.is_empty() {
        crate::diag::normalize(&mut diags);
        return Err(diags);
    }
    // Only validating: no index is written.
    if let Some(index) = index {
        output.files.insert(INDEX.to_string(), index);
    }
    Ok(output)
}

/// The templates of every file no compiled persona reaches, checked for
/// syntax. After a build of this process whose index counted how many
/// personas reach each source (a watch's rebuild), only the files whose
/// templates that build did not check need it: those changed since, or no
/// longer reached.
fn check_unreached(renderer: &Renderer, reuse: Option<&Reuse>, personas: &[(&String, Entry)]) -> Vec<Diagnostic> {
    let recorded = |name: &str| reuse.and_then(|r| r.previous.personas.get(name)).map(recorded_sources).into_iter().flatten();
    let since = reuse.and_then(|r| Some((r.previous, r.changed.filter(|c| !c.globals)?, r.previous.reached.as_ref()?)));
    let Some((previous, changed, before)) = since else {
        let mut reached: foldhash::HashSet<&str> = foldhash::HashSet::default();
        for (name, entry) in personas {
            match &entry.sources {
                Some(sources) => reached.extend(sources.iter().map(|s| &**s)),
                None => reached.extend(recorded(name)),
            }
        }
        return renderer.check_syntax(|file| !reached.contains(file));
    };
    // How many more personas reach each file than in that build.
    let mut delta: foldhash::HashMap<&str, i64> = foldhash::HashMap::default();
    for (name, entry) in personas {
        // A kept persona reaches what it reached.
        let Some(sources) = &entry.sources else { continue };
        for source in sources.iter() {
            *delta.entry(&**source).or_default() += 1;
        }
        for source in recorded(name) {
            *delta.entry(source).or_default() -= 1;
        }
    }
    // A persona gone since reaches nothing.
    let now: foldhash::HashSet<&str> = personas.iter().map(|(name, _)| name.as_str()).collect();
    for (_, entry) in previous.personas.iter().filter(|(name, _)| !now.contains(name.as_str())) {
        for source in recorded_sources(entry) {
            *delta.entry(source).or_default() -= 1;
        }
    }
    let reached = |file: &str| before.get(file).map_or(0, |n| i64::from(*n)) + delta.get(file).copied().unwrap_or(0) > 0;
    let files: foldhash::HashSet<&str> = changed.paths().chain(delta.keys().copied()).filter(|file| !reached(file)).collect();
    renderer.check_syntax_of(files)
}

/// A persona's `index.json` entry, serialized as soon as it is made (the
/// index of a large repository is never held as a tree), with the sources
/// it lists.
///
/// Each is held until the index is written, so both fields are at their
/// exact size, and the sources share the snapshot's paths.
struct Entry {
    /// Pretty JSON, indented for its place in the index; a kept persona's
    /// is shared with the previous index held in memory.
    text: Arc<str>,
    /// `None`: those the previous index records (a persona kept).
    sources: Option<Box<[Arc<str>]>>,
}

impl Entry {
    fn of(value: &Value, snapshot: &Snapshot) -> Entry {
        Entry { text: Entry::text(value), sources: Some(entry_sources(value, snapshot)) }
    }

    fn text(value: &Value) -> Arc<str> {
        indented(&serde_json::to_string_pretty(value).unwrap_or_default(), 4).into()
    }
}

/// The sources an index entry lists, as the snapshot's own paths.
fn entry_sources(entry: &Value, snapshot: &Snapshot) -> Box<[Arc<str>]> {
    recorded_sources(entry).map(|path| snapshot.path(path).cloned().unwrap_or_else(|| path.into())).collect()
}

/// Pretty JSON, every line after the first indented by `by` more spaces
/// (a JSON string never holds a raw line break, so lines are safe to cut).
fn indented(pretty: &str, by: usize) -> Box<str> {
    let breaks = pretty.bytes().filter(|&b| b == b'\n').count();
    let mut text = String::with_capacity(pretty.len() + breaks * by);
    for (i, line) in pretty.split('\n').enumerate() {
        if i > 0 {
            text.push('\n');
            text.extend(std::iter::repeat_n(' ', by));
        }
        text.push_str(line);
    }
    text.into_boxed_str()
}

/// `index.json`, laid out as `serde_json`'s pretty printer lays out the
/// object (keys sorted), from the entries already serialized.
///
/// At 10,000 personas the entries are tens of megabytes: the text is made
/// at its full size at once, and each core copies a run of entries into it.
fn index_text(encoding: &str, inputs: &str, personas: &[(&String, Entry)], stamp: Option<&Value>) -> Vec<u8> {
    use rayon::prelude::*;
    let string = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut head =
        format!("{{\n  \"encoding\": {},\n  \"format\": {FORMAT},\n  \"inputs\": {},\n  \"personas\": ", string(encoding), string(inputs));
    head.push_str(if personas.is_empty() { "{}" } else { "{\n" });
    let mut tail = String::from(if personas.is_empty() { "" } else { "  }" });
    if let Some(stamp) = stamp {
        tail.push_str(&format!(",\n  \"source\": {}", indented(&serde_json::to_string_pretty(stamp).unwrap_or_default(), 2)));
    }
    tail.push_str("\n}\n");
    // Each entry's line: `    "name": {...},` (the last one without the comma).
    let names: Vec<String> = personas.iter().map(|(name, _)| string(name)).collect();
    let line = |i: usize| -> [&str; 5] {
        let comma = if i + 1 < personas.len() { ",\n" } else { "\n" };
        ["    ", &names[i], ": ", &personas[i].1.text, comma]
    };
    let line_len = |i: usize| line(i).iter().map(|piece| piece.len()).sum::<usize>();
    let body: usize = (0..personas.len()).map(line_len).sum();
    let mut text = vec![0u8; head.len() + body + tail.len()];
    let (start, rest) = text.split_at_mut(head.len());
    start.copy_from_slice(head.as_bytes());
    let (mut lines, end) = rest.split_at_mut(body);
    end.copy_from_slice(tail.as_bytes());
    // Runs of entries, each with the bytes it fills.
    let mut runs = Vec::new();
    let indices: Vec<usize> = (0..personas.len()).collect();
    for run in indices.chunks(personas.len().div_ceil(16).max(1)) {
        let (bytes, after) = std::mem::take(&mut lines).split_at_mut(run.iter().map(|&i| line_len(i)).sum());
        runs.push((run, bytes));
        lines = after;
    }
    runs.into_par_iter().for_each(|(run, bytes)| {
        let mut at = 0;
        for piece in run.iter().flat_map(|&i| line(i)) {
            bytes[at..at + piece.len()].copy_from_slice(piece.as_bytes());
            at += piece.len();
        }
    });
    text
}

enum Compiled {
    /// Compiled, and given to the sink: paths, and the bytes it gave back;
    /// the variables its templates use, if wanted.
    Fresh(Vec<(String, Option<Vec<u8>>)>, Option<BTreeSet<String>>),
    /// Kept from the previous build on disk, untouched: how many files.
    Kept(usize),
    /// Copied from the previous build in memory: output paths and bytes.
    Copied(Vec<(String, Vec<u8>)>),
    /// Listed as the previous build's index records it, without files
    /// ([`Previous::Listed`]).
    Listed,
}

/// The previous build's entry for a persona, if its inputs are unchanged
/// and, on disk, its files untouched since (none modified after that build's
/// index).
fn keep(
    reuse: &Reuse,
    name: &str,
    snapshot: &Snapshot,
    globals: &[u8; 32],
    on_disk: Option<&(crate::at::Folder, std::time::SystemTime)>,
) -> Option<(Compiled, Entry)> {
    let entry = reuse.previous.personas.get(name)?;
    let sources = entry.get("sources")?.as_array()?.iter().filter_map(Value::as_str);
    let unchanged = reuse.changed.is_some_and(|changed| changed.none_of(sources.clone()));
    if let Previous::Listed = reuse.from {
        // A change between the sides reaches it: compiled on both.
        let recorded = entry.get("inputs")?.as_str()?;
        if !unchanged || recorded != inputs_hash(snapshot, globals, sources) {
            return None;
        }
    } else if !unchanged {
        // Among what changed since (a source, the config or a template):
        // its inputs hash differently from those recorded, without hashing
        // them to find out (a change to a base persona reaches thousands).
        if reuse.changed.is_some() || entry.get("inputs")?.as_str()? != inputs_hash(snapshot, globals, sources) {
            return None;
        }
    }
    entry.get("artifacts")?.as_object()?;
    let paths = provenance::entry_files(entry).map(|(path, _)| path);
    if let Previous::Recorded = reuse.from {
        // Nothing is written: only what the persona reached is needed.
        return Some((Compiled::Kept(0), Entry { text: "".into(), sources: None }));
    }
    let kept = match reuse.from {
        Previous::Listed => Compiled::Listed,
        // Listed on the other side too: the same entry, no files.
        Previous::Memory(output) if output.listed.contains(name) => Compiled::Listed,
        Previous::Disk(_) => {
            let (folder, index_time) = on_disk?;
            let untouched = match reuse.untouched.and_then(|u| u.of(name)) {
                Some(untouched) => untouched,
                None => fresh::modified_before(folder, name, paths.clone().map(String::as_str), *index_time),
            };
            untouched.then_some(Compiled::Kept(paths.clone().count()))?
        }
        Previous::Memory(output) => {
            let files = paths.map(|p| {
                let path = format!("{name}/{p}");
                output.files.get(&path).map(|bytes| (path, bytes.clone()))
            });
            Compiled::Copied(files.collect::<Option<_>>()?)
        }
        Previous::Recorded => return None,
    };
    let entry = match reuse.previous.texts.get(name) {
        Some(text) => Entry { text: text.clone(), sources: None },
        None => Entry { text: Entry::text(entry), sources: None },
    };
    Some((kept, entry))
}

/// A persona's artifact id and fingerprint, as `build` records them (the
/// whole persona is compiled).
pub fn identity(catalog: &Catalog, renderer: &Renderer, tokenizer: &Tokenizer, name: &str) -> Result<(String, String), Vec<Diagnostic>> {
    let out = compile_persona(catalog, renderer, tokenizer, name, false, false)?;
    let field = |k: &str| out.entry[k].as_str().unwrap_or_default().to_string();
    Ok((field("id"), field("fingerprint")))
}

/// A persona's manifest as `build` writes it. The whole persona is
/// compiled: the manifest quotes the fingerprint of every view.
pub fn manifest_of(catalog: &Catalog, renderer: &Renderer, tokenizer: &Tokenizer, name: &str) -> Result<Value, Vec<Diagnostic>> {
    let out = compile_persona(catalog, renderer, tokenizer, name, false, false)?;
    let manifest = out.artifacts.iter().find(|a| a.path == "manifest.json").map(|a| a.bytes.as_slice()).unwrap_or_default();
    Ok(serde_json::from_slice(manifest).unwrap_or_default())
}
