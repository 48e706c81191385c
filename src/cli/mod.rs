//! The command line: clap types become plain options at the edge; this is
//! the only module that prints or picks an exit code.
//!
//! Exit codes: 0 success; 1 the definitions have errors, or a check failed;
//! 2 bad invocation or environment.

use std::ffi::OsString;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::Project;
use crate::artifacts;
use crate::catalog::Cache;
use crate::diag::{self, Diagnostic, Format};
use crate::git::{Git, GitError};
use crate::model::{Kind, Override, Request};
use crate::render::View;
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
mod interop;
mod review;
mod setup;
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
#[command(name = "personac", version, about = "Compile persona definitions into versioned prompt artifacts")]
struct Cli {
    /// Run as if started in DIR (the repository root)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// When to use colours
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only errors
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more: every file written
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagFormat {
    Text,
    Json,
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BuildFormat {
    Text,
    Json,
    /// GitHub Actions workflow annotations for diagnostics (`build` only)
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DocFormat {
    Md,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ViewArg {
    Summary,
    Detail,
}

#[derive(Subcommand)]
enum Command {
    /// Compile every persona into the output folder
    Build {
        /// Output folder (default: `out_dir` of personac.toml, else build-output)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write nothing; fail if the output folder is not up to date
        #[arg(long)]
        check: bool,
        /// Record the source commit and whether the tree was dirty in index.json
        #[arg(long)]
        stamp: bool,
        /// Read the sources from git at REV instead of the working tree
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        #[arg(long, value_enum, default_value_t = BuildFormat::Text)]
        format: BuildFormat,
    },
    /// Validate every definition without writing anything
    Check {
        /// Fail for every persona whose compiled output changed since REV without a version bump
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// Treat lint warnings as errors
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
        format: DiagFormat,
    },
    /// Print one compiled view of a persona
    Show(ShowArgs),
    /// Print a persona's manifest
    Manifest {
        persona: String,
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
    },
    /// Print one definition, its texts rendered
    Get {
        /// The kind: persona, part, trait, skill, guardrail or arc
        kind: String,
        /// The definition's name (its file name without extension)
        name: String,
        /// Render the texts with this persona's variables (default: the project's)
        #[arg(long, value_name = "PERSONA")]
        persona: Option<String>,
        /// With --persona: the channel whose variables apply
        #[arg(long, value_name = "CHANNEL", requires = "persona")]
        channel: Option<String>,
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        #[arg(long, value_enum, default_value_t = DocFormat::Md)]
        format: DocFormat,
    },
    /// Show how the compiled prompts differ between two revisions
    Diff(review::DiffArgs),
    /// Read or move a persona's arc stage, editing its file in place
    #[command(subcommand)]
    Arc(author::ArcCommand),
    /// Link a part, trait, skill or guardrail to a persona, editing its file in place
    Link(author::LinkArgs),
    /// Unlink a part, trait, skill or guardrail from a persona, editing its file in place
    Unlink(author::LinkArgs),
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
    Schema {
        /// One kind (persona, part, trait, skill, guardrail, arc) or `config`; all when omitted
        kind: Option<String>,
        /// Write `<kind>.schema.json` files into DIR instead of printing
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Serve the repository to agents over MCP (stdio)
    Serve {
        /// Also offer the tools that create, edit and delete definitions
        #[arg(long)]
        allow_write: bool,
    },
    /// Build, then rebuild on every change until interrupted (Ctrl-C)
    Watch {
        /// Output folder (default: `out_dir` of personac.toml)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Poll for changes instead of using the platform's file watcher
        #[arg(long)]
        poll: bool,
        /// `json` prints one JSON object per event (NDJSON)
        #[arg(long, value_enum, default_value_t = BuildFormat::Text)]
        format: BuildFormat,
    },
    /// List the definitions of a kind
    List {
        kind: String,
        /// Only this part or trait type
        #[arg(long = "type", value_name = "TYPE")]
        type_: Option<String>,
        /// Only definitions with this tag
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Args)]
struct ShowArgs {
    persona: String,
    #[arg(long, value_enum, default_value_t = ViewArg::Detail)]
    view: ViewArg,
    /// Arc stage (default: the persona's current stage)
    #[arg(long, value_name = "S")]
    stage: Option<String>,
    #[arg(long, value_name = "C")]
    channel: Option<String>,
    /// Replace the parts of TYPE with PART
    #[arg(long = "override", value_name = "TYPE=PART")]
    overrides: Vec<String>,
    /// Keep only parts of these types
    #[arg(long, value_name = "T,…", value_delimiter = ',')]
    types: Option<Vec<String>>,
    /// Keep the N parts with the highest priority
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Set a template variable
    #[arg(long = "var", value_name = "K=V")]
    vars: Vec<String>,
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    format: DocFormat,
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
    let mut ctx = Ctx { root: start.clone(), start, color, quiet: cli.quiet, verbose: cli.verbose };
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
        Command::Build { out, check, stamp, rev, format } => build(&ctx, out, check, stamp, rev.as_deref(), format),
        Command::Check { base: Some(base), rev, format, .. } => review::version_gate(&ctx, &base, rev.as_deref(), format),
        Command::Check { base: None, rev, format, deny_warnings } => check(&ctx, rev.as_deref(), format, deny_warnings),
        Command::Show(args) => show(&ctx, args),
        Command::Manifest { persona, rev } => manifest(&ctx, &persona, rev.as_deref()),
        Command::Get { kind, name, persona, channel, rev, format } => {
            let persona = persona.as_deref().map(|p| (p, channel.as_deref()));
            get(&ctx, &kind, &name, persona, rev.as_deref(), format)
        }
        Command::List { kind, type_, tag, rev, format } => list(&ctx, &kind, type_.as_deref(), tag.as_deref(), rev.as_deref(), format),
        Command::Diff(args) => review::diff(&ctx, args),
        Command::Arc(command) => author::arc(&ctx, command),
        Command::Link(args) => author::link(&ctx, args, true),
        Command::Unlink(args) => author::link(&ctx, args, false),
        Command::New(args) => author::new(&ctx, args),
        Command::Import(args) => interop::import(&ctx, args),
        Command::Export(args) => interop::export(&ctx, args),
        Command::Watch { out, poll, format } => watching::watch(&ctx, out, poll, format),
        Command::Schema { kind, out } => schema(&ctx, kind.as_deref(), out),
        Command::Serve { allow_write } => crate::serve::serve(ctx.root.clone(), allow_write).map_err(Failure::Usage),
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
    let project = load_snapshot(ctx, &snapshot, diags, format, &Cache::default())?;
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

fn build(ctx: &Ctx, out: Option<PathBuf>, check_only: bool, stamp: bool, rev: Option<&str>, format: BuildFormat) -> Outcome {
    let diag_format = match format {
        BuildFormat::Json => DiagFormat::Json,
        BuildFormat::Github => DiagFormat::Github,
        BuildFormat::Text => DiagFormat::Text,
    };
    let started = std::time::Instant::now();
    let (snapshot, project) = load(ctx, diag_format, rev)?;
    let loaded = started.elapsed();
    let stamp = if stamp { Some(review::stamp(ctx, &snapshot, rev)?) } else { None };
    let dir = out_dir(ctx, &project, out)?;
    let shown = display_dir(ctx, &dir);
    if check_only {
        // `--check` writes nothing (not even a lock) and compiles everything
        // from scratch: CI must not trust the folder it checks.
        let previous = artifacts::read_index(&dir);
        if let Some(previous) = &previous {
            ignored_entries(ctx, &dir, &previous.ignored, &snapshot, diag_format);
        }
        let compiled = artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &snapshot, None, stamp)
            .and_then(|output| crate::interop::export::configured(&project).map(|exports| (output, exports)));
        let (mut output, exports) = match compiled {
            Ok(compiled) => compiled,
            Err(diags) => {
                report(ctx, &diags, &snapshot, diag_format);
                return Err(Failure::Definitions);
            }
        };
        crate::interop::export::record(&mut output, &exports);
        return check_output(ctx, &dir, &output, previous.as_ref(), &exports, format);
    }
    let mut waiting = |holder: &str| status(ctx, "Blocking", &format!("waiting for the lock on {shown}, held by {holder}"));
    let (output, report) = match crate::build_into(&project, &snapshot, &ctx.root, &dir, stamp, &mut waiting) {
        Ok(built) => built,
        Err(crate::BuildError::Definitions(diags)) => {
            report(ctx, &diags, &snapshot, diag_format);
            return Err(Failure::Definitions);
        }
        Err(crate::BuildError::Io(e)) => return Err(Failure::Usage(format!("cannot write to `{shown}`: {e}"))),
    };
    ignored_entries(ctx, &dir, &report.ignored, &snapshot, diag_format);
    if format == BuildFormat::Json {
        outln!(
            "{}",
            json!({ "personas": output.personas, "written": report.written, "removed": report.removed, "unchanged": report.unchanged, "swept": report.swept })
        );
        return Ok(());
    }
    if ctx.verbose {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let total = started.elapsed();
        status(
            ctx,
            "Timings",
            &format!("load {:.0} ms, compile and write {:.0} ms, total {:.0} ms", ms(loaded), ms(total - loaded), ms(total)),
        );
        for path in &report.written {
            status(ctx, "Wrote", &format!("{shown}/{path}"));
        }
        for path in &report.removed {
            status(ctx, "Removed", &format!("{shown}/{path}"));
        }
    }
    for path in &report.swept {
        status(ctx, "Swept", &format!("{shown}/{path} (left by an interrupted build)"));
    }
    let n = output.personas.len();
    let changes = if report.written.is_empty() && report.removed.is_empty() {
        "up to date".to_string()
    } else {
        format!("{} written, {} removed, {} unchanged", report.written.len(), report.removed.len(), report.unchanged)
    };
    status(ctx, "Compiled", &format!("{n} persona{} into {shown} ({changes})", if n == 1 { "" } else { "s" }));
    if ctx.verbose {
        for path in &report.exported {
            status(ctx, "Exported", path);
        }
        for path in &report.unexported {
            status(ctx, "Removed", path);
        }
    }
    if !report.exported.is_empty() || !report.unexported.is_empty() {
        let (n, m) = (report.exported.len(), report.unexported.len());
        status(ctx, "Exported", &format!("{n} file{} written, {m} removed", if n == 1 { "" } else { "s" }));
    }
    // The process ends now: freeing tens of megabytes piece by piece would
    // only delay the exit (rustc does the same).
    std::mem::forget((snapshot, project, output));
    Ok(())
}

/// Warns about the entries of the output folder's `index.json` that were
/// ignored because their paths could lead outside it.
fn ignored_entries(ctx: &Ctx, dir: &Path, ignored: &[String], snapshot: &Snapshot, format: DiagFormat) {
    if ignored.is_empty() || ctx.quiet {
        return;
    }
    let file: std::sync::Arc<str> = format!("{}/{}", display_dir(ctx, dir), artifacts::INDEX).into();
    let diags: Vec<Diagnostic> = ignored
        .iter()
        .map(|why| {
            Diagnostic::warning(diag::code::INDEX_PATH, format!("ignored an entry of the output folder's index: {why}"))
                .at(&file, 0..0)
                .help("nothing is read, written or removed through it; a build rewrites index.json without it")
                .help("index.json is generated: if a change to it came in a pull request, review where it came from")
        })
        .collect();
    report(ctx, &diags, snapshot, format);
}

/// What `build --check` reports: every file that is not as a build would write it.
fn check_output(
    ctx: &Ctx,
    dir: &Path,
    output: &artifacts::Output,
    previous: Option<&artifacts::PreviousIndex>,
    exports: &[crate::interop::export::Configured],
    format: BuildFormat,
) -> Outcome {
    let shown = display_dir(ctx, dir);
    // Artifacts by path in the output folder; export files by path from
    // the repository root, with their format.
    let mut problems: Vec<(String, Option<&str>, &str)> =
        artifacts::check(dir, output, previous).into_iter().map(|(p, why)| (p, None, why)).collect();
    let recorded: Option<serde_json::Value> = std::fs::read(dir.join(artifacts::INDEX)).ok().and_then(|b| serde_json::from_slice(&b).ok());
    for export in exports {
        let previous = crate::interop::export::recorded(recorded.as_ref(), export.format, &export.out);
        let found = crate::interop::export::check(&ctx.root.join(&export.out), &export.files, &previous);
        problems.extend(found.into_iter().map(|(p, why)| (format!("{}/{p}", export.out), Some(export.format.name()), why)));
    }
    if format == BuildFormat::Json {
        let problems: Vec<_> = problems
            .iter()
            .map(|(p, export, why)| match export {
                Some(export) => json!({"file": p, "export": export, "problem": why}),
                None => json!({"file": p, "problem": why}),
            })
            .collect();
        outln!("{}", json!({ "up_to_date": problems.is_empty(), "problems": problems }));
    } else {
        for (path, export, why) in &problems {
            let path = if export.is_some() { path.clone() } else { format!("{shown}/{path}") };
            errln!("{}: {path}: {why}", if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" });
        }
        if problems.iter().any(|(_, _, why)| why.starts_with("stray")) {
            errln!("{shown} is not up to date: remove what no build writes, run `personac build`, and commit the result");
        } else if !problems.is_empty() {
            errln!("{shown} is not up to date: run `personac build` and commit the result");
        } else {
            status(ctx, "Checked", &format!("{shown} is up to date ({} personas)", output.personas.len()));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Failure::Definitions) }
}

fn check(ctx: &Ctx, rev: Option<&str>, format: DiagFormat, deny_warnings: bool) -> Outcome {
    let (snapshot, project) = load(ctx, format, rev)?;
    // The output folder `build` would refuse, `check` refuses too.
    out_dir(ctx, &project, None)?;
    match artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &snapshot, None, None) {
        Ok(output) => {
            let mut warnings = crate::lint::leveled(&project.catalog, &project.renderer);
            if deny_warnings {
                for w in &mut warnings {
                    w.severity = diag::Severity::Error;
                }
            }
            if !warnings.is_empty() {
                report(ctx, &warnings, &snapshot, format);
            }
            // Denied lints (`--deny-warnings`, or `deny` under `[lints]`) fail.
            if warnings.iter().any(Diagnostic::is_error) {
                return Err(Failure::Definitions);
            }
            if format == DiagFormat::Text {
                let n = output.personas.len();
                let lints = if warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning{}", warnings.len(), if warnings.len() == 1 { "" } else { "s" })
                };
                status(ctx, "Checked", &format!("{n} persona{}: no errors{lints}", if n == 1 { "" } else { "s" }));
            }
            Ok(())
        }
        Err(diags) => {
            report(ctx, &diags, &snapshot, format);
            Err(Failure::Definitions)
        }
    }
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

fn show(ctx: &Ctx, args: ShowArgs) -> Outcome {
    let mut request = Request { stage: args.stage, channel: args.channel, types: args.types, limit: args.limit, ..Request::default() };
    for o in &args.overrides {
        let (part_type, part) = parse_pair(o, "TYPE=PART")?;
        request.overrides.push(Override { part_type, part });
    }
    for v in &args.vars {
        let (k, v) = parse_pair(v, "K=V")?;
        if !crate::parse::is_identifier(&k) {
            return Err(Failure::Usage(format!("`{k}` is not a valid variable name")));
        }
        request.vars.insert(k, v.into());
    }
    let (snapshot, project) = load(ctx, DiagFormat::Text, args.rev.as_deref())?;
    let resolved = project.catalog.resolve(&args.persona, &request).map_err(|e| resolve_error(ctx, &snapshot, e))?;
    let (_, fitted) = artifacts::views(&project.renderer, &project.tokenizer, &resolved).map_err(|diags| {
        report(ctx, &diags, &snapshot, DiagFormat::Text);
        Failure::Definitions
    })?;
    let view = match args.view {
        ViewArg::Summary => View::Summary,
        ViewArg::Detail => View::Detail,
    };
    let [summary, detail] = fitted;
    let fitted = if view == View::Summary { summary } else { detail };
    match args.format {
        DocFormat::Md => out!("{}", fitted.text),
        DocFormat::Json => {
            let value = crate::describe::shown(&resolved, &fitted, view);
            outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        }
    }
    Ok(())
}

fn manifest(ctx: &Ctx, persona: &str, rev: Option<&str>) -> Outcome {
    let (snapshot, project) = load(ctx, DiagFormat::Text, rev)?;
    let resolved = project.catalog.resolve(persona, &Request::default()).map_err(|e| resolve_error(ctx, &snapshot, e))?;
    let (rendered, fitted) = artifacts::views(&project.renderer, &project.tokenizer, &resolved).map_err(|diags| {
        report(ctx, &diags, &snapshot, DiagFormat::Text);
        Failure::Definitions
    })?;
    let value = artifacts::manifest_for(&resolved, &rendered, &fitted);
    outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    Ok(())
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

fn get(ctx: &Ctx, kind: &str, name: &str, persona: Option<(&str, Option<&str>)>, rev: Option<&str>, format: DocFormat) -> Outcome {
    let kind = parse_kind(kind)?;
    let (snapshot, project) = load(ctx, DiagFormat::Text, rev)?;
    let value = match crate::describe::rendered(&project.catalog, &project.renderer, kind, name, persona) {
        Ok(value) => value,
        Err(crate::describe::ShowError::Request(msg)) => return Err(Failure::Usage(msg)),
        Err(crate::describe::ShowError::Definitions(mut diags)) => {
            diag::normalize(&mut diags);
            report(ctx, &diags, &snapshot, DiagFormat::Text);
            return Err(Failure::Definitions);
        }
    };
    match format {
        DocFormat::Json => outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default()),
        DocFormat::Md => out!("{}", crate::describe::markdown(&value)),
    }
    Ok(())
}

fn list(ctx: &Ctx, kind: &str, type_: Option<&str>, tag: Option<&str>, rev: Option<&str>, format: ListFormat) -> Outcome {
    let kind = parse_kind(kind)?;
    let (_, project) = load(ctx, DiagFormat::Text, rev)?;
    let rows = crate::describe::list(&project.catalog, kind, type_, tag);
    match format {
        ListFormat::Json => outln!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default()),
        ListFormat::Text => {
            let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            // An abstract persona says so where other kinds show their type.
            let type_of =
                |r: &crate::describe::Row| r.item_type.clone().unwrap_or_else(|| (if r.is_abstract { "abstract" } else { "-" }).into());
            let type_w = rows.iter().map(|r| type_of(r).len()).max().unwrap_or(4).max(4);
            let mut out = format!("{:name_w$}  {:type_w$}  DESCRIPTION\n", "NAME", "TYPE");
            for r in &rows {
                let t = type_of(r);
                let line = format!("{:name_w$}  {t:type_w$}  {}", r.name, r.description.as_deref().unwrap_or(""));
                out.push_str(line.trim_end());
                out.push('\n');
            }
            out!("{out}");
        }
    }
    Ok(())
}

fn schema(ctx: &Ctx, kind: Option<&str>, out: Option<PathBuf>) -> Outcome {
    let schemas = match kind {
        None => crate::schema::all(),
        Some("config" | "personac" | "personac.toml") => vec![("personac.schema.json".to_string(), crate::schema::config())],
        Some(word) => {
            let kind = parse_kind(word)?;
            vec![(format!("{kind}.schema.json"), crate::schema::kind(kind))]
        }
    };
    match out {
        Some(dir) => {
            let dir = ctx.root.join(dir);
            std::fs::create_dir_all(&dir).map_err(|e| Failure::Usage(format!("cannot create `{}`: {e}", dir.display())))?;
            for (file, value) in &schemas {
                let text = format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default());
                crate::atomic::write(&dir.join(file), text.as_bytes())
                    .map_err(|e| Failure::Usage(format!("cannot write `{file}`: {e}")))?;
                status(ctx, "Wrote", &format!("{}", dir.join(file).display()));
            }
        }
        None if schemas.len() == 1 => outln!("{}", serde_json::to_string_pretty(&schemas[0].1).unwrap_or_default()),
        None => {
            let all: serde_json::Map<String, serde_json::Value> = schemas.into_iter().collect();
            outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
    }
    Ok(())
}
