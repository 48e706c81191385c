//! The review commands: `diff`, `check --base` (the version gate) and the
//! stamp of `build --stamp`. Each compiles revisions with the ordinary
//! pipeline and compares the outputs in memory.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, load_snapshot, report, status, usage};
use crate::artifacts::{self, Output};
use crate::catalog::Cache;
use crate::diag::{Diagnostic, code};
use crate::diff::{self, Report, Side, SourceRange, Status};
use crate::git::{Git, Range};
use crate::project::Project;
use crate::snapshot::Snapshot;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff of each changed artifact, each hunk after the source lines behind it, for a terminal
    Text,
    /// A table and collapsible diffs, for a pull-request comment (fits GitHub's 65,536 characters); source lines link to the files inside GitHub Actions
    Markdown,
    /// One JSON object, for scripts: each hunk's source lines under `hunks`
    Json,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac diff                                 the working tree against HEAD
  personac diff main                            the working tree against main
  personac diff origin/main...HEAD --format markdown > comment.md
  personac diff v1.2.0 v1.3.0 --exit-code       exit 1 if any compiled prompt changed")]
pub struct DiffArgs {
    /// The base revision (default HEAD); `A..B` or `A...B` (from the merge base) name both sides
    base: Option<String>,
    /// The head revision (default: the working tree)
    head: Option<String>,
    /// How to print the diff: text, markdown or json
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit with 1 when anything differs
    #[arg(long)]
    exit_code: bool,
}

/// One side to compare: a revision of the repository, or its working tree.
enum Source {
    Rev(crate::git::Rev),
    WorkingTree,
}

fn label(source: &Source) -> String {
    match source {
        Source::Rev(r) => r.name.clone(),
        Source::WorkingTree => "the working tree".into(),
    }
}

fn snapshot(ctx: &Ctx, git: &Git, source: &Source) -> Result<(Snapshot, Vec<Diagnostic>), Failure> {
    match source {
        Source::Rev(rev) => Ok((git.snapshot(rev).map_err(usage)?, Vec::new())),
        Source::WorkingTree if git.is_bare() => Err(Failure::Usage(
            "a bare repository has no working tree\n  help: name both revisions, e.g. `personac diff main feature`".into(),
        )),
        Source::WorkingTree => Ok(Snapshot::from_dir(&ctx.root)),
    }
}

/// A compiled side.
struct Compiled {
    label: String,
    snapshot: Snapshot,
    project: Project,
    output: Output,
}

/// How one side of a diff is compiled.
enum Plan<'a> {
    /// The base side: every persona that the difference between the two
    /// snapshots reaches, or that the index committed with it does not
    /// record as its inputs are; the others are only listed, as that index
    /// records them ([`artifacts::Previous::Listed`]).
    Base(&'a artifacts::Changed),
    /// The head side: what the base side compiled and the difference does
    /// not reach is copied from it, what it listed is listed.
    Head(&'a Compiled, &'a artifacts::Changed),
}

fn compile(
    ctx: &Ctx,
    git: &Git,
    source: &Source,
    side: (Snapshot, Vec<Diagnostic>),
    cache: &Cache,
    plan: Plan,
) -> Result<Compiled, Failure> {
    let label = label(source);
    let (snapshot, diags) = side;
    let failed = |ctx: &Ctx| {
        if !ctx.quiet {
            errln!("personac: the definitions at {label} have errors:\n");
        }
    };
    let project = load_snapshot(ctx, &snapshot, diags, DiagFormat::Text, cache).inspect_err(|_| failed(ctx))?;
    // Both sides load through one Cache, so they share one tokenizer.
    let tokenizer = &project.tokenizer;
    // The index committed (or built) with the base side: token counts it
    // records, by artifact hash, are not counted again, and the personas
    // whose inputs it records as they are need not be compiled.
    let out_dir = &project.catalog.config.out_dir.value;
    let recorded = match (&plan, source) {
        (Plan::Head(..), _) => None,
        (_, Source::Rev(rev)) => {
            git.read(rev, &format!("{out_dir}/{}", artifacts::INDEX)).and_then(|b| artifacts::PreviousIndex::parse(&b))
        }
        (_, Source::WorkingTree) => artifacts::read_index(&ctx.root.join(out_dir)),
    };
    let recorded = recorded.filter(|r| r.encoding == tokenizer.encoding());
    if let Some(recorded) = &recorded {
        tokenizer.remember(recorded.artifacts.values().cloned());
    }
    let previous = match plan {
        Plan::Base(_) => None,
        Plan::Head(other, _) => artifacts::PreviousIndex::of(&other.output),
    };
    let reuse = match plan {
        Plan::Base(changed) => recorded.as_ref().map(|previous| artifacts::Reuse {
            previous,
            from: artifacts::Previous::Listed,
            changed: Some(changed),
            untouched: None,
        }),
        Plan::Head(other, changed) => previous.as_ref().map(|previous| artifacts::Reuse {
            previous,
            from: artifacts::Previous::Memory(&other.output),
            changed: Some(changed),
            untouched: None,
        }),
    };
    match artifacts::compile(&project.catalog, &project.renderer, tokenizer, &snapshot, reuse, None, &artifacts::InMemory) {
        Ok(output) => Ok(Compiled { label, snapshot, project, output }),
        Err(diags) => {
            failed(ctx);
            report(ctx, &diags, &snapshot, DiagFormat::Text);
            Err(Failure::Definitions)
        }
    }
}

/// Compiles both sides and compares them. Only the personas whose inputs
/// differ between the two snapshots are compiled, when the base side's
/// committed index records the others' inputs as they are.
fn compare(ctx: &Ctx, git: &Git, base: &Source, head: &Source) -> Result<(Compiled, Compiled, Report), Failure> {
    let cache = Cache::default();
    let (base_side, head_side) = (snapshot(ctx, git, base)?, snapshot(ctx, git, head)?);
    let changed = artifacts::Changed::between(&base_side.0, &head_side.0);
    let base = compile(ctx, git, base, base_side, &cache, Plan::Base(&changed))?;
    let head = compile(ctx, git, head, head_side, &cache, Plan::Head(&base, &changed))?;
    let report = diff::compare(
        &Side { label: base.label.clone(), snapshot: &base.snapshot, output: &base.output },
        &Side { label: head.label.clone(), snapshot: &head.snapshot, output: &head.output },
    );
    Ok((base, head, report))
}

pub(super) fn diff(ctx: &Ctx, args: DiffArgs) -> Outcome {
    let git = Git::open(&ctx.root).map_err(usage)?;
    let (base, head) = match crate::git::parse_range(args.base.as_deref(), args.head.as_deref()).map_err(usage)? {
        Range::Two(base, head) => {
            let base = Source::Rev(git.rev(&base).map_err(usage)?);
            let head = match head {
                Some(h) => Source::Rev(git.rev(&h).map_err(usage)?),
                None => Source::WorkingTree,
            };
            (base, head)
        }
        Range::MergeBase(a, b) => {
            let (a, b) = (git.rev(&a).map_err(usage)?, git.rev(&b).map_err(usage)?);
            (Source::Rev(git.merge_base(&a, &b).map_err(usage)?), Source::Rev(b))
        }
    };
    let links = links(&base, &head);
    let (base, head, report) = compare(ctx, &git, &base, &head)?;
    // The process ends now; freeing both compiled sides would only delay it.
    std::mem::forget((base, head));
    match args.format {
        DiffFormat::Text => out!("{}", diff::text(&report, ctx.color)),
        DiffFormat::Markdown => out!("{}", diff::markdown(&report, links.as_ref())),
        DiffFormat::Json => outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
    }
    if args.exit_code && report.changed { Err(Failure::Definitions) } else { Ok(()) }
}

/// Inside GitHub Actions (`GITHUB_SERVER_URL` and `GITHUB_REPOSITORY`
/// set), where the Markdown's source lines link to: each side's commit, the
/// working tree's being `GITHUB_SHA` (the commit the workflow checked out).
fn links(base: &Source, head: &Source) -> Option<diff::Links> {
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let commit = |source: &Source| match source {
        Source::Rev(rev) => Some(rev.commit.to_string()),
        Source::WorkingTree => var("GITHUB_SHA"),
    };
    Some(diff::Links { server: var("GITHUB_SERVER_URL")?, repository: var("GITHUB_REPOSITORY")?, base: commit(base), head: commit(head) })
}

/// `check --base REV`: every persona whose compiled output changed since REV
/// must have a higher version; no version may go down.
pub(super) fn version_gate(ctx: &Ctx, base: &str, rev: Option<&str>, format: DiagFormat) -> Outcome {
    let git = Git::open(&ctx.root).map_err(usage)?;
    let base = Source::Rev(git.rev(base).map_err(usage)?);
    let head = match rev {
        Some(rev) => Source::Rev(git.rev(rev).map_err(usage)?),
        None => Source::WorkingTree,
    };
    let (base, head, changes) = compare(ctx, &git, &base, &head)?;
    let mut diags = Vec::new();
    let mut notes = Vec::new();
    for p in &changes.personas {
        let parse = |v: &Option<String>| v.as_deref().and_then(|v| semver::Version::parse(v).ok());
        let (old, new) = (parse(&p.version.old), parse(&p.version.new));
        let definition = head.project.catalog.personas.get(&p.name);
        let at = |d: Diagnostic| match definition {
            Some(def) => {
                let span = def.version.as_ref().map_or(def.meta.name_span.clone(), |v| v.span.clone());
                d.at(&def.meta.file, span)
            }
            None => d,
        };
        match (p.status, old, new) {
            (Status::Added, _, new) => {
                notes.push(format!("added persona `{}` ({})", p.name, new.map(|v| v.to_string()).unwrap_or_default()))
            }
            (Status::Removed, old, _) => {
                notes.push(format!("removed persona `{}` ({})", p.name, old.map(|v| v.to_string()).unwrap_or_default()))
            }
            (Status::Changed, Some(old), Some(new)) if new < old => diags.push(at(Diagnostic::error(
                code::VERSION_DOWN,
                format!("the version of persona `{}` went down since {}: {old} → {new}", p.name, base.label),
            )
            .label("lower than before")
            .help(format!("versions only go up; use a version above {old}")))),
            (Status::Changed, Some(old), Some(new)) if new == old => {
                let artifacts = p.artifacts.iter().map(|a| a.path.as_str()).collect::<Vec<_>>().join(", ");
                let (before, after) = changed_lines(p);
                let lines = match (before.is_empty(), after.is_empty()) {
                    (_, false) => format!(" ({})", some_places(&after)),
                    (false, true) => format!(" ({} at {})", some_places(&before), base.label),
                    (true, true) => String::new(),
                };
                let mut d = Diagnostic::error(
                    code::VERSION_NOT_BUMPED,
                    format!("persona `{}` changed since {}{lines} but its version is still {old}", p.name, base.label),
                )
                .label("bump this version")
                .help(format!("changed: {artifacts}"));
                if !before.is_empty() && !after.is_empty() && before != after {
                    d = d.help(format!("the lines it came from at {}: {}", base.label, some_places(&before)));
                }
                if !p.sources.is_empty() {
                    d = d.help(format!("because of: {}", p.sources.join(", ")));
                }
                let patch = semver::Version::new(old.major, old.minor, old.patch + 1);
                let minor = semver::Version::new(old.major, old.minor + 1, 0);
                diags.push(at(d.help(format!("bump it: {patch} for a fix, {minor} for new behaviour"))));
            }
            (Status::Changed, Some(old), Some(new)) => {
                notes.push(format!("persona `{}` changed and its version went up: {old} → {new}", p.name));
            }
            _ => {}
        }
    }
    // A version that went down without any change in output fails too.
    let (old_index, new_index) = (index_of(&base.output), index_of(&head.output));
    for name in new_index.get("personas").and_then(Value::as_object).into_iter().flatten().map(|(name, _)| name) {
        if changes.personas.iter().any(|p| &p.name == name) {
            continue;
        }
        let version = |index: &Value| index["personas"][name]["version"].as_str().and_then(|v| semver::Version::parse(v).ok());
        if let (Some(old), Some(new)) = (version(&old_index), version(&new_index))
            && new < old
            && let Some(def) = head.project.catalog.personas.get(name)
        {
            let span = def.version.as_ref().map_or(def.meta.name_span.clone(), |v| v.span.clone());
            diags.push(
                Diagnostic::error(
                    code::VERSION_DOWN,
                    format!("the version of persona `{name}` went down since {}: {old} → {new}", base.label),
                )
                .at(&def.meta.file, span)
                .label("lower than before")
                .help(format!("versions only go up; use a version above {old}")),
            );
        }
    }
    crate::diag::normalize(&mut diags);
    if format == DiagFormat::Text {
        for note in &notes {
            status(ctx, "Note", note);
        }
    }
    if !diags.is_empty() {
        report(ctx, &diags, &head.snapshot, format);
        return Err(Failure::Definitions);
    }
    if format == DiagFormat::Text {
        let n = head.project.catalog.personas.len();
        let verdict = if changes.personas.is_empty() { "no compiled output changed" } else { "every change has a version bump" };
        status(ctx, "Checked", &format!("{n} persona{} against {}: {verdict}", if n == 1 { "" } else { "s" }, base.label));
    }
    Ok(())
}

/// The source lines behind a persona's changed lines, every view's hunks
/// together: at the base, and now.
fn changed_lines(p: &diff::PersonaDiff) -> (Vec<SourceRange>, Vec<SourceRange>) {
    let hunks = || p.artifacts.iter().flat_map(|a| &a.hunks);
    let before = diff::union(hunks().filter_map(|h| h.sources.old.as_deref()));
    let after = diff::union(hunks().filter_map(|h| h.sources.new.as_deref()));
    (before, after)
}

/// At most ten ranges, then how many more.
fn some_places(ranges: &[SourceRange]) -> String {
    const SHOWN: usize = 10;
    let mut text = diff::places(&ranges[..ranges.len().min(SHOWN)]);
    if ranges.len() > SHOWN {
        text.push_str(&format!(" and {} more", ranges.len() - SHOWN));
    }
    text
}

fn index_of(output: &Output) -> Value {
    output.files.get(artifacts::INDEX).and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null)
}

/// What `build --stamp` records: the source commit, and whether the sources
/// differ from it.
pub(super) fn stamp(ctx: &Ctx, snapshot: &Snapshot, rev: Option<&str>) -> Result<Value, Failure> {
    let git = Git::open(&ctx.root).map_err(usage)?;
    let rev = git.rev(rev.unwrap_or("HEAD")).map_err(usage)?;
    let committed = git.snapshot(&rev).map_err(usage)?;
    Ok(json!({ "commit": rev.commit.to_string(), "dirty": &committed != snapshot }))
}
