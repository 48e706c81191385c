//! A line-level gate in front of the MCP SDK: every line a client sends is
//! checked as a JSON-RPC 2.0 envelope before the SDK sees it. A line the SDK
//! can take is passed on; any other gets the answer JSON-RPC 2.0 prescribes,
//! here: -32700 for what is not JSON, -32600 for a bad envelope, -32602 for
//! a known method with bad params, each carrying the request's `id` (or
//! `null` when it cannot be read). A notification is never answered.
//!
//! Answers and the SDK's own output go to stdout through one writer, a whole
//! line at a time, so they never interleave.

use std::sync::Arc;

use rmcp::model::ClientJsonRpcMessage;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;

/// What to do with one line from the client.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// The SDK can take it.
    Pass,
    /// Answer it with this error, and do not pass it on.
    Answer(Value),
    /// Drop it silently (a notification or a response the SDK cannot read).
    Drop,
}

fn error(id: Value, code: i64, message: String) -> Verdict {
    Verdict::Answer(json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }))
}

/// Checks one line.
pub fn check(line: &[u8]) -> Verdict {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Drop;
    }
    if serde_json::from_slice::<ClientJsonRpcMessage>(line).is_ok() {
        return Verdict::Pass;
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => return error(Value::Null, PARSE_ERROR, format!("Parse error: not valid JSON ({e})")),
    };
    let Value::Object(message) = value else {
        let what = match value {
            Value::Array(_) => "a batch (an array); send one JSON-RPC object per line",
            _ => "not a JSON-RPC object",
        };
        return error(Value::Null, INVALID_REQUEST, format!("Invalid Request: {what}"));
    };
    let id = match message.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) if id.as_f64().is_none_or(|f| f.fract() == 0.0) => Some(id.clone()),
        Some(_) => {
            return error(Value::Null, INVALID_REQUEST, "Invalid Request: `id` must be a string or an integer".into());
        }
        None => None,
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if message.get("jsonrpc") != Some(&json!("2.0")) {
        return error(answer_id, INVALID_REQUEST, "Invalid Request: `jsonrpc` must be \"2.0\"".into());
    }
    let is_response = message.contains_key("result") || message.contains_key("error");
    let method = match message.get("method") {
        Some(Value::String(m)) => Some(m.as_str()),
        Some(_) => return error(answer_id, INVALID_REQUEST, "Invalid Request: `method` must be a string".into()),
        None if is_response => return Verdict::Drop,
        None => return error(answer_id, INVALID_REQUEST, "Invalid Request: no `method`".into()),
    };
    match message.get("params") {
        None | Some(Value::Object(_)) => {}
        Some(_) => return error(answer_id, INVALID_REQUEST, "Invalid Request: `params` must be an object".into()),
    }
    match (id, method) {
        // A notification the SDK does not know is ignored, as JSON-RPC says.
        (None, _) => Verdict::Drop,
        (Some(id), Some(method)) => {
            let detail = serde_json::from_slice::<ClientJsonRpcMessage>(line).err().map(|e| e.to_string()).unwrap_or_default();
            error(id, INVALID_PARAMS, format!("Invalid params for `{method}`: {detail}"))
        }
        (Some(id), None) => error(id, INVALID_REQUEST, "Invalid Request".into()),
    }
}

/// Writes whole lines to stdout, for the gate and the SDK alike.
pub type Out = Arc<Mutex<tokio::io::Stdout>>;

async fn write_line(out: &Out, line: &[u8]) {
    let mut out = out.lock().await;
    let _ = out.write_all(line).await;
    if !line.ends_with(b"\n") {
        let _ = out.write_all(b"\n").await;
    }
    let _ = out.flush().await;
}

/// Reads the client's lines from stdin: passes to `sdk` what it can take,
/// answers the rest on `out`. Returns at the end of input, which closes the
/// SDK's side too.
pub async fn gate(mut sdk: impl AsyncWrite + Unpin, out: Out) {
    let mut stdin = BufReader::new(tokio::io::stdin());
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        match check(&line) {
            Verdict::Pass => {
                if !line.ends_with(b"\n") {
                    line.push(b'\n');
                }
                if sdk.write_all(&line).await.is_err() || sdk.flush().await.is_err() {
                    return;
                }
            }
            Verdict::Answer(answer) => write_line(&out, answer.to_string().as_bytes()).await,
            Verdict::Drop => {}
        }
    }
}

/// Copies the SDK's output to `out`, a line at a time, until it ends.
pub async fn relay(sdk: impl tokio::io::AsyncRead + Unpin, out: Out) {
    let mut reader = BufReader::new(sdk);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => write_line(&out, &line).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(line: &str) -> (Value, i64) {
        match check(line.as_bytes()) {
            Verdict::Answer(a) => (a["id"].clone(), a["error"]["code"].as_i64().unwrap()),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn bad_envelopes_get_an_error_with_their_id() {
        assert_eq!(answer("not json"), (Value::Null, PARSE_ERROR));
        assert_eq!(answer("{"), (Value::Null, PARSE_ERROR));
        assert_eq!(answer("[]"), (Value::Null, INVALID_REQUEST));
        assert_eq!(answer("42"), (Value::Null, INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":7,"method":12345}"#), (json!(7), INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":"x"}"#), (json!("a"), INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":8,"method":"tools/list","params":[1]}"#), (json!(8), INVALID_REQUEST));
        assert_eq!(answer(r#"{"id":9,"method":"tools/list"}"#), (json!(9), INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"1.0","id":10,"method":"tools/list"}"#), (json!(10), INVALID_REQUEST));
        assert_eq!(answer(r#"{"jsonrpc":"2.0","id":[1],"method":"tools/list"}"#), (Value::Null, INVALID_REQUEST));
        // The SDK reads this one, and answers it itself.
        assert_eq!(check(br#"{"jsonrpc":"2.0","id":11,"method":"tools/call"}"#), Verdict::Pass);
        assert_eq!(check(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#), Verdict::Pass);
        assert_eq!(check(br#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#), Verdict::Pass);
        assert_eq!(
            check(br#"{"method":"notifications/whatever","params":"x"}"#),
            Verdict::Answer(json!({
                "jsonrpc": "2.0", "id": null, "error": { "code": INVALID_REQUEST, "message": "Invalid Request: `jsonrpc` must be \"2.0\"" }
            }))
        );
        assert_eq!(check(b"   \n"), Verdict::Drop);
    }
}
