//! The project's own example repository: every compiled view, manifest and
//! the index, snapshotted; and the committed build-output kept current.

use crate::support::{examples_root, run_in, tree};

#[test]
fn every_example_artifact_matches_its_snapshot() {
    let out = tempfile::tempdir().unwrap();
    run_in(&examples_root(), &["build", "--out", out.path().to_str().unwrap()]).success();
    let files = tree(out.path());
    assert!(files.len() > 15, "{} files", files.len());
    for (path, bytes) in files {
        let name = format!("example__{}", path.replace('/', "__"));
        insta::assert_snapshot!(name, String::from_utf8(bytes).unwrap());
    }
}

#[test]
fn the_examples_use_every_part_type_trait_type_and_file_form() {
    let run = run_in(&examples_root(), &["list", "parts", "--format", "json"]).success();
    let parts: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for t in personac::model::PART_TYPES {
        assert!(parts.as_array().unwrap().iter().any(|p| p["type"] == t), "no example part of type {t}");
    }
    let run = run_in(&examples_root(), &["list", "traits", "--format", "json"]).success();
    let traits: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for t in personac::model::TRAIT_TYPES {
        assert!(traits.as_array().unwrap().iter().any(|p| p["type"] == t), "no example trait of type {t}");
    }
    let files: Vec<String> = tree(&examples_root().join("personas")).into_keys().collect();
    for ext in [".toml", ".yaml", ".md"] {
        assert!(files.iter().any(|f| f.ends_with(ext)), "no example persona in {ext}");
    }
}

/// The example repository shows each modelling feature where it reads
/// naturally (README explains each).
#[test]
fn the_examples_use_the_modelling_features() {
    let root = examples_root();
    let sources: Vec<(String, String)> = ["personas", "parts", "traits", "skills", "guardrails", "arcs"]
        .iter()
        .flat_map(|folder| tree(&root.join(folder)).into_iter().map(move |(p, b)| (format!("{folder}/{p}"), String::from_utf8(b).unwrap())))
        .collect();
    let uses = |needle: &str| sources.iter().any(|(_, text)| text.contains(needle));
    assert!(sources.iter().any(|(p, _)| p.ends_with(".json")), "no JSON definition");
    for feature in [
        "abstract = true",
        "title = ",
        "mode = \"append\"",
        "load = \"on_demand\"",
        "model = ",
        "tools = ",
        "[metadata]",
        "template = false",
    ] {
        assert!(uses(feature), "no example uses `{feature}`");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("build-output/maya/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["model"], "claude-sonnet-4-5", "maya inherits her base's model");
    assert!(!root.join("build-output/support-base").exists(), "an abstract persona has no artifacts");
}

#[test]
fn the_committed_build_output_is_current() {
    run_in(&examples_root(), &["build", "--check"]).success();
}
