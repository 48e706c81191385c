//! Import and export through the real binary, for every format, on fixtures
//! written in each format's shape (tests/fixtures/import): the definition
//! files an import writes, the prompt text it keeps, the files an export
//! writes, and the round trips back to each runtime.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Repo, examples_root, tree};

const FORMATS: [&str; 5] = ["claude-code", "crewai", "eliza", "llm-persona", "character-card"];

pub(crate) fn fixtures(format: &str) -> PathBuf {
    examples_root().join("tests/fixtures/import").join(format)
}

/// An empty repository with a format's fixtures copied under `sources/`.
pub(crate) fn repo_with(format: &str) -> Repo {
    let repo = Repo::new().file("personas/.keep", "");
    for (path, bytes) in tree(&fixtures(format)) {
        let full = repo.path().join("sources").join(&path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    repo
}

/// Every file under the definition folders, as one text to snapshot.
fn definitions(repo: &Repo) -> String {
    let mut out = String::new();
    for folder in ["personas", "parts", "traits", "skills", "guardrails", "arcs"] {
        for (path, bytes) in repo.tree(folder) {
            if path.starts_with('.') {
                continue;
            }
            out.push_str(&format!("=== {folder}/{path}\n{}\n", String::from_utf8(bytes).unwrap()));
        }
    }
    out
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lines of each source's prompt, with the names its persona may have
/// been given (a CrewAI agent whose key another crew shares is qualified by
/// its crew).
fn prompt_lines(format: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    // Headings are left out, except a `# ` line inside a code fence.
    let is_heading = |l: &str| l.starts_with('#') && l.trim_start_matches('#').starts_with(' ') && !l.starts_with("# Invoice");
    let lines_of = |text: &str| -> Vec<String> {
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !is_heading(l)).map(|l| l.trim_start_matches("- ").to_string()).collect()
    };
    for (path, bytes) in tree(&fixtures(format)) {
        let text = String::from_utf8(bytes).unwrap();
        match format {
            "claude-code" => {
                let front_end = text[3..].find("\n---\n").unwrap() + 8;
                let name = text.lines().find_map(|l| l.strip_prefix("name: ")).unwrap().to_lowercase().replace(' ', "-");
                out.push((vec![name], lines_of(&text[front_end..])));
            }
            "crewai" | "llm-persona" => {
                let yaml: Value = if path.ends_with(".json") {
                    serde_json::from_str(&text).unwrap()
                } else {
                    serde_json::to_value(personac::parse::yaml_document(&text).unwrap().to_json()).unwrap()
                };
                let agents: Vec<(String, Value)> = match yaml.get("role").or(yaml.get("system_prompt")) {
                    Some(_) => vec![(yaml["name"].as_str().unwrap().to_string(), yaml.clone())],
                    None => yaml.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                };
                for (key, agent) in agents {
                    let mut lines = Vec::new();
                    let mut collect = |v: &Value| match v {
                        Value::String(s) => lines.extend(lines_of(s)),
                        Value::Array(items) => lines.extend(items.iter().filter_map(Value::as_str).flat_map(lines_of)),
                        Value::Object(map) => lines.extend(map.values().filter_map(Value::as_str).flat_map(lines_of)),
                        _ => {}
                    };
                    for field in
                        ["role", "goal", "backstory", "system_prompt", "tone", "capabilities", "constraints", "greeting", "custom_sections"]
                    {
                        if let Some(v) = agent.get(field) {
                            collect(v);
                        }
                    }
                    let name = agent.get("name").and_then(Value::as_str).unwrap_or(&key).to_lowercase().replace(' ', "-");
                    let crew = path.split('/').nth(1).unwrap_or_default();
                    out.push((vec![format!("{crew}-{name}"), name], lines));
                }
            }
            "eliza" | "character-card" => {
                let json: Value = serde_json::from_str(&text).unwrap();
                let data = json.get("data").unwrap_or(&json);
                let mut lines = Vec::new();
                for field in [
                    "system",
                    "bio",
                    "lore",
                    "adjectives",
                    "postExamples",
                    "description",
                    "personality",
                    "scenario",
                    "first_mes",
                    "mes_example",
                    "system_prompt",
                    "alternate_greetings",
                ] {
                    match data.get(field) {
                        Some(Value::String(s)) => lines.extend(lines_of(s)),
                        Some(Value::Array(items)) => lines.extend(items.iter().filter_map(Value::as_str).flat_map(lines_of)),
                        _ => {}
                    }
                }
                for topic in
                    data.get("topics").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).filter(|t| !t.is_empty())
                {
                    lines.push(topic.to_string());
                }
                for conversation in data.get("messageExamples").and_then(Value::as_array).into_iter().flatten() {
                    for message in conversation.as_array().unwrap() {
                        lines.push(message["content"]["text"].as_str().unwrap().to_string());
                    }
                }
                out.push((vec![data["name"].as_str().unwrap().to_lowercase().replace(' ', "-")], lines));
            }
            _ => unreachable!(),
        }
    }
    out
}

#[test]
fn every_format_imports_into_definitions_that_build_and_check() {
    for format in FORMATS {
        let repo = repo_with(format);
        let dry = repo.run_here(&["import", format, "sources", "--dry-run"]).success();
        assert!(dry.stderr.contains("Dry run"), "{format}: {}", dry.stderr);
        assert!(repo.tree("parts").is_empty() && repo.tree("personas").len() == 1, "{format}: --dry-run wrote files");
        let run = repo.run_here(&["import", format, "sources"]).success();
        insta::assert_snapshot!(format!("import_{format}_report"), run.stderr);
        insta::assert_snapshot!(format!("import_{format}_files"), definitions(&repo));
        repo.run(&["build"]).success();
        let check = repo.run(&["check"]).success();
        // Lint-clean but for what the sources lack: a description.
        for line in check.stderr.lines().filter(|l| l.starts_with("warning[")) {
            assert!(line.starts_with("warning[W0004]"), "{format}: {line}");
        }
        // Importing again clashes with every file, and writes nothing.
        let before = repo.tree("");
        let again = repo.run_here(&["import", format, "sources"]).failure();
        assert!(again.stderr.contains("already exists") && again.stderr.contains("nothing was written"), "{format}: {}", again.stderr);
        assert_eq!(repo.tree(""), before);
    }
}

/// Every non-heading line of each source prompt appears in the compiled
/// detail view of its persona (whitespace-normalised; `{var}` placeholders
/// read as the runtime variables they became).
#[test]
fn imported_prompts_keep_every_line() {
    for format in FORMATS {
        let repo = repo_with(format);
        repo.run_here(&["import", format, "sources"]).success();
        let personas: Vec<String> = repo.tree("personas").into_keys().filter_map(|p| p.strip_suffix(".md").map(str::to_string)).collect();
        for (names, lines) in prompt_lines(format) {
            let persona = names
                .iter()
                .find_map(|n| personas.iter().find(|p| *p == n || n.ends_with(&format!("-{p}")) && p.starts_with("release-kit")))
                .unwrap_or_else(|| panic!("{format}: no persona for `{names:?}` in {personas:?}"));
            let detail = repo.run(&["show", persona]).success().stdout;
            let detail = normalise(&detail);
            for line in lines {
                let mut wanted = normalise(&line);
                // A placeholder the persona gives a value renders with it.
                wanted = wanted.replace("{company}", "Harbourview Hotel");
                let as_var = regex_like_vars(&wanted);
                assert!(detail.contains(&wanted) || detail.contains(&as_var), "{format}: `{persona}` lost {line:?}\n{detail}");
            }
        }
    }
}

/// `{name}` as the runtime variable it becomes: `{{ name }}`.
fn regex_like_vars(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find('}') {
            Some(n)
                if n > 0 && after[..n].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !after.starts_with('{') =>
            {
                out.push_str(&format!("{{{{ {} }}}}", after[..n].replace('-', "_")));
                rest = &after[n + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn a_malformed_source_is_refused_with_its_position() {
    let repo = Repo::new()
        .file("personas/.keep", "")
        .file("sources/agents.yaml", "researcher:\n  role: R\n  goal: G\n")
        .file("sources/broken.md", "---\nname: broken\ndescription: [unclosed\nthis line is no field\n---\nBody.\n")
        .file("sources/card.json", "{ \"spec\": \"chara_card_v1\", \"data\": {} }\n");
    let run = repo.run_here(&["import", "crewai", "sources/agents.yaml"]).failure();
    insta::assert_snapshot!("import_malformed_crewai", run.stderr);
    let run = repo.run_here(&["import", "claude-code", "sources/broken.md"]).failure();
    assert!(run.stderr.contains("--> sources/broken.md:4:1"), "{}", run.stderr);
    let run = repo.run_here(&["import", "character-card", "sources/card.json"]).failure();
    assert!(run.stderr.contains("--> sources/card.json:1:11") && run.stderr.contains("not a Character Card V2 or V3"), "{}", run.stderr);
    assert!(repo.tree("parts").is_empty() && repo.tree("personas").len() == 1);
    let run = repo.run_here(&["import", "crewia", "sources"]).code(2);
    assert!(run.stderr.contains("did you mean `crewai`?"), "{}", run.stderr);
}

/// An export of each format, snapshotted, from the imported fixtures.
#[test]
fn every_format_exports() {
    let repo = repo_with("claude-code");
    repo.run_here(&["import", "claude-code", "sources"]).success();
    // The invoice helper shows `{{INVOICE_NO}}` literally, which CrewAI
    // would take for an input (`{INVOICE_NO}`): refused, and the others go.
    let run = repo.run(&["export", "crewai", "--out", "out/crewai"]).failure();
    assert!(run.stderr.contains("crewai would take `{INVOICE_NO}` in persona `invoice-helper`"), "{}", run.stderr);
    for format in ["claude-code", "crewai", "eliza", "character-card"] {
        let mut args = vec!["export", format, "--out"];
        let out = format!("out/{format}");
        args.push(&out);
        if format == "crewai" {
            args.extend(["--persona", "release-kit-announcer", "--persona", "release-kit-tagger", "--persona", "release-notes"]);
        }
        let run = repo.run(&args).success();
        let n = if format == "crewai" { 3 } else { 4 };
        assert!(run.stderr.contains(&format!("Exported {n} personas")), "{}", run.stderr);
        // The export's record of what it wrote (its ledger) is left out.
        let files: String = repo
            .tree(&format!("out/{format}"))
            .into_iter()
            .filter(|(p, _)| p != ".personac-export.json")
            .map(|(p, b)| format!("=== {p}\n{}\n", String::from_utf8(b).unwrap()))
            .collect();
        assert!(repo.exists(&format!("out/{format}/.personac-export.json")));
        insta::assert_snapshot!(format!("export_{format}"), files);
    }
    repo.run(&["export", "llm-persona"]).code(2);
    let run = repo.run(&["export", "claude-code", "--out", "parts/agents"]).code(2);
    assert!(run.stderr.contains("inside the source folder `parts/`"), "{}", run.stderr);
    repo.run(&["export", "claude-code", "--persona", "nobody"]).code(2);
}

/// YAML front matter of an exported Claude Code agent, and its body.
fn claude_file(path: &Path) -> (Value, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let end = text[4..].find("\n---\n").unwrap() + 4;
    let front = personac::parse::yaml_document(&text[4..end]).unwrap().to_json();
    (front, text[end + 5..].to_string())
}

#[test]
fn claude_code_round_trips() {
    let repo = repo_with("claude-code");
    repo.run_here(&["import", "claude-code", "sources"]).success();
    repo.run(&["build"]).success();
    repo.run(&["export", "claude-code"]).success();
    for (path, bytes) in tree(&fixtures("claude-code")) {
        let source = String::from_utf8(bytes).unwrap();
        let name = source.lines().find_map(|l| l.strip_prefix("name: ")).unwrap();
        let persona = name.to_lowercase().replace(' ', "-");
        let (front, body) = claude_file(&repo.path().join(".claude/agents").join(format!("{persona}.md")));
        assert_eq!(front["name"], persona, "{path}");
        let original = personac::parse::yaml_document(&source[4..source[4..].find("\n---\n").unwrap() + 4]).ok().map(|n| n.to_json());
        let description = original
            .as_ref()
            .and_then(|o| o["description"].as_str().map(str::to_string))
            .unwrap_or_else(|| source.lines().find_map(|l| l.strip_prefix("description: ")).unwrap().to_string());
        assert_eq!(front["description"].as_str().unwrap(), description.trim(), "{path}");
        match original.as_ref().map(|o| &o["tools"]) {
            Some(Value::String(tools)) => assert_eq!(front["tools"].as_str().unwrap(), tools, "{path}"),
            Some(Value::Array(tools)) => {
                let written: Vec<&str> = front["tools"].as_str().unwrap().split(", ").collect();
                assert_eq!(written, tools.iter().map(|t| t.as_str().unwrap()).collect::<Vec<_>>(), "{path}")
            }
            _ => {}
        }
        if source.contains("tools: []") {
            assert_eq!(front["tools"], serde_json::json!([]), "absent and empty tools stay apart");
        }
        let model = source.lines().find_map(|l| l.strip_prefix("model: ")).unwrap();
        assert_eq!(front["model"], model, "{path}");
        let body = normalise(&body);
        let front_end = source[3..].find("\n---\n").unwrap() + 8;
        for line in source[front_end..].lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("# ") && !l.starts_with("## ")) {
            assert!(body.contains(&normalise(line)), "{path}: the exported body lost {line:?}");
        }
    }
}

#[test]
fn crewai_round_trips() {
    let repo = repo_with("crewai");
    repo.run_here(&["import", "crewai", "sources"]).success();
    repo.run(&["export", "crewai"]).success();
    let yaml = personac::parse::yaml_document(&repo.read("crewai/agents.yaml")).unwrap().to_json();
    let agents = yaml.as_object().unwrap();
    assert_eq!(agents.keys().collect::<Vec<_>>(), ["editor", "reporting_analyst", "research_researcher", "writing_researcher"]);
    for (key, agent) in agents {
        for field in ["role", "goal", "backstory"] {
            assert!(agent[field].as_str().is_some_and(|s| !s.is_empty()), "{key}.{field}");
        }
    }
    let researcher = &agents["research_researcher"];
    assert_eq!(researcher["role"], "{topic} Senior Data Researcher");
    assert_eq!(researcher["llm"], "anthropic/claude-sonnet-4-6");
    assert_eq!(researcher["tools"], serde_json::json!(["web_search"]));
    assert_eq!(researcher["verbose"], true);
    assert!(researcher["goal"].as_str().unwrap().contains("Uncover cutting-edge developments in {topic},"));
}

/// CrewAI fills every `{name}` of an agent's texts and has no escape: the
/// export writes the persona's runtime variables as `{var}` (from the
/// views' records, not by replacing text), literal `{{ var }}` as it is,
/// and refuses, with the place, literal text CrewAI would take for an input.
#[test]
fn crewai_export_writes_only_runtime_variables_as_inputs_and_refuses_literal_placeholders() {
    let repo = Repo::new()
        .file("personac.toml", "[vars]\nhint = \"{{ topic }}\"\n")
        .file("skills/show-syntax.md", "---\ndescription: d\ntemplate: false\n---\nWrite {{ topic }} exactly like this, and ${#arr[@]} too.\n")
        .file(
            "personas/analyst.toml",
            "version = \"1.0.0\"\ntitle = \"{{ topic }} Analyst\"\nsummary = \"Research {{ topic }}; the hint is {{ hint }}.\"\nskills = [\"show-syntax\"]\nruntime_vars = [\"topic\"]\n",
        );
    repo.run(&["export", "crewai"]).success();
    let yaml = personac::parse::yaml_document(&repo.read("crewai/agents.yaml")).unwrap().to_json();
    let analyst = &yaml["analyst"];
    assert_eq!(analyst["role"], "{topic} Analyst");
    assert_eq!(analyst["goal"], "Research {topic}; the hint is {{ topic }}.");
    let backstory = analyst["backstory"].as_str().unwrap();
    assert!(backstory.contains("Research {topic}; the hint is {{ topic }}."), "{backstory}");
    assert!(backstory.contains("Write {{ topic }} exactly like this, and ${#arr[@]} too."), "{backstory}");
    // A literal `{name}` would be filled (or fail) at kickoff: refused, at its place.
    repo.write("skills/show-syntax.md", "---\ndescription: d\ntemplate: false\n---\nReply with {answer} only.\n");
    let run = repo.run(&["export", "crewai", "--out", "crew2"]).failure();
    assert!(run.stderr.contains("crewai would take `{answer}` in persona `analyst` for an input to fill"), "{}", run.stderr);
    assert!(run.stderr.contains("skills/show-syntax.md:5:12"), "{}", run.stderr);
    assert!(run.stderr.contains("`{ answer }`"), "{}", run.stderr);
    assert!(!repo.path().join("crew2").exists(), "a refused export wrote files");
}

#[test]
fn eliza_round_trips_to_the_newer_shape_without_secrets() {
    let repo = repo_with("eliza");
    let run = repo.run_here(&["import", "eliza", "sources"]).success();
    assert!(run.stderr.contains("secrets never go into a repository"), "{}", run.stderr);
    assert!(!definitions(&repo).contains("not-a-real"), "a secret reached a definition file");
    repo.run(&["export", "eliza"]).success();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(examples_root().join("tests/fixtures/schemas/eliza-character-v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut exported = repo.tree("characters");
    exported.remove(".personac-export.json");
    assert_eq!(exported.len(), 2);
    for (path, bytes) in exported {
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("not-a-real"), "{path} exports a secret");
        let character: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&character).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
    let ledger: Value = serde_json::from_str(&repo.read("characters/ledger.character.json")).unwrap();
    assert_eq!(ledger["name"], "Ledger");
    assert_eq!(ledger["settings"]["model"], "claude-haiku-4-5");
    assert_eq!(ledger["plugins"], serde_json::json!(["@elizaos/plugin-sql"]));
}

#[test]
fn build_keeps_a_configured_export_current() {
    let repo = repo_with("claude-code");
    repo.run_here(&["import", "claude-code", "sources"]).success();
    repo.write("personac.toml", "[export.claude-code]\nout = \".claude/agents\"\n");
    // Files the build did not write are never touched.
    repo.write(".claude/agents/hand-written.md", "---\nname: hand-written\n---\nMine.\n");
    let run = repo.run(&["build"]).success();
    assert!(run.stderr.contains("Exported 4 files written, 0 removed"), "{}", run.stderr);
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert_eq!(index["exports"]["claude-code"]["out"], ".claude/agents");
    assert_eq!(index["exports"]["claude-code"]["files"].as_object().unwrap().len(), 4);
    repo.run(&["build", "--check"]).success();
    // A persona removed: its export goes too, and --check says so first.
    repo.remove("personas/release-notes.md");
    std::fs::remove_dir_all(repo.path().join("parts/release-notes")).unwrap();
    let run = repo.run(&["build", "--check"]).failure();
    assert!(run.stderr.contains("error: .claude/agents/release-notes.md: stale: its persona no longer exists"), "{}", run.stderr);
    repo.run(&["build"]).success();
    assert!(!repo.exists(".claude/agents/release-notes.md"));
    assert_eq!(repo.read(".claude/agents/hand-written.md"), "---\nname: hand-written\n---\nMine.\n");
    repo.run(&["build", "--check"]).success();
    // An export folder among the sources is refused where it is set.
    repo.write("personac.toml", "[export.claude-code]\nout = \"personas/agents\"\n");
    let run = repo.run(&["build"]).failure();
    assert!(run.stderr.contains("--> personac.toml:2:7"), "{}", run.stderr);
}

/// A Claude Code agent of our own: a plain prompt, a `## Never` section,
/// tools and a model; and a comment an export does not reproduce.
const REVIEWER: &str = "---
name: code-reviewer
description: Reviews pull requests for correctness and clarity.
tools: Read, Grep, Glob
model: sonnet
# kept by hand
---
You review code changes before they are merged.

Read the diff first, then the files it touches.

## Never

- Approve a change you have not read.
- Rewrite the author's code in your review.
";

/// Import then export on the same folder: the originals are no export's,
/// so the export refuses them, names them and writes nothing; `--force`
/// takes them over and records them, and from then on they are its own.
#[test]
fn export_never_replaces_files_no_export_wrote() {
    let repo = Repo::new().file(".claude/agents/code-reviewer.md", REVIEWER);
    repo.run_here(&["import", "claude-code", ".claude/agents"]).success();
    let run = repo.run(&["export", "claude-code"]).code(2);
    assert!(run.stderr.contains("no export of this repository wrote: nothing was written"), "{}", run.stderr);
    assert!(run.stderr.contains("  .claude/agents/code-reviewer.md"), "{}", run.stderr);
    assert!(run.stderr.contains("`--force`"), "{}", run.stderr);
    assert_eq!(repo.read(".claude/agents/code-reviewer.md"), REVIEWER);
    assert_eq!(repo.tree(".claude/agents").len(), 1, "nothing was written");
    // `--force` takes it over and records it.
    repo.run(&["export", "claude-code", "--force"]).success();
    assert_ne!(repo.read(".claude/agents/code-reviewer.md"), REVIEWER);
    let ledger: Value = serde_json::from_str(&repo.read(".claude/agents/.personac-export.json")).unwrap();
    assert!(ledger["files"]["code-reviewer.md"].is_string(), "{ledger}");
    // Recorded: an edit to it is replaced by the next export, without --force.
    repo.write(".claude/agents/code-reviewer.md", "edited\n");
    repo.run(&["export", "claude-code"]).success();
    assert_ne!(repo.read(".claude/agents/code-reviewer.md"), "edited\n");
    // A hand-written file in the way of a new persona's export is refused again.
    repo.write("personas/helper.toml", "version = \"1.0.0\"\nsummary = \"Helps.\"\n");
    repo.write(".claude/agents/helper.md", "mine\n");
    let run = repo.run(&["export", "claude-code"]).code(2);
    assert!(run.stderr.contains("  .claude/agents/helper.md") && !run.stderr.contains("code-reviewer.md"), "{}", run.stderr);
    assert_eq!(repo.read(".claude/agents/helper.md"), "mine\n");
}

/// `build`'s kept export refuses the same way, before anything is written,
/// and `build --force` takes the files over (then recorded in index.json).
#[test]
fn a_kept_export_never_replaces_files_no_export_wrote() {
    let repo = Repo::new().file(".claude/agents/code-reviewer.md", REVIEWER);
    repo.run_here(&["import", "claude-code", ".claude/agents"]).success();
    repo.write("personac.toml", "[export.claude-code]\nout = \".claude/agents\"\n");
    let run = repo.run(&["build"]).code(2);
    assert!(run.stderr.contains("  .claude/agents/code-reviewer.md"), "{}", run.stderr);
    assert!(run.stderr.contains("`--force`"), "{}", run.stderr);
    assert_eq!(repo.read(".claude/agents/code-reviewer.md"), REVIEWER);
    assert!(!repo.exists("build-output"), "nothing was written");
    repo.run(&["build", "--force"]).success();
    assert_ne!(repo.read(".claude/agents/code-reviewer.md"), REVIEWER);
    let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    assert!(index["exports"]["claude-code"]["files"]["code-reviewer.md"].is_string());
    repo.write(".claude/agents/code-reviewer.md", "edited\n");
    repo.run(&["build"]).success();
    assert_ne!(repo.read(".claude/agents/code-reviewer.md"), "edited\n");
}

/// `--out` is relative to where the command runs, absolute accepted; what
/// is checked is where it lands.
#[test]
fn export_paths_work_like_paths() {
    let repo = Repo::minimal();
    let abs = repo.path().join("exports/abs");
    repo.run(&["export", "claude-code", "--out", abs.to_str().unwrap()]).success();
    assert!(repo.exists("exports/abs/maya.md"));
    repo.run_here(&["export", "claude-code", "--out", "./exports/dot"]).success();
    assert!(repo.exists("exports/dot/maya.md"));
    let parts = repo.path().join("parts");
    crate::support::run_from(&parts, &["export", "claude-code", "--out", "../exports/up"]).success();
    assert!(repo.exists("exports/up/maya.md"));
    // From parts/, `sub` is parts/sub: inside a source folder.
    let run = crate::support::run_from(&parts, &["export", "claude-code", "--out", "sub"]).code(2);
    assert!(run.stderr.contains("`sub` (`parts/sub` in the repository): it is inside the source folder `parts/`"), "{}", run.stderr);
    assert!(!repo.exists("parts/sub") && !repo.exists("sub"));
    // Outside the repository, refused.
    let outside = tempfile::tempdir().unwrap();
    let run = repo.run(&["export", "claude-code", "--out", outside.path().to_str().unwrap()]).code(2);
    assert!(run.stderr.contains("it lands outside the repository"), "{}", run.stderr);
    assert!(tree(outside.path()).is_empty());
    let run = crate::support::run_from(&parts, &["export", "claude-code", "--out", "../.."]).code(2);
    assert!(run.stderr.contains("it lands outside the repository"), "{}", run.stderr);
    // The output folder is no export's.
    let run = repo.run_here(&["export", "claude-code", "--out", "build-output/x"]).code(2);
    assert!(run.stderr.contains("overlaps the output folder"), "{}", run.stderr);
    // `build --out` is relative to where it runs too.
    crate::support::run_from(&parts, &["build", "--out", "../out-from-parts"]).success();
    assert!(repo.exists("out-from-parts/index.json"));
    assert!(!repo.exists("parts/out-from-parts"));
}

/// Import → build → export of a Claude Code agent gives its prompt back:
/// the same lines (blank lines aside), no `# Title` the source did not
/// have, no `## Guardrails` or `### slug (medium)`, and front matter
/// scalars as the source wrote them (`model: sonnet`).
#[test]
fn an_imported_agent_exported_unchanged_is_the_agent_imported() {
    let source = REVIEWER.replace("# kept by hand\n", "");
    let repo = Repo::new().file("sources/code-reviewer.md", &source);
    repo.run_here(&["import", "claude-code", "sources"]).success();
    let guardrail = repo.read("guardrails/code-reviewer/code-reviewer-never.md");
    assert!(guardrail.contains("title = \"Never\""), "the import keeps the heading:\n{guardrail}");
    repo.run(&["build"]).success();
    repo.run(&["export", "claude-code"]).success();
    let exported = repo.read(".claude/agents/code-reviewer.md");
    let lines = |text: &str| -> Vec<String> { text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect() };
    assert_eq!(lines(&exported), lines(&source), "exported:\n{exported}");
    // A title the source had is kept as its first line, and nothing added.
    let titled = source.replace("---\nYou review", "---\n# Reviewer\n\nYou review");
    let repo = Repo::new().file("sources/code-reviewer.md", &titled);
    repo.run_here(&["import", "claude-code", "sources"]).success();
    repo.run(&["export", "claude-code"]).success();
    assert_eq!(lines(&repo.read(".claude/agents/code-reviewer.md")), lines(&titled));
}
