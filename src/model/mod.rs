//! Definitions as parsed, and personas as resolved: data only.
//!
//! Parsed definitions keep the span of every value so that any later step can
//! point at the text that caused a problem. A [`ResolvedPersona`] has every
//! reference looked up; render takes only that, so an unresolved name cannot
//! reach a template.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

mod layer;
mod skill;
mod text;
pub use layer::{Absent, Filtered, Layer, Layering, Why, absent};
pub use skill::{SKILL_FILE, SKILL_TEMPLATE_KEY, SkillFolder};
pub use text::{Text, file_offset};

/// The six kinds of definition, each with its own folder and name space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Persona,
    Part,
    Trait,
    Skill,
    Guardrail,
    Arc,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Persona, Kind::Part, Kind::Trait, Kind::Skill, Kind::Guardrail, Kind::Arc];

    pub fn folder(self) -> &'static str {
        match self {
            Kind::Persona => "personas",
            Kind::Part => "parts",
            Kind::Trait => "traits",
            Kind::Skill => "skills",
            Kind::Guardrail => "guardrails",
            Kind::Arc => "arcs",
        }
    }

    pub fn from_folder(folder: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.folder() == folder)
    }

    /// The kind and name of the definition a repository-relative path holds:
    /// its top folder, and its file's stem (the whole file name if it has no
    /// extension), as parsing names it.
    pub fn of_path(path: &str) -> Option<(Kind, &str)> {
        let kind = path.split('/').next().and_then(Kind::from_folder)?;
        // An Agent Skills folder's skill is named by its folder.
        if kind == Kind::Skill
            && let Some(dir) = path.strip_suffix(SKILL_FILE).and_then(|d| d.strip_suffix('/'))
            && dir.contains('/')
        {
            return Some((kind, dir.rsplit('/').next().unwrap_or(dir)));
        }
        let file = path.rsplit('/').next().unwrap_or(path);
        Some((kind, file.rsplit_once('.').map_or(file, |(stem, _)| stem)))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Persona => "persona",
            Kind::Part => "part",
            Kind::Trait => "trait",
            Kind::Skill => "skill",
            Kind::Guardrail => "guardrail",
            Kind::Arc => "arc",
        }
    }

    /// Accepts the singular and the folder name (`part`, `parts`).
    pub fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == word || k.folder() == word)
    }

    /// The field a Markdown body fills.
    pub fn body_field(self) -> Option<&'static str> {
        match self {
            Kind::Persona => Some("detail"),
            Kind::Part | Kind::Skill | Kind::Guardrail => Some("content"),
            Kind::Trait => Some("instruction"),
            Kind::Arc => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const PART_TYPES: [&str; 16] = [
    "system",
    "agent",
    "soul",
    "identity",
    "skill",
    "specialization",
    "tone",
    "goal",
    "context",
    "protocol",
    "backstory",
    "motivation",
    "voice",
    "archetype",
    "flaw",
    "relationship",
];

pub const TRAIT_TYPES: [&str; 5] = ["personality", "cognitive", "emotional", "social", "behavioral"];

pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// A value and the byte range of the text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Range<usize>,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Range<usize>) -> Self {
        Spanned { value, span }
    }
}

/// What every definition has.
#[derive(Clone, Debug)]
pub struct Meta {
    pub name: String,
    pub file: Arc<str>,
    /// Span of the name (the `name` field, else the start of the file).
    pub name_span: Range<usize>,
    pub description: Option<Text>,
    pub tags: Vec<Spanned<String>>,
    /// `template = false`: the texts are literal, never rendered.
    pub template: bool,
}

#[derive(Clone, Debug)]
pub struct Part {
    pub meta: Meta,
    pub part_type: Spanned<String>,
    pub summary: Text,
    pub content: Option<Text>,
    /// Its own heading in the views (default: its type's), a text like
    /// any other (rendered).
    pub title: Option<Text>,
}

#[derive(Clone, Debug)]
pub struct Trait {
    pub meta: Meta,
    pub trait_type: Spanned<String>,
    pub instruction: Option<Text>,
}

#[derive(Clone, Debug)]
pub struct Skill {
    pub meta: Meta,
    pub content: Option<Text>,
    /// Its heading in the views (default: its name), a text like any other.
    pub title: Option<Text>,
    /// Written in the Agent Skills form (`skills/…/NAME/SKILL.md`).
    pub folder: Option<Arc<SkillFolder>>,
}

#[derive(Clone, Debug)]
pub struct Guardrail {
    pub meta: Meta,
    pub content: Option<Text>,
    pub severity: Spanned<String>,
    /// Its heading in the views (default: its name and severity), a text
    /// like any other.
    pub title: Option<Text>,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub name: Spanned<String>,
    pub description: Option<Text>,
    pub condition: Option<Text>,
    pub parts: Vec<StagePart>,
}

/// A part a stage swaps in (or, with `mode = "append"`, adds).
#[derive(Clone, Debug)]
pub struct StagePart {
    pub name: Spanned<String>,
    pub mode: Mode,
}

#[derive(Clone, Debug)]
pub struct CharacterArc {
    pub meta: Meta,
    pub summary: Option<Text>,
    pub stages: Vec<Stage>,
}

/// How a linked part joins the parts of its type from the layers below.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The layer rule: it takes the place of every part of its type below.
    #[default]
    Replace,
    /// It joins them.
    Append,
}

/// Whether a linked definition is inlined in the detail view, or listed
/// there for the agent to fetch when it needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    #[default]
    Inline,
    OnDemand,
}

/// A link to a part from a persona, with its optional placement.
#[derive(Clone, Debug)]
pub struct PartRef {
    pub name: Spanned<String>,
    pub order: Option<i64>,
    pub priority: Option<i64>,
    pub mode: Mode,
    pub load: Load,
}

/// A link to a trait or a skill.
#[derive(Clone, Debug)]
pub struct Link {
    pub name: Spanned<String>,
    pub load: Load,
}

#[derive(Clone, Debug)]
pub struct ArcRef {
    pub name: Spanned<String>,
    pub stage: Option<Spanned<String>>,
}

/// `(type, part)` pairs: a channel's or a caller's overrides.
pub type Overrides = Vec<(Spanned<String>, Spanned<String>)>;

#[derive(Clone, Debug)]
pub struct Channel {
    pub name: Spanned<String>,
    pub overrides: Overrides,
    pub vars: Vars,
}

/// Template variables, by name.
pub type Vars = BTreeMap<String, serde_json::Value>;

/// Where each variable of a `[vars]` table is defined.
pub type VarSpans = BTreeMap<String, Range<usize>>;

/// Runtime settings a persona carries for the agent that loads it: strings,
/// numbers and booleans, by key.
pub type Metadata = BTreeMap<String, serde_json::Value>;

#[derive(Clone, Debug)]
pub struct Persona {
    pub meta: Meta,
    pub version: Option<Spanned<semver::Version>>,
    /// `abstract = true`: a base to extend, never compiled on its own.
    pub is_abstract: bool,
    /// The display name that heads its views.
    pub title: Option<Text>,
    /// `headings = "own"`: its detail view shows only the headings its
    /// definitions wrote (set by imports, so that a prompt exported again
    /// is the one imported). `None`: not set (inherited, else standard).
    pub own_headings: Option<Spanned<bool>>,
    pub summary: Option<Text>,
    pub detail: Option<Text>,
    pub extends: Option<Spanned<String>>,
    pub parts: Vec<PartRef>,
    pub traits: Vec<Link>,
    pub skills: Vec<Link>,
    pub guardrails: Vec<Spanned<String>>,
    pub model: Option<Spanned<String>>,
    /// `None`: not set (inherited, or left to the runtime); `Some([])`: no tools.
    pub tools: Option<Vec<Spanned<String>>>,
    pub metadata: Metadata,
    pub arc: Option<ArcRef>,
    pub runtime_vars: Option<Vec<RuntimeVar>>,
    pub budget: Option<Spanned<u64>>,
    pub vars: Vars,
    pub var_spans: VarSpans,
    pub channels: Option<Vec<Channel>>,
}

impl Persona {
    /// Every definition a persona names: its parent, its links, its arc and
    /// its channels' override parts.
    pub fn references(&self) -> Vec<(Kind, &str)> {
        let mut refs = Vec::new();
        refs.extend(self.extends.iter().map(|e| (Kind::Persona, e.value.as_str())));
        refs.extend(self.parts.iter().map(|r| (Kind::Part, r.name.value.as_str())));
        refs.extend(self.traits.iter().map(|l| (Kind::Trait, l.name.value.as_str())));
        refs.extend(self.skills.iter().map(|l| (Kind::Skill, l.name.value.as_str())));
        refs.extend(self.guardrails.iter().map(|g| (Kind::Guardrail, g.value.as_str())));
        refs.extend(self.arc.iter().map(|a| (Kind::Arc, a.name.value.as_str())));
        for channel in self.channels.iter().flatten() {
            refs.extend(channel.overrides.iter().map(|(_, part)| (Kind::Part, part.value.as_str())));
        }
        refs
    }
}

impl CharacterArc {
    /// The parts an arc's stages name.
    pub fn references(&self) -> Vec<(Kind, &str)> {
        self.stages.iter().flat_map(|stage| stage.parts.iter().map(|p| (Kind::Part, p.name.value.as_str()))).collect()
    }
}

/// One parsed definition file: shared, so that a cache of parsed files and
/// the catalogs built from it hold each definition once.
#[derive(Clone, Debug)]
pub enum Definition {
    Persona(Arc<Persona>),
    Part(Arc<Part>),
    Trait(Arc<Trait>),
    Skill(Arc<Skill>),
    Guardrail(Arc<Guardrail>),
    Arc(Arc<CharacterArc>),
}

impl Definition {
    pub fn meta(&self) -> &Meta {
        match self {
            Definition::Persona(d) => &d.meta,
            Definition::Part(d) => &d.meta,
            Definition::Trait(d) => &d.meta,
            Definition::Skill(d) => &d.meta,
            Definition::Guardrail(d) => &d.meta,
            Definition::Arc(d) => &d.meta,
        }
    }

    /// Every definition this one names, by kind and name (see
    /// [`Persona::references`] and [`CharacterArc::references`]).
    pub fn references(&self) -> Vec<(Kind, &str)> {
        match self {
            Definition::Persona(p) => p.references(),
            Definition::Arc(a) => a.references(),
            Definition::Part(_) | Definition::Trait(_) | Definition::Skill(_) | Definition::Guardrail(_) => Vec::new(),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Definition::Persona(_) => Kind::Persona,
            Definition::Part(_) => Kind::Part,
            Definition::Trait(_) => Kind::Trait,
            Definition::Skill(_) => Kind::Skill,
            Definition::Guardrail(_) => Kind::Guardrail,
            Definition::Arc(_) => Kind::Arc,
        }
    }
}

/// `personac.toml`.
#[derive(Clone, Debug)]
pub struct Config {
    pub out_dir: Spanned<String>,
    pub encoding: Spanned<String>,
    pub part_types: Vec<Spanned<String>>,
    pub vars: Vars,
    pub var_spans: VarSpans,
    /// Each lint's level, by the lint's name.
    pub lints: BTreeMap<String, Spanned<Level>>,
    /// Exports `build` keeps current, by format name.
    pub exports: BTreeMap<String, ExportConfig>,
    /// `provenance = false`: `build` writes no source records.
    pub provenance: bool,
    /// `[preview] editor_url`: the preview's link to a source line.
    pub editor_url: Option<Spanned<String>>,
}

/// `[export.FORMAT]`: a folder `build` keeps an export current in.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    /// Relative to the repository root.
    pub out: Spanned<String>,
    /// Also export every channel, and every stage, as agents of their own.
    pub channels: bool,
    pub stages: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            out_dir: Spanned::new("build-output".into(), 0..0),
            encoding: Spanned::new("o200k_base".into(), 0..0),
            part_types: Vec::new(),
            vars: Vars::new(),
            var_spans: VarSpans::new(),
            lints: BTreeMap::new(),
            exports: BTreeMap::new(),
            provenance: true,
            editor_url: None,
        }
    }
}

/// A runtime override: replace the parts of `part_type` with `part`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub part_type: String,
    pub part: String,
}

/// What a caller asks of one resolution.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub stage: Option<String>,
    pub channel: Option<String>,
    pub overrides: Vec<Override>,
    pub types: Option<Vec<String>>,
    pub limit: Option<usize>,
    pub vars: Vars,
}

/// A part in a resolved persona, with its effective placement.
#[derive(Clone, Debug)]
pub struct PlacedPart<'c> {
    pub part: &'c Part,
    pub order: i64,
    pub priority: i64,
    pub layer: Layer,
    pub load: Load,
}

/// A trait or skill in a resolved persona, and how it is loaded.
#[derive(Clone, Copy, Debug)]
pub struct Linked<'c, T> {
    pub def: &'c T,
    pub load: Load,
}

impl<T> std::ops::Deref for Linked<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.def
    }
}

/// The active arc stage of a resolved persona.
#[derive(Clone, Debug)]
pub struct ActiveStage<'c> {
    pub arc: &'c CharacterArc,
    pub index: usize,
}

impl<'c> ActiveStage<'c> {
    pub fn stage(&self) -> &'c Stage {
        &self.arc.stages[self.index]
    }
}

/// A persona with every reference looked up and every layer applied.
#[derive(Clone, Debug)]
pub struct ResolvedPersona<'c> {
    pub persona: &'c Persona,
    pub name: String,
    pub version: Option<semver::Version>,
    pub summary: Option<&'c Text>,
    pub description: Option<&'c Text>,
    pub detail: Option<&'c Text>,
    /// The file each inherited text came from, for template errors.
    pub text_files: TextFiles,
    pub tags: Vec<String>,
    /// The display name: the nearest `title` (a text, rendered), else the
    /// name title-cased.
    pub title: Option<&'c Text>,
    /// The nearest `headings = "own"`: the detail view shows only the
    /// headings the definitions wrote.
    pub own_headings: bool,
    pub parts: Vec<PlacedPart<'c>>,
    /// What each layer did, in the order they applied.
    pub layering: Vec<Layering>,
    /// The parts `types` or `limit` left out.
    pub filtered: Vec<Filtered>,
    pub traits: Vec<Linked<'c, Trait>>,
    pub skills: Vec<Linked<'c, Skill>>,
    pub guardrails: Vec<&'c Guardrail>,
    pub model: Option<String>,
    pub tools: Option<Vec<String>>,
    pub metadata: Metadata,
    pub stage: Option<ActiveStage<'c>>,
    pub channel: Option<String>,
    pub channels: Vec<String>,
    pub vars: Vars,
    /// The names of `runtime_decls`.
    pub runtime_vars: Vec<String>,
    pub runtime_decls: Vec<RuntimeVar>,
    pub budget: Option<u64>,
    /// Where the budget was set (the persona or an ancestor).
    pub budget_at: Option<(Arc<str>, Range<usize>)>,
    /// Repository files that contributed, sorted.
    pub sources: Vec<&'c str>,
}

impl<'c> ResolvedPersona<'c> {
    /// Every text this persona's views and manifest show, with the
    /// definition it belongs to and the file it is written in: the
    /// persona's own (title, summary, description, detail; from an ancestor
    /// where inherited), each part's, trait's, skill's and guardrail's, and
    /// the current stage's.
    pub fn texts(&self) -> Vec<(&'c Meta, Arc<str>, &'c Text)> {
        let pmeta = &self.persona.meta;
        let mut out = Vec::new();
        let files = &self.text_files;
        for (file, text) in [
            (&files.title, self.title),
            (&files.summary, self.summary),
            (&files.description, self.description),
            (&files.detail, self.detail),
        ] {
            out.extend(text.map(|t| (pmeta, file.clone().unwrap_or_else(|| pmeta.file.clone()), t)));
        }
        let mut add =
            |meta: &'c Meta, texts: &[Option<&'c Text>]| out.extend(texts.iter().flatten().map(|t| (meta, meta.file.clone(), *t)));
        for p in &self.parts {
            let part = p.part;
            add(&part.meta, &[part.title.as_ref(), Some(&part.summary), part.content.as_ref(), part.meta.description.as_ref()]);
        }
        for t in &self.traits {
            add(&t.def.meta, &[t.def.instruction.as_ref(), t.def.meta.description.as_ref()]);
        }
        for s in &self.skills {
            add(&s.def.meta, &[s.def.title.as_ref(), s.def.content.as_ref(), s.def.meta.description.as_ref()]);
        }
        for g in &self.guardrails {
            add(&g.meta, &[g.title.as_ref(), g.content.as_ref(), g.meta.description.as_ref()]);
        }
        if let Some(s) = &self.stage {
            let stage = s.stage();
            add(&s.arc.meta, &[stage.description.as_ref(), stage.condition.as_ref()]);
        }
        out
    }
}

/// Files of the persona-level texts, which may come from an ancestor.
#[derive(Clone, Debug, Default)]
pub struct TextFiles {
    pub title: Option<Arc<str>>,
    pub summary: Option<Arc<str>>,
    pub description: Option<Arc<str>>,
    pub detail: Option<Arc<str>>,
}

/// A variable left for the caller to fill (`runtime_vars`): a name, or a
/// table with a description, a default and a maximum length (in code
/// points), which the loaders enforce.
#[derive(Clone, Debug)]
pub struct RuntimeVar {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub default: Option<String>,
    pub max_length: Option<u64>,
}

impl RuntimeVar {
    /// As `index.json` and the manifest record it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        if let Some(d) = &self.default {
            out.insert("default".into(), d.clone().into());
        }
        if let Some(d) = &self.description {
            out.insert("description".into(), d.clone().into());
        }
        if let Some(n) = self.max_length {
            out.insert("max_length".into(), n.into());
        }
        out.insert("name".into(), self.name.value.clone().into());
        serde_json::Value::Object(out)
    }
}

/// A lint's level, set per lint under `[lints]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(word: &str) -> Option<Level> {
        match word {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
}
