//! A spanned value tree that both TOML and YAML parse into.
//!
//! Definitions are read from this tree, not from serde structs, so both
//! syntaxes share one reader and every value keeps the byte range of its text
//! (in file coordinates: front matter offsets are already added).

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// A parsed value and the bytes it came from.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Table(Vec<Entry>),
    /// A value personac never accepts (a TOML datetime, say), by its kind.
    Other(&'static str),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

impl Value {
    /// "a string", "a list", … for error messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Table(_) => "a table",
            Value::Other(kind) => kind,
        }
    }
}

impl Node {
    /// The value as plain JSON, for template variables.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null | Value::Other(_) => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::Str(s) => s.clone().into(),
            Value::List(items) => items.iter().map(Node::to_json).collect(),
            Value::Table(entries) => entries.iter().map(|e| (e.key.clone(), e.node.to_json())).collect(),
        }
    }
}

/// A syntax error, positioned in file coordinates.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
}

/// Parses TOML text that starts at byte `base` of its file.
pub fn parse_toml(text: &str, base: usize) -> Result<Node, SyntaxError> {
    match toml::de::DeTable::parse(text) {
        Ok(table) => {
            let span = shift(table.span(), base);
            Ok(Node { value: toml_table(table.into_inner(), base)?, span })
        }
        Err(err) => Err(SyntaxError { message: err.message().trim_end().to_string(), span: shift(err.span().unwrap_or(0..0), base) }),
    }
}

fn shift(span: Range<usize>, base: usize) -> Range<usize> {
    span.start + base..span.end + base
}

fn toml_table(table: toml::de::DeTable<'_>, base: usize) -> Result<Value, SyntaxError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (key, value) in table {
        let key_span = shift(key.span(), base);
        entries.push(Entry { key: key.into_inner().into_owned(), key_span, node: toml_node(value, base)? });
    }
    entries.sort_by_key(|e| e.key_span.start);
    Ok(Value::Table(entries))
}

/// The parser keeps numbers as written; they are checked here, so that a
/// malformed one (`0x`, `1__2`, digits of another script) is a syntax error.
fn toml_node(value: toml::Spanned<toml::de::DeValue<'_>>, base: usize) -> Result<Node, SyntaxError> {
    use toml::de::DeValue;
    let span = shift(value.span(), base);
    let invalid = |what: &str, raw: &str| SyntaxError { message: format!("invalid {what} `{raw}`"), span: span.clone() };
    let value = match value.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => {
            let digits = i.as_str();
            let well_formed = !digits.is_empty() && digits.trim_start_matches(['+', '-']).chars().all(|c| c.is_digit(i.radix()));
            match i64::from_str_radix(digits, i.radix()) {
                Ok(n) if well_formed => Value::Int(n),
                _ => return Err(invalid("integer", digits)),
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => return Err(invalid("float", f.as_str())),
        },
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => Value::Other("a datetime"),
        DeValue::Array(items) => Value::List(items.into_iter().map(|v| toml_node(v, base)).collect::<Result<_, _>>()?),
        DeValue::Table(table) => toml_table(table, base)?,
    };
    Ok(Node { value, span })
}

/// Parses YAML text that starts at byte `base` of its file.
pub fn parse_yaml(text: &str, base: usize) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(Node { value: Value::Table(Vec::new()), span: base..base });
    }
    match serde_saphyr::from_str_with_options::<YNode>(text, yaml_options()) {
        Ok(node) => Ok(node.into_node(text, base)),
        Err(err) => {
            let offset = err.location().map_or(0, |loc| location_offset(&loc, text));
            let message = err.without_snippet().to_string();
            let message = strip_yaml_position(&message);
            let end = text[offset..].find('\n').map_or(text.len(), |n| offset + n).max(offset);
            let end = if end == offset { offset } else { offset + text[offset..end].chars().next().map_or(0, char::len_utf8) };
            Err(SyntaxError { message, span: base + offset..base + end })
        }
    }
}

/// serde-saphyr's safe defaults (budgets against alias bombs, duplicate keys
/// refused), plus strict indentation of flow collections as the YAML spec
/// wants, and `!!binary` values read as their text.
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_indentation = true;
    options.ignore_binary_tag_for_string = true;
    options
}

/// Parses a YAML stream of any number of documents (conformance tests: a
/// definition file is a single document).
pub fn parse_yaml_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    serde_saphyr::from_str_multiple_with_options::<YNode, Vec<YNode>>(text, yaml_options())
        .map(|docs| docs.into_iter().map(|d| d.into_node(text, 0)).collect())
        .map_err(|err| SyntaxError {
            message: strip_yaml_position(&err.without_snippet().to_string()),
            span: err.location().map_or(0, |loc| location_offset(&loc, text))..text.len(),
        })
}

/// The byte offset of a serde-saphyr location: its byte offset when known,
/// else its 1-based line and (character) column.
fn location_offset(loc: &serde_saphyr::Location, text: &str) -> usize {
    if let Some(offset) = loc.span().byte_offset() {
        return usize::try_from(offset).unwrap_or(0).min(text.len());
    }
    let (line, column) = (loc.line() as usize, loc.column() as usize);
    let Some(line_start) = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).reduce(|a, b| a + b).or(Some(0)) else {
        return 0;
    };
    let line_start = line_start.min(text.len());
    let rest = &text[line_start..];
    let within = rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i);
    (line_start + within).min(text.len())
}

/// serde-saphyr appends "at line X column Y"; the printer shows the position.
fn strip_yaml_position(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    trimmed.trim_end().to_string()
}

/// A YAML node as serde-saphyr gives it, with its location.
#[derive(Debug)]
struct YNode(serde_saphyr::Spanned<YValue>);

#[derive(Debug)]
enum YValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YNode>),
    Map(Vec<(serde_saphyr::Spanned<YKey>, YNode)>),
    Other(&'static str),
}

#[derive(Debug)]
struct YKey(String);

fn yaml_span(loc: &serde_saphyr::Location, text: &str, base: usize) -> Range<usize> {
    let span = loc.span();
    let start = span.byte_offset().map_or(0, |o| usize::try_from(o).unwrap_or(0)).min(text.len());
    let len = span.byte_len().map_or(0, |l| usize::try_from(l).unwrap_or(0));
    let end = (start + len).min(text.len());
    base + start..base + end
}

impl YNode {
    fn into_node(self, text: &str, base: usize) -> Node {
        let span = yaml_span(&self.0.referenced, text, base);
        let value = match self.0.value {
            YValue::Null => Value::Null,
            YValue::Bool(b) => Value::Bool(b),
            YValue::Int(i) => Value::Int(i),
            YValue::Float(f) => Value::Float(f),
            YValue::Str(s) => Value::Str(s),
            YValue::Other(kind) => Value::Other(kind),
            YValue::Seq(items) => Value::List(items.into_iter().map(|n| n.into_node(text, base)).collect()),
            YValue::Map(entries) => Value::Table(
                entries
                    .into_iter()
                    .map(|(key, node)| Entry {
                        key_span: yaml_span(&key.referenced, text, base),
                        key: key.value.0,
                        node: node.into_node(text, base),
                    })
                    .collect(),
            ),
        };
        Node { value, span }
    }
}

impl<'de> Deserialize<'de> for YNode {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_saphyr::Spanned::<YValue>::deserialize(d).map(YNode)
    }
}

impl<'de> Deserialize<'de> for YValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(YValueVisitor)
    }
}

struct YValueVisitor;

impl<'de> Visitor<'de> for YValueVisitor {
    type Value = YValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<YValue, E> {
        Ok(YValue::Null)
    }
    fn visit_none<E>(self) -> Result<YValue, E> {
        Ok(YValue::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<YValue, D::Error> {
        YValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<YValue, E> {
        Ok(YValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<YValue, E> {
        Ok(YValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<YValue, E> {
        Ok(i64::try_from(v).map_or(YValue::Other("an integer out of range"), YValue::Int))
    }
    fn visit_i128<E>(self, _: i128) -> Result<YValue, E> {
        Ok(YValue::Other("an integer out of range"))
    }
    fn visit_u128<E>(self, _: u128) -> Result<YValue, E> {
        Ok(YValue::Other("an integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<YValue, E> {
        Ok(YValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<YValue, E> {
        Ok(YValue::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<YValue, E> {
        Ok(YValue::Str(v))
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<YValue, E> {
        Ok(YValue::Other("binary data"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<YNode>()? {
            items.push(item);
        }
        Ok(YValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<serde_saphyr::Spanned<YKey>>()? {
            let value = map.next_value::<YNode>()?;
            entries.push((key, value));
        }
        Ok(YValue::Map(entries))
    }
}

impl<'de> Deserialize<'de> for YKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = YKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E>(self, v: &str) -> Result<YKey, E> {
                Ok(YKey(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<YKey, E> {
                Ok(YKey(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<YKey, E> {
                Ok(YKey(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<YKey, E> {
                Ok(YKey(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<YKey, E> {
                Ok(YKey(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<YKey, E> {
                Ok(YKey("null".into()))
            }
            // Complex keys are valid YAML; as text, a definition reports
            // them as unknown fields.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YKey, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<YNode>()? {
                    items.push(format!("{:?}", item.0.value));
                }
                Ok(YKey(format!("[{}]", items.join(", "))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YKey, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<YKey>()? {
                    let value = map.next_value::<YNode>()?;
                    entries.push(format!("{}: {:?}", key.0, value.0.value));
                }
                Ok(YKey(format!("{{{}}}", entries.join(", "))))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

/// Where each line of `source` (a decoded string) appears in the raw text of
/// its value: exact for plain strings, TOML multi-line strings and YAML block
/// literals, so a position inside the string maps to a position in the file.
/// Empty when some line does not appear verbatim (escapes, folding).
/// The file lines of a text: that of its span's start, then that of each
/// entry of its [`line_origins`].
pub fn line_numbers(file_text: &str, span_start: usize, lines: &[(usize, usize)]) -> Vec<u32> {
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut at = span_start.min(file_text.len());
    let mut line = file_text.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    out.push(line);
    for &(_, offset) in lines {
        let offset = offset.min(file_text.len()).max(at);
        line += file_text.as_bytes()[at..offset].iter().filter(|&&b| b == b'\n').count() as u32;
        at = offset;
        out.push(line);
    }
    out
}

pub fn line_origins(file_text: &str, span: &Range<usize>, source: &str) -> Vec<(usize, usize)> {
    let Some(raw) = file_text.get(span.clone()) else { return Vec::new() };
    let mut out = Vec::new();
    let mut search_from = 0;
    let mut source_offset = 0;
    for line in source.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        if !content.is_empty() {
            match raw[search_from..].find(content) {
                Some(i) => {
                    out.push((source_offset, span.start + search_from + i));
                    search_from += i + content.len();
                }
                None => return Vec::new(),
            }
        }
        source_offset += line.len();
    }
    out
}

/// Parses a JSON document that starts at byte `base` of its file: strict
/// JSON (no comments, trailing commas or other JSON5 forms), with every
/// value's span. A key given twice is an error, as in TOML and YAML.
pub fn parse_json(text: &str, base: usize) -> Result<Node, SyntaxError> {
    use jsonc_parser::{CollectOptions, ParseOptions};
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict).map_err(|e| {
        let range = e.range();
        let message = e.kind().to_string();
        let message = message.trim_end_matches('.').to_string();
        SyntaxError { message: lowercase_first(&message), span: base + range.start..base + range.end.max(range.start) }
    })?;
    match parsed.value {
        Some(value) => json_node(value, base),
        None => Ok(Node { value: Value::Table(Vec::new()), span: base..base }),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn json_node(value: jsonc_parser::ast::Value<'_>, base: usize) -> Result<Node, SyntaxError> {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let range = |r: jsonc_parser::common::Range| base + r.start..base + r.end;
    Ok(match value {
        J::StringLit(s) => Node { value: Value::Str(s.value.into_owned()), span: range(s.range) },
        J::NumberLit(n) => {
            let integer = !n.value.contains(['.', 'e', 'E']);
            let value = match (n.value.parse::<i64>(), n.value.parse::<f64>()) {
                (Ok(i), _) => Value::Int(i),
                (Err(_), Ok(_)) if integer => Value::Other("an integer out of range"),
                (Err(_), Ok(f)) => Value::Float(f),
                (Err(_), Err(_)) => return Err(SyntaxError { message: format!("invalid number `{}`", n.value), span: range(n.range) }),
            };
            Node { value, span: range(n.range) }
        }
        J::BooleanLit(b) => Node { value: Value::Bool(b.value), span: range(b.range) },
        J::NullKeyword(n) => Node { value: Value::Null, span: range(n.range) },
        J::Array(a) => {
            let span = range(a.range);
            let items = a.elements.into_iter().map(|v| json_node(v, base)).collect::<Result<_, _>>()?;
            Node { value: Value::List(items), span }
        }
        J::Object(o) => {
            let span = range(o.range);
            let mut entries: Vec<Entry> = Vec::new();
            for prop in o.properties {
                let (key, key_span) = match prop.name {
                    ObjectPropName::String(s) => (s.value.into_owned(), range(s.range)),
                    ObjectPropName::Word(w) => (w.value.to_string(), range(w.range)),
                };
                if entries.iter().any(|e| e.key == key) {
                    return Err(SyntaxError { message: format!("duplicate key `{key}`"), span: key_span });
                }
                entries.push(Entry { key, key_span, node: json_node(prop.value, base)? });
            }
            Node { value: Value::Table(entries), span }
        }
    })
}
