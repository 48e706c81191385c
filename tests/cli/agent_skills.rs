//! Skills in the Agent Skills form (agentskills.io): read natively from
//! `skills/…/NAME/SKILL.md`, compiled with their references, served over
//! MCP, imported and exported as folders, and listed by the Claude Code
//! export when they are exported alongside.

use serde_json::{Value, json};

use crate::support::Repo;

/// A binary asset: not UTF-8, with a CRLF and a BOM-like start, so that any
/// decoding or normalising on the way shows.
const LOGO: &[u8] = b"\xef\xbb\xbfPNG\x00\x01\xff\xfe\r\nend\r\n";

const SKILL: &str = "---
name: pdf-forms
description: Fill in PDF forms from a customer's answers. Use when a form must be sent back filled.
license: Proprietary. LICENSE.txt has the terms.
compatibility: Needs Python 3 and the pypdf package.
metadata:
  owner: docs-team
  version: \"2.1\"
allowed-tools: Bash(python3:*) Read
---
# Filling PDF forms

Read `references/fields.md` before filling a form: it lists the field names.
Run `scripts/fill.py FORM ANSWERS` to fill one. Version {{version}} of the form is the current one.
";

fn skill_repo() -> Repo {
    let repo = Repo::minimal()
        .file("skills/documents/pdf-forms/SKILL.md", SKILL)
        .file(
            "skills/documents/pdf-forms/references/fields.md",
            "# Fields\n\n- `name`: the customer's full name\n- `date`: today, as {{date}}\n",
        )
        .file("skills/documents/pdf-forms/scripts/fill.py", "import sys\r\nprint(sys.argv)\r\n")
        .file("skills/documents/pdf-forms/LICENSE.txt", "All rights reserved.\n")
        .file("skills/lookup.yaml", "description: Looks things up.\ncontent: Look it up in {{ place }}.\n")
        .file("personac.toml", "[vars]\nplace = \"the wiki\"\n")
        .file(
            "personas/maya.toml",
            "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\nskills = [\"pdf-forms\", \"lookup\"]\n",
        );
    std::fs::create_dir_all(repo.path().join("skills/documents/pdf-forms/assets")).unwrap();
    std::fs::write(repo.path().join("skills/documents/pdf-forms/assets/logo.png"), LOGO).unwrap();
    repo
}

fn index(repo: &Repo) -> Value {
    serde_json::from_str(&repo.read("build-output/index.json")).unwrap()
}

#[test]
fn a_skill_folder_is_a_skill_with_references_on_demand_and_literal_text() {
    let repo = skill_repo();
    repo.run(&["build"]).success();
    let detail = repo.read("build-output/maya/detail.md");
    // The body is the skill's content, literal: other harnesses render no templates.
    assert!(detail.contains("# Filling PDF forms"), "{detail}");
    assert!(detail.contains("Version {{version}} of the form is the current one."), "{detail}");
    // Its references are listed with the tool that fetches them.
    assert!(detail.contains("fetch one with `get_agent_skill` (`name`: `pdf-forms`, `file`: its path)"), "{detail}");
    assert!(detail.contains("- `references/fields.md`"), "{detail}");
    // A skill in another form still renders as before.
    assert!(detail.contains("Look it up in the wiki."), "{detail}");

    // The reference is compiled into the persona's folder, as written, and listed.
    assert_eq!(
        repo.read("build-output/maya/on_demand/skill/pdf-forms/references/fields.md"),
        "# Fields\n\n- `name`: the customer's full name\n- `date`: today, as {{date}}\n"
    );
    let on_demand = &index(&repo)["personas"]["maya"]["on_demand"];
    assert_eq!(on_demand.as_array().unwrap().len(), 1, "{on_demand}");
    assert_eq!(on_demand[0]["kind"], "skill");
    assert_eq!(on_demand[0]["name"], "pdf-forms");
    assert_eq!(on_demand[0]["file"], "references/fields.md");
    assert_eq!(on_demand[0]["path"], "on_demand/skill/pdf-forms/references/fields.md");
    let manifest: Value = serde_json::from_str(&repo.read("build-output/maya/manifest.json")).unwrap();
    assert_eq!(
        manifest["on_demand"],
        json!([{ "kind": "skill", "name": "pdf-forms", "file": "references/fields.md", "path": "on_demand/skill/pdf-forms/references/fields.md", "tool": "get_agent_skill" }])
    );
    // Scripts, assets and the license are carried, never compiled.
    let built = repo.tree("build-output/maya");
    assert!(!built.keys().any(|p| p.contains("fill.py") || p.contains("logo") || p.contains("LICENSE")), "{:?}", built.keys());

    // `get` shows what the folder holds.
    let got = repo.run(&["get", "skill", "pdf-forms", "--format", "json"]).success();
    let got: Value = serde_json::from_str(&got.stdout).unwrap();
    assert_eq!(got["file"], "skills/documents/pdf-forms/SKILL.md");
    assert_eq!(got["agent_skills"]["references"], json!(["references/fields.md"]));
    assert_eq!(got["agent_skills"]["files"], json!(["LICENSE.txt", "assets/logo.png", "scripts/fill.py"]));
    assert_eq!(got["agent_skills"]["metadata"], json!({ "owner": "docs-team", "version": "2.1" }));
    assert_eq!(got["agent_skills"]["allowed_tools"], "Bash(python3:*) Read");

    // Editing a reference rebuilds the persona (the folder is one definition).
    repo.write("skills/documents/pdf-forms/references/fields.md", "# Fields\n\nNone.\n");
    repo.run(&["build"]).success();
    assert_eq!(repo.read("build-output/maya/on_demand/skill/pdf-forms/references/fields.md"), "# Fields\n\nNone.\n");
    repo.run(&["build", "--check"]).success();
}

#[test]
fn a_personac_key_under_metadata_opts_a_skill_folder_into_templates() {
    let repo = skill_repo().file(
        "personas/maya.toml",
        "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nskills = [\"pdf-forms\"]\n\n[vars]\nversion = \"7\"\n",
    );
    repo.write(
        "skills/documents/pdf-forms/SKILL.md",
        &SKILL.replace("  owner: docs-team\n", "  owner: docs-team\n  personac.template: \"true\"\n"),
    );
    repo.run(&["build"]).success();
    let detail = repo.read("build-output/maya/detail.md");
    assert!(detail.contains("Version 7 of the form is the current one."), "{detail}");
    // References stay as written.
    assert!(repo.read("build-output/maya/on_demand/skill/pdf-forms/references/fields.md").contains("{{date}}"));
}

#[test]
fn a_skill_folder_that_breaks_the_specification_is_an_error_with_its_place() {
    let cases: [(&str, String, &str); 5] = [
        (
            "name differs from the folder",
            SKILL.replace("name: pdf-forms", "name: pdf-filler"),
            "`name` is `pdf-filler` but the skill's folder is `pdf-forms`",
        ),
        (
            "description too long",
            SKILL.replace("description: Fill in", &format!("description: {} Fill in", "x".repeat(1020))),
            "`description` is 1107 characters long; the Agent Skills specification allows at most 1024",
        ),
        (
            "compatibility too long",
            SKILL.replace("compatibility: Needs", &format!("compatibility: {} Needs", "y".repeat(480))),
            "`compatibility` is 518 characters long",
        ),
        ("unknown field", SKILL.replace("license:", "licence:"), "unknown field `licence`"),
        ("metadata not strings", SKILL.replace("  owner: docs-team", "  owner: [docs]"), "`metadata.owner` must be a string"),
    ];
    for (what, text, message) in cases {
        let repo = skill_repo();
        repo.write("skills/documents/pdf-forms/SKILL.md", &text);
        let run = repo.run(&["build"]).failure();
        assert!(run.stderr.contains(message), "{what}: {}", run.stderr);
        assert!(run.stderr.contains("skills/documents/pdf-forms/SKILL.md:"), "{what}: the place is named: {}", run.stderr);
        assert!(run.stderr.contains("help:"), "{what}: {}", run.stderr);
        assert!(!repo.exists("build-output"), "{what}: a failed build writes nothing");
    }
    // A folder name the specification refuses.
    let repo = Repo::minimal().file("skills/Bad--Name/SKILL.md", "---\nname: Bad--Name\ndescription: Bad.\n---\nBody.\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("`Bad--Name` is not a valid Agent Skills name"), "{}", run.stderr);
    // TOML front matter is not the specification's.
    let repo = Repo::minimal().file("skills/toml-one/SKILL.md", "+++\nname = \"toml-one\"\ndescription = \"T.\"\n+++\nBody.\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("an Agent Skills `SKILL.md` has YAML front matter"), "{}", run.stderr);
}

#[test]
fn export_writes_valid_folders_with_references_and_files_byte_for_byte() {
    let repo = skill_repo();
    repo.run(&["export", "agent-skills", "--out", "exported"]).success();
    let files = repo.tree("exported");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".personac-export.json",
            "lookup/SKILL.md",
            "pdf-forms/LICENSE.txt",
            "pdf-forms/SKILL.md",
            "pdf-forms/assets/logo.png",
            "pdf-forms/references/fields.md",
            "pdf-forms/scripts/fill.py"
        ]
    );
    assert_eq!(files["pdf-forms/assets/logo.png"], LOGO);
    assert_eq!(files["pdf-forms/scripts/fill.py"], b"import sys\r\nprint(sys.argv)\r\n");
    let skill = String::from_utf8(files["pdf-forms/SKILL.md"].clone()).unwrap();
    // The front matter parses as YAML with the specification's fields and types.
    let front = skill.strip_prefix("---\n").and_then(|s| s.split_once("\n---\n")).map(|(f, _)| f).unwrap();
    let fields: Value = personac::parse::yaml_document(front).unwrap().to_json();
    assert_eq!(fields["name"], "pdf-forms");
    assert_eq!(fields["description"], "Fill in PDF forms from a customer's answers. Use when a form must be sent back filled.");
    assert_eq!(fields["license"], "Proprietary. LICENSE.txt has the terms.");
    assert_eq!(fields["metadata"], json!({ "owner": "docs-team", "version": "2.1" }));
    assert_eq!(fields["allowed-tools"], "Bash(python3:*) Read");
    // The body as written, literal.
    assert!(skill.ends_with("\n---\n\n# Filling PDF forms\n\nRead `references/fields.md` before filling a form: it lists the field names.\nRun `scripts/fill.py FORM ANSWERS` to fill one. Version {{version}} of the form is the current one.\n"), "{skill}");
    // A skill of another form: rendered with the project's vars.
    let lookup = String::from_utf8(files["lookup/SKILL.md"].clone()).unwrap();
    assert_eq!(lookup, "---\nname: lookup\ndescription: Looks things up.\n---\n\nLook it up in the wiki.\n");

    // What a folder cannot carry, as data.
    repo.write("skills/lookup.yaml", "description: Looks things up.\ntags: [search]\ncontent: Look it up in {{ place }} for {{ who }}.\n");
    let run = repo.run(&["export", "agent-skills", "--out", "exported", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["format"], "agent-skills");
    assert_eq!(report["written"], json!(["lookup/SKILL.md"]));
    assert_eq!(report["skills"][0]["skill"], "lookup");
    let kinds: Vec<&Value> = report["skills"][0]["lost"].as_array().unwrap().iter().map(|l| &l["kind"]).collect();
    assert_eq!(kinds, [&json!("tags"), &json!("runtime-variables")]);
    assert_eq!(report["skills"][0]["lost"][1]["items"], json!(["who"]));
    assert_eq!(report["skills"][1], json!({ "skill": "pdf-forms", "lost": [] }));
}

#[test]
fn export_refuses_what_the_specification_cannot_hold_with_its_place() {
    let long = "d".repeat(1030);
    let repo = Repo::minimal()
        .file("skills/wordy.toml", &format!("description = \"{long}\"\n"))
        .file("skills/kb_search.toml", "description = \"Search.\"\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nskills = [\"wordy\", \"kb_search\"]\n");
    let run = repo.run(&["export", "agent-skills", "--out", "exported"]).failure();
    assert!(
        run.stderr.contains("skill `wordy`'s description is 1030 characters long (rendered); Agent Skills allows at most 1024"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("skills/wordy.toml:1:15"), "{}", run.stderr);
    assert!(run.stderr.contains("skill `kb_search` cannot be an Agent Skills folder"), "{}", run.stderr);
    assert!(!repo.exists("exported"), "nothing is written");
}

#[test]
fn export_never_replaces_a_hand_written_skill_unless_forced() {
    let repo = skill_repo().file(".claude/skills/lookup/SKILL.md", "---\nname: lookup\ndescription: Mine.\n---\nMine.\n");
    let run = repo.run(&["export", "agent-skills"]).code(2);
    assert!(run.stderr.contains(".claude/skills/lookup/SKILL.md"), "{}", run.stderr);
    assert_eq!(repo.read(".claude/skills/lookup/SKILL.md"), "---\nname: lookup\ndescription: Mine.\n---\nMine.\n");
    assert!(!repo.exists(".claude/skills/pdf-forms"), "nothing is written");
    repo.run(&["export", "agent-skills", "--force"]).success();
    assert!(repo.read(".claude/skills/lookup/SKILL.md").contains("Look it up in the wiki."));
}

#[test]
fn import_then_build_then_export_gives_the_folder_back() {
    let source = skill_repo();
    let repo = Repo::minimal();
    let from = source.path().join("skills/documents");
    let run = repo.run(&["import", "agent-skills", from.to_str().unwrap()]).success();
    assert!(run.stderr.contains("skill `pdf-forms`"), "{}", run.stderr);
    // A copy in the folder form, byte for byte.
    assert_eq!(repo.tree("skills/pdf-forms"), source.tree("skills/documents/pdf-forms"));
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\nskills = [\"pdf-forms\"]\n");
    repo.run(&["build"]).success();
    repo.run(&["export", "agent-skills", "--out", "exported"]).success();
    let back = repo.tree("exported/pdf-forms");
    let original = source.tree("skills/documents/pdf-forms");
    for (path, bytes) in &original {
        if path == "SKILL.md" {
            continue;
        }
        assert_eq!(back.get(path), Some(bytes), "{path} comes back byte for byte");
    }
    // Every field, and every line of the body (whitespace aside).
    let exported = String::from_utf8(back["SKILL.md"].clone()).unwrap();
    let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let mut want = lines(SKILL);
    let mut got = lines(&exported);
    want.sort();
    got.sort();
    // The metadata value the source quoted comes back quoted as YAML needs.
    assert_eq!(got, want, "{exported}");

    // Importing again refuses: the folder is there.
    let run = repo.run(&["import", "agent-skills", from.to_str().unwrap()]).failure();
    assert!(run.stderr.contains("`skills/pdf-forms/` already exists"), "{}", run.stderr);
}

#[test]
fn import_refuses_a_folder_that_breaks_the_specification_naming_the_source() {
    let source = tempfile::tempdir().unwrap();
    let dir = source.path().join("bad-skill");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), "---\nname: other-name\ndescription: Bad.\n---\nBody.\n").unwrap();
    let repo = Repo::minimal();
    let run = repo.run(&["import", "agent-skills", dir.to_str().unwrap()]).failure();
    assert!(run.stderr.contains("`name` is `other-name` but the skill's folder is `bad-skill`"), "{}", run.stderr);
    assert!(run.stderr.contains("bad-skill/SKILL.md:2:7"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!repo.exists("skills/bad-skill"));
}

#[test]
fn claude_code_lists_the_skills_it_leaves_to_agent_skills_folders() {
    let repo = skill_repo().file(
        "personac.toml",
        "[vars]\nplace = \"the wiki\"\n\n[export.claude-code]\nout = \".claude/agents\"\n\n[export.agent-skills]\nout = \".claude/skills\"\n",
    );
    repo.run(&["build"]).success();
    let agent = repo.read(".claude/agents/maya.md");
    // In the order the persona links them.
    assert!(agent.contains("\nskills: [\"pdf-forms\", \"lookup\"]\n"), "{agent}");
    assert!(!agent.contains("Filling PDF forms") && !agent.contains("Look it up"), "the skills' text is left out: {agent}");
    assert!(repo.exists(".claude/skills/pdf-forms/assets/logo.png"));
    repo.run(&["build", "--check"]).success();

    // A skill no persona uses any more is removed from the export, and only it.
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\nskills = [\"lookup\"]\n");
    repo.run(&["build"]).success();
    assert!(!repo.exists(".claude/skills/pdf-forms/SKILL.md"));
    assert!(!repo.exists(".claude/skills/pdf-forms/assets/logo.png"));
    assert!(repo.exists(".claude/skills/lookup/SKILL.md"));
    repo.run(&["build", "--check"]).success();

    // Without agent-skills alongside, the skills stay in the prompt.
    let plain = skill_repo().file("personac.toml", "[vars]\nplace = \"the wiki\"\n\n[export.claude-code]\nout = \".claude/agents\"\n");
    plain.run(&["build"]).success();
    let agent = plain.read(".claude/agents/maya.md");
    assert!(agent.contains("Look it up in the wiki.") && !agent.contains("\nskills:"), "{agent}");
}
