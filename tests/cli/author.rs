//! Authoring commands: edits in place that keep every other byte, refuse what
//! would not resolve, touch no other file, and can commit just that file.

use crate::support::Repo;

/// A repository with definitions to link, and one persona in each form.
fn repo() -> Repo {
    Repo::minimal()
        .file("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help.\"\n")
        .file("traits/calm.yaml", "type: emotional\ndescription: Calm.\n")
        .file("skills/lookup.yaml", "description: Looks things up.\n")
        .file("guardrails/no-pii.yaml", "description: No PII.\nseverity: critical\n")
        .file(
            "arcs/journey.toml",
            "[[stages]]\nname = \"call\"\ncondition = \"It starts.\"\nparts = [\"goal-help\"]\n\n[[stages]]\nname = \"trial\"\n\n[[stages]]\nname = \"return\"\ncondition = \"The lamp is lit.\"\n",
        )
        .file(
            "personas/toml-one.toml",
            "# A persona in TOML.\nversion = \"1.0.0\"\nsummary = \"One.\"  # short\nparts = [\n  # the tone first\n  \"tone-warm\",\n]\n\n[vars]\nx = 1\n",
        )
        .file("personas/yaml-one.yaml", "# A persona in YAML.\nversion: 1.0.0\nsummary: One.   # short\nparts:\n  - tone-warm   # first\n\nvars:\n  x: 1\n")
        .file("personas/md-toml.md", "+++\n# front matter comment\nversion = \"1.0.0\"\nsummary = \"One.\"\ntraits = [\"calm\"] # calm\n+++\nThe body stays.\n")
        .file("personas/md-yaml.md", "---\n# front matter comment\nversion: 1.0.0\nsummary: One.\ntraits: [calm]  # calm\n---\nThe body stays.\n\n+++\n")
}

const PERSONAS: [&str; 4] = ["toml-one", "yaml-one", "md-toml", "md-yaml"];

fn file_of(name: &str) -> String {
    match name {
        "toml-one" => "personas/toml-one.toml".into(),
        "yaml-one" => "personas/yaml-one.yaml".into(),
        other => format!("personas/{other}.md"),
    }
}

#[test]
fn link_then_unlink_restores_the_exact_bytes_in_every_form() {
    let repo = repo();
    for persona in PERSONAS {
        let path = file_of(persona);
        let original = repo.read(&path);
        for (flag, name) in [("--part", "goal-help"), ("--trait", "calm"), ("--skill", "lookup"), ("--guardrail", "no-pii")] {
            let already = repo.run(&["get", "persona", persona, "--format", "json"]).stdout.contains(&format!("\"{name}\""));
            if already {
                continue;
            }
            let before = repo.tree("");
            repo.run(&["link", persona, flag, name]).success();
            let linked = repo.read(&path);
            assert_ne!(linked, original, "{persona} {flag}");
            // Comments and the body are kept.
            for line in original.lines().filter(|l| l.contains('#') || l.contains("body")) {
                assert!(linked.contains(line), "{persona}: lost {line:?} in\n{linked}");
            }
            // No other file was touched.
            let after = repo.tree("");
            let changed: Vec<&String> = after.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
            assert_eq!(changed, [&path]);
            repo.run(&["unlink", persona, flag, name]).success();
            assert_eq!(repo.read(&path), original, "{persona} {flag}: round trip");
        }
    }
}

#[test]
fn a_placed_part_link_is_written_as_a_table() {
    let repo = repo();
    repo.run(&["link", "toml-one", "--part", "goal-help", "--order", "30", "--priority", "7"]).success();
    assert!(repo.read("personas/toml-one.toml").contains("  { name = \"goal-help\", order = 30, priority = 7 },\n]"));
    repo.run(&["link", "yaml-one", "--part", "goal-help", "--order", "30"]).success();
    assert!(repo.read("personas/yaml-one.yaml").contains("  - tone-warm   # first\n  - { name: goal-help, order: 30 }\n"));
    let shown: serde_json::Value = serde_json::from_str(&repo.run(&["show", "yaml-one", "--format", "json"]).success().stdout).unwrap();
    assert_eq!(shown["parts"][1], serde_json::json!({ "name": "goal-help", "type": "goal", "order": 30, "priority": 0, "layer": "own" }));
}

#[test]
fn refused_edits_change_nothing() {
    let repo = repo();
    let before = repo.tree("");
    let run = repo.run(&["link", "toml-one", "--part", "tone-wrm"]).failure();
    assert!(run.stderr.contains("unknown part `tone-wrm`") && run.stderr.contains("did you mean `tone-warm`?"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    let run = repo.run(&["link", "toml-one", "--part", "tone-warm"]).failure();
    assert!(run.stderr.contains("`tone-warm` is already linked"), "{}", run.stderr);
    let run = repo.run(&["unlink", "md-toml", "--skill", "lookup"]).failure();
    assert!(run.stderr.contains("`lookup` is not linked"), "{}", run.stderr);
    let run = repo.run(&["link", "nobody", "--trait", "calm"]).code(2);
    assert!(run.stderr.contains("no persona named `nobody`"), "{}", run.stderr);
    assert_eq!(repo.tree(""), before);
}

#[test]
fn yaml_that_cannot_be_edited_safely_is_refused() {
    // An anchor and an alias, and a flow list over two lines.
    let repo = repo().file("personas/anchored.yaml", "version: 1.0.0\nsummary: &s One.\ndescription: *s\ntraits: [calm,\n  ]\n");
    repo.run(&["check"]).success();
    let before = repo.read("personas/anchored.yaml");
    let run = repo.run(&["link", "anchored", "--skill", "lookup"]).success();
    assert!(run.stderr.contains("link skill lookup"), "{}", run.stderr);
    let run = repo.run(&["link", "anchored", "--trait", "calm"]).failure();
    assert!(run.stderr.contains("already linked"), "{}", run.stderr);
    let after_skill = repo.read("personas/anchored.yaml");
    assert!(after_skill.starts_with(&before), "only a line was added:\n{after_skill}");
    let run = repo.run(&["unlink", "anchored", "--trait", "calm"]).failure();
    assert!(run.stderr.contains("`traits` is a flow collection (`[…]` or `{…}`) over several lines"), "{}", run.stderr);
    assert_eq!(repo.read("personas/anchored.yaml"), after_skill);
}

#[test]
fn arc_commands_walk_a_persona_through_its_arc_and_no_further() {
    let repo = repo();
    let run = repo.run(&["arc", "assign", "md-yaml", "journey"]).success();
    assert!(run.stderr.contains("md-yaml: assign arc journey"), "{}", run.stderr);
    insta::assert_snapshot!(repo.run(&["arc", "status", "md-yaml"]).success().stdout);
    let original = repo.read("personas/md-yaml.md");
    repo.run(&["arc", "advance", "md-yaml"]).success();
    assert!(repo.read("personas/md-yaml.md").contains("arc: { name: journey, stage: trial }"));
    repo.run(&["arc", "advance", "md-yaml"]).success();
    let at_end = repo.read("personas/md-yaml.md");
    let run = repo.run(&["arc", "advance", "md-yaml"]).failure();
    assert!(run.stderr.contains("already at the last stage `return` of arc `journey`"), "{}", run.stderr);
    assert_eq!(repo.read("personas/md-yaml.md"), at_end);
    repo.run(&["arc", "reset", "md-yaml"]).success();
    assert_eq!(repo.read("personas/md-yaml.md"), original);
    // Assigning at a stage, in TOML.
    repo.run(&["arc", "assign", "toml-one", "journey", "--stage", "return"]).success();
    assert!(repo.read("personas/toml-one.toml").contains("arc = { name = \"journey\", stage = \"return\" }"));
    assert!(repo.run(&["arc", "status", "toml-one"]).success().stdout.contains("next:      none (the last stage)"));
    let run = repo.run(&["arc", "assign", "toml-one", "journy"]).code(2);
    assert!(run.stderr.contains("did you mean `journey`?"), "{}", run.stderr);
    let run = repo.run(&["arc", "assign", "toml-one", "journey", "--stage", "nope"]).code(2);
    assert!(run.stderr.contains("its stages are: call, trial, return"), "{}", run.stderr);
    let run = repo.run(&["arc", "advance", "yaml-one"]).code(2);
    assert!(run.stderr.contains("persona `yaml-one` has no arc"), "{}", run.stderr);
}

#[test]
fn new_creates_a_valid_definition_of_every_kind() {
    let repo = repo();
    for (kind, name, extra) in [
        ("persona", "ada", None),
        ("part", "tone-calm", Some("tone")),
        ("trait", "bold", Some("social")),
        ("skill", "search", None),
        ("guardrail", "no-secrets", None),
        ("arc", "saga", None),
    ] {
        let mut args = vec!["new", kind, name];
        if let Some(t) = extra {
            args.extend(["--type", t]);
        }
        repo.run(&args).success();
        let got: serde_json::Value = serde_json::from_str(&repo.run(&["get", kind, name, "--format", "json"]).success().stdout).unwrap();
        assert_eq!(got["name"], name);
        if let Some(t) = extra {
            assert_eq!(got["type"], t);
        }
    }
    repo.run(&["build"]).success();
    let before = repo.tree("");
    let run = repo.run(&["new", "part", "tone-calm", "--type", "tone"]).code(2);
    assert!(run.stderr.contains("a part named `tone-calm` already exists: `parts/tone-calm.md`"), "{}", run.stderr);
    let run = repo.run(&["new", "part", "Tone Calm", "--type", "tone"]).code(2);
    assert!(run.stderr.contains("did you mean `tone-calm`?"), "{}", run.stderr);
    let run = repo.run(&["new", "part", "x", "--type", "tonne"]).code(2);
    assert!(run.stderr.contains("did you mean `tone`?"), "{}", run.stderr);
    let run = repo.run(&["new", "trait", "y"]).code(2);
    assert!(run.stderr.contains("needs a type"), "{}", run.stderr);
    assert_eq!(repo.tree(""), before);
}

#[test]
fn commit_commits_just_the_edited_file() {
    let repo = repo().git_init();
    repo.commit("start");
    repo.write("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help a lot.\"\n");
    repo.run(&["arc", "assign", "toml-one", "journey", "--commit"]).success();
    repo.run(&["arc", "advance", "toml-one", "--commit"]).success();
    let log = repo.git(&["log", "--format=%s", "-3"]);
    assert_eq!(log, "toml-one: advance arc journey to trial\ntoml-one: assign arc journey\nstart\n");
    assert_eq!(repo.git(&["show", "--name-only", "--format=", "HEAD"]), "personas/toml-one.toml\n");
    // The other change is still uncommitted, and the edited file is clean.
    assert_eq!(repo.git(&["status", "--porcelain"]), " M parts/goal-help.toml\n");
}
