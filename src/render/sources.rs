//! Source records: for every line of a view, the line of the definition's
//! text that made it (file, line, definition, layer), or the layout's own
//! line (a heading, a listing).
//!
//! Made as the runtime variables' records are: each rendered text is laid
//! out again with every one of its lines marked, the marks are read back
//! line by line, and the view without them must be the view exactly. A
//! template's output lines are traced to its source lines the same way: its
//! source is rendered again with each line marked where a mark cannot change
//! what it renders (not inside a tag, not before a block tag that strips the
//! line), and checked to render the same text without them.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::rendered::RenderedPersona;
use crate::model::{Kind, Meta, Text};

/// Opens a line mark; [`CLOSE`] ends it, with the line's number between.
const OPEN: char = '\u{E002}';
const CLOSE: char = '\u{E003}';

/// What a rendered text is, for its records.
pub(super) struct What {
    pub kind: Kind,
    pub field: &'static str,
    pub layer: Option<String>,
    /// Whether the text renders as a template (else its lines are its own).
    pub template: bool,
}

/// A text whose lines a view shows.
struct TextSource {
    file: Arc<str>,
    kind: Kind,
    definition: String,
    field: &'static str,
    layer: Option<String>,
    text: Text,
    template: bool,
    /// The file line of each of the text's lines, and its first and last.
    file_lines: Vec<u32>,
    span: [u32; 2],
}

/// The texts of one resolved persona, rendered with every line marked.
#[derive(Default)]
pub struct Traced {
    texts: Vec<TextSource>,
    /// Each mark: its text, and the text's source line (from 0).
    marks: Vec<(usize, usize)>,
    pub(super) persona: Option<RenderedPersona>,
    /// A rendered text held a mark's character itself: its marks cannot be
    /// told from its text, and [`Traced::plain`] cannot be made.
    tainted: bool,
}

/// Where one line of a view comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineSource {
    pub text: String,
    /// The definition's file, or the layout template's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The file line (from 1, front matter included) that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The first and last file lines of the whole text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<[u32; 2]>,
    /// The definition's name, or the layout's.
    pub definition: String,
    /// `persona`, `part`, `trait`, `skill`, `guardrail`, `arc`, or `layout`.
    pub kind: &'static str,
    /// The text field (`content`, `summary`, …), or what the layout's line
    /// is (`heading`, `listing`, `text`, `blank`).
    pub field: &'static str,
    /// The layer a part or a persona's text came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Whether the text is a template (else its line is the output's).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub template: bool,
    /// Where the text's line starts in the view's line (bytes): what the
    /// layout put before it ends there.
    #[serde(skip)]
    pub at: usize,
    /// The text's own line that made it (a template's line as written).
    #[serde(skip)]
    pub source: String,
}

impl LineSource {
    /// A line whose source is not known: its layout measured or rewrote
    /// the texts it shows, so they could not be traced through it.
    pub fn unknown(text: &str) -> LineSource {
        LineSource {
            text: text.to_string(),
            file: None,
            line: None,
            lines: None,
            definition: String::new(),
            kind: "layout",
            field: "unknown",
            layer: None,
            template: false,
            at: 0,
            source: String::new(),
        }
    }

    /// `parts/tone/tone-warm.md:7`, or `(layout heading)`.
    pub fn place(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) if self.kind != "layout" => format!("{file}:{line}"),
            _ => format!("({} {})", self.kind, self.field),
        }
    }
}

impl Traced {
    /// Marks every line of `out`, the rendered `text` of a definition, with
    /// the source line that made it: `map` gives a template's (from
    /// [`Renderer::template_lines`](super::Renderer)); a text that is not one is its own.
    pub(super) fn tag(&mut self, meta: &Meta, file: &Arc<str>, text: &Text, map: Option<Arc<[usize]>>, out: String, what: What) -> String {
        let template = what.template;
        if out.is_empty() {
            return out;
        }
        self.tainted |= out.contains([OPEN, CLOSE]);
        let n = out.split('\n').count();
        // A literal text's lines are its own, after the blank lines `clean`
        // drops at its start; a template's come from its map, when it has
        // one of the right length (else every line is the text's first).
        let skip = text.source.len() - text.source.trim_start_matches('\n').len();
        let map = map.filter(|m| template && m.len() == n);
        let line_of = |i: usize| match (&map, template) {
            (Some(m), _) => m[i],
            (None, false) => i + skip,
            (None, true) => 0,
        };
        let definition = if *file == meta.file { meta.name.clone() } else { stem(file).to_string() };
        let layer = match (what.kind, what.layer) {
            (Kind::Persona, _) if *file == meta.file => Some("own".to_string()),
            (Kind::Persona, _) => Some(format!("ancestor:{definition}")),
            (_, layer) => layer,
        };
        let table = text.file_line_table();
        let last = text.source.trim_end().split('\n').count().saturating_sub(1);
        let span = [table.first().copied().unwrap_or(0), table.get(last).or(table.last()).copied().unwrap_or(0)];
        let t = self.texts.len();
        self.texts.push(TextSource {
            file: file.clone(),
            kind: what.kind,
            definition,
            field: what.field,
            layer,
            text: text.clone(),
            template,
            file_lines: table,
            span,
        });
        let mut marked = String::with_capacity(out.len() + n * 6);
        for (i, line) in out.split('\n').enumerate() {
            if i > 0 {
                marked.push('\n');
            }
            let _ = write!(marked, "{OPEN}{}{CLOSE}", self.marks.len());
            self.marks.push((t, line_of(i)));
            marked.push_str(line);
        }
        marked
    }

    pub(super) fn record(&self, text: String, mark: usize, at: usize) -> LineSource {
        let (t, line) = self.marks[mark];
        let s = &self.texts[t];
        LineSource {
            text,
            file: Some(s.file.clone()),
            line: Some(s.file_lines.get(line).copied().unwrap_or_else(|| s.text.file_line(line))),
            lines: Some(s.span),
            definition: s.definition.clone(),
            kind: s.kind.as_str(),
            field: s.field,
            layer: s.layer.clone(),
            template: s.template,
            at,
            source: s.text.source.split('\n').nth(line).unwrap_or_default().to_string(),
        }
    }
}

impl Traced {
    /// The rendered persona without its marks: what
    /// [`Renderer::render_texts`](super::Renderer::render_texts) gives, made
    /// without rendering again; `None` when a text held a mark's character.
    pub fn plain(&self) -> Option<RenderedPersona> {
        use super::rendered::{RenderedItem, RenderedPart};
        if self.tainted {
            return None;
        }
        let p = self.persona.as_ref()?;
        let item = |i: &Arc<RenderedItem>| {
            Arc::new(RenderedItem {
                description: unmarked(&i.description),
                content: unmarked(&i.content),
                title: i.title.as_deref().map(unmarked),
                name: i.name.clone(),
                item_type: i.item_type.clone(),
                severity: i.severity.clone(),
                load: i.load,
            })
        };
        let mut persona = p.persona.clone();
        for text in [&mut persona.title, &mut persona.summary, &mut persona.description, &mut persona.detail] {
            *text = unmarked(text);
        }
        Some(RenderedPersona {
            persona,
            parts: p
                .parts
                .iter()
                .map(|part| {
                    Arc::new(RenderedPart {
                        name: part.name.clone(),
                        part_type: part.part_type.clone(),
                        title: unmarked(&part.title),
                        own_title: part.own_title,
                        order: part.order,
                        priority: part.priority,
                        description: unmarked(&part.description),
                        summary: unmarked(&part.summary),
                        content: unmarked(&part.content),
                        load: part.load,
                    })
                })
                .collect(),
            traits: p.traits.iter().map(item).collect(),
            skills: p.skills.iter().map(item).collect(),
            guardrails: p.guardrails.iter().map(item).collect(),
            stage: p.stage.as_ref().map(|s| {
                let mut s = s.clone();
                s.description = unmarked(&s.description);
                s.condition = unmarked(&s.condition);
                s
            }),
            channel: p.channel.clone(),
        })
    }

    /// The bytes of a view's source records, from each line's mark or, for
    /// a line the layout wrote, what it is: every text the lines name is
    /// written once (texts the record would say the same of are one), in
    /// the order the lines first name them.
    pub(super) fn record_bytes(&self, lines: impl Iterator<Item = Result<usize, &'static str>>, format: u64) -> Vec<u8> {
        // Each of the persona's texts: its place among the record's texts.
        let mut placed: Vec<Option<usize>> = vec![None; self.texts.len()];
        let mut by_json: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
        let mut texts: Vec<String> = Vec::new();
        let mut out = Vec::with_capacity(4096);
        let _ = write!(Bytes(&mut out), "{{\"format\":{format},\"lines\":[");
        for (k, line) in lines.enumerate() {
            if k > 0 {
                out.push(b',');
            }
            let mark = match line {
                Ok(mark) => mark,
                Err(field) => {
                    json_str(&mut out, field);
                    continue;
                }
            };
            let (t, line) = self.marks[mark];
            let s = &self.texts[t];
            let i = *placed[t].get_or_insert_with(|| {
                let json = s.record_json();
                let next = texts.len();
                *by_json.entry(json).or_insert_with_key(|json| {
                    texts.push(json.clone());
                    next
                })
            });
            let file_line = s.file_lines.get(line).copied().unwrap_or_else(|| s.text.file_line(line));
            let _ = write!(Bytes(&mut out), "[{i},{file_line}]");
        }
        out.extend_from_slice(b"],\"texts\":[");
        for (k, text) in texts.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(b"]}\n");
        out
    }
}

impl TextSource {
    /// What a record says of the text, as JSON, its keys in order.
    fn record_json(&self) -> String {
        let mut out = Vec::with_capacity(160);
        out.extend_from_slice(b"{\"definition\":");
        json_str(&mut out, &self.definition);
        out.extend_from_slice(b",\"field\":");
        json_str(&mut out, self.field);
        out.extend_from_slice(b",\"file\":");
        json_str(&mut out, &self.file);
        out.extend_from_slice(b",\"kind\":");
        json_str(&mut out, self.kind.as_str());
        if let Some(layer) = &self.layer {
            out.extend_from_slice(b",\"layer\":");
            json_str(&mut out, layer);
        }
        let [first, last] = self.span;
        let _ = write!(Bytes(&mut out), ",\"lines\":[{first},{last}],\"template\":{}}}", self.template);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A marked text without its marks (each `OPEN digits CLOSE`).
fn unmarked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + OPEN.len_utf8()..];
        rest = after.find(CLOSE).map_or(after, |end| &after[end + CLOSE.len_utf8()..]);
    }
    out.push_str(rest);
    out
}

/// A string as JSON.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `write!` into bytes.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn stem(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// A line of a view laid out from marked texts, without its marks, and
/// the mark that names it with where the text's line starts in it.
pub(super) type MarkedLine = (String, Option<(usize, usize)>);

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
pub(super) fn read_marks(text: &str, at: MarkAt) -> Vec<(String, Option<(usize, usize)>)> {
    let mut out = Vec::new();
    let mut current = None;
    for line in text.split('\n') {
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
        out.push((content, mark));
    }
    out
}

/// A view laid out from marked texts, tidied as [`super::tidy`] tidies,
/// with each line's mark.
pub(super) fn tidy_marked(text: &str) -> Vec<(String, Option<(usize, usize)>)> {
    let mut lines = read_marks(text, MarkAt::Last);
    if text.ends_with('\n') {
        lines.pop();
    }
    let lead = lines.iter().take_while(|(c, _)| c.is_empty()).count();
    let mut out: Vec<(String, Option<(usize, usize)>)> = Vec::with_capacity(lines.len());
    let mut blank_run = 0;
    for (mut content, mark) in lines.into_iter().skip(lead) {
        if content.ends_with('\r') {
            content.pop();
        }
        content.truncate(content.trim_end().len());
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
        read_marks(rendered_marked, MarkAt::First).into_iter().map(|(c, m)| (c, m.map(|(n, _)| n))).collect()
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
