//! Document and workspace symbols.

use lsp_types::{DocumentSymbolParams, DocumentSymbolResponse, WorkspaceSymbolParams, WorkspaceSymbolResponse};

use super::workspace::Workspace;

pub fn document(_ws: &mut Workspace, _params: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    None
}

pub fn workspace(_ws: &mut Workspace, _params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
    None
}
