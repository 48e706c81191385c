//! personac: a persona compiler.
//!
//! The pipeline, one room per step:
//!
//! ```text
//! Snapshot  --parse-->  Catalog  --resolve-->  ResolvedPersona  --render-->  views  --artifacts-->  build-output/
//! ```
//!
//! [`snapshot`] is the one seam for input; [`artifacts`] is the only writer;
//! [`cli`] is the only place that prints. Everything between is pure and
//! collects every diagnostic of a run.

pub mod artifacts;
pub mod at;
pub mod atomic;
pub mod budget;
pub mod build;
pub mod catalog;
pub mod cli;
pub mod describe;
pub mod diag;
pub mod diff;
pub mod edit;
pub mod git;
pub mod guard;
pub mod hash;
pub mod interop;
pub mod lint;
pub mod lock;
pub mod lsp;
pub mod model;
pub mod parse;
pub mod preview;
pub mod project;
pub mod reach;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod runtime;
pub mod schema;
pub mod serve;
pub mod snapshot;
pub mod tokens;
pub mod watch;

pub use build::{BuildError, build_into};
pub use project::Project;
pub use rules::{export_dir, out_dir};
