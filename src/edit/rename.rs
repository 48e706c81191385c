//! Renaming a definition: the names one file gives it (its own `name`
//! field, or its references from a persona or an arc stage) changed where
//! they are written, every other byte kept. The edits are returned, not
//! written: the caller (the language server) hands them to an editor, and
//! moves the definition's own file.

use std::ops::Range;
use std::sync::Arc;

use super::change::{Refusal, refuse};
use crate::model::{Definition, Kind};
use crate::parse;

/// One replacement in a file's text.
pub type TextEdit = (Range<usize>, String);

/// The edits that rename `old` to `new` (a definition of `kind`) in one
/// file: at each of `spans` (the spans of a name's values, as parsed:
/// quotes included or not, a table's `name` value), the name itself is
/// replaced. `after` is the file's path once renamed (the definition's own
/// file moves with its name), against which the result is parsed again to
/// confirm that exactly those names changed: what it names, apart from the
/// renamed definition, and what it is named stay as they were.
pub fn rename(
    path: &Arc<str>,
    after: &Arc<str>,
    text: &str,
    kind: Kind,
    old: &str,
    new: &str,
    spans: &[Range<usize>],
) -> Result<Vec<TextEdit>, Refusal> {
    let mut edits = Vec::new();
    for span in spans {
        let Some(within) = text.get(span.clone()) else {
            return refuse(format!("could not rename `{old}` in `{path}` safely; change it by hand"));
        };
        let found: Vec<usize> = whole_words(within, old).collect();
        let [at] = found[..] else {
            return refuse(format!("could not rename `{old}` in `{path}` safely (it is not written as a plain name); change it by hand"));
        };
        edits.push((span.start + at..span.start + at + old.len(), new.to_string()));
    }
    edits.sort_by_key(|(r, _)| r.start);
    edits.dedup();
    if edits.windows(2).any(|w| w[0].0.end > w[1].0.start) {
        return refuse(format!("could not rename `{old}` in `{path}` safely; change it by hand"));
    }
    let new_text = applied(text, &edits);
    let before = parse::parse_definition(path, text).map_err(Refusal::Invalid)?;
    let Ok(renamed) = parse::parse_definition(after, &new_text) else {
        return refuse(format!("could not rename `{old}` in `{path}` safely; change it by hand"));
    };
    if !holds(&before, &renamed, kind, old, new) {
        return refuse(format!("could not rename `{old}` in `{path}` safely; change it by hand"));
    }
    Ok(edits)
}

/// A text with non-overlapping edits, sorted by position, made.
pub fn applied(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, with) in edits {
        out.push_str(&text[at..range.start]);
        out.push_str(with);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Where `name` stands as a whole name in `text` (not inside a longer one).
fn whole_words<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(name).map(|(i, _)| i).filter(move |&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// Whether `after` is `before` with exactly the references to (and the
/// name of) the definition renamed.
fn holds(before: &Definition, after: &Definition, kind: Kind, old: &str, new: &str) -> bool {
    let own = |d: &Definition| {
        let name = d.meta().name.as_str();
        if d.kind() == kind && name == old { new.to_string() } else { name.to_string() }
    };
    let expected: Vec<(Kind, &str)> =
        before.references().into_iter().map(|(k, n)| if k == kind && n == old { (k, new) } else { (k, n) }).collect();
    before.kind() == after.kind() && own(before) == after.meta().name && expected == after.references()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_names_are_found() {
        let found: Vec<usize> = whole_words("\"tone-warm\" tone-warmer xtone-warm tone-warm", "tone-warm").collect();
        assert_eq!(found, vec![1, 35]);
    }

    #[test]
    fn a_reference_is_renamed_keeping_every_other_byte() {
        let path: Arc<str> = "personas/maya.toml".into();
        let text = "version = \"1.0.0\" # keep\nsummary = \"s\"\nparts = [ \"tone-warm\",  { name = \"goal\", order = 2 } ]\n";
        let at = text.find("\"tone-warm\"").unwrap();
        let edits = rename(&path, &path, text, Kind::Part, "tone-warm", "tone-kind", std::slice::from_ref(&(at..at + 11))).unwrap();
        assert_eq!(applied(text, &edits), text.replace("tone-warm", "tone-kind"));
        // A span that does not hold the name is refused.
        assert!(rename(&path, &path, text, Kind::Part, "tone-warm", "tone-kind", std::slice::from_ref(&(0..7))).is_err());
    }
}
