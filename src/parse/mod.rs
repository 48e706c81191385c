//! Text in, raw definitions out: one file at a time, pure.
//!
//! A file's extension picks its form (`.toml`, `.yaml`/`.yml`, `.json`, or
//! `.md` with front matter); its folder picks its kind; its stem is its name. Parsing a
//! file depends on nothing but its path and text, so results can be cached by
//! content. This room does not look up names across files: that is resolve's.

mod config;
mod defs;
mod node;
mod persona;
mod reader;
pub mod skill_folder;
mod syntax;

use std::ops::Range;
use std::sync::Arc;

use crate::diag::{Diagnostic, code};
use crate::model::{Config, Definition, Kind};
pub use defs::fields;
pub use node::{Entry, Node, SyntaxError, Value};
use syntax::Document;
pub use syntax::{Syntax, is_identifier, is_valid_name, suggest_name};

/// Parses a whole TOML document the way definition files are parsed (for
/// conformance tests).
pub fn toml_document(text: &str) -> Result<Node, SyntaxError> {
    node::parse_toml(text, 0)
}

/// Parses a whole JSON document the way definition files are parsed (for
/// schema tests and imports).
pub fn json_document(text: &str) -> Result<Node, SyntaxError> {
    node::parse_json(text, 0)
}

/// Parses YAML that starts at byte `base` of its file (imports read other
/// tools' front matter with it).
pub fn yaml_at(text: &str, base: usize) -> Result<Node, SyntaxError> {
    node::parse_yaml(text, base)
}

/// Parses a YAML stream of documents (for conformance tests).
pub fn yaml_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    node::parse_yaml_stream(text)
}

/// Parses a whole YAML document the way definition files are parsed (for
/// conformance tests).
pub fn yaml_document(text: &str) -> Result<Node, SyntaxError> {
    node::parse_yaml(text, 0)
}

/// Parses one definition file.
pub fn parse_definition(path: &Arc<str>, text: &str) -> Result<Definition, Vec<Diagnostic>> {
    let kind = path
        .split('/')
        .next()
        .and_then(Kind::from_folder)
        .ok_or_else(|| vec![Diagnostic::error(code::FILE_FORM, "not in a definition folder").at(path, 0..0)])?;
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = match file_name.rsplit_once('.') {
        Some((stem, ext)) => (stem, ext),
        None => (file_name, ""),
    };
    let document = match ext {
        "toml" => whole_file(path, text, Syntax::Toml)?,
        "yaml" | "yml" => whole_file(path, text, Syntax::Yaml)?,
        "json" => whole_file(path, text, Syntax::Json)?,
        "md" if kind == Kind::Arc => {
            return Err(vec![
                Diagnostic::error(code::FILE_FORM, "an arc cannot be a Markdown file")
                    .at(path, first_line(text))
                    .help(format!("rename it to `arcs/{stem}.toml`, `arcs/{stem}.yaml` or `arcs/{stem}.json`")),
            ]);
        }
        "md" if kind == Kind::Skill && file_name == crate::model::SKILL_FILE && path.matches('/').count() >= 2 => {
            return skill_folder::read(path, text, markdown(path, text)?);
        }
        "md" => markdown(path, text)?,
        _ => {
            let folder = kind.folder();
            return Err(vec![Diagnostic::error(code::FILE_FORM, format!("`{file_name}` is not a definition file")).at(path, 0..0).help(
                format!(
                    "files in `{folder}/` must be `.toml`, `.yaml`, `.yml`, `.json` or `.md` definitions; move this file out of `{folder}/`"
                ),
            )]);
        }
    };
    defs::read_definition(path, text, kind, stem, document)
}

/// Parses `personac.toml`.
pub fn parse_config(path: &Arc<str>, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let document = whole_file(path, text, Syntax::Toml)?;
    config::read_config(path, text, document)
}

/// The usual causes of a YAML syntax error, the one the line at the error
/// (or the line before it) shows first.
fn yaml_causes(diag: Diagnostic, text: &str, base: usize, span: &Range<usize>) -> Diagnostic {
    let at = span.start.saturating_sub(base).min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let previous_start = text[..line_start.saturating_sub(1)].rfind('\n').map_or(0, |i| i + 1);
    let near = &text[previous_start..text[at..].find('\n').map_or(text.len(), |i| at + i)];
    let colon_in_value =
        near.lines().any(|l| l.split_once(": ").is_some_and(|(_, v)| !v.starts_with(['"', '\'', '|', '>']) && v.contains(": ")));
    let diag = if near.contains('\t') {
        diag.help("a tab indents a line here: YAML indents with spaces only; replace the tab with spaces")
    } else if colon_in_value {
        diag.help("a value holds `: ` without quotes, which YAML reads as another key: quote the value (`summary: \"Note: be brief\"`)")
    } else {
        diag
    };
    diag.help("common causes: a `: ` inside an unquoted value (quote it), a tab (indent with spaces), or a line indented unlike its siblings (line them up)")
        .help("`personac explain E0101` shows each with its fix")
}

fn syntax_error(path: &Arc<str>, text: &str, base: usize, syntax: Syntax, err: node::SyntaxError) -> Vec<Diagnostic> {
    let (code, what) = match syntax {
        Syntax::Toml => (code::TOML_SYNTAX, "TOML"),
        Syntax::Yaml => (code::YAML_SYNTAX, "YAML"),
        Syntax::Json => (code::JSON_SYNTAX, "JSON"),
    };
    let diag = Diagnostic::error(code, format!("invalid {what}: {}", err.message)).at(path, err.span.clone());
    let diag = if err.message.contains("budget breached") {
        diag.help("YAML aliases here would expand to too many values (an alias bomb); write the values out instead of nesting aliases")
    } else if err.message.contains("recursion") {
        diag.help("the values are nested too deeply; flatten them")
    } else if syntax == Syntax::Yaml {
        yaml_causes(diag, text, base, &err.span)
    } else {
        diag
    };
    vec![diag]
}

fn parse_fields(path: &Arc<str>, text: &str, base: usize, syntax: Syntax) -> Result<Node, Vec<Diagnostic>> {
    let parsed = match syntax {
        Syntax::Toml => node::parse_toml(text, base),
        Syntax::Yaml => node::parse_yaml(text, base),
        Syntax::Json => node::parse_json(text, base),
    };
    parsed.map_err(|err| syntax_error(path, text, base, syntax, err))
}

fn whole_file(path: &Arc<str>, text: &str, syntax: Syntax) -> Result<Document, Vec<Diagnostic>> {
    let fields = parse_fields(path, text, 0, syntax)?;
    Ok(Document { fields, syntax, body: None, anchor: first_line(text) })
}

fn first_line(text: &str) -> Range<usize> {
    0..text.find('\n').unwrap_or(text.len())
}

/// Where a Markdown file's front matter is: its syntax, the byte range of
/// its fields (between the delimiter lines), and where the body starts.
pub struct FrontMatter {
    pub syntax: Syntax,
    pub fields: Range<usize>,
    pub body_start: usize,
}

/// Finds the `+++` (TOML) or `---` (YAML) front matter of a Markdown file.
pub fn front_matter(path: &Arc<str>, text: &str) -> Result<FrontMatter, Diagnostic> {
    let first = first_line(text);
    let opener = text[first.clone()].trim_end();
    let syntax = match opener {
        "+++" => Syntax::Toml,
        "---" => Syntax::Yaml,
        _ => {
            return Err(Diagnostic::error(code::FRONT_MATTER, "a Markdown definition must start with front matter")
                .at(path, first)
                .label("expected `+++` or `---` here")
                .help("start the file with `+++` (TOML) or `---` (YAML) front matter holding its fields, closed by the same line"));
        }
    };
    let fm_start = (first.end + 1).min(text.len());
    let mut offset = fm_start;
    for line in text[fm_start..].split_inclusive('\n') {
        if line.trim_end() == opener {
            return Ok(FrontMatter { syntax, fields: fm_start..offset, body_start: offset + line.len() });
        }
        offset += line.len();
    }
    Err(Diagnostic::error(code::FRONT_MATTER, "front matter is never closed")
        .at(path, first.start..first.start + 3)
        .label("opened here")
        .help(format!("add a line `{opener}` after the last field")))
}

/// Splits `+++`/`---` front matter from the body.
fn markdown(path: &Arc<str>, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let fm = front_matter(path, text).map_err(|d| vec![d])?;
    let fields = parse_fields(path, &text[fm.fields.clone()], fm.fields.start, fm.syntax)?;
    let body_text = &text[fm.body_start..];
    let body = if body_text.trim().is_empty() {
        None
    } else {
        let leading = body_text.len() - body_text.trim_start_matches('\n').len();
        Some((body_text[leading..].to_string(), fm.body_start + leading))
    };
    Ok(Document { fields, syntax: fm.syntax, body, anchor: 0..3 })
}
