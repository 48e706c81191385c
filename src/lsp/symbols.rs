//! Document symbols (the definition a file holds, with the names it
//! writes) and workspace symbols (every definition, by name).

use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, Location, SymbolInformation, SymbolKind, WorkspaceSymbolParams,
    WorkspaceSymbolResponse,
};

use super::names::{self, Target};
use super::text;
use super::workspace::Workspace;
use crate::model::Kind;

fn symbol_kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Persona => SymbolKind::CLASS,
        Kind::Part => SymbolKind::STRUCT,
        Kind::Trait => SymbolKind::INTERFACE,
        Kind::Skill => SymbolKind::FUNCTION,
        Kind::Guardrail => SymbolKind::EVENT,
        Kind::Arc => SymbolKind::ENUM,
    }
}

#[allow(deprecated)] // `deprecated` is a field every literal must name.
pub fn document(ws: &mut Workspace, params: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let path = text::repo_path(&ws.root, &params.text_document.uri)?;
    let analysis = ws.analysis();
    let source = analysis.snapshot.get(&path)?;
    let catalog = &analysis.project.catalog;
    let (kind, name) = names::defined_in(catalog, &path)?;
    let whole = text::range(source, &(0..source.len()));
    let children = names::occurrences(catalog, &analysis.snapshot, &path)
        .into_iter()
        .filter(|o| !matches!(o.target, Target::Def(k, ref n) if k == kind && *n == name))
        .map(|o| {
            let (label, detail, sk) = match &o.target {
                Target::Def(k, n) => (n.clone(), k.to_string(), symbol_kind(*k)),
                Target::Stage { arc, stage } => (stage.clone(), format!("stage of `{arc}`"), SymbolKind::ENUM_MEMBER),
                Target::PartType(t) => (t.clone(), "part type".to_string(), SymbolKind::TYPE_PARAMETER),
            };
            let range = text::range(source, &o.span);
            DocumentSymbol {
                name: label,
                detail: Some(detail),
                kind: sk,
                tags: None,
                deprecated: None,
                range,
                selection_range: range,
                children: None,
            }
        })
        .collect();
    let selection = catalog.meta(kind, &name).map(|m| text::range(source, &m.name_span)).unwrap_or(whole);
    let selection = if selection.start >= whole.start && selection.end <= whole.end { selection } else { whole };
    Some(DocumentSymbolResponse::Nested(vec![DocumentSymbol {
        name,
        detail: Some(kind.to_string()),
        kind: symbol_kind(kind),
        tags: None,
        deprecated: None,
        range: whole,
        selection_range: selection,
        children: Some(children),
    }]))
}

#[allow(deprecated)]
pub fn workspace(ws: &mut Workspace, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
    let root = ws.root.clone();
    let analysis = ws.analysis();
    let catalog = &analysis.project.catalog;
    let query = params.query.to_lowercase();
    let mut found = Vec::new();
    for kind in Kind::ALL {
        for name in catalog.names(kind).filter(|n| n.contains(&query)) {
            let Some(meta) = catalog.meta(kind, name) else { continue };
            let Some(uri) = text::uri(&root, &meta.file) else { continue };
            let source = analysis.snapshot.get(&meta.file).unwrap_or("");
            found.push(SymbolInformation {
                name: name.to_string(),
                kind: symbol_kind(kind),
                tags: None,
                deprecated: None,
                location: Location { uri, range: text::range(source, &meta.name_span) },
                container_name: Some(kind.to_string()),
            });
        }
    }
    Some(WorkspaceSymbolResponse::Flat(found))
}
