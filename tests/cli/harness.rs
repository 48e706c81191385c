//! The agent harnesses that share Claude Code's room (GitHub Copilot,
//! Gemini CLI, Codex, Cursor) through the real binary, on fixtures of our
//! own in each harness's shape (tests/fixtures/import): import, build and
//! export give back each agent's name, description, tools, model, own
//! fields and prompt, in files each harness's own parser reads (YAML front
//! matter with the documented types; Codex's TOML with its three required
//! keys); and every export reports what it could not carry.

use serde_json::{Value, json};

use crate::interop::{fixtures, repo_with};
use crate::support::{Repo, tree};

/// Each harness: its format, the folder it exports into, its file suffix.
const HARNESSES: [(&str, &str, &str); 4] = [
    ("copilot", ".github/agents", ".agent.md"),
    ("gemini", ".gemini/agents", ".md"),
    ("codex", ".codex/agents", ".toml"),
    ("cursor", ".cursor/agents", ".md"),
];

/// An agent file's fields, as JSON, and its prompt: Codex's TOML read by
/// the `toml` crate, the others' front matter by a YAML parser.
fn agent_file(format: &str, text: &str) -> (Value, String) {
    if format == "codex" {
        let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("not TOML: {e}\n{text}"));
        let fields = serde_json::to_value(table).unwrap();
        let prompt = fields["developer_instructions"].as_str().unwrap_or_default().to_string();
        return (fields, prompt);
    }
    let front = text.strip_prefix("---\n").unwrap_or_else(|| panic!("no front matter:\n{text}"));
    let end = front.find("\n---\n").unwrap();
    let fields = personac::parse::yaml_document(&front[..end]).unwrap_or_else(|e| panic!("not YAML: {e:?}\n{text}")).to_json();
    (fields, front[end + 5..].to_string())
}

/// The prompt's lines, blank lines and surrounding whitespace aside.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect()
}

const ASIDE: [&str; 5] = ["name", "description", "tools", "model", "developer_instructions"];

#[test]
fn every_harness_round_trips_name_description_tools_model_fields_and_prompt() {
    for (format, out, suffix) in HARNESSES {
        let repo = repo_with(format);
        let run = repo.run_here(&["import", format, "sources"]).success();
        insta::assert_snapshot!(format!("harness_import_{format}_report"), run.stderr);
        repo.run(&["build"]).success();
        repo.run(&["check"]).success();
        repo.run(&["export", format]).success();
        let exported = repo.tree(out);
        for (path, bytes) in tree(&fixtures(format)) {
            let source = String::from_utf8(bytes).unwrap();
            let (fields, prompt) = agent_file(format, &source);
            let stem = path.strip_suffix(suffix).unwrap();
            // Copilot's `name` is a display name: the persona is the file's.
            let persona = if format == "copilot" { stem } else { fields["name"].as_str().unwrap_or(stem) };
            let file = format!("{persona}{suffix}");
            let text =
                String::from_utf8(exported.get(&file).unwrap_or_else(|| panic!("{format}: no {file} in {:?}", exported.keys())).clone())
                    .unwrap();
            let (front, body) = agent_file(format, &text);
            let what = format!("{format}: {file}\n{text}");
            match &fields["name"] {
                Value::String(name) => assert_eq!(front["name"], *name, "{what}"),
                _ => assert!(front["name"].is_string(), "{what}"),
            }
            assert_eq!(front["description"], fields["description"], "{what}");
            // Absent stays absent, `[]` stays `[]`, a comma string a list.
            let tools = match &fields["tools"] {
                Value::String(s) => json!(s.split(',').map(str::trim).collect::<Vec<_>>()),
                other => other.clone(),
            };
            assert_eq!(front.get("tools").unwrap_or(&Value::Null), &tools, "{what}");
            assert!(front.get("tools").is_none_or(Value::is_array), "{what}");
            assert_eq!(front.get("model"), fields.get("model"), "{what}");
            // The harness's own fields come back with their types.
            for (key, value) in fields.as_object().unwrap().iter().filter(|(k, _)| !ASIDE.contains(&k.as_str())) {
                assert_eq!(front.get(key), Some(value), "{what}: `{key}`");
            }
            if format == "codex" {
                for key in ["name", "description", "developer_instructions"] {
                    assert!(front[key].as_str().is_some_and(|s| !s.is_empty()), "{what}: `{key}`");
                }
            }
            // The prompt is the prompt imported: no title added, no line lost.
            assert_eq!(lines(&body), lines(&prompt), "{what}");
        }
        insta::assert_snapshot!(
            format!("harness_export_{format}"),
            exported
                .into_iter()
                .filter(|(p, _)| !p.starts_with('.'))
                .map(|(p, b)| format!("=== {p}\n{}\n", String::from_utf8(b).unwrap()))
                .collect::<String>()
        );
    }
}

#[test]
fn exported_fields_have_the_documented_types() {
    let repo = repo_with("gemini");
    repo.run_here(&["import", "gemini", "sources"]).success();
    repo.run(&["export", "gemini"]).success();
    let (front, _) = agent_file("gemini", &repo.read(".gemini/agents/docs-searcher.md"));
    assert!(front["temperature"].is_f64() && front["max_turns"].is_u64() && front["timeout_mins"].is_u64(), "{front}");
    assert_eq!(front["tools"], json!(["read_file", "grep_search", "mcp_docs_*"]));
    let repo = repo_with("copilot");
    repo.run_here(&["import", "copilot", "sources"]).success();
    repo.run(&["export", "copilot"]).success();
    let (front, _) = agent_file("copilot", &repo.read(".github/agents/i18n.agent.md"));
    assert_eq!(front["name"], "Harbourline Localization (i18n) Agent");
    assert_eq!((&front["user-invocable"], &front["disable-model-invocation"]), (&json!(true), &json!(false)));
    assert_eq!(front["mcp-servers"]["glossary"]["args"], json!(["--read-only"]));
    let repo = repo_with("cursor");
    repo.run_here(&["import", "cursor", "sources"]).success();
    repo.run(&["export", "cursor"]).success();
    let (front, _) = agent_file("cursor", &repo.read(".cursor/agents/verifier.md"));
    assert_eq!((&front["readonly"], &front["is_background"]), (&json!(true), &json!(false)));
    assert!(front.get("tools").is_none());
}

/// A persona of ours, written in personac (not imported), exported to each
/// harness: a literal `{{ x }}` stays literal text, and a Codex prompt with
/// quotes and backslashes is still TOML.
#[test]
fn a_persona_of_our_own_exports_to_every_harness() {
    let repo = Repo::new()
        .file(
            "skills/shell.md",
            "---\ndescription: Shell quoting.\ntemplate: false\n---\nWrite `{{ name }}` as is; escape \\\" and \\\\ and \"\"\" in TOML.\n",
        )
        .file("personas/helper.toml", "version = \"1.0.0\"\nsummary = \"Helps with the shell.\"\nskills = [\"shell\"]\ntools = []\n");
    for (format, out, suffix) in HARNESSES {
        repo.run(&["export", format]).success();
        let text = repo.read(&format!("{out}/helper{suffix}"));
        let (front, body) = agent_file(format, &text);
        assert_eq!(front["description"], "Helps with the shell.", "{format}");
        assert!(body.contains("Write `{{ name }}` as is; escape \\\" and \\\\ and \"\"\" in TOML."), "{format}: {body}");
        assert!(body.trim_start().starts_with("# Helper"), "{format}: a persona's own prompt keeps its title\n{body}");
        if format == "codex" || format == "cursor" {
            assert!(front.get("tools").is_none(), "{format}");
        } else {
            assert_eq!(front["tools"], json!([]), "{format}");
        }
    }
}

#[test]
fn a_malformed_harness_file_is_refused_with_its_position() {
    let repo = Repo::new()
        .file("sources/copilot/bad.agent.md", "---\nname: Bad\ndescription: [a, b]\n---\nBody.\n")
        .file("sources/gemini/bad.md", "---\nname: bad\ndescription: d\ntools: {read: yes}\n---\nBody.\n")
        .file("sources/codex/bad.toml", "name = \"bad\"\ndescription = \"d\"\n")
        .file("sources/codex2/broken.toml", "name = \"bad\ndescription = \"d\"\n")
        .file("sources/cursor/bad.md", "name: bad\n---\nBody.\n");
    let run = repo.run_here(&["import", "copilot", "sources/copilot"]).failure();
    assert!(
        run.stderr.contains("--> sources/copilot/bad.agent.md:3:14") && run.stderr.contains("`description` must be a string"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: "), "{}", run.stderr);
    let run = repo.run_here(&["import", "gemini", "sources/gemini"]).failure();
    assert!(run.stderr.contains("--> sources/gemini/bad.md:4:8") && run.stderr.contains("`tools` must be a list"), "{}", run.stderr);
    let run = repo.run_here(&["import", "codex", "sources/codex"]).failure();
    assert!(run.stderr.contains("--> sources/codex/bad.toml:1:1") && run.stderr.contains("`developer_instructions`"), "{}", run.stderr);
    let run = repo.run_here(&["import", "codex", "sources/codex2"]).failure();
    assert!(run.stderr.contains("--> sources/codex2/broken.toml:1:") && run.stderr.contains("invalid TOML"), "{}", run.stderr);
    let run = repo.run_here(&["import", "cursor", "sources/cursor"]).failure();
    assert!(
        run.stderr.contains("--> sources/cursor/bad.md:1:1") && run.stderr.contains("starts with `---` front matter"),
        "{}",
        run.stderr
    );
    assert!(repo.tree("personas").is_empty() && repo.tree("parts").is_empty(), "a refused import wrote files");
}

/// A persona with everything a harness cannot carry.
fn guide() -> Repo {
    Repo::new()
        .file("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n")
        .file("parts/tone-spoken.md", "+++\ntype = \"tone\"\nsummary = \"Spoken.\"\n+++\nSpeak plainly.\n")
        .file("skills/lookup.md", "---\ndescription: Looks up an order.\n---\nFind the order by its number.\n")
        .file("arcs/journey.toml", "[[stages]]\nname = \"call\"\n\n[[stages]]\nname = \"trial\"\n")
        .file(
            "personas/guide.toml",
            "version = \"1.0.0\"\nsummary = \"Guides {{ customer }} through setup.\"\narc = { name = \"journey\" }\nparts = [\"tone-warm\"]\nskills = [{ name = \"lookup\", load = \"on_demand\" }]\ntools = [\"search\"]\nmodel = \"fast\"\nruntime_vars = [\"customer\"]\nbudget = { max_tokens = 2000 }\n\n[metadata]\nowner = \"team-a\"\nreadonly = true\n\n[channels.voice]\noverrides = { tone = \"tone-spoken\" }\n",
        )
}

#[test]
fn every_export_says_what_it_could_not_carry() {
    let repo = guide();
    let run = repo.run(&["export", "cursor"]).success();
    insta::assert_snapshot!("harness_report_cursor", run.stderr);
    for (kind, text) in [
        ("stages", "stages `trial`"),
        ("channels", "channels `voice`"),
        ("budget", "budget `2000 tokens`"),
        ("parts", "parts `Tone`"),
        ("metadata", "metadata `owner`"),
        ("on-demand", "on-demand `skill lookup`"),
        ("runtime variables", "runtime-variables `customer`"),
        ("tools", "tools `search`"),
    ] {
        assert!(run.stderr.contains(&format!("Not carried guide: {text}")), "{kind}: {}", run.stderr);
    }
    // `readonly` is Cursor's own field, and the model it has.
    assert!(!run.stderr.contains("`readonly`") && !run.stderr.contains("model `fast`"), "{}", run.stderr);
    // Exported as agents of their own, a stage and a channel are carried.
    let run = repo.run(&["export", "cursor", "--stage", "trial", "--channel", "voice"]).success();
    assert!(!run.stderr.contains("stages `") && !run.stderr.contains("channels `"), "{}", run.stderr);
    assert!(repo.exists(".cursor/agents/guide-trial.md") && repo.exists(".cursor/agents/guide-voice.md"));
    // Each format says what it cannot carry, by its own table.
    let run = repo.run(&["export", "gemini"]).success();
    assert!(!run.stderr.contains("tools `search`") && run.stderr.contains("metadata `owner`, `readonly`"), "{}", run.stderr);
    let run = repo.run(&["export", "eliza"]).success();
    assert!(run.stderr.contains("Not carried guide: tools `search`"), "{}", run.stderr);
    let run = repo.run(&["export", "crewai"]).success();
    assert!(!run.stderr.contains("runtime-variables") && run.stderr.contains("metadata `owner`, `readonly`"), "{}", run.stderr);
    let run = repo.run(&["export", "character-card"]).success();
    assert!(run.stderr.contains("Not carried guide: stages `trial`"), "{}", run.stderr);
    // A bundle is the build: it loses nothing.
    let run = repo.run(&["export", "bundle"]).success();
    assert!(!run.stderr.contains("Not carried"), "{}", run.stderr);
}

#[test]
fn the_export_report_as_json() {
    let repo = guide();
    let run = repo.run(&["export", "codex", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(report["format"], "codex");
    assert_eq!(report["out"], ".codex/agents");
    assert_eq!(report["written"], json!(["guide.toml"]));
    assert_eq!(report["unchanged"], 0);
    let personas = report["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 1);
    assert_eq!(personas[0]["persona"], "guide");
    let lost = personas[0]["lost"].as_array().unwrap();
    let kinds: Vec<&str> = lost.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["stages", "channels", "budget", "parts", "metadata", "on-demand", "runtime-variables", "tools"]);
    for loss in lost {
        assert!(loss["items"].as_array().is_some_and(|i| !i.is_empty()) && loss["note"].is_string(), "{loss}");
    }
    assert_eq!(lost[4]["items"], json!(["owner", "readonly"]));
    assert!(!run.stderr.contains("Not carried"), "the report went to stdout only: {}", run.stderr);
    // Unchanged the second time; a bundle has the same shape, losing nothing.
    let run = repo.run(&["export", "codex", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((&report["written"], &report["unchanged"]), (&json!([]), &json!(1)));
    let run = repo.run(&["export", "bundle", "--format", "json"]).success();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["personas"], json!([{ "persona": "guide", "lost": [] }]));
}

#[test]
fn build_keeps_every_harness_export_current() {
    let repo = guide().file(
        "personac.toml",
        "[export.copilot]\nout = \".github/agents\"\n\n[export.gemini]\nout = \".gemini/agents\"\n\n[export.codex]\nout = \".codex/agents\"\n\n[export.cursor]\nout = \".cursor/agents\"\nstages = true\n",
    );
    repo.run(&["build"]).success();
    for (format, out, suffix) in HARNESSES {
        assert!(repo.exists(&format!("{out}/guide{suffix}")), "{format}");
        let index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
        assert_eq!(index["exports"][format]["out"], out);
    }
    assert!(repo.exists(".cursor/agents/guide-trial.md"));
    repo.run(&["build", "--check"]).success();
    repo.write(".codex/agents/guide.toml", "edited\n");
    let run = repo.run(&["build", "--check"]).failure();
    assert!(run.stderr.contains(".codex/agents/guide.toml: out of date"), "{}", run.stderr);
}
