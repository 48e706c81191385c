//! Marks: each line of a rendered text carries, in the text itself, the
//! number of the mark that names its source line (`U+E002 n U+E003`), so
//! that any layout template carries it into the view; and reading them
//! back, line by line, tidied as a view is. A built-in layout needs no
//! marks: the same lines are found from where it wrote each text
//! ([`located_lines`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Opens a line mark; [`CLOSE`] ends it, with the line's number between.
pub(super) const OPEN: char = '\u{E002}';
pub(super) const CLOSE: char = '\u{E003}';

/// A line of a view laid out from marked texts, without its marks, and
/// the mark that names it with where the text's line starts in it.
/// Borrowed from the laid-out text where it needs no copy (a line without
/// marks, or with one mark at its start: most of a view).
pub(super) type MarkedLine<'a> = (Cow<'a, str>, Option<(usize, usize)>);

/// Which of a line's marks names it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MarkAt {
    /// The last mark before its first character (a template's lines: a
    /// line a value filled keeps the mark of the line that wrote it).
    First,
    /// The last mark on it (a view's lines: `- **Title**: summary` is the
    /// summary's).
    Last,
}

/// The lines of `text` without their marks, each with the mark that names
/// it.
pub(super) fn read_marks(text: &str, at: MarkAt) -> Vec<MarkedLine<'_>> {
    let mut out = Vec::new();
    let mut current = None;
    for line in text.split('\n') {
        // Most lines hold no mark, or one at their start.
        let (mark, after) = match line.find(OPEN) {
            None => (None, line),
            Some(0) => match leading_mark(line) {
                Some((n, after)) => (Some(n), after),
                None => (None, ""),
            },
            Some(_) => (None, ""),
        };
        if !after.contains(OPEN) && (mark.is_some() || after.len() == line.len()) {
            if let Some(n) = mark {
                current = Some((n, 0));
            }
            let named = match at {
                MarkAt::First => current,
                MarkAt::Last => mark.map(|n| (n, 0)),
            };
            out.push((Cow::Borrowed(after), named));
            continue;
        }
        let mut content = String::with_capacity(line.len());
        let mut named = None;
        let mut last = None;
        // Text is copied a stretch at a time, between marks.
        let mut rest = line;
        while !rest.is_empty() {
            let Some(i) = rest.find(OPEN) else {
                named.get_or_insert(current);
                content.push_str(rest);
                break;
            };
            if i > 0 {
                named.get_or_insert(current);
                content.push_str(&rest[..i]);
            }
            let after = &rest[i + OPEN.len_utf8()..];
            if let Some(end) = after.find(CLOSE)
                && let Ok(n) = after[..end].parse::<usize>()
            {
                current = Some((n, 0));
                last = Some((n, content.len()));
                rest = &after[end + CLOSE.len_utf8()..];
                continue;
            }
            // Not a mark: the character is text.
            named.get_or_insert(current);
            content.push(OPEN);
            rest = after;
        }
        let mark = match at {
            MarkAt::First => named.unwrap_or(current),
            MarkAt::Last => last,
        };
        out.push((Cow::Owned(content), mark));
    }
    out
}

/// The number of the mark `line` starts with, and what follows it.
fn leading_mark(line: &str) -> Option<(usize, &str)> {
    let after = line.strip_prefix(OPEN)?;
    let end = after.find(CLOSE)?;
    let n = after[..end].parse::<usize>().ok()?;
    Some((n, &after[end + CLOSE.len_utf8()..]))
}

/// A view laid out from marked texts, tidied as [`super::tidy`] tidies,
/// with each line's mark.
pub(super) fn tidy_marked(text: &str) -> Vec<MarkedLine<'_>> {
    tidy_lines(read_marks(text, MarkAt::Last), text.ends_with('\n'))
}

/// The lines of `raw`, a view a built-in layout wrote from unmarked texts,
/// each with the mark it would carry had its texts been marked (the last
/// on it, [`MarkAt::Last`]), from where each text was written: `written`
/// holds `(offset in raw, first mark, length)`, in order.
pub(super) fn located_lines<'a>(raw: &'a str, written: &[(usize, usize, usize)]) -> Vec<MarkedLine<'a>> {
    // Where each mark would be: each line of each text written.
    let mut marks = Vec::with_capacity(written.len() * 4);
    for &(at, first, len) in written {
        let text = raw.get(at..at + len).unwrap_or_default();
        marks.push((at, first));
        marks.extend(memchr::memchr_iter(b'\n', text.as_bytes()).enumerate().map(|(k, nl)| (at + nl + 1, first + k + 1)));
    }
    let mut next = marks.iter().peekable();
    let mut lines = Vec::new();
    let mut start = 0;
    for line in raw.split('\n') {
        let end = start + line.len();
        let mut mark = None;
        while let Some(&&(at, m)) = next.peek()
            && at <= end
        {
            if at >= start {
                mark = Some((m, at - start));
            }
            next.next();
        }
        lines.push((Cow::Borrowed(line), mark));
        start = end + 1;
    }
    tidy_lines(lines, raw.ends_with('\n'))
}

/// Laid-out lines tidied as [`super::tidy`] tidies a view.
fn tidy_lines(mut lines: Vec<MarkedLine<'_>>, ends_with_newline: bool) -> Vec<MarkedLine<'_>> {
    if ends_with_newline {
        lines.pop();
    }
    let lead = lines.iter().take_while(|(c, _)| c.is_empty()).count();
    let mut out: Vec<MarkedLine<'_>> = Vec::with_capacity(lines.len());
    let mut blank_run = 0;
    for (mut content, mark) in lines.into_iter().skip(lead) {
        // As `str::lines` and `trim_end` do.
        let kept = content.strip_suffix('\r').unwrap_or(&content).trim_end().len();
        match &mut content {
            Cow::Borrowed(line) => *line = &line[..kept],
            Cow::Owned(line) => line.truncate(kept),
        }
        if content.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push((content, mark));
    }
    while out.last().is_some_and(|(c, _)| c.is_empty()) {
        out.pop();
    }
    out
}

/// `source` with each line marked with its number (from 0) where a mark
/// renders as written: in text, not inside a tag or a comment, and on a
/// line led by a tag only after that tag, when text follows it.
pub(super) fn mark_source(source: &str) -> String {
    #[derive(Clone, Copy)]
    enum State {
        Data,
        Raw,
        Tag { close: &'static str, comment: bool, quote: Option<char>, raw_after: bool },
    }
    let mut state = State::Data;
    let mut out = String::with_capacity(source.len() + source.len() / 4);
    for (k, line) in source.split_inclusive('\n').enumerate() {
        let lead = line.trim_start_matches([' ', '\t']);
        let tag_led = lead.starts_with("{%") || lead.starts_with("{#") || lead.starts_with("{{-");
        let mut pending = false;
        match state {
            State::Data if tag_led => pending = true,
            State::Raw if lead.starts_with("{%") => {}
            State::Data | State::Raw => {
                let _ = write!(out, "{OPEN}{k}{CLOSE}");
            }
            State::Tag { .. } => {}
        }
        let mut i = 0;
        while i < line.len() {
            let rest = &line[i..];
            let c = rest.chars().next().unwrap_or(' ');
            match state {
                State::Data => {
                    if rest.starts_with("{{") {
                        state = State::Tag { close: "}}", comment: false, quote: None, raw_after: false };
                        out.push_str("{{");
                        i += 2;
                        continue;
                    }
                    if rest.starts_with("{#") {
                        state = State::Tag { close: "#}", comment: true, quote: None, raw_after: false };
                        out.push_str("{#");
                        i += 2;
                        continue;
                    }
                    if let Some(tag) = rest.strip_prefix("{%") {
                        let word = tag.trim_start_matches(['-', '+']).trim_start();
                        let raw_after =
                            word.strip_prefix("raw").is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'));
                        state = State::Tag { close: "%}", comment: false, quote: None, raw_after };
                        out.push_str("{%");
                        i += 2;
                        continue;
                    }
                }
                State::Raw => {
                    if rest.starts_with("{%") && rest[2..].trim_start_matches(['-', '+']).trim_start().starts_with("endraw") {
                        state = State::Tag { close: "%}", comment: false, quote: None, raw_after: false };
                        out.push_str("{%");
                        i += 2;
                        continue;
                    }
                }
                State::Tag { close, comment, quote, raw_after } => {
                    if let Some(q) = quote {
                        if c == '\\' {
                            let next = rest[1..].chars().next().map_or(0, char::len_utf8);
                            out.push_str(&rest[..1 + next]);
                            i += 1 + next;
                            continue;
                        }
                        if c == q {
                            state = State::Tag { close, comment, quote: None, raw_after };
                        }
                    } else if !comment && (c == '"' || c == '\'') {
                        state = State::Tag { close, comment, quote: Some(c), raw_after };
                    } else if rest.starts_with(close) {
                        out.push_str(close);
                        i += 2;
                        state = if raw_after { State::Raw } else { State::Data };
                        if pending {
                            pending = false;
                            let after = line[i..].trim_start_matches([' ', '\t']);
                            if !after.trim().is_empty() && !after.starts_with('{') {
                                let _ = write!(out, "{OPEN}{k}{CLOSE}");
                            }
                        }
                        continue;
                    }
                }
            }
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(rendered_marked: &str) -> Vec<(String, Option<usize>)> {
        read_marks(rendered_marked, MarkAt::First).into_iter().map(|(c, m)| (c.into_owned(), m.map(|(n, _)| n))).collect()
    }

    #[test]
    fn marks_go_where_they_render_as_written() {
        let source = "Intro\n{% for x in xs %}\n- {{ x }}\n{% endfor %}\n{% if a %}yes{% endif %}\n{{ \"}}\" }}\n{% raw %}\n{{ kept }}\n{% endraw %}\nEnd";
        let marked = mark_source(source);
        let unmarked: String = marked.chars().filter(|&c| !matches!(c, OPEN | CLOSE | '0'..='9')).collect();
        assert_eq!(unmarked, source.replace(|c: char| c.is_ascii_digit(), ""));
        assert!(marked.starts_with(&format!("{OPEN}0{CLOSE}Intro\n{{% for x in xs %}}\n{OPEN}2{CLOSE}- {{{{ x }}}}")));
        assert!(marked.contains(&format!("{{% if a %}}{OPEN}4{CLOSE}yes")));
        assert!(marked.contains(&format!("{OPEN}7{CLOSE}{{{{ kept }}}}")));
        assert!(marked.ends_with(&format!("{OPEN}9{CLOSE}End")));
    }

    #[test]
    fn a_line_a_value_filled_keeps_the_mark_of_the_line_that_wrote_it() {
        let rendered = format!("{OPEN}0{CLOSE}a\nb\n{OPEN}2{CLOSE}c{OPEN}3{CLOSE}d");
        assert_eq!(lines_of(&rendered), [("a".to_string(), Some(0)), ("b".to_string(), Some(0)), ("cd".to_string(), Some(2))]);
    }

    #[test]
    fn a_marked_view_tidies_as_the_view() {
        let raw = format!("\n# T  \n\n\n{OPEN}0{CLOSE}one\n{OPEN}1{CLOSE}\n{OPEN}2{CLOSE}\n- **x**: {OPEN}3{CLOSE}two\n\n");
        let lines = tidy_marked(&raw);
        let text: String = lines.iter().map(|(c, _)| format!("{c}\n")).collect();
        let plain: String = raw.chars().filter(|&c| !matches!(c, OPEN | CLOSE | '0'..='9')).collect();
        assert_eq!(text, super::super::shown::tidy(&plain));
        assert_eq!(lines.iter().map(|(_, m)| *m).collect::<Vec<_>>(), [None, None, Some((0, 0)), Some((1, 0)), Some((3, 9))]);
    }
}
