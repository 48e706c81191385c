//! The authoring commands: `arc`, `link`, `unlink` and `new`. Each edits one
//! file in place (see `crate::edit`), after compiling the repository with the
//! edit to make sure it stays valid, and can commit just that file.

use std::sync::Arc;

use clap::{Args, Subcommand};

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, load, parse_kind, report, status, usage};
use super::templates::{self, Form};
use crate::diag::did_you_mean;
use crate::edit::{self, Change, LinkField, Refusal};
use crate::git::Git;
use crate::model::{Kind, Request, TRAIT_TYPES};
use crate::project::Project;
use crate::snapshot::Snapshot;

#[derive(Subcommand)]
#[command(after_help = "Examples:
  personac arc status aria
  personac arc assign aria hero-journey --stage trial
  personac arc advance aria --commit
  personac arc reset aria")]
pub enum ArcCommand {
    /// Show a persona's arc, current stage, its condition and the next stage
    Status {
        /// The persona
        persona: String,
    },
    /// Put a persona on an arc, at its first stage or at --stage
    Assign {
        /// The persona to put on the arc
        persona: String,
        /// The arc (its name: the file name without extension)
        arc: String,
        /// The stage to start at (default: the arc's first)
        #[arg(long, value_name = "STAGE")]
        stage: Option<String>,
        #[command(flatten)]
        commit: CommitArg,
    },
    /// Move a persona to the next stage of its arc
    Advance {
        /// The persona to move on
        persona: String,
        #[command(flatten)]
        commit: CommitArg,
    },
    /// Move a persona back to the first stage of its arc
    Reset {
        /// The persona to move back
        persona: String,
        #[command(flatten)]
        commit: CommitArg,
    },
}

#[derive(Args)]
pub struct CommitArg {
    /// Commit the edited file (and nothing else) with a generated message
    #[arg(long)]
    commit: bool,
}

/// What to link or unlink: exactly one of the four.
#[derive(Args)]
#[group(id = "what", required = true, multiple = false)]
pub struct Target {
    /// A part to link (see `personac list part`)
    #[arg(long, value_name = "PART")]
    part: Option<String>,
    /// A trait to link (see `personac list trait`)
    #[arg(long = "trait", value_name = "TRAIT")]
    trait_: Option<String>,
    /// A skill to link (see `personac list skill`)
    #[arg(long, value_name = "SKILL")]
    skill: Option<String>,
    /// A guardrail to link (see `personac list guardrail`)
    #[arg(long, value_name = "GUARDRAIL")]
    guardrail: Option<String>,
}

impl Target {
    fn get(&self) -> (LinkField, String) {
        match (&self.part, &self.trait_, &self.skill, &self.guardrail) {
            (Some(p), ..) => (LinkField::Parts, p.clone()),
            (_, Some(t), ..) => (LinkField::Traits, t.clone()),
            (_, _, Some(s), _) => (LinkField::Skills, s.clone()),
            (_, _, _, Some(g)) => (LinkField::Guardrails, g.clone()),
            _ => unreachable!("clap requires one of them"),
        }
    }
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac link maya --part tone-warm
  personac link maya --part goal-upsell --order 35 --priority 4 --commit
  personac link maya --skill refund-policy")]
pub struct LinkArgs {
    /// The persona to edit
    persona: String,
    #[command(flatten)]
    target: Target,
    /// The part's place in the assembly (parts only)
    #[arg(long, value_name = "N", allow_negative_numbers = true, conflicts_with_all = ["trait_", "skill", "guardrail"])]
    order: Option<i64>,
    /// What survives a token budget, lowest dropped first (parts only)
    #[arg(long, value_name = "N", allow_negative_numbers = true, conflicts_with_all = ["trait_", "skill", "guardrail"])]
    priority: Option<i64>,
    #[command(flatten)]
    commit: CommitArg,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac unlink maya --part tone-warm
  personac unlink maya --guardrail refund-limit --commit")]
pub struct UnlinkArgs {
    /// The persona to edit
    persona: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    commit: CommitArg,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac new persona maya
  personac new part tone-calm --type tone --in tone --form yaml   writes parts/tone/tone-calm.yaml
  personac new arc hero-journey")]
pub struct NewArgs {
    /// The kind: persona, part, trait, skill, guardrail or arc
    kind: String,
    /// The new definition's name, which is its file name: lowercase letters, digits, `-` and `_`
    name: String,
    /// The part type or trait type
    #[arg(long = "type", value_name = "TYPE")]
    type_: Option<String>,
    /// A sub-folder of the kind's folder to put it in, such as `tone` for parts/tone/
    #[arg(long = "in", value_name = "SUBFOLDER")]
    within: Option<String>,
    /// The file form (default: md; arcs: toml)
    #[arg(long, value_enum)]
    form: Option<Form>,
    #[command(flatten)]
    commit: CommitArg,
}

fn persona_file(project: &Project, name: &str) -> Result<Arc<str>, Failure> {
    match project.catalog.personas.get(name) {
        Some(p) => Ok(p.meta.file.clone()),
        None => {
            let mut msg = format!("no persona named `{name}`");
            if let Some(best) = did_you_mean(name, project.catalog.names(Kind::Persona)) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            Err(Failure::Usage(msg))
        }
    }
}

fn refused(ctx: &Ctx, snapshot: &Snapshot, refusal: Refusal) -> Failure {
    match refusal {
        Refusal::Edit(msg) => {
            errln!("{}: {msg}", if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" });
            Failure::Definitions
        }
        Refusal::Invalid(diags) => {
            report(ctx, &diags, snapshot, DiagFormat::Text);
            if !ctx.quiet {
                errln!("the edit was refused: nothing was written");
            }
            Failure::Definitions
        }
    }
}

/// Writes an edit through the edit room (validated, atomic), and commits it
/// if asked.
fn save(ctx: &Ctx, snapshot: &Snapshot, path: &Arc<str>, text: &str, message: &str, commit: bool) -> Outcome {
    let saved = edit::save(&ctx.root, snapshot, path, Some(text), &ctx.cache, &Default::default())
        .map_err(|r| refused(ctx, &snapshot.with_file(path, text), r))?;
    if ctx.verbose {
        let (compiled, personas) = (saved.compiled, saved.personas);
        let rest = personas - compiled;
        status(ctx, "Validated", &format!("compiled {compiled} of {personas} personas with the edit ({rest} as index.json records them)"));
    }
    status(ctx, "Edited", &format!("{path}: {message}"));
    if commit {
        let git = Git::open(&ctx.root).map_err(usage)?;
        let oid = git.commit_file(path, message).map_err(usage)?;
        status(ctx, "Committed", &format!("{} {message}", &oid.to_string()[..10]));
    }
    Ok(())
}

fn change_persona(ctx: &Ctx, persona: &str, change: Change, message: String, commit: bool) -> Outcome {
    let (snapshot, project) = load(ctx, DiagFormat::Text, None)?;
    let path = persona_file(&project, persona)?;
    let text = snapshot.get(&path).unwrap_or_default();
    let new_text = edit::apply(&path, text, &change).map_err(|r| refused(ctx, &snapshot, r))?;
    if new_text == text {
        status(ctx, "Unchanged", &format!("{path}: {message}"));
        return Ok(());
    }
    save(ctx, &snapshot, &path, &new_text, &message, commit)
}

pub(super) fn arc(ctx: &Ctx, command: ArcCommand) -> Outcome {
    let (persona, action, commit) = match &command {
        ArcCommand::Status { persona } => (persona, None, false),
        ArcCommand::Assign { persona, arc, stage, commit } => {
            (persona, Some(edit::ArcAction::Assign { arc: arc.as_str(), stage: stage.as_deref() }), commit.commit)
        }
        ArcCommand::Advance { persona, commit } => (persona, Some(edit::ArcAction::Advance), commit.commit),
        ArcCommand::Reset { persona, commit } => (persona, Some(edit::ArcAction::Reset), commit.commit),
    };
    let (_, project) = load(ctx, DiagFormat::Text, None)?;
    persona_file(&project, persona)?;
    let Some(action) = action else { return arc_status(ctx, &project, persona) };
    match edit::arc_change(&project.catalog, persona, &action) {
        Ok((change, message)) => change_persona(ctx, persona, change, message, commit),
        // Already at the last stage: a refusal about the definitions (exit 1).
        Err(msg) if matches!(action, edit::ArcAction::Advance) && msg.contains("already at the last stage") => {
            errln!("{}: {msg}", if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" });
            Err(Failure::Definitions)
        }
        Err(msg) => Err(Failure::Usage(msg)),
    }
}

fn arc_status(ctx: &Ctx, project: &Project, persona: &str) -> Outcome {
    let resolved =
        project.catalog.resolve(persona, &Request::default()).map_err(|e| super::ctx::resolve_error(ctx, &Snapshot::default(), e))?;
    let Some(stage) = &resolved.stage else {
        outln!("{persona} has no arc");
        return Ok(());
    };
    let (arc, index) = (stage.arc, stage.index);
    let current = &arc.stages[index];
    outln!("{persona} follows arc `{}`", arc.meta.name);
    outln!("  stage:     {} ({} of {})", current.name.value, index + 1, arc.stages.len());
    if let Some(c) = &current.condition {
        outln!("  condition: {}", c.source.trim());
    }
    match arc.stages.get(index + 1) {
        Some(next) => outln!("  next:      {}", next.name.value),
        None => outln!("  next:      none (the last stage)"),
    }
    Ok(())
}

pub(super) fn link(ctx: &Ctx, args: LinkArgs) -> Outcome {
    let (field, name) = args.target.get();
    let message = format!("{}: link {} {name}", args.persona, field.kind());
    let change = Change::Link { field, name, order: args.order, priority: args.priority };
    change_persona(ctx, &args.persona, change, message, args.commit.commit)
}

pub(super) fn unlink(ctx: &Ctx, args: UnlinkArgs) -> Outcome {
    let (field, name) = args.target.get();
    let message = format!("{}: unlink {} {name}", args.persona, field.kind());
    change_persona(ctx, &args.persona, Change::Unlink { field, name }, message, args.commit.commit)
}

pub(super) fn new(ctx: &Ctx, args: NewArgs) -> Outcome {
    let kind = parse_kind(&args.kind)?;
    let name = &args.name;
    if let Some((folder, stem)) = name.rsplit_once(['/', '\\']) {
        return Err(Failure::Usage(format!(
            "`{name}` is a path, not a name: a definition's name is its file name\n  help: write `personac new {kind} {stem} --in {folder}` to put it in `{}/{folder}/`",
            kind.folder()
        )));
    }
    if !crate::parse::is_valid_name(name) {
        let mut msg = format!("`{name}` is not a valid name: use lowercase letters, digits, `-` and `_` (at most 64)");
        if let Some(fixed) = crate::parse::suggest_name(name) {
            msg.push_str(&format!("\n  help: did you mean `{fixed}`?"));
        }
        return Err(Failure::Usage(msg));
    }
    let (snapshot, project) = load(ctx, DiagFormat::Text, None)?;
    if let Some(existing) = project.catalog.meta(kind, name) {
        return Err(Failure::Usage(format!("a {kind} named `{name}` already exists: `{}`", existing.file)));
    }
    let types: Vec<&str> = match kind {
        Kind::Part => project.catalog.part_types.iter().map(String::as_str).collect(),
        Kind::Trait => TRAIT_TYPES.to_vec(),
        _ => Vec::new(),
    };
    let item_type = match (&args.type_, types.is_empty()) {
        (Some(t), false) if types.contains(&t.as_str()) => Some(t.clone()),
        (Some(t), false) => {
            let mut msg = format!("`{t}` is not a {kind} type");
            if let Some(best) = did_you_mean(t, types.iter().copied()) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            msg.push_str(&format!("\n  help: {kind} types are: {}", types.join(", ")));
            return Err(Failure::Usage(msg));
        }
        (None, false) => return Err(Failure::Usage(format!("a new {kind} needs a type: `--type T`, one of: {}", types.join(", ")))),
        (Some(_), true) => return Err(Failure::Usage(format!("a {kind} has no type; drop `--type`"))),
        (None, true) => None,
    };
    let form = match (args.form, kind) {
        (Some(Form::Md), Kind::Arc) => {
            return Err(Failure::Usage("an arc cannot be a Markdown file\n  help: use `--form toml`, `yaml` or `json`".into()));
        }
        (Some(form), _) => form,
        (None, Kind::Arc) => Form::Toml,
        (None, _) => Form::Md,
    };
    let folder = match &args.within {
        Some(sub)
            if !crate::rules::is_safe_relative(sub.trim_end_matches('/'))
                || !sub.split('/').filter(|s| !s.is_empty()).all(crate::parse::is_valid_name) =>
        {
            return Err(Failure::Usage(format!(
                "`--in {sub}` must name a sub-folder of `{}/`: folder names use lowercase letters, digits, `-` and `_`",
                kind.folder()
            )));
        }
        Some(sub) => format!("{}/{}", kind.folder(), sub.trim_end_matches('/')),
        None => kind.folder().to_string(),
    };
    let path: Arc<str> = format!(
        "{folder}/{name}.{}",
        match form {
            Form::Md => "md",
            Form::Toml => "toml",
            Form::Yaml => "yaml",
            Form::Json => "json",
        }
    )
    .into();
    if ctx.root.join(&*path).exists() {
        return Err(Failure::Usage(format!("`{path}` already exists")));
    }
    let schema = format!("{}docs/schemas/{kind}.schema.json", "../".repeat(folder.split('/').count()));
    let text = templates::new_file(kind, name, item_type.as_deref(), form, &schema);
    save(ctx, &snapshot, &path, &text, &format!("new {kind} {name}"), args.commit.commit)
}
