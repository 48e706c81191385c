//! One snapshot per kind of error: what a person sees in the terminal.

use crate::support::Repo;

/// Runs `check`, expects exit 1, and returns what it printed.
#[track_caller]
fn errors(repo: &Repo) -> String {
    let run = repo.run(&["check"]).failure();
    assert!(run.stdout.is_empty(), "diagnostics go to stderr: {}", run.stdout);
    // Every error names a file, line and column.
    for block in run.stderr.split("\n\n").filter(|b| b.starts_with("error")) {
        assert!(block.contains(" --> "), "no position in:\n{block}");
    }
    run.stderr
}

macro_rules! diagnostic {
    ($name:ident, $repo:expr) => {
        #[test]
        fn $name() {
            let repo: Repo = $repo;
            insta::assert_snapshot!(errors(&repo));
        }
    };
}

diagnostic!(toml_syntax, Repo::new().file("personas/maya.toml", "version = \"1.0.0\nsummary = \"x\"\n"));

diagnostic!(yaml_syntax, Repo::new().file("parts/tone.yaml", "type: tone\nsummary: [unclosed\n"));

diagnostic!(front_matter_missing, Repo::new().file("parts/tone.md", "Just a body.\n"));

diagnostic!(front_matter_unclosed, Repo::new().file("parts/tone.md", "+++\ntype = \"tone\"\nsummary = \"s\"\nBody.\n"));

diagnostic!(not_a_definition_file, Repo::minimal().file("personas/notes.txt", "remember to add a tone\n"));

diagnostic!(arc_as_markdown, Repo::new().file("arcs/journey.md", "+++\nstages = []\n+++\n"));

diagnostic!(unknown_field, Repo::new().file("parts/tone.toml", "type = \"tone\"\nsummry = \"Warm.\"\nsummary = \"Warm.\"\n"));

diagnostic!(missing_field_toml, Repo::new().file("parts/tone.toml", "type = \"tone\"\ncontent = \"Be warm.\"\n"));

diagnostic!(missing_field_yaml_front_matter, Repo::new().file("traits/calm.md", "---\ntype: emotional\n---\nStay calm.\n"));

diagnostic!(
    wrong_field_type,
    Repo::minimal().file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\ntraits = \"empathetic\"\n")
);

diagnostic!(
    body_and_field,
    Repo::new().file("parts/tone.md", "+++\ntype = \"tone\"\nsummary = \"s\"\ncontent = \"In front.\"\n+++\nAnd in the body.\n")
);

diagnostic!(
    invalid_budget,
    Repo::minimal().file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\nbudget = { max_tokens = 0 }\n")
);

diagnostic!(invalid_name, Repo::new().file("parts/Tone Warm.toml", "type = \"tone\"\nsummary = \"s\"\n"));

diagnostic!(name_field_mismatch, Repo::new().file("parts/tone.toml", "name = \"tone-warm\"\ntype = \"tone\"\nsummary = \"s\"\n"));

diagnostic!(
    duplicate_name,
    Repo::new()
        .file("parts/a/tone.toml", "type = \"tone\"\nsummary = \"s\"\n")
        .file("parts/b/tone.md", "---\ntype: tone\nsummary: s\n---\n")
);

diagnostic!(unknown_part_type, Repo::new().file("parts/tone.toml", "type = \"tonne\"\nsummary = \"s\"\n"));

diagnostic!(unknown_trait_type, Repo::new().file("traits/calm.yaml", "type: emotionl\ndescription: Calm.\n"));

diagnostic!(unknown_severity, Repo::new().file("guardrails/no-pii.yaml", "description: No PII.\nseverity: severe\n"));

diagnostic!(invalid_version, Repo::new().file("personas/maya.toml", "version = \"1.0\"\nsummary = \"s\"\n"));

diagnostic!(
    unknown_part,
    Repo::minimal().file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\n  \"tone-warn\",\n]\n")
);

diagnostic!(
    unknown_skill_and_guardrail_together,
    Repo::minimal()
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\nskills = [\"order-lokup\"]\nguardrails = [\"no-pii\"]\n")
);

diagnostic!(
    unknown_parent,
    Repo::minimal()
        .file("personas/maya.toml", "version = \"1.0.0\"\nextends = \"support-bse\"\n")
        .file("personas/support-base.toml", "version = \"1.0.0\"\nsummary = \"s\"\n")
);

diagnostic!(
    inheritance_cycle,
    Repo::new()
        .file("personas/a.toml", "version = \"1.0.0\"\nsummary = \"a\"\nextends = \"b\"\n")
        .file("personas/b.toml", "version = \"1.0.0\"\nsummary = \"b\"\nextends = \"c\"\n")
        .file("personas/c.toml", "version = \"1.0.0\"\nsummary = \"c\"\nextends = \"a\"\n")
);

diagnostic!(
    unknown_arc,
    Repo::minimal().file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\narc = { name = \"journey\" }\n")
);

diagnostic!(
    unknown_stage,
    Repo::minimal()
        .file("arcs/journey.toml", "[[stages]]\nname = \"call\"\n\n[[stages]]\nname = \"trial\"\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\narc = { name = \"journey\", stage = \"trail\" }\n")
);

diagnostic!(duplicate_stage, Repo::new().file("arcs/journey.yaml", "stages:\n  - name: call\n  - name: call\n"));

diagnostic!(unknown_stage_part, Repo::minimal().file("arcs/journey.yaml", "stages:\n  - name: call\n    parts: [goal-answer]\n"));

diagnostic!(
    override_unknown_type,
    Repo::minimal()
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\n\n[channels.voice]\noverrides = { tonne = \"tone-warm\" }\n")
);

diagnostic!(
    override_wrong_type,
    Repo::minimal().file("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help.\"\n").file(
        "personas/maya.toml",
        "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"tone-warm\", \"goal-help\"]\n\n[channels.voice]\noverrides = { tone = \"goal-help\" }\n"
    )
);

diagnostic!(
    undefined_variable,
    Repo::minimal().file("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm, and speak for {{ compnay }}.\n")
);

diagnostic!(
    template_syntax,
    Repo::minimal()
        .file("parts/tone-plain.yaml", "type: tone\nsummary: Warm.\ncontent: |\n  Be warm.\n  Speak for {{ company\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"tone-plain\"]\n")
);

diagnostic!(
    runaway_template,
    Repo::minimal().file(
        "parts/tone-plain.toml",
        "type = \"tone\"\nsummary = \"Warm.\"\ncontent = \"{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\"\n"
    )
    .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"tone-plain\"]\n")
);

diagnostic!(
    over_budget,
    Repo::minimal().file(
        "personas/maya.toml",
        "version = \"1.0.0\"\nsummary = \"Maya helps customers with their orders and refunds, every day.\"\nparts = [\"tone-warm\"]\nbudget = { max_tokens = 5 }\n"
    )
);

diagnostic!(unknown_encoding, Repo::minimal().file("personac.toml", "encoding = \"o200k\"\n"));

diagnostic!(unknown_config_field, Repo::minimal().file("personac.toml", "out-dir = \"dist\"\n"));

#[test]
fn not_utf8() {
    let repo = Repo::minimal();
    std::fs::write(repo.path().join("parts/bad.toml"), b"type = \"tone\"\nsummary = \"\xff\"\n").unwrap();
    insta::assert_snapshot!(errors(&repo));
}

#[test]
fn every_error_of_a_run_is_reported_together() {
    let repo = Repo::minimal()
        .file("parts/a.toml", "type = \"tonne\"\nsummary = \"s\"\n")
        .file("traits/b.yaml", "type: social\n")
        .file("personas/c.toml", "version = \"x\"\nsummary = \"s\"\n");
    let out = errors(&repo);
    assert!(out.contains("parts/a.toml:1:8"), "{out}");
    assert!(out.contains("traits/b.yaml:1:1"), "{out}");
    assert!(out.contains("personas/c.toml:1:11"), "{out}");
    assert!(out.ends_with("3 errors emitted\n"), "{out}");
}

#[test]
fn json_diagnostics_give_positions() {
    let repo = Repo::minimal().file("parts/a.toml", "type = \"tonne\"\nsummary = \"s\"\n");
    let run = repo.run(&["check", "--format", "json"]).failure();
    let diag: serde_json::Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(diag["code"], "E0130");
    assert_eq!(diag["file"], "parts/a.toml");
    assert_eq!((diag["line"].as_u64(), diag["column"].as_u64()), (Some(1), Some(8)));
    assert_eq!((diag["end_line"].as_u64(), diag["end_column"].as_u64()), (Some(1), Some(15)));
    assert_eq!(diag["help"].as_str().unwrap().lines().next().unwrap(), "did you mean `tone`?");
}

#[test]
fn github_annotations() {
    let repo = Repo::minimal().file("parts/a.toml", "type = \"tonne\"\nsummary = \"s\"\n");
    let run = repo.run(&["check", "--format", "github"]).failure();
    insta::assert_snapshot!(run.stdout);
}

/// Every code the source defines has a section in docs/diagnostics.md, and
/// the docs list no code that does not exist.
#[test]
fn every_code_is_documented() {
    let root = crate::support::examples_root();
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let mut defined = Vec::new();
    let source = std::fs::read_to_string(root.join("src/diag.rs")).unwrap();
    for line in source.lines().filter(|l| l.trim_start().starts_with("pub const ") && l.contains(": &str = \"")) {
        let code = line.split('"').nth(1).unwrap();
        defined.push(code.to_string());
    }
    // The lints' codes, beside their names.
    defined.extend(personac::lint::NAMES.iter().map(|(code, _)| code.to_string()));
    assert!(defined.len() > 30, "{defined:?}");
    let documented: Vec<String> =
        docs.lines().filter_map(|l| l.strip_prefix("## ")).map(|l| l.split(':').next().unwrap().to_string()).collect();
    for code in &defined {
        assert!(documented.contains(code), "{code} is not documented in docs/diagnostics.md");
        assert!(docs.contains(&format!("[{code}]")), "{code} has no example");
    }
    for code in &documented {
        assert!(defined.contains(code), "docs/diagnostics.md documents {code}, which does not exist");
    }
}

diagnostic!(
    layout_template_error,
    Repo::minimal()
        .file("templates/detail.md.j2", "# {{ persona.title }}\n\n{{ text }}\n{% for p in parts %}\n{{ p.text | shout }}\n{% endfor %}\n")
);

// A definition no persona uses is still checked: each of its texts is
// compiled (not rendered), and its errors are placed in its file.
diagnostic!(
    unused_definition_template_syntax,
    Repo::minimal().file("parts/unused.md", "+++\ntype = \"goal\"\nsummary = \"Unused {% if %}.\"\n+++\nNever {{ shown.\n")
);

diagnostic!(
    layout_template_undefined,
    Repo::minimal().file("templates/summary.md.j2", "# {{ persona.title }}\n\n{{ persona.nickname }}\n")
);

// A runtime setting on a persona belongs under `[metadata]`: no
// did-you-mean toward a field that only starts alike (`template`).
diagnostic!(
    runtime_setting_field,
    Repo::minimal().file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"s\"\ntemperature = 0.2\nparts = [\"tone-warm\"]\n")
);

// A colon inside an unquoted YAML value, named as the likely cause.
diagnostic!(yaml_colon_in_value, Repo::new().file("parts/tone.yaml", "type: tone\nsummary: Note: be brief\ncontent: |\n  Be warm.\n"));

// A tab indenting YAML, named as the likely cause.
diagnostic!(yaml_tab, Repo::new().file("parts/tone.yaml", "type: tone\ntags:\n\t- warm\nsummary: Warm.\n"));

// `version: 1.0` is a float in YAML: quote it.
diagnostic!(yaml_version_float, Repo::new().file("personas/maya.md", "---\nversion: 1.0\nsummary: Maya helps.\n---\nHello.\n"));

// A misspelled required field is one error, at the misspelled key.
diagnostic!(misspelled_required_field, Repo::new().file("parts/tone.toml", "type = \"tone\"\nsumary = \"Warm.\"\n"));

// An undefined variable suggests the close name among those in scope.
diagnostic!(
    undefined_variable_did_you_mean,
    Repo::new()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya works at {{ compnay }}.\"\n")
);
