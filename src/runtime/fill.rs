//! Filling a view (docs/artifacts.md *Filling a view*): the caller's values
//! checked against the declared runtime variables, then the segments walked
//! once. A value is never scanned again, and the `.md` text is never
//! searched for `{{ name }}`: literal text that looks like a variable lives
//! inside a string segment.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::{Error, ErrorKind, listing};

/// A runtime variable a persona declares (`runtime_vars` in `index.json`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "Declared")]
#[non_exhaustive]
pub struct RuntimeVar {
    pub name: String,
    pub description: Option<String>,
    /// Filled when the caller gives no value.
    pub default: Option<String>,
    /// The most code points (Unicode scalar values) a value may have.
    pub max_length: Option<usize>,
}

/// A runtime variable as the index writes it, or as a bare name.
#[derive(Deserialize)]
#[serde(untagged)]
enum Declared {
    Name(String),
    Full { name: String, description: Option<String>, default: Option<String>, max_length: Option<usize> },
}

impl From<Declared> for RuntimeVar {
    fn from(d: Declared) -> RuntimeVar {
        match d {
            Declared::Name(name) => RuntimeVar { name, description: None, default: None, max_length: None },
            Declared::Full { name, description, default, max_length } => RuntimeVar { name, description, default, max_length },
        }
    }
}

/// One piece of a segment file: literal text, or a variable to fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(String),
    Var(String),
}

/// A segment file's `segments`, each a string or `{"var": NAME}`; anything
/// else is the name of the bad segment, shown in a `hash_mismatch`.
pub(crate) fn segments_of(list: &[Value]) -> Result<Vec<Segment>, String> {
    list.iter()
        .map(|seg| match seg {
            Value::String(text) => Ok(Segment::Text(text.clone())),
            Value::Object(o) => match o.get("var") {
                Some(Value::String(name)) => Ok(Segment::Var(name.clone())),
                _ => Err(seg.to_string()),
            },
            _ => Err(seg.to_string()),
        })
        .collect()
}

/// The segments joined with each variable written `{{ NAME }}`: the text of
/// the view they were cut from.
pub(crate) fn joined(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|seg| match seg {
            Segment::Text(text) => text.clone(),
            Segment::Var(name) => format!("{{{{ {name} }}}}"),
        })
        .collect()
}

/// The caller's values, each checked: a name the persona declares, no
/// longer than its `max_length`. Every value is checked, whether or not the
/// view uses it. A name given twice keeps its last value.
pub(crate) fn check_values<K, V>(
    persona: &str,
    declared: &[RuntimeVar],
    vars: impl IntoIterator<Item = (K, V)>,
) -> Result<BTreeMap<String, String>, Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut values = BTreeMap::new();
    for (key, value) in vars {
        let (key, value) = (key.as_ref(), value.as_ref());
        let Some(decl) = declared.iter().find(|d| d.name == key) else {
            let names: Vec<&str> = declared.iter().map(|d| d.name.as_str()).collect();
            return Err(Error::new(
                ErrorKind::UnknownVariable,
                format!("persona {persona} has no runtime variable `{key}`; runtime variables: {}", listing(&names)),
            ));
        };
        check_length(decl, value, persona, "value")?;
        values.insert(key.to_string(), value.to_string());
    }
    Ok(values)
}

/// The segments concatenated: text as it is, each variable replaced by its
/// value, else its default, else `missing_variable`. `place` says which view
/// or item, for the message.
pub(crate) fn fill(
    segments: &[Segment],
    values: &BTreeMap<String, String>,
    declared: &[RuntimeVar],
    persona: &str,
    place: &str,
) -> Result<String, Error> {
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Text(text) => out.push_str(text),
            Segment::Var(name) => {
                if let Some(value) = values.get(name) {
                    out.push_str(value);
                    continue;
                }
                match declared.iter().find(|d| &d.name == name).and_then(|d| d.default.as_deref().map(|v| (d, v))) {
                    Some((decl, default)) => {
                        check_length(decl, default, persona, "default")?;
                        out.push_str(default);
                    }
                    None => {
                        return Err(Error::new(
                            ErrorKind::MissingVariable,
                            format!("persona {persona}: {place} uses the runtime variable `{name}`, which has no value and no default"),
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Lengths count code points, never bytes or UTF-16 units.
fn check_length(decl: &RuntimeVar, value: &str, persona: &str, what: &str) -> Result<(), Error> {
    let Some(max) = decl.max_length else { return Ok(()) };
    let n = value.chars().count();
    if n > max {
        return Err(Error::new(
            ErrorKind::TooLong,
            format!("persona {persona}: the {what} of `{}` is {n} characters long, over its max_length {max}", decl.name),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn var(name: &str, default: Option<&str>, max_length: Option<usize>) -> RuntimeVar {
        RuntimeVar { name: name.into(), description: None, default: default.map(Into::into), max_length }
    }

    fn segs(value: Value) -> Vec<Segment> {
        segments_of(value.as_array().unwrap()).unwrap()
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn max_length_counts_code_points_not_bytes_or_utf16_units() {
        let declared = [var("nick", None, Some(8))];
        // 8 emoji: 32 bytes, 16 UTF-16 units, 8 code points.
        assert!(check_values("nova", &declared, [("nick", "😀😀😀😀😀😀😀😀")]).is_ok());
        assert!(check_values("nova", &declared, [("nick", "Zoë Åsa!")]).is_ok());
        let e = check_values("nova", &declared, [("nick", "😀😀😀😀😀😀😀😀😀")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLong);
        assert_eq!(e.message(), "persona nova: the value of `nick` is 9 characters long, over its max_length 8");
        // A skin-tone emoji is two code points, and counts as two.
        assert_eq!(check_values("nova", &declared, [("nick", "👋🏽👋🏽👋🏽👋🏽👋")]).unwrap_err().kind(), ErrorKind::TooLong);
        // The empty string fits any limit.
        assert!(check_values("nova", &[var("nick", None, Some(0))], [("nick", "")]).is_ok());
    }

    #[test]
    fn a_filled_value_is_never_scanned_again() {
        let declared = [var("user_name", None, None), var("tier", Some("standard"), None)];
        let segments = segs(json!(["Hi ", {"var": "user_name"}, ", plan ", {"var": "tier"}, ". Raw: {{ tier }}\n"]));
        let given = values(&[("user_name", "{{ tier }}"), ("tier", "{{ user_name }}")]);
        assert_eq!(
            fill(&segments, &given, &declared, "nova", "view `detail`").unwrap(),
            "Hi {{ tier }}, plan {{ user_name }}. Raw: {{ tier }}\n"
        );
        // Replacement syntax of regex engines is text too.
        let given = values(&[("user_name", "$& $1 $$ \\1 \\g<0>")]);
        assert_eq!(
            fill(&segments, &given, &declared, "nova", "view `detail`").unwrap(),
            "Hi $& $1 $$ \\1 \\g<0>, plan standard. Raw: {{ tier }}\n"
        );
    }

    #[test]
    fn a_default_fills_an_absent_value_and_is_held_to_max_length() {
        let segments = segs(json!(["Plan: ", {"var": "tier"}, "."]));
        assert_eq!(fill(&segments, &values(&[]), &[var("tier", Some("std"), Some(3))], "nova", "view `summary`").unwrap(), "Plan: std.");
        assert_eq!(fill(&segments, &values(&[("tier", "")]), &[var("tier", Some("std"), None)], "nova", "v").unwrap(), "Plan: .");
        let e = fill(&segments, &values(&[]), &[var("tier", Some("standard"), Some(3))], "nova", "view `summary`").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLong);
        assert!(e.message().contains("the default of `tier` is 8 characters long, over its max_length 3"), "{e}");
    }

    #[test]
    fn a_missing_value_names_the_variable_persona_and_view() {
        let segments = segs(json!([{"var": "order_ref"}, "\n"]));
        let e = fill(&segments, &values(&[]), &[var("order_ref", None, None)], "nova", "view `detail` at stage `deep`").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingVariable);
        assert_eq!(
            e.to_string(),
            "persona nova: view `detail` at stage `deep` uses the runtime variable `order_ref`, which has no value and no default"
        );
    }

    #[test]
    fn unknown_names_are_refused_and_listed() {
        let declared = [var("user_name", None, None), var("tier", None, None)];
        let e = check_values("nova", &declared, [("user_name", "A"), ("username", "B")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownVariable);
        assert_eq!(e.message(), "persona nova has no runtime variable `username`; runtime variables: user_name, tier");
        let e = check_values("plain", &[], [("x".to_string(), "y".to_string())]).unwrap_err();
        assert_eq!(e.message(), "persona plain has no runtime variable `x`; runtime variables: none");
        // Owned maps, borrowed maps and arrays of pairs all pass.
        let map = values(&[("tier", "gold")]);
        assert_eq!(check_values("nova", &declared, &map).unwrap(), map);
    }

    #[test]
    fn non_ascii_text_before_a_variable_is_kept_byte_for_byte() {
        let segments = segs(json!(["Grüße aus Köln 🌍, ", {"var": "n"}, "! 日本語 — 👋🏽 ", {"var": "n"}, "\n"]));
        let got = fill(&segments, &values(&[("n", "Zoë 👩🏽‍💻")]), &[var("n", None, None)], "nova", "v").unwrap();
        assert_eq!(got, "Grüße aus Köln 🌍, Zoë 👩🏽‍💻! 日本語 — 👋🏽 Zoë 👩🏽‍💻\n");
    }

    #[test]
    fn segments_join_to_their_view_and_refuse_anything_else() {
        let segments = segs(json!(["a ", {"var": "x"}, " b"]));
        assert_eq!(joined(&segments), "a {{ x }} b");
        assert_eq!(segments_of(json!([1]).as_array().unwrap()), Err("1".to_string()));
        assert_eq!(segments_of(json!([{"name": "x"}]).as_array().unwrap()), Err("{\"name\":\"x\"}".to_string()));
    }

    #[test]
    fn runtime_vars_read_as_objects_or_bare_names() {
        let vars: Vec<RuntimeVar> =
            serde_json::from_value(json!(["user_name", {"name": "tier", "default": "std", "max_length": 8, "description": "plan"}]))
                .unwrap();
        assert_eq!(vars[0], var("user_name", None, None));
        assert_eq!(vars[1].default.as_deref(), Some("std"));
        assert_eq!(vars[1].max_length, Some(8));
        assert_eq!(vars[1].description.as_deref(), Some("plan"));
    }
}
