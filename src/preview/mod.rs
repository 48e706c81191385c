//! `personac preview`: a local web page of the compiled personas, each
//! line of a view beside its source, rebuilt on every save and pushed to
//! the page (server-sent events). It reads the repository and writes
//! nothing.
//!
//! The sources are watched by the watch's own [`crate::watch::Changes`];
//! each batch of changes is loaded as a watch's rebuild loads it
//! ([`state`]), with the list of personas made once per load ([`list`]);
//! the page asks for JSON ([`api`], and a diff against a revision:
//! [`compare`]) over HTTP ([`http`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod api;
mod compare;
mod http;
mod list;
mod state;

/// Serves the preview of the repository at `root` on 127.0.0.1:`port`
/// (0: any free port) until the process ends; `ready` is told the address
/// once it is bound.
pub fn preview(root: &Path, port: u16, poll: bool, ready: &mut dyn FnMut(SocketAddr)) -> Result<(), String> {
    let root = std::path::absolute(root).map_err(|e| e.to_string())?;
    // Watching starts before the first load, so that no save is missed.
    let mut changes = crate::watch::Changes::start(&root, poll)?;
    let state = Arc::new(state::State::new(&root));
    state.reload(None);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(http::address(port)).await.map_err(|e| format!("cannot listen on port {port}: {e}"))?;
        ready(listener.local_addr().map_err(|e| e.to_string())?);
        let loader = state.clone();
        std::thread::spawn(move || {
            loop {
                if let Some(batch) = changes.next(Duration::from_secs(3600), &mut || {}) {
                    loader.reload((!batch.rescan).then_some(batch.paths.as_slice()));
                }
            }
        });
        http::serve(listener, state).await.map_err(|e| e.to_string())
    })
}
