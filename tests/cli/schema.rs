//! The JSON Schemas: kept current in docs/schemas, and every example file
//! valid against its kind's schema.

use serde_json::{Value, json};

use crate::support::{examples_root, run_in, tree};

/// A file's fields as JSON (a Markdown file's front matter).
fn fields(path: &str, text: &str) -> Value {
    let node = if path.ends_with(".md") {
        let fm = personac::parse::front_matter(&path.into(), text).unwrap();
        let region = &text[fm.fields];
        match fm.syntax {
            personac::parse::Syntax::Toml => personac::parse::toml_document(region),
            personac::parse::Syntax::Yaml => personac::parse::yaml_document(region),
            personac::parse::Syntax::Json => unreachable!("front matter is TOML or YAML"),
        }
    } else if path.ends_with(".toml") {
        personac::parse::toml_document(text)
    } else if path.ends_with(".json") {
        personac::parse::json_document(text)
    } else {
        personac::parse::yaml_document(text)
    };
    node.unwrap_or_else(|e| panic!("{path}: {}", e.message)).to_json()
}

fn validator(name: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(examples_root().join("docs/schemas").join(name)).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_committed_schemas_are_current() {
    let out = tempfile::tempdir().unwrap();
    run_in(&examples_root(), &["schema", "--out", out.path().to_str().unwrap()]).success();
    assert_eq!(tree(out.path()), tree(&examples_root().join("docs/schemas")), "run `personac schema --out docs/schemas`");
    assert_eq!(tree(out.path()).len(), 11);
    // One at a time too: the artifacts' schemas as docs/artifacts.md publishes them.
    for name in ["index", "manifest", "sources"] {
        let printed = run_in(&examples_root(), &["schema", name]).success().stdout;
        assert_eq!(printed, std::fs::read_to_string(examples_root().join(format!("docs/schemas/{name}.schema.json"))).unwrap());
    }
}

#[test]
fn every_example_file_is_valid_against_its_schema() {
    let root = examples_root();
    let mut checked = 0;
    let agent_skill = validator("agent-skill.schema.json");
    for (folder, kind) in
        [("personas", "persona"), ("parts", "part"), ("traits", "trait"), ("skills", "skill"), ("guardrails", "guardrail"), ("arcs", "arc")]
    {
        let validator = validator(&format!("{kind}.schema.json"));
        let skill_folders: Vec<String> =
            tree(&root.join(folder)).keys().filter_map(|rel| rel.strip_suffix("/SKILL.md")).map(|dir| format!("{dir}/")).collect();
        for (rel, bytes) in tree(&root.join(folder)) {
            let path = format!("{folder}/{rel}");
            // An Agent Skills folder: its SKILL.md has the specification's
            // schema, and its other files are the skill's, not definitions.
            if let Some(dir) = skill_folders.iter().find(|d| rel.starts_with(d.as_str())) {
                if rel == format!("{dir}SKILL.md") {
                    let text = String::from_utf8(bytes).unwrap();
                    let errors: Vec<String> = agent_skill.iter_errors(&fields(&path, &text)).map(|e| e.to_string()).collect();
                    assert!(errors.is_empty(), "{path}: {errors:?}");
                    checked += 1;
                }
                continue;
            }
            let text = String::from_utf8(bytes).unwrap();
            let value = fields(&path, &text);
            let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{path}: {errors:?}");
            // Editors find the schema from the file itself.
            if path.ends_with(".toml") {
                assert!(
                    text.starts_with(&format!("#:schema {}docs/schemas/{kind}.schema.json\n", "../".repeat(path.matches('/').count()))),
                    "{path}"
                );
            }
            if path.ends_with(".yaml") || path.ends_with(".yml") {
                assert!(text.starts_with("# yaml-language-server: $schema="), "{path}");
            }
            checked += 1;
        }
    }
    let config = std::fs::read_to_string(root.join("personac.toml")).unwrap();
    assert!(validator("personac.schema.json").is_valid(&fields("personac.toml", &config)));
    assert!(checked >= 40, "{checked} files");
}

#[test]
fn the_schemas_refuse_what_personac_refuses() {
    let persona = validator("persona.schema.json");
    assert!(persona.is_valid(&json!({ "version": "1.0.0", "summary": "s", "parts": ["a", { "name": "b", "order": 1 }] })));
    assert!(!persona.is_valid(&json!({ "summary": "no version" })));
    assert!(!persona.is_valid(&json!({ "version": "1.0", "summary": "s" })));
    assert!(!persona.is_valid(&json!({ "version": "1.0.0", "summry": "typo" })));
    assert!(!persona.is_valid(&json!({ "version": "1.0.0", "parts": ["Tone Warm"] })));
    assert!(!persona.is_valid(&json!({ "version": "1.0.0", "budget": { "max_tokens": 0 } })));
    let part = validator("part.schema.json");
    assert!(!part.is_valid(&json!({ "type": "tone" })));
    let guardrail = validator("guardrail.schema.json");
    assert!(!guardrail.is_valid(&json!({ "description": "d", "severity": "severe" })));
    let arc = validator("arc.schema.json");
    assert!(!arc.is_valid(&json!({ "stages": [] })));
}
