//! The report for a terminal: a line per persona, then each changed
//! artifact's unified diff, each hunk after the source lines behind it.

use std::fmt::Write as _;

use super::lines::places;
use super::report::{Hunk, PersonaDiff, Report, Status, tokens_text, version_text};

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
            if a.hunks.is_empty() {
                continue;
            }
            let file = format!("{}/{}", p.name, a.path);
            let _ = writeln!(out, "{}\n{}", paint("1", &format!("--- a/{file}")), paint("1", &format!("+++ b/{file}")));
            for hunk in &a.hunks {
                for line in sources(hunk) {
                    let _ = writeln!(out, "{}", paint("2", &line));
                }
                for line in a.hunk_text(hunk).lines() {
                    let line = match line.chars().next() {
                        Some('+') => paint("32", line),
                        Some('-') => paint("31", line),
                        Some('@') => paint("36", line),
                        _ => line.to_string(),
                    };
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    out
}

/// The source lines behind a hunk, a line per side that has any:
/// `sources - parts/tone-warm.md:7` then `        + parts/tone-warm.md:7-8`.
fn sources(hunk: &Hunk) -> Vec<String> {
    let sides = [("-", &hunk.sources.old), ("+", &hunk.sources.new)];
    let mut out = Vec::new();
    for (sign, ranges) in sides {
        if let Some(ranges) = ranges.as_ref().filter(|r| !r.is_empty()) {
            let label = if out.is_empty() { "sources" } else { "       " };
            out.push(format!("{label} {sign} {}", places(ranges)));
        }
    }
    out
}
