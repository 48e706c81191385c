//! Token counting, and nothing else.
//!
//! o200k and cl100k counts come from `bpe-openai` (GitHub's linear-time BPE:
//! the same counts as tiktoken, no backtracking regex, so no input can
//! overflow its stack, and a vocabulary that loads in milliseconds); the
//! legacy p50k and r50k encodings from tiktoken-rs, with long whitespace runs
//! split before its backtracking pre-tokenizer sees them. Vocabularies ship
//! inside the binary, so counts are offline. A panic inside a tokenizer is
//! caught ([`crate::guard`]) and becomes an error of that count.

use std::sync::{Mutex, OnceLock};

/// Encodings personac can count with.
pub const ENCODINGS: [&str; 5] = ["o200k_base", "o200k_harmony", "cl100k_base", "p50k_base", "r50k_base"];

/// The longest whitespace run the legacy (tiktoken) encodings see whole.
const LEGACY_MAX_RUN: usize = 256;

enum Backend {
    /// o200k (harmony shares its vocabulary and pattern) and cl100k.
    Linear(fn() -> &'static bpe_openai::Tokenizer),
    /// p50k and r50k, loaded on first use.
    Legacy(OnceLock<Option<tiktoken_rs::CoreBPE>>),
}

pub struct Tokenizer {
    encoding: String,
    backend: Backend,
    /// Counts by sha256 (hex) of a whole text, from the previous index.
    known: Mutex<foldhash::HashMap<String, usize>>,
    /// Counts of paragraphs already seen in this run (see [`paragraphs`]),
    /// by a 64-bit hash and the length of their text: a large repository
    /// has millions of them, and their text is already held elsewhere.
    paragraphs: Mutex<foldhash::HashMap<(u64, usize), usize>>,
}

/// A count that failed: a bug in a tokenizer, caught.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountError(pub String);

impl Tokenizer {
    /// A tokenizer for a known encoding name.
    pub fn new(encoding: &str) -> Option<Tokenizer> {
        let backend = match encoding {
            "o200k_base" | "o200k_harmony" => Backend::Linear(bpe_openai::o200k_base),
            "cl100k_base" => Backend::Linear(bpe_openai::cl100k_base),
            "p50k_base" | "r50k_base" => Backend::Legacy(OnceLock::new()),
            _ => return None,
        };
        Some(Tokenizer { encoding: encoding.to_string(), backend, known: Mutex::default(), paragraphs: Mutex::default() })
    }

    /// The default encoding's tokenizer (`o200k_base`), which always exists.
    pub fn default_encoding() -> Tokenizer {
        Tokenizer {
            encoding: "o200k_base".to_string(),
            backend: Backend::Linear(bpe_openai::o200k_base),
            known: Mutex::default(),
            paragraphs: Mutex::default(),
        }
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
        let _ = self.count_whole("warm");
    }

    /// Loads the default encoding's vocabulary on another thread, while the
    /// caller reads and parses the sources that may ask for it.
    pub fn warm_default() {
        std::thread::spawn(|| crate::guard::catch(|| bpe_openai::o200k_base().count("warm")));
    }

    /// The number of tokens in `text`, whose sha256 (hex) is `hash`.
    pub fn count_hashed(&self, text: &str, hash: &str) -> Result<usize, CountError> {
        if let Some(n) = self.known.lock().ok().and_then(|k| k.get(hash).copied()) {
            return Ok(n);
        }
        let n = self.count(text)?;
        if let Ok(mut known) = self.known.lock() {
            known.insert(hash.to_string(), n);
        }
        Ok(n)
    }

    /// The number of tokens in `text`. Views share most of their paragraphs
    /// (a part appears in many personas, stages and channels), so for
    /// encodings whose pre-tokenizer never joins across a paragraph start,
    /// each paragraph is counted once and the counts are summed: exactly the
    /// count of the whole.
    pub fn count(&self, text: &str) -> Result<usize, CountError> {
        if matches!(self.backend, Backend::Legacy(_)) {
            return self.count_whole(text);
        }
        // One lock to look every paragraph up, one to remember the new ones:
        // a view has dozens of paragraphs and every core counts at once.
        let keyed: Vec<(&str, (u64, usize))> = paragraphs(text).map(|p| (p, (paragraph_key(p), p.len()))).collect();
        let mut total = 0;
        let mut missing = Vec::new();
        match self.paragraphs.lock() {
            Ok(known) => {
                for (p, key) in &keyed {
                    match known.get(key) {
                        Some(n) => total += n,
                        None => missing.push((*p, *key)),
                    }
                }
            }
            Err(_) => missing = keyed,
        }
        let mut counted = Vec::with_capacity(missing.len());
        for (p, key) in missing {
            let n = self.count_whole(p)?;
            total += n;
            counted.push((key, n));
        }
        if !counted.is_empty()
            && let Ok(mut known) = self.paragraphs.lock()
        {
            known.extend(counted);
        }
        Ok(total)
    }

    /// The count of a text as one piece, through the backend.
    pub fn count_whole(&self, text: &str) -> Result<usize, CountError> {
        let counted = crate::guard::catch(|| match &self.backend {
            Backend::Linear(tokenizer) => pieces_counted(tokenizer(), text),
            Backend::Legacy(bpe) => {
                let bpe = bpe.get_or_init(|| match self.encoding.as_str() {
                    "p50k_base" => tiktoken_rs::p50k_base().ok(),
                    _ => tiktoken_rs::r50k_base().ok(),
                });
                match bpe {
                    Some(bpe) => whitespace_bounded(text).map(|piece| bpe.encode_ordinary(piece).len()).sum(),
                    // The vocabularies are compiled in; failing to load one is a bug.
                    None => text.len().div_ceil(4),
                }
            }
        });
        counted.map_err(|panic| CountError(format!("the {} tokenizer failed: {panic}", self.encoding)))
    }
}

/// The most pieces each thread remembers the counts of (see
/// [`pieces_counted`]); past it, it starts over.
const MAX_PIECES: usize = 1 << 18;

thread_local! {
    /// Token counts of the pre-tokenizer's pieces this thread has counted,
    /// by encoding (its address), then piece.
    static PIECES: std::cell::RefCell<foldhash::HashMap<usize, foldhash::HashMap<Box<str>, u32>>> = std::cell::RefCell::default();
}

/// What `tokenizer.count(text)` gives (the sum of the counts of the pieces
/// its pre-tokenizer splits `text` into; o200k and cl100k do not normalise),
/// with each piece's count remembered: words recur, and a byte-pair count
/// costs far more than a lookup.
fn pieces_counted(tokenizer: &bpe_openai::Tokenizer, text: &str) -> usize {
    let encoding = std::ptr::from_ref(tokenizer) as usize;
    PIECES.with_borrow_mut(|by_encoding| {
        let known = by_encoding.entry(encoding).or_default();
        if known.len() > MAX_PIECES {
            known.clear();
        }
        let mut total = 0;
        for piece in tokenizer.split(text) {
            total += match known.get(piece) {
                Some(&n) => n as usize,
                None => {
                    let n = tokenizer.bpe.count(piece.as_bytes());
                    known.insert(piece.into(), n as u32);
                    n
                }
            };
        }
        total
    })
}

/// A paragraph's hash: foldhash with a fixed seed, the same in every run
/// (and several times faster than SipHash on texts of a few hundred bytes).
fn paragraph_key(text: &str) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::with_seed(0x7e57_ab1e).hash_one(text)
}

/// Splits `text` so that no piece holds a whitespace run longer than
/// [`LEGACY_MAX_RUN`] bytes: tiktoken's backtracking pre-tokenizer overflows
/// its stack on runs of about a million spaces. Counts of ordinary text are
/// unchanged; a longer run counts as the sum of its pieces.
fn whitespace_bounded(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut run = 0;
        let mut cut = rest.len();
        for (i, c) in rest.char_indices() {
            if c.is_whitespace() {
                run += c.len_utf8();
                if run > LEGACY_MAX_RUN {
                    cut = i;
                    break;
                }
            } else {
                run = 0;
            }
        }
        let (piece, tail) = rest.split_at(cut.max(1).min(rest.len()));
        rest = tail;
        Some(piece)
    })
}

/// Splits `text` at the start of each line that holds something other than
/// whitespace, unless the line starts with `/`. The o200k and cl100k
/// pre-tokenizers never make a piece that spans such a position: a piece
/// that takes a newline ends at the last newline of its run (`\s*[\r\n]+`),
/// or, after punctuation, at the last newline or `/` of its run
/// (`[\r\n/]*`), and no other pattern takes a newline. So the token count
/// of the text is the sum of the counts of these chunks. An indented line
/// splits too (pretty JSON is all indented lines); a line of whitespace
/// only does not (`\n\u{a0}\n` is one piece).
pub fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    // Where to look for the next newline.
    let mut from = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        while let Some(newline) = memchr::memchr(b'\n', &bytes[from..]) {
            let at = from + newline + 1;
            from = at;
            if at < bytes.len() && starts_paragraph(&text[at..]) {
                let chunk = &text[start..at];
                start = at;
                return Some(chunk);
            }
        }
        let chunk = &text[start..];
        start = bytes.len();
        from = bytes.len();
        Some(chunk)
    })
}

/// Whether a line (and what follows it) starts a paragraph: after any
/// spaces and tabs, a character that is not whitespace, and not a `/` at
/// the very start.
fn starts_paragraph(line: &str) -> bool {
    let rest = line.trim_start_matches([' ', '\t']);
    match rest.chars().next() {
        Some('/') => rest.len() < line.len(),
        Some(c) => !c.is_whitespace(),
        None => false,
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
        assert_eq!(chunks, ["# Title\n\n", "One line.\n", "  indented\n/path\n", "- item\n\n\n", "Last"]);
        assert_eq!(paragraphs("").count(), 0);
        assert_eq!(paragraphs("\n\u{e9}t\u{e9}\n").collect::<Vec<_>>(), ["\n", "\u{e9}t\u{e9}\n"]);
    }

    /// Every place `paragraphs` splits is a place where the pre-tokenizer
    /// of each encoding counted by paragraph ends a piece, so no piece is
    /// cut in two.
    #[test]
    fn paragraphs_split_only_between_pieces() {
        let mut texts = hard_strings();
        texts.extend(
            [
                "\n",
                "\n\n",
                "a\n",
                "\na",
                "a\nb\n\nc\n /d\n/e\n\u{e9}\n\t\n",
                "a\n\u{85}\nb\n\u{2028}\nc\n\u{a0}\n\nd\n\u{a0}e",
                "{\n  \"a\": 1,\n  \"b\": [\n    2,\n    \"x/y\"\n  ],\n\t\"c\": {}\n}\n",
                "a,\n/b\na,\n  /b\na.\n\n/c\n  \n  d\n \t e\n  \u{65e5}\n  \u{1f600}\n  'll\n's\n  12\n3",
                "- one\n  - nested\n    code();\n\tTabbed\n   \n\n  after blank\n",
            ]
            .map(String::from),
        );
        for tokenizer in [bpe_openai::o200k_base(), bpe_openai::cl100k_base()] {
            for text in &texts {
                let mut ends = std::collections::BTreeSet::new();
                let mut at = 0;
                for piece in tokenizer.split(text) {
                    at += piece.len();
                    ends.insert(at);
                }
                let mut at = 0;
                for chunk in paragraphs(text) {
                    at += chunk.len();
                    assert!(ends.contains(&at), "a piece spans byte {at} of {:?}", &text[..text.len().min(120)]);
                }
                assert_eq!(at, text.len());
            }
        }
    }

    /// Hard strings for tokenizers: long runs, emoji, CJK, mixed scripts,
    /// combining marks, contractions, digits, punctuation runs.
    pub(crate) fn hard_strings() -> Vec<String> {
        let mut out: Vec<String> = [
            "# Maya\n\nYou are Maya.\n\n## Tone\n\nBe warm!\n- one\n- two: 3 items\n\n### order-lookup (critical)\n\nDon't guess.\n",
            "Hello {{ user_name }}!\n\n\n   spaced\n\tTabbed\n1234567\n'quoted' \"text\"\n!!!\n/slash\n:colon\n",
            "Unicode: caf\u{e9}, na\u{ef}ve, \u{65e5}\u{672c}\u{8a9e}\n\u{1f600} emoji\n\nEnd",
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}\u{200d}\u{1f466} family, \u{1f3f3}\u{fe0f}\u{200d}\u{1f308} flag, \u{1f44d}\u{1f3fd}",
            "\u{4e2d}\u{6587}\u{6df7}\u{5408}English\u{3068}\u{65e5}\u{672c}\u{8a9e}\u{3001}\u{d55c}\u{ad6d}\u{c5b4} \u{0627}\u{0644}\u{0639}\u{0631}\u{0628}\u{064a}\u{0629} \u{05e2}\u{05d1}\u{05e8}\u{05d9}\u{05ea} \u{0440}\u{0443}\u{0441}\u{0441}\u{043a}\u{0438}\u{0439}",
            "e\u{301}t\u{301}e\u{301} A\u{30a} \u{915}\u{93f}\u{924}\u{93e}\u{92c}",
            "I'm you're they've we'll he'd IT'S DON'T",
            "12345678901234567890 3.14159 1,000,000 0x1F",
            "....!!!???---___***+++===\n\r\n\r\r\n",
            "${{ matrix.node-version }} ${#arr[@]} {#id} {{user1}}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        out.push(" ".repeat(1_000_000));
        out.push(format!("a{}b", " ".repeat(100_000)));
        out.push(format!("x{}\ny", "\t \n".repeat(10_000)));
        out.push("\u{1f600}".repeat(5_000));
        out.push("\u{65e5}\u{672c}".repeat(5_000));
        out
    }

    /// The sum of the paragraph counts is the count of the whole, for
    /// every encoding that counts by paragraph.
    #[test]
    fn paragraph_counts_add_up_to_the_whole() {
        for encoding in ["o200k_base", "cl100k_base"] {
            let t = Tokenizer::new(encoding).unwrap();
            for text in hard_strings() {
                assert_eq!(t.count(&text), t.count_whole(&text), "{encoding}: {:?}", &text[..text.len().min(80)]);
            }
        }
    }

    /// bpe-openai replaced tiktoken-rs for o200k and cl100k: the counts are
    /// the same. tiktoken itself fails (a panic in its backtracking regex) on
    /// the longest whitespace runs; those are compared where it can count
    /// them, and must simply be counted by ours.
    #[test]
    fn counts_equal_tiktoken_on_hard_strings() {
        let o200k = tiktoken_rs::o200k_base().unwrap();
        let harmony = tiktoken_rs::o200k_harmony().unwrap();
        let cl100k = tiktoken_rs::cl100k_base().unwrap();
        let ours = ["o200k_base", "o200k_harmony", "cl100k_base"].map(|e| Tokenizer::new(e).unwrap());
        let mut compared = 0;
        for text in hard_strings() {
            let got = [0, 1, 2].map(|i| ours[i].count_whole(&text).unwrap());
            let reference = crate::guard::catch(|| {
                [o200k.encode_ordinary(&text).len(), harmony.encode_ordinary(&text).len(), cl100k.encode_ordinary(&text).len()]
            });
            match reference {
                Ok(expected) => {
                    assert_eq!(got, expected, "{:?}", &text[..text.len().min(80)]);
                    compared += 1;
                }
                Err(_) => assert!(text.len() > 100_000 && got.iter().all(|&n| n > 0)),
            }
        }
        assert!(compared >= hard_strings().len() - 2, "tiktoken counted only {compared} strings");
    }

    #[test]
    fn legacy_encodings_survive_long_runs() {
        let t = Tokenizer::new("r50k_base").unwrap();
        assert_eq!(t.count("Hello world"), Ok(2));
        let long = " ".repeat(1_000_000);
        assert!(t.count(&long).is_ok_and(|n| n > 0));
        assert_eq!(whitespace_bounded(&long).map(str::len).sum::<usize>(), long.len());
        assert!(whitespace_bounded(&long).all(|p| p.len() <= LEGACY_MAX_RUN));
    }
}
