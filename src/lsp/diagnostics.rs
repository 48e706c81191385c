//! Every diagnostic `check` gives, for each open document: its range in
//! UTF-16 columns, severity, code, and the help lines in the message (the
//! did-you-mean kept as data for the quick fix).

use lsp_types::{DiagnosticSeverity, NumberOrString, Url};
use serde_json::json;

use super::text;
use super::workspace::Workspace;
use crate::diag::{Diagnostic, Severity};

/// The diagnostics of each open document: `(path, uri, version, diagnostics)`.
pub fn by_document(ws: &mut Workspace) -> Vec<(String, Url, i32, Vec<lsp_types::Diagnostic>)> {
    let open: Vec<(String, Url, i32)> = ws.open.iter().map(|(p, d)| (p.clone(), d.uri.clone(), d.version)).collect();
    let analysis = ws.analysis();
    open.into_iter()
        .map(|(path, uri, version)| {
            let source = analysis.snapshot.get(&path).unwrap_or("");
            let diags = analysis.diags.iter().filter(|d| d.file.as_deref() == Some(path.as_str())).map(|d| to_lsp(d, source)).collect();
            (path, uri, version, diags)
        })
        .collect()
}

/// The suggestion of a "did you mean `x`?" help line.
pub fn suggestion(help: &str) -> Option<&str> {
    help.strip_prefix("did you mean `")?.strip_suffix("`?")
}

fn to_lsp(d: &Diagnostic, source: &str) -> lsp_types::Diagnostic {
    let span = d.span.clone().unwrap_or(0..0);
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push_str(&format!(" ({label})"));
    }
    for help in &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let suggest: Vec<&str> = d.help.iter().filter_map(|h| suggestion(h)).collect();
    lsp_types::Diagnostic {
        range: text::range(source, &span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("personac".to_string()),
        message,
        data: (!suggest.is_empty()).then(|| json!({ "suggest": suggest })),
        ..Default::default()
    }
}
