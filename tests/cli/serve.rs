//! `personac serve` with a real MCP client (rmcp's), and raw protocol abuse.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ServiceExt, transport::ConfigureCommandExt};
use serde_json::{Value, json};

use crate::support::Repo;

fn repo() -> Repo {
    Repo::minimal()
        .file("parts/goal-help.toml", "type = \"goal\"\nsummary = \"Help.\"\ncontent = \"Help with {{ topic }}.\"\n")
        .file("parts/tone-spoken.toml", "type = \"tone\"\nsummary = \"Spoken.\"\n")
        .file("traits/calm.yaml", "type: emotional\ndescription: Calm.\ntags: [support]\n")
        .file("skills/lookup.yaml", "description: Looks things up.\n")
        .file("guardrails/no-pii.yaml", "description: No PII.\nseverity: critical\ncontent: Never share personal data.\n")
        .file("arcs/journey.toml", "[[stages]]\nname = \"call\"\ncondition = \"It starts.\"\n\n[[stages]]\nname = \"trial\"\nparts = [\"goal-help\"]\n")
        .file(
            "personas/maya.toml",
            "# Maya.\nversion = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-help\"]\ntraits = [\"calm\"]\nruntime_vars = [\"topic\"]\n\n[channels.voice]\noverrides = { tone = \"tone-spoken\" }\n",
        )
}

async fn client(repo: &Repo, write: bool) -> RunningService<RoleClient, ()> {
    let dir = repo.path().to_path_buf();
    let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_personac")).configure(|c| {
        c.arg("-C").arg(&dir).arg("serve");
        if write {
            c.arg("--allow-write");
        }
    });
    ().serve(TokioChildProcess::new(cmd).unwrap()).await.expect("connect")
}

async fn call(client: &RunningService<RoleClient, ()>, tool: &str, args: Value) -> (bool, Value) {
    let params = CallToolRequestParams::new(tool.to_string()).with_arguments(args.as_object().unwrap().clone());
    let result = client.call_tool(params).await.expect("call");
    let text = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
    let value = result.structured_content.clone().unwrap_or(Value::String(text));
    (result.is_error == Some(true), value)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn read_tools_answer_from_the_repository() {
    let repo = repo();
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let tools = client.list_all_tools().await.unwrap();
        let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "compile_persona",
                "get_agent_guardrail",
                "get_agent_part",
                "get_agent_persona",
                "get_agent_skill",
                "get_agent_trait",
                "get_persona_manifest",
                "list_agent_parts",
                "list_agent_personas",
                "list_agent_traits",
                "list_character_arcs"
            ]
        );
        // Every tool has a schema for its arguments and says when to use it.
        for tool in &tools {
            assert_eq!(tool.input_schema.get("type"), Some(&json!("object")), "{}", tool.name);
            assert!(tool.description.as_ref().is_some_and(|d| d.len() > 20), "{}", tool.name);
        }

        let (err, manifest) = call(&client, "get_persona_manifest", json!({ "name": "maya" })).await;
        assert!(!err);
        assert_eq!(manifest["parts"][1], json!({ "name": "goal-help", "type": "goal", "description": "Help." }));
        assert!(manifest["on_demand_tools"]["get_agent_part"].is_string());

        let (_, summary) = call(&client, "get_agent_persona", json!({ "name": "maya" })).await;
        assert_eq!(summary["view"], "summary");
        let (_, detail) = call(
            &client,
            "get_agent_persona",
            json!({ "name": "maya", "detail": true, "channel": "voice", "vars": { "topic": "orders" }, "types": ["tone", "goal"] }),
        )
        .await;
        assert_eq!(
            detail["parts"],
            json!([
                { "name": "tone-spoken", "type": "tone", "order": 0, "priority": 0, "layer": "channel:voice" },
                { "name": "goal-help", "type": "goal", "order": 0, "priority": 0, "layer": "own" },
            ])
        );
        assert!(detail["text"].as_str().unwrap().contains("Help with orders."), "{detail}");
        let (_, overridden) = call(&client, "get_agent_persona", json!({ "name": "maya", "overrides": { "tone": "tone-spoken" } })).await;
        assert_eq!(overridden["parts"][0]["name"], "tone-spoken");
        let (_, runtime_var) = call(&client, "get_agent_persona", json!({ "name": "maya", "detail": true })).await;
        assert!(runtime_var["text"].as_str().unwrap().contains("Help with {{ topic }}."));

        let (_, rule) = call(&client, "get_agent_guardrail", json!({ "name": "no-pii" })).await;
        assert_eq!((rule["severity"].as_str(), rule["content"].as_str()), (Some("critical"), Some("Never share personal data.")));
        let (_, compiled) = call(&client, "compile_persona", json!({ "name": "maya" })).await;
        assert!(compiled["detail"]["tokens"].as_u64().unwrap() > compiled["summary"]["tokens"].as_u64().unwrap() / 2);
        let (_, parts) = call(&client, "list_agent_parts", json!({ "part_type": "tone" })).await;
        assert_eq!(parts["items"].as_array().unwrap().len(), 2);
        let (_, traits) = call(&client, "list_agent_traits", json!({ "tags": ["support"] })).await;
        assert_eq!(traits["items"][0]["name"], "calm");
        let (_, arcs) = call(&client, "list_character_arcs", json!({})).await;
        assert_eq!(arcs["arcs"][0]["stages"][1]["parts"], json!(["goal-help"]));

        // Bad requests are error results that say why.
        let (err, msg) = call(&client, "get_agent_part", json!({ "name": "tone-wrm" })).await;
        assert!(err && msg.as_str().unwrap().contains("did you mean `tone-warm`?"), "{msg}");
        let (err, msg) = call(&client, "get_agent_persona", json!({ "name": "maya", "stage": "x" })).await;
        assert!(err && msg.as_str().unwrap().contains("has no arc"), "{msg}");
        // A write tool is not offered without --allow-write.
        let params = CallToolRequestParams::new("add_persona_trait")
            .with_arguments(json!({ "persona": "maya", "trait": "calm" }).as_object().unwrap().clone());
        assert!(client.call_tool(params).await.is_err());
        client.cancel().await.unwrap();
    });
}

/// `annotate: true` answers each line of the view with its source, the same
/// records `show --annotate --format json` prints, for every view a request
/// may pick; without it, no `lines`.
#[test]
fn get_agent_persona_annotates_as_show_does() {
    let repo = repo();
    let show = |args: &[&str]| -> Value {
        let mut all = vec!["show", "maya", "--annotate", "--format", "json"];
        all.extend(args);
        serde_json::from_str(&repo.run(&all).success().stdout).unwrap()
    };
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let cases = [
            (json!({ "name": "maya", "annotate": true }), show(&["--view", "summary"])),
            (json!({ "name": "maya", "annotate": true, "detail": true }), show(&[])),
            (json!({ "name": "maya", "annotate": true, "detail": true, "channel": "voice" }), show(&["--channel", "voice"])),
        ];
        for (args, cli) in cases {
            let (err, answer) = call(&client, "get_agent_persona", args.clone()).await;
            assert!(!err, "{answer}");
            assert!(cli["lines"].as_array().is_some_and(|l| !l.is_empty()), "{cli}");
            assert_eq!(answer["lines"], cli["lines"], "{args}");
            assert_eq!(answer["text"], cli["text"], "{args}");
        }
        // A line of a part points at the part's file and line.
        let (_, detail) = call(&client, "get_agent_persona", json!({ "name": "maya", "annotate": true, "detail": true })).await;
        let goal = detail["lines"].as_array().unwrap().iter().find(|l| l["text"] == "Help with {{ topic }}.").unwrap();
        assert_eq!(
            (goal["file"].as_str(), goal["line"].as_u64(), goal["kind"].as_str()),
            (Some("parts/goal-help.toml"), Some(3), Some("part"))
        );
        let (_, plain) = call(&client, "get_agent_persona", json!({ "name": "maya", "detail": true })).await;
        assert!(plain.get("lines").is_none(), "{plain}");
        let schema = client.list_all_tools().await.unwrap().into_iter().find(|t| t.name == "get_agent_persona").unwrap().input_schema;
        assert_eq!(schema["properties"]["annotate"]["type"], "boolean", "{schema:?}");
        client.cancel().await.unwrap();
    });
}

#[test]
fn write_tools_edit_files_like_the_authoring_commands() {
    let repo = repo();
    runtime().block_on(async {
        let client = client(&repo, true).await;
        assert_eq!(client.list_all_tools().await.unwrap().len(), 35);

        let (err, done) = call(&client, "add_persona_skill", json!({ "persona": "maya", "skill": "lookup" })).await;
        assert!(!err, "{done}");
        assert_eq!(done["done"], "maya: link skill lookup");
        let maya = repo.read("personas/maya.toml");
        assert!(maya.starts_with("# Maya.\n") && maya.contains("skills = [\"lookup\"]"), "{maya}");
        call(&client, "add_persona_guardrail", json!({ "persona": "maya", "guardrail": "no-pii" })).await;
        let (_, manifest) = call(&client, "get_persona_manifest", json!({ "name": "maya" })).await;
        assert_eq!(manifest["guardrails"], json!(["no-pii"]), "the server sees its own edits");

        // A refused write changes nothing and says why.
        let before = repo.read("personas/maya.toml");
        let (err, why) = call(&client, "add_persona_part", json!({ "persona": "maya", "part": "nope" })).await;
        assert!(err);
        assert_eq!(why["diagnostics"][0]["message"], "unknown part `nope`");
        assert_eq!(repo.read("personas/maya.toml"), before);
        let (err, _) = call(&client, "delete_agent_part", json!({ "name": "goal-help" })).await;
        assert!(err, "a part in use cannot be deleted");
        assert!(repo.exists("parts/goal-help.toml"));

        // Create, update and delete.
        let (err, r) = call(
            &client,
            "create_agent_part",
            json!({ "name": "tone-brisk", "part_type": "tone", "summary": "Brisk.", "content": "Be brief." }),
        )
        .await;
        assert!(!err, "{r}");
        call(&client, "update_agent_part", json!({ "name": "tone-brisk", "content": "Be very brief." })).await;
        assert_eq!(repo.read("parts/tone-brisk.md"), "+++\ntype = \"tone\"\nsummary = \"Brisk.\"\n+++\nBe very brief.\n");
        let (err, r) = call(&client, "create_agent_trait", json!({ "name": "bold", "trait_type": "social", "description": "Bold." })).await;
        assert!(!err, "{r}");
        call(&client, "update_agent_trait", json!({ "name": "calm", "description": "Very calm." })).await;
        assert_eq!(repo.read("traits/calm.yaml"), "type: emotional\ndescription: \"Very calm.\"\ntags: [support]\n");
        let (err, r) = call(&client, "create_agent_persona", json!({ "name": "zed", "summary": "Zed.", "detail": "You are Zed." })).await;
        assert!(!err, "{r}");
        call(&client, "update_agent_persona", json!({ "name": "zed", "version": "0.2.0" })).await;
        assert!(repo.read("personas/zed.md").contains("version = \"0.2.0\""));
        let (err, _) = call(&client, "delete_agent_persona", json!({ "name": "zed" })).await;
        assert!(!err);
        assert!(!repo.exists("personas/zed.md"));
        call(&client, "delete_agent_trait", json!({ "name": "bold" })).await;
        assert!(!repo.exists("traits/bold.md"));

        // Arcs.
        let (err, r) = call(&client, "create_character_arc", json!({ "name": "saga", "stages": [{ "name": "start" }] })).await;
        assert!(!err, "{r}");
        call(&client, "add_arc_stage", json!({ "name": "saga", "stage": "end", "condition": "It ends." })).await;
        call(&client, "add_stage_part", json!({ "name": "saga", "stage": "end", "part": "goal-help" })).await;
        let (_, arc) = call(&client, "list_character_arcs", json!({})).await;
        let saga = arc["arcs"].as_array().unwrap().iter().find(|a| a["name"] == "saga").unwrap().clone();
        assert_eq!(saga["stages"][1], json!({ "name": "end", "description": null, "condition": "It ends.", "parts": ["goal-help"] }));
        call(&client, "remove_stage_part", json!({ "name": "saga", "stage": "end", "part": "goal-help" })).await;
        let (err, _) = call(&client, "assign_persona_arc", json!({ "persona": "maya", "arc": "journey" })).await;
        assert!(!err);
        let (err, _) = call(&client, "advance_persona_stage", json!({ "persona": "maya" })).await;
        assert!(!err);
        assert!(repo.read("personas/maya.toml").contains("arc = { name = \"journey\", stage = \"trial\" }"));
        let (err, why) = call(&client, "advance_persona_stage", json!({ "persona": "maya" })).await;
        assert!(err && why.as_str().unwrap().contains("already at the last stage"), "{why}");
        call(&client, "reset_persona_stage", json!({ "persona": "maya" })).await;
        assert!(repo.read("personas/maya.toml").contains("arc = { name = \"journey\" }"));
        call(&client, "remove_persona_skill", json!({ "persona": "maya", "skill": "lookup" })).await;
        call(&client, "remove_persona_guardrail", json!({ "persona": "maya", "guardrail": "no-pii" })).await;
        call(&client, "remove_persona_trait", json!({ "persona": "maya", "trait": "calm" })).await;
        call(&client, "add_persona_trait", json!({ "persona": "maya", "trait": "calm" })).await;
        call(&client, "add_persona_part", json!({ "persona": "maya", "part": "tone-brisk", "order": 5 })).await;
        call(&client, "remove_persona_part", json!({ "persona": "maya", "part": "tone-brisk" })).await;
        repo.run(&["check"]).success();
        client.cancel().await.unwrap();
    });
}

#[test]
fn the_server_reloads_when_files_change() {
    let repo = repo();
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let (_, before) = call(&client, "get_agent_part", json!({ "name": "tone-warm" })).await;
        assert_eq!(before["content"], "Be warm.");
        repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warmer.\n");
        let mut seen = String::new();
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (_, now) = call(&client, "get_agent_part", json!({ "name": "tone-warm" })).await;
            seen = now["content"].as_str().unwrap_or_default().to_string();
            if seen == "Be warmer." {
                break;
            }
        }
        assert_eq!(seen, "Be warmer.");
        // A new file, in a new sub-folder: only the changed paths are read
        // again, and they include it.
        repo.write("parts/new/tone-cool.md", "+++\ntype = \"tone\"\nsummary = \"Cool.\"\n+++\nBe cool.\n");
        let mut found = Value::Null;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (err, now) = call(&client, "get_agent_part", json!({ "name": "tone-cool" })).await;
            if !err {
                found = now;
                break;
            }
        }
        assert_eq!(found["content"], "Be cool.");
        let (_, still) = call(&client, "get_agent_part", json!({ "name": "tone-warm" })).await;
        assert_eq!(still["content"], "Be warmer.");
        client.cancel().await.unwrap();
    });
}

/// Speaks raw JSON-RPC lines to a server process.
struct Raw {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Raw {
    fn start(repo: &Repo) -> Raw {
        let mut child = Command::new(env!("CARGO_BIN_EXE_personac"))
            .arg("-C")
            .arg(repo.path())
            .args(["serve", "--allow-write"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut raw = Raw { child, stdin, stdout };
        raw.send(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}).to_string());
        assert_eq!(raw.recv()["id"], 0);
        raw.send(&json!({"jsonrpc":"2.0","method":"notifications/initialized"}).to_string());
        raw
    }

    fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line:?}"))
    }

    /// A valid call still gets its answer: the server is alive and in sync.
    fn still_serves(&mut self, id: u64) {
        self.send(
            &json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":"get_agent_part","arguments":{"name":"tone-warm"}}})
                .to_string(),
        );
        loop {
            let answer = self.recv();
            if answer["id"] == id {
                assert_eq!(answer["result"]["structuredContent"]["name"], "tone-warm", "{answer}");
                return;
            }
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn malformed_requests_never_end_the_server() {
    let repo = repo();
    let before = repo.tree("");
    let mut raw = Raw::start(&repo);
    let mut malformed: Vec<String> = vec![
        "not json".into(),
        "{".into(),
        "[]".into(),
        "null".into(),
        "42".into(),
        "\"a string\"".into(),
        "{}".into(),
        json!({"jsonrpc":"2.0"}).to_string(),
        json!({"jsonrpc":"1.0","id":1,"method":"tools/list"}).to_string(),
        json!({"jsonrpc":"2.0","id":1,"method":"no/such/method"}).to_string(),
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call"}).to_string(),
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}).to_string(),
        json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}).to_string(),
        json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_agent_part","arguments":{}}}).to_string(),
        json!({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"get_agent_part","arguments":{"name":42}}}).to_string(),
        json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_agent_part","arguments":"name"}}).to_string(),
        json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get_agent_persona","arguments":{"name":"maya","limit":-1}}}).to_string(),
        json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add_persona_part","arguments":{"persona":"maya","part":"../../etc/passwd"}}}).to_string(),
        json!({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"create_agent_part","arguments":{"name":"../escape","part_type":"tone","summary":"x"}}}).to_string(),
        json!({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get_agent_persona","arguments":{"name":"maya","overrides":{"tone":"goal-help"}}}}).to_string(),
        json!({"jsonrpc":"2.0","id":[1],"method":"tools/list"}).to_string(),
        json!({"jsonrpc":"2.0","id":12,"method":"tools/list","params":"x"}).to_string(),
        "\u{0}\u{1}\u{2}".into(),
        "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\",\"params\":{\"name\":\"get_agent_part\",\"arguments\":{\"name\":\"\u{fffd}\"}}}".into(),
    ];
    // Fill up to a hundred with truncated copies of a valid request.
    let valid = json!({"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"get_agent_part","arguments":{"name":"tone-warm"}}})
        .to_string();
    let mut cut = 1;
    while malformed.len() < 100 {
        malformed.push(valid[..cut.min(valid.len() - 1)].to_string());
        cut += 3;
    }
    for line in &malformed {
        raw.send(line);
    }
    raw.still_serves(1000);
    // One message of 10 MB.
    let big = json!({"jsonrpc":"2.0","id":1001,"method":"tools/call","params":{"name":"get_agent_part","arguments":{"name":"x".repeat(10 * 1024 * 1024)}}}).to_string();
    raw.send(&big);
    raw.still_serves(1002);
    assert!(raw.child.try_wait().unwrap().is_none(), "the server exited");
    // Nothing was written by any of it.
    drop(raw);
    assert_eq!(repo.tree(""), before);
}

/// JSON-RPC 2.0: every request that cannot be taken gets an error carrying
/// its id (null when it cannot be read); an unparseable line gets -32700.
#[test]
fn bad_envelopes_are_answered_with_their_id() {
    let repo = repo();
    let mut raw = Raw::start(&repo);
    let cases: Vec<(String, Value, i64)> = vec![
        ("not json".into(), Value::Null, -32700),
        ("{\"jsonrpc\":".into(), Value::Null, -32700),
        ("[1, 2]".into(), Value::Null, -32600),
        (json!({"jsonrpc":"2.0","id":21,"method":12345}).to_string(), json!(21), -32600),
        (json!({"jsonrpc":"2.0","id":22,"method":"tools/list","params":"x"}).to_string(), json!(22), -32600),
        (json!({"jsonrpc":"2.0","id":"s23","method":"tools/list","params":[1]}).to_string(), json!("s23"), -32600),
        (json!({"id":24,"method":"tools/list"}).to_string(), json!(24), -32600),
        (json!({"jsonrpc":"1.0","id":25,"method":"tools/list"}).to_string(), json!(25), -32600),
        (json!({"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}).to_string(), Value::Null, -32600),
        (json!({"jsonrpc":"2.0","id":26,"method":"no/such/method"}).to_string(), json!(26), -32601),
    ];
    for (line, id, code) in cases {
        raw.send(&line);
        let answer = raw.recv();
        assert_eq!(answer["id"], id, "{line} -> {answer}");
        assert_eq!(answer["error"]["code"], code, "{line} -> {answer}");
    }
    raw.still_serves(27);
}

/// SPEC section 7: a tool call with bad arguments is a tool result with
/// `isError: true` that names the argument; unknown arguments are refused.
#[test]
fn bad_tool_arguments_are_error_results_that_name_them() {
    let repo = repo();
    let mut raw = Raw::start(&repo);
    let cases = [
        (json!({"name": "get_agent_part", "arguments": {}}), "missing argument `name` (a string)"),
        (json!({"name": "get_agent_part", "arguments": {"name": 42}}), "argument `name` must be a string, found an integer"),
        (
            json!({"name": "get_agent_part", "arguments": {"nme": "tone-warm"}}),
            "unknown argument `nme` for tool `get_agent_part`; did you mean `name`?",
        ),
        (json!({"name": "get_agent_part", "arguments": {"name": "tone-warm", "extra": 1}}), "unknown argument `extra`"),
        (json!({"name": "get_agent_persona", "arguments": {"name": "maya", "limit": -1}}), "argument `limit` must be at least 0"),
        (json!({"name": "get_agent_part", "arguments": {"name": "tone-wram"}}), "did you mean `tone-warm`?"),
    ];
    for (i, (params, expected)) in cases.into_iter().enumerate() {
        let id = 100 + i;
        raw.send(&json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params}).to_string());
        let answer = raw.recv();
        assert_eq!(answer["id"], id, "{answer}");
        assert_eq!(answer["result"]["isError"], true, "{params} -> {answer}");
        let text = answer["result"]["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.contains(expected), "{params}: {text}");
    }
    // An unknown tool is a protocol error, with the request's id.
    raw.send(&json!({"jsonrpc":"2.0","id":200,"method":"tools/call","params":{"name":"get_agent_prt","arguments":{}}}).to_string());
    let answer = raw.recv();
    assert_eq!(answer["id"], 200);
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("did you mean `get_agent_part`?"), "{answer}");
    raw.still_serves(201);
}

/// A template that makes the engine panic answers that call with an error,
/// and the server goes on.
#[test]
fn a_failing_template_answers_its_call_with_an_error() {
    let repo = repo().file("parts/goal-help.toml", "type = \"goal\"\nsummary = \"{% for a in [1] %}{{ loop.cycle() }}{% endfor %}\"\n");
    let mut raw = Raw::start(&repo);
    raw.send(
        &json!({"jsonrpc":"2.0","id":300,"method":"tools/call","params":{"name":"get_agent_persona","arguments":{"name":"maya"}}})
            .to_string(),
    );
    let answer = raw.recv();
    assert_eq!(answer["id"], 300);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let diagnostics = answer["result"]["structuredContent"]["diagnostics"].to_string();
    assert!(diagnostics.contains("the template engine failed") && diagnostics.contains("parts/goal-help.toml"), "{answer}");
    raw.still_serves(301);
}

/// The write tools edit JSON files as the authoring commands do, keeping
/// their layout; arcs in JSON take stages and stage parts too.
#[test]
fn write_tools_keep_a_json_files_layout() {
    let repo = repo()
        .file("personas/jay.json", "{\n  \"version\": \"1.0.0\",\n  \"summary\": \"Jay.\",\n  \"traits\": [\n    \"calm\"\n  ]\n}\n")
        .file("arcs/path.json", "{\n  \"stages\": [\n    { \"name\": \"one\", \"parts\": [] }\n  ]\n}\n");
    runtime().block_on(async {
        let client = client(&repo, true).await;
        let (failed, _) = call(&client, "add_persona_skill", json!({ "persona": "jay", "skill": "lookup" })).await;
        assert!(!failed);
        assert_eq!(
            repo.read("personas/jay.json"),
            "{\n  \"version\": \"1.0.0\",\n  \"summary\": \"Jay.\",\n  \"traits\": [\n    \"calm\"\n  ],\n  \"skills\": [\"lookup\"]\n}\n"
        );
        let (failed, _) = call(&client, "add_persona_trait", json!({ "persona": "jay", "trait": "calm" })).await;
        assert!(failed, "linking twice is refused");
        let (failed, answer) = call(&client, "add_stage_part", json!({ "name": "path", "stage": "one", "part": "tone-spoken" })).await;
        assert!(!failed, "{answer}");
        assert_eq!(repo.read("arcs/path.json"), "{\n  \"stages\": [\n    { \"name\": \"one\", \"parts\": [\"tone-spoken\"] }\n  ]\n}\n");
        let (failed, answer) = call(&client, "assign_persona_arc", json!({ "persona": "jay", "arc": "path" })).await;
        assert!(!failed, "{answer}");
        assert!(repo.read("personas/jay.json").ends_with("  \"skills\": [\"lookup\"],\n  \"arc\": { \"name\": \"path\" }\n}\n"));
        client.cancel().await.unwrap();
    });
}

/// The fetch tools never answer with a raw template: texts are rendered
/// with the project's variables, or a persona's; runtime variables stay.
#[test]
fn fetch_tools_answer_rendered_text() {
    let repo = repo()
        .file("personac.toml", "[vars]\nlimit = \"$150\"\n")
        .file("guardrails/refund-limit.toml", "description = \"Refunds.\"\ncontent = \"Refunds up to {{ limit }}.\"\n");
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let (_, guardrail) = call(&client, "get_agent_guardrail", json!({ "name": "refund-limit" })).await;
        assert_eq!(guardrail["content"], "Refunds up to $150.");
        // `topic` is a runtime variable of maya: without her, it is left as
        // written and named, and the fetch does not fail.
        let (failed, answer) = call(&client, "get_agent_part", json!({ "name": "goal-help" })).await;
        assert!(!failed, "{answer}");
        assert_eq!(answer["content"], "Help with {{ topic }}.");
        assert_eq!(answer["unfilled"], json!(["topic"]));
        let (failed, part) = call(&client, "get_agent_part", json!({ "name": "goal-help", "persona": "maya" })).await;
        assert!(!failed, "{part}");
        assert_eq!(part["content"], "Help with {{ topic }}.");
        let (failed, answer) = call(&client, "get_agent_part", json!({ "name": "goal-help", "channel": "voice" })).await;
        assert!(failed && answer.to_string().contains("needs `persona`"), "{answer}");
        client.cancel().await.unwrap();
    });
}

/// Each concrete persona and each of its channels is a prompt whose
/// arguments are its runtime variables; getting one answers its detail view
/// filled from the build's record (a literal `{{ topic }}` stays literal),
/// as `show --var` prints it.
#[test]
fn personas_are_prompts() {
    let repo = repo()
        .file("parts/literal.toml", "type = \"context\"\nsummary = \"Literal.\"\ntemplate = false\ncontent = \"Type {{ topic }} as it is.\"\n")
        .file(
            "personas/ada.toml",
            "version = \"1.0.0\"\nsummary = \"Ada asks about {{ topic }}.\"\nparts = [\"literal\"]\nruntime_vars = [{ name = \"topic\", description = \"What to ask about\", default = \"cats\" }]\n",
        )
        .file("personas/base.toml", "abstract = true\nsummary = \"A base.\"\n");
    let show = repo.run(&["show", "maya", "--var", "topic=databases"]).success().stdout;
    let show_voice = repo.run(&["show", "maya", "--channel", "voice", "--var", "topic=tea"]).success().stdout;
    let show_ada = repo.run(&["show", "ada", "--var", "topic=cats"]).success().stdout;
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let prompts = client.list_all_prompts().await.unwrap();
        type Argument = (String, Option<bool>, Option<String>);
        let listed: Vec<(String, Vec<Argument>)> = prompts
            .iter()
            .map(|p| {
                let args = p.arguments.iter().flatten().map(|a| (a.name.clone(), a.required, a.description.clone())).collect();
                (p.name.clone(), args)
            })
            .collect();
        let topic =
            |required: bool, description: Option<&str>| vec![("topic".to_string(), Some(required), description.map(str::to_string))];
        assert_eq!(
            listed,
            [
                ("ada".to_string(), topic(false, Some("What to ask about"))),
                ("maya".to_string(), topic(true, None)),
                ("maya:voice".to_string(), topic(true, None)),
            ]
        );
        let get = |name: &str, args: Value| {
            let mut params = rmcp::model::GetPromptRequestParams::new(name);
            if let Some(args) = args.as_object() {
                params = params.with_arguments(args.clone());
            }
            params
        };
        let text = |r: &rmcp::model::GetPromptResult| r.messages[0].content.as_text().unwrap().text.clone();
        let maya = client.get_prompt(get("maya", json!({ "topic": "databases" }))).await.unwrap();
        assert_eq!(text(&maya).trim_end(), show.trim_end());
        assert!(text(&maya).contains("Help with databases."));
        let voice = client.get_prompt(get("maya:voice", json!({ "topic": "tea" }))).await.unwrap();
        assert_eq!(text(&voice).trim_end(), show_voice.trim_end());
        // A default fills an absent argument; a literal `{{ topic }}` stays.
        let ada = client.get_prompt(get("ada", Value::Null)).await.unwrap();
        assert_eq!(text(&ada).trim_end(), show_ada.trim_end());
        assert!(text(&ada).contains("Ada asks about cats.") && text(&ada).contains("Type {{ topic }} as it is."), "{}", text(&ada));
        let filled = client.get_prompt(get("ada", json!({ "topic": "{{ topic }}" }))).await.unwrap();
        assert!(text(&filled).contains("Ada asks about {{ topic }}."), "a filled value is never scanned again");
        // A required argument missing, an unknown one, an unknown prompt: errors.
        for (name, args, says) in [
            ("maya", Value::Null, "`topic` needs a value"),
            ("maya", json!({ "topic": "x", "topc": "y" }), "did you mean `topic`?"),
            ("mya", Value::Null, "did you mean `maya`?"),
            ("base", Value::Null, "no prompt named `base`"),
        ] {
            let err = client.get_prompt(get(name, args)).await.unwrap_err().to_string();
            assert!(err.contains(says), "{name}: {err}");
        }
        client.cancel().await.unwrap();
    });
}

/// Every tool that names a persona by `name` also takes it as `persona`.
#[test]
fn persona_tools_take_persona_as_well_as_name() {
    let repo = repo();
    runtime().block_on(async {
        let client = client(&repo, true).await;
        for tool in ["get_persona_manifest", "get_agent_persona", "compile_persona"] {
            let (by_name_failed, by_name) = call(&client, tool, json!({ "name": "maya" })).await;
            let (by_persona_failed, by_persona) = call(&client, tool, json!({ "persona": "maya" })).await;
            assert!(!by_name_failed && !by_persona_failed, "{tool}: {by_persona}");
            assert_eq!(by_name, by_persona, "{tool}");
            let (failed, said) = call(&client, tool, json!({ "name": "maya", "persona": "sam" })).await;
            assert!(failed && said.to_string().contains("the same argument"), "{tool}: {said}");
            let (failed, said) = call(&client, tool, json!({})).await;
            assert!(failed && said.to_string().contains("missing argument `persona`"), "{tool}: {said}");
        }
        let (failed, said) = call(&client, "update_agent_persona", json!({ "persona": "maya", "summary": "Maya helps a lot." })).await;
        assert!(!failed, "{said}");
        assert!(repo.read("personas/maya.toml").contains("Maya helps a lot."));
        let tools = client.list_all_tools().await.unwrap();
        for tool in tools.iter().filter(|t| {
            ["get_persona_manifest", "get_agent_persona", "compile_persona", "update_agent_persona", "delete_agent_persona"]
                .contains(&t.name.as_ref())
        }) {
            let properties = tool.input_schema["properties"].as_object().unwrap();
            let doc = properties["persona"]["description"].as_str().unwrap();
            assert!(doc.contains("the same argument as `name`"), "{}: {doc}", tool.name);
        }
        client.cancel().await.unwrap();
    });
}

#[test]
fn get_agent_skill_serves_an_agent_skills_reference_by_file() {
    let repo = Repo::minimal()
        .file("skills/pdf-forms/SKILL.md", "---\nname: pdf-forms\ndescription: Fill PDF forms.\n---\nRead `references/fields.md` first.\n")
        .file("skills/pdf-forms/references/fields.md", "# Fields\n\nAs {{written}}.\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nskills = [\"pdf-forms\"]\n");
    runtime().block_on(async {
        let client = client(&repo, false).await;
        let (err, skill) = call(&client, "get_agent_skill", json!({ "name": "pdf-forms" })).await;
        assert!(!err, "{skill}");
        assert_eq!(skill["content"], "Read `references/fields.md` first.");
        assert_eq!(skill["agent_skills"]["references"], json!(["references/fields.md"]));
        let (err, reference) = call(&client, "get_agent_skill", json!({ "name": "pdf-forms", "file": "references/fields.md" })).await;
        assert!(!err, "{reference}");
        assert_eq!(reference, json!({ "skill": "pdf-forms", "file": "references/fields.md", "text": "# Fields\n\nAs {{written}}.\n" }));
        let (err, missing) = call(&client, "get_agent_skill", json!({ "name": "pdf-forms", "file": "references/nope.md" })).await;
        assert!(err);
        assert!(missing.to_string().contains("its references: references/fields.md"), "{missing}");
        client.cancel().await.unwrap();
    });
}
