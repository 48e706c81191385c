//! The loader's one error type: a kind (the same strings in every personac
//! loader, docs/artifacts.md *Errors*) and a message that names what went
//! wrong and what would have been valid. Also the format check every file
//! the loader reads goes through.

use std::fmt;

use serde_json::Value;

/// The artifact format this loader reads.
pub const FORMAT: u64 = 2;

/// Said in every `unknown_format` message.
const READS: &str = "this loader reads format 2 (personac 0.2)";

/// What went wrong, as every personac loader names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A variable the view uses has no value and no default.
    MissingVariable,
    /// A value for a name the persona does not declare.
    UnknownVariable,
    /// A value or default over its variable's `max_length` code points.
    TooLong,
    /// `get` of a name the build does not hold (abstract personas included).
    UnknownPersona,
    /// A view other than `summary` and `detail`.
    UnknownView,
    /// A stage the persona's arc does not have.
    UnknownStage,
    /// A channel the persona does not have.
    UnknownChannel,
    /// `fetch` of a kind and name the persona does not list on demand.
    UnknownItem,
    /// A `NAME@VERSION[+FINGERPRINT]` pin the build does not match.
    PinMismatch,
    /// A file's bytes, a fingerprint or an id differ from `index.json`, a
    /// listed file is missing, or a segment file does not give its view.
    HashMismatch,
    /// A `format` this loader does not read, or a file not in format 2's shape.
    UnknownFormat,
    /// The file system failed (other than a listed file being absent).
    Io,
}

impl ErrorKind {
    /// Every kind, in the order docs/artifacts.md lists them.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::MissingVariable,
        ErrorKind::UnknownVariable,
        ErrorKind::TooLong,
        ErrorKind::UnknownPersona,
        ErrorKind::UnknownView,
        ErrorKind::UnknownStage,
        ErrorKind::UnknownChannel,
        ErrorKind::UnknownItem,
        ErrorKind::PinMismatch,
        ErrorKind::HashMismatch,
        ErrorKind::UnknownFormat,
        ErrorKind::Io,
    ];

    /// The kind as the Python and TypeScript loaders spell it: `missing_variable`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::MissingVariable => "missing_variable",
            ErrorKind::UnknownVariable => "unknown_variable",
            ErrorKind::TooLong => "too_long",
            ErrorKind::UnknownPersona => "unknown_persona",
            ErrorKind::UnknownView => "unknown_view",
            ErrorKind::UnknownStage => "unknown_stage",
            ErrorKind::UnknownChannel => "unknown_channel",
            ErrorKind::UnknownItem => "unknown_item",
            ErrorKind::PinMismatch => "pin_mismatch",
            ErrorKind::HashMismatch => "hash_mismatch",
            ErrorKind::UnknownFormat => "unknown_format",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error the loader returns: its [`kind`](Error::kind) and a message
/// naming the variable, persona and view, or listing the valid names.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<std::io::Error>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), source: None }
    }

    pub(crate) fn io(what: &str, source: std::io::Error) -> Error {
        Error { kind: ErrorKind::Io, message: format!("reading {what}: {source}"), source: Some(source) }
    }

    /// A file that is not in format 2's shape (bad JSON, a missing field).
    pub(crate) fn shape(what: &str, problem: impl fmt::Display) -> Error {
        Error::new(ErrorKind::UnknownFormat, format!("{what} does not read as format 2 ({problem}); {READS}"))
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, as [`Display`](fmt::Display) prints it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// `a, b, c`, or `none`, for messages that list the valid choices.
pub(crate) fn listing<S: AsRef<str>>(names: &[S]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    names.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
}

/// Refuses every `format` but 2 (an integer): a newer one asks for a newer
/// loader, anything else (older, absent, not an integer) for a rebuild.
pub(crate) fn check_format(found: Option<&Value>, what: &str) -> Result<(), Error> {
    let found = found.filter(|v| !v.is_null());
    if found.and_then(Value::as_u64) == Some(FORMAT) {
        return Ok(());
    }
    let shown = found.map_or_else(|| "no format".to_string(), |v| format!("format {v}"));
    let newer = found.and_then(Value::as_u64).is_some_and(|n| n > FORMAT);
    let advice = if newer { "upgrade the personac loader" } else { "rebuild it with personac 0.2" };
    Err(Error::new(ErrorKind::UnknownFormat, format!("{what} has {shown}; {READS}: {advice}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_integer_2_is_read() {
        assert!(check_format(Some(&json!(2)), "index.json").is_ok());
        for (found, advice) in [
            (json!(3), "upgrade the personac loader"),
            (json!(1), "rebuild it with personac 0.2"),
            (json!("2"), "rebuild it with personac 0.2"),
            (json!(2.5), "rebuild it with personac 0.2"),
            (json!(true), "rebuild it with personac 0.2"),
            (Value::Null, "rebuild it with personac 0.2"),
        ] {
            let e = check_format(Some(&found), "index.json").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnknownFormat);
            assert!(e.message().ends_with(advice), "{found}: {e}");
            assert!(e.message().contains("this loader reads format 2 (personac 0.2)"), "{e}");
        }
        let none = check_format(None, "maya/manifest.json").unwrap_err();
        assert_eq!(
            none.message(),
            "maya/manifest.json has no format; this loader reads format 2 (personac 0.2): rebuild it with personac 0.2"
        );
        assert_eq!(
            check_format(Some(&json!(3)), "x").unwrap_err().message(),
            "x has format 3; this loader reads format 2 (personac 0.2): upgrade the personac loader"
        );
    }

    #[test]
    fn kinds_are_spelled_as_in_every_loader() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names[0], "missing_variable");
        assert_eq!(names[10], "unknown_format");
        assert_eq!(listing::<&str>(&[]), "none");
        assert_eq!(listing(&["a", "b"]), "a, b");
    }
}
