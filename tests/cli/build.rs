//! `build` and `build --check`: what is written, and what never is.

use std::time::SystemTime;

use serde_json::Value;

use crate::support::{Repo, run_in, tree};

fn story() -> Repo {
    Repo::minimal()
        .file("parts/goal-quest.yaml", "type: goal\nsummary: Find the lamp.\n")
        .file("parts/goal-home.yaml", "type: goal\nsummary: Bring it home.\n")
        .file(
            "arcs/journey.yaml",
            "stages:\n  - name: call\n    condition: The story starts.\n    parts: [goal-quest]\n  - name: return\n    parts: [goal-home]\n",
        )
        .file(
            "personas/aria.md",
            "---\nversion: 2.0.0\nsummary: Aria keeps a lighthouse.\narc: { name: journey, stage: return }\nchannels:\n  voice:\n    overrides: { tone: tone-warm }\n---\nYou are Aria.\n",
        )
}

fn mtimes(repo: &Repo, dir: &str) -> Vec<(String, SystemTime)> {
    repo.tree(dir)
        .into_keys()
        .map(|p| {
            let t = std::fs::metadata(repo.path().join(dir).join(&p)).unwrap().modified().unwrap();
            (p, t)
        })
        .collect()
}

#[test]
fn build_writes_every_artifact_of_spec_section_5() {
    let repo = story();
    repo.run(&["build"]).success();
    let all: Vec<String> = repo.tree("build-output").into_keys().collect();
    // Each view's source records beside it, kept out of the way of loaders.
    let (records, files): (Vec<String>, Vec<String>) = all.iter().cloned().partition(|f| f.ends_with(".sources.json"));
    let views: Vec<String> = files.iter().filter(|f| f.ends_with(".md")).map(|f| f.replace(".md", ".sources.json")).collect();
    assert_eq!(records, views);
    assert_eq!(
        files,
        [
            "aria/channels/voice/detail.md",
            "aria/channels/voice/summary.md",
            "aria/detail.md",
            "aria/manifest.json",
            "aria/stages/call/channels/voice/detail.md",
            "aria/stages/call/channels/voice/summary.md",
            "aria/stages/call/detail.md",
            "aria/stages/call/summary.md",
            "aria/stages/return/channels/voice/detail.md",
            "aria/stages/return/channels/voice/summary.md",
            "aria/stages/return/detail.md",
            "aria/stages/return/summary.md",
            "aria/summary.md",
            "index.json",
            "maya/detail.md",
            "maya/manifest.json",
            "maya/summary.md",
        ]
    );
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    let aria = &index["personas"]["aria"];
    assert_eq!(aria["version"], "2.0.0");
    assert_eq!(aria["stage"], serde_json::json!({ "arc": "journey", "name": "return" }));
    assert!(aria["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    assert!(aria["id"].as_str().unwrap().starts_with("aria@2.0.0+"));
    // Every file behind any of its views: both stages' parts, the channel's.
    assert_eq!(
        aria["sources"],
        serde_json::json!(["arcs/journey.yaml", "parts/goal-home.yaml", "parts/goal-quest.yaml", "parts/tone-warm.md", "personas/aria.md"])
    );
    // The current stage is the top-level view, on each channel too.
    assert_eq!(repo.read("build-output/aria/detail.md"), repo.read("build-output/aria/stages/return/detail.md"));
    assert_eq!(
        repo.read("build-output/aria/channels/voice/detail.md"),
        repo.read("build-output/aria/stages/return/channels/voice/detail.md")
    );
    assert!(aria["artifacts"]["detail.md"]["tokens"].as_u64().unwrap() > 5);
    // Format 2: every view a loader may pick is listed, with its stage and
    // channel, each as `show` prints it.
    assert_eq!(index["format"], 2);
    assert_eq!(aria["stages"], serde_json::json!(["call", "return"]));
    assert_eq!(aria["channels"], serde_json::json!(["voice"]));
    let views: Vec<(String, Value, Value, String)> = aria["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["view"].as_str().unwrap().to_string(), v["stage"].clone(), v["channel"].clone(), v["path"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(views.len(), 12, "{views:?}");
    assert_eq!(views[0], ("summary".to_string(), Value::Null, Value::Null, "summary.md".to_string()));
    assert_eq!(views[3], ("detail".to_string(), Value::Null, serde_json::json!("voice"), "channels/voice/detail.md".to_string()));
    assert_eq!(
        views[7],
        ("detail".to_string(), serde_json::json!("call"), serde_json::json!("voice"), "stages/call/channels/voice/detail.md".to_string())
    );
    for v in aria["views"].as_array().unwrap() {
        let path = v["path"].as_str().unwrap();
        assert_eq!(v["sha256"], aria["artifacts"][path]["sha256"], "{path}");
        let mut args = vec!["show", "aria", "--view", v["view"].as_str().unwrap()];
        if let Some(stage) = v["stage"].as_str() {
            args.extend(["--stage", stage]);
        }
        if let Some(channel) = v["channel"].as_str() {
            args.extend(["--channel", channel]);
        }
        assert_eq!(repo.run(&args).success().stdout, repo.read(&format!("build-output/aria/{path}")), "{path}");
    }
    // The fingerprint covers every file but the manifest, which quotes it.
    let manifest: Value = serde_json::from_str(&repo.read("build-output/aria/manifest.json")).unwrap();
    assert_eq!(manifest["format"], 2);
    assert_eq!(manifest["id"], aria["id"]);
    assert_eq!(manifest["fingerprint"], aria["fingerprint"]);
    let lines: Vec<String> = aria["artifacts"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| *p != "manifest.json")
        .map(|(p, a)| format!("{} {p}\n", a["sha256"].as_str().unwrap()))
        .collect();
    assert_eq!(aria["fingerprint"], format!("sha256:{}", personac::hash::sha256_hex(lines.concat().as_bytes())));
}

#[test]
fn a_rebuild_with_no_change_is_byte_identical_and_writes_no_file() {
    let repo = story();
    repo.run(&["build"]).success();
    let first = repo.tree("build-output");
    let times = mtimes(&repo, "build-output");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = repo.run(&["build", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!([]));
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(repo.tree("build-output"), first);
    assert_eq!(mtimes(&repo, "build-output"), times);
}

#[test]
fn the_same_sources_give_the_same_bytes_anywhere() {
    let a = story();
    let b = story();
    a.run(&["build"]).success();
    // Another folder, another working directory, another output path.
    let out = tempfile::tempdir().unwrap();
    run_in(b.path(), &["build", "--out", out.path().to_str().unwrap()]).success();
    assert_eq!(a.tree("build-output"), tree(out.path()));
    let index = a.read("build-output/index.json");
    assert!(!index.contains(a.path().to_str().unwrap()), "absolute path in index.json");
}

#[test]
fn a_failed_build_writes_nothing() {
    let repo = story();
    // Nothing at all when the output folder does not exist yet.
    repo.write("parts/goal-home.yaml", "type: goal\nsummary: Bring {{ it }} home.\n");
    repo.run(&["build"]).failure();
    assert!(!repo.exists("build-output"));
    // And no file touched when it does.
    repo.write("parts/goal-home.yaml", "type: goal\nsummary: Bring it home.\n");
    repo.run(&["build"]).success();
    let before = repo.tree("build-output");
    let times = mtimes(&repo, "build-output");
    repo.write("parts/goal-home.yaml", "type: goal\nsummary: Bring {{ it }} home.\n");
    repo.write("personas/maya.toml", "version = \"1.1.0\"\nsummary = \"Maya helps more.\"\nparts = [\"tone-warm\"]\n");
    repo.run(&["build"]).failure();
    assert_eq!(repo.tree("build-output"), before);
    assert_eq!(mtimes(&repo, "build-output"), times);
}

#[test]
fn only_changed_artifacts_are_rewritten() {
    let repo = story();
    repo.run(&["build"]).success();
    repo.write("personas/maya.toml", "version = \"1.1.0\"\nsummary = \"Maya helps more.\"\nparts = [\"tone-warm\"]\n");
    let run = repo.run(&["build", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!(["maya/detail.md", "maya/manifest.json", "maya/summary.md", "index.json"]));
}

#[test]
fn the_artifacts_of_a_removed_persona_are_removed() {
    let repo = story().file("build-output/README.md", "Generated by personac.\n");
    repo.run(&["build"]).success();
    repo.remove("personas/aria.md");
    let run = repo.run(&["build", "-v"]).success();
    assert!(run.stderr.contains("Removed build-output/aria/detail.md"), "{}", run.stderr);
    assert!(!repo.exists("build-output/aria"));
    // Files personac did not write are left alone.
    assert!(repo.exists("build-output/README.md"));
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert!(index["personas"].get("aria").is_none());
}

#[test]
fn no_temporary_file_is_left_behind() {
    let repo = story();
    repo.run(&["build"]).success();
    repo.write("personas/maya.toml", "version = \"1.1.0\"\nsummary = \"Maya helps more.\"\nparts = [\"tone-warm\"]\n");
    repo.run(&["build"]).success();
    let leftovers: Vec<String> = repo.tree("build-output").into_keys().filter(|p| p.contains(".personac-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn check_fails_for_a_changed_missing_or_stale_artifact() {
    let repo = story();
    repo.run(&["build"]).success();
    repo.run(&["build", "--check"]).success();
    let before = repo.tree("build-output");

    repo.write("personas/maya.toml", "version = \"1.1.0\"\nsummary = \"Maya helps more.\"\nparts = [\"tone-warm\"]\n");
    repo.remove("build-output/aria/summary.md");
    repo.write("build-output/aria/detail.md", "hand edited\n");
    let run = repo.run(&["build", "--check"]).failure();
    insta::assert_snapshot!(run.stderr);
    // --check writes nothing.
    assert!(!repo.exists("build-output/aria/summary.md"));

    repo.run(&["build"]).success();
    repo.run(&["build", "--check"]).success();
    repo.remove("personas/aria.md");
    let run = repo.run(&["build", "--check", "--format", "json"]).failure();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["up_to_date"], false);
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["file"] == "aria/detail.md" && p["problem"].as_str().unwrap().starts_with("stale"))
    );
    let _ = before;
}

#[test]
fn out_dir_comes_from_config_and_out_overrides_it() {
    let repo = Repo::minimal().file("personac.toml", "out_dir = \"dist/prompts\"\n");
    repo.run(&["build"]).success();
    assert!(repo.exists("dist/prompts/maya/detail.md"));
    // Like every path, --out is relative to the repository root (`-C`).
    repo.run(&["build", "--out", "elsewhere"]).success();
    assert!(repo.exists("elsewhere/maya/detail.md"));
}

#[test]
fn an_output_folder_over_the_sources_is_refused() {
    for out_dir in [".", "personas", "parts/out", ".."] {
        let repo = Repo::minimal().file("personac.toml", &format!("out_dir = \"{out_dir}\"\n"));
        let before = repo.tree("");
        let run = repo.run(&["build"]).code(2);
        assert!(run.stderr.contains("would overwrite sources"), "{out_dir}: {}", run.stderr);
        assert_eq!(repo.tree(""), before);
    }
}

#[test]
fn custom_layout_templates_replace_the_built_in_ones() {
    let repo = Repo::minimal()
        .file(
            "templates/detail.md.j2",
            "{{ persona.name }} v{{ persona.version }}\n{% for p in parts %}[{{ p.type }}] {{ p.text }}\n{% endfor %}",
        )
        .file("templates/summary.md.j2", "{{ text }}\n");
    repo.run(&["build"]).success();
    assert_eq!(repo.read("build-output/maya/detail.md"), "maya v1.0.0\n[tone] Be warm.\n");
    assert_eq!(repo.read("build-output/maya/summary.md"), "Maya helps.\n");
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert!(index["personas"]["maya"]["sources"].as_array().unwrap().iter().any(|s| s == "templates/detail.md.j2"));
}

#[test]
fn the_budget_drops_the_lowest_priority_parts_and_records_them() {
    let long = "word ".repeat(200);
    let repo = Repo::new()
        .file("parts/a.toml", &format!("type = \"context\"\nsummary = \"a\"\ncontent = \"{long}\"\n"))
        .file("parts/b.toml", &format!("type = \"goal\"\nsummary = \"b\"\ncontent = \"{long}\"\n"))
        .file("parts/c.toml", &format!("type = \"tone\"\nsummary = \"c\"\ncontent = \"{long}\"\n"))
        .file(
            "personas/p.toml",
            "version = \"1.0.0\"\nsummary = \"s\"\nparts = [{ name = \"a\", priority = 1 }, { name = \"b\", priority = 5 }, { name = \"c\", priority = 1 }]\nbudget = { max_tokens = 300 }\n",
        );
    let shown: Value = serde_json::from_str(&repo.run(&["show", "p", "--format", "json"]).success().stdout).unwrap();
    // Ties drop the later part first: c, then a.
    assert_eq!(shown["dropped"], serde_json::json!(["a", "c"]));
    assert!(shown["tokens"].as_u64().unwrap() <= 300);
    repo.run(&["build"]).success();
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert_eq!(index["personas"]["p"]["artifacts"]["detail.md"]["dropped"], serde_json::json!(["a", "c"]));
    assert_eq!(index["personas"]["p"]["artifacts"]["summary.md"]["dropped"], serde_json::json!([]));
}

#[test]
fn an_artifact_edited_by_hand_is_restored_even_at_the_same_size() {
    let repo = story();
    repo.run(&["build"]).success();
    let original = repo.read("build-output/maya/detail.md");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let edited: String = original.chars().map(|c| if c == 'a' { 'b' } else { c }).collect();
    assert_eq!(edited.len(), original.len());
    assert_ne!(edited, original);
    repo.write("build-output/maya/detail.md", &edited);
    let run = repo.run(&["build", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!(["maya/detail.md"]));
    assert_eq!(repo.read("build-output/maya/detail.md"), original);
}

/// A rebuild keeps the personas whose inputs did not change, and compiles
/// the others: the result is what a build from scratch gives.
#[test]
fn a_rebuild_compiles_exactly_the_personas_whose_inputs_changed() {
    let repo = story()
        .file("parts/tone-calm.md", "+++\ntype = \"tone\"\nsummary = \"Calm.\"\n+++\nStay calm.\n")
        .file("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"tone-calm\"]\n");
    repo.run(&["build"]).success();
    let written = |repo: &Repo| -> Vec<String> {
        let run = repo.run(&["build", "--format", "json"]).success();
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        let mut personas: Vec<String> =
            report["written"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().split('/').next().unwrap().to_string()).collect();
        personas.dedup();
        personas
    };
    // tone-warm is used by maya, and by aria's voice channel.
    repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warmer.\"\n+++\nBe warmer.\n");
    assert_eq!(written(&repo), ["aria", "maya", "index.json"]);
    // The config reaches every persona.
    repo.write("personac.toml", "[vars]\nunused = 1\n");
    let run = repo.run(&["build", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!(["index.json"]), "inputs changed, bytes did not");
    repo.write("templates/summary.md.j2", "{{ text }}\n");
    assert_eq!(written(&repo), ["aria", "maya", "zed", "index.json"]);
    // And the result is the build from scratch.
    let kept = repo.tree("build-output");
    std::fs::remove_dir_all(repo.path().join("build-output")).unwrap();
    repo.run(&["build"]).success();
    assert_eq!(repo.tree("build-output"), kept);
}

/// `export bundle` is the build output as one JSON file: the same index,
/// every file as text; `[export.bundle]` keeps it current on `build`, and
/// `build --check` verifies it.
#[test]
fn a_bundle_is_the_build_output_in_one_file_and_build_keeps_it_current() {
    let repo = story();
    repo.run(&["build"]).success();
    repo.run(&["export", "bundle", "--out", "dist/personas.json"]).success();
    let bundle: Value = serde_json::from_str(&repo.read("dist/personas.json")).unwrap();
    assert_eq!(bundle["format"], 2);
    assert_eq!(bundle["kind"], "personac-bundle");
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert_eq!(bundle["index"], index);
    let built: Vec<(String, String)> =
        repo.tree("build-output").into_iter().filter(|(p, _)| p != "index.json").map(|(p, b)| (p, String::from_utf8(b).unwrap())).collect();
    let bundled: Vec<(String, String)> =
        bundle["files"].as_object().unwrap().iter().map(|(p, t)| (p.clone(), t.as_str().unwrap().to_string())).collect();
    assert_eq!(bundled, built);
    // Selecting personas makes no sense for a bundle.
    repo.run(&["export", "bundle", "--persona", "maya"]).code(2);

    // Kept current by `build`, verified by `build --check`.
    let config = "[export.bundle]\nout = \"dist\"\n";
    repo.write("personac.toml", config);
    repo.run(&["build"]).success();
    let kept: Value = serde_json::from_str(&repo.read("dist/personas.json")).unwrap();
    assert_eq!(kept["files"], bundle["files"]);
    repo.run(&["build", "--check"]).success();
    repo.write("parts/goal-home.yaml", "type: goal\nsummary: Bring it home, safely.\n");
    let run = repo.run(&["build", "--check"]).failure();
    assert!(run.stderr.contains("dist/personas.json"), "{}", run.stderr);
    repo.run(&["build"]).success();
    assert!(repo.read("dist/personas.json").contains("Bring it home, safely."));
}

/// A view that leaves runtime variables to the caller has a record that
/// splits it into literal text and variables: literal `{{ user_name }}`
/// (a `template = false` text, a `{% raw %}` block, a `[vars]` value)
/// stays text; the record gives the `.md` back exactly; `index.json` says
/// which variables each view uses.
#[test]
fn runtime_variables_are_recorded_apart_from_literal_text_that_looks_like_them() {
    let repo = Repo::new()
        .file("personac.toml", "[vars]\nexample = \"Dear {{ user_name }},\"\n")
        .file("skills/literal.md", "---\ndescription: d\ntemplate: false\n---\nShow {{ user_name }} and ${#arr[@]} as written.\n")
        .file(
            "personas/maya.md",
            "+++\nversion = \"1.0.0\"\nsummary = \"Helps {{ user_name }}.\"\nskills = [\"literal\"]\nruntime_vars = [\"user_name\", { name = \"tier\", default = \"standard\", max_length = 16, description = \"the plan\" }]\n+++\nGrüße 🌍, {{ user_name }} ({{ tier }})! {% raw %}Type {{ user_name }} to see it.{% endraw %} Example: {{ example }}\n",
        );
    repo.run(&["build"]).success();
    let detail = repo.read("build-output/maya/detail.md");
    assert_eq!(detail.matches("{{ user_name }}").count(), 4, "{detail}");
    let record: Value = serde_json::from_str(&repo.read("build-output/maya/detail.segments.json")).unwrap();
    let segments = record["segments"].as_array().unwrap();
    let vars: Vec<&str> = segments.iter().filter_map(|s| s["var"].as_str()).collect();
    assert_eq!(vars, ["user_name", "tier"], "{segments:?}");
    let joined: String =
        segments.iter().map(|s| s.as_str().map_or_else(|| format!("{{{{ {} }}}}", s["var"].as_str().unwrap()), str::to_string)).collect();
    assert_eq!(joined, detail);
    let literal: String = segments.iter().filter_map(Value::as_str).collect();
    for text in ["Type {{ user_name }} to see it.", "Example: Dear {{ user_name }},", "Show {{ user_name }} and ${#arr[@]} as written."] {
        assert!(literal.contains(text), "{text} is not literal text: {segments:?}");
    }
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    let maya = &index["personas"]["maya"];
    assert_eq!(
        maya["runtime_vars"],
        serde_json::json!([{ "name": "user_name" }, { "name": "tier", "default": "standard", "max_length": 16, "description": "the plan" }])
    );
    let detail_view = maya["views"].as_array().unwrap().iter().find(|v| v["path"] == "detail.md").unwrap();
    assert_eq!(detail_view["vars"], serde_json::json!(["user_name", "tier"]));
    assert_eq!(detail_view["segments"], "detail.segments.json");
    // The summary uses `user_name` only; a view without any has no record.
    let summary_view = maya["views"].as_array().unwrap().iter().find(|v| v["path"] == "summary.md").unwrap();
    assert_eq!(summary_view["vars"], serde_json::json!(["user_name"]));
    // A value over the limit is refused by `show` as by the loaders (exit 2).
    let run = repo.run(&["show", "maya", "--var", "tier=platinum-plus-gold"]).code(2);
    assert!(run.stderr.contains("runtime variable `tier` is 18 characters, over its `max_length` of 16"), "{}", run.stderr);
    assert!(repo.run(&["show", "maya", "--var", "tier=Ünïcödé-plän"]).success().stdout.contains("(Ünïcödé-plän)"));
    // A default over its own limit is an error at its place.
    repo.write("personas/maya.md", &repo.read("personas/maya.md").replace("max_length = 16", "max_length = 4"));
    let run = repo.run(&["check"]).failure();
    assert!(
        run.stderr.contains("the default is 8 characters, over `max_length` (4)") && run.stderr.contains("personas/maya.md:"),
        "{}",
        run.stderr
    );
}

/// Titles are texts like any other: rendered with the vars, runtime
/// variables kept, an undefined one an error.
#[test]
fn titles_are_rendered_and_an_undefined_variable_in_one_is_an_error() {
    let repo = Repo::new()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\n")
        .file("parts/goal-help.toml", "type = \"goal\"\ntitle = \"Goals at {{ company }}\"\nsummary = \"Help.\"\n")
        .file(
            "personas/researcher.toml",
            "version = \"1.0.0\"\ntitle = \"{{ topic }} Senior Data Researcher at {{ company }}\"\nsummary = \"s\"\nparts = [\"goal-help\"]\nruntime_vars = [\"topic\"]\n",
        );
    let shown = repo.run(&["show", "researcher", "--var", "topic=AI"]).success().stdout;
    assert!(shown.starts_with("# AI Senior Data Researcher at Acme\n"), "{shown}");
    assert!(shown.contains("## Goals at Acme\n"), "{shown}");
    repo.run(&["build"]).success();
    assert!(repo.read("build-output/researcher/detail.md").starts_with("# {{ topic }} Senior Data Researcher at Acme\n"));
    let manifest: Value = serde_json::from_str(&repo.read("build-output/researcher/manifest.json")).unwrap();
    assert_eq!(manifest["title"], "{{ topic }} Senior Data Researcher at Acme");
    repo.write("parts/goal-help.toml", "type = \"goal\"\ntitle = \"Goals at {{ compani }}\"\nsummary = \"Help.\"\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("compani") && run.stderr.contains("parts/goal-help.toml:2:"), "{}", run.stderr);
}

/// Where no literal text can look like a variable, a view's record is read
/// off the view itself; it must be the record the second rendering makes.
/// A template comment (template syntax that prints nothing) sends the same
/// persona through the second rendering: the records are the same bytes.
#[test]
fn a_record_read_off_the_view_is_the_record_the_marked_rendering_makes() {
    let persona = |detail: &str| {
        format!(
            "+++\nversion = \"1.0.0\"\nsummary = \"Helps {{{{ user_name }}}} at {{{{ company }}}}.\"\nparts = [\"goal-help\"]\nruntime_vars = [\"user_name\", \"plan\"]\n\n[vars]\ncompany = \"Acme\"\n\n[channels.voice]\nvars = {{ company = \"Acme Voice\" }}\n+++\n{detail}\n"
        )
    };
    let bare = "Hi {{ user_name }} ({{ plan }}), 🌍 {{user_name}}! {single} braces and a { lone one.";
    let repo = Repo::new()
        .file(
            "parts/goal-help.md",
            "---\ntype: goal\nsummary: Help {{ user_name }} with {{ company }}.\n---\nServe {{ user_name }} well.\n",
        )
        .file("personas/maya.md", &persona(bare));
    repo.run(&["build"]).success();
    let fast = repo.tree("build-output");
    repo.write("personas/maya.md", &persona(&format!("{bare}{{# a comment: now a template that is not bare #}}")));
    repo.run(&["build"]).success();
    let slow = repo.tree("build-output");
    let records: Vec<&String> = fast.keys().filter(|p| p.ends_with(".segments.json")).collect();
    assert_eq!(records.len(), 4, "{records:?}");
    for path in records {
        assert_eq!(String::from_utf8_lossy(&fast[path]), String::from_utf8_lossy(&slow[path]), "{path}");
    }
}

/// A skill's title is a text like its content: a literal skill's title
/// that shows `{{ user_name }}` stays literal text in the record, and a
/// runtime variable used only in a title is used (no `unused-variable`).
#[test]
fn titles_of_skills_count_as_texts_for_records_and_lints() {
    let repo = Repo::new().file("skills/show.md", "---\ndescription: d\ntitle: Show {{ user_name }}\ntemplate: false\n---\nAs is.\n").file(
        "personas/maya.toml",
        "version = \"1.0.0\"\ntitle = \"Maya for {{ user_name }}\"\nsummary = \"s\"\nskills = [\"show\"]\nruntime_vars = [\"user_name\"]\n",
    );
    let run = repo.run(&["check"]).success();
    assert!(!run.stderr.contains("unused"), "{}", run.stderr);
    repo.run(&["build"]).success();
    let record: Value = serde_json::from_str(&repo.read("build-output/maya/detail.segments.json")).unwrap();
    let vars = record["segments"].as_array().unwrap().iter().filter(|s| s.get("var").is_some()).count();
    assert_eq!(vars, 1, "{record}");
    let literal: String = record["segments"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(literal.contains("Show {{ user_name }}"), "{literal}");
}
