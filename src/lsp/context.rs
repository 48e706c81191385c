//! Where the cursor is, read from the buffer's text alone (it is usually
//! half typed and does not parse): the keys that lead to it (`parts`,
//! `channels.voice.overrides.tone`), and whether a key or a value goes
//! there, or a variable (inside `{{ }}`). TOML and JSON are scanned from
//! the fields' start, keeping the brackets and tables open at the cursor;
//! YAML by indentation, its flow collections (`[a, b]`, `{tone: x}`) by the
//! same scan over the cursor's line. Pragmatic, not a parser: it only has
//! to name the slot well enough to offer the right names.

use std::ops::Range;

use crate::parse::Syntax;

/// What goes at the cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// A key of the table at this path.
    Key(Vec<String>),
    /// The value of this path's last key (or an element of its array).
    Value(Vec<String>),
    /// A template variable's name.
    Variable,
    None,
}

/// The slot at `offset`, given the file's form and its fields' region
/// (the whole file, or a Markdown file's front matter).
pub fn slot(text: &str, offset: usize, syntax: Syntax, fields: Range<usize>) -> Slot {
    let offset = floor(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    if let Some(open) = line.rfind("{{")
        && !line[open..].contains("}}")
    {
        return Slot::Variable;
    }
    if offset < fields.start || offset > fields.end {
        return Slot::None;
    }
    match syntax {
        Syntax::Toml => scan(&text[fields.start..offset], true).into_slot(Vec::new()),
        Syntax::Json => scan(&text[fields.start..offset], false).into_slot(Vec::new()),
        Syntax::Yaml => yaml(text.get(fields.start..line_start).unwrap_or(""), line),
    }
}

fn floor(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What a scan leaves open at its end.
#[derive(Debug, Default)]
struct Open {
    /// A TOML table header's keys.
    table: Vec<String>,
    /// Each open bracket, with the key it is the value of.
    frames: Vec<(char, Option<String>)>,
    /// A key followed by `=` or `:`, its value not yet ended.
    pending: Option<String>,
    /// The last word or string read.
    word: Option<String>,
}

impl Open {
    fn path(&self, mut parents: Vec<String>) -> Vec<String> {
        parents.extend(self.table.iter().cloned());
        parents.extend(self.frames.iter().filter_map(|(_, k)| k.clone()));
        parents
    }

    fn into_slot(self, parents: Vec<String>) -> Slot {
        let mut path = self.path(parents);
        match (&self.pending, self.frames.last()) {
            (Some(key), _) => {
                path.push(key.clone());
                Slot::Value(path)
            }
            (None, Some(('[', _))) => Slot::Value(path),
            _ => Slot::Key(path),
        }
    }
}

/// Scans TOML (`toml`) or JSON and YAML flow text up to the cursor.
fn scan(text: &str, toml: bool) -> Open {
    let mut open = Open::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                if toml && open.frames.is_empty() {
                    open.pending = None;
                }
                line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' if toml => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' | b'\'' => {
                let triple = toml && text[i..].starts_with(if c == b'"' { "\"\"\"" } else { "'''" });
                let quote = if triple { &text[i..i + 3] } else { &text[i..i + 1] };
                let start = i + quote.len();
                let mut j = start;
                let mut closed = None;
                while j < bytes.len() {
                    if c == b'"' && bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if bytes[j..].starts_with(quote.as_bytes()) {
                        closed = Some(j);
                        break;
                    }
                    j += 1;
                }
                match closed {
                    Some(end) => {
                        open.word = Some(text[start..end].to_string());
                        i = end + quote.len();
                    }
                    // The cursor is inside this string.
                    None => return open,
                }
            }
            b'[' if toml && line_start && open.frames.is_empty() => {
                // A table header: `[channels.voice]` or `[[stages]]`.
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                let header = text[i..end].trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace());
                open.table = header.split('.').map(|k| k.trim().trim_matches('"').to_string()).collect();
                open.pending = None;
                i = end;
                continue;
            }
            b'[' | b'{' => {
                open.frames.push((c as char, open.pending.take()));
                open.word = None;
                i += 1;
            }
            b']' | b'}' => {
                open.frames.pop();
                open.pending = None;
                i += 1;
            }
            b'=' | b':' => {
                open.pending = open.word.take();
                i += 1;
            }
            b',' => {
                if matches!(open.frames.last(), Some(('{', _))) {
                    open.pending = None;
                }
                open.word = None;
                i += 1;
            }
            _ => {
                let end = text[i..].find(|c: char| !(c.is_alphanumeric() || "-_.+".contains(c))).map_or(bytes.len(), |n| i + n);
                let end = if end == i { i + text[i..].chars().next().map_or(1, char::len_utf8) } else { end };
                open.word = Some(text[i..end].to_string());
                i = end;
            }
        }
        line_start = false;
    }
    open
}

/// A YAML slot: the block keys above the cursor's line, by indentation,
/// then the line itself.
fn yaml(above: &str, line: &str) -> Slot {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let (dash, rest) = match rest.strip_prefix("- ").or_else(|| (rest == "-").then_some("")) {
        Some(after) => (true, after),
        None => (false, rest),
    };
    let parents = yaml_parents(above, indent, dash);
    let open = scan(rest, false);
    if open.pending.is_none() && open.frames.is_empty() {
        if dash && open.word.is_none() {
            return Slot::Value(parents);
        }
        // A word with no colon yet: a key being typed (an item's first key
        // after a dash is a key too, as in `- name: …`).
        return if dash { Slot::Value(parents) } else { Slot::Key(parents) };
    }
    open.into_slot(parents)
}

/// The keys of the block mappings that hold a line at `column`.
fn yaml_parents(above: &str, column: usize, dash: bool) -> Vec<String> {
    let mut keys = Vec::new();
    let mut limit = column;
    let mut dash_here = dash;
    for line in above.lines().rev() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if let Some(item) = content.strip_prefix("- ").or_else(|| (content == "-").then_some("")) {
            if indent < limit {
                limit = indent;
                dash_here = true;
            }
            let _ = item;
            continue;
        }
        // `key:` at a smaller indentation holds the line; a list's items
        // may stand at their key's own indentation.
        let holds = indent < limit || (dash_here && indent == limit);
        if holds && let Some((key, _)) = content.split_once(':') {
            keys.push(key.trim().trim_matches(|c| c == '"' || c == '\'').to_string());
            limit = indent;
            dash_here = false;
            if limit == 0 {
                break;
            }
        }
    }
    keys.reverse();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, syntax: Syntax) -> Slot {
        let cursor = text.find('|').unwrap();
        let text = text.replace('|', "");
        slot(&text, cursor, syntax, 0..text.len())
    }

    fn value(path: &[&str]) -> Slot {
        Slot::Value(path.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn toml_slots() {
        assert_eq!(at("version = \"1\"\nparts = [\"a\", \"|", Syntax::Toml), value(&["parts"]));
        assert_eq!(at("parts = [\n  \"a\",\n  { name = \"t|", Syntax::Toml), value(&["parts", "name"]));
        assert_eq!(at("extends = \"|\"", Syntax::Toml), value(&["extends"]));
        assert_eq!(at("[channels.voice]\noverrides = { tone = \"|", Syntax::Toml), value(&["channels", "voice", "overrides", "tone"]));
        assert_eq!(at("parts = [\"a\"]\n|", Syntax::Toml), Slot::Key(vec![]));
        assert_eq!(at("arc = { name = \"x\", stage = \"|", Syntax::Toml), value(&["arc", "stage"]));
        assert_eq!(at("summary = \"\"\"{{ na|", Syntax::Toml), Slot::Variable);
        assert_eq!(at("[[stages]]\nname = \"a\"\nparts = [\"|", Syntax::Toml), value(&["stages", "parts"]));
        // Multi-byte text in strings and escapes before a multi-byte character.
        assert_eq!(at("summary = \"é😀\\\"é\"\nparts = [\"|", Syntax::Toml), value(&["parts"]));
        assert_eq!(at("summary = \"\\é\"\nextends = \"|", Syntax::Toml), value(&["extends"]));
    }

    #[test]
    fn json_slots() {
        assert_eq!(at("{\n  \"parts\": [\"a\", \"|", Syntax::Json), value(&["parts"]));
        assert_eq!(at("{\n  \"type\": \"|", Syntax::Json), value(&["type"]));
        assert_eq!(
            at("{\n  \"channels\": {\"voice\": {\"overrides\": {\"tone\": \"|", Syntax::Json),
            value(&["channels", "voice", "overrides", "tone"])
        );
        assert_eq!(at("{\n  \"pa|", Syntax::Json), Slot::Key(vec![]));
    }

    #[test]
    fn yaml_slots() {
        assert_eq!(at("parts:\n  - a\n  - |", Syntax::Yaml), value(&["parts"]));
        assert_eq!(at("parts:\n- a\n- |", Syntax::Yaml), value(&["parts"]));
        assert_eq!(at("parts:\n  - name: |", Syntax::Yaml), value(&["parts", "name"]));
        assert_eq!(at("extends: |", Syntax::Yaml), value(&["extends"]));
        assert_eq!(
            at("channels:\n  voice:\n    overrides:\n      tone: |", Syntax::Yaml),
            value(&["channels", "voice", "overrides", "tone"])
        );
        assert_eq!(at("channels:\n  voice:\n    overrides: { tone: |", Syntax::Yaml), value(&["channels", "voice", "overrides", "tone"]));
        assert_eq!(at("stages:\n  - name: a\n    parts: [x, |", Syntax::Yaml), value(&["stages", "parts"]));
        assert_eq!(at("version: 1\nsu|", Syntax::Yaml), Slot::Key(vec![]));
    }
}
