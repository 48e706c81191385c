//! Every file form for every kind, the required fields and the name rules.

use serde_json::{Value, json};

use crate::support::Repo;

fn get(repo: &Repo, kind: &str, name: &str) -> Value {
    serde_json::from_str(&repo.run(&["get", kind, name, "--format", "json"]).success().stdout).unwrap()
}

/// The same part written in each of the four forms reads the same.
#[test]
fn a_part_reads_the_same_in_every_form() {
    let repo = Repo::new()
        .file("parts/a.toml", "type = \"tone\"\nsummary = \"Warm.\"\ncontent = \"Be warm.\"\ntags = [\"x\"]\n")
        .file("parts/b.yaml", "type: tone\nsummary: Warm.\ncontent: Be warm.\ntags: [x]\n")
        .file("parts/c.yml", "type: tone\nsummary: Warm.\ncontent: Be warm.\ntags: [x]\n")
        .file("parts/d.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\ntags = [\"x\"]\n+++\nBe warm.\n")
        .file("parts/e.md", "---\ntype: tone\nsummary: Warm.\ntags: [x]\n---\n\nBe warm.\n");
    for (name, ext) in [("a", "toml"), ("b", "yaml"), ("c", "yml"), ("d", "md"), ("e", "md")] {
        let part = get(&repo, "part", name);
        assert_eq!(part["type"], "tone", "{name}");
        assert_eq!(part["summary"], "Warm.", "{name}");
        assert_eq!(part["content"].as_str().unwrap().trim_end(), "Be warm.", "{name}");
        assert_eq!(part["tags"], json!(["x"]), "{name}");
        assert_eq!(part["file"], format!("parts/{name}.{ext}"));
    }
}

#[test]
fn each_kind_takes_its_long_text_from_the_markdown_body() {
    let repo = Repo::new()
        .file("personas/p.md", "+++\nversion = \"1.0.0\"\nsummary = \"s\"\n+++\nThe detail.\n")
        .file("parts/t.md", "+++\ntype = \"tone\"\nsummary = \"s\"\n+++\nThe content.\n")
        .file("traits/calm.md", "---\ntype: emotional\ndescription: Calm.\n---\nThe instruction.\n")
        .file("skills/lookup.md", "---\ndescription: Looks up.\n---\nThe skill content.\n")
        .file("guardrails/no-pii.md", "+++\ndescription = \"No PII.\"\nseverity = \"critical\"\n+++\nThe rule.\n");
    assert_eq!(get(&repo, "persona", "p")["detail"], "The detail.\n");
    // Texts other than a persona's are shown rendered (and trimmed).
    assert_eq!(get(&repo, "part", "t")["content"], "The content.");
    assert_eq!(get(&repo, "trait", "calm")["instruction"], "The instruction.");
    assert_eq!(get(&repo, "skill", "lookup")["content"], "The skill content.");
    let rule = get(&repo, "guardrail", "no-pii");
    assert_eq!(rule["content"], "The rule.");
    assert_eq!(rule["severity"], "critical");
}

#[test]
fn arcs_read_from_toml_and_yaml() {
    let repo = Repo::new()
        .file("arcs/a.toml", "summary = \"A.\"\n[[stages]]\nname = \"one\"\ncondition = \"At first.\"\n")
        .file("arcs/b.yaml", "stages:\n  - name: one\n    description: First.\n  - name: two\n");
    assert_eq!(get(&repo, "arc", "a")["stages"][0]["condition"], "At first.");
    assert_eq!(get(&repo, "arc", "b")["stages"][1]["name"], "two");
}

#[test]
fn guardrail_severity_defaults_to_medium() {
    let repo = Repo::new().file("guardrails/g.yaml", "description: A rule.\n");
    assert_eq!(get(&repo, "guardrail", "g")["severity"], "medium");
}

#[test]
fn hidden_files_and_readmes_are_not_definitions() {
    let repo = Repo::minimal()
        .file("parts/README.md", "# Parts\nNotes for people.\n")
        .file("parts/.tone-warm.md.swp", "binary junk")
        .file("personas/.drafts/x.toml", "not = \"read\"\n");
    repo.run(&["check"]).success();
}

#[test]
fn crlf_line_endings_and_a_bom_read_like_lf() {
    let lf = Repo::minimal();
    let crlf = Repo::new()
        .file("parts/tone-warm.md", "\u{feff}+++\r\ntype = \"tone\"\r\nsummary = \"Warm.\"\r\n+++\r\nBe warm.\r\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\r\nsummary = \"Maya helps.\"\r\nparts = [\"tone-warm\"]\r\n");
    lf.run(&["build"]).success();
    crlf.run(&["build"]).success();
    assert_eq!(lf.tree("build-output"), crlf.tree("build-output"));
}

#[test]
fn a_child_persona_needs_no_summary_but_every_persona_needs_a_version() {
    let repo = Repo::minimal().file("personas/child.toml", "version = \"1.0.0\"\nextends = \"maya\"\n");
    repo.run(&["check"]).success();
    let repo = Repo::minimal().file("personas/child.toml", "extends = \"maya\"\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("persona `child` is missing the required field `version`"), "{}", run.stderr);
    let repo = Repo::minimal().file("personas/lone.toml", "version = \"1.0.0\"\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("persona `lone` is missing the required field `summary`"), "{}", run.stderr);
}

#[test]
fn every_required_field_is_required() {
    let cases = [
        ("parts/p.toml", "summary = \"s\"\n", "part `p` is missing the required field `type`", "1:1"),
        ("parts/p.toml", "type = \"tone\"\n", "part `p` is missing the required field `summary`", "1:1"),
        ("traits/t.toml", "description = \"d\"\n", "trait `t` is missing the required field `type`", "1:1"),
        ("traits/t.toml", "type = \"social\"\n", "trait `t` is missing the required field `description`", "1:1"),
        ("skills/s.toml", "content = \"c\"\n", "skill `s` is missing the required field `description`", "1:1"),
        ("guardrails/g.toml", "content = \"c\"\n", "guardrail `g` is missing the required field `description`", "1:1"),
        ("arcs/a.toml", "summary = \"s\"\n", "arc `a` is missing the required field `stages`", "1:1"),
        ("arcs/a.toml", "stages = []\n", "arc `a` has no stages", "1:10"),
        ("arcs/a.toml", "[[stages]]\ncondition = \"c\"\n", "stage 1 of arc `a` is missing the required field `name`", "1:1"),
        (
            "personas/p.toml",
            "version = \"1.0.0\"\nsummary = \"s\"\nparts = [{ order = 1 }]\n",
            "a part link is missing the required field `name`",
            "3:10",
        ),
    ];
    for (path, text, message, position) in cases {
        let repo = Repo::new().file(path, text);
        let run = repo.run(&["check"]).failure();
        assert!(run.stderr.contains(message), "{path}: expected {message:?} in\n{}", run.stderr);
        assert!(run.stderr.contains(&format!("--> {path}:{position}")), "{}", run.stderr);
    }
}

#[test]
fn names_follow_the_rules() {
    for bad in ["Tone", "-tone", "tone.warm", "tóne", &"a".repeat(65)] {
        let repo = Repo::new().file(&format!("parts/{bad}.toml"), "type = \"tone\"\nsummary = \"s\"\n");
        let run = repo.run(&["check"]).failure();
        assert!(run.stderr.contains("is not a valid part name"), "{bad}: {}", run.stderr);
    }
    for good in ["tone", "9lives", "a_b-c", &"a".repeat(64)] {
        let repo = Repo::new().file(&format!("parts/{good}.toml"), "type = \"tone\"\nsummary = \"s\"\n");
        repo.run(&["check"]).success();
    }
}

#[test]
fn names_are_unique_per_kind_but_kinds_have_separate_name_spaces() {
    let repo = Repo::new()
        .file("parts/calm.toml", "type = \"tone\"\nsummary = \"s\"\n")
        .file("traits/calm.toml", "type = \"emotional\"\ndescription = \"d\"\n")
        .file("skills/calm.toml", "description = \"d\"\n");
    repo.run(&["check"]).success();
    let repo =
        Repo::new().file("parts/a/calm.toml", "type = \"tone\"\nsummary = \"s\"\n").file("parts/b/c/calm.yaml", "type: tone\nsummary: s\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("two parts are named `calm`: `parts/a/calm.toml` and `parts/b/c/calm.yaml`"), "{}", run.stderr);
}

#[test]
fn extra_part_types_come_from_the_config() {
    let repo = Repo::new()
        .file("personac.toml", "part_types = [\"disclaimer\"]\n")
        .file("parts/legal.toml", "type = \"disclaimer\"\nsummary = \"Not legal advice.\"\n");
    repo.run(&["check"]).success();
    assert_eq!(get(&repo, "part", "legal")["type"], "disclaimer");
}
