//! `personac lsp`: the real binary spoken to over stdio, as an editor does,
//! on repositories in temp dirs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Repo, tree};

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
