//! The report: per persona, added, removed or changed; its version; each
//! artifact's token count before and after; a unified diff of each changed
//! artifact, hunk by hunk, with the source lines behind each hunk's changed
//! lines on both sides; and the source files whose change caused it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rayon::prelude::*;

use serde::Serialize;
use serde_json::Value;

use super::lines::{Records, SourceRange};
use crate::artifacts::{INDEX, Output, records_path};
use crate::snapshot::Snapshot;

/// One side of a diff: what was compiled, and from what.
pub struct Side<'a> {
    /// How the user named it: `HEAD`, `main`, `the working tree`…
    pub label: String,
    pub snapshot: &'a Snapshot,
    pub output: &'a Output,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// A value before and after.
#[derive(Clone, Debug, Serialize)]
pub struct Change<T> {
    pub old: Option<T>,
    pub new: Option<T>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArtifactDiff {
    /// Relative to the persona's folder: `detail.md`, `stages/call/summary.md`…
    pub path: String,
    pub status: Status,
    pub tokens: Change<u64>,
    /// `new - old` (a missing side counts 0).
    pub token_delta: i64,
    /// A unified diff of the artifact's text.
    pub diff: String,
    /// The diff's hunks, in order.
    pub hunks: Vec<Hunk>,
}

/// One hunk of an artifact's unified diff.
#[derive(Clone, Debug, Serialize)]
pub struct Hunk {
    /// `@@ -4,4 +4,5 @@`
    pub header: String,
    /// The source lines behind the hunk's removed lines (`old`) and added
    /// lines (`new`), from each side's source records: `null` for a side
    /// without records for the artifact (not a view, records turned off, or
    /// no such file on that side); `[]` when only the layout's own lines
    /// (headings, blanks) changed there.
    pub sources: Change<Vec<SourceRange>>,
    /// Where the hunk's lines are in the artifact's `diff` (bytes), its
    /// header first.
    #[serde(skip)]
    pub at: std::ops::Range<usize>,
}

impl ArtifactDiff {
    /// A hunk's lines, its header first.
    pub fn hunk_text(&self, hunk: &Hunk) -> &str {
        self.diff.get(hunk.at.clone()).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonaDiff {
    pub name: String,
    pub status: Status,
    pub version: Change<String>,
    pub fingerprint: Change<String>,
    pub artifacts: Vec<ArtifactDiff>,
    /// Source files behind the persona that differ between the sides.
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub base: String,
    pub head: String,
    pub changed: bool,
    pub personas: Vec<PersonaDiff>,
}

fn index(output: &Output) -> Value {
    output.files.get(INDEX).and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null)
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The entries of two JSON maps (under `key`) that differ, by name: added,
/// removed, or changed (their `hash_key` differs), in name order.
fn differing<'a>(
    old: &'a Value,
    new: &'a Value,
    key: &str,
    same: impl Fn(&Value, &Value) -> bool,
) -> Vec<(&'a String, Status, Option<&'a Value>, Option<&'a Value>)> {
    let entries = |v: &'a Value| v.get(key).and_then(Value::as_object);
    let (old, new) = (entries(old), entries(new));
    let names: BTreeSet<&String> = old.into_iter().flat_map(|m| m.keys()).chain(new.into_iter().flat_map(|m| m.keys())).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (o, n) = (old.and_then(|m| m.get(name.as_str())), new.and_then(|m| m.get(name.as_str())));
            let status = match (o, n) {
                (None, Some(_)) => Status::Added,
                (Some(_), None) => Status::Removed,
                (Some(o), Some(n)) if !same(o, n) => Status::Changed,
                _ => return None,
            };
            Some((name, status, o, n))
        })
        .collect()
}

fn manifest_hash(entry: &Value) -> Option<&Value> {
    entry.get("artifacts")?.get("manifest.json")?.get("sha256")
}

/// Compares two compiled outputs.
pub fn compare(base: &Side, head: &Side) -> Report {
    let (old_index, new_index) = (index(base.output), index(head.output));
    // The fingerprint covers the views; the manifest (tags, settings…) is
    // compared on its own.
    let same = |o: &Value, n: &Value| o.get("fingerprint") == n.get("fingerprint") && manifest_hash(o) == manifest_hash(n);
    // Each persona's artifacts are compared on their own, in parallel (at
    // thousands of changed personas, reading their source records adds up).
    let differing = differing(&old_index, &new_index, "personas", same);
    let personas: Vec<PersonaDiff> = differing
        .into_par_iter()
        .map(|(name, status, old, new)| {
            let null = Value::Null;
            let (old, new) = (old.unwrap_or(&null), new.unwrap_or(&null));
            let artifacts = artifact_diffs(name, (base, old), (head, new));
            let mut sources: BTreeSet<String> = BTreeSet::new();
            for entry in [old, new] {
                for s in entry.get("sources").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                    if base.snapshot.get(s) != head.snapshot.get(s) {
                        sources.insert(s.to_string());
                    }
                }
            }
            PersonaDiff {
                name: name.clone(),
                status,
                version: Change { old: str_at(old, "version"), new: str_at(new, "version") },
                fingerprint: Change { old: str_at(old, "fingerprint"), new: str_at(new, "fingerprint") },
                artifacts,
                sources: sources.into_iter().collect(),
            }
        })
        .collect();
    Report { base: base.label.clone(), head: head.label.clone(), changed: !personas.is_empty(), personas }
}

fn artifact_diffs(name: &str, (base, old): (&Side, &Value), (head, new): (&Side, &Value)) -> Vec<ArtifactDiff> {
    let mut out = Vec::new();
    for (path, status, o, n) in differing(old, new, "artifacts", |o, n| o.get("sha256") == n.get("sha256")) {
        let tokens = |a: Option<&Value>| a.and_then(|a| a.get("tokens")).and_then(Value::as_u64);
        let tokens = Change { old: tokens(o), new: tokens(n) };
        let token_delta = tokens.new.unwrap_or(0) as i64 - tokens.old.unwrap_or(0) as i64;
        let file = format!("{name}/{path}");
        let text = |side: &Side| side.output.files.get(&file).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        let (before, after) = (text(base), text(head));
        let records = (records(name, path, base, old), records(name, path, head, new));
        let (diff, hunks) = unified(&file, &before, &after, &records);
        out.push(ArtifactDiff { path: path.clone(), status, tokens, token_delta, diff, hunks });
    }
    out
}

/// The source records of the view `path` on one side: `None` when the
/// side's index entry lists none for it (not a view, records turned off, or
/// no such view there).
fn records(name: &str, path: &str, side: &Side, entry: &Value) -> Option<Records> {
    let rel = records_path(path);
    entry.get("provenance")?.get(&rel)?;
    Records::parse(side.output.files.get(&format!("{name}/{rel}"))?)
}

/// The unified diff of `before` and `after` with three lines of context,
/// whole and hunk by hunk, each hunk with its changed lines' sources.
fn unified(file: &str, before: &str, after: &str, (old, new): &(Option<Records>, Option<Records>)) -> (String, Vec<Hunk>) {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut unified = diff.unified_diff();
    unified.context_radius(3);
    let mut whole = String::new();
    let mut hunks = Vec::new();
    for hunk in unified.iter_hunks() {
        if whole.is_empty() {
            whole = format!("--- a/{file}\n+++ b/{file}\n");
        }
        let start = whole.len();
        let _ = write!(whole, "{hunk}");
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for op in hunk.ops() {
            let (tag, o, n) = op.as_tag_tuple();
            if tag != similar::DiffTag::Equal {
                removed.extend(o);
                added.extend(n);
            }
        }
        hunks.push(Hunk {
            header: hunk.header().to_string(),
            sources: Change { old: old.as_ref().map(|r| r.ranges(removed)), new: new.as_ref().map(|r| r.ranges(added)) },
            at: start..whole.len(),
        });
    }
    (whole, hunks)
}

/// `13 → 18 (+5)`.
pub fn tokens_text(c: &Change<u64>, delta: i64) -> String {
    let side = |v: Option<u64>| v.map_or("–".to_string(), |v| v.to_string());
    format!("{} → {} ({delta:+})", side(c.old), side(c.new))
}

/// `1.0.0`, or `1.0.0 → 1.1.0`.
pub fn version_text(c: &Change<String>) -> String {
    let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
    if c.old == c.new { side(&c.new) } else { format!("{} → {}", side(&c.old), side(&c.new)) }
}
