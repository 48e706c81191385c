//! The one integration test binary: the real `personac` on real
//! repositories in temp dirs.

mod agent_skills;
mod architecture;
mod author;
mod build;
mod command_line;
mod commands;
mod conformance;
mod conformance_runtime;
mod corpus;
mod diagnostics;
mod diff_sources;
mod examples;
mod forms;
mod git;
mod hardening;
mod harness;
mod interop;
mod layers;
mod lints;
mod lsp;
mod model;
mod mutation;
mod pathological;
mod preview;
mod provenance;
mod schema;
mod serve;
mod speed;
mod support;
mod watch;
