//! The source lines behind some lines of a compiled view, read from the
//! view's source records (`X.sources.json`, docs/artifacts.md): each file
//! once, in the order the view first shows it, with its consecutive lines
//! merged into ranges.

use serde::{Deserialize, Serialize};

/// Lines `start..=end` of one source file (counted from 1, front matter
/// included, as diagnostics count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceRange {
    pub file: String,
    /// The first and last line.
    pub lines: [u32; 2],
}

impl SourceRange {
    /// `parts/tone/tone-warm.md:7`, or `parts/tone/tone-warm.md:7-8`.
    pub fn place(&self) -> String {
        match self.lines {
            [a, b] if a == b => format!("{}:{a}", self.file),
            [a, b] => format!("{}:{a}-{b}", self.file),
        }
    }
}

/// A view's source records, as much of them as a diff needs.
#[derive(Deserialize)]
pub struct Records {
    texts: Vec<RecordedText>,
    lines: Vec<RecordedLine>,
}

#[derive(Deserialize)]
struct RecordedText {
    file: String,
}

/// `[TEXT, LINE]`, or what the layout's own line is (`"heading"`…).
#[derive(Deserialize)]
#[serde(untagged)]
enum RecordedLine {
    Text(usize, u32),
    Layout(serde::de::IgnoredAny),
}

impl Records {
    /// The records in a `X.sources.json` file's bytes; `None` when they do
    /// not read as records (then nothing is said rather than guessed).
    pub fn parse(bytes: &[u8]) -> Option<Records> {
        serde_json::from_slice(bytes).ok()
    }

    /// The source lines behind the view's lines `indices` (from 0): the
    /// layout's own lines (headings, listings, blanks) have none.
    pub fn ranges(&self, indices: impl IntoIterator<Item = usize>) -> Vec<SourceRange> {
        // Each file in order of first appearance, with its lines.
        let mut files: Vec<(&str, Vec<u32>)> = Vec::new();
        for i in indices {
            let Some(RecordedLine::Text(text, line)) = self.lines.get(i) else { continue };
            let Some(text) = self.texts.get(*text) else { continue };
            match files.iter_mut().find(|(f, _)| *f == text.file) {
                Some((_, lines)) => lines.push(*line),
                None => files.push((&text.file, vec![*line])),
            }
        }
        let mut out = Vec::new();
        for (file, mut lines) in files {
            lines.sort_unstable();
            lines.dedup();
            let mut start = 0;
            for i in 1..=lines.len() {
                if i == lines.len() || lines[i] != lines[i - 1] + 1 {
                    out.push(SourceRange { file: file.to_string(), lines: [lines[start], lines[i - 1]] });
                    start = i;
                }
            }
        }
        out
    }
}

/// The ranges as one line: `parts/a.md:3-4, parts/b.md:7`.
pub fn places(ranges: &[SourceRange]) -> String {
    ranges.iter().map(SourceRange::place).collect::<Vec<_>>().join(", ")
}

/// Every range of `lists`, each file's lines merged across them, files in
/// order of first appearance.
pub fn union<'a>(lists: impl IntoIterator<Item = &'a [SourceRange]>) -> Vec<SourceRange> {
    let mut files: Vec<(&str, Vec<u32>)> = Vec::new();
    for r in lists.into_iter().flatten() {
        let lines = r.lines[0]..=r.lines[1];
        match files.iter_mut().find(|(f, _)| *f == r.file) {
            Some((_, all)) => all.extend(lines),
            None => files.push((&r.file, lines.collect())),
        }
    }
    let texts: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let records = Records {
        texts: texts.into_iter().map(|file| RecordedText { file }).collect(),
        lines: files.iter().enumerate().flat_map(|(i, (_, lines))| lines.iter().map(move |l| RecordedLine::Text(i, *l))).collect(),
    };
    records.ranges(0..records.lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Records {
        Records::parse(
            br#"{"format":2,"lines":["heading","blank",[0,7],[0,8],"blank","heading","blank",[1,3],[0,10],[1,4]],"texts":[{"definition":"maya","field":"detail","file":"personas/maya.md","kind":"persona","layer":"own","lines":[7,12],"template":false},{"definition":"tone-warm","field":"content","file":"parts/tone/tone-warm.md","kind":"part","lines":[3,9],"template":true}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn consecutive_lines_of_a_file_merge_and_layout_lines_have_none() {
        let r = records();
        assert_eq!(places(&r.ranges(0..10)), "personas/maya.md:7-8, personas/maya.md:10, parts/tone/tone-warm.md:3-4");
        assert_eq!(places(&r.ranges([0, 1, 4])), "");
        assert_eq!(places(&r.ranges([7])), "parts/tone/tone-warm.md:3");
        // Past the end: nothing, not a panic.
        assert_eq!(r.ranges([99]), []);
        assert!(Records::parse(b"{}").is_none());
    }

    #[test]
    fn a_union_merges_ranges_across_lists() {
        let r = records();
        let (a, b) = (r.ranges([2]), r.ranges([3, 7]));
        assert_eq!(places(&union([a.as_slice(), b.as_slice()])), "personas/maya.md:7-8, parts/tone/tone-warm.md:3");
    }
}
