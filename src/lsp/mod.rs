//! `personac lsp`: a language server over stdio, for authors in an editor.
//!
//! One thread reads the client's messages (framed JSON-RPC) and hands them,
//! in order, to the one loop that handles them: a change is applied before
//! anything after it is looked at (a server that handles messages
//! concurrently can apply `didChange` out of order). Open buffers overlay
//! the repository read from disk; every answer comes from the same pipeline
//! as `check` (the snapshot, the project, the compile, the lints), and
//! rename's edits come from the edit room. The server writes nothing to
//! disk: a rename is a workspace edit the editor applies. Nothing a client
//! sends ends it but `exit` or a closed input: a malformed message gets an
//! error answer, a panic in one handler an internal error for that request.

mod actions;
mod complete;
mod context;
mod diagnostics;
mod hover;
mod names;
mod navigate;
mod symbols;
mod text;
mod transport;
mod workspace;

use std::path::PathBuf;
use std::sync::mpsc::{self, TryRecvError};

use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification as note, request as req};
use serde_json::{Value, json};

use transport::Incoming;
use workspace::{Doc, Workspace};

/// Serves the repository at `root` until the client says `exit` or closes
/// the connection.
pub fn run(root: PathBuf) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || transport::read(std::io::stdin().lock(), tx));
    let mut server = Server { ws: Workspace::new(root), initialized: false, out: transport::Out::stdout(), published: Default::default() };
    loop {
        let incoming = match rx.try_recv() {
            Ok(incoming) => incoming,
            // Nothing more queued: publish what the changes so far changed.
            Err(TryRecvError::Empty) => {
                server.publish();
                match rx.recv() {
                    Ok(incoming) => incoming,
                    Err(_) => return Ok(()),
                }
            }
            Err(TryRecvError::Disconnected) => return Ok(()),
        };
        match incoming {
            Incoming::Message(Message::Request(request)) => server.request(request),
            Incoming::Message(Message::Notification(n)) if n.method == note::Exit::METHOD => {
                return Ok(());
            }
            Incoming::Message(Message::Notification(n)) => {
                let method = n.method.clone();
                if crate::guard::catch(|| server.notification(n)).is_err() {
                    eprintln!("personac lsp: an internal error while handling `{method}`");
                }
            }
            Incoming::Message(Message::Response(_)) => {}
            Incoming::Malformed(why) => server.out.raw(&json!({
                "jsonrpc": "2.0", "id": null, "error": { "code": ErrorCode::ParseError as i32, "message": why }
            })),
        }
    }
}

struct Server {
    ws: Workspace,
    initialized: bool,
    out: transport::Out,
    /// What each open document was last sent, to send only changes.
    published: std::collections::BTreeMap<String, Vec<lsp_types::Diagnostic>>,
}

/// A handler's failure: the error code and message answered.
type Failed = (ErrorCode, String);

fn invalid(e: serde_json::Error) -> Failed {
    (ErrorCode::InvalidParams, format!("invalid params: {e}"))
}

impl Server {
    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let answer = if method == req::Initialize::METHOD {
            self.initialized = true;
            Ok(json!({ "capabilities": capabilities(), "serverInfo": { "name": "personac", "version": env!("CARGO_PKG_VERSION") } }))
        } else if !self.initialized {
            Err((ErrorCode::ServerNotInitialized, "the server is not initialized".to_string()))
        } else if method == req::Shutdown::METHOD {
            Ok(Value::Null)
        } else {
            match crate::guard::catch(|| self.answer(&method, params)) {
                Ok(answer) => answer,
                Err(panic) => Err((ErrorCode::InternalError, format!("internal error: {panic}"))),
            }
        };
        let response = match answer {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.out.message(Message::Response(response));
    }

    fn answer(&mut self, method: &str, params: Value) -> Result<Value, Failed> {
        fn to_value<T: serde::Serialize>(value: T) -> Result<Value, Failed> {
            serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
        }
        let ws = &mut self.ws;
        match method {
            req::Completion::METHOD => to_value(complete::completion(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::GotoDefinition::METHOD => to_value(navigate::definition(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::References::METHOD => to_value(navigate::references(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::PrepareRenameRequest::METHOD => to_value(navigate::prepare_rename(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::Rename::METHOD => {
                to_value(navigate::rename(ws, serde_json::from_value(params).map_err(invalid)?).map_err(|m| (ErrorCode::RequestFailed, m))?)
            }
            req::HoverRequest::METHOD => to_value(hover::hover(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::CodeActionRequest::METHOD => to_value(actions::actions(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::DocumentSymbolRequest::METHOD => to_value(symbols::document(ws, serde_json::from_value(params).map_err(invalid)?)),
            req::WorkspaceSymbolRequest::METHOD => to_value(symbols::workspace(ws, serde_json::from_value(params).map_err(invalid)?)),
            _ => Err((ErrorCode::MethodNotFound, format!("unknown method `{method}`"))),
        }
    }

    fn notification(&mut self, n: Notification) {
        let root = self.ws.root.clone();
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = text::repo_path(&root, &p.text_document.uri)
                {
                    let doc = Doc { uri: p.text_document.uri, version: p.text_document.version, text: p.text_document.text };
                    self.ws.set(path, doc);
                }
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params) else { return };
                let Some(path) = text::repo_path(&root, &p.text_document.uri) else { return };
                let Some(doc) = self.ws.open.get(&path) else { return };
                let mut new_text = doc.text.clone();
                for change in p.content_changes {
                    match change.range {
                        Some(range) => {
                            let start = text::offset(&new_text, range.start);
                            let end = text::offset(&new_text, range.end).max(start);
                            new_text.replace_range(start..end, &change.text);
                        }
                        None => new_text = change.text,
                    }
                }
                let doc = Doc { uri: p.text_document.uri, version: p.text_document.version, text: new_text };
                self.ws.set(path, doc);
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = text::repo_path(&root, &p.text_document.uri)
                    && self.ws.close(&path).is_some()
                {
                    // Its diagnostics leave with it.
                    self.published.remove(&path);
                    self.send_diagnostics(p.text_document.uri, Vec::new(), None);
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = text::repo_path(&root, &p.text_document.uri)
                {
                    self.ws.disk_changed(&[path]);
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(n.params) {
                    let paths: Vec<String> = p.changes.iter().filter_map(|c| text::repo_path(&root, &c.uri)).collect();
                    self.ws.disk_changed(&paths);
                }
            }
            _ => {}
        }
    }

    /// Sends each open document the diagnostics that changed since last sent.
    fn publish(&mut self) {
        if self.ws.open.is_empty() {
            return;
        }
        let fresh = match crate::guard::catch(|| diagnostics::by_document(&mut self.ws)) {
            Ok(fresh) => fresh,
            Err(panic) => {
                eprintln!("personac lsp: an internal error while checking: {panic}");
                return;
            }
        };
        for (path, uri, version, diags) in fresh {
            if self.published.get(&path) != Some(&diags) {
                self.published.insert(path, diags.clone());
                self.send_diagnostics(uri, diags, Some(version));
            }
        }
    }

    fn send_diagnostics(&mut self, uri: lsp_types::Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = lsp_types::PublishDiagnosticsParams { uri, diagnostics, version };
        self.out.message(Message::Notification(Notification::new(note::PublishDiagnostics::METHOD.to_string(), params)));
    }
}

fn capabilities() -> lsp_types::ServerCapabilities {
    use lsp_types::*;
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["\"", "'", " ", "{", "=", ":", "-"].map(String::from).to_vec()),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}
