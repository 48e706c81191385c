//! What an export could not carry of a persona (SPEC section 8, "Nothing
//! lost"): each exporter says what its files hold besides the prompt
//! ([`Carries`]), and the report of each persona is made from that and
//! the [`Exported`] persona ([`lost`]), so that no export drops anything
//! without saying so.

use super::agent::Exported;

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

/// A persona's losses as text, one line a kind: `stages `a`, `b`: note`.
pub fn describe(loss: &Loss) -> String {
    format!("{} {}: {}", loss.kind, quoted(&loss.items), loss.note)
}

/// A persona's losses as JSON.
pub fn to_json(persona: &str, losses: &[Loss]) -> serde_json::Value {
    let lost: Vec<serde_json::Value> =
        losses.iter().map(|l| serde_json::json!({ "kind": l.kind, "items": l.items, "note": l.note })).collect();
    serde_json::json!({ "persona": persona, "lost": lost })
}
