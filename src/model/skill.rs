//! What a skill in the Agent Skills form holds besides its texts.

use std::sync::Arc;

/// What a skill written in the Agent Skills form (agentskills.io) holds
/// besides its description and body: the specification's other fields, its
/// references (texts fetched on demand) and the files it carries.
#[derive(Clone, Debug, Default)]
pub struct SkillFolder {
    /// The folder, repository-relative (`skills/pdf-forms`).
    pub dir: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    /// The specification's `metadata`, string to string, in file order.
    pub metadata: Vec<(String, String)>,
    /// `allowed-tools`, as written.
    pub allowed_tools: Option<String>,
    /// `references/*.md`, by path inside the folder (`references/api.md`),
    /// sorted: texts of the skill, never rendered.
    pub references: Vec<(String, Arc<str>)>,
    /// The references' repository-relative paths: sources of every persona
    /// that uses the skill.
    pub reference_files: Vec<Arc<str>>,
    /// Every other file of the folder (scripts, assets, a license…), by
    /// repository-relative path, sorted: carried as they are.
    pub files: Vec<Arc<str>>,
}

/// The file an Agent Skills folder's skill is written in.
pub const SKILL_FILE: &str = "SKILL.md";

/// The key under an Agent Skills `metadata` that opts the skill into
/// templates (`personac.template: "true"`): other harnesses render none.
pub const SKILL_TEMPLATE_KEY: &str = "personac.template";
