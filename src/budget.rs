//! Budget fitting: a rendered persona and its token budget in, a view that
//! fits out. It sits above rendering (it lays views out again as it drops
//! parts) and counting (it measures each try).

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, code};
use crate::hash::sha256_hex;
use crate::render::{RenderedPersona, Renderer, View};
use crate::tokens::{CountError, Tokenizer};

/// A view that fits its budget.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub text: String,
    pub hash: String,
    pub tokens: usize,
    /// Names of the parts the budget dropped, in assembly order.
    pub dropped: Vec<String>,
    /// Their positions in the rendered persona's parts.
    pub dropped_at: BTreeSet<usize>,
}

/// Lays out a view, dropping parts by ascending priority (ties: the later
/// one first) until it fits the budget. The persona's own text, traits,
/// skills and guardrails are never dropped.
pub fn fit(
    renderer: &Renderer,
    persona: &RenderedPersona,
    view: View,
    budget: Option<u64>,
    tokenizer: &Tokenizer,
) -> Result<Fitted, FitError> {
    let mut dropped: BTreeSet<usize> = BTreeSet::new();
    loop {
        let text = renderer.layout(persona, view, &dropped).map_err(FitError::Template)?;
        let hash = sha256_hex(text.as_bytes());
        let names = || dropped.iter().map(|&i| persona.parts[i].name.clone()).collect::<Vec<_>>();
        let tokens = tokenizer.count_hashed(&text, &hash).map_err(FitError::Count)?;
        let Some(max) = budget else {
            return Ok(Fitted { text, hash, tokens, dropped: Vec::new(), dropped_at: dropped });
        };
        if tokens as u64 <= max {
            return Ok(Fitted { text, hash, tokens, dropped: names(), dropped_at: dropped });
        }
        let next = persona
            .parts
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .min_by(|(ia, a), (ib, b)| a.priority.cmp(&b.priority).then(ib.cmp(ia)));
        match next {
            Some((i, _)) => _ = dropped.insert(i),
            None => return Err(FitError::OverBudget { tokens, budget: max, dropped: names() }),
        }
    }
}

pub enum FitError {
    Template(Diagnostic),
    Count(CountError),
    OverBudget { tokens: usize, budget: u64, dropped: Vec<String> },
}

impl FitError {
    /// The diagnostic, placed at the persona's budget.
    pub fn into_diagnostic(self, persona: &crate::model::ResolvedPersona, view: View, variant: &str) -> Diagnostic {
        let (file, span) = persona.budget_at.clone().unwrap_or_else(|| (persona.persona.meta.file.clone(), 0..0));
        match self {
            // A built-in layout's error has no place of its own: the persona's.
            FitError::Template(d) if d.file.is_none() => d
                .at(&persona.persona.meta.file, persona.persona.meta.name_span.clone())
                .help(format!("while compiling persona `{}`{variant}", persona.name)),
            FitError::Template(d) => d,
            FitError::Count(CountError(message)) => Diagnostic::error(
                code::TOKENIZER,
                format!("cannot count the tokens of the {} view of persona `{}`{variant}", view.as_str(), persona.name),
            )
            .at(&persona.persona.meta.file, persona.persona.meta.name_span.clone())
            .help(format!("{message}; this is a bug in personac or its tokenizer: please report it with the persona's texts")),
            FitError::OverBudget { tokens, budget, dropped } => {
                let diag = Diagnostic::error(
                    code::OVER_BUDGET,
                    format!(
                        "the {} view of persona `{}`{variant} needs {tokens} tokens, over its budget of {budget}",
                        view.as_str(),
                        persona.name
                    ),
                );
                let diag = diag.at(&file, span).label(format!("budget of {budget} tokens"));
                let dropped = if dropped.is_empty() { "none".to_string() } else { dropped.join(", ") };
                diag.help(format!(
                    "dropped every part it could ({dropped}); the persona's own text, traits, skills and guardrails are never dropped"
                ))
                .help("raise `max_tokens`, or shorten the texts that are always kept")
            }
        }
    }
}
