//! The read commands: `show`, `manifest`, `get`, `list` and `schema`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, load, parse_kind, parse_pair, report, status};
use crate::artifacts;
use crate::describe::ShowError;
use crate::diag;
use crate::model::{Kind, Override, Request};
use crate::project::Project;
use crate::render::View;
use crate::snapshot::{Listing, Snapshot};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Markdown, for people
    Md,
    /// One JSON object, for machines
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table, for people
    Text,
    /// A JSON array, for machines
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ViewArg {
    /// The compact overview: each part's summary
    Summary,
    /// The full system prompt
    Detail,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac show maya                               the detail view (the full system prompt)
  personac show maya --view summary --format json
  personac show maya --channel voice --var user_name=Ada
  personac show aria --stage trial --override tone=tone-spoken --types tone,goal")]
pub struct ShowArgs {
    /// The persona to show (its name: the file name without extension)
    persona: String,
    /// Which view: summary or detail
    #[arg(long, value_enum, default_value_t = ViewArg::Detail)]
    view: ViewArg,
    /// The arc stage to show (default: the persona's current stage)
    #[arg(long, value_name = "STAGE")]
    stage: Option<String>,
    /// The channel variant to show, such as `voice`
    #[arg(long, value_name = "CHANNEL")]
    channel: Option<String>,
    /// Replace the parts of TYPE with PART, as a runtime override (repeatable)
    #[arg(long = "override", value_name = "TYPE=PART")]
    overrides: Vec<String>,
    /// Keep only parts of these types
    #[arg(long, value_name = "TYPE,…", value_delimiter = ',')]
    types: Option<Vec<String>>,
    /// Keep the N parts with the highest priority
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    limit: Option<i64>,
    /// Set a template variable, such as a runtime variable's value (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read the sources from git at REV instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// Print each line beside the source line that made it (`parts/tone/tone-warm.md:7`), like `git blame`; with json, a `lines` list
    #[arg(long)]
    annotate: bool,
    /// md prints the view; json prints it with its parts, layers, tokens and settings
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    format: DocFormat,
}

#[derive(Args)]
pub struct ManifestArgs {
    /// The persona whose manifest to print
    persona: String,
    /// Read the sources from git at REV instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac get part tone-warm
  personac get guardrail refund-limit --persona maya --format json")]
pub struct GetArgs {
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
    /// Read the sources from git at REV instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// md for people, json for machines
    #[arg(long, value_enum, default_value_t = DocFormat::Md)]
    format: DocFormat,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac list persona
  personac list part --type tone
  personac list persona --tag support --format json")]
pub struct ListArgs {
    /// The kind: persona, part, trait, skill, guardrail or arc
    kind: String,
    /// Only parts or traits of this type
    #[arg(long = "type", value_name = "TYPE")]
    type_: Option<String>,
    /// Only definitions with this tag (a persona's inherited tags count)
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,
    /// Read the sources from git at REV instead of the working tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// text for people, json for machines
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

#[derive(Args)]
pub struct SchemaArgs {
    /// One kind (persona, part, trait, skill, guardrail, arc), `config`, or an artifact (`index`, `manifest`, `sources`); all when omitted
    kind: Option<String>,
    /// Write `<kind>.schema.json` files into DIR instead of printing
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn show(ctx: &Ctx, args: ShowArgs) -> Outcome {
    let limit = match args.limit {
        Some(n) if n < 0 => return Err(Failure::Usage(format!("`--limit {n}`: the limit is a number of parts, 0 or more"))),
        n => n.map(|n| n as usize),
    };
    let mut request = Request { stage: args.stage, channel: args.channel, types: args.types, limit, ..Request::default() };
    for o in &args.overrides {
        let (part_type, part) = parse_pair(o, "TYPE=PART")?;
        if part.trim().is_empty() {
            return Err(Failure::Usage(format!(
                "`--override {o}` names no part\n  help: write `--override TYPE=PART`, such as `--override tone=tone-spoken`"
            )));
        }
        request.overrides.push(Override { part_type, part });
    }
    for v in &args.vars {
        let (k, v) = parse_pair(v, "K=V")?;
        if !crate::parse::is_identifier(&k) {
            return Err(Failure::Usage(format!("`{k}` is not a valid variable name")));
        }
        request.vars.insert(k, v.into());
    }
    let view = match args.view {
        ViewArg::Summary => View::Summary,
        ViewArg::Detail => View::Detail,
    };
    let mut wanted = vec![(Kind::Persona, args.persona.as_str())];
    wanted.extend(request.overrides.iter().map(|o| (Kind::Part, o.part.as_str())));
    let shown = on_reached(ctx, args.rev.as_deref(), &wanted, |_, project| {
        let resolved = project.catalog.resolve(&args.persona, &request).map_err(ShowError::from)?;
        if args.annotate {
            let (rendered, [summary, detail]) =
                artifacts::traced_views(&project.renderer, &project.tokenizer, &resolved).map_err(ShowError::Definitions)?;
            let traced = if view == View::Summary { summary } else { detail };
            let text = &traced.fitted.text;
            let lines = traced.lines.unwrap_or_else(|| text.lines().map(crate::render::LineSource::unknown).collect());
            return Ok(match args.format {
                DocFormat::Md => annotated(&lines),
                DocFormat::Json => {
                    let mut value = crate::describe::shown(&resolved, &rendered, &traced.fitted, view);
                    value["lines"] = serde_json::to_value(&lines).unwrap_or_default();
                    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
                }
            });
        }
        let (rendered, [summary, detail]) =
            artifacts::views(&project.renderer, &project.tokenizer, &resolved).map_err(ShowError::Definitions)?;
        let fitted = if view == View::Summary { summary } else { detail };
        Ok(match args.format {
            DocFormat::Md => fitted.text,
            DocFormat::Json => {
                let value = crate::describe::shown(&resolved, &rendered, &fitted, view);
                format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
            }
        })
    })?;
    out!("{shown}");
    Ok(())
}

/// Each line of a view beside its source, the places in one column.
fn annotated(lines: &[crate::render::LineSource]) -> String {
    let places: Vec<String> = lines.iter().map(|l| l.place()).collect();
    let width = places.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (place, line) in places.iter().zip(lines) {
        let row = format!("{place:<width$}  {}", line.text);
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn manifest(ctx: &Ctx, args: ManifestArgs) -> Outcome {
    let persona = args.persona.as_str();
    let value = on_reached(ctx, args.rev.as_deref(), &[(Kind::Persona, persona)], |_, project| {
        let resolved = project.catalog.resolve(persona, &Request::default()).map_err(ShowError::from)?;
        artifacts::manifest_of(&project.catalog, &project.renderer, &project.tokenizer, &resolved.name).map_err(ShowError::Definitions)
    })?;
    outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    Ok(())
}

pub(super) fn get(ctx: &Ctx, args: GetArgs) -> Outcome {
    let persona = args.persona.as_deref().map(|p| (p, args.channel.as_deref()));
    let kind = parse_kind(&args.kind)?;
    let mut wanted = vec![(kind, args.name.as_str())];
    wanted.extend(persona.map(|(p, _)| (Kind::Persona, p)));
    let value = on_reached(ctx, args.rev.as_deref(), &wanted, |_, project| {
        crate::describe::rendered(&project.catalog, &project.renderer, kind, &args.name, persona)
    })?;
    match args.format {
        DocFormat::Json => outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default()),
        DocFormat::Md => out!("{}", crate::describe::markdown(&value)),
    }
    Ok(())
}

/// Runs `attempt` on the files that `wanted` reach, read from the working
/// tree ([`crate::reach`]). If that does not succeed (a problem in those
/// files, an unknown name, or `--rev`), runs it on the whole repository,
/// whose problems are then reported as every command reports them, with
/// suggestions drawn from every name.
pub(super) fn on_reached<T>(
    ctx: &Ctx,
    rev: Option<&str>,
    wanted: &[(Kind, &str)],
    attempt: impl Fn(&Snapshot, &Project) -> Result<T, ShowError>,
) -> Result<T, Failure> {
    if rev.is_none() {
        let cache = &ctx.cache;
        let listing = Listing::of(&ctx.root);
        let total = listing.paths.len();
        let (snapshot, diags) = crate::reach::snapshot(listing, wanted, cache);
        if ctx.verbose {
            status(ctx, "Reached", &format!("{} of {total} source files", snapshot.files().count()));
        }
        if diags.is_empty()
            && let Ok(project) = Project::load(&snapshot, cache)
            && let Ok(done) = attempt(&snapshot, &project)
        {
            let warnings = snapshot.warnings();
            if !ctx.quiet && !warnings.is_empty() {
                report(ctx, &warnings, &snapshot, DiagFormat::Text);
            }
            return Ok(done);
        }
    }
    let (snapshot, project) = load(ctx, DiagFormat::Text, rev)?;
    if ctx.verbose {
        status(ctx, "Loaded", &format!("all {} source files", snapshot.files().count()));
    }
    attempt(&snapshot, &project).map_err(|e| match e {
        ShowError::Request(msg) => Failure::Usage(msg),
        ShowError::Definitions(mut diags) => {
            diag::normalize(&mut diags);
            report(ctx, &diags, &snapshot, DiagFormat::Text);
            Failure::Definitions
        }
    })
}

pub(super) fn list(ctx: &Ctx, args: ListArgs) -> Outcome {
    let (type_, tag, rev, format) = (args.type_.as_deref(), args.tag.as_deref(), args.rev.as_deref(), args.format);
    let kind = parse_kind(&args.kind)?;
    let (_, project) = load(ctx, DiagFormat::Text, rev)?;
    if let Some(wanted) = type_ {
        let types: Vec<&str> = match kind {
            Kind::Part => project.catalog.part_types.iter().map(String::as_str).collect(),
            Kind::Trait => crate::model::TRAIT_TYPES.to_vec(),
            _ => return Err(Failure::Usage(format!("a {kind} has no type: `--type` applies to parts and traits"))),
        };
        if !types.contains(&wanted) {
            let mut msg = format!("`{wanted}` is not a {kind} type");
            if let Some(best) = diag::did_you_mean(wanted, types.iter().copied()) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            msg.push_str(&format!("\n  help: {kind} types are: {}", types.join(", ")));
            return Err(Failure::Usage(msg));
        }
    }
    let rows = crate::describe::list(&project.catalog, &project.renderer, kind, type_, tag);
    match format {
        ListFormat::Json => outln!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default()),
        ListFormat::Text => {
            let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            // An abstract persona says so where other kinds show their type.
            let type_of =
                |r: &crate::describe::Row| r.item_type.clone().unwrap_or_else(|| (if r.is_abstract { "abstract" } else { "-" }).into());
            let type_w = rows.iter().map(|r| type_of(r).len()).max().unwrap_or(4).max(4);
            // Kinds without types (and personas none of which is abstract)
            // have no TYPE column.
            let typed = rows.iter().any(|r| type_of(r) != "-");
            let mut out = if typed {
                format!("{:name_w$}  {:type_w$}  DESCRIPTION\n", "NAME", "TYPE")
            } else {
                format!("{:name_w$}  DESCRIPTION\n", "NAME")
            };
            for r in &rows {
                let t = type_of(r);
                let description = r.description.as_deref().unwrap_or("").replace('\n', " ");
                let line = if typed {
                    format!("{:name_w$}  {t:type_w$}  {description}", r.name)
                } else {
                    format!("{:name_w$}  {description}", r.name)
                };
                out.push_str(line.trim_end());
                out.push('\n');
            }
            out!("{out}");
        }
    }
    Ok(())
}

pub(super) fn schema(ctx: &Ctx, args: SchemaArgs) -> Outcome {
    let (kind, out) = (args.kind.as_deref(), args.out);
    let schemas = match kind {
        None => crate::schema::all(),
        Some("config" | "personac" | "personac.toml") => vec![("personac.schema.json".to_string(), crate::schema::config())],
        Some(word @ ("index" | "manifest" | "sources")) => {
            vec![(format!("{word}.schema.json"), crate::schema::artifact(word).unwrap_or_default())]
        }
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
