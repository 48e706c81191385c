//! What a build produces, and where it goes: the output's fixed names, the
//! [`Sink`] each persona's files are handed to as they are compiled, the
//! [`Output`] a build returns, and what a build sweeps before it writes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub const INDEX: &str = "index.json";
/// The shape of `index.json`; bumped on incompatible changes.
pub const FORMAT: u64 = 2;

/// Where compiled files go, one persona at a time as they are compiled (in
/// parallel), so that a build never holds every artifact at once.
pub trait Sink: Sync {
    /// Takes one file, by path relative to the output folder; gives the
    /// bytes back if they are to be kept in [`Output::files`].
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Option<Vec<u8>>;

    /// Whether the build's `index.json` is wanted (tens of megabytes at
    /// 10,000 personas).
    fn wants_index(&self) -> bool {
        true
    }

    /// Whether the variables each persona's templates use are wanted, in
    /// [`Output::variables`] (for the lints, which would otherwise resolve
    /// every view again).
    fn wants_variables(&self) -> bool {
        false
    }

    /// Whether the views' source records are wanted (a build that only
    /// validates keeps none: they cannot fail where the views did not, and
    /// they are no part of the fingerprint).
    fn wants_records(&self) -> bool {
        true
    }
}

/// Keeps every file in memory (a diff, `build --check`).
pub struct InMemory;

impl Sink for InMemory {
    fn put(&self, _: &str, bytes: Vec<u8>) -> Option<Vec<u8>> {
        Some(bytes)
    }
}

/// Keeps nothing: the build only validates (`check`, an edit, an import).
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _: &str, _: Vec<u8>) -> Option<Vec<u8>> {
        None
    }

    fn wants_index(&self) -> bool {
        false
    }

    fn wants_records(&self) -> bool {
        false
    }
}

/// Keeps nothing, as [`Discard`], and records the variables each persona's
/// templates use, for the lints (`check`).
pub struct Linted;

impl Sink for Linted {
    fn put(&self, _: &str, _: Vec<u8>) -> Option<Vec<u8>> {
        None
    }

    fn wants_index(&self) -> bool {
        false
    }

    fn wants_variables(&self) -> bool {
        true
    }

    fn wants_records(&self) -> bool {
        false
    }
}

/// Every output file, by path relative to the output folder.
#[derive(Debug, Default)]
pub struct Output {
    /// The files kept in memory: every file with [`InMemory`], else only
    /// `index.json`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The files the sink took and did not give back (only looked up: a
    /// sorted set of 66,000 paths at 10,000 personas took a core most of a
    /// tenth of a second to fill).
    pub held: foldhash::HashSet<String>,
    /// Personas kept from the previous build, untouched (see [`Reuse`]):
    /// their files are those its index records.
    pub kept: foldhash::HashSet<String>,
    /// How many files those personas have.
    pub kept_files: usize,
    /// Personas only listed in the index, as the previous build's index
    /// records them, without their files ([`super::Previous::Listed`]).
    pub listed: foldhash::HashSet<String>,
    pub personas: Vec<String>,
    /// How many of the personas were kept or copied from the previous build
    /// rather than compiled.
    pub reused: usize,
    /// The variables the templates of every view of each compiled persona
    /// use, when the sink wants them ([`Sink::wants_variables`]).
    pub variables: BTreeMap<String, BTreeSet<String>>,
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

/// The sources an index entry lists, as it lists them.
pub fn recorded_sources(entry: &Value) -> impl Iterator<Item = &str> + Clone {
    entry["sources"].as_array().into_iter().flatten().filter_map(Value::as_str)
}
