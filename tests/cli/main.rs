//! The one integration test binary: the real `personac` on real
//! repositories in temp dirs.

mod build;
mod commands;
mod diagnostics;
mod examples;
mod forms;
mod git;
mod layers;
mod support;
