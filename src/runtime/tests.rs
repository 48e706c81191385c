//! The loader on small builds made in memory: pins, every check `get` makes,
//! formats, and the errors of `prompt` and `fetch`. The conformance suite
//! (tests/cli/conformance_runtime.rs) runs it on the compiler's own output.

use serde_json::{Value, json};

use super::error::ErrorKind;
use super::persona::{NO_VARS, Prompt};
use super::registry::{Options, Registry};

/// One persona of a test build.
struct Spec {
    name: &'static str,
    version: &'static str,
    runtime_vars: Value,
    stage: Value,
    stages: Vec<&'static str>,
    channels: Vec<&'static str>,
    /// `(view, stage, channel, segments)`.
    views: Vec<(&'static str, Option<&'static str>, Option<&'static str>, Value)>,
    /// `(kind, name, segments)`.
    items: Vec<(&'static str, &'static str, Value)>,
    manifest: Value,
}

impl Spec {
    fn new(name: &'static str) -> Spec {
        Spec {
            name,
            version: "1.0.0",
            runtime_vars: json!([]),
            stage: Value::Null,
            stages: vec![],
            channels: vec![],
            views: vec![("summary", None, None, json!([format!("{name} in short.\n")])), ("detail", None, None, json!(["# Detail\n"]))],
            items: vec![],
            manifest: json!({}),
        }
    }
}

fn text_of(segments: &Value) -> String {
    segments
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().map_or_else(|| format!("{{{{ {} }}}}", s["var"].as_str().unwrap()), str::to_string))
        .collect()
}

/// One persona's files as they are written: the bundle's `files` and the
/// entry's `artifacts`.
struct Files<'a> {
    name: &'a str,
    files: &'a mut serde_json::Map<String, Value>,
    artifacts: serde_json::Map<String, Value>,
}

impl Files<'_> {
    fn put(&mut self, rel: &str, text: String) -> String {
        let sha = crate::hash::sha256_hex(text.as_bytes());
        self.artifacts.insert(rel.to_string(), json!({"sha256": sha, "tokens": 1}));
        self.files.insert(format!("{}/{rel}", self.name), Value::String(text));
        sha
    }

    /// A view's or item's record: its text, and its segment file when it uses variables.
    fn record(&mut self, rel: String, segments: &Value, mut extra: Value) -> Value {
        let mut vars: Vec<String> = Vec::new();
        for s in segments.as_array().unwrap() {
            if let Some(v) = s["var"].as_str().filter(|v| !vars.iter().any(|x| x == v)) {
                vars.push(v.to_string());
            }
        }
        extra["path"] = json!(rel);
        extra["sha256"] = json!(self.put(&rel, text_of(segments)));
        extra["tokens"] = json!(1);
        if !vars.is_empty() {
            let seg_rel = format!("{}.segments.json", rel.trim_end_matches(".md"));
            self.put(&seg_rel, serde_json::to_string_pretty(&json!({"format": 2, "segments": segments})).unwrap());
            extra["segments"] = json!(seg_rel);
        }
        extra["vars"] = json!(vars);
        extra
    }
}

/// A format-2 bundle of `specs`, as the compiler would write it.
fn bundle(specs: Vec<Spec>) -> Value {
    let mut files = serde_json::Map::new();
    let mut personas = serde_json::Map::new();
    for spec in specs {
        let name = spec.name;
        let mut out = Files { name, files: &mut files, artifacts: serde_json::Map::new() };
        let views: Vec<Value> = spec
            .views
            .iter()
            .map(|(view, stage, channel, segs)| {
                let prefix =
                    stage.map_or(String::new(), |s| format!("stages/{s}/")) + &channel.map_or(String::new(), |c| format!("channels/{c}/"));
                out.record(format!("{prefix}{view}.md"), segs, json!({"view": view, "stage": stage, "channel": channel}))
            })
            .collect();
        let items: Vec<Value> = spec
            .items
            .iter()
            .map(|(kind, item, segs)| out.record(format!("on_demand/{kind}/{item}.md"), segs, json!({"kind": kind, "name": item})))
            .collect();
        let lines: String = out.artifacts.iter().map(|(p, a)| format!("{} {p}\n", a["sha256"].as_str().unwrap())).collect();
        let fingerprint = format!("sha256:{}", crate::hash::sha256_hex(lines.as_bytes()));
        let id = format!("{name}@{}+{}", spec.version, &fingerprint[7..19]);
        let mut manifest =
            json!({"format": 2, "id": id, "fingerprint": fingerprint, "name": name, "version": spec.version, "metadata": {}});
        for (k, v) in spec.manifest.as_object().unwrap() {
            manifest[k] = v.clone();
        }
        out.put("manifest.json", serde_json::to_string_pretty(&manifest).unwrap());
        personas.insert(
            name.to_string(),
            json!({
                "artifacts": out.artifacts, "channels": spec.channels, "dropped": [], "fingerprint": fingerprint, "id": id,
                "inputs": "sha256:0", "on_demand": items, "runtime_vars": spec.runtime_vars, "sources": [],
                "stage": spec.stage, "stages": spec.stages, "version": spec.version, "views": views,
            }),
        );
    }
    let index = json!({"encoding": "o200k_base", "format": 2, "inputs": "sha256:0", "personas": personas});
    json!({"format": 2, "kind": "personac-bundle", "files": files, "index": index})
}

/// A persona with variables, an arc, channels and on-demand items.
fn nova() -> Spec {
    let mut spec = Spec::new("nova");
    spec.version = "1.2.3";
    spec.runtime_vars = json!([{"name": "user_name"}, {"name": "tier", "default": "standard"}, {"name": "nick", "max_length": 4}]);
    spec.stage = json!({"arc": "journey", "name": "intro"});
    spec.stages = vec!["intro", "deep"];
    spec.channels = vec!["voice"];
    spec.views = vec![
        ("summary", None, None, json!(["Nova for ", {"var": "user_name"}, " on ", {"var": "tier"}, ".\n"])),
        ("detail", None, None, json!(["Hi ", {"var": "user_name"}, ". Literal: {{ user_name }}\n"])),
        ("summary", None, Some("voice"), json!(["Voice.\n"])),
        ("detail", None, Some("voice"), json!(["Say hi to ", {"var": "user_name"}, ".\n"])),
        ("summary", Some("intro"), None, json!(["Nova for ", {"var": "user_name"}, " on ", {"var": "tier"}, ".\n"])),
        ("detail", Some("intro"), None, json!(["Hi ", {"var": "user_name"}, ". Literal: {{ user_name }}\n"])),
        ("summary", Some("deep"), None, json!(["Deep.\n"])),
        ("detail", Some("deep"), None, json!(["Deep, ", {"var": "nick"}, ".\n"])),
    ];
    spec.items =
        vec![("part", "shell", json!(["Run {{ user_name }}.\n"])), ("skill", "help", json!(["Help ", {"var": "user_name"}, ".\n"]))];
    spec.manifest = json!({"title": "Nova", "description": "Helps.", "model": "m-1", "tools": [], "metadata": {"team": "a", "rank": 2}});
    spec
}

fn registry(specs: Vec<Spec>) -> Registry {
    Registry::from_bundle(bundle(specs)).unwrap()
}

#[test]
fn a_persona_is_got_by_name_version_or_id() {
    let reg = registry(vec![nova(), Spec::new("plain")]);
    assert_eq!(reg.names(), ["nova", "plain"]);
    let nova = reg.get("nova").unwrap();
    let (id, fp) = (nova.id().to_string(), nova.fingerprint().to_string());
    assert_eq!(id, format!("nova@1.2.3+{}", &fp[7..19]));
    for pin in ["nova@1.2.3".to_string(), id.clone(), format!("nova@1.2.3+{}", &fp[7..]), format!("nova@1.2.3+{fp}")] {
        assert_eq!(reg.get(&pin).unwrap().id(), id, "{pin}");
    }
    for pin in ["nova@9.9.9", "nova@1.2.3+000000000000", "nova@", "nova@1.2.3+", "nova@1.2.3+e3457548"] {
        let e = reg.get(pin).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PinMismatch, "{pin}");
        assert_eq!(e.message(), format!("`{pin}` does not match the build, which holds {id}"));
    }
    let e = reg.get("maya").unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::UnknownPersona, "no persona `maya` in this build; personas: nova, plain"));
    assert_eq!(reg.get("maya@1.0.0").unwrap_err().kind(), ErrorKind::UnknownPersona);
}

#[test]
fn a_version_with_build_metadata_can_be_pinned() {
    let mut spec = Spec::new("meta");
    spec.version = "1.0.0+build.5";
    let reg = registry(vec![spec]);
    let id = reg.get("meta").unwrap().id().to_string();
    assert!(id.starts_with("meta@1.0.0+build.5+"), "{id}");
    assert_eq!(reg.get("meta@1.0.0+build.5").unwrap().id(), id);
    assert_eq!(reg.get(&id).unwrap().id(), id);
    assert_eq!(reg.get("meta@1.0.0").unwrap_err().kind(), ErrorKind::PinMismatch);
}

#[test]
fn views_fill_and_errors_name_the_valid_choices() {
    let nova = registry(vec![nova()]).get("nova").unwrap();
    assert_eq!(nova.build_system_prompt([("user_name", "{{ tier }}")]).unwrap(), "Hi {{ tier }}. Literal: {{ user_name }}\n");
    assert_eq!(nova.prompt(&Prompt::SUMMARY, [("user_name", "Jo")]).unwrap(), "Nova for Jo on standard.\n");
    assert_eq!(
        nova.prompt(&Prompt::view("summary").stage("intro"), [("user_name", "Jo"), ("tier", "gold")]).unwrap(),
        "Nova for Jo on gold.\n"
    );
    assert_eq!(nova.prompt(&Prompt::view("detail").channel("voice"), [("user_name", "Jo")]).unwrap(), "Say hi to Jo.\n");
    assert_eq!(nova.prompt(&Prompt::view("summary").stage("deep"), NO_VARS).unwrap(), "Deep.\n");
    let vars = std::collections::BTreeMap::from([("user_name".to_string(), "Jo".to_string())]);
    assert_eq!(nova.prompt(&Prompt::default(), &vars).unwrap(), nova.build_system_prompt(vars.clone()).unwrap());

    let err = |prompt: Prompt<'_>, vars: &[(&str, &str)]| nova.prompt(&prompt, vars.iter().copied()).unwrap_err();
    let e = err(Prompt::view("full"), &[]);
    assert_eq!((e.kind(), e.message()), (ErrorKind::UnknownView, "persona nova has no view `full`; views: summary, detail"));
    let e = err(Prompt::DETAIL.stage("outro"), &[]);
    assert_eq!((e.kind(), e.message()), (ErrorKind::UnknownStage, "persona nova has no stage `outro`; stages: intro, deep"));
    let e = err(Prompt::DETAIL.channel("sms"), &[]);
    assert_eq!((e.kind(), e.message()), (ErrorKind::UnknownChannel, "persona nova has no channel `sms`; channels: voice"));
    // The current stage on a channel is built, a named stage on it is not listed here.
    let e = err(Prompt::DETAIL.stage("deep").channel("voice"), &[]);
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::HashMismatch, "persona nova: index.json lists no view `detail` at stage `deep` on channel `voice`")
    );
    let e = err(Prompt::DETAIL.stage("deep"), &[]);
    assert_eq!(e.kind(), ErrorKind::MissingVariable);
    assert_eq!(
        e.message(),
        "persona nova: view `detail` at stage `deep` uses the runtime variable `nick`, which has no value and no default"
    );
    // Values are checked whether or not the view uses them.
    assert_eq!(err(Prompt::view("summary").stage("deep"), &[("nick", "Josephine")]).kind(), ErrorKind::TooLong);
    assert_eq!(err(Prompt::view("summary").stage("deep"), &[("nickname", "Jo")]).kind(), ErrorKind::UnknownVariable);

    let plain = registry(vec![Spec::new("plain")]).get("plain").unwrap();
    let e = plain.prompt(&Prompt::DETAIL.stage("intro"), NO_VARS).unwrap_err();
    assert_eq!(e.message(), "persona plain has no stage `intro`; stages: none");
    assert_eq!(plain.prompt(&Prompt::DETAIL, [("x", "y")]).unwrap_err().kind(), ErrorKind::UnknownVariable);
}

#[test]
fn on_demand_items_are_fetched_by_kind_and_name() {
    let nova = registry(vec![nova()]).get("nova").unwrap();
    assert_eq!(nova.fetch("part", "shell", [("user_name", "Jo")]).unwrap(), "Run {{ user_name }}.\n");
    assert_eq!(nova.fetch("skill", "help", [("user_name", "Jo")]).unwrap(), "Help Jo.\n");
    let e = nova.fetch("skill", "shell", NO_VARS).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::UnknownItem, "persona nova has no on-demand skill `shell`; on-demand items: part/shell, skill/help")
    );
    let e = nova.fetch("skill", "help", NO_VARS).unwrap_err();
    assert_eq!(
        e.message(),
        "persona nova: on-demand skill `help` uses the runtime variable `user_name`, which has no value and no default"
    );
}

#[test]
fn a_persona_exposes_its_entry_and_manifest() {
    let reg = registry(vec![nova(), Spec::new("plain")]);
    let nova = reg.get("nova").unwrap();
    assert_eq!((nova.name(), nova.version(), nova.title()), ("nova", "1.2.3", "Nova"));
    assert_eq!((nova.description(), nova.model()), (Some("Helps."), Some("m-1")));
    assert_eq!(nova.tools(), Some(&[][..]));
    assert_eq!(nova.metadata()["rank"], json!(2));
    assert_eq!((nova.stage(), nova.arc()), (Some("intro"), Some("journey")));
    assert_eq!(nova.stages(), ["intro", "deep"]);
    assert_eq!(nova.channels(), ["voice"]);
    let vars: Vec<(&str, Option<&str>, Option<usize>)> =
        nova.runtime_vars().iter().map(|v| (v.name.as_str(), v.default.as_deref(), v.max_length)).collect();
    assert_eq!(vars, [("user_name", None, None), ("tier", Some("standard"), None), ("nick", None, Some(4))]);
    assert_eq!(nova.manifest()["id"], json!(nova.id()));
    let plain = reg.get("plain").unwrap();
    assert_eq!((plain.title(), plain.tools(), plain.model(), plain.stage()), ("plain", None, None, None));
    assert!(plain.metadata().is_empty() && plain.stages().is_empty() && plain.runtime_vars().is_empty());
    fn shared<T: Send + Sync + Clone>(_: &T) {}
    shared(&nova);
    fn sync<T: Send + Sync>(_: &T) {}
    sync(&reg);
}

/// `bundle` with one file's text replaced.
fn tampered(path: &str, text: &str) -> Value {
    let mut b = bundle(vec![nova()]);
    b["files"][path] = json!(text);
    b
}

#[test]
fn a_changed_file_is_a_hash_mismatch_unless_verify_is_off() {
    let b = tampered("nova/detail.md", "Hi {{ user_name }}. Changed\n");
    let e = Registry::from_bundle(&b).unwrap().get("nova").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HashMismatch);
    assert!(e.message().starts_with("persona nova: `detail.md` has sha256 "), "{e}");
    // Without verify, the text is taken as it is and filled from its segments.
    let reg = Registry::from_bundle_with(&b, Options { verify: false }).unwrap();
    assert_eq!(reg.get("nova").unwrap().build_system_prompt([("user_name", "Jo")]).unwrap(), "Hi Jo. Literal: {{ user_name }}\n");
    // Segments that do not give their view's text.
    let mut b = bundle(vec![nova()]);
    let seg = json!({"format": 2, "segments": ["Hi ", {"var": "user_name"}, "!\n"]}).to_string();
    b["files"]["nova/detail.segments.json"] = json!(seg);
    let sha = crate::hash::sha256_hex(seg.as_bytes());
    b["index"]["personas"]["nova"]["artifacts"]["detail.segments.json"]["sha256"] = json!(sha);
    let e = Registry::from_bundle(&b).unwrap().get("nova").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HashMismatch, "{e}");
}

#[test]
fn a_fingerprint_or_id_that_does_not_match_is_a_hash_mismatch() {
    let mut b = bundle(vec![nova()]);
    b["index"]["personas"]["nova"]["artifacts"]["summary.md"]["sha256"] = json!("0".repeat(64));
    let e = Registry::from_bundle(&b).unwrap().get("nova").unwrap_err();
    assert!(e.kind() == ErrorKind::HashMismatch && e.message().contains("the fingerprint in index.json is"), "{e}");
    let mut b = bundle(vec![nova()]);
    b["index"]["personas"]["nova"]["id"] = json!("nova@1.2.3+000000000000");
    let e = Registry::from_bundle(&b).unwrap().get("nova").unwrap_err();
    assert!(e.kind() == ErrorKind::HashMismatch && e.message().contains("its id in index.json is nova@1.2.3+000000000000"), "{e}");
}

#[test]
fn a_missing_or_unlisted_file_is_a_hash_mismatch_even_without_verify() {
    for options in [Options::default(), Options { verify: false }] {
        let mut b = bundle(vec![nova()]);
        b["files"].as_object_mut().unwrap().remove("nova/stages/deep/detail.md");
        let e = Registry::from_bundle_with(&b, options).unwrap().get("nova").unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::HashMismatch, "persona nova: the artifact `stages/deep/detail.md` is missing"));
        let mut b = bundle(vec![nova()]);
        b["index"]["personas"]["nova"]["views"][0]["segments"] = json!("../../etc/passwd");
        let e = Registry::from_bundle_with(&b, options).unwrap().get("nova").unwrap_err();
        assert_eq!(e.message(), "persona nova: `../../etc/passwd` is not an artifact listed in index.json");
    }
}

#[test]
fn formats_other_than_2_are_refused() {
    let with = |pointer: &str, value: Value| {
        let mut b = bundle(vec![nova()]);
        *b.pointer_mut(pointer).unwrap() = value;
        b
    };
    let e = Registry::from_bundle(with("/index/format", json!(3))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownFormat);
    assert!(e.message().ends_with("format 3; this loader reads format 2 (personac 0.2): upgrade the personac loader"), "{e}");
    let e = Registry::from_bundle(with("/index/format", json!(1))).unwrap_err();
    assert!(e.message().ends_with("rebuild it with personac 0.2"), "{e}");
    let e = Registry::from_bundle(with("/format", Value::Null)).unwrap_err();
    assert_eq!(e.message(), "the bundle has no format; this loader reads format 2 (personac 0.2): rebuild it with personac 0.2");
    assert_eq!(Registry::from_bundle(with("/kind", json!("other"))).unwrap_err().kind(), ErrorKind::UnknownFormat);
    assert_eq!(Registry::from_bundle("{not json").unwrap_err().kind(), ErrorKind::UnknownFormat);
    let bad_file = with("/files/nova~1summary.md", json!(7));
    assert_eq!(Registry::from_bundle(bad_file).unwrap_err().kind(), ErrorKind::UnknownFormat);
    // A manifest or segment file of another format is found on get, with verify or not.
    for (path, text) in
        [("nova/manifest.json", "{\"name\": \"nova\"}"), ("nova/summary.segments.json", "{\"format\": 3, \"segments\": []}")]
    {
        let e = Registry::from_bundle_with(tampered(path, text), Options { verify: false }).unwrap().get("nova").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownFormat, "{path}: {e}");
        assert!(e.message().starts_with(path), "{e}");
    }
    // A bundle as text reads as the same bundle.
    let text = bundle(vec![nova()]).to_string();
    assert_eq!(Registry::from_bundle(&text).unwrap().get("nova").unwrap().title(), "Nova");
    assert_eq!(Registry::from_bundle(text.as_str()).unwrap().names(), ["nova"]);
    assert_eq!(Registry::from_bundle(text).unwrap().names(), ["nova"]);
}

#[test]
fn a_folder_reads_as_its_bundle_and_io_errors_are_io() {
    let dir = std::env::temp_dir().join(format!("personac-runtime-{}", std::process::id()));
    let b = bundle(vec![nova()]);
    for (rel, text) in b["files"].as_object().unwrap() {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.as_str().unwrap()).unwrap();
    }
    std::fs::write(dir.join("index.json"), b["index"].to_string()).unwrap();
    let nova = Registry::load(&dir).unwrap().get("nova@1.2.3").unwrap();
    assert_eq!(nova.build_system_prompt([("user_name", "Jo")]).unwrap(), "Hi Jo. Literal: {{ user_name }}\n");
    std::fs::remove_dir_all(&dir).unwrap();
    let e = Registry::load(&dir).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(std::error::Error::source(&e).is_some());
}
