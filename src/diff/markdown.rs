//! The report as Markdown for a pull-request comment: a summary table, then
//! a collapsible section per persona with each changed artifact's diff,
//! hunk by hunk, each after the source lines behind it (links to the lines
//! of the files at each side's commit inside GitHub Actions, else plain
//! paths), within GitHub's limit on a comment's length.

use std::fmt::Write as _;

use super::lines::SourceRange;
use super::report::{ArtifactDiff, Report, tokens_text, version_text};

/// Where source lines link to: `SERVER/REPOSITORY/blob/SHA/PATH#L7-L8`.
pub struct Links {
    /// `https://github.com`
    pub server: String,
    /// `OWNER/REPO`
    pub repository: String,
    /// The commit each side's lines link at; a side without one gets plain
    /// paths.
    pub base: Option<String>,
    pub head: Option<String>,
}

/// The most ranges a hunk lists per side; past them, how many more.
const RANGES_SHOWN: usize = 20;

/// The most a GitHub pull-request comment may hold, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// The report as Markdown for a pull-request comment, within
/// [`COMMENT_LIMIT`]: when the whole does not fit, the longest artifact
/// diffs are shortened (each to the same number of characters, as few as
/// needed), and past that the diffs and then table rows are left out,
/// saying so.
pub fn markdown(report: &Report, links: Option<&Links>) -> String {
    let full = markdown_with(report, links, None, usize::MAX);
    if full.chars().count() <= COMMENT_LIMIT {
        return full;
    }
    let longest = report.personas.iter().flat_map(|p| &p.artifacts).map(|a| a.diff.len()).max().unwrap_or(0);
    let (mut low, mut high) = (0, longest);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if markdown_with(report, links, Some(mid), usize::MAX).chars().count() <= COMMENT_LIMIT {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let shortened = markdown_with(report, links, Some(low), usize::MAX);
    if shortened.chars().count() <= COMMENT_LIMIT {
        return shortened;
    }
    // Even without diffs it is too long: keep as many table rows as fit.
    let (mut low, mut high) = (0, report.personas.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if markdown_with(report, links, Some(0), mid).chars().count() <= COMMENT_LIMIT {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    markdown_with(report, links, Some(0), low)
}

/// The Markdown, with each diff cut to `cap` characters (`Some(0)`: diffs
/// left out) and at most `rows` personas in the table.
fn markdown_with(report: &Report, links: Option<&Links>, cap: Option<usize>, rows: usize) -> String {
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
            hunks(&mut out, a, links, cap.unwrap_or(usize::MAX));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// An artifact's diff, hunk by hunk, cut to `cap` characters of diff in
/// all (at a line end, saying how much was left out); each hunk with its
/// sources above it.
fn hunks(out: &mut String, a: &ArtifactDiff, links: Option<&Links>, cap: usize) {
    let (total, mut shown, mut used) = (a.diff.lines().count(), 0, 0);
    for (i, hunk) in a.hunks.iter().enumerate() {
        // The first hunk starts after the file header, which it carries.
        let text = if i == 0 { &a.diff[..hunk.at.end.min(a.diff.len())] } else { a.hunk_text(hunk) };
        let mut kept = String::new();
        for line in text.split_inclusive('\n') {
            if used + kept.len() + line.len() > cap {
                break;
            }
            kept.push_str(line);
        }
        used += kept.len();
        let shown_here = kept.lines().count();
        shown += shown_here;
        let cut = kept.len() < text.len();
        if cut {
            let _ = writeln!(kept, "… {} of {total} lines left out to fit the comment; run `personac diff` for all of them", total - shown);
        }
        let sources = [
            ("-", &hunk.sources.old, links.and_then(|l| l.base.as_deref())),
            ("+", &hunk.sources.new, links.and_then(|l| l.head.as_deref())),
        ]
        .into_iter()
        .filter_map(|(sign, ranges, sha)| {
            let ranges = ranges.as_ref().filter(|r| !r.is_empty())?;
            Some(format!("`{sign}` {}", side(ranges, links.zip(sha))))
        })
        .collect::<Vec<_>>();
        if !sources.is_empty() && shown_here > 0 {
            let _ = writeln!(out, "\nSource lines: {}", sources.join(" · "));
        }
        // A fence longer than any run of backticks in the diff.
        let longest = kept.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = write!(out, "\n{fence}diff\n{kept}{fence}\n");
        if cut {
            return;
        }
    }
}

/// One side's source lines, linked at `sha` when given.
fn side(ranges: &[SourceRange], at: Option<(&Links, &str)>) -> String {
    let mut items: Vec<String> = ranges
        .iter()
        .take(RANGES_SHOWN)
        .map(|r| match at {
            Some((links, sha)) => format!("[{}]({})", code(&r.place()), url(links, sha, r)),
            None => code(&r.place()),
        })
        .collect();
    if ranges.len() > RANGES_SHOWN {
        items.push(format!("… and {} more", ranges.len() - RANGES_SHOWN));
    }
    items.join(", ")
}

/// `text` as a code span.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    if longest == 0 { format!("{ticks}{text}{ticks}") } else { format!("{ticks} {text} {ticks}") }
}

/// `SERVER/REPOSITORY/blob/SHA/PATH#L7-L8`, the path percent-encoded.
fn url(links: &Links, sha: &str, r: &SourceRange) -> String {
    let mut path = String::new();
    for b in r.file.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => path.push(b as char),
            _ => {
                let _ = write!(path, "%{b:02X}");
            }
        }
    }
    let anchor = match r.lines {
        [a, b] if a == b => format!("L{a}"),
        [a, b] => format!("L{a}-L{b}"),
    };
    format!("{}/{}/blob/{sha}/{path}#{anchor}", links.server.trim_end_matches('/'), links.repository)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_line_links_to_its_lines_at_a_commit_with_the_path_encoded() {
        let links = Links { server: "https://github.com/".into(), repository: "acme/personas".into(), base: None, head: None };
        let range = |file: &str, lines| SourceRange { file: file.into(), lines };
        assert_eq!(
            url(&links, "abc", &range("parts/tone/tone-warm.md", [7, 8])),
            "https://github.com/acme/personas/blob/abc/parts/tone/tone-warm.md#L7-L8"
        );
        assert_eq!(
            url(&links, "abc", &range("parts/a b#ü.md", [3, 3])),
            "https://github.com/acme/personas/blob/abc/parts/a%20b%23%C3%BC.md#L3"
        );
        assert_eq!(code("parts/a.md:3"), "`parts/a.md:3`");
        assert_eq!(code("parts/a`b.md:3"), "`` parts/a`b.md:3 ``");
        let many: Vec<SourceRange> = (0..25).map(|i| range("p.md", [i * 2 + 1, i * 2 + 1])).collect();
        let listed = side(&many, None);
        assert!(listed.ends_with(", `p.md:39`, … and 5 more"), "{listed}");
    }
}
