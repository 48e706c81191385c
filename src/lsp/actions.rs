//! Code actions: every did-you-mean a diagnostic carries as a quick fix
//! (the name replaced, its quotes kept), and for a template error in a
//! text meant literally, `template = false` added to the definition.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Position, TextEdit, WorkspaceEdit};

use super::text;
use super::workspace::Workspace;
use crate::diag::code;
use crate::parse::{self, Syntax};

pub fn actions(ws: &mut Workspace, params: CodeActionParams) -> Option<CodeActionResponse> {
    let uri = params.text_document.uri;
    let path = text::repo_path(&ws.root, &uri)?;
    let analysis = ws.analysis();
    let source = analysis.snapshot.get(&path)?;
    let mut actions = Vec::new();
    let fix = |title: String, edit: TextEdit, diagnostic: &lsp_types::Diagnostic, preferred: bool| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), vec![edit])])), ..Default::default() }),
            is_preferred: Some(preferred),
            ..Default::default()
        })
    };
    for d in &params.context.diagnostics {
        let suggestions = d.data.as_ref().and_then(|v| v.get("suggest")).and_then(|s| s.as_array()).cloned().unwrap_or_default();
        for suggestion in suggestions.iter().filter_map(|s| s.as_str()) {
            let (start, end) = (text::offset(source, d.range.start), text::offset(source, d.range.end));
            let Some(written) = source.get(start..end.max(start)) else { continue };
            // The name inside its quotes, if it has them.
            let quoted = written.len() >= 2 && (written.starts_with('"') || written.starts_with('\'')) && written.ends_with(&written[..1]);
            let inner = if quoted { start + 1..end - 1 } else { start..end };
            let edit = TextEdit { range: text::range(source, &inner), new_text: suggestion.to_string() };
            actions.push(fix(format!("Change to `{suggestion}`"), edit, d, true));
        }
        let template_error =
            matches!(&d.code, Some(lsp_types::NumberOrString::String(c)) if c == code::TEMPLATE_SYNTAX || c == code::UNDEFINED_VARIABLE);
        if template_error && let Some(edit) = literal(&path, source) {
            actions.push(fix("Treat this definition's texts as literal (`template = false`)".to_string(), edit, d, false));
        }
    }
    Some(actions)
}

/// The edit that adds `template = false` as the first field.
fn literal(path: &str, source: &str) -> Option<TextEdit> {
    let path: std::sync::Arc<str> = path.into();
    let (syntax, fields) = match Syntax::of_path(&path) {
        Some(syntax) => (syntax, 0..source.len()),
        None => {
            let fm = parse::front_matter(&path, source).ok()?;
            (fm.syntax, fm.fields)
        }
    };
    let (at, line) = match syntax {
        Syntax::Toml => (fields.start, "template = false\n".to_string()),
        Syntax::Yaml => (fields.start, "template: false\n".to_string()),
        Syntax::Json => (fields.start + source[fields.clone()].find('{')? + 1, "\n  \"template\": false,".to_string()),
    };
    let position: Position = text::position(source, at);
    Some(TextEdit { range: lsp_types::Range { start: position, end: position }, new_text: line })
}
