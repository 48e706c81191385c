//! What every command shares: the run's context, how a command ends,
//! printing diagnostics and status lines, and loading the repository.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::catalog::Cache;
use crate::diag::{self, Diagnostic, Format};
use crate::git::{Git, GitError};
use crate::model::Kind;
use crate::project::Project;
use crate::resolve::ResolveError;
use crate::snapshot::Snapshot;

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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DiagFormat {
    /// rustc-style, for people (on stderr)
    Text,
    /// One JSON object a diagnostic (on stdout)
    Json,
    /// GitHub Actions workflow annotations (on stdout)
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum BuildFormat {
    /// rustc-style diagnostics and status lines, for people
    Text,
    /// The result as JSON on stdout, diagnostics as JSON lines
    Json,
    /// GitHub Actions workflow annotations for diagnostics
    Github,
}

/// How a command ended.
pub(super) enum Failure {
    /// Errors in the definitions, or a failed check (exit 1).
    Definitions,
    /// A bad invocation or environment (exit 2), with its message.
    Usage(String),
}

pub(super) type Outcome = Result<(), Failure>;

pub(super) struct Ctx {
    /// Where the search for the repository started: `-C DIR`, else the
    /// current folder.
    pub(super) start: PathBuf,
    /// The repository root found from `start` (for commands that need no
    /// repository, `start` itself).
    pub(super) root: PathBuf,
    pub(super) color: bool,
    pub(super) quiet: bool,
    pub(super) verbose: bool,
    /// Parsed files and the tokenizer, shared by every load of this run (an
    /// edit loads the repository, then validates it with the edit).
    pub(super) cache: Cache,
}

/// Prints diagnostics: people read them on stderr, machines on stdout.
pub(super) fn report(ctx: &Ctx, diags: &[Diagnostic], snapshot: &Snapshot, format: DiagFormat) {
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

pub(super) fn status(ctx: &Ctx, verb: &str, rest: &str) {
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
pub(super) fn read_sources(ctx: &Ctx, rev: Option<&str>) -> Result<(Snapshot, Vec<Diagnostic>), Failure> {
    match rev {
        None => Ok(Snapshot::from_dir(&ctx.root)),
        Some(rev) => {
            let git = Git::open(&ctx.root).map_err(usage)?;
            let rev = git.rev(rev).map_err(usage)?;
            Ok((git.snapshot(&rev).map_err(usage)?, Vec::new()))
        }
    }
}

pub(super) fn usage(e: GitError) -> Failure {
    Failure::Usage(e.0)
}

/// Reads the snapshot and loads the project, reporting errors.
pub(super) fn load(ctx: &Ctx, format: DiagFormat, rev: Option<&str>) -> Result<(Snapshot, Project), Failure> {
    let (snapshot, diags) = read_sources(ctx, rev)?;
    let project = load_snapshot(ctx, &snapshot, diags, format, &ctx.cache)?;
    Ok((snapshot, project))
}

/// Loads the project of a snapshot, reporting errors.
pub(super) fn load_snapshot(
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

pub(super) fn out_dir(ctx: &Ctx, project: &Project, out: Option<PathBuf>) -> Result<PathBuf, Failure> {
    crate::rules::out_dir(&ctx.root, &project.catalog.config, out.as_deref()).map_err(Failure::Usage)
}

pub(super) fn display_dir(ctx: &Ctx, dir: &Path) -> String {
    dir.strip_prefix(&ctx.root).unwrap_or(dir).display().to_string()
}

pub(super) fn parse_pair(arg: &str, what: &str) -> Result<(String, String), Failure> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Failure::Usage(format!("`{arg}` is not of the form {what}"))),
    }
}

pub(super) fn resolve_error(ctx: &Ctx, snapshot: &Snapshot, err: ResolveError) -> Failure {
    match err {
        ResolveError::Request(msg) => Failure::Usage(msg),
        ResolveError::Definitions(mut diags) => {
            diag::normalize(&mut diags);
            report(ctx, &diags, snapshot, DiagFormat::Text);
            Failure::Definitions
        }
    }
}

pub(super) fn parse_kind(word: &str) -> Result<Kind, Failure> {
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

/// Prints why an import writes nothing: the sources' errors, the clashes
/// (with `what` would be overwritten), or why the repository would not
/// compile with it (`invalid`).
pub(super) fn refused(
    ctx: &Ctx,
    err: crate::interop::import::ImportError,
    sources: &crate::interop::import::SourceFiles,
    snapshot: &Snapshot,
    what: &str,
    invalid: &str,
) -> Failure {
    match err {
        crate::interop::import::ImportError::Sources(mut diags) => {
            crate::diag::normalize(&mut diags);
            errln!("{}", crate::diag::print(&diags, sources, crate::diag::Format::Human { color: ctx.color }).trim_end());
            errln!("the import was refused: nothing was written");
        }
        crate::interop::import::ImportError::Clash(clashes) => {
            for clash in &clashes {
                errln!("{}: {clash}", if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" });
            }
            errln!(
                "the import would overwrite or duplicate {what}: nothing was written\n  help: move or rename what is there, or import into another repository"
            );
        }
        crate::interop::import::ImportError::Invalid(diags) => {
            report(ctx, &diags, snapshot, DiagFormat::Text);
            errln!("{invalid}: nothing was written");
        }
    }
    Failure::Definitions
}
