//! `build` and `check`: compile everything, write (or verify) the output
//! folder and the configured exports, validate and lint.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::ctx::{BuildFormat, Ctx, DiagFormat, Failure, Outcome, display_dir, load, load_snapshot, out_dir, read_sources, report, status};
use super::review;
use crate::artifacts;
use crate::diag::{self, Diagnostic};
use crate::snapshot::{Listing, Snapshot};

#[derive(Args)]
#[command(after_help = "Examples:
  personac build                      compile into build-output/ (only what changed is written)
  personac build --check              in CI: fail if build-output/ is not what a build would write
  personac build --rev main --out /tmp/main-build
  personac build --format github      diagnostics as GitHub Actions annotations")]
pub struct BuildArgs {
    /// Output folder, relative to the current folder (default: `out_dir` of personac.toml, relative to the repository root, else build-output)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Let a configured export (`[export.FORMAT]`) replace files in its folder that no export of this repository wrote, and record them as its own
    #[arg(long)]
    force: bool,
    /// Write nothing; fail if the output folder (or a configured export) is not up to date
    #[arg(long)]
    check: bool,
    /// Record the source commit and whether the tree was dirty in index.json
    #[arg(long)]
    stamp: bool,
    /// Read the sources from git at REV (a commit, branch or tag) instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// How to print diagnostics and the result: text for people, json for machines, github for workflow annotations
    #[arg(long, value_enum, default_value_t = BuildFormat::Text)]
    format: BuildFormat,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac check                                  validate and lint everything
  personac check --deny-warnings --format github  in CI, with annotations
  personac check --base origin/main               refuse changed personas without a version bump")]
pub struct CheckArgs {
    /// Fail for every persona whose compiled output changed since REV without a semver bump
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Treat lint warnings as errors
    #[arg(long)]
    deny_warnings: bool,
    /// Check the sources at git REV instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// How to print diagnostics: text for people, json (one object a line), github (workflow annotations)
    #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
    format: DiagFormat,
}

pub(super) fn build(ctx: &Ctx, args: BuildArgs) -> Outcome {
    let BuildArgs { out, check: check_only, stamp, rev, format, force } = args;
    // A folder on the command line is relative to where the command runs.
    let out = out.map(|out| crate::rules::landing(&ctx.start, &out));
    let rev = rev.as_deref();
    let diag_format = diag_format_of(format);
    let started = std::time::Instant::now();
    // The working tree's sources are listed first (while the output's index
    // is read): when index.json's mark says none changed since the last
    // build, none is read.
    let mut listing = None;
    if rev.is_none() && !check_only && !stamp {
        let (head, diags) = Snapshot::from_listing(&Listing::config(&ctx.root), |_| true);
        if diags.is_empty()
            && let Some(dir) = config_out_dir(ctx, &head, out.as_deref())
        {
            let shown = display_dir(ctx, &dir);
            let mut waiting = |holder: &str| status(ctx, "Blocking", &format!("waiting for the lock on {shown}, held by {holder}"));
            let (listed, done) = artifacts::unchanged(&ctx.root, &dir, &mut waiting);
            if let Some(done) = done {
                return up_to_date(ctx, &head, &shown, done, Unchanged::Marked, started, format);
            }
            listing = Some(listed);
        }
    }
    let listing = listing.or_else(|| rev.is_none().then(|| Listing::of(&ctx.root)));
    // Something is read, and most likely compiled: the vocabulary loads
    // while the sources are read and parsed (about 50 ms of one core, which
    // the compile would otherwise wait for).
    crate::tokens::Tokenizer::warm_default();
    let (snapshot, diags, times) = match &listing {
        Some(listing) => Snapshot::from_listing_timed(listing),
        None => {
            let (snapshot, diags) = read_sources(ctx, rev)?;
            (snapshot, diags, None)
        }
    };
    let stamp = if stamp { Some(review::stamp(ctx, &snapshot, rev)?) } else { None };
    if !check_only
        && diags.is_empty()
        && let Some(dir) = config_out_dir(ctx, &snapshot, out.as_deref())
    {
        let shown = display_dir(ctx, &dir);
        let mut waiting = |holder: &str| status(ctx, "Blocking", &format!("waiting for the lock on {shown}, held by {holder}"));
        if let Some(done) = artifacts::up_to_date(&ctx.root, &dir, &snapshot, stamp.as_ref(), &mut waiting) {
            // Marked, so that the next build need not read them.
            let how = match &times {
                Some(times) if listing.as_ref().is_some_and(|listing| artifacts::mark(&dir, listing, times)) => Unchanged::ReadThenMarked,
                _ => Unchanged::Read,
            };
            return up_to_date(ctx, &snapshot, &shown, done, how, started, format);
        }
    }
    let project = load_snapshot(ctx, &snapshot, diags, diag_format, &ctx.cache)?;
    let loaded = started.elapsed();
    let dir = out_dir(ctx, &project, out)?;
    let shown = display_dir(ctx, &dir);
    if check_only {
        // `--check` writes nothing (not even a lock) and compiles everything
        // from scratch: CI must not trust the folder it checks.
        let previous = artifacts::read_index(&dir);
        if let Some(previous) = &previous {
            ignored_entries(ctx, &dir, &previous.ignored, &snapshot, diag_format);
        }
        let compiled =
            artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &snapshot, None, stamp, &artifacts::InMemory)
                .and_then(|output| crate::interop::export::configured(&project, &snapshot).map(|exports| (output, exports)));
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
    let (output, report) = match crate::build::build_into(&project, &snapshot, &ctx.root, &dir, stamp, None, force, &mut waiting) {
        Ok(built) => built,
        Err(crate::build::BuildError::Definitions(diags)) => {
            report(ctx, &diags, &snapshot, diag_format);
            return Err(Failure::Definitions);
        }
        Err(crate::build::BuildError::Io(e)) => return Err(Failure::Usage(format!("cannot write to `{shown}`: {e}"))),
        Err(crate::build::BuildError::Clash(paths)) => return Err(Failure::Usage(crate::interop::export::clash_message(&paths))),
    };
    if let (Some(times), Some(listing)) = (&times, &listing) {
        artifacts::mark(&dir, listing, times);
    }
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
    for export in exports {
        let previous = crate::interop::export::recorded(previous, export.name, &export.out);
        let found = crate::interop::export::check(&ctx.root.join(&export.out), &export.files, &previous);
        problems.extend(found.into_iter().map(|(p, why)| (format!("{}/{p}", export.out), Some(export.name), why)));
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

pub(super) fn check(ctx: &Ctx, args: CheckArgs) -> Outcome {
    let CheckArgs { base, deny_warnings, rev, format } = args;
    if let Some(base) = base {
        return super::review::version_gate(ctx, &base, rev.as_deref(), format);
    }
    let rev = rev.as_deref();
    crate::tokens::Tokenizer::warm_default();
    let (snapshot, project) = load(ctx, format, rev)?;
    // The output folder `build` would refuse, `check` refuses too.
    out_dir(ctx, &project, None)?;
    match artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, &snapshot, None, None, &artifacts::Linted) {
        Ok(output) => {
            let mut warnings = crate::lint::leveled(&project.catalog, &project.renderer, &[&output.variables]);
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

/// The output folder the config names, read from the config file alone
/// (`None` if it does not parse: the full build reports it).
fn config_out_dir(ctx: &Ctx, snapshot: &Snapshot, out: Option<&Path>) -> Option<PathBuf> {
    let config = match snapshot.get(crate::snapshot::CONFIG_FILE) {
        Some(text) => crate::parse::parse_config(&crate::snapshot::CONFIG_FILE.into(), text).ok()?,
        None => crate::model::Config::default(),
    };
    crate::rules::out_dir(&ctx.root, &config, out).ok()
}

/// How a build found its sources unchanged.
enum Unchanged {
    /// By their change times, against the mark the last build left.
    Marked,
    /// By reading and hashing them; they could not be marked.
    Read,
    /// By reading and hashing them; now marked.
    ReadThenMarked,
}

/// How a build prints its diagnostics, for how it prints its result.
fn diag_format_of(format: BuildFormat) -> DiagFormat {
    match format {
        BuildFormat::Json => DiagFormat::Json,
        BuildFormat::Github => DiagFormat::Github,
        BuildFormat::Text => DiagFormat::Text,
    }
}

/// Reports a build that found nothing to do, as a build that wrote nothing.
fn up_to_date(
    ctx: &Ctx,
    snapshot: &Snapshot,
    shown: &str,
    done: artifacts::UpToDate,
    how: Unchanged,
    started: std::time::Instant,
    format: BuildFormat,
) -> Outcome {
    // The warnings a full build reports before it compiles.
    let warnings = snapshot.warnings();
    if !ctx.quiet && !warnings.is_empty() {
        report(ctx, &warnings, snapshot, diag_format_of(format));
    }
    if format == BuildFormat::Json {
        let (written, removed): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        outln!(
            "{}",
            json!({ "personas": done.personas, "written": written, "removed": removed, "unchanged": done.files, "swept": done.swept })
        );
        return Ok(());
    }
    if ctx.verbose {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let how = match how {
            Unchanged::Marked => "told by their change times",
            Unchanged::Read => "read and hashed",
            Unchanged::ReadThenMarked => "read and hashed, then marked so that the next build need not read them",
        };
        status(ctx, "Timings", &format!("sources unchanged since the last build ({how}): checked in {ms:.0} ms"));
    }
    for path in &done.swept {
        status(ctx, "Swept", &format!("{shown}/{path} (left by an interrupted build)"));
    }
    let n = done.personas.len();
    status(ctx, "Compiled", &format!("{n} persona{} into {shown} (up to date)", if n == 1 { "" } else { "s" }));
    Ok(())
}
