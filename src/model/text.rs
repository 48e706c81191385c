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
}

/// Maps a byte offset in a text's source to its file offset, through the
/// text's line starts (see [`Text::lines`]).
pub fn file_offset(lines: &[(usize, usize)], offset: usize) -> Option<usize> {
    let i = lines.partition_point(|&(start, _)| start <= offset).checked_sub(1)?;
    let (start, file) = lines[i];
    Some(file + (offset - start))
}
