//! A text field of a definition: its source, and where its lines sit in
//! its file.

use std::ops::Range;
use std::sync::Arc;

/// A text field: a template source, and where it sits in its file.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// Shared: the renderer registers the same text.
    pub source: Arc<str>,
    /// The span of the whole value (quotes included), for errors that cannot
    /// be placed more precisely.
    pub span: Range<usize>,
    /// Where the source's lines sit in the file: `(offset in source, offset
    /// in file)` for each line start, when every line appears verbatim (no
    /// escapes or folding); empty when the mapping is unknown.
    pub lines: Arc<[(usize, usize)]>,
    /// The file line (from 1, front matter included) of each entry of
    /// [`Text::lines`], for source records; first the line of the span's
    /// start. Empty for a text no file holds.
    pub file_lines: Arc<[u32]>,
    /// [`Text::file_line_table`], made once: every stage and channel of
    /// every persona that shows the text traces it again.
    pub table: LineTable,
}

/// A text's [`Text::file_line_table`] once made, shared by its clones. It
/// follows from the text's other fields, so it takes no part in comparing
/// texts.
#[derive(Clone, Default)]
pub struct LineTable(Arc<std::sync::OnceLock<Arc<[u32]>>>);

impl PartialEq for LineTable {
    fn eq(&self, _: &LineTable) -> bool {
        true
    }
}

impl std::fmt::Debug for LineTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LineTable")
    }
}

impl Text {
    /// The file line (from 1) of a line (from 0) of the source: exact where
    /// [`Text::lines`] maps it, else the line of the value's start.
    pub fn file_line(&self, source_line: usize) -> u32 {
        let Some(&first) = self.file_lines.first() else { return 0 };
        let start = self.source.split_inclusive('\n').take(source_line).map(str::len).sum::<usize>();
        let i = self.lines.partition_point(|&(s, _)| s <= start);
        match i.checked_sub(1) {
            Some(i) => {
                let (entry, _) = self.lines[i];
                let between = self.source.get(entry..start).map_or(0, |t| t.matches('\n').count());
                self.file_lines.get(i + 1).copied().unwrap_or(first) + between as u32
            }
            None => first,
        }
    }

    /// [`Text::file_line_table`], made once for the text and its clones.
    pub fn line_table(&self) -> Arc<[u32]> {
        self.table.0.get_or_init(|| self.file_line_table().into()).clone()
    }

    /// [`Text::file_line`] of every line of the source, in one pass.
    pub fn file_line_table(&self) -> Vec<u32> {
        let Some(&first) = self.file_lines.first() else { return vec![0; self.source.split('\n').count()] };
        let mut out = Vec::with_capacity(self.source.len() / 32 + 1);
        // The entry of `lines` a line falls under, and that entry's line.
        let (mut entry, mut entry_line) = (None::<usize>, 0usize);
        let mut start = 0;
        for (k, line) in self.source.split('\n').enumerate() {
            while entry.map_or(0, |e| e + 1) < self.lines.len() && self.lines[entry.map_or(0, |e| e + 1)].0 <= start {
                let next = entry.map_or(0, |e| e + 1);
                let at = self.lines[next].0;
                // The line of that entry: this line, unless it starts inside an earlier one.
                entry_line = k - self.source.get(at..start).map_or(0, |t| t.matches('\n').count());
                entry = Some(next);
            }
            out.push(match entry {
                Some(e) => self.file_lines.get(e + 1).copied().unwrap_or(first) + (k - entry_line) as u32,
                None => first,
            });
            start += line.len() + 1;
        }
        out
    }
}

/// Maps a byte offset in a text's source to its file offset, through the
/// text's line starts (see [`Text::lines`]).
pub fn file_offset(lines: &[(usize, usize)], offset: usize) -> Option<usize> {
    let i = lines.partition_point(|&(start, _)| start <= offset).checked_sub(1)?;
    let (start, file) = lines[i];
    Some(file + (offset - start))
}

#[cfg(test)]
mod tests {
    use super::Text;

    /// The table in one pass says what asking line by line says, whatever
    /// the map of line starts holds (none, every line, some lines, an entry
    /// inside a line).
    #[test]
    fn the_line_table_agrees_with_each_line_asked() {
        let source = "one\ntwo\n\nfour\nfive\nsix";
        type Map<'a> = (&'a [(usize, usize)], &'a [u32]);
        let maps: [Map; 5] = [
            (&[], &[3]),
            (&[(0, 10)], &[3, 3]),
            (&[(0, 10), (4, 20), (8, 30), (9, 40), (14, 50), (19, 60)], &[3, 3, 4, 6, 7, 8, 9]),
            (&[(0, 10), (9, 40)], &[3, 3, 7]),
            (&[(0, 10), (2, 12), (11, 43)], &[5, 5, 5, 9]),
        ];
        for (lines, file_lines) in maps {
            let text = Text {
                source: source.into(),
                span: 0..source.len(),
                lines: lines.into(),
                file_lines: file_lines.into(),
                table: Default::default(),
            };
            let asked: Vec<u32> = (0..source.split('\n').count()).map(|k| text.file_line(k)).collect();
            assert_eq!(text.file_line_table(), asked, "{lines:?}");
        }
        let empty = Text { source: "a\nb".into(), span: 0..3, lines: [].into(), file_lines: [].into(), table: Default::default() };
        assert_eq!(empty.file_line_table(), [0, 0]);
    }
}
