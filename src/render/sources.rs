//! Source records: for every line of a view, the line of the definition's
//! text that made it (file, line, definition, layer), or the layout's own
//! line (a heading, a listing).
//!
//! Each line of each rendered text gets a mark ([`super::marks`]). With a
//! layout template of the repository's own, the marks travel in the texts:
//! the view is laid out again from them, the marks are read back line by
//! line, and the view without them must be the view exactly. A built-in
//! layout reports where it wrote each text instead, so the texts stay as
//! rendered and are laid out once more, unmarked ([`Traced::located`]). A
//! template's output lines are traced to its source lines the same way: its
//! source is rendered again with each line marked where a mark cannot change
//! what it renders (not inside a tag, not before a block tag that strips the
//! line), and checked to render the same text without them.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::rendered::RenderedPersona;
use crate::model::{Kind, Meta, Text};

use super::marks::{CLOSE, OPEN};

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
    file_lines: Arc<[u32]>,
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
    /// How a view's lines are traced to the texts. `None`: every line of
    /// every text carries its mark, which any layout template carries into
    /// the view. Else the texts are left as rendered, and this finds each by
    /// where its string is (its address: first mark, and the length the
    /// marks cover) when a built-in layout writes it whole
    /// ([`super::builtin::layout_into`]): the same records, without marking
    /// the texts and reading the marks back.
    located: Option<foldhash::HashMap<usize, (usize, usize)>>,
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
    /// Texts traced by where their strings are, for built-in layouts.
    pub(super) fn located() -> Traced {
        Traced { located: Some(Default::default()), ..Traced::default() }
    }

    /// The texts' strings, by address, for a built-in layout to report
    /// where it wrote them; `None` when the texts are marked.
    pub(super) fn places(&self) -> Option<&foldhash::HashMap<usize, (usize, usize)>> {
        self.located.as_ref()
    }

    /// `extended`, the text `text` with more after it (a skill's
    /// references), has `text`'s marks. `text` is about to be dropped: its
    /// address is forgotten, so that no string made later at the same
    /// address is taken for it (every address kept is a live string's).
    pub(super) fn extended(&mut self, text: &str, extended: &str) {
        if let Some(located) = &mut self.located
            && let Some((first, _)) = located.remove(&(text.as_ptr() as usize))
        {
            let kept = extended.len().min(text.trim_end().len());
            located.insert(extended.as_ptr() as usize, (first, kept));
        }
    }

    /// Marks every line of `out`, the rendered `text` of a definition, with
    /// the source line that made it: `map` gives a template's (from
    /// [`Renderer::template_lines`](super::Renderer)); a text that is not one is its own.
    pub(super) fn tag(&mut self, meta: &Meta, file: &Arc<str>, text: &Text, map: Option<Arc<[usize]>>, out: String, what: What) -> String {
        let template = what.template;
        if out.is_empty() {
            return out;
        }
        self.tainted |= holds_mark_char(&out);
        let n = memchr::memchr_iter(b'\n', out.as_bytes()).count() + 1;
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
        let table = text.line_table();
        let last = memchr::memchr_iter(b'\n', text.source.trim_end().as_bytes()).count();
        let span = [table.first().copied().unwrap_or(0), table.get(last).or(table.last()).copied().unwrap_or(0)];
        let t = self.texts.len();
        let first = self.marks.len();
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
        if let Some(located) = &mut self.located {
            self.marks.extend((0..n).map(|i| (t, line_of(i))));
            located.insert(out.as_ptr() as usize, (first, out.len()));
            return out;
        }
        let mut marked = String::with_capacity(out.len() + n * 6);
        for (i, line) in out.split('\n').enumerate() {
            if i > 0 {
                marked.push('\n');
            }
            marked.push(OPEN);
            marked.push_str(decimal(self.marks.len(), &mut [0; 20]));
            marked.push(CLOSE);
            self.marks.push((t, line_of(i)));
            marked.push_str(line);
        }
        marked
    }

    /// The persona whose views are laid out for the records: its own, or
    /// `lent`, the one [`Traced::plain`] lent (moved since, never copied:
    /// its strings are where they were).
    pub(super) fn laid_out<'a>(&'a self, lent: Option<&'a RenderedPersona>) -> Option<&'a RenderedPersona> {
        // Texts that are marked are never lent: their persona is kept.
        self.persona.as_ref().or(lent.filter(|_| self.located.is_some()))
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
    /// Texts traced by where they are are left as rendered: the persona is
    /// lent, and the records are made of it where the caller passes it back
    /// ([`Traced::laid_out`]).
    pub fn plain(&mut self) -> Option<RenderedPersona> {
        use super::rendered::{RenderedItem, RenderedPart};
        if self.located.is_some() {
            return self.persona.take();
        }
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
        // Each of the persona's texts: its place among the record's texts,
        // found by what the record says of it.
        let mut placed: Vec<Option<usize>> = vec![None; self.texts.len()];
        let mut by_record: foldhash::HashMap<RecordKey<'_>, usize> = foldhash::HashMap::default();
        let mut texts: Vec<u8> = Vec::with_capacity(1024);
        let mut out = Vec::with_capacity(4096);
        let _ = write!(Bytes(&mut out), "{{\"format\":{format},\"lines\":[");
        let mut buf = [0; 20];
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
                let next = by_record.len();
                *by_record.entry(s.key()).or_insert_with(|| {
                    if next > 0 {
                        texts.push(b',');
                    }
                    s.write_record(&mut texts);
                    next
                })
            });
            let file_line = s.file_lines.get(line).copied().unwrap_or_else(|| s.text.file_line(line));
            out.push(b'[');
            out.extend_from_slice(decimal(i, &mut buf).as_bytes());
            out.push(b',');
            out.extend_from_slice(decimal(file_line as usize, &mut buf).as_bytes());
            out.push(b']');
        }
        out.extend_from_slice(b"],\"texts\":[");
        out.extend_from_slice(&texts);
        out.extend_from_slice(b"]}\n");
        out
    }
}

/// What a record says of a text: texts it says the same of are one.
type RecordKey<'a> = (&'a str, &'static str, &'a str, Kind, Option<&'a str>, [u32; 2], bool);

impl TextSource {
    fn key(&self) -> RecordKey<'_> {
        (&self.definition, self.field, &self.file, self.kind, self.layer.as_deref(), self.span, self.template)
    }

    /// What a record says of the text, as JSON, its keys in order.
    fn write_record(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"definition\":");
        json_str(out, &self.definition);
        out.extend_from_slice(b",\"field\":");
        json_str(out, self.field);
        out.extend_from_slice(b",\"file\":");
        json_str(out, &self.file);
        out.extend_from_slice(b",\"kind\":");
        json_str(out, self.kind.as_str());
        if let Some(layer) = &self.layer {
            out.extend_from_slice(b",\"layer\":");
            json_str(out, layer);
        }
        let [first, last] = self.span;
        let _ = write!(Bytes(out), ",\"lines\":[{first},{last}],\"template\":{}}}", self.template);
    }
}

/// Whether `text` holds U+E002 or U+E003, the marks' characters (both
/// start with the byte 0xEE in UTF-8, which text seldom holds).
fn holds_mark_char(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xEE, bytes).any(|i| bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0x82 | 0x83)))
}

/// `n` in decimal, written without the formatting machinery (a mark per
/// line of every text of every view), in `buf`.
fn decimal(n: usize, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits.
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
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
