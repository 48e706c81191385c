//! A corpus of broken repositories: 25 kinds of error, each written in all
//! four forms (`.toml`, `.yaml`, `.md` with `+++`, `.md` with `---`). Each
//! must exit 1, never panic, give path:line:col in every message, and print
//! what its snapshot says.

use crate::support::Repo;

/// A valid repository for the broken persona to refer to.
fn base() -> Repo {
    Repo::new()
        .file("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n")
        .file("parts/goal-help.yaml", "type: goal\nsummary: Help.\n")
        .file("traits/calm.toml", "type = \"emotional\"\ndescription = \"Calm.\"\n")
        .file("skills/lookup.md", "---\ndescription: Looks up.\n---\nUse the lookup tool.\n")
        .file("guardrails/no-pii.yaml", "description: No PII.\nseverity: critical\n")
        .file(
            "arcs/journey.toml",
            "[[stages]]\nname = \"call\"\nparts = [\"goal-help\"]\n\n[[stages]]\nname = \"trial\"\nparts = [\"goal-help\"]\n",
        )
        .file("personas/ok.toml", "version = \"1.0.0\"\nsummary = \"Fine.\"\nparts = [\"tone-warm\"]\n")
}

const HEAD_TOML: &str = "version = \"1.0.0\"\nsummary = \"P.\"\n";
const HEAD_YAML: &str = "version: 1.0.0\nsummary: P.\n";

/// Each kind of error as the fields of persona `p`: in TOML, then in YAML.
fn kinds() -> Vec<(&'static str, String, String)> {
    let with_head = |t: &str, y: &str| (format!("{HEAD_TOML}{t}"), format!("{HEAD_YAML}{y}"));
    let mut kinds = Vec::new();
    let mut add = |name: &'static str, (t, y): (String, String)| kinds.push((name, t, y));
    add("unknown_part", with_head("parts = [\"tone-warn\"]\n", "parts: [tone-warn]\n"));
    add("unknown_trait", with_head("traits = [\"clam\"]\n", "traits: [clam]\n"));
    add("unknown_skill", with_head("skills = [\"lookpu\"]\n", "skills: [lookpu]\n"));
    add("unknown_guardrail", with_head("guardrails = [\"no-pi\"]\n", "guardrails: [no-pi]\n"));
    add("unknown_parent", ("version = \"1.0.0\"\nextends = \"okk\"\n".into(), "version: 1.0.0\nextends: okk\n".into()));
    add("extends_itself", with_head("extends = \"p\"\n", "extends: p\n"));
    add("unknown_arc", with_head("arc = { name = \"jouney\" }\n", "arc: { name: jouney }\n"));
    add("unknown_stage", with_head("arc = { name = \"journey\", stage = \"trail\" }\n", "arc: { name: journey, stage: trail }\n"));
    add(
        "override_unknown_type",
        with_head(
            "\n[channels.voice]\noverrides = { tonne = \"tone-warm\" }\n",
            "channels:\n  voice:\n    overrides: { tonne: tone-warm }\n",
        ),
    );
    add(
        "override_wrong_type",
        with_head(
            "\n[channels.voice]\noverrides = { tone = \"goal-help\" }\n",
            "channels:\n  voice:\n    overrides: { tone: goal-help }\n",
        ),
    );
    add(
        "override_unknown_part",
        with_head(
            "\n[channels.voice]\noverrides = { tone = \"tone-cold\" }\n",
            "channels:\n  voice:\n    overrides: { tone: tone-cold }\n",
        ),
    );
    add("invalid_channel_name", with_head("\n[channels.Voice]\noverrides = {}\n", "channels:\n  Voice:\n    overrides: {}\n"));
    add(
        "undefined_variable",
        ("version = \"1.0.0\"\nsummary = \"P for {{ compnay }}.\"\n".into(), "version: 1.0.0\nsummary: P for {{ compnay }}.\n".into()),
    );
    add("template_syntax", ("version = \"1.0.0\"\nsummary = \"P {% if %}.\"\n".into(), "version: 1.0.0\nsummary: P {% if %}.\n".into()));
    add("invalid_version", ("version = \"1.0\"\nsummary = \"P.\"\n".into(), "version: \"1.0\"\nsummary: P.\n".into()));
    add("missing_version", ("summary = \"P.\"\n".into(), "summary: P.\n".into()));
    add("missing_summary", ("version = \"1.0.0\"\n".into(), "version: 1.0.0\n".into()));
    add("unknown_field", with_head("part = [\"tone-warm\"]\n", "part: [tone-warm]\n"));
    add("wrong_type", with_head("traits = \"calm\"\n", "traits: calm\n"));
    add("invalid_link_name", with_head("parts = [\"Tone Warm\"]\n", "parts: [Tone Warm]\n"));
    add("part_link_without_name", with_head("parts = [{ order = 1 }]\n", "parts:\n  - { order: 1 }\n"));
    add("zero_budget", with_head("budget = { max_tokens = 0 }\n", "budget: { max_tokens: 0 }\n"));
    add("invalid_runtime_var", with_head("runtime_vars = [\"user-name\"]\n", "runtime_vars: [user-name]\n"));
    add("invalid_var_name", with_head("\n[vars]\n2fast = 1\n", "vars:\n  2fast: 1\n"));
    add("name_mismatch", with_head("name = \"q\"\n", "name: q\n"));
    kinds
}

#[test]
fn every_broken_repository_is_refused_with_positions() {
    let mut count = 0;
    for (kind, toml, yaml) in kinds() {
        let forms = [
            ("toml", "personas/p.toml", toml.clone()),
            ("yaml", "personas/p.yaml", yaml.clone()),
            ("md_toml", "personas/p.md", format!("+++\n{toml}+++\nThe body.\n")),
            ("md_yaml", "personas/p.md", format!("---\n{yaml}---\nThe body.\n")),
        ];
        for (form, path, text) in forms {
            count += 1;
            let repo = base().file(path, &text);
            let run = repo.run(&["check"]);
            assert_eq!(run.code, 1, "{kind}/{form}: exit {}\n{}", run.code, run.stderr);
            assert!(!run.stderr.contains("panicked"), "{kind}/{form} panicked:\n{}", run.stderr);
            let errors: Vec<&str> = run.stderr.split("\n\n").filter(|b| b.starts_with("error")).collect();
            assert!(!errors.is_empty(), "{kind}/{form}: no error:\n{}", run.stderr);
            for block in errors {
                let position = block.lines().nth(1).unwrap_or_default();
                let ok =
                    position.starts_with(" --> personas/p.") && position.rsplit(':').take(2).all(|n| n.trim().parse::<usize>().is_ok());
                assert!(ok, "{kind}/{form}: no path:line:col in\n{block}");
            }
            insta::assert_snapshot!(format!("{kind}__{form}"), run.stderr);
        }
    }
    assert!(count >= 100, "{count} repositories");
}
