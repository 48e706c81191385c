//! The command line: clap types become plain options at the edge; this is
//! the only module that prints or picks an exit code.
//!
//! Exit codes: 0 success; 1 the definitions have errors, or a check failed;
//! 2 bad invocation or environment.

use std::ffi::OsString;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::Project;
use crate::catalog::Cache;
use crate::diag::{self, Diagnostic, Format};
use crate::git::{Git, GitError};
use crate::model::Kind;
use crate::resolve::ResolveError;
use crate::snapshot::Snapshot;

/// Prints to stdout. A closed pipe (`personac list part | head -1`) ends
/// the program quietly with success, as it does for any Unix tool.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!($($arg)*)) };
}

/// `out!` with a newline.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!("{}\n", format!($($arg)*))) };
}

/// Prints to stderr; a closed stderr is not worth a crash.
macro_rules! err {
    ($($arg:tt)*) => { $crate::cli::write_stderr(&format!($($arg)*)) };
}

/// `err!` with a newline.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::write_stderr(&format!("{}\n", format!($($arg)*))) };
}

mod author;
mod compile;
mod interop;
mod query;
mod review;
mod setup;
mod templates;
mod watching;

pub(crate) fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

pub(crate) fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

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

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagFormat {
    /// rustc-style, for people (on stderr)
    Text,
    /// One JSON object a diagnostic (on stdout)
    Json,
    /// GitHub Actions workflow annotations (on stdout)
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BuildFormat {
    /// rustc-style diagnostics and status lines, for people
    Text,
    /// The result as JSON on stdout, diagnostics as JSON lines
    Json,
    /// GitHub Actions workflow annotations for diagnostics
    Github,
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
    /// Show how the compiled prompts differ between two revisions
    Diff(review::DiffArgs),
    /// Build, then rebuild on every change until interrupted (Ctrl-C)
    Watch(watching::WatchArgs),
    /// Serve the repository to agents over MCP (stdio)
    Serve(ServeArgs),
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

/// How a command ended.
enum Failure {
    /// Errors in the definitions, or a failed check (exit 1).
    Definitions,
    /// A bad invocation or environment (exit 2), with its message.
    Usage(String),
}

type Outcome = Result<(), Failure>;

struct Ctx {
    /// Where the search for the repository started: `-C DIR`, else the
    /// current folder.
    start: PathBuf,
    /// The repository root found from `start` (for commands that need no
    /// repository, `start` itself).
    root: PathBuf,
    color: bool,
    quiet: bool,
    verbose: bool,
    /// Parsed files and the tokenizer, shared by every load of this run (an
    /// edit loads the repository, then validates it with the edit).
    cache: Cache,
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
        Command::Completions(args) => setup::completions(args),
        Command::Man(args) => setup::man(&ctx, args),
        Command::Build(args) => compile::build(&ctx, args),
        Command::Check(args) => compile::check(&ctx, args),
        Command::Show(args) => query::show(&ctx, args),
        Command::Manifest(args) => query::manifest(&ctx, args),
        Command::Get(args) => query::get(&ctx, args),
        Command::List(args) => query::list(&ctx, args),
        Command::Schema(args) => query::schema(&ctx, args),
        Command::Diff(args) => review::diff(&ctx, args),
        Command::Arc(command) => author::arc(&ctx, command),
        Command::Link(args) => author::link(&ctx, args),
        Command::Unlink(args) => author::unlink(&ctx, args),
        Command::New(args) => author::new(&ctx, args),
        Command::Import(args) => interop::import(&ctx, args),
        Command::Export(args) => interop::export(&ctx, args),
        Command::Watch(args) => watching::watch(&ctx, args),
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

/// Prints diagnostics: people read them on stderr, machines on stdout.
fn report(ctx: &Ctx, diags: &[Diagnostic], snapshot: &Snapshot, format: DiagFormat) {
    // `-q` prints only errors.
    let kept: Vec<Diagnostic>;
    let diags = if ctx.quiet && diags.iter().any(|d| !d.is_error()) {
        kept = diags.iter().filter(|d| d.is_error()).cloned().collect();
        &kept[..]
    } else {
        diags
    };
    if diags.is_empty() {
        return;
    }
    let text = match format {
        DiagFormat::Text => diag::print(diags, snapshot, Format::Human { color: ctx.color }),
        DiagFormat::Json => diag::print(diags, snapshot, Format::Json),
        DiagFormat::Github => diag::print(diags, snapshot, Format::Github),
    };
    if format == DiagFormat::Text {
        err!("{text}");
    } else {
        out!("{text}");
    }
}

fn status(ctx: &Ctx, verb: &str, rest: &str) {
    if ctx.quiet {
        return;
    }
    if ctx.color {
        errln!("\x1b[1;32m{verb:>12}\x1b[0m {rest}");
    } else {
        errln!("{verb:>12} {rest}");
    }
}

/// Where the sources come from: the working tree, or git at a revision.
fn read_sources(ctx: &Ctx, rev: Option<&str>) -> Result<(Snapshot, Vec<Diagnostic>), Failure> {
    match rev {
        None => Ok(Snapshot::from_dir(&ctx.root)),
        Some(rev) => {
            let git = Git::open(&ctx.root).map_err(usage)?;
            let rev = git.rev(rev).map_err(usage)?;
            Ok((git.snapshot(&rev).map_err(usage)?, Vec::new()))
        }
    }
}

fn usage(e: GitError) -> Failure {
    Failure::Usage(e.0)
}

/// Reads the snapshot and loads the project, reporting errors.
fn load(ctx: &Ctx, format: DiagFormat, rev: Option<&str>) -> Result<(Snapshot, Project), Failure> {
    let (snapshot, diags) = read_sources(ctx, rev)?;
    let project = load_snapshot(ctx, &snapshot, diags, format, &ctx.cache)?;
    Ok((snapshot, project))
}

/// Loads the project of a snapshot, reporting errors.
fn load_snapshot(
    ctx: &Ctx,
    snapshot: &Snapshot,
    mut diags: Vec<Diagnostic>,
    format: DiagFormat,
    cache: &Cache,
) -> Result<Project, Failure> {
    let warnings = if ctx.quiet { Vec::new() } else { snapshot.warnings() };
    match Project::load(snapshot, cache) {
        Ok(project) if diags.is_empty() => {
            if !warnings.is_empty() {
                report(ctx, &warnings, snapshot, format);
            }
            Ok(project)
        }
        loaded => {
            diags.extend(loaded.err().unwrap_or_default());
            diags.extend(warnings);
            diag::normalize(&mut diags);
            report(ctx, &diags, snapshot, format);
            Err(Failure::Definitions)
        }
    }
}

fn out_dir(ctx: &Ctx, project: &Project, out: Option<PathBuf>) -> Result<PathBuf, Failure> {
    crate::out_dir(&ctx.root, &project.catalog.config, out.as_deref()).map_err(Failure::Usage)
}

fn display_dir(ctx: &Ctx, dir: &Path) -> String {
    dir.strip_prefix(&ctx.root).unwrap_or(dir).display().to_string()
}

fn parse_pair(arg: &str, what: &str) -> Result<(String, String), Failure> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Failure::Usage(format!("`{arg}` is not of the form {what}"))),
    }
}

fn resolve_error(ctx: &Ctx, snapshot: &Snapshot, err: ResolveError) -> Failure {
    match err {
        ResolveError::Request(msg) => Failure::Usage(msg),
        ResolveError::Definitions(mut diags) => {
            diag::normalize(&mut diags);
            report(ctx, &diags, snapshot, DiagFormat::Text);
            Failure::Definitions
        }
    }
}

fn parse_kind(word: &str) -> Result<Kind, Failure> {
    Kind::parse(word).ok_or_else(|| {
        let names = Kind::ALL.map(|k| k.as_str());
        let mut msg = format!("`{word}` is not a kind of definition");
        if let Some(best) = diag::did_you_mean(word, names) {
            msg.push_str(&format!("\n  help: did you mean `{best}`?"));
        }
        msg.push_str(&format!("\n  help: kinds are: {}", names.join(", ")));
        Failure::Usage(msg)
    })
}
