//! `index.json` as the loader reads it (docs/artifacts.md *index.json*):
//! only the fields a loader needs, unknown ones ignored, and the fingerprint
//! recomputed from a persona's `artifacts`. Nothing here reads a file.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::fill::RuntimeVar;

/// The table of contents of one build.
#[derive(Debug, Deserialize)]
pub(crate) struct Index {
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub personas: BTreeMap<String, Entry>,
}

/// One concrete persona's entry.
#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    pub version: String,
    pub fingerprint: String,
    pub id: String,
    #[serde(default)]
    pub artifacts: BTreeMap<String, Artifact>,
    #[serde(default)]
    pub stage: Option<StageRef>,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub runtime_vars: Vec<RuntimeVar>,
    #[serde(default)]
    pub views: Vec<ViewRecord>,
    #[serde(default)]
    pub on_demand: Vec<ItemRecord>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Artifact {
    pub sha256: String,
}

/// The current arc stage.
#[derive(Debug, Deserialize)]
pub(crate) struct StageRef {
    pub arc: String,
    pub name: String,
}

/// A file the loader fills: a view's or an on-demand item's text, the
/// variables it uses, and its segment file when it uses any.
#[derive(Debug, Deserialize)]
pub(crate) struct Text {
    pub path: String,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub vars: Vec<String>,
    #[serde(default)]
    pub segments: Option<String>,
}

/// One view × stage × channel.
#[derive(Debug, Deserialize)]
pub(crate) struct ViewRecord {
    pub view: String,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(flatten)]
    pub text: Text,
}

/// One on-demand part, trait or skill.
#[derive(Debug, Deserialize)]
pub(crate) struct ItemRecord {
    pub kind: String,
    pub name: String,
    /// A reference of an Agent Skills skill (`references/api.md`): not the
    /// item itself, which `fetch` answers.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(flatten)]
    pub text: Text,
}

/// `sha256:` + the sha256 hex of `"{sha256} {path}\n"` for every artifact
/// but `manifest.json`, sorted by the paths' UTF-8 bytes (a `BTreeMap` of
/// `String`s is).
pub(crate) fn fingerprint_of(artifacts: &BTreeMap<String, Artifact>) -> String {
    let lines: String = artifacts
        .iter()
        .filter(|(path, _)| path.as_str() != "manifest.json")
        .map(|(path, art)| format!("{} {path}\n", art.sha256))
        .collect();
    format!("sha256:{}", crate::hash::sha256_hex(lines.as_bytes()))
}

/// Whether `fp` (12 or 64 hex digits, `sha256:` optional) is the start of
/// the fingerprint `full`.
pub(crate) fn fingerprint_matches(fp: &str, full: &str) -> bool {
    let fp = fp.strip_prefix("sha256:").unwrap_or(fp);
    let full = full.strip_prefix("sha256:").unwrap_or(full);
    matches!(fp.len(), 12 | 64) && full.starts_with(fp)
}

/// A plain relative path with `/` separators: no empty, `.` or `..`
/// component, no backslash or NUL. Every path read from `index.json` is
/// checked before it is joined to a folder.
pub(crate) fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path.split('/').all(|part| !matches!(part, "" | "." | ".."))
        && !std::path::Path::new(path).has_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(sha: &str) -> Artifact {
        Artifact { sha256: sha.to_string() }
    }

    #[test]
    fn the_fingerprint_leaves_the_manifest_out_and_sorts_by_bytes() {
        let mut artifacts = BTreeMap::new();
        artifacts.insert("summary.md".to_string(), art("bb"));
        artifacts.insert("detail.md".to_string(), art("aa"));
        artifacts.insert("Z.md".to_string(), art("cc"));
        let without = fingerprint_of(&artifacts);
        let lines = "cc Z.md\naa detail.md\nbb summary.md\n";
        assert_eq!(without, format!("sha256:{}", crate::hash::sha256_hex(lines.as_bytes())));
        artifacts.insert("manifest.json".to_string(), art("dd"));
        assert_eq!(fingerprint_of(&artifacts), without);
    }

    #[test]
    fn pins_take_12_or_64_hex_digits() {
        let full = format!("sha256:e345754896e7{}", "0".repeat(52));
        assert!(fingerprint_matches("e345754896e7", &full));
        assert!(fingerprint_matches(&full[7..], &full));
        assert!(fingerprint_matches(&full, &full));
        assert!(!fingerprint_matches("e345754896", &full));
        assert!(!fingerprint_matches("", &full));
        assert!(!fingerprint_matches("000000000000", &full));
    }

    #[test]
    fn only_plain_relative_paths_are_safe() {
        for good in ["detail.md", "stages/deep/channels/voice/detail.md", "on_demand/skill/a.b.md"] {
            assert!(is_safe_relative(good), "{good}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "a\0b", "a/"] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }
}
