//! `lsp`: the language server, for editors.

use clap::Args;

use super::ctx::{Ctx, Failure, Outcome};

#[derive(Args)]
#[command(
    after_help = "Editors start it themselves, in the repository (or with `-C DIR`); it speaks the Language Server Protocol on stdin and stdout.
  Neovim:   vim.lsp.start_client({ name = 'personac', cmd = { 'personac', 'lsp' }, root_dir = ... })
  Helix:    [language-server.personac] command = \"personac\", args = [\"lsp\"]
See the README's \"In the editor\" for Neovim, Helix, Zed and VS Code."
)]
pub struct LspArgs {
    /// Accepted for editors that pass it (the server only speaks over stdio)
    #[arg(long)]
    stdio: bool,
}

pub(super) fn lsp(ctx: &Ctx, args: LspArgs) -> Outcome {
    let _ = args.stdio;
    crate::lsp::run(ctx.root.clone()).map_err(Failure::Usage)
}
