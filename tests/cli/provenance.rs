//! Source records: every line of every view knows the source line that
//! made it.

use std::collections::BTreeMap;
use std::path::Path;

use personac::catalog::Cache;
use personac::snapshot::Snapshot;

use crate::support::examples_root;

/// The literal stretches of a template line: what lies between its tags.
fn literal_stretches(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let open = ["{{", "{%", "{#"].iter().filter_map(|t| rest.find(t)).min();
        let Some(open) = open else {
            out.push(rest);
            break;
        };
        out.push(&rest[..open]);
        let close = ["}}", "%}", "#}"].iter().filter_map(|t| rest[open + 2..].find(t)).min();
        let Some(close) = close else { break };
        rest = &rest[open + 2 + close + 2..];
    }
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// Checks every line of every view (every stage and channel) of every
/// persona of the repository at `root`; returns how many lines.
fn check_repo(root: &Path) -> usize {
    let (snapshot, _) = Snapshot::from_dir(root);
    let project = personac::Project::load(&snapshot, &Cache::default()).unwrap_or_else(|d| panic!("{d:?}"));
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for (name, persona) in &project.catalog.personas {
        if persona.is_abstract {
            continue;
        }
        let base = project.catalog.resolve(name, &Default::default()).unwrap();
        for request in personac::artifacts::requests(&base) {
            let resolved = project.catalog.resolve(name, &request).unwrap();
            let (_, views) = personac::artifacts::traced_views(&project.renderer, &project.tokenizer, &resolved).unwrap();
            // Built-in layouts are traced by where they write each text:
            // the same lines as marking every line of every text.
            let (_, marked) = personac::artifacts::traced_views_marked(&project.renderer, &project.tokenizer, &resolved).unwrap();
            for (traced, marked) in views.into_iter().zip(marked) {
                let what = format!("{name} {request:?} {}", traced.view.as_str());
                assert_eq!(traced.lines, marked.lines, "{what}: located and marked records differ");
                let lines = traced.lines.unwrap_or_else(|| panic!("no records for {what}"));
                assert_eq!(lines.iter().map(|l| format!("{}\n", l.text)).collect::<String>(), traced.fitted.text, "{what}");
                let mut previous: Option<(String, u32)> = None;
                for l in &lines {
                    checked += 1;
                    let here = l.file.as_deref().map(|f| f.to_string()).zip(l.line);
                    // A line a value's newline began: the rest of the value.
                    let continued = here.is_some() && here == previous && l.source.contains("{{");
                    previous = here;
                    if l.kind == "layout" {
                        continue;
                    }
                    let file = l.file.as_deref().unwrap();
                    let text = files
                        .entry(file.to_string())
                        .or_insert_with(|| std::fs::read_to_string(root.join(file)).unwrap().lines().map(str::to_string).collect());
                    let n = l.line.unwrap() as usize;
                    let [first, last] = l.lines.unwrap();
                    assert!(first as usize <= n && n <= last as usize, "{what}: line {n} outside {first}-{last}: {l:?}");
                    let source = text.get(n - 1).unwrap_or_else(|| panic!("{what}: {file} has no line {n}"));
                    let out = &l.text[l.at..];
                    assert!(source.contains(l.source.trim()), "{what}: the text's line `{}` is not on {file}:{n} `{source}`", l.source);
                    if l.template {
                        if !l.source.contains("{%") && !continued {
                            for stretch in literal_stretches(&l.source) {
                                assert!(out.contains(stretch), "{what}: `{stretch}` of {file}:{n} `{}` not in `{out}`", l.source);
                            }
                        }
                    } else {
                        assert_eq!(l.source.trim_end(), out, "{what}: {file}:{n}");
                    }
                }
            }
        }
    }
    checked
}

#[test]
fn provenance_every_line_of_the_examples_points_at_its_source_line() {
    assert!(check_repo(&examples_root()) > 200);
}

#[test]
fn provenance_every_line_of_the_conformance_fixture_points_at_its_source_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/repo");
    assert!(check_repo(&root) > 20);
}

#[test]
fn provenance_every_line_of_a_generated_corpus_points_at_its_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let gen_script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_corpus.py");
    let status = std::process::Command::new("python3")
        .arg(gen_script)
        .arg(dir.path())
        .args(["--personas", "100"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(check_repo(dir.path()) > 1000);
}

/// A template's lines: a `{% for %}` body line makes many output lines, an
/// `{% if %}` none, a value with newlines keeps the line that used it, and
/// a YAML block's lines count from the top of the file.
#[test]
fn provenance_a_template_line_made_many_lines_and_a_value_keeps_its_line() {
    let repo = crate::support::Repo::new()
        .file("personac.toml", "[vars]\nsteps = [\"Greet.\", \"Ask.\", \"Solve.\"]\nnote = \"First note line.\\nSecond note line.\"\nshow = false\n")
        .file(
            "parts/steps.md",
            "+++\ntype = \"protocol\"\nsummary = \"Steps.\"\n+++\nFollow these steps:\n{% for s in steps %}\n- Step {{ loop.index }}: {{ s }}\n{% endfor %}\n{% if show %}\nHidden.\n{% endif %}\nNote: {{ note }}\nDone.\n",
        )
        .file("parts/tone-plain.yaml", "type: tone\nsummary: Plain.\ncontent: |\n  Be plain.\n\n  Be {{ 'clear' }}.\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"steps\", \"tone-plain\"]\n");
    assert!(check_repo(repo.path()) > 10);

    let (snapshot, _) = Snapshot::from_dir(repo.path());
    let project = personac::Project::load(&snapshot, &Cache::default()).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = project.catalog.resolve("maya", &Default::default()).unwrap();
    let (_, [_, detail]) = personac::artifacts::traced_views(&project.renderer, &project.tokenizer, &resolved).unwrap();
    let lines = detail.lines.unwrap();
    let at = |text: &str| lines.iter().find(|l| l.text == text).unwrap_or_else(|| panic!("no line `{text}` in {lines:#?}"));
    let place = |text: &str| at(text).place();
    assert_eq!(place("Follow these steps:"), "parts/steps.md:5");
    assert_eq!(place("- Step 1: Greet."), "parts/steps.md:7");
    assert_eq!(place("- Step 3: Solve."), "parts/steps.md:7");
    assert_eq!(place("Note: First note line."), "parts/steps.md:12");
    assert_eq!(place("Second note line."), "parts/steps.md:12");
    assert_eq!(place("Done."), "parts/steps.md:13");
    assert_eq!(place("Be plain."), "parts/tone-plain.yaml:4");
    assert_eq!(place("Be clear."), "parts/tone-plain.yaml:6");
    assert_eq!(place("## Protocol"), "(layout heading)");
    let step = at("- Step 2: Ask.");
    assert_eq!((step.kind, step.definition.as_str(), step.field, step.layer.as_deref()), ("part", "steps", "content", Some("own")));
    assert_eq!(step.lines, Some([5, 13]));
    assert!(step.template);
    assert!(!lines.iter().any(|l| l.text.contains("Hidden")));
}

#[test]
fn provenance_show_annotate_puts_each_line_beside_its_source() {
    let run = crate::support::run_in(&examples_root(), &["show", "maya", "--annotate"]).success();
    let plain = crate::support::run_in(&examples_root(), &["show", "maya"]).success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), plain.stdout.lines().count());
    assert!(
        lines.iter().any(|l| l.starts_with("parts/tone/tone-warm.md:7 ") && l.ends_with("a clear answer or a concrete next step.")),
        "{}",
        run.stdout
    );
    assert!(lines.iter().any(|l| l.starts_with("(layout heading)") && l.ends_with("## Tone")), "{}", run.stdout);
    // Every line of the view is there, after its place.
    for (annotated, line) in lines.iter().zip(plain.stdout.lines()) {
        assert!(annotated.ends_with(line), "`{annotated}` does not end with `{line}`");
    }

    let run = crate::support::run_in(&examples_root(), &["show", "maya", "--annotate", "--format", "json"]).success();
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let lines = shown["lines"].as_array().unwrap();
    let text: String = lines.iter().map(|l| format!("{}\n", l["text"].as_str().unwrap())).collect();
    assert_eq!(text, shown["text"].as_str().unwrap());
    let tone = lines.iter().find(|l| l["file"] == "parts/tone/tone-warm.md").unwrap();
    assert_eq!(tone["line"], 7);
    assert_eq!(tone["definition"], "tone-warm");
    assert_eq!(tone["kind"], "part");
    assert_eq!(tone["field"], "content");
    assert!(tone["layer"].is_string());
    let heading = lines.iter().find(|l| l["text"] == "## Tone").unwrap();
    assert_eq!((heading["kind"].as_str(), heading["field"].as_str()), (Some("layout"), Some("heading")));
}

/// Records beside every view, listed under `provenance`, out of `artifacts`
/// and the fingerprint; `provenance = false` leaves them out (and removes
/// those a build wrote), and the ids stay the same.
#[test]
fn provenance_build_writes_records_that_config_turns_off() {
    let repo = crate::support::Repo::minimal();
    repo.run(&["build"]).success();
    let index = |repo: &crate::support::Repo| -> serde_json::Value { serde_json::from_str(&repo.read("build-output/index.json")).unwrap() };
    let on = index(&repo);
    let maya = &on["personas"]["maya"];
    assert!(maya["artifacts"].as_object().unwrap().keys().all(|k| !k.ends_with(".sources.json")));
    let records: Vec<&String> = maya["provenance"].as_object().unwrap().keys().collect();
    assert_eq!(records, ["detail.sources.json", "summary.sources.json"]);
    let record: serde_json::Value = serde_json::from_str(&repo.read("build-output/maya/detail.sources.json")).unwrap();
    assert_eq!(record["texts"][0]["file"], "personas/maya.toml");
    crate::support::validate_output(&repo.path().join("build-output"));
    // Deterministic: a second build writes nothing.
    let again = repo.run(&["build", "--format", "json"]).success();
    assert!(again.stdout.contains("\"written\":[]"), "{}", again.stdout);

    repo.write("personac.toml", "provenance = false\n");
    repo.run(&["build"]).success();
    let off = index(&repo);
    assert!(off["personas"]["maya"].get("provenance").is_none());
    assert!(!repo.exists("build-output/maya/detail.sources.json"));
    assert_eq!(off["personas"]["maya"]["fingerprint"], maya["fingerprint"]);
    assert_eq!(off["personas"]["maya"]["id"], maya["id"]);
    repo.run(&["build", "--check"]).success();
}

/// A copy of the example repository's sources, to change.
fn examples_copy() -> crate::support::Repo {
    let repo = crate::support::Repo::new();
    for (path, bytes) in crate::support::example_sources() {
        repo.write(&path, std::str::from_utf8(&bytes).unwrap());
    }
    repo
}

#[test]
fn provenance_why_names_the_definition_and_layer_behind_a_line() {
    let why = |args: &[&str]| crate::support::run_in(&examples_root(), &[&["why", "maya"], args].concat()).success().stdout;
    // A line from an ancestor's part.
    let out = why(&["--text", "You are an AI assistant deployed by Acme Corp"]);
    assert!(out.contains("from parts/system/system-acme.md:7: the `content` of part `system-acme`"), "{out}");
    assert!(out.contains("layer: ancestor:support-base"), "{out}");
    // A part the persona's own layer put in place of its ancestor's.
    let out = why(&["--text", "Sound like a friendly, capable person"]);
    assert!(out.contains("parts/tone/tone-warm.md:7"), "{out}");
    assert!(out.contains("tone-warm (own) replaced tone-professional (ancestor:support-base)"), "{out}");
    // A part replaced by a channel override.
    let out = why(&["--channel", "voice", "--part", "tone-warm"]);
    assert!(out.contains("is not in the detail view of persona `maya` on channel `voice`"), "{out}");
    assert!(out.contains("tone-warm (own) was replaced at layer channel:voice by tone-spoken"), "{out}");
    // A part appended to its ancestor's.
    let out = why(&["--part", "protocol-refunds"]);
    assert!(out.contains("part `protocol-refunds` is in the detail view of persona `maya`, from layer own"), "{out}");
    assert!(out.contains("protocol-refunds (own) was appended to protocol-escalation (ancestor:support-base)"), "{out}");
    // A heading of the layout, by its line number.
    let shown = crate::support::run_in(&examples_root(), &["show", "maya"]).success().stdout;
    let n = shown.lines().position(|l| l == "## Tone").unwrap() + 1;
    let out = why(&[&n.to_string()]);
    assert!(out.contains("## Tone") && out.contains("written by the layout"), "{out}");
    assert!(out.contains("a heading") && out.contains("it heads the content of part `tone-warm`"), "{out}");
    // Filters.
    let out = why(&["--types", "tone", "--part", "context-acme"]);
    assert!(out.contains("left out by `--types`"), "{out}");
    crate::support::run_in(&examples_root(), &["why", "maya", "--text", "no such line anywhere"]).code(2);
}

#[test]
fn provenance_why_tells_a_part_the_budget_dropped_and_a_loop_line() {
    let repo = examples_copy();
    let maya = repo.read("personas/maya.md").replace("budget = { max_tokens = 4000 }", "budget = { max_tokens = 1700 }");
    repo.write("personas/maya.md", &maya);
    let identity = repo.read("parts/identity/identity-maya.md");
    repo.write(
        "parts/identity/identity-maya.md",
        &format!("{identity}\n{{% for step in [\"Greet\", \"Listen\"] %}}\nStep: {{{{ step }}}}.\n{{% endfor %}}\n"),
    );
    let body = repo.read("parts/identity/identity-maya.md").lines().position(|l| l == "Step: {{ step }}.").unwrap() + 1;

    let shown: serde_json::Value = serde_json::from_str(&repo.run(&["show", "maya", "--format", "json"]).success().stdout).unwrap();
    let dropped = shown["dropped"][0].as_str().expect("the budget drops a part").to_string();
    let out = repo.run(&["why", "maya", "--part", &dropped]).success().stdout;
    assert!(out.contains("dropped by the budget"), "{out}");
    assert!(out.contains("over its budget of 1700"), "{out}");
    assert!(out.contains(&format!("leaving {} tokens", shown["tokens"])), "{out}");

    for step in ["Step: Greet.", "Step: Listen."] {
        let out = repo.run(&["why", "maya", "--text", step]).success().stdout;
        assert!(out.contains(&format!("from parts/identity/identity-maya.md:{body}: the `content` of part `identity-maya`")), "{out}");
        assert!(out.contains("a template"), "{out}");
    }
}
