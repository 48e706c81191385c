//! Templates whose only syntax is `{{ name }}`: found, read and filled
//! without the template engine (most texts), which a test compares with
//! the engine on every case.

use std::fmt::Write as _;

use minijinja::{Environment, Value};

/// Whether a text holds template syntax: `{{`, `{%` or `{#`. One pass that
/// stops only at a `{` (most texts have none): every text is asked this
/// each time it is rendered, and three searches took a tenth of `check`.
pub fn has_template_syntax(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|at| matches!(bytes.get(at + 1), Some(b'{' | b'%' | b'#')))
}

/// One piece of a template whose only syntax is `{{ name }}`.
pub(super) enum Bare<'s> {
    Text(&'s str),
    Name(&'s str),
}

/// Walks a template whose only syntax is `{{ name }}`, giving `each` its
/// literal runs and names in order. `None` for anything else (tags,
/// comments, filters, whitespace control, a literal such as `true`), or
/// where `each` gives `None`.
pub(super) fn bare_walk<'s>(source: &'s str, mut each: impl FnMut(Bare<'s>) -> Option<()>) -> Option<()> {
    // One pass from `{` to `{`: a tag or a comment anywhere gives `None`,
    // as does a `{` inside `{{ }}` (not a name).
    let bytes = source.as_bytes();
    let (mut text, mut from) = (0, 0);
    while let Some(open) = memchr::memchr(b'{', &bytes[from..]).map(|at| from + at) {
        match bytes.get(open + 1) {
            Some(b'%' | b'#') => return None,
            Some(b'{') => {
                each(Bare::Text(&source[text..open]))?;
                let close = open + 2 + memchr::memmem::find(&bytes[open + 2..], b"}}")?;
                let name = source[open + 2..close].trim_matches(' ');
                if !crate::parse::is_identifier(name) || name == "none" || name == "true" || name == "false" {
                    return None;
                }
                each(Bare::Name(name))?;
                (text, from) = (close + 2, close + 2);
            }
            _ => from = open + 1,
        }
    }
    each(Bare::Text(&source[text..]))
}

/// Renders a text whose only template syntax is `{{ name }}`, the common
/// case, without compiling a template: the result is what minijinja prints
/// (a value's `Display`, no escaping). `None` for anything else, or an
/// undefined name, which the full engine then renders or reports.
pub(super) fn substitute(source: &str, ctx: &Value) -> Option<String> {
    let mut out = String::with_capacity(source.len());
    bare_walk(source, |piece| {
        match piece {
            Bare::Text(text) => out.push_str(text),
            Bare::Name(name) => {
                let value = ctx.get_attr(name).ok().filter(|v| !v.is_undefined())?;
                let _ = write!(out, "{value}");
            }
        }
        Some(())
    })?;
    Some(out)
}

/// The variables of a template whose only syntax is `{{ name }}` (what
/// [`substitute`] renders), without compiling it; `None` for anything else.
pub(super) fn bare_names(source: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    bare_walk(source, |piece| {
        if let Bare::Name(name) = piece
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
        Some(())
    })?;
    Some(names)
}

/// The byte ranges of the bare uses of `var` in a template source:
/// `{{ var }}`, with any spaces and `-` whitespace control.
pub(super) fn bare_uses(source: &str, var: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = source[at..].find("{{").map(|i| at + i) {
        let Some(close) = source[open + 2..].find("}}").map(|i| open + 2 + i) else { break };
        let inner = source[open + 2..close].trim_start_matches('-').trim_end_matches('-').trim();
        if inner == var {
            out.push(open..close + 2);
        }
        at = close + 2;
    }
    out
}

/// Where `source` uses the variable `var` other than bare, by compiling it
/// with the bare uses blanked out: if it still uses `var`, the first other
/// occurrence of the word is where.
pub(super) fn runtime_misuse_at(source: &str, var: &str) -> Option<usize> {
    let mut stripped = source.to_string();
    for range in bare_uses(source, var) {
        stripped.replace_range(range.clone(), &" ".repeat(range.len()));
    }
    let env = Environment::new();
    let template = env.template_from_str(&stripped).ok()?;
    if !template.undeclared_variables(false).contains(var) {
        return None;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let found = stripped.match_indices(var).find(|(i, _)| {
        let before = stripped[..*i].chars().next_back();
        let after = stripped[i + var.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    });
    Some(found.map_or(0, |(i, _)| i))
}

#[cfg(test)]
mod tests {
    use minijinja::value::Serde;

    use super::super::engine;
    use super::*;

    /// Read without compiling, a bare template's variables are what the
    /// engine finds; anything else is left to the engine.
    #[test]
    fn bare_names_are_the_engines_variables() {
        let env = engine::environment(|_| None);
        for source in ["Hi {{ user }} of {{team}}, {{ user }}.", "no variables", "{{ a }}{{ b_2 }}"] {
            let mut engine: Vec<String> = env.template_from_str(source).unwrap().undeclared_variables(false).into_iter().collect();
            let mut bare = bare_names(source).unwrap();
            engine.sort();
            bare.sort();
            assert_eq!(bare, engine, "{source}");
        }
        for source in ["{{- user -}}", "{{ user.name }}", "{% if x %}{{ y }}{% endif %}", "{{ x | upper }}", "{# c #}{{ x }}", "{{ true }}"]
        {
            assert_eq!(bare_names(source), None, "{source}");
        }
    }

    /// The one-pass test says what searching for each of the three
    /// openings says, wherever the braces fall.
    #[test]
    fn template_syntax_is_found_as_the_three_searches_find_it() {
        let searches = |s: &str| s.contains("{{") || s.contains("{%") || s.contains("{#");
        let pieces = ["{", "{{", "{%", "{#", "}", "%", "#", "x", "é", " ", "{{{", "{ {"];
        let mut texts = vec![String::new()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    texts.push(format!("{a}{b}{c}"));
                }
            }
        }
        for text in texts {
            assert_eq!(has_template_syntax(&text), searches(&text), "{text:?}");
        }
    }

    /// The one-pass walk gives what the plain searches give: the same
    /// pieces, or `None`, wherever braces, tags and names fall.
    #[test]
    fn the_bare_walk_is_the_plain_searches_walk() {
        fn searched(source: &str) -> Option<Vec<String>> {
            if source.contains("{%") || source.contains("{#") {
                return None;
            }
            let (mut pieces, mut rest) = (Vec::new(), source);
            while let Some(open) = rest.find("{{") {
                pieces.push(format!("text:{}", &rest[..open]));
                let after = &rest[open + 2..];
                let close = after.find("}}")?;
                let name = after[..close].trim_matches(' ');
                if !crate::parse::is_identifier(name) || name == "none" || name == "true" || name == "false" {
                    return None;
                }
                pieces.push(format!("name:{name}"));
                rest = &after[close + 2..];
            }
            pieces.push(format!("text:{rest}"));
            Some(pieces)
        }
        let walked = |source: &str| {
            let mut pieces = Vec::new();
            bare_walk(source, |piece| {
                pieces.push(match piece {
                    Bare::Text(text) => format!("text:{text}"),
                    Bare::Name(name) => format!("name:{name}"),
                });
                Some(())
            })
            .map(|()| pieces)
        };
        let parts = ["{", "{{", "}}", "}", "{%", "{#", "%}", " x ", "user", "é", "true", " "];
        let mut count = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let source = format!("{a}{b}{c}{d}");
                        assert_eq!(walked(&source), searched(&source), "{source:?}");
                        count += usize::from(walked(&source).is_some_and(|p| p.len() > 1));
                    }
                }
            }
        }
        // Some of them are names, not only text.
        assert!(count > 40, "{count}");
    }

    #[test]
    fn runtime_variables_may_only_be_used_bare() {
        assert_eq!(runtime_misuse_at("Hi {{ user1 }}, {{- user1 -}}!", "user1"), None);
        assert_eq!(runtime_misuse_at("Hi {{ user1|upper }}", "user1"), Some(6));
        assert_eq!(runtime_misuse_at("{% if user1 %}x{% endif %} {{ user1 }}", "user1"), Some(6));
        assert_eq!(runtime_misuse_at("{{ user10 }} {{ user1 ~ '!' }}", "user1"), Some(16));
        assert_eq!(runtime_misuse_at("{% set user1 = 2 %}{{ user1 + 1 }}", "user1"), None);
    }

    /// The fast path prints exactly what minijinja prints, and declines
    /// whatever it does not handle.
    #[test]
    fn substitution_matches_minijinja() {
        let ctx = Value::from(Serde(serde_json::json!({
            "company": "Acme", "n": 3, "pi": 1.5, "yes": true, "nothing": null, "list": [1, "a"], "map": {"k": "v"},
        })));
        let env = {
            let mut env = Environment::new();
            env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
            env
        };
        for source in [
            "For {{ company }}.",
            "{{company}} has {{ n }} items at {{ pi }}; {{ yes }} {{ nothing }}",
            "{{ list }} and {{ map }}",
            "no template at all",
            "tail {{ company }}",
        ] {
            let expected = env.render_str(source, ctx.clone()).unwrap();
            assert_eq!(substitute(source, &ctx).as_deref(), Some(expected.as_str()), "{source}");
        }
        for declined in ["{{ company | upper }}", "{% if n %}x{% endif %}", "{{- company }}", "{{ missing }}", "{{ a.b }}", "{{ none }}"] {
            assert_eq!(substitute(declined, &ctx), None, "{declined}");
        }
    }
}
