//! The loader conformance suite (tests/conformance/), Rust side: every case
//! of `cases.json` through `personac::runtime`, from a fresh build of the
//! fixture repository, from a bundle of it and from the committed build
//! output the Python and Node runners read; the compiler as the oracle of
//! every view case (`show --var`); and the proof that the cases tell a
//! correct loader from one that string-replaces `{{ name }}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use personac::runtime::{Error, ErrorKind, Options, Prompt, Registry};
use serde_json::Value;

use crate::support::{examples_root, run_in};

#[derive(serde::Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

/// A view case (`view`, `stage`, `channel`) or a fetch case (`fetch`),
/// expecting a text or an error kind.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    persona: String,
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    fetch: Option<Fetch>,
    vars: BTreeMap<String, String>,
    #[serde(default)]
    expect: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    literal: bool,
}

#[derive(serde::Deserialize)]
struct Fetch {
    kind: String,
    name: String,
}

impl Case {
    /// The persona's name, without a pin.
    fn persona_name(&self) -> &str {
        self.persona.split('@').next().unwrap()
    }

    fn run(&self, registry: &Registry) -> Result<String, Error> {
        let persona = registry.get(&self.persona)?;
        match (&self.fetch, &self.view) {
            (Some(fetch), _) => persona.fetch(&fetch.kind, &fetch.name, &self.vars),
            (None, Some(view)) => {
                let prompt = Prompt { view, stage: self.stage.as_deref(), channel: self.channel.as_deref() };
                persona.prompt(&prompt, &self.vars)
            }
            (None, None) => panic!("case {} is neither a view nor a fetch", self.name),
        }
    }
}

fn suite() -> PathBuf {
    examples_root().join("tests/conformance")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(suite().join("cases.json")).unwrap();
    serde_json::from_str::<Cases>(&text).unwrap().cases
}

/// The build output committed beside the fixture repository.
fn committed() -> PathBuf {
    suite().join("repo/build-output")
}

/// The fixture repository's sources copied into a temp dir and built there
/// by the real binary; its output is `build-output/` inside.
fn fresh_build() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "build-output" {
                    copy(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let temp = tempfile::tempdir().unwrap();
    copy(&suite().join("repo"), temp.path());
    run_in(temp.path(), &["build"]).success();
    temp
}

/// A bundle of a build-output folder, as docs/artifacts.md describes one:
/// `index.json` as it is, and every file of every persona as text.
fn bundle_of(out: &Path) -> Value {
    let index: Value = serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let mut files = serde_json::Map::new();
    for (name, entry) in index["personas"].as_object().unwrap() {
        for path in entry["artifacts"].as_object().unwrap().keys() {
            let text = std::fs::read_to_string(out.join(name).join(path)).unwrap();
            files.insert(format!("{name}/{path}"), Value::String(text));
        }
    }
    serde_json::json!({"files": files, "format": 2, "index": index, "kind": "personac-bundle"})
}

/// Every case through `registry`; the failures, each naming its case.
fn failures(registry: &Registry, from: &str) -> Vec<String> {
    let mut out = Vec::new();
    for case in cases() {
        let got = case.run(registry);
        match (&case.expect, &case.error, got) {
            (Some(expect), None, Ok(text)) if text == *expect => {}
            (None, Some(kind), Err(e)) if e.kind().as_str() == kind => {}
            (expect, error, got) => out.push(format!(
                "{from}: case {}: expected {}, got {}",
                case.name,
                error.as_ref().map_or_else(|| format!("{expect:?}"), |k| format!("error {k}")),
                match got {
                    Ok(text) => format!("{text:?}"),
                    Err(e) => format!("error {}: {e}", e.kind()),
                },
            )),
        }
    }
    out
}

#[test]
fn every_case_passes_from_a_fresh_build_from_its_bundle_and_without_verify() {
    let temp = fresh_build();
    let out = temp.path().join("build-output");
    let bundle = bundle_of(&out);
    let text = serde_json::to_string_pretty(&bundle).unwrap();
    let mut all = Vec::new();
    all.extend(failures(&Registry::load(&out).unwrap(), "folder"));
    all.extend(failures(&Registry::load_with(&out, Options { verify: false }).unwrap(), "folder without verify"));
    all.extend(failures(&Registry::from_bundle(&bundle).unwrap(), "bundle"));
    all.extend(failures(&Registry::from_bundle(&text).unwrap(), "bundle text"));
    all.extend(failures(&Registry::from_bundle_with(bundle, Options { verify: false }).unwrap(), "bundle without verify"));
    assert!(all.is_empty(), "{} failures:\n{}", all.len(), all.join("\n"));
    assert!(cases().len() >= 40, "{} cases", cases().len());
}

#[test]
fn the_committed_build_output_is_current_and_passes_every_case() {
    // The Python and Node runners read it in a fresh clone.
    run_in(&suite().join("repo"), &["build", "--check"]).success();
    let all = failures(&Registry::load(committed()).unwrap(), "committed folder");
    assert!(all.is_empty(), "{} failures:\n{}", all.len(), all.join("\n"));
    let ignore = std::fs::read_to_string(suite().join("repo/.gitignore")).unwrap_or_default();
    assert!(!ignore.lines().any(|l| l.trim_matches('/') == "build-output"), "repo/.gitignore leaves the build output out");
}

#[test]
fn cases_cover_every_error_kind_but_those_of_a_damaged_build() {
    let covered: std::collections::BTreeSet<String> = cases().into_iter().filter_map(|c| c.error).collect();
    let damaged = [ErrorKind::HashMismatch, ErrorKind::UnknownFormat, ErrorKind::Io];
    let rest: std::collections::BTreeSet<String> =
        ErrorKind::ALL.iter().filter(|k| !damaged.contains(k)).map(|k| k.as_str().to_string()).collect();
    assert_eq!(covered, rest);
}

/// `personac show` for a view case, with every absent variable's default
/// passed explicitly (as tests/conformance/regen_expect.py runs it).
fn shown(repo: &Path, case: &Case, registry: &Registry) -> String {
    let persona = registry.get(case.persona_name()).unwrap();
    let mut values: BTreeMap<&str, &str> =
        persona.runtime_vars().iter().filter_map(|v| Some((v.name.as_str(), v.default.as_deref()?))).collect();
    values.extend(case.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut args: Vec<String> = vec!["-q".into(), "show".into(), case.persona_name().into(), "--view".into(), case.view.clone().unwrap()];
    for (flag, value) in [("--stage", &case.stage), ("--channel", &case.channel)] {
        if let Some(value) = value {
            args.extend([flag.to_string(), value.clone()]);
        }
    }
    for (key, value) in values {
        args.extend(["--var".to_string(), format!("{key}={value}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(repo, &args).success().stdout
}

#[test]
fn every_view_case_expects_what_show_prints() {
    let repo = suite().join("repo");
    let registry = Registry::load(committed()).unwrap();
    let views: Vec<Case> = cases().into_iter().filter(|c| c.fetch.is_none() && c.expect.is_some()).collect();
    assert!(views.len() >= 20, "{} view cases", views.len());
    let differ: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = views
            .iter()
            .map(|case| {
                let (repo, registry) = (&repo, &registry);
                s.spawn(move || {
                    let shown = shown(repo, case, registry);
                    let mut out = Vec::new();
                    if shown != *case.expect.as_ref().unwrap() {
                        out.push(format!("case {}: show prints {shown:?}, the case expects {:?}", case.name, case.expect));
                    }
                    match case.run(registry) {
                        Ok(filled) if filled == shown => {}
                        filled => out.push(format!("case {}: show prints {shown:?}, the runtime answers {filled:?}", case.name)),
                    }
                    out
                })
            })
            .collect();
        runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What a naive loader answers: the `.md` text with every `{{ name }}`
/// replaced by its value (or default), one variable after another.
fn naive(out: &Path, index: &Value, case: &Case) -> String {
    let name = case.persona_name();
    let entry = &index["personas"][name];
    let record = match &case.fetch {
        Some(f) => entry["on_demand"].as_array().unwrap().iter().find(|r| r["kind"] == *f.kind && r["name"] == *f.name),
        None => entry["views"].as_array().unwrap().iter().find(|r| {
            r["view"].as_str() == case.view.as_deref()
                && r["stage"].as_str() == case.stage.as_deref()
                && r["channel"].as_str() == case.channel.as_deref()
        }),
    };
    let mut text = std::fs::read_to_string(out.join(name).join(record.unwrap()["path"].as_str().unwrap())).unwrap();
    let mut values: BTreeMap<&str, &str> = BTreeMap::new();
    for v in entry["runtime_vars"].as_array().unwrap() {
        if let Some(default) = v["default"].as_str() {
            values.insert(v["name"].as_str().unwrap(), default);
        }
    }
    values.extend(case.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (key, value) in values {
        text = text.replace(&format!("{{{{ {key} }}}}"), value);
    }
    text
}

#[test]
fn a_naive_string_replace_filler_gets_every_literal_case_wrong() {
    let out = committed();
    let index: Value = serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let cases = cases();
    let literal: Vec<&Case> = cases.iter().filter(|c| c.literal).collect();
    assert!(literal.len() >= 10, "{} literal cases", literal.len());
    let right: Vec<&str> =
        literal.iter().filter(|c| naive(&out, &index, c) == *c.expect.as_ref().unwrap()).map(|c| c.name.as_str()).collect();
    assert!(right.is_empty(), "a naive filler gets these literal cases right: {right:?}");
    // And the flag is exact: the other cases with a text are ones it gets right.
    let wrong: Vec<&str> = cases
        .iter()
        .filter(|c| !c.literal && c.expect.is_some() && naive(&out, &index, c) != *c.expect.as_ref().unwrap())
        .map(|c| c.name.as_str())
        .collect();
    assert!(wrong.is_empty(), "cases a naive filler gets wrong without `literal: true`: {wrong:?}");
}

#[test]
fn a_damaged_build_is_refused() {
    let temp = fresh_build();
    let out = temp.path().join("build-output");
    let get = |out: &Path| Registry::load(out).and_then(|r| r.get("nova")).map(|p| p.id().to_string());
    assert!(get(&out).is_ok());

    // One changed byte in one view, then the file gone: a hash mismatch, named.
    let detail = out.join("nova/stages/deep/detail.md");
    let original = std::fs::read_to_string(&detail).unwrap();
    std::fs::write(&detail, original.replacen("Nova", "Nora", 1)).unwrap();
    let e = get(&out).unwrap_err();
    assert!(e.kind() == ErrorKind::HashMismatch && e.message().contains("`stages/deep/detail.md` has sha256"), "{e}");
    assert!(Registry::load_with(&out, Options { verify: false }).unwrap().get("nova").is_ok());
    std::fs::remove_file(&detail).unwrap();
    for options in [Options::default(), Options { verify: false }] {
        let e = Registry::load_with(&out, options).unwrap().get("nova").unwrap_err();
        assert_eq!(e.message(), "persona nova: the artifact `stages/deep/detail.md` is missing");
    }
    std::fs::write(&detail, original).unwrap();

    // A build of another format: refused on load, with what to do.
    let index_path = out.join("index.json");
    let index = std::fs::read_to_string(&index_path).unwrap();
    for (format, advice) in [("3", "upgrade the personac loader"), ("1", "rebuild it with personac 0.2")] {
        std::fs::write(&index_path, index.replacen("\"format\": 2", &format!("\"format\": {format}"), 1)).unwrap();
        let e = Registry::load(&out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownFormat);
        assert!(e.message().ends_with(&format!("has format {format}; this loader reads format 2 (personac 0.2): {advice}")), "{e}");
    }
    std::fs::write(&index_path, &index).unwrap();

    // A bundle missing one file.
    let mut bundle = bundle_of(&out);
    bundle["files"].as_object_mut().unwrap().remove("nova/on_demand/skill/order-help.segments.json");
    let e = Registry::from_bundle(&bundle).unwrap().get("nova").unwrap_err();
    assert_eq!(e.message(), "persona nova: the artifact `on_demand/skill/order-help.segments.json` is missing");
    assert_eq!(Registry::from_bundle(&bundle).unwrap().get("plain").unwrap().name(), "plain");
}
