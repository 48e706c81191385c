//! A view's record of its runtime variables: the view split into literal
//! text and the variables a caller fills, so that a loader never takes
//! literal text that looks like `{{ name }}` (a `template = false` text, a
//! `{% raw %}` block, a compile-time value) for a variable.

use serde_json::{Value, json};

use crate::diag::{Diagnostic, code};
use crate::model::ResolvedPersona;
use crate::render::{MARK_CLOSE, MARK_OPEN};

/// A view split into literal text and variables.
#[derive(Clone, Debug)]
pub struct Segments {
    /// The variables, each once, in order of first use.
    pub vars: Vec<String>,
    pub pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Var(String),
}

impl Segments {
    /// `{"format": 2, "segments": ["Hello ", {"var": "user_name"}, …]}`.
    pub fn to_json(&self) -> Value {
        let pieces: Vec<Value> = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => json!(t),
                Piece::Var(v) => json!({ "var": v }),
            })
            .collect();
        json!({ "format": super::output::FORMAT, "segments": pieces })
    }

    /// The record's file: [`Segments::to_json`] pretty-printed, written
    /// straight from the pieces (no copy of the view into a JSON value).
    pub fn to_bytes(&self) -> Vec<u8> {
        let len: usize = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len() + 8,
                Piece::Var(v) => v.len() + 32,
            })
            .sum();
        let mut out = Vec::with_capacity(len + 48);
        out.extend_from_slice(format!("{{\n  \"format\": {},\n  \"segments\": [", super::output::FORMAT).as_bytes());
        for (i, p) in self.pieces.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            match p {
                Piece::Text(t) => _ = serde_json::to_writer(&mut out, t),
                Piece::Var(v) => {
                    out.extend_from_slice(b"{\n      \"var\": ");
                    _ = serde_json::to_writer(&mut out, v);
                    out.extend_from_slice(b"\n    }");
                }
            }
        }
        out.extend_from_slice(if self.pieces.is_empty() { b"]\n}\n" } else { b"\n  ]\n}\n" });
        out
    }

    /// The text with each variable written `{{ name }}`.
    pub fn joined(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => {
                    out.push_str("{{ ");
                    out.push_str(v);
                    out.push_str(" }}");
                }
            }
        }
        out
    }
}

impl Segments {
    /// Fills the record with a caller's values, as every loader does
    /// (docs/artifacts.md, "Filling a view"): each value must name one of
    /// the persona's runtime variables (`decls`) and fit its `max_length`;
    /// a variable without a value takes its default, else the fill fails.
    /// A filled value is never scanned again. The error says why.
    pub fn fill(&self, values: &std::collections::BTreeMap<String, String>, decls: &[crate::model::RuntimeVar]) -> Result<String, String> {
        fill_checked(values, decls)?;
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => {
                    match values.get(v).cloned().or_else(|| decls.iter().find(|d| d.name.value == *v).and_then(|d| d.default.clone())) {
                        Some(value) => out.push_str(&value),
                        None => return Err(format!("runtime variable `{v}` needs a value: it has no default")),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Checks a caller's values against the runtime variables they fill: each
/// one declared, none over its `max_length` (in code points).
pub fn fill_checked(values: &std::collections::BTreeMap<String, String>, decls: &[crate::model::RuntimeVar]) -> Result<(), String> {
    for (name, value) in values {
        let Some(decl) = decls.iter().find(|d| d.name.value == *name) else {
            let names: Vec<&str> = decls.iter().map(|d| d.name.value.as_str()).collect();
            let mut msg = format!("`{name}` is not a runtime variable of this persona");
            if let Some(best) = crate::diag::did_you_mean(name, names.iter().copied()) {
                msg.push_str(&format!("; did you mean `{best}`?"));
            }
            return Err(msg);
        };
        if let Some(max) = decl.max_length
            && value.chars().count() as u64 > max
        {
            return Err(format!("the value of `{name}` is longer than its `max_length` of {max} characters"));
        }
    }
    Ok(())
}

/// Splits `marked` (a view laid out with its open runtime variables marked)
/// at its marks. `None` when it has none. The record must give `expected`,
/// the view as written, back exactly: a source text that holds the marks
/// itself is an error.
pub fn record(marked: &str, expected: &str, persona: &ResolvedPersona, what: &str) -> Result<Option<Segments>, Vec<Diagnostic>> {
    let split = split(marked, |name| persona.runtime_vars.iter().any(|v| v == name) && !persona.vars.contains_key(name));
    let same = match &split {
        Some(s) => s.joined() == expected,
        None => marked == expected,
    };
    if !same {
        return Err(vec![
            Diagnostic::error(
                code::RUNTIME_VARIABLE,
                format!("the {what} of persona `{}` holds U+E000 or U+E001, which personac reserves", persona.name),
            )
            .at(&persona.persona.meta.file, persona.persona.meta.name_span.clone())
            .help("personac marks runtime variables with these private-use characters while it records them; remove them from the texts this persona uses"),
        ]);
    }
    Ok(split)
}

/// The record of a view in which every `{{ name }}` of an open runtime
/// variable is that variable ([`crate::render::Renderer::braces_are_variables`]):
/// read off the view as written. `None` without any.
pub fn read_off(view: &str, persona: &ResolvedPersona) -> Option<Segments> {
    if !view.contains("{{ ") {
        return None;
    }
    let open: Vec<&String> = persona.runtime_vars.iter().filter(|v| !persona.vars.contains_key(*v)).collect();
    let mut pieces = Vec::new();
    let mut vars: Vec<String> = Vec::new();
    let (mut text_from, mut from) = (0, 0);
    while let Some(at) = view[from..].find("{{ ").map(|at| from + at) {
        let after = &view[at + 3..];
        match open.iter().find(|v| after.starts_with(v.as_str()) && after[v.len()..].starts_with(" }}")) {
            Some(v) => {
                if text_from < at {
                    pieces.push(Piece::Text(view[text_from..at].to_string()));
                }
                pieces.push(Piece::Var(v.to_string()));
                if !vars.iter().any(|x| x == *v) {
                    vars.push(v.to_string());
                }
                from = at + 3 + v.len() + 3;
                text_from = from;
            }
            None => from = at + 3,
        }
    }
    if vars.is_empty() {
        return None;
    }
    if text_from < view.len() {
        pieces.push(Piece::Text(view[text_from..].to_string()));
    }
    Some(Segments { vars, pieces })
}

/// The pieces of `marked`, where `is_var` says which marked names are
/// variables; `None` without any.
fn split(marked: &str, is_var: impl Fn(&str) -> bool) -> Option<Segments> {
    let mut pieces = Vec::new();
    let mut vars: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut rest = marked;
    while let Some(open) = rest.find(MARK_OPEN) {
        let after = &rest[open + MARK_OPEN.len_utf8()..];
        let name = after.find(MARK_CLOSE).map(|close| &after[..close]).filter(|n| is_var(n));
        match name {
            Some(name) => {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(name.to_string()));
                if !vars.iter().any(|v| v == name) {
                    vars.push(name.to_string());
                }
                rest = &after[name.len() + MARK_CLOSE.len_utf8()..];
            }
            None => {
                text.push_str(&rest[..open + MARK_OPEN.len_utf8()]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if vars.is_empty() {
        return None;
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Some(Segments { vars, pieces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_split_into_text_and_variables_and_literal_braces_stay_text() {
        let marked = format!(
            "Hi {MARK_OPEN}user{MARK_CLOSE}, show {{{{ user }}}} as is; 🌍 {MARK_OPEN}user{MARK_CLOSE}{MARK_OPEN}tier{MARK_CLOSE}."
        );
        let s = split(&marked, |n| n == "user" || n == "tier").unwrap();
        assert_eq!(s.vars, ["user", "tier"]);
        assert_eq!(
            s.pieces,
            [
                Piece::Text("Hi ".into()),
                Piece::Var("user".into()),
                Piece::Text(", show {{ user }} as is; 🌍 ".into()),
                Piece::Var("user".into()),
                Piece::Var("tier".into()),
                Piece::Text(".".into()),
            ]
        );
        assert_eq!(s.joined(), "Hi {{ user }}, show {{ user }} as is; 🌍 {{ user }}{{ tier }}.");
    }

    #[test]
    fn the_record_file_is_the_pretty_json_of_the_record() {
        let (open, close) = (MARK_OPEN, MARK_CLOSE);
        for marked in [
            format!("Hi {open}user{close}, \"quoted\" \\ 🌍\n\tnext"),
            format!("{open}user{close}"),
            format!("a{open}user{close}{open}user{close}b"),
        ] {
            let s = split(&marked, |n| n == "user").unwrap();
            let mut pretty = serde_json::to_vec_pretty(&s.to_json()).unwrap();
            pretty.push(b'\n');
            assert_eq!(String::from_utf8(s.to_bytes()).unwrap(), String::from_utf8(pretty).unwrap());
        }
    }

    #[test]
    fn a_mark_around_a_name_that_is_no_variable_is_text() {
        let marked = format!("a {MARK_OPEN}other{MARK_CLOSE} b {MARK_OPEN}x");
        assert!(split(&marked, |n| n == "user").is_none());
    }
}
