//! `personac lsp`: the real binary spoken to over stdio, as an editor does,
//! on repositories in temp dirs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Repo;

/// How long to wait for an answer before calling the server stuck (a guard
/// against a hung test, not a measure of speed).
const STUCK: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    notes: Vec<Value>,
    next_id: i64,
    root: std::path::PathBuf,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_personac"))
            .arg("-C")
            .arg(root)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start personac lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice::<Value>(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut client = Client { child, stdin, messages, notes: Vec::new(), next_id: 0, root: root.to_path_buf() };
        let init = client.request("initialize", json!({ "processId": null, "rootUri": client.uri(""), "capabilities": {} }));
        assert!(init["capabilities"]["renameProvider"].is_object(), "{init}");
        client.notify("initialized", json!({}));
        client
    }

    fn uri(&self, path: &str) -> String {
        let root = self.root.to_str().unwrap();
        if path.is_empty() { format!("file://{root}") } else { format!("file://{root}/{path}") }
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn next(&mut self) -> Value {
        match self.messages.recv_timeout(STUCK) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("the server answered nothing"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// The full answer to a request (`result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                return message;
            }
            self.notes.push(message);
        }
    }

    #[track_caller]
    fn request(&mut self, method: &str, params: Value) -> Value {
        let answer = self.call(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn open(&mut self, repo: &Repo, path: &str) {
        let text = repo.read(path);
        let language = path.rsplit('.').next().unwrap();
        let uri = self.uri(path);
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }));
    }

    fn change(&mut self, path: &str, version: i64, text: &str) {
        let uri = self.uri(path);
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// The diagnostics published for a document once they satisfy `done`
    /// (the server publishes after the changes queued so far).
    #[track_caller]
    fn diagnostics(&mut self, path: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = self.uri(path);
        let mut last = None;
        let mut seen = std::mem::take(&mut self.notes).into_iter();
        loop {
            let message = match seen.next() {
                Some(m) => m,
                None => match self.messages.recv_timeout(STUCK) {
                    Ok(m) => m,
                    Err(_) => panic!("no diagnostics as expected for {path}; last published: {last:?}"),
                },
            };
            if message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == json!(uri) {
                let diags = message["params"]["diagnostics"].as_array().unwrap().clone();
                if done(&diags) {
                    self.notes.extend(seen);
                    return diags;
                }
                last = Some(diags);
            }
        }
    }

    fn at(&self, path: &str, line: u32, character: u32) -> Value {
        json!({ "textDocument": { "uri": self.uri(path) }, "position": { "line": line, "character": character } })
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

/// The line and UTF-16 column of the first `needle` in `text`.
fn find(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in {text}"));
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, text[start..at].encode_utf16().count() as u32)
}

fn labels(items: &Value) -> Vec<String> {
    let items = items.get("items").unwrap_or(items);
    let mut labels: Vec<String> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect();
    labels.sort();
    labels
}

/// `Repo::minimal` with the description lint off, so that a test sees
/// only the diagnostics it makes.
fn quiet() -> Repo {
    Repo::minimal().file("personac.toml", "[lints]\npersona-without-description = \"allow\"\n")
}

#[test]
fn diagnostics_follow_the_buffer_across_files_and_clear_when_fixed() {
    let repo = quiet()
        .file("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help {{ customer }}.\"\n")
        .file("personas/ada.json", "{\"version\": \"1.0.0\", \"summary\": \"Ada 😀 é.\", \"parts\": [\"tone-warm\"]}\n");
    let mut lsp = Client::start(repo.path());
    lsp.open(&repo, "personas/ada.json");
    assert!(lsp.diagnostics("personas/ada.json", |d| d.is_empty()).is_empty());

    // A misspelled part, unsaved: the range counts UTF-16 units (`😀` is two).
    let typo = "{\"version\": \"1.0.0\", \"summary\": \"Ada 😀 é.\", \"parts\": [\"tone-warn\"]}\n";
    lsp.change("personas/ada.json", 2, typo);
    let diags = lsp.diagnostics("personas/ada.json", |d| !d.is_empty());
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "E0200");
    assert_eq!(d["severity"], 1);
    assert!(d["message"].as_str().unwrap().contains("did you mean `tone-warm`?"), "{d}");
    let (line, column) = find(typo, "\"tone-warn\"");
    assert_eq!(d["range"]["start"], json!({ "line": line, "character": column }));
    assert_eq!(d["range"]["end"], json!({ "line": line, "character": column + 11 }));
    assert_eq!(d["data"]["suggest"], json!(["tone-warm"]));
    // Nothing was written.
    assert!(repo.read("personas/ada.json").contains("tone-warm"));

    // Fixed: cleared.
    lsp.change("personas/ada.json", 3, &typo.replace("tone-warn", "tone-warm"));
    assert!(lsp.diagnostics("personas/ada.json", |d| d.is_empty()).is_empty());

    // Cross-file: a part whose variable the persona that uses it does not define.
    lsp.open(&repo, "parts/goal-help.toml");
    lsp.open(&repo, "personas/maya.toml");
    lsp.change("personas/maya.toml", 2, "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-help\"]\n");
    let diags = lsp.diagnostics("parts/goal-help.toml", |d| d.iter().any(|d| d["code"] == "E0301"));
    assert!(diags.iter().any(|d| d["code"] == "E0301" && d["message"].as_str().unwrap().contains("customer")), "{diags:?}");
    lsp.change(
        "personas/maya.toml",
        3,
        "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-help\"]\nvars = { customer = \"you\" }\n",
    );
    assert!(lsp.diagnostics("parts/goal-help.toml", |d| d.is_empty()).is_empty());
    // The part changed under a persona that compiled clean before: it is
    // compiled again, and the new variable reported.
    lsp.change("parts/goal-help.toml", 2, "type = \"goal\"\nsummary = \"Help {{ customer }} with {{ order }}.\"\n");
    let diags = lsp.diagnostics("parts/goal-help.toml", |d| !d.is_empty());
    assert!(diags.iter().any(|d| d["code"] == "E0301" && d["message"].as_str().unwrap().contains("order")), "{diags:?}");
    lsp.change("parts/goal-help.toml", 3, &repo.read("parts/goal-help.toml"));
    assert!(lsp.diagnostics("parts/goal-help.toml", |d| d.is_empty()).is_empty());

    // Lints too: an unused variable is a warning (as `check` gives it).
    lsp.change("personas/maya.toml", 4, "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-help\"]\nvars = { customer = \"you\", unused = \"x\" }\n");
    let check = repo.file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-help\"]\nvars = { customer = \"you\", unused = \"x\" }\n").run(&["check", "--format", "json"]);
    let expected: Vec<Value> =
        check.stderr.lines().chain(check.stdout.lines()).filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
    assert!(!expected.is_empty(), "check gave no warning: {}", check.stderr);
    let diags = lsp.diagnostics("personas/maya.toml", |d| !d.is_empty());
    let codes = |ds: &[Value], key: &str| {
        let mut c: Vec<String> = ds.iter().map(|d| d[key].as_str().unwrap().to_string()).collect();
        c.sort();
        c
    };
    assert_eq!(codes(&diags, "code"), codes(&expected, "code"));
    assert!(diags.iter().all(|d| d["severity"] == 2));
    lsp.shutdown();
}

/// A repository where `tone-warm` is used by three personas (TOML, YAML,
/// JSON), an arc stage and a channel's override (in a Markdown persona),
/// with names and words beside it that a rename must leave alone.
fn used_everywhere() -> Repo {
    Repo::new()
        .file("personac.toml", "[lints]\npersona-without-description = \"allow\"\n")
        .file("parts/tone/tone-warm.md", "+++\n# tone-warm: the default tone\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n")
        .file("parts/tone-warmer.toml", "type = \"tone\"\nsummary = \"Warmer.\"\n")
        .file("parts/tone-spoken.yaml", "type: tone\nsummary: Spoken.\n")
        .file("parts/goal-help.json", "{\n  \"type\": \"goal\",\n  \"summary\": \"Help, in a tone-warm way.\"\n}\n")
        .file("arcs/onboarding.yaml", "stages:\n  - name: first-week\n    parts: [tone-warm, goal-help] # tone-warm first\n  - name: later\n    parts:\n      - tone-warmer\n")
        .file(
            "personas/maya.toml",
            "# maya uses tone-warm\nversion = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\n  \"tone-warm\", # the tone\n  \"goal-help\",\n]\narc = { name = \"onboarding\", stage = \"first-week\" }\n",
        )
        .file("personas/ada.yaml", "version: 1.0.0\nsummary: Ada helps.\nparts:\n  - name: tone-warm\n    order: 5\n  - goal-help\n")
        .file("personas/lin.json", "{\n  \"version\": \"1.0.0\",\n  \"summary\": \"Lin helps.\",\n  \"parts\": [\"tone-warm\", {\"name\": \"goal-help\"}]\n}\n")
        .file(
            "personas/bo.md",
            "---\nversion: 1.0.0\nsummary: Bo helps.\nparts: [tone-warmer]\nchannels:\n  voice:\n    overrides:\n      tone: tone-warm\n---\nBo is tone-warm in voice.\n",
        )
        .file("personas/cy.toml", "version = \"1.0.0\"\nsummary = \"Cy.\"\nparts = [\"tone-warmer\"]\n")
}

/// Applies a workspace edit (ASCII texts) to the files on disk.
fn apply(repo: &Repo, root: &str, edit: &Value) {
    let path_of = |uri: &Value| uri.as_str().unwrap().strip_prefix(root).unwrap().trim_start_matches('/').to_string();
    for change in edit["documentChanges"].as_array().unwrap() {
        if change["kind"] == "rename" {
            let (from, to) = (path_of(&change["oldUri"]), path_of(&change["newUri"]));
            std::fs::rename(repo.path().join(from), repo.path().join(to)).unwrap();
            continue;
        }
        let path = path_of(&change["textDocument"]["uri"]);
        let mut text = repo.read(&path);
        assert!(text.is_ascii());
        let offset = |text: &str, p: &Value| {
            let line = p["line"].as_u64().unwrap() as usize;
            text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + p["character"].as_u64().unwrap() as usize
        };
        let mut edits: Vec<(usize, usize, String)> = change["edits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (offset(&text, &e["range"]["start"]), offset(&text, &e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
            .collect();
        edits.sort();
        for (start, end, with) in edits.into_iter().rev() {
            text.replace_range(start..end, &with);
        }
        repo.write(&path, &text);
    }
}

/// A build output with every sha256 and fingerprint masked (they cover the
/// sources, which a rename changes by definition), and the token counts of
/// the views and the index (a name's tokens are counted where it is shown);
/// with `rename`, the name changed wherever it stands as a whole name, but
/// in the texts that only mention it (`keep`).
fn masked(out: BTreeMap<String, Vec<u8>>, rename: Option<(&str, &str)>, keep: &[&str]) -> BTreeMap<String, String> {
    let counts = |s: String| {
        s.lines()
            .map(|line| {
                let key = line.trim_start().split(':').next().unwrap_or("");
                let value = line.split(": ").nth(1).unwrap_or("").trim_end_matches(',');
                if ["\"tokens\"", "\"detail\"", "\"summary\""].contains(&key) && value.parse::<u64>().is_ok() {
                    line.replace(value, "N")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let hex = |s: &str| {
        let mut out = String::new();
        let mut run = String::new();
        for c in s.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
                run.push(c);
                continue;
            }
            out.push_str(if run.len() >= 12 { "#" } else { &run });
            run.clear();
            out.push(c);
        }
        out.pop();
        out
    };
    let whole = |s: &str| match rename {
        Some((old, new)) => {
            let mut out = String::new();
            let mut rest = s;
            while let Some(at) = rest.find(old) {
                let after = rest[at + old.len()..].chars().next();
                let before = rest[..at].chars().next_back().or(out.chars().next_back());
                let name = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                out.push_str(&rest[..at]);
                out.push_str(if name(before) || name(after) { old } else { new });
                rest = &rest[at + old.len()..];
            }
            out.push_str(rest);
            out
        }
        None => s.to_string(),
    };
    let kept = |mut s: String| {
        if let Some((old, new)) = rename {
            for text in keep {
                s = s.replace(&text.replace(old, new), text);
            }
        }
        s
    };
    out.into_iter().map(|(path, bytes)| (whole(&path), counts(hex(&kept(whole(&String::from_utf8(bytes).unwrap())))))).collect()
}

#[test]
fn rename_changes_exactly_the_references_and_the_build_is_the_same_but_for_the_name() {
    let repo = used_everywhere();
    repo.run(&["build", "--out", "before"]).success();
    let sources = |repo: &Repo| {
        let mut all = BTreeMap::new();
        for dir in ["parts", "personas", "arcs"] {
            all.extend(repo.tree(dir).into_iter().map(|(p, b)| (format!("{dir}/{p}"), String::from_utf8(b).unwrap())));
        }
        all
    };
    let before = sources(&repo);
    let mut lsp = Client::start(repo.path());
    lsp.open(&repo, "personas/maya.toml");
    let maya = repo.read("personas/maya.toml");
    let (line, column) = find(&maya, "tone-warm\", #");

    // Definition, then references: the three personas, the stage and the override.
    let def = lsp.request("textDocument/definition", lsp.at("personas/maya.toml", line, column + 2));
    assert_eq!(def["uri"], json!(lsp.uri("parts/tone/tone-warm.md")));
    let refs = lsp.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": lsp.uri("personas/maya.toml") }, "position": { "line": line, "character": column }, "context": { "includeDeclaration": false } }),
    );
    let mut files: Vec<String> =
        refs.as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap().rsplit('/').next().unwrap().to_string()).collect();
    files.sort();
    assert_eq!(files, ["ada.yaml", "bo.md", "lin.json", "maya.toml", "onboarding.yaml"]);

    let prepared = lsp.request("textDocument/prepareRename", lsp.at("personas/maya.toml", line, column + 3));
    assert_eq!(prepared["placeholder"], "tone-warm");
    assert_eq!(prepared["range"]["start"]["character"], column);
    assert_eq!(prepared["range"]["end"]["character"], column + 9);
    let edit = lsp.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": lsp.uri("personas/maya.toml") }, "position": { "line": line, "character": column + 3 }, "newName": "tone-kind" }),
    );
    // The server wrote nothing.
    assert_eq!(sources(&repo), before);
    apply(&repo, &lsp.uri(""), &edit);
    lsp.shutdown();

    let mut expected = before.clone();
    let part = expected.remove("parts/tone/tone-warm.md").unwrap();
    expected.insert("parts/tone/tone-kind.md".into(), part);
    let mut set = |path: &str, from: &str, to: &str| {
        let text = expected.get_mut(path).unwrap();
        assert!(text.contains(from), "{path}: {from}");
        *text = text.replacen(from, to, 1);
    };
    set("personas/maya.toml", "\"tone-warm\", #", "\"tone-kind\", #");
    set("personas/ada.yaml", "name: tone-warm", "name: tone-kind");
    set("personas/lin.json", "[\"tone-warm\"", "[\"tone-kind\"");
    set("personas/bo.md", "tone: tone-warm", "tone: tone-kind");
    set("arcs/onboarding.yaml", "[tone-warm, goal-help]", "[tone-kind, goal-help]");
    assert_eq!(sources(&repo), expected);

    repo.run(&["build", "--out", "after"]).success();
    let mentions = ["Help, in a tone-warm way.", "Bo is tone-warm in voice."];
    assert_eq!(masked(repo.tree("after"), None, &[]), masked(repo.tree("before"), Some(("tone-warm", "tone-kind")), &mentions));
    assert_ne!(repo.tree("after"), repo.tree("before"));
}

#[test]
fn rename_is_refused_for_a_taken_or_invalid_name() {
    let repo = used_everywhere();
    let mut lsp = Client::start(repo.path());
    lsp.open(&repo, "personas/maya.toml");
    let (line, column) = find(&repo.read("personas/maya.toml"), "tone-warm\", #");
    for name in ["tone-warmer", "Not Valid"] {
        let answer = lsp.call(
            "textDocument/rename",
            json!({ "textDocument": { "uri": lsp.uri("personas/maya.toml") }, "position": { "line": line, "character": column + 3 }, "newName": name }),
        );
        assert!(answer["error"]["message"].is_string(), "{name}: {answer}");
    }
    lsp.shutdown();
}

#[test]
fn completion_offers_the_names_that_fit_the_slot() {
    let repo = used_everywhere().file("personac.toml", "[lints]\npersona-without-description = \"allow\"\n[vars]\ncompany = \"Acme\"\n");
    let mut lsp = Client::start(repo.path());
    let text = "version = \"1.0.0\"\nsummary = \"Hi {{ \"\nextends = \"\"\nparts = [\"to-w\"]\n[channels.voice]\noverrides = { tone = \"\" }\nvars = { mood = \"calm\" }\n";
    repo.write("personas/new.toml", text);
    lsp.open(&repo, "personas/new.toml");
    let complete = |lsp: &mut Client, needle: &str, after: u32| {
        let (line, column) = find(text, needle);
        lsp.request("textDocument/completion", lsp.at("personas/new.toml", line, column + after))
    };
    // What is typed narrows the list (its letters in order), which says so.
    let parts = complete(&mut lsp, "parts = [\"", 12);
    assert_eq!(labels(&parts), ["tone-spoken", "tone-warm", "tone-warmer"]);
    assert_eq!(parts["isIncomplete"], true);
    let all = complete(&mut lsp, "parts = [\"", 10);
    assert_eq!(labels(&all), ["goal-help", "tone-spoken", "tone-warm", "tone-warmer"]);
    assert_eq!(all["isIncomplete"], false);
    // Each replaces the whole name typed so far, `-` included.
    let (line, column) = find(text, "to-w");
    assert_eq!(
        parts["items"][0]["textEdit"]["range"],
        json!({ "start": { "line": line, "character": column }, "end": { "line": line, "character": column + 4 } })
    );
    assert_eq!(labels(&complete(&mut lsp, "tone = \"", 8)), ["tone-spoken", "tone-warm", "tone-warmer"]);
    assert_eq!(labels(&complete(&mut lsp, "extends = \"", 11)), ["ada", "bo", "cy", "lin", "maya"]);
    // Variables: the persona's own (its buffer parses), and `[vars]`.
    let parsed = "version = \"1.0.0\"\nsummary = \"Hi {{ co }}\"\nvars = { mood = \"calm\" }\n";
    lsp.change("personas/new.toml", 2, parsed);
    let (line, column) = find(parsed, "co }}");
    assert_eq!(labels(&lsp.request("textDocument/completion", lsp.at("personas/new.toml", line, column))), ["company", "mood"]);
    // A key at the top: the persona's fields.
    let keys = labels(&complete(&mut lsp, "parts = [", 0));
    assert!(keys.contains(&"guardrails".to_string()) && keys.contains(&"runtime_vars".to_string()), "{keys:?}");
    // A part's type, in a YAML part.
    lsp.open(&repo, "parts/tone-spoken.yaml");
    let types = labels(&lsp.request("textDocument/completion", lsp.at("parts/tone-spoken.yaml", 0, 6)));
    assert!(types.contains(&"tone".to_string()) && types.contains(&"goal".to_string()), "{types:?}");
    lsp.shutdown();
}

#[test]
fn no_message_ends_the_server() {
    let repo = quiet();
    let mut lsp = Client::start(repo.path());
    // Not JSON: an error with a null id, and the server goes on.
    lsp.send_raw(b"{not json");
    let answer = lsp.next();
    assert_eq!(answer["id"], Value::Null);
    assert_eq!(answer["error"]["code"], -32700);
    // Bad params, an unknown method, an unknown file, a position past the end.
    assert_eq!(lsp.call("textDocument/hover", json!({ "textDocument": 3 }))["error"]["code"], -32602);
    assert_eq!(lsp.call("personac/nothing", json!({}))["error"]["code"], -32601);
    assert_eq!(lsp.request("textDocument/definition", lsp.at("personas/none.toml", 0, 0)), Value::Null);
    lsp.open(&repo, "personas/maya.toml");
    for method in ["textDocument/definition", "textDocument/hover", "textDocument/completion", "textDocument/prepareRename"] {
        lsp.request(method, lsp.at("personas/maya.toml", 999, 999));
        lsp.request(method, lsp.at("personas/maya.toml", 0, 999));
    }
    // A change to a document never opened, and an edit past its end.
    lsp.change("personas/other.toml", 2, "x");
    let uri = lsp.uri("personas/maya.toml");
    lsp.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "range": { "start": { "line": 50, "character": 3 }, "end": { "line": 2, "character": 0 } }, "text": "é" }] }));
    lsp.shutdown();
}

#[test]
fn hover_code_actions_and_symbols() {
    let repo = used_everywhere()
        .file("personac.toml", "[lints]\npersona-without-description = \"allow\"\n[vars]\ncompany = \"Acme\"\n")
        .file("personas/tight.toml", "version = \"1.0.0\"\nsummary = \"Tight at {{ company }}.\"\nparts = [\"tone-warm\", { name = \"goal-help\", priority = -1 }]\nbudget = { max_tokens = 30 }\n");
    let mut lsp = Client::start(repo.path());
    let tight = repo.read("personas/tight.toml");
    lsp.open(&repo, "personas/tight.toml");
    let hover = |lsp: &mut Client, needle: &str, after: u32| {
        let (line, column) = find(&tight, needle);
        lsp.request("textDocument/hover", lsp.at("personas/tight.toml", line, column + after))["contents"]["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A part: its type, summary, tokens and who uses it.
    let part = hover(&mut lsp, "tone-warm", 2);
    assert!(part.contains("tone part") && part.contains("Warm.") && part.contains("tokens"), "{part}");
    assert!(part.contains("`maya`") && part.contains("`tight`") && part.contains("`onboarding`"), "{part}");
    // A variable: its value and where it comes from.
    let var = hover(&mut lsp, "company", 2);
    assert!(var.contains("`Acme`") && var.contains("[vars]"), "{var}");
    // A persona (from `extends` elsewhere, here through workspace symbols'
    // file): tokens per view against its budget, and what it drops.
    lsp.open(&repo, "personas/cy.toml");
    lsp.change("personas/cy.toml", 2, "extends = \"tight\"\nversion = \"1.0.0\"\n");
    let (line, column) = (0, 12);
    let persona =
        lsp.request("textDocument/hover", lsp.at("personas/cy.toml", line, column))["contents"]["value"].as_str().unwrap().to_string();
    assert!(persona.contains("persona `tight`") && persona.contains("of 30") && persona.contains("drops `goal-help`"), "{persona}");

    // A did-you-mean as a quick fix, its quotes kept.
    let typo = tight.replace("\"tone-warm\"", "\"tone-warn\"");
    lsp.change("personas/tight.toml", 2, &typo);
    let diags = lsp.diagnostics("personas/tight.toml", |d| d.iter().any(|d| d["code"] == "E0200"));
    let d = diags.iter().find(|d| d["code"] == "E0200").unwrap().clone();
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": lsp.uri("personas/tight.toml") }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let edit = &actions[0]["edit"]["changes"][lsp.uri("personas/tight.toml")][0];
    assert_eq!(edit["newText"], "tone-warm");
    let (line, column) = find(&typo, "tone-warn");
    assert_eq!(edit["range"]["start"], json!({ "line": line, "character": column }));
    assert_eq!(edit["range"]["end"], json!({ "line": line, "character": column + 9 }));

    // Literal braces: `template = false` offered for a template error.
    lsp.change("personas/tight.toml", 3, "version = \"1.0.0\"\nsummary = \"Use ${{ github.sha }}.\"\n");
    let diags = lsp.diagnostics("personas/tight.toml", |d| d.iter().any(|d| d["code"] == "E0301" || d["code"] == "E0300"));
    let d = diags.iter().find(|d| d["code"] == "E0301" || d["code"] == "E0300").unwrap().clone();
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": lsp.uri("personas/tight.toml") }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let literal =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("template = false")).expect("a literal fix");
    assert_eq!(literal["edit"]["changes"][lsp.uri("personas/tight.toml")][0]["newText"], "template = false\n");
    lsp.change("personas/tight.toml", 4, "template = false\nversion = \"1.0.0\"\nsummary = \"Use ${{ github.sha }}.\"\n");
    lsp.diagnostics("personas/tight.toml", |d| d.is_empty());

    // Symbols: the file's definition with the names it writes; every definition by name.
    let symbols = lsp.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": lsp.uri("personas/maya.toml") } }));
    assert_eq!(symbols[0]["name"], "maya");
    let children: Vec<&str> = symbols[0]["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(children, ["tone-warm", "goal-help", "onboarding", "first-week"]);
    let all = lsp.request("workspace/symbol", json!({ "query": "tone" }));
    let mut names: Vec<&str> = all.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["tone-spoken", "tone-warm", "tone-warmer"]);
    lsp.shutdown();
}

/// What `check --format json` reports for one file of a repository.
fn checked(repo: &Repo, path: &str) -> Vec<Value> {
    let check = repo.run(&["check", "--format", "json"]);
    let all = check.stderr.lines().chain(check.stdout.lines()).filter_map(|l| serde_json::from_str::<Value>(l).ok());
    all.filter(|d| d["file"] == path).collect()
}

/// Whether the diagnostics published for a file (ASCII) are those `check`
/// gives: the same codes at the same places, each message and help in the
/// published text.
fn agrees(published: &[Value], check: &[Value]) -> bool {
    let key = |code: &Value, line: u64, column: u64| (code.as_str().unwrap_or("").to_string(), line, column);
    let mut published: Vec<_> = published
        .iter()
        .map(|d| {
            (key(&d["code"], d["range"]["start"]["line"].as_u64().unwrap() + 1, d["range"]["start"]["character"].as_u64().unwrap() + 1), d)
        })
        .collect();
    let mut check: Vec<_> =
        check.iter().map(|d| (key(&d["code"], d["line"].as_u64().unwrap_or(1), d["column"].as_u64().unwrap_or(1)), d)).collect();
    published.sort_by(|a, b| a.0.cmp(&b.0));
    check.sort_by(|a, b| a.0.cmp(&b.0));
    published.len() == check.len()
        && published.iter().zip(&check).all(|((at, p), (was, c))| {
            let message = p["message"].as_str().unwrap_or("");
            at == was
                && message.starts_with(c["message"].as_str().unwrap())
                && c["help"].as_str().into_iter().flat_map(str::lines).all(|help| message.contains(&format!("help: {help}")))
        })
}

/// A base persona two others extend, a part only the base uses and one no
/// persona uses: after each edit (in the buffer, or on disk), the
/// diagnostics of the files it changes are those `check` gives of the
/// files as edited, though the server compiles again only the personas
/// the edit reaches.
#[test]
fn diagnostics_after_each_edit_are_those_check_gives() {
    let files = [
        ("personac.toml", "[lints]\npersona-without-description = \"allow\"\n"),
        ("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help {{ customer }}.\"\n"),
        ("parts/goal-spare.toml", "type = \"goal\"\nsummary = \"Spare.\"\n"),
        (
            "personas/base.toml",
            "version = \"1.0.0\"\nsummary = \"Base.\"\nparts = [\"tone-warm\", \"goal-help\"]\nvars = { customer = \"you\" }\n",
        ),
        ("personas/kid-a.toml", "version = \"1.0.0\"\nextends = \"base\"\nsummary = \"A.\"\n"),
        ("personas/kid-b.toml", "version = \"1.0.0\"\nextends = \"base\"\nsummary = \"B.\"\n"),
    ];
    let (repo, mirror) = (Repo::minimal(), Repo::minimal());
    for (path, text) in files {
        repo.write(path, text);
        mirror.write(path, text);
    }
    let mut lsp = Client::start(repo.path());
    for path in ["personas/base.toml", "personas/kid-a.toml", "parts/goal-spare.toml"] {
        lsp.open(&repo, path);
    }
    let spare_unused = checked(&mirror, "parts/goal-spare.toml");
    assert!(!spare_unused.is_empty(), "an unused part is a warning");
    lsp.diagnostics("parts/goal-spare.toml", |d| agrees(d, &spare_unused));
    let mut version = 1;
    let mut edit = |lsp: &mut Client, path: &str, text: &str, changed: &[&str]| {
        version += 1;
        lsp.change(path, version, text);
        mirror.write(path, text);
        for path in changed {
            let check = checked(&mirror, path);
            lsp.diagnostics(path, |d| agrees(d, &check));
        }
    };

    // A misspelled part in the base: reported once, with its did-you-mean,
    // though each persona that extends it resolves it.
    let base = "version = \"1.0.0\"\nsummary = \"Base.\"\nparts = [\"tone-warn\", \"goal-help\"]\nvars = { customer = \"you\" }\n";
    edit(&mut lsp, "personas/base.toml", base, &["personas/base.toml"]);
    assert!(checked(&mirror, "personas/base.toml").iter().any(|d| d["help"] == "did you mean `tone-warm`?"));
    // A part that is closer to the misspelling comes on disk: the
    // did-you-mean is the new one.
    for r in [&repo, &mirror] {
        r.write("parts/tone-war.toml", "type = \"tone\"\nsummary = \"War.\"\n");
    }
    let uri = lsp.uri("parts/tone-war.toml");
    lsp.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": 1 }] }));
    let check = checked(&mirror, "personas/base.toml");
    assert!(check.iter().any(|d| d["help"] == "did you mean `tone-war`?"), "{check:?}");
    lsp.diagnostics("personas/base.toml", |d| agrees(d, &check));
    for r in [&repo, &mirror] {
        r.remove("parts/tone-war.toml");
    }
    lsp.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": 3 }] }));
    let check = checked(&mirror, "personas/base.toml");
    lsp.diagnostics("personas/base.toml", |d| agrees(d, &check));

    // Mended; then the part no persona uses stops compiling: its template
    // is checked though no persona renders it.
    edit(&mut lsp, "personas/base.toml", files[3].1, &["personas/base.toml"]);
    edit(&mut lsp, "parts/goal-spare.toml", "type = \"goal\"\nsummary = \"Spare {{ customer \"\n", &["parts/goal-spare.toml"]);
    // It compiles, but with a variable no persona defines; a child takes it
    // up (the error is the child's render), then drops it again.
    edit(&mut lsp, "parts/goal-spare.toml", "type = \"goal\"\nsummary = \"Spare {{ order }}.\"\n", &["parts/goal-spare.toml"]);
    let kid = "version = \"1.0.0\"\nextends = \"base\"\nsummary = \"A.\"\nparts = [\"goal-spare\"]\n";
    edit(&mut lsp, "personas/kid-a.toml", kid, &["parts/goal-spare.toml"]);
    assert!(checked(&mirror, "parts/goal-spare.toml").iter().any(|d| d["code"] == "E0301"));
    edit(&mut lsp, "personas/kid-a.toml", files[4].1, &["parts/goal-spare.toml"]);
    // Mended (still unused: the same warning), then used: no diagnostic.
    edit(&mut lsp, "parts/goal-spare.toml", files[2].1, &[]);
    edit(&mut lsp, "personas/kid-a.toml", kid, &["parts/goal-spare.toml"]);
    assert!(checked(&mirror, "parts/goal-spare.toml").is_empty());
    lsp.shutdown();
}
