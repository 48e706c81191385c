//! The write tools (`serve --allow-write`). Each edits files through the edit
//! room, as the authoring commands do: the edit is checked by compiling the
//! repository with it, written atomically, and a refused edit changes nothing
//! and returns an error result that says why.

use std::sync::Arc;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use toml_edit::Value as Toml;

use super::{Answer, NameArg, PersonaName, Server, fail, fail_with, ok, persona_named};
use crate::edit::{self, ArcAction, ArcChange, Change, LinkField, Refusal};
use crate::model::{Kind, TRAIT_TYPES};

#[derive(Deserialize, JsonSchema)]
pub struct NewPersona {
    /// The new persona's name: lowercase letters, digits, `-` and `_`.
    pub name: String,
    /// One sentence: who the persona is and what it does.
    pub summary: String,
    /// Semantic version (default 0.1.0).
    pub version: Option<String>,
    pub description: Option<String>,
    /// The full instructions (the detail view's own text).
    pub detail: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaUpdate {
    /// The persona's name, e.g. `maya` (the same argument as `persona`: give one of them).
    pub name: Option<String>,
    /// The persona's name, e.g. `maya` (the same argument as `name`).
    pub persona: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub detail: Option<String>,
    /// A new semantic version.
    pub version: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct NewPart {
    pub name: String,
    /// The part type: system, agent, soul, identity, skill, specialization, tone, goal, context, protocol, backstory, motivation, voice, archetype, flaw, relationship (or one declared in personac.toml).
    pub part_type: String,
    /// What the part says, in one line (the summary view shows it).
    pub summary: String,
    /// The part's full text (the detail view shows it).
    pub content: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PartUpdate {
    pub name: String,
    pub part_type: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct NewTrait {
    pub name: String,
    /// personality, cognitive, emotional, social or behavioral.
    pub trait_type: String,
    pub description: String,
    /// How the persona shows the trait, as an instruction.
    pub instruction: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct TraitUpdate {
    pub name: String,
    pub trait_type: Option<String>,
    pub description: Option<String>,
    pub instruction: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaPart {
    /// The persona to change.
    pub persona: String,
    /// The part to link or unlink.
    pub part: String,
    /// The part's place in the assembly (adding only).
    pub order: Option<i64>,
    /// What survives a token budget, lowest dropped first (adding only).
    pub priority: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaTrait {
    pub persona: String,
    #[serde(rename = "trait")]
    pub trait_name: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaSkill {
    pub persona: String,
    pub skill: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaGuardrail {
    pub persona: String,
    pub guardrail: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct StageSpec {
    pub name: String,
    pub description: Option<String>,
    /// When the calling agent should consider the stage reached (free text).
    pub condition: Option<String>,
    /// Parts that replace the persona's parts of the same type during this stage.
    #[serde(default)]
    pub parts: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct NewArc {
    pub name: String,
    pub summary: Option<String>,
    /// The stages, in order (at least one).
    pub stages: Vec<StageSpec>,
}

#[derive(Deserialize, JsonSchema)]
pub struct NewStage {
    /// The arc.
    pub name: String,
    /// The new stage's name.
    pub stage: String,
    pub description: Option<String>,
    pub condition: Option<String>,
    #[serde(default)]
    pub parts: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct StagePart {
    /// The arc.
    pub name: String,
    pub stage: String,
    pub part: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaArc {
    pub persona: String,
    pub arc: String,
    /// The stage to start at (default: the first).
    pub stage: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaOnly {
    pub persona: String,
}

fn text_list(values: &[String]) -> Toml {
    Toml::Array(values.iter().map(String::as_str).collect())
}

impl Server {
    /// Writes one file through the edit room, and answers.
    fn save(&self, path: &Arc<str>, text: Option<&str>, message: &str) -> Answer {
        let loaded = self.loaded();
        match edit::save(&self.state.root, &loaded.snapshot, path, text, &self.state.cache, &self.state.index) {
            Ok(saved) => {
                self.state.written(super::Loaded { snapshot: saved.snapshot, project: Ok(saved.project) });
                ok(json!({ "file": &**path, "done": message }))
            }
            Err(refusal) => {
                let edited = match text {
                    Some(text) => loaded.snapshot.with_file(path, text),
                    None => loaded.snapshot.without(path),
                };
                refused(refusal, &edited)
            }
        }
    }

    /// The file and text of a definition, or an error answer.
    fn source(&self, kind: Kind, name: &str) -> Result<(Arc<str>, String), Answer> {
        let loaded = self.loaded();
        let project =
            loaded.project.as_ref().map_err(|d| fail_with("the persona repository has errors; fix them first", d, &loaded.snapshot))?;
        let meta = project.catalog.meta(kind, name).ok_or_else(|| fail(super::unknown(project, kind, name)))?;
        let text = loaded.snapshot.get(&meta.file).unwrap_or_default().to_string();
        Ok((meta.file.clone(), text))
    }

    /// A new file, after checking the name is free and valid.
    fn create(&self, kind: Kind, name: &str, text: String) -> Answer {
        let _writing = self.state.writes.lock().unwrap_or_else(|p| p.into_inner());
        if !crate::parse::is_valid_name(name) {
            return fail(format!("`{name}` is not a valid name: use lowercase letters, digits, `-` and `_` (at most 64)"));
        }
        let loaded = self.loaded();
        if let Ok(project) = &loaded.project
            && let Some(existing) = project.catalog.meta(kind, name)
        {
            return fail(format!("a {kind} named `{name}` already exists: `{}`", existing.file));
        }
        let ext = if kind == Kind::Arc { "toml" } else { "md" };
        let path: Arc<str> = format!("{}/{name}.{ext}", kind.folder()).into();
        if self.state.root.join(&*path).exists() {
            return fail(format!("`{path}` already exists"));
        }
        self.save(&path, Some(&text), &format!("new {kind} {name}"))
    }

    /// Sets text fields of a definition, one after the other, then saves.
    fn update(&self, kind: Kind, name: &str, fields: &[(&str, Option<&String>)]) -> Answer {
        let _writing = self.state.writes.lock().unwrap_or_else(|p| p.into_inner());
        let (path, mut text) = match self.source(kind, name) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let mut changed = Vec::new();
        for (field, value) in fields {
            if let Some(value) = value {
                text = match edit::set_text(&path, &text, field, value) {
                    Ok(t) => t,
                    Err(r) => return refused(r, &self.loaded().snapshot.with_file(&path, &text)),
                };
                changed.push(*field);
            }
        }
        if changed.is_empty() {
            return fail("nothing to update: give at least one field");
        }
        self.save(&path, Some(&text), &format!("{name}: update {}", changed.join(", ")))
    }

    fn delete(&self, kind: Kind, name: &str) -> Answer {
        let _writing = self.state.writes.lock().unwrap_or_else(|p| p.into_inner());
        match self.source(kind, name) {
            Ok((path, _)) => self.save(&path, None, &format!("delete {kind} {name}")),
            Err(answer) => answer,
        }
    }

    /// A change to a persona's file (links, arc).
    fn change(&self, persona: &str, change: Change, message: String) -> Answer {
        let _writing = self.state.writes.lock().unwrap_or_else(|p| p.into_inner());
        let (path, text) = match self.source(Kind::Persona, persona) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        match edit::apply(&path, &text, &change) {
            Ok(new_text) => self.save(&path, Some(&new_text), &message),
            Err(r) => refused(r, &self.loaded().snapshot),
        }
    }

    fn link(&self, persona: &str, field: LinkField, name: &str, add: bool, order: Option<i64>, priority: Option<i64>) -> Answer {
        let kind = field.kind();
        let (verb, change) = if add {
            ("link", Change::Link { field, name: name.to_string(), order, priority })
        } else {
            ("unlink", Change::Unlink { field, name: name.to_string() })
        };
        self.change(persona, change, format!("{persona}: {verb} {kind} {name}"))
    }

    fn arc_action(&self, persona: &str, action: ArcAction) -> Answer {
        let change = {
            let loaded = self.loaded();
            let Ok(project) = &loaded.project else { return fail("the persona repository has errors; fix them first") };
            edit::arc_change(&project.catalog, persona, &action)
        };
        match change {
            Ok((change, message)) => self.change(persona, change, message),
            Err(msg) => fail(msg),
        }
    }

    fn arc_edit(&self, arc: &str, change: ArcChange, message: String) -> Answer {
        let _writing = self.state.writes.lock().unwrap_or_else(|p| p.into_inner());
        let (path, text) = match self.source(Kind::Arc, arc) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        match edit::edit_arc(&path, &text, &change) {
            Ok(new_text) => self.save(&path, Some(&new_text), &message),
            Err(r) => refused(r, &self.loaded().snapshot),
        }
    }
}

fn refused(refusal: Refusal, snapshot: &crate::snapshot::Snapshot) -> Answer {
    match refusal {
        Refusal::Edit(msg) => fail(format!("refused, nothing was written: {msg}")),
        Refusal::Invalid(diags) => fail_with("refused, nothing was written: the result would not compile", &diags, snapshot),
    }
}

#[tool_router(router = write_router, vis = "pub(super)")]
impl Server {
    #[tool(description = "Create a persona file (personas/NAME.md) from a summary and optional version, description, detail and tags.")]
    async fn create_agent_persona(&self, Parameters(a): Parameters<NewPersona>) -> Answer {
        let mut fields =
            vec![("version", Toml::from(a.version.as_deref().unwrap_or("0.1.0"))), ("summary", Toml::from(a.summary.as_str()))];
        if let Some(d) = &a.description {
            fields.push(("description", Toml::from(d.as_str())));
        }
        if let Some(t) = &a.tags {
            fields.push(("tags", text_list(t)));
        }
        self.create(Kind::Persona, &a.name, edit::new_file(&fields, a.detail.as_deref()))
    }

    #[tool(description = "Update a persona's summary, description, detail or version, keeping the rest of its file as it is.")]
    async fn update_agent_persona(&self, Parameters(a): Parameters<PersonaUpdate>) -> Answer {
        let fields = [
            ("summary", a.summary.as_ref()),
            ("description", a.description.as_ref()),
            ("detail", a.detail.as_ref()),
            ("version", a.version.as_ref()),
        ];
        match persona_named(&a.name, &a.persona) {
            Ok(name) => self.update(Kind::Persona, name, &fields),
            Err(message) => fail(message),
        }
    }

    #[tool(description = "Delete a persona's file; refused if another persona extends it.")]
    async fn delete_agent_persona(&self, Parameters(a): Parameters<PersonaName>) -> Answer {
        match persona_named(&a.name, &a.persona) {
            Ok(name) => self.delete(Kind::Persona, name),
            Err(message) => fail(message),
        }
    }

    #[tool(description = "Create a part file (parts/NAME.md) of a part type, with its summary and optional content, description and tags.")]
    async fn create_agent_part(&self, Parameters(a): Parameters<NewPart>) -> Answer {
        let mut fields = vec![("type", Toml::from(a.part_type.as_str())), ("summary", Toml::from(a.summary.as_str()))];
        if let Some(d) = &a.description {
            fields.push(("description", Toml::from(d.as_str())));
        }
        if let Some(t) = &a.tags {
            fields.push(("tags", text_list(t)));
        }
        self.create(Kind::Part, &a.name, edit::new_file(&fields, a.content.as_deref()))
    }

    #[tool(description = "Update a part's summary, content, description or type, keeping the rest of its file as it is.")]
    async fn update_agent_part(&self, Parameters(a): Parameters<PartUpdate>) -> Answer {
        let fields = [
            ("summary", a.summary.as_ref()),
            ("content", a.content.as_ref()),
            ("description", a.description.as_ref()),
            ("type", a.part_type.as_ref()),
        ];
        self.update(Kind::Part, &a.name, &fields)
    }

    #[tool(description = "Delete a part's file; refused while a persona or arc stage uses it.")]
    async fn delete_agent_part(&self, Parameters(a): Parameters<NameArg>) -> Answer {
        self.delete(Kind::Part, &a.name)
    }

    #[tool(description = "Create a trait file (traits/NAME.md) of a trait type, with its description and optional instruction and tags.")]
    async fn create_agent_trait(&self, Parameters(a): Parameters<NewTrait>) -> Answer {
        if !TRAIT_TYPES.contains(&a.trait_type.as_str()) {
            return fail(format!("`{}` is not a trait type; trait types are: {}", a.trait_type, TRAIT_TYPES.join(", ")));
        }
        let mut fields = vec![("type", Toml::from(a.trait_type.as_str())), ("description", Toml::from(a.description.as_str()))];
        if let Some(t) = &a.tags {
            fields.push(("tags", text_list(t)));
        }
        self.create(Kind::Trait, &a.name, edit::new_file(&fields, a.instruction.as_deref()))
    }

    #[tool(description = "Update a trait's description, instruction or type, keeping the rest of its file as it is.")]
    async fn update_agent_trait(&self, Parameters(a): Parameters<TraitUpdate>) -> Answer {
        let fields = [("description", a.description.as_ref()), ("instruction", a.instruction.as_ref()), ("type", a.trait_type.as_ref())];
        self.update(Kind::Trait, &a.name, &fields)
    }

    #[tool(description = "Delete a trait's file; refused while a persona uses it.")]
    async fn delete_agent_trait(&self, Parameters(a): Parameters<NameArg>) -> Answer {
        self.delete(Kind::Trait, &a.name)
    }

    #[tool(description = "Link a part to a persona, optionally with its order and priority.")]
    async fn add_persona_part(&self, Parameters(a): Parameters<PersonaPart>) -> Answer {
        self.link(&a.persona, LinkField::Parts, &a.part, true, a.order, a.priority)
    }

    #[tool(description = "Unlink a part from a persona.")]
    async fn remove_persona_part(&self, Parameters(a): Parameters<PersonaPart>) -> Answer {
        self.link(&a.persona, LinkField::Parts, &a.part, false, None, None)
    }

    #[tool(description = "Link a trait to a persona.")]
    async fn add_persona_trait(&self, Parameters(a): Parameters<PersonaTrait>) -> Answer {
        self.link(&a.persona, LinkField::Traits, &a.trait_name, true, None, None)
    }

    #[tool(description = "Unlink a trait from a persona.")]
    async fn remove_persona_trait(&self, Parameters(a): Parameters<PersonaTrait>) -> Answer {
        self.link(&a.persona, LinkField::Traits, &a.trait_name, false, None, None)
    }

    #[tool(description = "Link a skill to a persona.")]
    async fn add_persona_skill(&self, Parameters(a): Parameters<PersonaSkill>) -> Answer {
        self.link(&a.persona, LinkField::Skills, &a.skill, true, None, None)
    }

    #[tool(description = "Unlink a skill from a persona.")]
    async fn remove_persona_skill(&self, Parameters(a): Parameters<PersonaSkill>) -> Answer {
        self.link(&a.persona, LinkField::Skills, &a.skill, false, None, None)
    }

    #[tool(description = "Link a guardrail to a persona.")]
    async fn add_persona_guardrail(&self, Parameters(a): Parameters<PersonaGuardrail>) -> Answer {
        self.link(&a.persona, LinkField::Guardrails, &a.guardrail, true, None, None)
    }

    #[tool(description = "Unlink a guardrail from a persona.")]
    async fn remove_persona_guardrail(&self, Parameters(a): Parameters<PersonaGuardrail>) -> Answer {
        self.link(&a.persona, LinkField::Guardrails, &a.guardrail, false, None, None)
    }

    #[tool(description = "Create a character arc file (arcs/NAME.toml) with its stages in order.")]
    async fn create_character_arc(&self, Parameters(a): Parameters<NewArc>) -> Answer {
        if a.stages.is_empty() {
            return fail("an arc needs at least one stage");
        }
        let mut doc = toml_edit::DocumentMut::new();
        if let Some(summary) = &a.summary {
            doc.insert("summary", toml_edit::value(summary.as_str()));
        }
        let mut stages = toml_edit::ArrayOfTables::new();
        for s in &a.stages {
            let mut t = toml_edit::Table::new();
            t.insert("name", toml_edit::value(s.name.as_str()));
            if let Some(d) = &s.description {
                t.insert("description", toml_edit::value(d.as_str()));
            }
            if let Some(c) = &s.condition {
                t.insert("condition", toml_edit::value(c.as_str()));
            }
            t.insert("parts", toml_edit::Item::Value(text_list(&s.parts)));
            stages.push(t);
        }
        doc.insert("stages", toml_edit::Item::ArrayOfTables(stages));
        self.create(Kind::Arc, &a.name, doc.to_string())
    }

    #[tool(description = "Add a stage at the end of an arc (given by `name`).")]
    async fn add_arc_stage(&self, Parameters(a): Parameters<NewStage>) -> Answer {
        let change = ArcChange::AddStage {
            name: &a.stage,
            description: a.description.as_deref(),
            condition: a.condition.as_deref(),
            parts: &a.parts,
        };
        self.arc_edit(&a.name, change, format!("{}: add stage {}", a.name, a.stage))
    }

    #[tool(description = "Add a part to a stage of an arc (given by `name`).")]
    async fn add_stage_part(&self, Parameters(a): Parameters<StagePart>) -> Answer {
        self.arc_edit(
            &a.name,
            ArcChange::AddStagePart { stage: &a.stage, part: &a.part },
            format!("{}: add {} to stage {}", a.name, a.part, a.stage),
        )
    }

    #[tool(description = "Remove a part from a stage of an arc (given by `name`).")]
    async fn remove_stage_part(&self, Parameters(a): Parameters<StagePart>) -> Answer {
        self.arc_edit(
            &a.name,
            ArcChange::RemoveStagePart { stage: &a.stage, part: &a.part },
            format!("{}: remove {} from stage {}", a.name, a.part, a.stage),
        )
    }

    #[tool(description = "Put a persona on a character arc, at its first stage or at `stage`.")]
    async fn assign_persona_arc(&self, Parameters(a): Parameters<PersonaArc>) -> Answer {
        self.arc_action(&a.persona, ArcAction::Assign { arc: &a.arc, stage: a.stage.as_deref() })
    }

    #[tool(
        description = "Move a persona to the next stage of its arc (an error at the last stage). Call it when the current stage's condition is met."
    )]
    async fn advance_persona_stage(&self, Parameters(a): Parameters<PersonaOnly>) -> Answer {
        self.arc_action(&a.persona, ArcAction::Advance)
    }

    #[tool(description = "Move a persona back to the first stage of its arc.")]
    async fn reset_persona_stage(&self, Parameters(a): Parameters<PersonaOnly>) -> Answer {
        self.arc_action(&a.persona, ArcAction::Reset)
    }
}
