//! How a change alters the compiled prompts: two compiled outputs in, a
//! report out, per persona: added, removed or changed; its version; each
//! artifact's token count before and after; a unified diff of each changed
//! artifact; and the source files whose change caused it.
//!
//! Both sides are compiled by the same pipeline as `build`; this room only
//! compares and presents. It reads nothing and writes nothing.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::artifacts::{INDEX, Output};
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
    fn as_str(self) -> &'static str {
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
    let mut personas = Vec::new();
    // The fingerprint covers the views; the manifest (tags, settings…) is
    // compared on its own.
    let same = |o: &Value, n: &Value| o.get("fingerprint") == n.get("fingerprint") && manifest_hash(o) == manifest_hash(n);
    for (name, status, old, new) in differing(&old_index, &new_index, "personas", same) {
        let null = Value::Null;
        let (old, new) = (old.unwrap_or(&null), new.unwrap_or(&null));
        let artifacts = artifact_diffs(name, base, head, old, new);
        let mut sources: BTreeSet<String> = BTreeSet::new();
        for entry in [old, new] {
            for s in entry.get("sources").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if base.snapshot.get(s) != head.snapshot.get(s) {
                    sources.insert(s.to_string());
                }
            }
        }
        personas.push(PersonaDiff {
            name: name.clone(),
            status,
            version: Change { old: str_at(old, "version"), new: str_at(new, "version") },
            fingerprint: Change { old: str_at(old, "fingerprint"), new: str_at(new, "fingerprint") },
            artifacts,
            sources: sources.into_iter().collect(),
        });
    }
    Report { base: base.label.clone(), head: head.label.clone(), changed: !personas.is_empty(), personas }
}

fn artifact_diffs(name: &str, base: &Side, head: &Side, old: &Value, new: &Value) -> Vec<ArtifactDiff> {
    let mut out = Vec::new();
    for (path, status, o, n) in differing(old, new, "artifacts", |o, n| o.get("sha256") == n.get("sha256")) {
        let tokens = |a: Option<&Value>| a.and_then(|a| a.get("tokens")).and_then(Value::as_u64);
        let tokens = Change { old: tokens(o), new: tokens(n) };
        let token_delta = tokens.new.unwrap_or(0) as i64 - tokens.old.unwrap_or(0) as i64;
        let file = format!("{name}/{path}");
        let text = |side: &Side| side.output.files.get(&file).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        let (before, after) = (text(base), text(head));
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{file}"), &format!("b/{file}"))
            .to_string();
        out.push(ArtifactDiff { path: path.clone(), status, tokens, token_delta, diff });
    }
    out
}

fn tokens_text(c: &Change<u64>, delta: i64) -> String {
    let side = |v: Option<u64>| v.map_or("–".to_string(), |v| v.to_string());
    format!("{} → {} ({delta:+})", side(c.old), side(c.new))
}

fn version_text(c: &Change<String>) -> String {
    let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
    if c.old == c.new { side(&c.new) } else { format!("{} → {}", side(&c.old), side(&c.new)) }
}

/// The summary and detail token change of a persona, for the one-line view.
fn headline_tokens(p: &PersonaDiff) -> String {
    match p.artifacts.iter().find(|a| a.path == "detail.md") {
        Some(a) => format!("detail {}", tokens_text(&a.tokens, a.token_delta)),
        None => "top-level views unchanged".into(),
    }
}

/// For a terminal: a line per persona, then each changed artifact's diff.
pub fn text(report: &Report, color: bool) -> String {
    let paint = |code: &str, s: &str| if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
    let mut out = String::new();
    if !report.changed {
        let _ = writeln!(out, "No compiled output changed between {} and {}.", report.base, report.head);
        return out;
    }
    let n = report.personas.len();
    let _ = writeln!(out, "{n} persona{} changed between {} and {}:\n", if n == 1 { "" } else { "s" }, report.base, report.head);
    for p in &report.personas {
        let status = match p.status {
            Status::Added => paint("1;32", "added  "),
            Status::Removed => paint("1;31", "removed"),
            Status::Changed => paint("1;33", "changed"),
        };
        let _ = writeln!(out, "  {status} {}  {}  {}", paint("1", &p.name), version_text(&p.version), headline_tokens(p));
    }
    for p in &report.personas {
        let _ =
            writeln!(out, "\n{} {} ({}, version {})", paint("1", "==="), paint("1", &p.name), p.status.as_str(), version_text(&p.version));
        if !p.sources.is_empty() {
            let _ = writeln!(out, "caused by: {}", p.sources.join(", "));
        }
        for a in &p.artifacts {
            let _ = writeln!(out, "{}  {}  tokens {}", a.path, a.status.as_str(), tokens_text(&a.tokens, a.token_delta));
        }
        for a in &p.artifacts {
            out.push('\n');
            for line in a.diff.lines() {
                let line = match line.chars().next() {
                    _ if line.starts_with("+++") || line.starts_with("---") => paint("1", line),
                    Some('+') => paint("32", line),
                    Some('-') => paint("31", line),
                    Some('@') => paint("36", line),
                    _ => line.to_string(),
                };
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// For a pull-request comment: a summary table, then a collapsible diff per
/// persona.
/// The most a GitHub pull-request comment may hold, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// The report as Markdown for a pull-request comment, within
/// [`COMMENT_LIMIT`]: when the whole does not fit, the longest artifact
/// diffs are shortened (each to the same number of characters, as few as
/// needed), and past that the diffs and then table rows are left out,
/// saying so.
pub fn markdown(report: &Report) -> String {
    let full = markdown_with(report, None, usize::MAX);
    if full.chars().count() <= COMMENT_LIMIT {
        return full;
    }
    let longest = report.personas.iter().flat_map(|p| &p.artifacts).map(|a| a.diff.len()).max().unwrap_or(0);
    let (mut low, mut high) = (0, longest);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if markdown_with(report, Some(mid), usize::MAX).chars().count() <= COMMENT_LIMIT {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let shortened = markdown_with(report, Some(low), usize::MAX);
    if shortened.chars().count() <= COMMENT_LIMIT {
        return shortened;
    }
    // Even without diffs it is too long: keep as many table rows as fit.
    let (mut low, mut high) = (0, report.personas.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if markdown_with(report, Some(0), mid).chars().count() <= COMMENT_LIMIT {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    markdown_with(report, Some(0), low)
}

/// A diff cut to at most `cap` characters, at a line end, saying how much
/// was left out.
fn shorten(diff: &str, cap: usize) -> String {
    if diff.len() <= cap {
        return diff.to_string();
    }
    let mut kept = String::new();
    for line in diff.split_inclusive('\n') {
        if kept.len() + line.len() > cap {
            break;
        }
        kept.push_str(line);
    }
    let total = diff.lines().count();
    let shown = kept.lines().count();
    let _ = writeln!(kept, "… {} of {total} lines left out to fit the comment; run `personac diff` for all of them", total - shown);
    kept
}

/// The Markdown, with each diff cut to `cap` characters (`Some(0)`: diffs
/// left out) and at most `rows` personas in the table.
fn markdown_with(report: &Report, cap: Option<usize>, rows: usize) -> String {
    let mut out = String::from("## personac: compiled prompt changes\n\n");
    if !report.changed {
        let _ = writeln!(out, "No compiled output changed between `{}` and `{}`.", report.base, report.head);
        return out;
    }
    let _ = writeln!(out, "Comparing `{}` → `{}`.\n", report.base, report.head);
    match cap {
        Some(0) => {
            out.push_str("> Shortened to fit a pull-request comment: the artifact diffs are left out; run `personac diff` to see them.\n\n")
        }
        Some(cap) => {
            let _ = writeln!(
                out,
                "> Shortened to fit a pull-request comment: diffs longer than {cap} characters are cut; run `personac diff` for all of them.\n"
            );
        }
        None => {}
    }
    out.push_str("| persona | change | version | detail tokens | caused by |\n|---|---|---|---|---|\n");
    for p in report.personas.iter().take(rows) {
        let tokens = p.artifacts.iter().find(|a| a.path == "detail.md").map_or("–".into(), |a| tokens_text(&a.tokens, a.token_delta));
        let sources = p.sources.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "| `{}` | {} | {} | {} | {} |", p.name, p.status.as_str(), version_text(&p.version), tokens, sources);
    }
    if rows < report.personas.len() {
        let _ = writeln!(out, "\n… and {} more changed personas, left out to fit the comment.", report.personas.len() - rows);
        return out;
    }
    if cap == Some(0) {
        return out;
    }
    for p in &report.personas {
        let n = p.artifacts.len();
        let _ = writeln!(
            out,
            "\n<details><summary><b>{}</b>: {} artifact{} {}</summary>\n",
            p.name,
            n,
            if n == 1 { "" } else { "s" },
            p.status.as_str()
        );
        out.push_str("| artifact | change | tokens |\n|---|---|---|\n");
        for a in &p.artifacts {
            let _ = writeln!(out, "| `{}` | {} | {} |", a.path, a.status.as_str(), tokens_text(&a.tokens, a.token_delta));
        }
        for a in &p.artifacts {
            let diff = cap.map_or_else(|| a.diff.clone(), |cap| shorten(&a.diff, cap));
            // A fence longer than any run of backticks in the diff.
            let longest = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = write!(out, "\n{fence}diff\n{diff}{fence}\n");
        }
        out.push_str("\n</details>\n");
    }
    out
}
