//! The command line: clap types become plain options at the edge; this is
//! the only module that prints or picks an exit code.
//!
//! Exit codes: 0 success; 1 the definitions have errors, or a check failed;
//! 2 bad invocation or environment.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::catalog::Cache;

/// Prints to stdout. A closed pipe (`personac list part | head -1`) ends
/// the program quietly with success, as it does for any Unix tool.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::ctx::write_stdout(&format!($($arg)*)) };
}

/// `out!` with a newline.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::ctx::write_stdout(&format!("{}\n", format!($($arg)*))) };
}

/// Prints to stderr; a closed stderr is not worth a crash.
macro_rules! err {
    ($($arg:tt)*) => { $crate::cli::ctx::write_stderr(&format!($($arg)*)) };
}

/// `err!` with a newline.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::ctx::write_stderr(&format!("{}\n", format!($($arg)*))) };
}

mod agent_skills;
mod author;
mod compile;
mod ctx;
mod interop;
mod lsp;
mod preview;
mod query;
mod review;
mod setup;
mod templates;
mod watching;
mod why;

use ctx::{Ctx, Failure, Outcome};

#[derive(Parser)]
#[command(
    name = "personac",
    version,
    about = "Compile persona definitions into versioned prompt artifacts",
    after_help = "Start with `personac init` for a new repository, or `personac build` in an existing one.\n`personac explain CODE` explains any diagnostic."
)]
struct Cli {
    /// Start looking for the repository in DIR instead of the current folder
    #[arg(short = 'C', global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// When to use colours (honours NO_COLOR)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only errors: no warnings, no status lines
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more: every file written, and timings
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The command line's definitions, for completions, man pages and tests.
pub fn command() -> clap::Command {
    Cli::command()
}

/// The man pages, from the same clap definitions as `--help`.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    setup::man_pages(Cli::command())
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Compile every persona into the output folder
    Build(compile::BuildArgs),
    /// Validate and lint every definition, writing nothing
    Check(compile::CheckArgs),
    /// Print one compiled view of a persona
    Show(query::ShowArgs),
    /// Print a persona's manifest
    Manifest(query::ManifestArgs),
    /// Print one definition, its texts rendered
    Get(query::GetArgs),
    /// List the definitions of a kind
    List(query::ListArgs),
    /// Explain a line of a view (which definition and layer put it there) or a part's absence
    Why(why::WhyArgs),
    /// Show how the compiled prompts differ between two revisions, and the source lines behind each change
    Diff(review::DiffArgs),
    /// Build, then rebuild on every change until interrupted (Ctrl-C)
    Watch(watching::WatchArgs),
    /// Serve a live preview page of the compiled personas on 127.0.0.1
    Preview(preview::PreviewArgs),
    /// Serve the repository to agents over MCP (stdio)
    Serve(ServeArgs),
    /// A language server for editors (stdio): diagnostics as you type, completion, definition, references, rename, hover, code actions
    Lsp(lsp::LspArgs),
    /// Read or move a persona's arc stage, editing its file in place
    #[command(subcommand)]
    Arc(author::ArcCommand),
    /// Link a part, trait, skill or guardrail to a persona, editing its file in place
    Link(author::LinkArgs),
    /// Unlink a part, trait, skill or guardrail from a persona, editing its file in place
    Unlink(author::UnlinkArgs),
    /// Create a definition file from a small template
    New(author::NewArgs),
    /// Turn another tool's agent definitions into definition files
    Import(interop::ImportArgs),
    /// Write compiled personas in another tool's format
    Export(interop::ExportArgs),
    /// Make a new persona repository that builds and checks clean
    Init(setup::InitArgs),
    /// Explain a diagnostic code: what it means, an example, and the fix
    Explain(setup::ExplainArgs),
    /// Print shell completions
    Completions(setup::CompletionsArgs),
    /// Print or write the man pages
    Man(setup::ManArgs),
    /// Print or write the JSON Schemas (draft-07) of the file formats
    Schema(query::SchemaArgs),
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac serve                    read tools only
  personac serve --allow-write      also the tools that create, edit and delete definitions

Register it with an MCP client as a stdio server: command `personac`, arguments `-C /path/to/repo serve`.")]
struct ServeArgs {
    /// Also offer the tools that create, edit and delete definitions
    #[arg(long)]
    allow_write: bool,
}

pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal(),
    };
    let start = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut ctx = Ctx { root: start.clone(), start, color, quiet: cli.quiet, verbose: cli.verbose, cache: Cache::default() };
    if !ctx.start.is_dir() {
        return finish(&ctx, Err(Failure::Usage(format!("`{}` is not a directory", ctx.start.display()))));
    }
    // Like cargo and git, every command that reads a repository finds its
    // root from where it starts, upward; nothing is ever written elsewhere.
    let needs_repository =
        !matches!(cli.command, Command::Init(_) | Command::Explain(_) | Command::Completions(_) | Command::Man(_) | Command::Schema { .. });
    if needs_repository {
        match crate::snapshot::find_root(&ctx.start) {
            Some(root) => ctx.root = root,
            None => {
                let shown = std::path::absolute(&ctx.start).unwrap_or_else(|_| ctx.start.clone());
                return finish(
                    &ctx,
                    Err(Failure::Usage(format!(
                        "not a persona repository (no `personac.toml` or `personas/` in `{}` or any folder above it)\n  help: `personac init` makes one here; `-C DIR` starts the search in DIR",
                        shown.display()
                    ))),
                );
            }
        }
    }
    let outcome = match cli.command {
        Command::Init(args) => setup::init(&ctx, args),
        Command::Explain(args) => setup::explain(args),
        Command::Completions(args) => setup::completions(args, Cli::command()),
        Command::Man(args) => setup::man(&ctx, args, Cli::command()),
        Command::Build(args) => compile::build(&ctx, args),
        Command::Check(args) => compile::check(&ctx, args),
        Command::Show(args) => query::show(&ctx, args),
        Command::Manifest(args) => query::manifest(&ctx, args),
        Command::Get(args) => query::get(&ctx, args),
        Command::List(args) => query::list(&ctx, args),
        Command::Schema(args) => query::schema(&ctx, args),
        Command::Why(args) => why::why(&ctx, args),
        Command::Diff(args) => review::diff(&ctx, args),
        Command::Arc(command) => author::arc(&ctx, command),
        Command::Link(args) => author::link(&ctx, args),
        Command::Unlink(args) => author::unlink(&ctx, args),
        Command::New(args) => author::new(&ctx, args),
        Command::Import(args) => interop::import(&ctx, args),
        Command::Export(args) => interop::export(&ctx, args),
        Command::Watch(args) => watching::watch(&ctx, args),
        Command::Lsp(args) => lsp::lsp(&ctx, args),
        Command::Preview(args) => preview::preview(&ctx, args),
        Command::Serve(args) => crate::serve::serve(ctx.root.clone(), args.allow_write).map_err(Failure::Usage),
    };
    finish(&ctx, outcome)
}

fn finish(ctx: &Ctx, outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Definitions) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            let prefix = if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" };
            errln!("{prefix}: {msg}");
            ExitCode::from(2)
        }
    }
}
