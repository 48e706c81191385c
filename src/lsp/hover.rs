//! Hover: what a name under the cursor is.

use lsp_types::{Hover, HoverParams};

use super::workspace::Workspace;

pub fn hover(_ws: &mut Workspace, _params: HoverParams) -> Option<Hover> {
    None
}
