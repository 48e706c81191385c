//! The shapes every format shares: an [`Agent`] read from another tool's
//! files, and an [`Exported`] persona compiled by the ordinary pipeline,
//! with the [`Importer`] and [`Exporter`] each format implements.

use std::collections::BTreeMap;

use serde_json::Value;

use super::loss::{Carries, Loss};
use crate::diag::Diagnostic;

/// What a section of an agent's prompt becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// A part of this type.
    Part(&'static str),
    /// A guardrail.
    Guardrail,
}

/// One titled piece of an agent's prompt.
#[derive(Clone, Debug)]
pub struct Section {
    /// Its heading (or the source field's name), shown as the part's title.
    pub title: String,
    pub role: Role,
    /// The text, placeholders already turned into template variables.
    pub text: String,
    /// Whether the text must stay literal (`template = false`).
    pub literal: bool,
}

/// An agent read from another tool's file: the shape every importer fills
/// and the plan writes out as definition files.
#[derive(Clone, Debug, Default)]
pub struct Agent {
    /// The name as the source wrote it (made valid by the plan).
    pub original_name: String,
    /// A display name, when the source has one besides its name.
    pub title: Option<String>,
    pub description: Option<String>,
    /// The persona's own text: what comes before the first section.
    pub intro: String,
    pub intro_literal: bool,
    pub sections: Vec<Section>,
    pub model: Option<String>,
    /// `None`: not given (the runtime's default); `Some([])`: none.
    pub tools: Option<Vec<String>>,
    pub metadata: BTreeMap<String, Value>,
    pub tags: Vec<String>,
    pub runtime_vars: Vec<String>,
    /// Template variables the source gives values for (llm-persona's
    /// `company`, say).
    pub vars: BTreeMap<String, Value>,
    /// The file it came from, as given on the command line.
    pub source: String,
    /// The group it belongs to (a crew, a plugin), for shared bases and for
    /// telling apart two agents of one name.
    pub group: Option<String>,
    /// What had no home, for the report: `(field, why)`.
    pub unmapped: Vec<(String, String)>,
    /// What the report should say about how the source was read.
    pub notes: Vec<String>,
    /// An abstract base the plan made for a group.
    pub is_base: bool,
    /// The source's prompt is its body as written: the persona shows only
    /// the headings it wrote (`headings = "own"`), so that exporting it
    /// again gives the prompt back.
    pub own_headings: bool,
}

/// Reads agents from one tool's files.
pub trait Importer: Sync {
    /// Whether a file found in a folder given on the command line is one of
    /// this format's (files named explicitly are always read).
    fn accepts(&self, path: &std::path::Path) -> bool;

    /// Reads one source file. `path` is as given (for diagnostics), `text`
    /// its contents.
    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<Diagnostic>>;
}

/// A compiled persona, as every exporter sees it.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The agent's name: the persona's, or `NAME-VARIANT` for a channel or
    /// stage exported as an agent of its own.
    pub name: String,
    pub title: String,
    pub version: String,
    pub description: String,
    pub summary: String,
    /// The rendered detail and summary views.
    pub detail_view: String,
    pub summary_view: String,
    /// The persona's own rendered text (detail, else summary).
    pub own_text: String,
    /// Rendered parts: `(type, title, text)`, in assembly order.
    pub parts: Vec<(String, String, String)>,
    /// Traits: `(name, description)`.
    pub traits: Vec<(String, String)>,
    pub tags: Vec<String>,
    pub model: Option<String>,
    pub tools: Option<Vec<String>>,
    pub metadata: BTreeMap<String, Value>,
    pub runtime_vars: Vec<String>,
    /// The runtime variables its texts show open (no value given), in the
    /// order first shown: what a target that fills no variables gets as
    /// `{{ name }}` text.
    pub open_vars: Vec<String>,
    /// Its arc's stages and its channels that this export does not write as
    /// agents of their own (none for a variant exported as one).
    pub stages: Vec<String>,
    pub channels: Vec<String>,
    /// Its token budget, and the parts the budget dropped from the detail
    /// view.
    pub budget: Option<u64>,
    pub dropped: Vec<String>,
    /// The items its detail view lists to be fetched on demand, `(kind,
    /// name)`: `part`, `trait`, `skill` or `guardrail`.
    pub on_demand: Vec<(String, String)>,
    /// The same persona with the runtime variables left to the caller
    /// marked (`render::MARK_OPEN` name `render::MARK_CLOSE`) instead of
    /// written `{{ name }}`, when it has any: literal text that looks like a
    /// variable is then told apart, as in a view's record.
    pub marked: Option<Box<Exported>>,
}

impl Exported {
    /// The texts of the parts with this title (the heading they came in
    /// under), in assembly order.
    pub fn texts_titled<'a>(&'a self, title: &'a str) -> impl Iterator<Item = &'a str> {
        self.parts.iter().filter(move |(_, t, _)| t == title).map(|(_, _, text)| text.as_str())
    }
}

/// Writes compiled personas as one tool's files.
pub trait Exporter: Sync {
    /// The folder an export goes to when none is given, relative to the
    /// repository root.
    fn default_out(&self) -> &'static str;

    /// The files of an export, by path relative to its folder.
    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>>;

    /// What the format cannot carry, in a sentence, for the README (kept
    /// beside its row of the export table; the per-persona report is
    /// [`Exporter::lost`]).
    fn loses(&self) -> &'static str;

    /// The format's name, as the report names it.
    fn name(&self) -> &'static str;

    /// What the format's files hold of a persona besides its prompt text
    /// (default: nothing else). The default [`Exporter::lost`] is made from it.
    fn carries(&self) -> Carries {
        Carries::PROMPT
    }

    /// What the export could not carry of one exported persona, for the
    /// report every export prints (text, and `--format json`). The default
    /// compares the persona with [`Exporter::carries`]; a format whose
    /// losses are of another shape overrides it.
    fn lost(&self, persona: &Exported) -> Vec<Loss> {
        super::loss::lost(self.name(), &self.carries(), persona)
    }

    /// Literal text of a persona that this format's runtime would corrupt,
    /// `(persona, text)`: an export with any is refused.
    fn refuses(&self, _personas: &[Exported]) -> Vec<(String, String)> {
        Vec::new()
    }
}
