//! Mutation testing: thousands of broken variants of the example
//! repository's files, seeded and deterministic, each loaded and compiled by
//! the library in process, and a sample built by the real binary. Whatever
//! the input: no panic, no abort, exit 0 or 1, every error has its location
//! line, and a failed build writes nothing.
//!
//! `PERSONAC_MUTANTS=N` runs N mutants instead of the default.

use std::collections::BTreeMap;

use personac::catalog::Cache;
use personac::diag::{self, Format};
use personac::snapshot::Snapshot;

use crate::support::{Repo, examples_root};

/// splitmix64: a small, seeded, portable generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Template fragments and values that have broken template engines and
/// parsers before.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "{% for x in y %}",
    "{% for a in [1] %}{{ loop.cycle() }}{% endfor %}",
    "{{ 'x'|indent(999999999999) }}",
    "{{ [1]|batch(99999999999, 'x') }}",
    "{{ '%99999999999d'|format(1) }}",
    "{{ 'x' * 99999999 }}",
    "{% if %}",
    "{% endif %}",
    "{#",
    "{# a comment #}",
    "{{ undefined_variable }}",
    "{{ company|upper }}",
    "{% raw %}",
    "{% include 'x' %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ range(100000)|list|length }}",
    "${{ matrix.node-version }}",
    "\u{feff}",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{1b}[31m",
    "---",
    "+++",
    "[[stages]]",
    "extends = \"support-base\"",
    "parts = [",
    "- name",
    "  - ",
    "&anchor",
    "*anchor",
    "!!binary",
    "= = =",
    "\"unterminated",
    "'''",
    "\"\"\"",
];

const VALUES: &[&str] = &[
    "42",
    "-1",
    "0",
    "3.5",
    "true",
    "null",
    "[]",
    "{}",
    "[1, 2]",
    "{ a = 1 }",
    "\"\"",
    "\"x\"",
    "~",
    "1979-05-27T07:32:00Z",
    "nan",
    "inf",
    "0x",
    "1__2",
    "99999999999999999999999",
];

/// One mutation of a file's bytes.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let text = bytes.to_vec();
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    let line_at = |rng: &mut Rng| rng.below(lines.len().max(1));
    let byte_at = |rng: &mut Rng| rng.below(text.len() + 1);
    let splice = |at: usize, insert: &[u8]| {
        let mut out = text[..at.min(text.len())].to_vec();
        out.extend_from_slice(insert);
        out.extend_from_slice(&text[at.min(text.len())..]);
        out
    };
    match rng.below(14) {
        // Delete a line.
        0 if !lines.is_empty() => {
            let i = line_at(rng);
            lines.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, l)| l.iter().copied()).collect()
        }
        // Duplicate a line.
        1 if !lines.is_empty() => {
            let i = line_at(rng);
            lines.iter().enumerate().flat_map(|(j, l)| if j == i { [*l, *l].concat() } else { l.to_vec() }).collect()
        }
        // Truncate.
        2 => text[..byte_at(rng).min(text.len())].to_vec(),
        // Random bytes, often not UTF-8.
        3 => {
            let n = 1 + rng.below(8);
            let noise: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            splice(byte_at(rng), &noise)
        }
        // Invalid UTF-8 on purpose.
        4 => {
            let invalid: [&[u8]; 5] = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf"];
            let pick = *rng.pick(&invalid);
            splice(byte_at(rng), pick)
        }
        // Swap or drop a quote.
        5 => {
            let quotes: Vec<usize> = text.iter().enumerate().filter(|(_, b)| **b == b'"' || **b == b'\'').map(|(i, _)| i).collect();
            let mut out = text.clone();
            if !quotes.is_empty() {
                let i = *rng.pick(&quotes);
                match rng.below(3) {
                    0 => out[i] = if out[i] == b'"' { b'\'' } else { b'"' },
                    1 => _ = out.remove(i),
                    _ => out.insert(i, b'"'),
                }
            }
            out
        }
        // Retype a value: what follows `=` or `:` on a line.
        6 if !lines.is_empty() => {
            let i = line_at(rng);
            let value = rng.pick(VALUES).as_bytes();
            lines
                .iter()
                .enumerate()
                .flat_map(|(j, l)| {
                    if j != i {
                        return l.to_vec();
                    }
                    match l.iter().position(|b| *b == b'=' || *b == b':') {
                        Some(at) => [&l[..=at], b" ", value, b"\n"].concat(),
                        None => l.to_vec(),
                    }
                })
                .collect()
        }
        // A very long line.
        7 => {
            let unit = rng.pick(&["a", " ", "{{ x }}", "é", "#", "- "]);
            splice(byte_at(rng), format!("{}\n", unit.repeat(20_000 + rng.below(80_000))).as_bytes())
        }
        // A template fragment anywhere.
        8 | 9 => splice(byte_at(rng), rng.pick(FRAGMENTS).as_bytes()),
        // Swap two lines.
        10 if lines.len() > 1 => {
            let (a, b) = (line_at(rng), line_at(rng));
            let mut ls: Vec<&[u8]> = lines.clone();
            ls.swap(a, b);
            ls.concat()
        }
        // Empty the file.
        11 => Vec::new(),
        // Rename a reference: change one character of a name-like word.
        12 => {
            let mut out = text.clone();
            let letters: Vec<usize> = out.iter().enumerate().filter(|(_, b)| b.is_ascii_lowercase()).map(|(i, _)| i).collect();
            if !letters.is_empty() {
                let i = *rng.pick(&letters);
                out[i] = b'a' + (rng.below(26) as u8);
            }
            out
        }
        // Delete one byte.
        _ if !text.is_empty() => {
            let mut out = text.clone();
            out.remove(rng.below(text.len()));
            out
        }
        _ => text.clone(),
    }
}

/// The example repository's sources, by path.
fn example_files() -> BTreeMap<String, Vec<u8>> {
    let root = examples_root();
    let mut files = BTreeMap::new();
    files.insert("personac.toml".to_string(), std::fs::read(root.join("personac.toml")).unwrap());
    for folder in ["personas", "parts", "traits", "skills", "guardrails", "arcs", "templates"] {
        for (path, bytes) in crate::support::tree(&root.join(folder)) {
            let path = format!("{folder}/{path}");
            if personac::snapshot::is_source_path(&path) {
                files.insert(path, bytes);
            }
        }
    }
    assert!(files.len() > 40, "the example repository has only {} sources", files.len());
    files
}

/// Every `error[` header of a human report is followed by its location line.
fn assert_located(printed: &str, what: &str) {
    let lines: Vec<&str> = printed.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("error[") {
            let next = lines.get(i + 1).copied().unwrap_or_default();
            assert!(next.trim_start().starts_with("--> "), "{what}: an error without its location line:\n{printed}");
        }
    }
}

/// The mutants: which file, and its new bytes (several files per mutant now
/// and then).
fn mutants(count: usize) -> Vec<BTreeMap<String, Vec<u8>>> {
    let files = example_files();
    let paths: Vec<String> = files.keys().cloned().collect();
    let mut rng = Rng(0x5eed_2026);
    (0..count)
        .map(|_| {
            let mut mutant = files.clone();
            let times = if rng.below(5) == 0 { 2 + rng.below(3) } else { 1 };
            for _ in 0..times {
                let path = rng.pick(&paths).clone();
                let bytes = mutate(&mut rng, &mutant[&path]);
                mutant.insert(path, bytes);
            }
            mutant
        })
        .collect()
}

#[test]
fn thousands_of_mutants_never_panic_and_every_error_is_located() {
    let count = std::env::var("PERSONAC_MUTANTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let mutants = mutants(count);
    let cache = Cache::default();
    let mut outcomes = [0usize; 2];
    for (i, files) in mutants.iter().enumerate() {
        let snapshot = Snapshot::from_bytes(files.iter().map(|(p, b)| (p.clone(), b.clone())));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut diags = snapshot.read_errors();
            match personac::Project::load(&snapshot, &cache) {
                Ok(project) => {
                    if let Err(d) = personac::artifacts::compile(
                        &project.catalog,
                        &project.renderer,
                        &project.tokenizer,
                        &snapshot,
                        None,
                        None,
                        &personac::artifacts::InMemory,
                    ) {
                        diags.extend(d);
                    }
                }
                Err(d) => diags.extend(d),
            }
            diags
        }));
        let diags = result.unwrap_or_else(|_| panic!("mutant {i} panicked"));
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        outcomes[usize::from(!errors.is_empty())] += 1;
        for d in &errors {
            assert!(d.file.is_some() && d.span.is_some(), "mutant {i}: an error without a place: {d:?}");
        }
        assert_located(&diag::print(&diags, &snapshot, Format::Human { color: false }), &format!("mutant {i}"));
    }
    // The mutations must reach both sides: many break the repository, some do not.
    assert!(outcomes[1] > count / 2 && outcomes[0] > count / 50, "clean/failed: {outcomes:?}");
}

#[test]
fn a_sample_of_mutants_through_the_real_binary() {
    let mutants = mutants(2000);
    for (i, files) in mutants.iter().enumerate().step_by(50) {
        let repo = Repo::new();
        for (path, bytes) in files {
            let full = repo.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, bytes).unwrap();
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_personac"))
            .arg("-C")
            .arg(repo.path())
            .args(["--color=never", "build"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => assert!(repo.exists("build-output/index.json"), "mutant {i}"),
            Some(1) => {
                assert!(!repo.exists("build-output"), "mutant {i}: a failed build wrote something\n{stderr}");
                assert_located(&stderr, &format!("mutant {i}"));
            }
            other => panic!("mutant {i} ended with {other:?} (a panic or a signal):\n{stderr}"),
        }
    }
}
