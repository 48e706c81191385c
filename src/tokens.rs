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
    /// Counts by sha256 (hex) of a whole text, from the previous index.
    known: Mutex<HashMap<String, usize>>,
    /// Counts of paragraphs already seen in this run (see [`paragraphs`]).
    paragraphs: Mutex<HashMap<String, usize>>,
}

impl Tokenizer {
    /// A tokenizer for a known encoding name.
    pub fn new(encoding: &str) -> Option<Tokenizer> {
        ENCODINGS.contains(&encoding).then(|| Tokenizer {
            encoding: encoding.to_string(),
            bpe: OnceLock::new(),
            known: Mutex::new(HashMap::new()),
            paragraphs: Mutex::new(HashMap::new()),
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

    /// Loads the vocabulary now, so that the first count does not wait.
    pub fn warm(&self) {
        let _ = self.bpe();
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

    /// The number of tokens in `text`. Views share most of their paragraphs
    /// (a part appears in many personas, stages and channels), so for
    /// encodings whose pre-tokenizer never joins across a paragraph start,
    /// each paragraph is counted once and the counts are summed: exactly the
    /// count of the whole.
    pub fn count(&self, text: &str) -> usize {
        if !self.encoding.starts_with("o200k") && self.encoding != "cl100k_base" {
            return self.count_whole(text);
        }
        paragraphs(text)
            .map(|p| {
                if let Some(n) = self.paragraphs.lock().ok().and_then(|m| m.get(p).copied()) {
                    return n;
                }
                let n = self.count_whole(p);
                if let Ok(mut m) = self.paragraphs.lock() {
                    m.insert(p.to_string(), n);
                }
                n
            })
            .sum()
    }

    fn count_whole(&self, text: &str) -> usize {
        match self.bpe() {
            Some(bpe) => bpe.encode_ordinary(text).len(),
            // The vocabularies are compiled in; failing to load one is a bug.
            None => text.len().div_ceil(4),
        }
    }
}

/// Splits `text` where a line starts with a character other than whitespace
/// or `/`. The o200k and cl100k pre-tokenizers never make a piece that spans
/// such a position (no pattern continues past a newline into a letter, digit
/// or punctuation, except `[\r\n/]*` after punctuation), so the token count
/// of the text is the sum of the counts of these chunks.
pub fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 1;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        while i < bytes.len() {
            let at = i;
            i += 1;
            if bytes[at - 1] == b'\n' && !bytes[at].is_ascii_whitespace() && bytes[at] != b'/' && text.is_char_boundary(at) {
                let chunk = &text[start..at];
                start = at;
                return Some(chunk);
            }
        }
        let chunk = &text[start..];
        start = bytes.len();
        Some(chunk)
    })
}

/// A view that fits its budget.
pub struct Fitted {
    pub text: String,
    pub hash: String,
    /// The token count, if fitting needed it; see [`Fitted::tokens`].
    tokens: Option<usize>,
    /// Names of the parts the budget dropped, in assembly order.
    pub dropped: Vec<String>,
}

impl Fitted {
    /// The view's token count (counted now if fitting did not need it).
    pub fn tokens(&self, tokenizer: &Tokenizer) -> usize {
        self.tokens.unwrap_or_else(|| tokenizer.count_hashed(&self.text, &self.hash))
    }
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
        let names = || dropped.iter().map(|&i| persona.parts[i].name.clone()).collect::<Vec<_>>();
        let Some(max) = budget else {
            return Ok(Fitted { text, hash, tokens: None, dropped: Vec::new() });
        };
        let tokens = tokenizer.count_hashed(&text, &hash);
        if tokens as u64 <= max {
            return Ok(Fitted { text, hash, tokens: Some(tokens), dropped: names() });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_cover_the_text_and_split_only_at_line_starts() {
        let text = "# Title\n\nOne line.\n  indented\n/path\n- item\n\n\nLast";
        let chunks: Vec<&str> = paragraphs(text).collect();
        assert_eq!(chunks.concat(), text);
        assert_eq!(chunks, ["# Title\n\n", "One line.\n  indented\n/path\n", "- item\n\n\n", "Last"]);
        assert_eq!(paragraphs("").count(), 0);
        assert_eq!(paragraphs("\n\u{e9}t\u{e9}\n").collect::<Vec<_>>(), ["\n", "\u{e9}t\u{e9}\n"]);
    }

    /// The sum of the paragraph counts is the count of the whole, for
    /// every encoding that counts by paragraph.
    #[test]
    fn paragraph_counts_add_up_to_the_whole() {
        let samples = [
            "# Maya\n\nYou are Maya.\n\n## Tone\n\nBe warm!\n- one\n- two: 3 items\n\n### order-lookup (critical)\n\nDon't guess.\n",
            "Hello {{ user_name }}!\n\n\n   spaced\n\tTabbed\n1234567\n'quoted' \"text\"\n!!!\n/slash\n:colon\n",
            "Unicode: caf\u{e9}, na\u{ef}ve, \u{65e5}\u{672c}\u{8a9e}\n\u{1f600} emoji\n\nEnd",
        ];
        for encoding in ["o200k_base", "cl100k_base"] {
            let t = Tokenizer::new(encoding).unwrap();
            for text in samples {
                assert_eq!(t.count(text), t.count_whole(text), "{encoding}: {text:?}");
            }
        }
    }
}
