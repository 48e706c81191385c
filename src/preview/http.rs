//! The preview's HTTP server (hyper, HTTP/1.1, on tokio): the page's
//! static assets, its JSON API and its event stream, on 127.0.0.1 only,
//! answering nothing whose `Host` or `Origin` is not this server's own
//! (a DNS rebinding attack names another host).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderMap, HeaderValue, ORIGIN};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::api::{self, ViewError, ViewQuery};
use super::compare::{self, DiffError};
use super::state::State;

type Reply = Response<BoxBody<Bytes, Infallible>>;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// Accepts connections until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    loop {
        let (stream, _) = listener.accept().await?;
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, port, req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

/// Whether a request names this server: `Host` is `127.0.0.1:PORT` or
/// `localhost:PORT`, and `Origin`, when sent, is the same with `http://`.
pub fn local(headers: &HeaderMap, port: u16) -> bool {
    let ours = |host: &str| host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}");
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).is_some_and(ours);
    let origin = match headers.get(ORIGIN) {
        None => true,
        Some(o) => o.to_str().ok().and_then(|o| o.strip_prefix("http://")).is_some_and(ours),
    };
    host && origin
}

async fn handle(state: &Arc<State>, port: u16, req: Request<Incoming>) -> Reply {
    if !local(req.headers(), port) {
        return text(StatusCode::FORBIDDEN, "forbidden: the preview answers only requests to 127.0.0.1 or localhost\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "the preview only reads\n");
    }
    let query = req.uri().query().unwrap_or("").to_string();
    match req.uri().path() {
        "/" | "/index.html" => asset(INDEX, "text/html; charset=utf-8"),
        "/app.js" => asset(SCRIPT, "text/javascript; charset=utf-8"),
        "/style.css" => asset(STYLE, "text/css; charset=utf-8"),
        "/favicon.ico" => text(StatusCode::NO_CONTENT, ""),
        "/api/status" => json_reply(StatusCode::OK, &state.status()),
        // Made with the load: nothing is compiled on a request.
        "/api/personas" => match state.good() {
            Some(good) => json_reply(StatusCode::OK, &json!({ "personas": &*good.personas.json, "status": state.status() })),
            None => json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({ "personas": [], "status": state.status() })),
        },
        "/api/view" => {
            let state = state.clone();
            blocking(move || {
                let q = match ViewQuery::parse(&query) {
                    Ok(q) => q,
                    Err(e) => return (StatusCode::BAD_REQUEST, json!({ "error": e })),
                };
                let Some(good) = state.good() else {
                    return (StatusCode::SERVICE_UNAVAILABLE, json!({ "error": "the repository has errors", "status": state.status() }));
                };
                match api::view(&good.project, &state.root, &q) {
                    Ok(v) => (StatusCode::OK, v),
                    Err(ViewError::Request(e)) => (StatusCode::BAD_REQUEST, json!({ "error": e })),
                    Err(ViewError::Definitions(d)) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({ "error": "the persona does not compile", "diagnostics": api::diagnostics(&d, &good.snapshot) }),
                    ),
                }
            })
            .await
        }
        "/api/diff" => {
            let state = state.clone();
            blocking(move || {
                let rev = api::pairs(&query).into_iter().find(|(k, _)| k == "rev").map(|(_, v)| v).unwrap_or_default();
                let Some(good) = state.good() else {
                    return (StatusCode::SERVICE_UNAVAILABLE, json!({ "error": "the repository has errors", "status": state.status() }));
                };
                match compare::report(&state, &good, &rev) {
                    Ok(report) => (StatusCode::OK, report),
                    Err(DiffError::Request(e)) => (StatusCode::BAD_REQUEST, json!({ "error": e })),
                    Err(DiffError::Definitions(v)) => (StatusCode::UNPROCESSABLE_ENTITY, v),
                }
            })
            .await
        }
        "/events" => events(state),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Runs a compile off the server's threads.
async fn blocking(f: impl FnOnce() -> (StatusCode, Value) + Send + 'static) -> Reply {
    match tokio::task::spawn_blocking(f).await {
        Ok((status, value)) => json_reply(status, &value),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "the preview failed on this request\n"),
    }
}

fn respond(status: StatusCode, kind: &'static str, body: BoxBody<Bytes, Infallible>) -> Reply {
    let mut reply = Response::new(body);
    *reply.status_mut() = status;
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("content-security-policy", HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"));
    reply
}

fn text(status: StatusCode, body: &'static str) -> Reply {
    respond(status, "text/plain; charset=utf-8", Full::new(Bytes::from_static(body.as_bytes())).boxed())
}

fn asset(body: &'static str, kind: &'static str) -> Reply {
    respond(StatusCode::OK, kind, Full::new(Bytes::from_static(body.as_bytes())).boxed())
}

fn json_reply(status: StatusCode, value: &Value) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_default();
    respond(status, "application/json", Full::new(Bytes::from(body)).boxed())
}

/// Server-sent events: a `status` event now and after every load.
fn events(state: &Arc<State>) -> Reply {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    let mut generation = state.generation.subscribe();
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            generation.borrow_and_update();
            let event = format!("event: status\ndata: {}\n\n", state.status());
            if tx.send(Bytes::from(event)).await.is_err() {
                break;
            }
            // A comment now and then finds a closed page.
            match tokio::time::timeout(std::time::Duration::from_secs(15), generation.changed()).await {
                Ok(Err(_)) => break,
                Ok(Ok(())) => {}
                Err(_) => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    respond(StatusCode::OK, "text/event-stream", Stream(rx).boxed())
}

/// An event stream's body: what its task sends, as it comes.
struct Stream(tokio::sync::mpsc::Receiver<Bytes>);

impl Body for Stream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// The address to bind: 127.0.0.1, never another interface.
pub fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
