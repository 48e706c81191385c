//! The agent harnesses: Claude Code, GitHub Copilot, Gemini CLI, Codex and
//! Cursor. Each keeps one agent a file (YAML front matter and the prompt as
//! the body, or Codex's TOML with the prompt in `developer_instructions`),
//! and they differ only by the table in `harnesses.rs`: where the files
//! live, whether `name` is a name or a display name, how tools are written,
//! and each harness's own fields, which go to and from a persona's
//! `metadata` under the same names. None of them does templating in a
//! prompt: `{{PLACEHOLDER}}` text is meant for the model and stays literal.
//! `tools` absent means every tool, `[]` none: the two stay apart both ways.

use std::collections::BTreeMap;

use serde_json::Value;

use super::agent::{Agent, Carries, Exported, Exporter, Importer};
use super::source::{self, Fields};
use super::text::{sections, split};
use crate::diag::Diagnostic;
use crate::parse::Node;
use crate::render::has_template_syntax;

/// How a harness's file is laid out.
pub enum Form {
    /// `---` YAML front matter, then the prompt. `lenient`: front matter
    /// YAML refuses is read one `key: value` a line, as the harness does.
    FrontMatter { lenient: bool },
    /// A TOML file, the prompt in the string under this key.
    Toml { prompt: &'static str },
}

/// How a harness writes an agent's tools.
#[derive(PartialEq, Eq)]
pub enum Tools {
    /// It has no tools field.
    Absent,
    /// One comma-separated string (`[]` for none).
    Comma,
    /// A list.
    List,
}

/// One harness: a row of the table.
pub struct Harness {
    /// The format's command-line name.
    pub format: &'static str,
    /// What people call it, for messages.
    pub product: &'static str,
    /// The folder of its agents in a repository (the default export).
    pub out: &'static str,
    /// How an agent's file name ends (`NAME.agent.md`: `.agent.md`).
    pub suffix: &'static str,
    pub form: Form,
    /// Whether `name` is a display name (Copilot): the persona is named
    /// after the file and the name kept as its title, exported as written.
    pub display_name: bool,
    pub tools: Tools,
    /// Its own fields with a scalar value (string, number, boolean): in
    /// metadata under the same name, as the value.
    pub scalars: &'static [&'static str],
    /// Its own fields whose values are lists or tables: in metadata as JSON
    /// text, written back as the list or table.
    pub structured: &'static [&'static str],
    /// File names in its folders that are not agents.
    pub not_agents: &'static [&'static str],
    pub loses: &'static str,
}

impl Harness {
    /// The agent's name a file name gives: the name before the suffix.
    fn stem<'a>(&self, path: &'a str) -> &'a str {
        let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
        file.strip_suffix(self.suffix).unwrap_or(file)
    }

    /// The front matter's fields, parsed as YAML, and where the body starts;
    /// when YAML refuses them and the harness is lenient, read one `key:
    /// value` a line (with YAML's complaint, for the report).
    fn front_matter(&self, path: &str, text: &str) -> Result<(Node, usize, Option<String>), Vec<Diagnostic>> {
        let first = text.lines().next().unwrap_or_default();
        if first.trim_end() != "---" {
            return Err(vec![
                source::error(path, 0..first.len(), format!("a {} agent starts with `---` front matter", self.product))
                    .help("start the file with `---`, the fields (`name`, `description`, …), `---`, then the prompt".to_string()),
            ]);
        }
        let start = first.len() + 1;
        let mut end = start;
        let mut body = None;
        for line in text[start.min(text.len())..].split_inclusive('\n') {
            if line.trim_end() == "---" {
                body = Some(end + line.len());
                break;
            }
            end += line.len();
        }
        let Some(body) = body else {
            return Err(vec![source::error(path, 0..3, "the front matter is never closed").help("add a line `---` after the last field")]);
        };
        let fields = &text[start..end];
        let lenient = matches!(self.form, Form::FrontMatter { lenient: true });
        match crate::parse::yaml_at(fields, start) {
            Ok(node) => Ok((node, body, None)),
            Err(err) => match lenient.then(|| lenient_fields(fields, start)).flatten() {
                Some(node) => Ok((node, body, Some(err.message))),
                None => Err(source::syntax(path, "YAML front matter", err)),
            },
        }
    }

    /// The fields and the prompt of one file.
    fn parse(&self, path: &str, text: &str, agent: &mut Agent) -> Result<(Node, Option<String>), Vec<Diagnostic>> {
        match self.form {
            Form::FrontMatter { .. } => {
                let (node, body, lenient) = self.front_matter(path, text)?;
                if let Some(err) = lenient {
                    agent.notes.push(format!(
                        "{path}: the front matter is not valid YAML ({err}); it was read one `key: value` a line, as {} does",
                        self.product
                    ));
                }
                Ok((node, Some(text[body..].to_string())))
            }
            Form::Toml { .. } => crate::parse::toml_document(text).map(|node| (node, None)).map_err(|e| source::syntax(path, "TOML", e)),
        }
    }
}

/// `key: rest of line` pairs, `\n` in a value read as a newline.
fn lenient_fields(fields: &str, base: usize) -> Option<Node> {
    use crate::parse::{Entry, Value as V};
    let mut entries = Vec::new();
    let mut offset = base;
    for line in fields.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        if line.starts_with([' ', '\t', '#']) || line.trim().is_empty() {
            continue;
        }
        let (key, value) = line.split_once(':')?;
        let value = value.trim();
        let span = at..at + line.trim_end().len();
        // A one-line flow list (`tools: [Read, Grep]`, `tools: []`) is a list.
        let value = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(items) => V::List(
                items
                    .split(',')
                    .map(|i| i.trim().trim_matches(['"', '\'']))
                    .filter(|i| !i.is_empty())
                    .map(|i| Node { value: V::Str(i.to_string()), span: span.clone() })
                    .collect(),
            ),
            None if value.is_empty() => V::Null,
            None => V::Str(value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value).replace("\\n", "\n")),
        };
        entries.push(Entry { key: key.trim().to_string(), key_span: at..at + key.len(), node: Node { value, span } });
    }
    let found = entries.iter().any(|e| e.key == "name" || e.key == "description");
    found.then_some(Node { value: V::Table(entries), span: base..offset })
}

/// A field that must be a string (a number or boolean is read as its
/// text): `None` when absent or null, an error at the value otherwise.
fn text_field<'a>(fields: &mut Fields<'a>, key: &'a str, path: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let node = fields.get(key)?;
    if matches!(node.value, crate::parse::Value::Null) {
        return None;
    }
    let text = source::scalar_text(node);
    if text.is_none() {
        diags.push(
            source::error(path, node.span.clone(), format!("`{key}` must be a string"))
                .help(format!("write `{key}` as one line of text, or as a YAML block (`{key}: |`)")),
        );
    }
    text
}

impl Importer for Harness {
    fn accepts(&self, path: &std::path::Path) -> bool {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        name.len() > self.suffix.len() && name.ends_with(self.suffix) && name != "README.md" && !self.not_agents.contains(&name.as_ref())
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<Diagnostic>> {
        let mut agent = Agent { source: path.to_string(), ..Agent::default() };
        let (node, body) = self.parse(path, text, &mut agent)?;
        let Some(mut fields) = Fields::of(&node) else {
            return Err(vec![source::error(path, node.span.clone(), "the fields must be a mapping of names to values")]);
        };
        let mut diags = Vec::new();
        let stem = self.stem(path).to_string();
        let name = text_field(&mut fields, "name", path, &mut diags);
        if self.display_name {
            agent.original_name = stem;
            agent.title = name.filter(|n| !n.trim().is_empty());
        } else {
            agent.original_name = name.unwrap_or(stem);
        }
        agent.description = text_field(&mut fields, "description", path, &mut diags);
        if self.tools != Tools::Absent {
            agent.tools = match fields.get("tools") {
                None => None,
                Some(node) if matches!(node.value, crate::parse::Value::Table(_) | crate::parse::Value::Int(_)) => {
                    diags.push(
                        source::error(path, node.span.clone(), "`tools` must be a list of tool names, or one comma-separated string")
                            .help("write `tools: [read, edit]`, or leave `tools` out for every tool"),
                    );
                    None
                }
                Some(node) => source::strings(node),
            };
        }
        agent.model = text_field(&mut fields, "model", path, &mut diags);
        let body = match (&self.form, body) {
            (_, Some(body)) => body,
            (Form::Toml { prompt }, None) => match text_field(&mut fields, prompt, path, &mut diags) {
                Some(text) => text,
                None if diags.is_empty() => {
                    return Err(vec![
                        source::error(path, 0..0, format!("a {} agent has its prompt in `{prompt}`, and this file has none", self.product))
                            .help(format!("add `{prompt} = \"\"\"` with the prompt, then `\"\"\"`")),
                    ]);
                }
                None => String::new(),
            },
            (Form::FrontMatter { .. }, None) => String::new(),
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        source::keep_rest(&fields, &mut agent, "");
        let split = split(&body);
        // The body is the prompt, exported again as written: its headings
        // only (`headings = "own"`), its `# Title` kept as its first line.
        agent.own_headings = true;
        if agent.title.is_none() {
            agent.title = split.title.clone();
        }
        agent.intro = match &split.title {
            Some(title) if split.intro.trim().is_empty() => format!("# {title}\n"),
            Some(title) => format!("# {title}\n\n{}", split.intro),
            None => split.intro.clone(),
        };
        agent.intro_literal = has_template_syntax(&agent.intro);
        agent.sections = sections(&split);
        // A plugin's agents (`plugins/NAME/agents/x.md`) form a group; a
        // harness's own folder (`.claude/agents`) is none.
        let parts: Vec<&str> = path.split(['/', '\\']).collect();
        agent.group = parts
            .iter()
            .rposition(|p| *p == "agents")
            .filter(|&i| i > 0)
            .map(|i| parts[i - 1])
            .filter(|g| !g.starts_with('.'))
            .map(str::to_string);
        Ok(vec![agent])
    }
}

/// A YAML scalar: a string plain, as people write front matter
/// (`model: sonnet`), when YAML reads it back as the same string; else
/// double-quoted (a JSON string is a valid YAML double-quoted scalar).
/// A list or table is written as JSON, which is flow YAML, spaced as people
/// write it (`[read, edit]` aside: `["read", "edit"]`).
pub(super) fn yaml_value(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains(['\n', '\r', '\t'])
                && !s.starts_with(['"', '\''])
                && crate::parse::yaml_document(&format!("k: {s}\n")).is_ok_and(|node| node.to_json()["k"] == *value);
            if plain { s.clone() } else { value.to_string() }
        }
        Value::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), flow(v))).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// A value inside a flow list or table: strings always quoted.
fn flow(value: &Value) -> String {
    match value {
        Value::String(_) => value.to_string(),
        other => yaml_value(other),
    }
}

/// A JSON value as TOML: tables inline.
fn toml_value(value: &Value) -> toml_edit::Value {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => f.into(),
            _ => n.to_string().into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => toml_edit::Value::Array(items.iter().map(toml_value).collect()),
        Value::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in map {
                table.insert(k, toml_value(v));
            }
            toml_edit::Value::InlineTable(table)
        }
        Value::Null => "".into(),
    }
}

impl Harness {
    /// The fields of an exported agent but its prompt, in the order written.
    fn fields(&self, p: &Exported) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let name = if self.display_name { &p.title } else { &p.name };
        out.push(("name".to_string(), Value::String(name.clone())));
        let description = if p.description.is_empty() { &p.summary } else { &p.description };
        out.push(("description".to_string(), Value::String(description.trim().to_string())));
        match (&self.tools, &p.tools) {
            (Tools::Absent, _) | (_, None) => {}
            (Tools::Comma, Some(tools)) if !tools.is_empty() => out.push(("tools".to_string(), Value::String(tools.join(", ")))),
            (_, Some(tools)) => out.push(("tools".to_string(), Value::from(tools.clone()))),
        }
        if let Some(model) = &p.model {
            out.push(("model".to_string(), Value::String(model.clone())));
        }
        for (key, value) in &p.metadata {
            if self.structured.contains(&key.as_str()) {
                let parsed = value.as_str().and_then(|s| serde_json::from_str::<Value>(s).ok());
                out.push((key.clone(), parsed.unwrap_or_else(|| value.clone())));
            } else if self.scalars.contains(&key.as_str()) {
                out.push((key.clone(), value.clone()));
            }
        }
        out
    }
}

impl Exporter for Harness {
    fn default_out(&self) -> &'static str {
        self.out
    }

    fn name(&self) -> &'static str {
        self.format
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for p in personas {
            let fields = self.fields(p);
            let text = match self.form {
                Form::FrontMatter { .. } => {
                    let mut text = String::from("---\n");
                    for (key, value) in &fields {
                        text.push_str(&format!("{key}: {}\n", yaml_value(value)));
                    }
                    text.push_str("---\n\n");
                    text.push_str(&p.detail_view);
                    text
                }
                Form::Toml { prompt } => {
                    let mut doc = toml_edit::DocumentMut::new();
                    for (key, value) in &fields {
                        doc.insert(key, toml_edit::Item::Value(toml_value(value)));
                    }
                    doc.insert(prompt, toml_edit::Item::Value(p.detail_view.as_str().into()));
                    doc.to_string()
                }
            };
            files.insert(format!("{}{}", p.name, self.suffix), text.into_bytes());
        }
        files
    }

    fn loses(&self) -> &'static str {
        self.loses
    }

    fn carries(&self) -> Carries {
        let mut metadata: Vec<&'static str> = self.scalars.to_vec();
        metadata.extend(self.structured);
        Carries { tools: self.tools != Tools::Absent, model: true, metadata, ..Carries::PROMPT }
    }
}
