//! The page's diff mode: the working tree as last loaded without errors
//! against a git revision, compared by [`crate::diff::compare`] (the report
//! `personac diff --format json` prints). Both sides are compiled in memory
//! by [`artifacts::compile`], the revision's personas whose inputs are the
//! same copied from the working tree's, as `diff` does; nothing is written.

use serde_json::{Value, json};

use super::api;
use super::state::{Good, State};
use crate::artifacts::{self, InMemory, Output, Previous, PreviousIndex, Reuse};
use crate::diff::{self, Side};
use crate::git::Git;
use crate::project::Project;

/// Why there is no report: the request (400), or a side that does not
/// compile (422), with its diagnostics.
pub enum DiffError {
    Request(String),
    Definitions(Value),
}

/// The report of `personac diff REV`: the revision against the working tree.
pub fn report(state: &State, good: &Good, rev: &str) -> Result<Value, DiffError> {
    let rev = if rev.trim().is_empty() { "HEAD" } else { rev.trim() };
    let request = |e: crate::git::GitError| DiffError::Request(e.to_string());
    let git = Git::open(&state.root).map_err(request)?;
    let rev = git.rev(rev).map_err(request)?;
    let snapshot = git.snapshot(&rev).map_err(request)?;
    let broken = |what: &str, diags: Vec<crate::diag::Diagnostic>, snapshot| {
        DiffError::Definitions(json!({
            "error": format!("the definitions at {what} have errors"),
            "diagnostics": api::diagnostics(&diags, snapshot),
        }))
    };
    // One cache for both sides, as `diff` loads them: one tokenizer.
    let project = Project::load(&snapshot, &state.cache).map_err(|d| broken(&rev.name, d, &snapshot))?;
    let head = compile(&good.project, &good.snapshot, None).map_err(|d| broken("the working tree", d, &good.snapshot))?;
    let base = compile(&project, &snapshot, Some(&head)).map_err(|d| broken(&rev.name, d, &snapshot))?;
    let report = diff::compare(
        &Side { label: rev.name.clone(), snapshot: &snapshot, output: &base },
        &Side { label: "the working tree".into(), snapshot: &good.snapshot, output: &head },
    );
    Ok(serde_json::to_value(&report).unwrap_or_default())
}

/// Every persona compiled in memory; those whose inputs are as in `other`
/// are copied from it.
fn compile(
    project: &Project,
    snapshot: &crate::snapshot::Snapshot,
    other: Option<&Output>,
) -> Result<Output, Vec<crate::diag::Diagnostic>> {
    let previous = other.and_then(PreviousIndex::of);
    let reuse =
        other.zip(previous.as_ref()).map(|(o, previous)| Reuse { previous, from: Previous::Memory(o), changed: None, untouched: None });
    artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, snapshot, reuse, None, &InMemory)
}
