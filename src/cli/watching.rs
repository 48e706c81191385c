//! `personac watch`: prints one line per event (or one JSON object, NDJSON),
//! and stops cleanly on Ctrl-C: the build under way finishes, nothing is
//! left half-written, and the exit code is 0.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use clap::{Args, ValueEnum};

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, report, status};
use crate::diag;
use crate::watch::{self, Event};

fn list(items: &[String], most: usize) -> String {
    if items.len() <= most { items.join(", ") } else { format!("{} and {} more", items[..most].join(", "), items.len() - most) }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// A status line an event, for people
    Text,
    /// One JSON object an event (NDJSON), for editors and scripts
    Json,
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac watch                    rebuild build-output/ on every save
  personac watch --format json      one JSON object per event, for an editor
  personac watch --poll             on filesystems without change events (network drives, some containers)")]
pub struct WatchArgs {
    /// Output folder, relative to the current folder (default: `out_dir` of personac.toml, relative to the repository root)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Poll for changes instead of using the platform's file watcher
    #[arg(long)]
    poll: bool,
    /// text prints a line per event; json prints one JSON object per event (NDJSON)
    #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
    format: WatchFormat,
}

pub(super) fn watch(ctx: &Ctx, args: WatchArgs) -> Outcome {
    let WatchArgs { out, poll, format } = args;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| Failure::Usage(format!("cannot handle Ctrl-C: {e}")))?;
    let out = out.map(|out| crate::rules::landing(&ctx.start, &out));
    let options = watch::Options { root: ctx.root.clone(), out, poll };
    let json = format == WatchFormat::Json;
    let emit = |value: serde_json::Value| outln!("{value}");
    let mut on_event = |event: Event| match event {
        Event::Watching { polling, fallback } => {
            if json {
                emit(json!({ "event": "watching", "polling": polling, "fallback": fallback }));
            } else {
                if let Some(why) = &fallback {
                    status(ctx, "Warning", why);
                }
                status(
                    ctx,
                    "Watching",
                    &format!("{} for changes{} (Ctrl-C to stop)", ctx.root.display(), if polling { ", polling" } else { "" }),
                );
            }
        }
        Event::Built { trigger, personas, report, elapsed } => {
            let ms = elapsed.as_millis();
            if json {
                emit(json!({
                    "event": "built", "changed": trigger, "personas": personas,
                    "written": report.written, "removed": report.removed, "ms": ms,
                }));
                return;
            }
            // Sentences: `Built in 1 ms; the output was up to date`,
            // `Rebuilt maya in 14 ms after parts/tone.md changed`.
            let after = if trigger.is_empty() { String::new() } else { format!(" after {} changed", list(trigger, 3)) };
            let line = if personas.is_empty() {
                format!("in {ms} ms{after}; the output was up to date")
            } else {
                format!("{} in {ms} ms{after}", list(&personas, 5))
            };
            status(ctx, if trigger.is_empty() { "Built" } else { "Rebuilt" }, &line);
        }
        Event::Failed { trigger, diagnostics, snapshot } => {
            if json {
                let located: Vec<_> = diagnostics.iter().map(|d| diag::locate(d, snapshot)).collect();
                emit(json!({ "event": "failed", "changed": trigger, "diagnostics": located }));
                return;
            }
            report(ctx, diagnostics, snapshot, DiagFormat::Text);
            let what = if trigger.is_empty() { String::new() } else { format!("{} changed: ", list(trigger, 3)) };
            status(ctx, "Failed", &format!("{what}build failed; the last good output is kept"));
        }
        Event::Problem { trigger, message } => {
            if json {
                emit(json!({ "event": "problem", "changed": trigger, "message": message }));
            } else {
                errln!("error: {message}");
            }
        }
        Event::Waiting { holder } => {
            if json {
                emit(json!({ "event": "waiting", "holder": holder }));
            } else {
                status(ctx, "Blocking", &format!("waiting for the output folder's lock, held by {holder}"));
            }
        }
    };
    watch::watch(&options, &stop, &mut on_event).map_err(|e| Failure::Usage(format!("cannot watch `{}`: {e}", ctx.root.display())))?;
    if json {
        emit(json!({ "event": "stopped" }));
    } else {
        status(ctx, "Stopped", "watching");
    }
    Ok(())
}
