//! show, manifest, get, list: output shapes and exit codes.

use serde_json::{Value, json};

use crate::support::Repo;

fn repo() -> Repo {
    Repo::minimal()
        .file("parts/goal-help.yaml", "type: goal\nsummary: Help.\ndescription: Helps with orders.\ntags: [support]\n")
        .file("traits/calm.yaml", "type: emotional\ndescription: Calm.\ntags: [support]\n")
        .file("traits/sharp.yaml", "type: cognitive\ndescription: Sharp.\n")
        .file("guardrails/no-pii.yaml", "description: No PII.\nseverity: critical\ncontent: Never share personal data.\n")
        .file(
            "personas/maya.toml",
            "version = \"1.2.0\"\nsummary = \"Maya helps.\"\ndescription = \"Support agent\"\nparts = [\"tone-warm\", \"goal-help\"]\ntraits = [\"calm\"]\nguardrails = [\"no-pii\"]\n",
        )
}

#[test]
fn show_prints_the_detail_view_by_default() {
    insta::assert_snapshot!(repo().run(&["show", "maya"]).success().stdout);
}

#[test]
fn show_prints_the_summary_view() {
    insta::assert_snapshot!(repo().run(&["show", "maya", "--view", "summary"]).success().stdout);
}

#[test]
fn show_json_has_the_documented_fields() {
    let out: Value = serde_json::from_str(&repo().run(&["show", "maya", "--format", "json"]).success().stdout).unwrap();
    let keys: Vec<&str> = out.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["channel", "dropped", "guardrails", "parts", "persona", "skills", "stage", "text", "tokens", "traits", "version", "view"]
    );
    assert_eq!(out["parts"][1], json!({ "name": "goal-help", "type": "goal", "order": 0, "priority": 0, "layer": "own" }));
    assert_eq!(out["view"], "detail");
    assert!(out["tokens"].as_u64().unwrap() > 10);
}

#[test]
fn manifest_lists_parts_traits_and_tools() {
    let out: Value = serde_json::from_str(&repo().run(&["manifest", "maya"]).success().stdout).unwrap();
    assert_eq!(out["name"], "maya");
    assert_eq!(out["version"], "1.2.0");
    assert_eq!(out["description"], "Support agent");
    assert_eq!(out["parts"][1], json!({ "name": "goal-help", "type": "goal", "description": "Helps with orders." }));
    assert_eq!(out["traits"][0], json!({ "name": "calm", "trait_type": "emotional", "description": "Calm." }));
    assert_eq!(out["guardrails"], json!(["no-pii"]));
    for tool in ["get_agent_part", "get_agent_trait", "get_agent_skill", "get_agent_guardrail", "compile_persona"] {
        assert!(out["on_demand_tools"][tool].is_string(), "{tool}");
    }
}

#[test]
fn get_prints_one_definition() {
    insta::assert_snapshot!(repo().run(&["get", "guardrail", "no-pii"]).success().stdout);
    insta::assert_snapshot!("get_persona_md", repo().run(&["get", "persona", "maya"]).success().stdout);
}

#[test]
fn list_filters_by_type_and_tag() {
    let repo = repo();
    insta::assert_snapshot!(repo.run(&["list", "traits"]).success().stdout);
    let rows: Value =
        serde_json::from_str(&repo.run(&["list", "trait", "--type", "cognitive", "--format", "json"]).success().stdout).unwrap();
    assert_eq!(
        rows,
        json!([{ "name": "sharp", "kind": "trait", "type": "cognitive", "description": "Sharp.", "tags": [], "file": "traits/sharp.yaml" }])
    );
    let rows: Value = serde_json::from_str(&repo.run(&["list", "parts", "--tag", "support", "--format", "json"]).success().stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["name"], "goal-help");
}

#[test]
fn bad_invocations_exit_2_with_a_hint() {
    let repo = repo();
    let run = repo.run(&["show", "mya"]).code(2);
    assert_eq!(run.stderr, "error: no persona named `mya`\n  help: did you mean `maya`?\n");
    let run = repo.run(&["show", "maya", "--stage", "x"]).code(2);
    assert!(run.stderr.contains("persona `maya` has no arc"), "{}", run.stderr);
    let run = repo.run(&["show", "maya", "--channel", "voice"]).code(2);
    assert!(run.stderr.contains("persona `maya` has no channel `voice`"), "{}", run.stderr);
    let run = repo.run(&["show", "maya", "--override", "tone=goal-help"]).code(2);
    assert!(run.stderr.contains("part `goal-help` is of type `goal`, so it cannot override `tone`"), "{}", run.stderr);
    let run = repo.run(&["show", "maya", "--override", "tonne=tone-warm"]).code(2);
    assert!(run.stderr.contains("did you mean `tone`?"), "{}", run.stderr);
    let run = repo.run(&["show", "maya", "--var", "novalue"]).code(2);
    assert!(run.stderr.contains("`novalue` is not of the form K=V"), "{}", run.stderr);
    let run = repo.run(&["get", "parts", "tone-wram"]).code(2);
    assert!(run.stderr.contains("did you mean `tone-warm`?"), "{}", run.stderr);
    let run = repo.run(&["list", "persons"]).code(2);
    assert!(run.stderr.contains("did you mean `persona`?"), "{}", run.stderr);
    let run = repo.run(&["build", "--frobnicate"]).code(2);
    assert!(run.stderr.contains("unexpected argument '--frobnicate'"), "{}", run.stderr);
    let run = crate::support::run_in(&repo.path().join("nope"), &["build"]).code(2);
    assert!(run.stderr.contains("is not a directory"), "{}", run.stderr);
}

#[test]
fn show_of_a_broken_persona_exits_1_with_diagnostics() {
    let repo = repo().file("personas/maya.toml", "version = \"1.2.0\"\nsummary = \"Maya helps {{ who }}.\"\n");
    let run = repo.run(&["show", "maya"]).failure();
    assert!(run.stderr.contains("undefined variable `who`"), "{}", run.stderr);
    assert!(run.stderr.contains("--> personas/maya.toml:2:26"), "{}", run.stderr);
}

#[test]
fn help_and_version_exit_0() {
    let run = repo().run(&["--help"]).success();
    assert!(run.stdout.contains("Compile persona definitions"));
    repo().run(&["--version"]).success();
}

/// `list` shows descriptions rendered (a persona's with its variables,
/// others with the project's), and a TYPE column only for kinds with types.
#[test]
fn list_renders_descriptions_and_shows_types_only_where_there_are_some() {
    let repo = repo()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\n")
        .file(
            "personas/sam.toml",
            "version = \"1.0.0\"\nsummary = \"Sam helps.\"\ndescription = \"Support at {{ company }} for {{ team }}\"\nvars = { team = \"billing\" }\n",
        )
        .file("guardrails/no-pii.yaml", "description: No PII at {{ company }}.\nseverity: critical\ncontent: Never share personal data.\n");
    let personas = repo.run(&["list", "persona"]).success().stdout;
    assert_eq!(personas, "NAME  DESCRIPTION\nmaya  Support agent\nsam   Support at Acme for billing\n");
    let guardrails = repo.run(&["list", "guardrail"]).success().stdout;
    assert_eq!(guardrails, "NAME    DESCRIPTION\nno-pii  No PII at Acme.\n");
    let traits = repo.run(&["list", "trait"]).success().stdout;
    assert!(traits.starts_with("NAME   TYPE       DESCRIPTION\ncalm   emotional  Calm.\n"), "{traits}");
    let json: Value = serde_json::from_str(&repo.run(&["list", "persona", "--format", "json"]).success().stdout).unwrap();
    assert_eq!(json[1]["description"], "Support at Acme for billing");
}
