//! Positions and paths as the protocol has them: a byte offset in a file's
//! text to a line and a UTF-16 column and back (the protocol's default
//! encoding), and a `file://` URI to a repository-relative path and back.
//! Everything here is total: a position past a line's end or the file's end
//! is clamped, never a panic.

use std::ops::Range;
use std::path::Path;

use lsp_types::{Position, Url};

/// The protocol's position of a byte offset (clamped to the text).
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[start..].chars().map(char::len_utf16).sum();
    Position { line: line as u32, character: character as u32 }
}

/// The protocol's range of a byte range.
pub fn range(text: &str, span: &Range<usize>) -> lsp_types::Range {
    lsp_types::Range { start: position(text, span.start), end: position(text, span.end.max(span.start)) }
}

/// The byte offset of a protocol position: past a line's end is its end,
/// past the last line is the text's end.
pub fn offset(text: &str, position: Position) -> usize {
    let mut start = 0;
    for _ in 0..position.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..text[start..].find('\n').map_or(text.len(), |i| start + i)];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= position.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

/// The repository-relative path (`/`-separated) of a document, if it lies
/// inside the repository.
pub fn repo_path(root: &Path, uri: &Url) -> Option<String> {
    let path = uri.to_file_path().ok()?;
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    let rel = parts?.join("/");
    (!rel.is_empty()).then_some(rel)
}

/// The URI of a repository-relative path.
pub fn uri(root: &Path, path: &str) -> Option<Url> {
    Url::from_file_path(root.join(path)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one unit, `😀` two; byte offsets are converted both ways.
        let text = "a = \"é😀x\"\nb";
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x), Position { line: 0, character: 8 });
        assert_eq!(offset(text, Position { line: 0, character: 8 }), x);
        assert_eq!(offset(text, Position { line: 1, character: 0 }), text.len() - 1);
        // Clamped, never a panic: past a line, past the text, inside a character.
        assert_eq!(offset(text, Position { line: 0, character: 99 }), text.find('\n').unwrap());
        assert_eq!(offset(text, Position { line: 9, character: 0 }), text.len());
        assert_eq!(position(text, 6), position(text, 5));
        assert_eq!(position(text, 999), Position { line: 1, character: 1 });
    }
}
