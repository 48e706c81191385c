//! Claude Code subagents: `.claude/agents/NAME.md` (or a plugin's
//! `agents/`), YAML front matter (`name`, `description`, `tools`, `model`,
//! `color`, …) and a Markdown body that is the system prompt. Claude Code
//! does no templating in bodies: `{{PLACEHOLDER}}` text is meant for the
//! model and stays literal. `tools` absent means every tool, `[]` none: the
//! two stay apart both ways.

use std::collections::BTreeMap;

use serde_json::Value;

use super::agent::{Agent, Exported, Exporter, Importer};
use super::source::{self, Fields};
use super::text::{sections, split};
use crate::parse::Node;
use crate::render::has_template_syntax;

pub struct ClaudeCode;

/// Front-matter fields whose values are lists or tables: kept in metadata as
/// JSON text on import, written back as YAML on export.
const STRUCTURED: [&str; 5] = ["skills", "disallowedTools", "mcpServers", "hooks", "allowedTools"];

/// The other front-matter fields Claude Code reads: metadata under these
/// names is exported; other metadata is not Claude Code's.
const SCALARS: [&str; 8] = ["color", "permissionMode", "maxTurns", "memory", "background", "effort", "isolation", "initialPrompt"];

/// The front matter's fields, parsed as YAML; when that fails (Claude
/// Code's own generator writes descriptions YAML refuses, with `: ` inside),
/// read as one `key: value` a line, as Claude Code itself does.
fn front_matter(path: &str, text: &str) -> Result<(Node, usize, Option<String>), Vec<crate::diag::Diagnostic>> {
    let first = text.lines().next().unwrap_or_default();
    if first.trim_end() != "---" {
        return Err(vec![
            source::error(path, 0..first.len(), "a Claude Code agent starts with `---` front matter")
                .help("start the file with `---`, the fields (`name`, `description`, `tools`, `model`), `---`, then the prompt"),
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
    match crate::parse::yaml_at(fields, start) {
        Ok(node) => Ok((node, body, None)),
        Err(err) => match lenient(fields, start) {
            Some(node) => Ok((node, body, Some(err.message))),
            None => Err(source::syntax(path, "YAML front matter", err)),
        },
    }
}

/// `key: rest of line` pairs, `\n` in a value read as a newline.
fn lenient(fields: &str, base: usize) -> Option<Node> {
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

impl Importer for ClaudeCode {
    fn accepts(&self, path: &std::path::Path) -> bool {
        path.extension().is_some_and(|e| e == "md") && path.file_name().is_some_and(|n| n != "README.md")
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<crate::diag::Diagnostic>> {
        let (node, body_start, lenient) = front_matter(path, text)?;
        let Some(mut fields) = Fields::of(&node) else {
            return Err(vec![source::error(path, node.span.clone(), "the front matter must be a mapping of fields")]);
        };
        let stem = std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut agent = Agent { original_name: fields.string("name").unwrap_or(stem), source: path.to_string(), ..Agent::default() };
        if let Some(err) = lenient {
            agent.notes.push(format!(
                "{path}: the front matter is not valid YAML ({err}); it was read one `key: value` a line, as Claude Code does"
            ));
        }
        agent.description = fields.string("description");
        agent.tools = match fields.get("tools") {
            None => None,
            Some(node) => source::strings(node),
        };
        agent.model = fields.string("model");
        source::keep_rest(&fields, &mut agent, "");
        let body = split(&text[body_start..]);
        // The body is the prompt, exported again as written: its headings
        // only (`headings = "own"`), its `# Title` kept as its first line.
        agent.own_headings = true;
        agent.title = body.title.clone();
        agent.intro = match &body.title {
            Some(title) if body.intro.trim().is_empty() => format!("# {title}\n"),
            Some(title) => format!("# {title}\n\n{}", body.intro),
            None => body.intro.clone(),
        };
        agent.intro_literal = has_template_syntax(&agent.intro);
        agent.sections = sections(&body);
        // A plugin's agents (`plugins/NAME/agents/x.md`) form a group.
        let parts: Vec<&str> = path.split(['/', '\\']).collect();
        agent.group = parts
            .iter()
            .rposition(|p| *p == "agents")
            .filter(|&i| i > 0)
            .map(|i| parts[i - 1])
            .filter(|g| *g != ".claude")
            .map(str::to_string);
        Ok(vec![agent])
    }
}

/// A YAML scalar: a string plain, as people write front matter
/// (`model: sonnet`), when YAML reads it back as the same string; else
/// double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains(['\n', '\r', '\t', '"', '\''])
                && crate::parse::yaml_document(&format!("k: {s}\n")).is_ok_and(|node| node.to_json()["k"] == *value);
            if plain { s.clone() } else { value.to_string() }
        }
        other => other.to_string(),
    }
}

impl Exporter for ClaudeCode {
    fn default_out(&self) -> &'static str {
        ".claude/agents"
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for p in personas {
            let mut front = format!("---\nname: {}\n", p.name);
            let description = if p.description.is_empty() { &p.summary } else { &p.description };
            front.push_str(&format!("description: {}\n", yaml_scalar(&Value::String(description.trim().to_string()))));
            match &p.tools {
                Some(tools) if tools.is_empty() => front.push_str("tools: []\n"),
                Some(tools) => front.push_str(&format!("tools: {}\n", tools.join(", "))),
                None => {}
            }
            if let Some(model) = &p.model {
                front.push_str(&format!("model: {}\n", yaml_scalar(&Value::String(model.clone()))));
            }
            for (key, value) in p.metadata.iter().filter(|(k, _)| STRUCTURED.contains(&k.as_str()) || SCALARS.contains(&k.as_str())) {
                let structured = STRUCTURED
                    .contains(&key.as_str())
                    .then(|| value.as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()))
                    .flatten();
                // JSON is YAML: a list or table goes back as flow YAML.
                let written = structured.map_or_else(|| yaml_scalar(value), |v| v.to_string());
                front.push_str(&format!("{key}: {written}\n"));
            }
            front.push_str("---\n\n");
            front.push_str(&p.detail_view);
            files.insert(format!("{}.md", p.name), front.into_bytes());
        }
        files
    }

    fn loses(&self) -> &'static str {
        "stages and channels (unless exported as agents of their own), token budgets, the split into parts (the body is the compiled detail view), and metadata other than Claude Code's own fields (color, permissionMode, maxTurns, memory, background, effort, isolation, initialPrompt, skills, disallowedTools, mcpServers, hooks)"
    }
}
