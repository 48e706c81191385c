//! Code actions: quick fixes.

use lsp_types::{CodeActionParams, CodeActionResponse};

use super::workspace::Workspace;

pub fn actions(_ws: &mut Workspace, _params: CodeActionParams) -> Option<CodeActionResponse> {
    None
}
