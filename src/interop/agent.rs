//! The shapes every format shares: an [`Agent`] read from another tool's
//! files, and an [`Exported`] persona compiled by the ordinary pipeline,
//! with the [`Importer`] and [`Exporter`] each format implements, and what
//! an export could not carry of a persona (SPEC section 8, "Nothing lost"):
//! each exporter says what its files hold besides the prompt ([`Carries`]),
//! and the report of each persona is made from that ([`lost`]).

use std::collections::BTreeMap;

use serde_json::Value;

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
        lost(self.name(), &self.carries(), persona)
    }

    /// Literal text of a persona that this format's runtime would corrupt,
    /// `(persona, text)`: an export with any is refused.
    fn refuses(&self, _personas: &[Exported]) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// One kind of thing an export could not carry of one persona.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// A stable word, for `--format json`: `stages`, `channels`, `budget`,
    /// `parts`, `metadata`, `on-demand`, `runtime-variables`, `tools`,
    /// `model`.
    pub kind: &'static str,
    /// What of that kind was not carried (stage names, metadata keys, …).
    pub items: Vec<String>,
    /// What the export did instead, and what to do.
    pub note: String,
}

impl Loss {
    /// As text, for a status line: ``stages `a`, `b`: note``.
    pub fn describe(&self) -> String {
        format!("{} {}: {}", self.kind, quoted(&self.items), self.note)
    }

    /// A persona's losses as JSON: `{"persona", "lost": [{"kind", "items", "note"}]}`.
    pub fn to_json(persona: &str, losses: &[Loss]) -> Value {
        let lost: Vec<Value> = losses.iter().map(|l| serde_json::json!({ "kind": l.kind, "items": l.items, "note": l.note })).collect();
        serde_json::json!({ "persona": persona, "lost": lost })
    }
}

/// What a format's files hold of a persona besides its prompt text. The
/// default, [`Carries::PROMPT`], is the prompt alone.
#[derive(Clone, Debug, Default)]
pub struct Carries {
    pub tools: bool,
    pub model: bool,
    /// The split into parts (titles and types), not only their text.
    pub parts: bool,
    /// Runtime variables, as something the target fills.
    pub runtime_vars: bool,
    /// A token budget the target enforces.
    pub budget: bool,
    /// On-demand items, fetched by the target when needed.
    pub on_demand: bool,
    /// The metadata keys it has a field for: a name, or a prefix ending in
    /// `*` (`settings.*`; `*` alone: every key).
    pub metadata: Vec<&'static str>,
}

impl Carries {
    /// The prompt alone.
    pub const PROMPT: Carries =
        Carries { tools: false, model: false, parts: false, runtime_vars: false, budget: false, on_demand: false, metadata: Vec::new() };

    fn metadata_key(&self, key: &str) -> bool {
        self.metadata.iter().any(|k| match k.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => *k == key,
        })
    }
}

fn quoted(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// What `format`, carrying `carries`, cannot carry of persona `p`, in a
/// fixed order of kinds.
pub fn lost(format: &str, carries: &Carries, p: &Exported) -> Vec<Loss> {
    let mut out = Vec::new();
    let mut push = |kind, items: Vec<String>, note: String| {
        if !items.is_empty() {
            out.push(Loss { kind, items, note });
        }
    };
    push(
        "stages",
        p.stages.clone(),
        format!(
            "only the persona's current stage is exported; `--stage NAME` (or `stages = true` under `[export.{format}]`) exports one as an agent of its own"
        ),
    );
    push(
        "channels",
        p.channels.clone(),
        format!(
            "the default variant is exported; `--channel NAME` (or `channels = true` under `[export.{format}]`) exports one as an agent of its own"
        ),
    );
    if !carries.budget
        && let Some(budget) = p.budget
    {
        let mut note = format!("{format} enforces no token budget: the prompt was fitted to it when compiled");
        if !p.dropped.is_empty() {
            note.push_str(&format!(", dropping {}", quoted(&p.dropped)));
        }
        push("budget", vec![format!("{budget} tokens")], note);
    }
    if !carries.parts {
        let mut titles: Vec<String> = Vec::new();
        for (_, title, _) in &p.parts {
            if !titles.contains(title) {
                titles.push(title.clone());
            }
        }
        push("parts", titles, "joined into one prompt, the compiled detail view: their types and names are not in the file".into());
    }
    let keys: Vec<String> = p.metadata.keys().filter(|k| !carries.metadata_key(k)).cloned().collect();
    push("metadata", keys, format!("{format} has no field for these keys"));
    if !carries.on_demand {
        let items = p.on_demand.iter().map(|(kind, name)| format!("{kind} {name}")).collect();
        push(
            "on-demand",
            items,
            "listed in the prompt, to be fetched from personac's MCP server (`personac serve`); their text is not in the file".into(),
        );
    }
    if !carries.runtime_vars {
        push(
            "runtime-variables",
            p.open_vars.clone(),
            format!("{format} fills no variables: each is written as `{{{{ name }}}}` text, for the caller to fill before use"),
        );
    }
    if !carries.tools
        && let Some(tools) = &p.tools
    {
        let items = if tools.is_empty() { vec!["[] (no tools)".to_string()] } else { tools.clone() };
        push("tools", items, format!("{format} has no tools field: the agent gets the runtime's default tools"));
    }
    if !carries.model
        && let Some(model) = &p.model
    {
        push("model", vec![model.clone()], format!("{format} has no model field"));
    }
    out
}
