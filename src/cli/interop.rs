//! `import` and `export`: other tools' agent formats in and out (SPEC
//! section 8), through `crate::interop`.

use std::path::PathBuf;

use clap::Args;

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, load, report, status};
use crate::diag;
use crate::interop::export::{self, ExportError, Selection};
use crate::interop::import::{self, SourceFiles};
use crate::interop::{Format, Loss, plan::Plan};

#[derive(Args)]
#[command(after_help = "Examples:
  personac import claude-code .claude/agents          every agent in the folder
  personac import copilot .github/agents              every NAME.agent.md in it
  personac import codex .codex/agents/reviewer.toml
  personac import crewai src/research/config/agents.yaml src/writing/config/agents.yaml
  personac import eliza characters/c3po.character.json --dry-run")]
pub struct ImportArgs {
    /// The format of the sources: claude-code, copilot, gemini, codex, cursor, crewai, eliza, llm-persona or character-card
    format: String,
    /// Source files, or folders to search for them
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Print the files the import would write, and write nothing
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac export claude-code                      into .claude/agents
  personac export copilot                          into .github/agents, NAME.agent.md
  personac export codex --format json              the report of what Codex cannot carry, as JSON
  personac export crewai --out crew/config         one agents.yaml
  personac export eliza --persona maya --channel voice
  personac export character-card --stage trial
  personac export bundle --out dist/personas.json   every persona in one JSON file")]
pub struct ExportArgs {
    /// The format to write: claude-code, copilot, gemini, codex, cursor, crewai, eliza, character-card, or bundle (the build output as one JSON file)
    format: String,
    /// The folder to write into, relative to the current folder (default: the format's usual place in the repository); for a bundle, a `.json` file or a folder
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace files in the folder that no export of this repository wrote (they are refused otherwise), and record them as the export's own
    #[arg(long)]
    force: bool,
    /// Export only this persona (repeat for more; default: every concrete persona)
    #[arg(long = "persona", value_name = "PERSONA")]
    personas: Vec<String>,
    /// Also export this channel of each persona as an agent of its own, NAME-CHANNEL
    #[arg(long = "channel", value_name = "CHANNEL")]
    channels: Vec<String>,
    /// Also export this arc stage of each persona as an agent of its own, NAME-STAGE
    #[arg(long = "stage", value_name = "STAGE")]
    stages: Vec<String>,
    /// How to print the report of what the format could not carry of each persona
    #[arg(long = "format", value_enum, default_value_t = ReportFormat::Text, value_name = "FORMAT")]
    report: ReportFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// A status line a persona and kind of loss, for people (on stderr)
    Text,
    /// One JSON object on stdout: the files written and, per persona, what was not carried; diagnostics as JSON lines
    Json,
}

impl ReportFormat {
    fn diagnostics(self) -> DiagFormat {
        match self {
            ReportFormat::Text => DiagFormat::Text,
            ReportFormat::Json => DiagFormat::Json,
        }
    }
}

/// Prints what an export could not carry of each persona (`lost`:
/// `(persona, losses)`), and the files it wrote: status lines, or one JSON
/// object on stdout.
fn print_report(
    ctx: &Ctx,
    format: &str,
    out: &std::path::Path,
    lost: &[(String, Vec<Loss>)],
    written: &export::Written,
    how: ReportFormat,
) {
    match how {
        ReportFormat::Json => {
            let personas: Vec<serde_json::Value> = lost.iter().map(|(p, l)| Loss::to_json(p, l)).collect();
            let report = serde_json::json!({
                "format": format,
                "out": out.display().to_string().replace('\\', "/"),
                "written": written.written,
                "unchanged": written.unchanged,
                "personas": personas,
            });
            outln!("{report}");
        }
        ReportFormat::Text => {
            for (persona, losses) in lost {
                for loss in losses {
                    status(ctx, "Not carried", &format!("{persona}: {}", loss.describe()));
                }
            }
        }
    }
}

fn format(word: &str, exporting: bool) -> Result<Format, Failure> {
    let formats: Vec<Format> = if exporting { Format::exportable().collect() } else { Format::ALL.to_vec() };
    match Format::parse(word) {
        Some(f) if formats.contains(&f) => Ok(f),
        Some(f) => Err(Failure::Usage(format!(
            "personac imports {f} but does not export it\n  help: export formats are: {}",
            formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        ))),
        None => {
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            let mut msg = format!("`{word}` is not a format personac {}", if exporting { "exports" } else { "imports" });
            if let Some(best) = diag::did_you_mean(word, names.iter().copied()) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            msg.push_str(&format!("\n  help: formats are: {}", names.join(", ")));
            Err(Failure::Usage(msg))
        }
    }
}

/// The source files: each file given, and the format's files in each folder.
fn sources(format: Format, paths: &[PathBuf]) -> Result<SourceFiles, Failure> {
    let importer = format.importer();
    // A harness's own hidden folder (`.claude`, `.github`) is searched.
    let home = format.exporter().and_then(|e| e.default_out().split('/').next()).unwrap_or_default();
    let mut files = SourceFiles::default();
    for path in paths {
        let found: Vec<PathBuf> = if path.is_dir() {
            walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.') || e.file_name() == home)
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && importer.accepts(e.path()))
                .map(|e| e.into_path())
                .collect()
        } else if path.is_file() {
            vec![path.clone()]
        } else {
            return Err(Failure::Usage(format!("`{}` is neither a file nor a folder", path.display())));
        };
        if found.is_empty() {
            return Err(Failure::Usage(format!("`{}` holds no {format} files", path.display())));
        }
        for file in found {
            let text = std::fs::read_to_string(&file).map_err(|e| Failure::Usage(format!("cannot read `{}`: {e}", file.display())))?;
            files.files.insert(file.to_string_lossy().replace('\\', "/"), text);
        }
    }
    Ok(files)
}

pub(super) fn import(ctx: &Ctx, args: ImportArgs) -> Outcome {
    if args.format == "agent-skills" {
        return super::agent_skills::import(ctx, &args.paths, args.dry_run);
    }
    let format = format(&args.format, false)?;
    let sources = sources(format, &args.paths)?;
    let (snapshot, _) = load(ctx, DiagFormat::Text, None)?;
    let plan = match import::prepare(format, &sources, &snapshot) {
        Ok(plan) => plan,
        Err(err) => {
            let invalid = format!("the imported definitions would not compile (a bug in the {format} importer: please report it)");
            return Err(super::ctx::refused(ctx, err, &sources, &snapshot, "definitions", &invalid));
        }
    };
    print_plan(ctx, &plan, format, args.dry_run);
    if args.dry_run {
        return Ok(());
    }
    for (path, text) in &plan.files {
        let file = ctx.root.join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Usage(format!("cannot create the folder of `{path}`: {e}")))?;
        }
        crate::atomic::write(&file, text.as_bytes()).map_err(|e| Failure::Usage(format!("cannot write `{path}`: {e}")))?;
    }
    let n = plan.personas.len();
    status(ctx, "Imported", &format!("{n} {format} agent{} into {} files", if n == 1 { "" } else { "s" }, plan.files.len()));
    Ok(())
}

fn print_plan(ctx: &Ctx, plan: &Plan, format: Format, dry_run: bool) {
    let verb = if dry_run { "Would create" } else { "Creating" };
    for (persona, source) in &plan.personas {
        status(ctx, verb, &format!("persona `{persona}` from {source}"));
    }
    for path in plan.files.keys() {
        status(ctx, "", path);
    }
    for note in &plan.notes {
        status(ctx, "Note", note);
    }
    for (source, field, why) in &plan.unmapped {
        status(ctx, "Not mapped", &format!("{source}: `{field}`: {why}"));
    }
    if dry_run {
        status(ctx, "Dry run", &format!("{} files from {format}; nothing was written", plan.files.len()));
    }
}

pub(super) fn export(ctx: &Ctx, args: ExportArgs) -> Outcome {
    if args.format == "bundle" {
        return export_bundle(ctx, args);
    }
    if args.format == "agent-skills" {
        if !args.channels.is_empty() || !args.stages.is_empty() {
            return Err(Failure::Usage(
                "Agent Skills folders hold skills, not personas: `--channel` and `--stage` do not apply\n  help: `--persona P` exports the skills P uses".into(),
            ));
        }
        let json = args.report == ReportFormat::Json;
        let request = super::agent_skills::ExportRequest { out: args.out, force: args.force, personas: args.personas, json };
        return super::agent_skills::export(ctx, request);
    }
    let format = format(&args.format, true)?;
    let how = args.report;
    let (snapshot, project) = load(ctx, how.diagnostics(), None)?;
    let skills_apart = format == Format::ClaudeCode && project.catalog.config.exports.contains_key("agent-skills");
    let selection =
        Selection { personas: args.personas, channels: args.channels, stages: args.stages, skills_apart, ..Selection::default() };
    let exported = match export::personas(&project, &selection) {
        Ok(e) => e,
        Err(ExportError::Request(msg)) => return Err(Failure::Usage(msg)),
        Err(ExportError::Definitions(diags)) => {
            report(ctx, &diags, &crate::snapshot::Snapshot::default(), how.diagnostics());
            return Err(Failure::Definitions);
        }
    };
    let exporter = format.exporter().ok_or_else(|| Failure::Usage(format!("personac does not export {format}")))?;
    // A folder given is relative to where the command runs; the default is
    // the format's usual place in the repository.
    let (start, out) = match args.out {
        Some(out) => (ctx.start.clone(), out),
        None => (ctx.root.clone(), PathBuf::from(exporter.default_out())),
    };
    let (dir, folder) = crate::rules::export_dir(&ctx.root, &project.catalog.config, &start, &out).map_err(Failure::Usage)?;
    let files = match export::files(&project, format, &exported) {
        Ok(files) => files,
        Err(diags) => {
            report(ctx, &diags, &snapshot, how.diagnostics());
            return Err(Failure::Definitions);
        }
    };
    if !args.force {
        let config = &project.catalog.config;
        let index = crate::rules::out_dir(&ctx.root, config, None).ok().and_then(|d| crate::artifacts::read_index(&d));
        let owned = export::owned(index.as_ref(), &folder, &dir);
        let clashes: Vec<String> = export::clashes(&dir, &files, &owned).into_iter().map(|p| format!("{}/{p}", out.display())).collect();
        if !clashes.is_empty() {
            return Err(Failure::Usage(export::clash_message(&clashes)));
        }
    }
    let cannot = |e: std::io::Error| Failure::Usage(format!("cannot write to `{}`: {e}", out.display()));
    let written = export::write(&dir, &files, &[]).map_err(cannot)?;
    export::write_ledger(&dir, format.name(), &files).map_err(cannot)?;
    for path in &written.written {
        if ctx.verbose && how == ReportFormat::Text {
            status(ctx, "Wrote", &format!("{}/{path}", out.display()));
        }
    }
    let lost: Vec<(String, Vec<Loss>)> = exported.iter().map(|p| (p.name.clone(), exporter.lost(p))).collect();
    print_report(ctx, format.name(), &out, &lost, &written, how);
    let n = exported.len();
    status(
        ctx,
        "Exported",
        &format!(
            "{n} persona{} as {format} into {} ({} written, {} unchanged)",
            if n == 1 { "" } else { "s" },
            out.display(),
            written.written.len(),
            written.unchanged
        ),
    );
    Ok(())
}

/// `personac export bundle`: the build output as one JSON file, for
/// services that cannot read a folder.
fn export_bundle(ctx: &Ctx, args: ExportArgs) -> Outcome {
    if !args.personas.is_empty() || !args.channels.is_empty() || !args.stages.is_empty() {
        return Err(Failure::Usage(
            "a bundle holds every persona with every view: `--persona`, `--channel` and `--stage` do not apply\n  help: `personac export bundle --out FILE`".into(),
        ));
    }
    let how = args.report;
    let (snapshot, project) = load(ctx, how.diagnostics(), None)?;
    // A path given is relative to where the command runs; the default is in
    // the repository.
    let (start, out) = match args.out {
        Some(out) => (ctx.start.clone(), out),
        None => (ctx.root.clone(), PathBuf::from(crate::interop::bundle::DEFAULT_OUT)),
    };
    let (folder, file) = match out.extension().is_some_and(|e| e == "json") {
        true => (
            out.parent().map(std::path::Path::to_path_buf).unwrap_or_default(),
            out.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        ),
        false => (out.clone(), crate::interop::bundle::FILE.to_string()),
    };
    let (dir, in_repo) = crate::rules::export_dir(&ctx.root, &project.catalog.config, &start, &folder).map_err(Failure::Usage)?;
    let bytes = match crate::interop::bundle::bundle(&project, &snapshot) {
        Ok(bytes) => bytes,
        Err(diags) => {
            report(ctx, &diags, &snapshot, how.diagnostics());
            return Err(Failure::Definitions);
        }
    };
    let files = std::collections::BTreeMap::from([(file.clone(), bytes)]);
    if !args.force {
        let config = &project.catalog.config;
        let index = crate::rules::out_dir(&ctx.root, config, None).ok().and_then(|d| crate::artifacts::read_index(&d));
        let owned = export::owned(index.as_ref(), &in_repo, &dir);
        let clashes: Vec<String> =
            export::clashes(&dir, &files, &owned).into_iter().map(|p| folder.join(p).display().to_string()).collect();
        if !clashes.is_empty() {
            return Err(Failure::Usage(export::clash_message(&clashes)));
        }
    }
    let cannot = |e: std::io::Error| Failure::Usage(format!("cannot write to `{}`: {e}", folder.display()));
    let written = export::write(&dir, &files, &[]).map_err(cannot)?;
    export::write_ledger(&dir, "bundle", &files).map_err(cannot)?;
    let shown = folder.join(&file);
    // A bundle is the build itself: it loses nothing.
    let lost: Vec<(String, Vec<Loss>)> =
        project.catalog.personas.iter().filter(|(_, p)| !p.is_abstract).map(|(name, _)| (name.clone(), Vec::new())).collect();
    print_report(ctx, "bundle", &folder, &lost, &written, how);
    let n = project.catalog.personas.values().filter(|p| !p.is_abstract).count();
    status(
        ctx,
        "Exported",
        &format!(
            "{n} persona{} as a bundle into {} ({})",
            if n == 1 { "" } else { "s" },
            shown.display(),
            if written.written.is_empty() { "unchanged" } else { "written" }
        ),
    );
    Ok(())
}
