//! The wire: JSON-RPC messages framed by `Content-Length` headers, read on
//! their own thread and handed over in order; written to stdout one whole
//! message at a time (the only writer). A message that is not JSON-RPC is
//! handed over as malformed, to be answered, and reading goes on.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc::Sender;

use lsp_server::Message;

pub enum Incoming {
    Message(Message),
    Malformed(String),
}

/// The most a message may hold (a buffer of a few megabytes is large).
const MAX_MESSAGE: usize = 64 << 20;

/// Reads messages until the input ends or the loop stops listening.
pub fn read(mut input: impl BufRead, tx: Sender<Incoming>) {
    loop {
        let mut length = None;
        let mut line = String::new();
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let incoming = match length {
            Some(n) if n <= MAX_MESSAGE => {
                let mut body = vec![0; n];
                if input.read_exact(&mut body).is_err() {
                    return;
                }
                match serde_json::from_slice::<Message>(&body) {
                    Ok(message) => Incoming::Message(message),
                    Err(e) => Incoming::Malformed(format!("not a JSON-RPC message: {e}")),
                }
            }
            Some(n) => {
                // Too large to hold: skipped, and said so.
                if std::io::copy(&mut (&mut input).take(n as u64), &mut std::io::sink()).is_err() {
                    return;
                }
                Incoming::Malformed(format!("a message of {n} bytes is over the limit of {MAX_MESSAGE}"))
            }
            None => Incoming::Malformed("a message without a valid Content-Length header".to_string()),
        };
        if tx.send(incoming).is_err() {
            return;
        }
    }
}

/// Where answers go.
pub struct Out {
    out: std::io::Stdout,
}

impl Out {
    pub fn stdout() -> Out {
        Out { out: std::io::stdout() }
    }

    pub fn message(&mut self, message: Message) {
        let mut lock = self.out.lock();
        // A closed output: the client is gone, and the input will end too.
        let _ = message.write(&mut lock);
        let _ = lock.flush();
    }

    /// A message that `Message` cannot carry (an error whose id is null).
    pub fn raw(&mut self, value: &serde_json::Value) {
        let body = value.to_string();
        let mut lock = self.out.lock();
        let _ = write!(lock, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = lock.flush();
    }
}
