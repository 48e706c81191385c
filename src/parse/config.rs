//! `personac.toml`: the output folder, the encoding, source records, extra part types,
//! project vars, lint levels, the exports `build` keeps current and the
//! preview's editor link.

use std::sync::Arc;

use super::node::{Entry, Value};
use super::reader::{Reader, read_vars};
use super::syntax::Document;
use crate::diag::{Diagnostic, code};
use crate::model::*;

/// `[export.FORMAT]` tables: `out` (a folder of its own inside the
/// repository, outside every source folder and the output folder), and
/// optional `channels` and `stages` flags.
fn read_exports(r: &mut Reader, entry: &Entry, out_dir: &str) -> std::collections::BTreeMap<String, ExportConfig> {
    let mut exports = std::collections::BTreeMap::new();
    let Value::Table(entries) = &entry.node.value else { return exports };
    let formats: Vec<&str> = crate::rules::EXPORT_FORMATS.to_vec();
    for item in entries {
        if !formats.contains(&item.key.as_str()) {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("personac does not export `{}`", item.key))
                    .at(r.file, item.key_span.clone())
                    .suggest(&item.key, formats.iter().copied())
                    .help(format!("export formats are: {}", formats.join(", "))),
            );
            continue;
        }
        let what = format!("`[export.{}]`", item.key);
        let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, what, &item.node, item.key_span.clone()) else {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("`export.{}` must be a table with `out`", item.key))
                    .at(r.file, item.node.span.clone()),
            );
            continue;
        };
        let out = sub.string("out");
        let out = sub.require("out", out, "\".claude/agents\"");
        let channels = sub.bool("channels").is_some_and(|b| b.value);
        let stages = sub.bool("stages").is_some_and(|b| b.value);
        let diags = sub.finish(&["out", "channels", "stages"]);
        r.diags.extend(diags);
        let Some(out) = out else { continue };
        let folder = out.value.trim_end_matches('/');
        let problem = crate::rules::export_folder_problem(folder, out_dir);
        if let Some(problem) = problem {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("the export folder `{}` {problem}", out.value))
                    .at(r.file, out.span.clone())
                    .help("give each export a folder of its own, such as `.claude/agents` or `exports/crewai`"),
            );
            continue;
        }
        exports.insert(item.key.clone(), ExportConfig { out: Spanned::new(folder.to_string(), out.span), channels, stages });
    }
    exports
}

/// `[lints]`: a level (`allow`, `warn`, `deny`) per lint name.
fn read_lints(r: &mut Reader, entry: &Entry) -> std::collections::BTreeMap<String, Spanned<Level>> {
    let mut lints = std::collections::BTreeMap::new();
    let Value::Table(entries) = &entry.node.value else { return lints };
    let names: Vec<&str> = crate::rules::LINTS.iter().map(|(_, n)| *n).collect();
    for item in entries {
        if !names.contains(&item.key.as_str()) {
            r.diags.push(
                Diagnostic::error(code::CONFIG, format!("unknown lint `{}`", item.key))
                    .at(r.file, item.key_span.clone())
                    .suggest(&item.key, names.iter().copied())
                    .help(format!("lints are: {}", names.join(", "))),
            );
            continue;
        }
        match &item.node.value {
            Value::Str(level) if Level::parse(level).is_some() => {
                let level = Level::parse(level).unwrap_or(Level::Warn);
                lints.insert(item.key.clone(), Spanned::new(level, item.node.span.clone()));
            }
            _ => r.diags.push(
                Diagnostic::error(code::CONFIG, format!("the level of lint `{}` must be \"allow\", \"warn\" or \"deny\"", item.key))
                    .at(r.file, item.node.span.clone()),
            ),
        }
    }
    lints
}

/// `[preview]`: `editor_url`, a URL pattern for the page's links to a
/// source line, whose placeholders are checked here.
fn read_preview(r: &mut Reader, entry: &Entry) -> Option<Spanned<String>> {
    let Ok(mut sub) = Reader::new(r.file, r.text, r.syntax, "`[preview]`".into(), &entry.node, entry.key_span.clone()) else {
        return None;
    };
    let url = sub.string("editor_url");
    r.diags.extend(sub.finish(&["editor_url"]));
    let url = url?;
    // The span of the value inside its quotes, where the text is the value.
    let raw = r.text.get(url.span.clone()).unwrap_or("");
    let inner = (raw.len() == url.value.len() + 2 && raw[1..raw.len() - 1] == url.value).then_some(url.span.start + 1);
    let at = |range: std::ops::Range<usize>| inner.map_or(url.span.clone(), |start| start + range.start..start + range.end);
    let placeholders = crate::rules::EDITOR_URL_PLACEHOLDERS.map(|p| format!("{{{p}}}"));
    let help = format!("the placeholders are {}; e.g. \"idea://open?file={{path}}&line={{line}}\"", placeholders.join(", "));
    match crate::rules::editor_url_placeholders(&url.value) {
        Err((range, message)) => {
            let name = url.value[range.clone()].trim_start_matches('{').trim_end_matches('}').to_string();
            r.diags.push(
                Diagnostic::error(code::CONFIG, message)
                    .at(r.file, at(range))
                    .suggest(&name, crate::rules::EDITOR_URL_PLACEHOLDERS)
                    .help(help),
            );
            None
        }
        Ok(_)
            if url.value.trim_start().to_ascii_lowercase().starts_with("javascript:")
                || url.value.trim_start().to_ascii_lowercase().starts_with("data:") =>
        {
            r.diags.push(
                Diagnostic::error(code::CONFIG, "the editor URL must open an editor, not run a script (`javascript:` or `data:`)")
                    .at(r.file, url.span.clone())
                    .help(help),
            );
            None
        }
        Ok(_) => Some(url),
    }
}

pub(super) fn read_config(file: &Arc<str>, text: &str, doc: Document) -> Result<Config, Vec<Diagnostic>> {
    let mut r = Reader::new(file, text, doc.syntax, "`personac.toml`".into(), &doc.fields, doc.anchor).map_err(|d| vec![d])?;
    let mut config = Config::default();
    if let Some(out_dir) = r.string("out_dir") {
        config.out_dir = out_dir;
    }
    if let Some(encoding) = r.string("encoding") {
        config.encoding = encoding;
    }
    if let Some(provenance) = r.bool("provenance") {
        config.provenance = provenance.value;
    }
    config.part_types = r.name_list("part_types");
    if let Some(entry) = r.table("vars") {
        (config.vars, config.var_spans) = read_vars(&mut r, entry);
    }
    if let Some(entry) = r.table("lints") {
        config.lints = read_lints(&mut r, entry);
    }
    if let Some(entry) = r.table("export") {
        config.exports = read_exports(&mut r, entry, &config.out_dir.value);
    }
    if let Some(entry) = r.table("preview") {
        config.editor_url = read_preview(&mut r, entry);
    }
    let diags = r.finish(&["out_dir", "encoding", "provenance", "part_types", "vars", "lints", "export", "preview"]);
    if diags.is_empty() { Ok(config) } else { Err(diags) }
}
