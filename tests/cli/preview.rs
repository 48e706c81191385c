//! A real `personac preview` process on a copy of the example repository,
//! asked over raw HTTP (std's TcpStream): the view's text is the built
//! file's, byte for byte; a foreign Host is refused; a save changes the
//! answer; a broken save reports its diagnostics and keeps the last good
//! view; nothing is written.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Repo, examples_root, run_in, tree};

const WAIT: Duration = Duration::from_secs(20);

struct Preview {
    child: Child,
    port: u16,
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Preview {
    fn start(root: &Path) -> Preview {
        let mut child = Command::new(env!("CARGO_BIN_EXE_personac"))
            .arg("-C")
            .arg(root)
            .args(["preview", "--port", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start preview");
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).expect("the preview's first line");
        let port = line
            .trim()
            .strip_prefix("Preview http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("`Preview http://127.0.0.1:PORT/` on stderr, got {line:?}"));
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Preview { child, port }
    }

    /// `(status, body)` of a request with these headers (`Host` included).
    fn raw(&self, method: &str, path: &str, headers: &[(&str, String)]) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("a response");
        let (head, body) = response.split_once("\r\n\r\n").expect("headers and body");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
        (status, body.to_string())
    }

    fn host(&self) -> (&'static str, String) {
        ("Host", format!("127.0.0.1:{}", self.port))
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.raw("GET", path, &[self.host()])
    }

    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    fn text(&self, path: &str) -> String {
        self.json(path)["text"].as_str().expect("text").to_string()
    }

    /// Waits until `ok` holds of the answer to `path`.
    fn until(&self, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (_, body) = self.get(path);
            let value: Value = serde_json::from_str(&body).unwrap_or_default();
            if ok(&value) {
                return value;
            }
            assert!(start.elapsed() < WAIT, "GET {path} never changed as expected; last: {body}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The example repository's sources, copied into a temp dir, and built.
fn example() -> Repo {
    let repo = Repo::new();
    for dir in ["personas", "parts", "traits", "skills", "guardrails", "arcs"] {
        for (path, bytes) in tree(&examples_root().join(dir)) {
            let to = repo.path().join(dir).join(&path);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, bytes).unwrap();
        }
    }
    std::fs::copy(examples_root().join("personac.toml"), repo.path().join("personac.toml")).unwrap();
    repo.run(&["build", "-q"]).success();
    repo
}

#[test]
fn preview_views_are_the_built_files_byte_for_byte_with_every_lines_source() {
    let repo = example();
    let before = tree(repo.path());
    let preview = Preview::start(repo.path());
    assert_eq!(preview.text("/api/view?persona=maya&view=detail"), repo.read("build-output/maya/detail.md"));
    assert_eq!(preview.text("/api/view?persona=maya&view=summary"), repo.read("build-output/maya/summary.md"));
    assert_eq!(preview.text("/api/view?persona=maya&channel=voice"), repo.read("build-output/maya/channels/voice/detail.md"));
    // Runtime variables are filled as `show --var` fills them; a stage as `show --stage`.
    let shown = run_in(repo.path(), &["show", "maya", "--var", "user_name=Ada Lovelace"]).success();
    assert_eq!(preview.text("/api/view?persona=maya&var.user_name=Ada+Lovelace"), shown.stdout);
    let shown = run_in(repo.path(), &["show", "aria", "--stage", "trial"]).success();
    assert_eq!(preview.text("/api/view?persona=aria&stage=trial"), shown.stdout);

    // Every line carries its source; the lines give the text back.
    let view = preview.json("/api/view?persona=maya");
    let lines = view["lines"].as_array().unwrap();
    let joined: String = lines.iter().map(|l| format!("{}\n", l["text"].as_str().unwrap())).collect();
    assert_eq!(joined, view["text"].as_str().unwrap());
    let identity = lines.iter().find(|l| l["definition"] == "identity-maya").expect("a line of identity-maya");
    assert_eq!(identity["file"], "parts/identity/identity-maya.md");
    assert_eq!(identity["line"], 7);
    assert_eq!(identity["place"], "parts/identity/identity-maya.md:7");
    let path = identity["path"].as_str().unwrap();
    assert!(Path::new(path).is_absolute() && path.ends_with("parts/identity/identity-maya.md"), "{path}");
    let parts = view["parts"].as_array().unwrap();
    assert!(parts.iter().any(|p| p["name"] == "identity-maya" && p["tokens"].as_u64().unwrap() > 0 && p["layer"] == "own"));
    assert_eq!(view["budget"], 4000);

    let personas = preview.json("/api/personas");
    let maya = personas["personas"].as_array().unwrap().iter().find(|p| p["name"] == "maya").unwrap();
    assert_eq!(maya["version"], "1.4.0");
    assert_eq!(maya["channels"], serde_json::json!(["voice"]));
    assert!(maya["tokens"]["detail"].as_u64().unwrap() > 0);
    assert!(!personas["personas"].as_array().unwrap().iter().any(|p| p["name"] == "support-base"), "an abstract base is not listed");

    // The page and its assets are served; bad requests are told why.
    let (status, page) = preview.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<pre id=\"view\""), "{page}");
    assert_eq!(preview.get("/app.js").0, 200);
    assert_eq!(preview.get("/api/view?persona=nobody").0, 400);
    assert_eq!(preview.get("/api/view?persona=aria&stage=nowhere").0, 400);
    assert_eq!(preview.get("/nothing").0, 404);
    assert_eq!(tree(repo.path()), before, "the preview wrote nothing");
}

#[test]
fn preview_refuses_foreign_hosts_and_origins_and_only_reads() {
    let repo = Repo::minimal();
    let preview = Preview::start(repo.path());
    let port = preview.port;
    assert_eq!(preview.raw("GET", "/", &[("Host", format!("localhost:{port}"))]).0, 200);
    for host in [format!("evil.example:{port}"), "127.0.0.1".into(), format!("127.0.0.1:{}", port.wrapping_add(1))] {
        let (status, _) = preview.raw("GET", "/api/personas", &[("Host", host.clone())]);
        assert_eq!(status, 403, "Host: {host}");
    }
    assert_eq!(preview.raw("GET", "/", &[]).0, 403, "no Host");
    let evil = [preview.host(), ("Origin", "http://evil.example".to_string())];
    assert_eq!(preview.raw("GET", "/api/view?persona=maya", &evil).0, 403);
    let ours = [preview.host(), ("Origin", format!("http://127.0.0.1:{port}"))];
    assert_eq!(preview.raw("GET", "/api/view?persona=maya", &ours).0, 200);
    assert_eq!(preview.raw("POST", "/api/view?persona=maya", &[preview.host()]).0, 405);
}

#[test]
fn preview_follows_saves_and_keeps_the_last_good_view_over_a_broken_one() {
    let repo = example();
    let preview = Preview::start(repo.path());
    let built = repo.read("build-output/maya/detail.md");
    assert_eq!(preview.text("/api/view?persona=maya"), built);
    let generation = preview.json("/api/status")["generation"].as_u64().unwrap();

    // An event stream tells the page of every load.
    let mut events = TcpStream::connect(("127.0.0.1", preview.port)).unwrap();
    events.set_read_timeout(Some(WAIT)).unwrap();
    write!(events, "GET /events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", preview.port).unwrap();
    let mut events = std::io::BufReader::new(events);
    let mut next_status = || loop {
        let mut line = String::new();
        assert!(events.read_line(&mut line).unwrap() > 0, "the event stream ended");
        // Chunked framing: the data line is whole within a chunk.
        if let Some(data) = line.trim().strip_prefix("data: ") {
            return serde_json::from_str::<Value>(data).unwrap();
        }
    };
    assert_eq!(next_status()["ok"], true);

    let part = "parts/identity/identity-maya.md";
    let text = repo.read(part);
    repo.write(part, &text.replace("Your name is Maya.", "Your name is Maya Preview."));
    let view = preview.until("/api/view?persona=maya", |v| v["text"].as_str().is_some_and(|t| t.contains("Maya Preview")));
    let changed = view["text"].as_str().unwrap().to_string();
    assert_eq!(changed, built.replace("Your name is Maya.", "Your name is Maya Preview."));
    let status = next_status();
    assert!(status["generation"].as_u64().unwrap() > generation, "{status}");

    // A broken save: its diagnostics, and the last good view stays.
    repo.write(part, "+++\ntype = \"identity\"\nsummary = \n+++\nBroken.\n");
    let status = preview.until("/api/status", |s| s["ok"] == false);
    let diagnostics = status["diagnostics"].as_array().unwrap();
    assert!(diagnostics.iter().any(|d| d["file"] == part && d["severity"] == "error"), "{status}");
    assert_eq!(preview.text("/api/view?persona=maya"), changed);
    assert_eq!(next_status()["ok"], false);

    // Mended: back to the source's view.
    repo.write(part, &text);
    preview.until("/api/status", |s| s["ok"] == true);
    assert_eq!(preview.text("/api/view?persona=maya"), built);
}

#[test]
fn preview_strikes_through_what_the_layers_replaced_and_the_filters_left_out_as_why_tells_it() {
    let repo = example();
    let preview = Preview::start(repo.path());
    let parts = |path: &str| preview.json(path)["parts"].as_array().unwrap().clone();
    let part = |parts: &[Value], name: &str| parts.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no part {name}")).clone();

    // The voice channel's layer replaces tone-warm with tone-spoken.
    let voice = parts("/api/view?persona=maya&channel=voice");
    let warm = part(&voice, "tone-warm");
    assert_eq!(warm["dropped"], "replaced at layer channel:voice by tone-spoken");
    assert_eq!((warm["layer"].as_str(), warm["type"].as_str(), warm["tokens"].is_null()), (Some("own"), Some("tone"), true));
    assert!(part(&voice, "tone-spoken")["dropped"].is_null());
    let why = run_in(repo.path(), &["why", "maya", "--channel", "voice", "--part", "tone-warm"]).success();
    assert!(why.stdout.contains("tone-warm (own) was replaced at layer channel:voice by tone-spoken"), "{}", why.stdout);
    // On the default channel it is in the view.
    assert!(part(&parts("/api/view?persona=maya"), "tone-warm")["dropped"].is_null());

    // `types` and `limit` leave parts out, as `show --types` and `--limit` do.
    let only = parts("/api/view?persona=maya&types=identity,tone");
    assert_eq!(part(&only, "system-acme")["dropped"], "left out by `types`");
    assert!(part(&only, "identity-maya")["dropped"].is_null());
    let shown = run_in(repo.path(), &["show", "maya", "--types", "identity,tone"]).success();
    assert_eq!(preview.text("/api/view?persona=maya&types=identity,tone"), shown.stdout);
    let limited = parts("/api/view?persona=maya&limit=2");
    let left: Vec<&Value> = limited.iter().filter(|p| p["dropped"] == "left out by `limit`").collect();
    assert!(!left.is_empty(), "{limited:?}");
    let why = run_in(repo.path(), &["why", "maya", "--limit", "2", "--part", left[0]["name"].as_str().unwrap()]).success();
    assert!(why.stdout.contains("left out by `--limit`"), "{}", why.stdout);
    assert_eq!(preview.get("/api/view?persona=maya&limit=many").0, 400);
}

#[test]
fn preview_links_lines_with_the_editor_url_of_personac_toml_and_refuses_an_unknown_placeholder() {
    let repo = example();
    {
        let preview = Preview::start(repo.path());
        let view = preview.json("/api/view?persona=maya");
        let line = view["lines"].as_array().unwrap().iter().find(|l| l["definition"] == "identity-maya").unwrap().clone();
        assert_eq!(line["href"].as_str().unwrap(), format!("vscode://file{}:7", line["path"].as_str().unwrap()));
    }
    let config = repo.read("personac.toml");
    repo.write("personac.toml", &format!("{config}\n[preview]\neditor_url = \"idea://open?file={{path}}&line={{line}}&in={{file}}\"\n"));
    let preview = Preview::start(repo.path());
    let view = preview.json("/api/view?persona=maya");
    let line = view["lines"].as_array().unwrap().iter().find(|l| l["definition"] == "identity-maya").unwrap().clone();
    let path = line["path"].as_str().unwrap();
    assert_eq!(line["href"].as_str().unwrap(), format!("idea://open?file={path}&line=7&in=parts/identity/identity-maya.md"));
    drop(preview);

    // An unknown placeholder is an error at its place, with the ones there are.
    let lines = config.lines().count() + 3;
    repo.write("personac.toml", &format!("{config}\n[preview]\neditor_url = \"idea://open?file={{path}}&line={{lne}}\"\n"));
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("unknown placeholder `{lne}` in the editor URL"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("personac.toml:{lines}:44")), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `line`?") && run.stderr.contains("{path}, {file}, {line}"), "{}", run.stderr);
    repo.write("personac.toml", &format!("{config}\n[preview]\neditor_url = \"javascript:alert({{line}})\"\n"));
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("must open an editor, not run a script"), "{}", run.stderr);
    repo.write("personac.toml", &format!("{config}\n[preview]\neditor = \"x\"\n"));
    assert!(repo.run(&["check"]).failure().stderr.contains("editor"));
}

#[test]
fn preview_diff_is_personac_diffs_report_against_head_or_any_revision() {
    let repo = example().git_init();
    repo.write(".gitignore", "build-output/\n");
    let first = repo.commit("first");
    let part = "parts/identity/identity-maya.md";
    let text = repo.read(part);
    repo.write(part, &text.replace("Your name is Maya.", "You are Maya."));
    repo.commit("second");
    let preview = Preview::start(repo.path());
    let report = preview.json("/api/diff");
    assert_eq!(report["changed"], false, "{report}");
    assert_eq!(preview.json("/api/diff?rev=HEAD"), report);

    // A save: the working tree against HEAD, and against the first commit.
    repo.write(part, &text.replace("Your name is Maya.", "Your name is Maya Diffed, the one and only."));
    preview.until("/api/view?persona=maya", |v| v["text"].as_str().is_some_and(|t| t.contains("Maya Diffed")));
    for rev in ["HEAD", first.as_str()] {
        let report = preview.json(&format!("/api/diff?rev={rev}"));
        let cli: Value = serde_json::from_str(&repo.run(&["diff", rev, "--format", "json"]).success().stdout).unwrap();
        assert_eq!(report, cli, "against {rev}");
        let maya = report["personas"].as_array().unwrap().iter().find(|p| p["name"] == "maya").expect("maya changed");
        let detail = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "detail.md").unwrap();
        assert!(detail["diff"].as_str().unwrap().contains("+Your name is Maya Diffed, the one and only."), "{detail}");
        assert_ne!(detail["token_delta"], 0);
        assert_eq!(maya["sources"], serde_json::json!([part]));
    }
    // The list of personas follows the save too.
    let report = preview.json("/api/diff");
    let maya = report["personas"].as_array().unwrap().iter().find(|p| p["name"] == "maya").unwrap();
    let tokens = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "detail.md").unwrap()["tokens"]["new"].clone();
    let personas = preview.json("/api/personas");
    let listed = personas["personas"].as_array().unwrap().iter().find(|p| p["name"] == "maya").unwrap();
    assert_eq!(listed["tokens"]["detail"], tokens);

    let (status, body) = preview.get("/api/diff?rev=no-such-branch");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no-such-branch"), "{body}");
}
