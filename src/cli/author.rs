//! The authoring commands: `arc`, `link`, `unlink` and `new`. Each edits one
//! file in place (see `crate::edit`), after compiling the repository with the
//! edit to make sure it stays valid, and can commit just that file.

use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand};

use super::{Ctx, DiagFormat, Failure, Outcome, load, parse_kind, report, status, usage};
use crate::Project;
use crate::artifacts;
use crate::catalog::Cache;
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
            eprintln!("{}: {msg}", if ctx.color { "\x1b[1;91merror\x1b[0m" } else { "error" });
            Failure::Definitions
        }
        Refusal::Invalid(diags) => {
            report(ctx, &diags, snapshot, DiagFormat::Text);
            if !ctx.quiet {
                eprintln!("the edit was refused: nothing was written");
            }
            Failure::Definitions
        }
    }
}

/// Checks that the repository with `path` set to `text` compiles, writes
/// the file atomically, and commits it if asked.
fn save(ctx: &Ctx, snapshot: &Snapshot, path: &Arc<str>, text: &str, message: &str, commit: bool) -> Outcome {
    let edited = snapshot.with_file(path, text);
    let check = Project::load(&edited, &Cache::default())
        .and_then(|p| artifacts::compile(&p.catalog, &p.renderer, &p.tokenizer, &edited, None, None).map(|_| ()));
    if let Err(diags) = check {
        return Err(refused(ctx, &edited, Refusal::Invalid(diags)));
    }
    edit::write_atomic(&ctx.root.join(&**path), text).map_err(|e| Failure::Usage(format!("cannot write `{path}`: {e}")))?;
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
    let persona = match &command {
        ArcCommand::Status { persona }
        | ArcCommand::Assign { persona, .. }
        | ArcCommand::Advance { persona, .. }
        | ArcCommand::Reset { persona, .. } => persona.clone(),
    };
    let (_, project) = load(ctx, DiagFormat::Text, None)?;
    persona_file(&project, &persona)?;
    let resolved =
        project.catalog.resolve(&persona, &Request::default()).map_err(|e| super::resolve_error(ctx, &Snapshot::default(), e))?;
    let current = resolved.stage.as_ref().map(|s| (s.arc, s.index));
    let no_arc =
        || Failure::Usage(format!("persona `{persona}` has no arc\n  help: put it on one with `personac arc assign {persona} ARC`"));
    match command {
        ArcCommand::Status { .. } => {
            let Some((arc, index)) = current else {
                println!("{persona} has no arc");
                return Ok(());
            };
            let stage = &arc.stages[index];
            println!("{persona} follows arc `{}`", arc.meta.name);
            println!("  stage:     {} ({} of {})", stage.name.value, index + 1, arc.stages.len());
            if let Some(c) = &stage.condition {
                println!("  condition: {}", c.source.trim());
            }
            match arc.stages.get(index + 1) {
                Some(next) => println!("  next:      {}", next.name.value),
                None => println!("  next:      none (the last stage)"),
            }
            Ok(())
        }
        ArcCommand::Assign { arc, stage, commit, .. } => {
            let Some(definition) = project.catalog.arcs.get(&arc) else {
                let mut msg = format!("no arc named `{arc}`");
                if let Some(best) = did_you_mean(&arc, project.catalog.names(Kind::Arc)) {
                    msg.push_str(&format!("\n  help: did you mean `{best}`?"));
                }
                return Err(Failure::Usage(msg));
            };
            if let Some(stage) = &stage
                && !definition.stages.iter().any(|s| &s.name.value == stage)
            {
                let names: Vec<&str> = definition.stages.iter().map(|s| s.name.value.as_str()).collect();
                return Err(Failure::Usage(format!("arc `{arc}` has no stage `{stage}`\n  help: its stages are: {}", names.join(", "))));
            }
            let message = match &stage {
                Some(s) => format!("{persona}: assign arc {arc} at {s}"),
                None => format!("{persona}: assign arc {arc}"),
            };
            change_persona(ctx, &persona, Change::SetArc { name: arc, stage }, message, commit.commit)
        }
        ArcCommand::Advance { commit, .. } => {
            let (arc, index) = current.ok_or_else(no_arc)?;
            let Some(next) = arc.stages.get(index + 1) else {
                eprintln!(
                    "error: persona `{persona}` is already at the last stage `{}` of arc `{}`\n  help: `personac arc reset {persona}` starts it over",
                    arc.stages[index].name.value, arc.meta.name
                );
                return Err(Failure::Definitions);
            };
            let message = format!("{persona}: advance arc {} to {}", arc.meta.name, next.name.value);
            change_persona(
                ctx,
                &persona,
                Change::SetArc { name: arc.meta.name.clone(), stage: Some(next.name.value.clone()) },
                message,
                commit.commit,
            )
        }
        ArcCommand::Reset { commit, .. } => {
            let (arc, _) = current.ok_or_else(no_arc)?;
            let message = format!("{persona}: reset arc {} to {}", arc.meta.name, arc.stages[0].name.value);
            // Without a stage, a persona is at its arc's first stage.
            change_persona(ctx, &persona, Change::SetArc { name: arc.meta.name.clone(), stage: None }, message, commit.commit)
        }
    }
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
