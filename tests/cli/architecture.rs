//! The house: every file of `src/` names only files on its own floor or
//! below, as ARCHITECTURE.md declares them, and no files name each other in
//! a circle. Modelled on rust-analyzer's `tidy` tests: the sources are read
//! as text, and a failure names the file, the line and the arrow.
//!
//! An arrow is every path in code (not comments or strings) that names
//! another module of the crate: `crate::…`, `super::…`, `self::…`, and a
//! parent's use of its child modules' items (`child::item`, `pub use
//! child::…`). Declaring a child module (`mod child;`) is not an arrow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One file of `src/` as a module.
struct File {
    /// `src/`-relative path: `cli/mod.rs`.
    path: String,
    /// Module path below the crate: `["cli"]`.
    module: Vec<String>,
    /// The file-backed child modules it declares.
    children: BTreeSet<String>,
}

/// `from` names `to` at `line`.
#[derive(Clone, Debug)]
struct Arrow {
    from: String,
    to: String,
    line: usize,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a Rust file with comments, strings and character literals
/// blanked (newlines kept, so lines still count).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.extend(b"  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.extend(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if (c == b'r' || (c == b'b' && b.get(i + 1) == Some(&b'r')))
            && !prev_is_ident(b, i)
            && raw_string_start(b, if c == b'b' { i + 1 } else { i }).is_some()
        {
            let start = if c == b'b' { i + 1 } else { i };
            let hashes = raw_string_start(b, start).unwrap();
            let body = start + 1 + hashes + 1;
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let end = b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| body + p + close.len());
            for &x in &b[i..end] {
                blank(&mut out, x);
            }
            i = end;
        } else if c == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if c == b'\'' {
            // A character literal ('x', '\n', '\u{..}'), not a lifetime.
            let end = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..].iter().position(|&x| x == b'\'').map(|p| i + 2 + p)
            } else {
                let ch_len = std::str::from_utf8(&b[i + 1..]).ok().and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
                (b.get(i + 1 + ch_len) == Some(&b'\'')).then_some(i + 1 + ch_len)
            };
            match end {
                Some(end) => {
                    for &x in &b[i..=end] {
                        blank(&mut out, x);
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// `r"`, `r#"`: the number of hashes of a raw string starting at `i`.
fn raw_string_start(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'r') {
        return None;
    }
    let hashes = b[i + 1..].iter().take_while(|&&x| x == b'#').count();
    (b.get(i + 1 + hashes) == Some(&b'"')).then_some(hashes)
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other(char),
}

fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &code[i..end];
                // Raw identifiers (`r#type`) read as their name.
                out.push((Tok::Ident(word.to_string()), line));
            }
            ':' if chars.peek().is_some_and(|&(_, d)| d == ':') => {
                chars.next();
                out.push((Tok::PathSep, line));
            }
            '{' => out.push((Tok::Open, line)),
            '}' => out.push((Tok::Close, line)),
            ',' => out.push((Tok::Comma, line)),
            '*' => out.push((Tok::Star, line)),
            c => out.push((Tok::Other(c), line)),
        }
    }
    out
}

/// The paths a path expression or use tree starting at `toks[at]` names,
/// each as segments, with the index past it.
fn paths_at(toks: &[(Tok, usize)], at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = at;
    loop {
        match toks.get(i) {
            Some((Tok::Ident(word), _)) => {
                prefix.push(word.clone());
                i += 1;
                if matches!(toks.get(i), Some((Tok::PathSep, _))) {
                    i += 1;
                    continue;
                }
                return (vec![prefix], i);
            }
            Some((Tok::Open, _)) => {
                // A use tree's group: each branch is a path of its own.
                i += 1;
                let mut all = Vec::new();
                loop {
                    match toks.get(i) {
                        Some((Tok::Close, _)) | None => return (all, i + 1),
                        Some((Tok::Comma, _)) => i += 1,
                        Some((Tok::Star, _)) => {
                            all.push(prefix.clone());
                            i += 1;
                        }
                        Some((Tok::Ident(w), _)) if w == "self" => {
                            all.push(prefix.clone());
                            i += 1;
                        }
                        Some(_) => {
                            let (branches, next) = paths_at(toks, i);
                            for b in branches {
                                let mut p = prefix.clone();
                                p.extend(b);
                                all.push(p);
                            }
                            // `as NAME` after a branch.
                            i = next;
                            if matches!(toks.get(i), Some((Tok::Ident(w), _)) if w == "as") {
                                i += 2;
                            }
                        }
                    }
                }
            }
            Some((Tok::Star, _)) => return (vec![prefix], i + 1),
            _ => return (vec![prefix], i),
        }
    }
}

/// Every arrow of one file, as module paths with the line they are on.
fn module_references(file: &File, code: &str) -> Vec<(Vec<String>, usize)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) change what `self` and `super` mean.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let (tok, line) = &toks[i];
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Open, _))) = (toks.get(i + 1), toks.get(i + 2)) {
                    inline.push((name.clone(), depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(word) => {
                let after_sep = i > 0 && matches!(toks[i - 1].0, Tok::PathSep);
                let starts_path = !after_sep && matches!(toks.get(i + 1), Some((Tok::PathSep, _)));
                let here: Vec<String> = file.module.iter().cloned().chain(inline.iter().map(|(n, _)| n.clone())).collect();
                let start = match word.as_str() {
                    "crate" if starts_path => Some((Vec::new(), i + 2)),
                    "self" if starts_path => Some((here.clone(), i + 2)),
                    "super" if starts_path => {
                        let mut base = here.clone();
                        let mut j = i;
                        while matches!(toks.get(j), Some((Tok::Ident(w), _)) if w == "super")
                            && matches!(toks.get(j + 1), Some((Tok::PathSep, _)))
                        {
                            base.pop();
                            j += 2;
                        }
                        Some((base, j))
                    }
                    // A parent naming its child module's items.
                    child if starts_path && inline.is_empty() && file.children.contains(child) => Some((file.module.clone(), i)),
                    _ => None,
                };
                if let Some((base, from)) = start {
                    let (paths, next) = paths_at(&toks, from);
                    for p in paths {
                        let mut full = base.clone();
                        full.extend(p);
                        out.push((full, *line));
                    }
                    i = next.max(i + 1);
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn load() -> (Vec<File>, Vec<Arrow>) {
    let src = src();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut files = Vec::new();
    let mut texts = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        // The binary is its own crate, on top of the library.
        if rel == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = code_only(&text);
        files.push(File { module: module_of(&rel), path: rel, children: BTreeSet::new() });
        texts.push(code);
    }
    let by_module: BTreeMap<Vec<String>, String> = files.iter().map(|f| (f.module.clone(), f.path.clone())).collect();
    for f in &mut files {
        f.children = by_module
            .keys()
            .filter(|m| m.len() == f.module.len() + 1 && m.starts_with(&f.module))
            .map(|m| m.last().unwrap().clone())
            .collect();
    }
    let mut arrows = Vec::new();
    for (f, code) in files.iter().zip(&texts) {
        for (path, line) in module_references(f, code) {
            // The file that holds the longest prefix of the path.
            let target = (0..=path.len()).rev().find_map(|n| by_module.get(&path[..n]));
            if let Some(to) = target
                && *to != f.path
            {
                arrows.push(Arrow { from: f.path.clone(), to: to.clone(), line });
            }
        }
    }
    (files, arrows)
}

/// The floors ARCHITECTURE.md declares, top first: each room (a file
/// `name.rs` or a folder `name/`, as a module name) to its floor's number,
/// counted from the bottom.
fn floors() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    let start = doc.find("```floors").expect("ARCHITECTURE.md declares its floors in a ```floors block");
    let body = &doc[start + "```floors".len()..];
    let body = &body[..body.find("```").expect("the floors block is closed")];
    let lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut out = BTreeMap::new();
    for (n, line) in lines.iter().enumerate() {
        let floor = lines.len() - n;
        let rooms = line.split_once(':').map_or(*line, |(_, rooms)| rooms);
        for room in rooms.split_whitespace() {
            assert!(
                out.insert(room.trim_end_matches('/').to_string(), floor).is_none(),
                "ARCHITECTURE.md names the room `{room}` on two floors"
            );
        }
    }
    out
}

fn room_of(path: &str) -> String {
    match path.split_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => path.trim_end_matches(".rs").to_string(),
    }
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(files: &[String], arrows: &[Arrow]) -> Vec<Vec<String>> {
    let index: BTreeMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.as_str(), i)).collect();
    let mut next: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for a in arrows {
        next[index[a.from.as_str()]].insert(index[a.to.as_str()]);
    }
    struct State {
        counter: usize,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        out: Vec<Vec<usize>>,
    }
    fn visit(v: usize, next: &[BTreeSet<usize>], s: &mut State) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &next[v] {
            match s.index[w] {
                None => {
                    visit(w, next, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let n = files.len();
    let mut s = State { counter: 0, index: vec![None; n], low: vec![0; n], on_stack: vec![false; n], stack: Vec::new(), out: Vec::new() };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(v, &next, &mut s);
        }
    }
    s.out
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c.into_iter().map(|i| files[i].clone()).collect();
            names.sort();
            names
        })
        .collect()
}

/// The problems of a house: arrows that run up a floor, rooms on no floor,
/// and circles (each with the arrows that close it).
fn problems(files: &[File], arrows: &[Arrow], floors: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out = Vec::new();
    let rooms: BTreeSet<String> = files.iter().map(|f| room_of(&f.path)).filter(|r| r != "lib").collect();
    for room in &rooms {
        if !floors.contains_key(room) {
            out.push(format!("src/{room}: on no floor of ARCHITECTURE.md: add it to the ```floors block"));
        }
    }
    for room in floors.keys() {
        if !rooms.contains(room) {
            out.push(format!("ARCHITECTURE.md: the floors name `{room}`, which is not a file or folder of src/"));
        }
    }
    for a in arrows {
        let (from, to) = (room_of(&a.from), room_of(&a.to));
        if let (Some(f), Some(t)) = (floors.get(&from), floors.get(&to))
            && t > f
        {
            out.push(format!(
                "src/{}:{}: names src/{}, which is on a higher floor ({to}, floor {t}, above {from}, floor {f})",
                a.from, a.line, a.to
            ));
        }
        if from != "lib" && to == "lib" {
            out.push(format!("src/{}:{}: names the crate root src/lib.rs, which only declares the rooms", a.from, a.line));
        }
    }
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    for circle in circles(&names, arrows) {
        let members: BTreeSet<&String> = circle.iter().collect();
        let mut lines = vec![format!("a circle of {} files: {}", circle.len(), circle.join(", "))];
        let mut closing: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
        for a in arrows.iter().filter(|a| members.contains(&a.from) && members.contains(&a.to)) {
            let lines = closing.entry((&a.from, &a.to)).or_default();
            if !lines.contains(&a.line.to_string()) {
                lines.push(a.line.to_string());
            }
        }
        for ((from, to), at) in closing {
            lines.push(format!("    src/{from}:{} -> src/{to}", at.join(",")));
        }
        out.push(lines.join("\n"));
    }
    out
}

#[test]
fn every_arrow_points_down_a_floor_and_no_files_name_each_other_in_a_circle() {
    let (files, arrows) = load();
    let problems = problems(&files, &arrows, &floors());
    assert!(problems.is_empty(), "the house (ARCHITECTURE.md, ```floors):\n{}", problems.join("\n"));
}

#[test]
fn no_file_of_src_is_over_650_lines() {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let long: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).unwrap().lines().count();
            (n > 650).then(|| format!("{}: {n} lines", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "files past 650 lines are probably two rooms:\n{}", long.join("\n"));
}

/// The reader itself, on a small house of its own: it must see each kind of
/// arrow, and nothing in comments or strings.
#[test]
fn the_reader_finds_every_kind_of_arrow_and_nothing_in_comments_or_strings() {
    let text = r##"
use crate::diag::{self, Diagnostic, code};
use super::Ctx;
// use crate::not_this::X;
/* crate::nor_this */
const S: &str = "crate::nor_in_strings";
const R: &str = r#"crate::nor_raw"#;
fn f<'a>(c: char) { if c == '"' { child::go(); } let _ = self::helper; }
mod tests { use super::*; use super::super::up::Thing; }
"##;
    let file = File { path: "room/mod.rs".into(), module: vec!["room".into()], children: ["child".to_string()].into() };
    let found: Vec<(String, usize)> = module_references(&file, &code_only(text)).into_iter().map(|(p, l)| (p.join("::"), l)).collect();
    let expected = [
        ("diag", 2),
        ("diag::Diagnostic", 2),
        ("diag::code", 2),
        ("Ctx", 3),
        ("room::child::go", 8),
        ("room::helper", 8),
        ("room", 9),
        ("up::Thing", 9),
    ];
    let expected: Vec<(String, usize)> = expected.iter().map(|(p, l)| (p.to_string(), *l)).collect();
    assert_eq!(found, expected);
}

/// The check itself fails on a circle and on an arrow up, naming the line.
#[test]
fn a_circle_and_an_arrow_up_are_each_named_with_their_line() {
    let file = |p: &str| File { path: p.into(), module: module_of(p), children: BTreeSet::new() };
    let files = vec![file("low.rs"), file("high.rs"), file("mid/mod.rs"), file("mid/a.rs")];
    let arrow = |from: &str, to: &str, line| Arrow { from: from.into(), to: to.into(), line };
    let arrows = vec![arrow("low.rs", "high.rs", 7), arrow("mid/mod.rs", "mid/a.rs", 3), arrow("mid/a.rs", "mid/mod.rs", 4)];
    let floors: BTreeMap<String, usize> = [("high".to_string(), 3), ("mid".to_string(), 2), ("low".to_string(), 1)].into();
    let found = problems(&files, &arrows, &floors);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("src/low.rs:7: names src/high.rs, which is on a higher floor"), "{}", found[0]);
    assert!(found[1].contains("a circle of 2 files: mid/a.rs, mid/mod.rs"), "{}", found[1]);
    assert!(found[1].contains("src/mid/a.rs:4 -> src/mid/mod.rs"), "{}", found[1]);
}
