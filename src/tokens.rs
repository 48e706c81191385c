//! Token counting and budget fitting.
//!
//! The tokenizer's vocabulary ships inside the binary (tiktoken-rs), so counts
//! are offline; it is loaded on the first count only, because loading takes
//! longer than everything else a small command does. Counts already known by
//! content hash (from the previous `index.json`) are reused without loading it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use tiktoken_rs::CoreBPE;

use crate::diag::{Diagnostic, code};
use crate::render::{RenderedPersona, Renderer, View};

/// Encodings personac can count with.
pub const ENCODINGS: [&str; 5] = ["o200k_base", "o200k_harmony", "cl100k_base", "p50k_base", "r50k_base"];

pub struct Tokenizer {
    encoding: String,
    bpe: OnceLock<Option<CoreBPE>>,
    known: Mutex<HashMap<String, usize>>,
}

impl Tokenizer {
    /// A tokenizer for a known encoding name.
    pub fn new(encoding: &str) -> Option<Tokenizer> {
        ENCODINGS.contains(&encoding).then(|| Tokenizer {
            encoding: encoding.to_string(),
            bpe: OnceLock::new(),
            known: Mutex::new(HashMap::new()),
        })
    }

    pub fn encoding(&self) -> &str {
        &self.encoding
    }

    /// Remembers counts by sha256 (hex) of the text, so equal texts are not
    /// counted again.
    pub fn remember(&self, counts: impl IntoIterator<Item = (String, usize)>) {
        if let Ok(mut known) = self.known.lock() {
            known.extend(counts);
        }
    }

    fn bpe(&self) -> Option<&CoreBPE> {
        self.bpe
            .get_or_init(|| {
                match self.encoding.as_str() {
                    "o200k_base" => tiktoken_rs::o200k_base(),
                    "o200k_harmony" => tiktoken_rs::o200k_harmony(),
                    "cl100k_base" => tiktoken_rs::cl100k_base(),
                    "p50k_base" => tiktoken_rs::p50k_base(),
                    _ => tiktoken_rs::r50k_base(),
                }
                .ok()
            })
            .as_ref()
    }

    /// The number of tokens in `text`, whose sha256 (hex) is `hash`.
    pub fn count_hashed(&self, text: &str, hash: &str) -> usize {
        if let Some(n) = self.known.lock().ok().and_then(|k| k.get(hash).copied()) {
            return n;
        }
        let n = self.count(text);
        if let Ok(mut known) = self.known.lock() {
            known.insert(hash.to_string(), n);
        }
        n
    }

    pub fn count(&self, text: &str) -> usize {
        match self.bpe() {
            Some(bpe) => bpe.encode_ordinary(text).len(),
            // The vocabularies are compiled in; failing to load one is a bug.
            None => text.len().div_ceil(4),
        }
    }
}

/// A view that fits its budget.
pub struct Fitted {
    pub text: String,
    pub hash: String,
    pub tokens: usize,
    /// Names of the parts the budget dropped, in assembly order.
    pub dropped: Vec<String>,
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
        let hash = crate::artifacts::sha256_hex(text.as_bytes());
        let tokens = tokenizer.count_hashed(&text, &hash);
        let names = || dropped.iter().map(|&i| persona.parts[i].name.clone()).collect::<Vec<_>>();
        let Some(max) = budget else {
            return Ok(Fitted { text, hash, tokens, dropped: Vec::new() });
        };
        if tokens as u64 <= max {
            return Ok(Fitted { text, hash, tokens, dropped: names() });
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
    OverBudget { tokens: usize, budget: u64, dropped: Vec<String> },
}

impl FitError {
    /// The diagnostic, placed at the persona's budget.
    pub fn into_diagnostic(self, persona: &crate::model::ResolvedPersona, view: View, variant: &str) -> Diagnostic {
        match self {
            FitError::Template(d) => d,
            FitError::OverBudget { tokens, budget, dropped } => {
                let diag = Diagnostic::error(
                    code::OVER_BUDGET,
                    format!(
                        "the {} view of persona `{}`{variant} needs {tokens} tokens, over its budget of {budget}",
                        view.as_str(),
                        persona.name
                    ),
                );
                let (file, span) = persona.budget_at.clone().unwrap_or_else(|| (persona.persona.meta.file.clone(), 0..0));
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
