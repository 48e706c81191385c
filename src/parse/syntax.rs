//! What every file form shares: the syntax of a file's fields, a parsed
//! document, and the rules for names.

use std::ops::Range;

use super::node::Node;

/// The syntax of a definition's fields, for hints that show how to write one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Yaml,
    Json,
}

impl Syntax {
    /// `key = value`, `key: value` or `"key": value`, for hints.
    pub fn field(self, key: &str, toml_value: &str) -> String {
        match self {
            Syntax::Toml => format!("{key} = {toml_value}"),
            Syntax::Yaml => format!("{key}: {}", toml_value.trim_matches('"')),
            Syntax::Json => format!("\"{key}\": {toml_value}"),
        }
    }

    /// A list of one string, for hints: `key = ["a"]`, `key: [a]`, `"key": ["a"]`.
    pub fn list_of_one(self, key: &str, item: &str) -> String {
        match self {
            Syntax::Yaml => format!("{key}: [{item}]"),
            _ => self.field(key, &format!("[\"{item}\"]")),
        }
    }

    /// The syntax of a file, by its extension (`None` for Markdown, whose
    /// front matter says).
    pub fn of_path(path: &str) -> Option<Syntax> {
        match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("toml") => Some(Syntax::Toml),
            Some("yaml" | "yml") => Some(Syntax::Yaml),
            Some("json") => Some(Syntax::Json),
            _ => None,
        }
    }
}

/// A file's fields, and its Markdown body if it has one.
pub(super) struct Document {
    pub(super) fields: Node,
    pub(super) syntax: Syntax,
    /// The body text and its offset in the file.
    pub(super) body: Option<(String, usize)>,
    /// Where to point when a required field is missing.
    pub(super) anchor: Range<usize>,
}

/// Whether `name` is a valid definition name: `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

/// A valid name close to `name`, for hints.
pub fn suggest_name(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '_').chars().take(64).collect::<String>();
    is_valid_name(&out).then_some(out)
}

/// Whether `name` can be a template variable.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spec_pattern() {
        assert!(is_valid_name("tone-warm"));
        assert!(is_valid_name("a"));
        assert!(is_valid_name("9_lives"));
        assert!(!is_valid_name("Tone"));
        assert!(!is_valid_name("-tone"));
        assert!(!is_valid_name("tone warm"));
        assert!(!is_valid_name(&"a".repeat(65)));
        assert_eq!(suggest_name("Tone Warm").as_deref(), Some("tone-warm"));
    }
}
