//! The authoring commands: `arc`, `link`, `unlink` and `new`. Each edits one
//! file in place (see `crate::edit`), after compiling the repository with the
//! edit to make sure it stays valid, and can commit just that file.

use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand};

use super::{Ctx, DiagFormat, Failure, Outcome, load, parse_kind, report, status, usage};
use crate::Project;
use crate::diag::did_you_mean;
use crate::edit::{self, Change, LinkField, Refusal};
use crate::git::Git;
use crate::model::{Kind, Request, TRAIT_TYPES};
use crate::snapshot::Snapshot;

#[derive(Subcommand)]
pub enum ArcCommand {
    /// Show a persona's arc, current stage, its condition and the next stage
    Status { persona: String },
    /// Put a persona on an arc, at its first stage or at --stage
    Assign {
        persona: String,
        arc: String,
        #[arg(long, value_name = "S")]
        stage: Option<String>,
        #[command(flatten)]
        commit: CommitArg,
    },
    /// Move a persona to the next stage of its arc
    Advance {
        persona: String,
        #[command(flatten)]
        commit: CommitArg,
    },
    /// Move a persona back to the first stage of its arc
    Reset {
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

#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["part", "trait_", "skill", "guardrail"])))]
pub struct LinkArgs {
    persona: String,
    #[arg(long, value_name = "P")]
    part: Option<String>,
    #[arg(long = "trait", value_name = "T")]
    trait_: Option<String>,
    #[arg(long, value_name = "S")]
    skill: Option<String>,
    #[arg(long, value_name = "G")]
    guardrail: Option<String>,
    /// The part's place in the assembly (with --part)
    #[arg(long, requires = "part", value_name = "N")]
    order: Option<i64>,
    /// What survives a token budget: lowest goes first (with --part)
    #[arg(long, requires = "part", value_name = "N")]
    priority: Option<i64>,
    #[command(flatten)]
    commit: CommitArg,
}

impl LinkArgs {
    fn target(&self) -> (LinkField, String) {
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
pub struct NewArgs {
    kind: String,
    name: String,
    /// The part type or trait type
    #[arg(long = "type", value_name = "T")]
    type_: Option<String>,
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
    edit::save(&ctx.root, snapshot, path, Some(text)).map_err(|r| refused(ctx, &snapshot.with_file(path, text), r))?;
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
    let resolved = project.catalog.resolve(persona, &Request::default()).map_err(|e| super::resolve_error(ctx, &Snapshot::default(), e))?;
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

pub(super) fn link(ctx: &Ctx, args: LinkArgs, add: bool) -> Outcome {
    let (field, name) = args.target();
    let kind = field.kind();
    let (verb, change) = if add {
        ("link", Change::Link { field, name: name.clone(), order: args.order, priority: args.priority })
    } else {
        ("unlink", Change::Unlink { field, name: name.clone() })
    };
    let message = format!("{}: {verb} {kind} {name}", args.persona);
    change_persona(ctx, &args.persona, change, message, args.commit.commit)
}

pub(super) fn new(ctx: &Ctx, args: NewArgs) -> Outcome {
    let kind = parse_kind(&args.kind)?;
    let name = &args.name;
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
    let (path, text) = template(kind, name, item_type.as_deref());
    let path: Arc<str> = path.into();
    if ctx.root.join(&*path).exists() {
        return Err(Failure::Usage(format!("`{path}` already exists")));
    }
    std::fs::create_dir_all(ctx.root.join(kind.folder())).map_err(|e| Failure::Usage(format!("cannot create `{}`: {e}", kind.folder())))?;
    save(ctx, &snapshot, &path, &text, &format!("new {kind} {name}"), args.commit.commit)
}

/// A small, valid starting point for each kind.
fn template(kind: Kind, name: &str, item_type: Option<&str>) -> (String, String) {
    let title = crate::render::title_case(name);
    let folder = kind.folder();
    match kind {
        Kind::Persona => (
            format!("{folder}/{name}.md"),
            format!(
                "+++\nversion = \"0.1.0\"\nsummary = \"{title} in one sentence: who they are and what they do.\"\ndescription = \"\"\nparts = []\ntraits = []\nskills = []\nguardrails = []\n+++\nYou are {title}. Write the full instructions here: this body is the persona's detail view.\n"
            ),
        ),
        Kind::Part => (
            format!("{folder}/{name}.md"),
            format!(
                "+++\ntype = \"{}\"\nsummary = \"What this {} part says, in one line.\"\n+++\nWrite the part's full text here.\n",
                item_type.unwrap_or("context"),
                item_type.unwrap_or("context")
            ),
        ),
        Kind::Trait => (
            format!("{folder}/{name}.md"),
            format!(
                "+++\ntype = \"{}\"\ndescription = \"{title}: the trait in one line.\"\n+++\nHow the persona shows this trait, as an instruction.\n",
                item_type.unwrap_or("personality")
            ),
        ),
        Kind::Skill => (
            format!("{folder}/{name}.md"),
            format!("+++\ndescription = \"{title}: what the skill lets the persona do.\"\n+++\nHow and when to use it.\n"),
        ),
        Kind::Guardrail => (
            format!("{folder}/{name}.md"),
            format!("+++\ndescription = \"{title}: what must never happen.\"\nseverity = \"medium\"\n+++\nThe rule, stated plainly.\n"),
        ),
        Kind::Arc => (
            format!("{folder}/{name}.toml"),
            format!(
                "summary = \"{title}: where the arc goes.\"\n\n[[stages]]\nname = \"start\"\ndescription = \"Where it begins.\"\ncondition = \"The story starts.\"\nparts = []\n"
            ),
        ),
    }
}
