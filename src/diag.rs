//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Every diagnostic is born from the span of the text that caused it (a byte
//! range in a repository file), so its file, line and column are never an
//! afterthought. Hints are data. This module owns the one printer; nothing
//! else formats a diagnostic.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

/// Stable diagnostic codes. Each is documented in `docs/diagnostics.md`.
pub mod code {
    pub const IO: &str = "E0001";
    pub const NOT_UTF8: &str = "E0002";
    pub const TOML_SYNTAX: &str = "E0100";
    pub const YAML_SYNTAX: &str = "E0101";
    pub const JSON_SYNTAX: &str = "E0104";
    pub const FRONT_MATTER: &str = "E0102";
    pub const FILE_FORM: &str = "E0103";
    pub const UNKNOWN_FIELD: &str = "E0110";
    pub const MISSING_FIELD: &str = "E0111";
    pub const FIELD_TYPE: &str = "E0112";
    pub const BODY_AND_FIELD: &str = "E0113";
    pub const INVALID_VALUE: &str = "E0114";
    pub const INVALID_NAME: &str = "E0120";
    pub const NAME_MISMATCH: &str = "E0121";
    pub const DUPLICATE_NAME: &str = "E0122";
    pub const UNKNOWN_PART_TYPE: &str = "E0130";
    pub const UNKNOWN_TRAIT_TYPE: &str = "E0131";
    pub const UNKNOWN_SEVERITY: &str = "E0132";
    pub const INVALID_VERSION: &str = "E0133";
    pub const UNKNOWN_REFERENCE: &str = "E0200";
    pub const UNKNOWN_STAGE: &str = "E0201";
    pub const INHERITANCE_CYCLE: &str = "E0202";
    pub const OVERRIDE_TYPE: &str = "E0203";
    pub const OVERRIDE_MISMATCH: &str = "E0204";
    pub const DUPLICATE_STAGE: &str = "E0205";
    pub const INHERITANCE_DEPTH: &str = "E0207";
    pub const TEMPLATE_SYNTAX: &str = "E0300";
    pub const UNDEFINED_VARIABLE: &str = "E0301";
    pub const TEMPLATE_RUNTIME: &str = "E0302";
    pub const RUNTIME_VARIABLE: &str = "E0303";
    pub const OVER_BUDGET: &str = "E0400";
    pub const TOKENIZER: &str = "E0401";
    pub const CONFIG: &str = "E0500";
    pub const IMPORT: &str = "E0600";
    pub const VERSION_NOT_BUMPED: &str = "E0700";
    pub const VERSION_DOWN: &str = "E0701";
    /// A warning, not a lint: an entry of the output folder's `index.json`
    /// that could lead outside it was ignored.
    pub const INDEX_PATH: &str = "W0100";
    /// A warning, not a lint: a symbolic link in a source folder is left out.
    pub const SYMLINK: &str = "W0101";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding, with the text that caused it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// Repository-relative path, with `/` separators.
    pub file: Option<Arc<str>>,
    /// Byte range in the file's text (front matter included).
    pub span: Option<Range<usize>>,
    /// A short label printed under the caret.
    pub label: Option<String>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, code, message: message.into(), file: None, span: None, label: None, help: Vec::new() }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, file: &Arc<str>, span: Range<usize>) -> Self {
        self.file = Some(file.clone());
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Adds "did you mean `x`?" when a close candidate exists.
    pub fn suggest<'a>(self, wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(wrong, candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The closest candidate to `wrong`, if it is close enough to be a likely typo.
///
/// The candidate with the highest Jaro-Winkler score (0.8 at least) among
/// those close in spelling, the first by name among equals. Among tens of
/// thousands of names most cannot win, and a bound on each one's score,
/// from the characters it shares with `wrong`, says so without scoring it:
/// candidates are scored from the highest bound down, until the bound falls
/// below the best score found.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong_len = wrong.chars().count();
    let shared = Shared::of(wrong);
    let mut open: Vec<(f64, &str, bool, usize)> = Vec::new();
    for candidate in candidates {
        // Close in spelling, not only in its first letters: `temperature`
        // is no misspelled `template`. An edit distance is at least the
        // difference in length.
        let prefix = candidate.starts_with(wrong) || wrong.starts_with(candidate);
        let len = if candidate.is_ascii() { candidate.len() } else { candidate.chars().count() };
        let most = (len / 3).max(2);
        if !prefix && len.abs_diff(wrong_len) > most {
            continue;
        }
        let ceiling = shared.ceiling(wrong, wrong_len, candidate, len);
        if ceiling >= 0.8 - SLACK {
            open.push((ceiling, candidate, prefix, most));
        }
    }
    open.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: Option<(f64, &str)> = None;
    for (ceiling, candidate, prefix, most) in open {
        if best.is_some_and(|(b, _)| ceiling < b - SLACK) {
            break;
        }
        let score = strsim::jaro_winkler(wrong, candidate);
        if score < 0.8 || best.is_some_and(|(b, name)| score < b || (score == b && candidate >= name)) {
            continue;
        }
        if prefix || strsim::levenshtein(wrong, candidate) <= most {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, name)| name)
}

/// How far a bound on a score is kept above it, for the rounding of the
/// two computations (each off by far less).
const SLACK: f64 = 1e-9;

/// The characters of a name typed wrong, counted, to bound a candidate's
/// Jaro-Winkler score: Jaro's matches pair equal characters, each at most
/// once, so they are at most the characters the two share (counted with
/// their repeats), and the score grows with the matches and the common
/// prefix (at most 4 characters).
struct Shared {
    /// Each ASCII character's count; `None` when `wrong` is not ASCII.
    counts: Option<[u16; 128]>,
}

impl Shared {
    fn of(wrong: &str) -> Shared {
        let counts = wrong.is_ascii().then(|| {
            let mut counts = [0u16; 128];
            for b in wrong.bytes() {
                counts[usize::from(b)] = counts[usize::from(b)].saturating_add(1);
            }
            counts
        });
        Shared { counts }
    }

    /// A score `strsim::jaro_winkler(wrong, candidate)` cannot exceed
    /// (lengths in characters); 1 where no bound is made.
    fn ceiling(&self, wrong: &str, wrong_len: usize, candidate: &str, len: usize) -> f64 {
        let Some(counts) = &self.counts else { return 1.0 };
        if !candidate.is_ascii() || wrong_len == 0 || len == 0 {
            return 1.0;
        }
        let mut left = *counts;
        let mut matches = 0usize;
        for b in candidate.bytes() {
            let n = &mut left[usize::from(b)];
            if *n > 0 {
                *n -= 1;
                matches += 1;
            }
        }
        if matches == 0 {
            return 0.0;
        }
        let m = matches as f64;
        let jaro = ((m / wrong_len as f64 + m / len as f64 + 1.0) / 3.0).min(1.0);
        let prefix = wrong.bytes().zip(candidate.bytes()).take(4).take_while(|(a, b)| a == b).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    }
}

/// Sorts diagnostics by file and position and drops exact duplicates (a base
/// persona's error is found once per child that resolves it).
pub fn normalize(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (&a.file, a.span.as_ref().map(|s| (s.start, s.end)), a.severity, a.code, &a.message).cmp(&(
            &b.file,
            b.span.as_ref().map(|s| (s.start, s.end)),
            b.severity,
            b.code,
            &b.message,
        ))
    });
    diags.dedup();
}

/// Where the printer finds the text of a file.
pub trait Sources {
    fn source(&self, path: &str) -> Option<&str>;
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A diagnostic with its position resolved to lines and columns.
#[derive(Serialize)]
pub struct Located<'a> {
    pub severity: Severity,
    pub code: &'a str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub help: Option<String>,
}

pub fn locate<'a>(diag: &'a Diagnostic, sources: &dyn Sources) -> Located<'a> {
    let text = diag.file.as_deref().and_then(|f| sources.source(f));
    let (start, end) = match (text, &diag.span) {
        (Some(text), Some(span)) => (Some(line_col(text, span.start)), Some(line_col(text, span.end))),
        _ => (None, None),
    };
    Located {
        severity: diag.severity,
        code: diag.code,
        message: &diag.message,
        file: diag.file.as_deref(),
        line: start.map(|p| p.0),
        column: start.map(|p| p.1),
        end_line: end.map(|p| p.0),
        end_column: end.map(|p| p.1),
        help: (!diag.help.is_empty()).then(|| diag.help.join("\n")),
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rustc-style text, for people.
    Human { color: bool },
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands.
    Github,
}

/// Prints diagnostics, and a closing count line for people.
pub fn print(diags: &[Diagnostic], sources: &dyn Sources, format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Human { color } => {
            for diag in diags {
                out.push_str(&human(diag, sources, color));
                out.push_str("\n\n");
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let warnings = diags.len() - errors;
            let mut parts = Vec::new();
            if errors > 0 {
                parts.push(plural(errors, "error"));
            }
            if warnings > 0 {
                parts.push(plural(warnings, "warning"));
            }
            if !parts.is_empty() {
                let _ = writeln!(out, "{} emitted", parts.join(", "));
            }
        }
        Format::Json => {
            for diag in diags {
                let located = locate(diag, sources);
                out.push_str(&serde_json::to_string(&located).unwrap_or_default());
                out.push('\n');
            }
        }
        Format::Github => {
            for diag in diags {
                out.push_str(&github(diag, sources));
                out.push('\n');
            }
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// A text shown on one line: control characters (a newline in a value, an
/// escape sequence in a file name) are printed escaped, so every diagnostic
/// keeps its one-line header and its ` --> path:line:col` line.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect::<String>().into()
}

fn human(diag: &Diagnostic, sources: &dyn Sources, color: bool) -> String {
    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let message = one_line(&diag.message);
    let title = level.clone().primary_title(message.as_ref()).id(diag.code);
    let text = diag.file.as_deref().and_then(|f| sources.source(f));
    let path = diag.file.as_deref().map(one_line);
    let label = diag.label.as_deref().map(one_line);
    let helps: Vec<_> = diag.help.iter().map(|h| one_line(h)).collect();
    let mut group = Group::with_title(title);
    match (path.as_deref(), text, &diag.span) {
        (Some(path), Some(text), Some(span)) => {
            let start = floor_char_boundary(text, span.start.min(text.len()));
            let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
            let mut annotation = AnnotationKind::Primary.span(start..end);
            if let Some(label) = &label {
                annotation = annotation.label(label.as_ref());
            }
            group = group.element(Snippet::source(text).path(path).annotation(annotation));
        }
        (Some(path), _, _) => {
            group = group.element(annotate_snippets::Origin::path(path));
        }
        _ => {}
    }
    for help in &helps {
        group = group.element(Level::HELP.message(help.as_ref()));
    }
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&[group])
}

fn github(diag: &Diagnostic, sources: &dyn Sources) -> String {
    let located = locate(diag, sources);
    let command = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(file) = located.file {
        props.push(format!("file={}", escape_property(file)));
    }
    if let (Some(line), Some(col)) = (located.line, located.column) {
        props.push(format!("line={line},col={col}"));
    }
    if let (Some(line), Some(col)) = (located.end_line, located.end_column) {
        props.push(format!("endLine={line},endColumn={col}"));
    }
    props.push(format!("title={}", escape_property(diag.code)));
    let mut message = diag.message.clone();
    for help in &diag.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{command} {}::{}", props.join(","), escape_data(&message))
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // `=` after a two-byte character is the fourth character of line 2.
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn did_you_mean_picks_the_closest_likely_typo() {
        let names = ["tone-warm", "tone-spoken", "goal-sell"];
        assert_eq!(did_you_mean("tone-warn", names), Some("tone-warm"));
        assert_eq!(did_you_mean("zzzz", names), None);
    }

    /// The tests in the order that skips work pick what testing every
    /// candidate fully picks.
    #[test]
    fn did_you_mean_skips_only_what_could_not_win() {
        fn every_test<'a>(wrong: &str, candidates: &[&'a str]) -> Option<&'a str> {
            let mut best: Option<(f64, &str)> = None;
            for &candidate in candidates {
                let score = strsim::jaro_winkler(wrong, candidate);
                let close = strsim::levenshtein(wrong, candidate) <= (candidate.chars().count() / 3).max(2)
                    || candidate.starts_with(wrong)
                    || wrong.starts_with(candidate);
                if score >= 0.8 && close && best.is_none_or(|(b, name)| score > b || (score == b && candidate < name)) {
                    best = Some((score, candidate));
                }
            }
            best.map(|(_, name)| name)
        }
        let names = [
            "tone-warm",
            "tone-warmer",
            "tone-wa",
            "tone-spoken",
            "tone-professional",
            "goal-sell",
            "goal-sells",
            "goal",
            "template",
            "temperature",
            "archetype-24957",
            "archetype-2495",
            "archetype-24975",
            "ärger-ü",
            "a",
            "ab",
            "",
        ];
        let wrongs =
            ["tonne-warm", "tone-warn", "tone", "tone-warmest", "temp", "templat", "archetype-2497", "ärger", "b", "", "goal-sel", "zzzz"];
        for wrong in wrongs {
            assert_eq!(did_you_mean(wrong, names), every_test(wrong, &names), "{wrong}");
        }
        // Thousands of names alike but for their digits, as a generated
        // corpus names its parts: the bound skips most of them.
        let many: Vec<String> = (0..3000u32)
            .map(|i| {
                let kind = ["tone", "goal", "archetype", "voice", "système"][i as usize % 5];
                format!("{kind}-{:05}", i.wrapping_mul(7919) % 30011)
            })
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for wrong in ["tonne-08518", "tone-0851", "goal-1234", "archetyp-23709", "voice", "systeme-00042", "tone-", "x", "tone-08518x"] {
            assert_eq!(did_you_mean(wrong, many.iter().copied()), every_test(wrong, &many), "{wrong}");
        }
        for &wrong in many.iter().step_by(97) {
            let typo = wrong.replacen('-', "_", 1);
            assert_eq!(did_you_mean(&typo, many.iter().copied()), every_test(&typo, &many), "{typo}");
        }
    }
}
