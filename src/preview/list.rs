//! The page's list of personas, made once per load: each persona's entry
//! (version, tokens per view, budget, channels, stages, warnings) is kept
//! from the load before while the files it was made from hash the same
//! (its resolved sources, the config and the layout templates: what a
//! build's inputs hash covers), and made again otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::artifacts;
use crate::model::Request;
use crate::project::Project;
use crate::snapshot::Snapshot;

/// One persona's entry, and the files (with their hashes) it was made from.
struct Made {
    inputs: Vec<(Arc<str>, Option<[u8; 32]>)>,
    entry: Value,
}

/// The list as last made: what the page asks for, and the entries it can
/// keep next time.
#[derive(Default)]
pub struct Personas {
    /// The hashes of the config and the layout templates.
    globals: Vec<(Arc<str>, [u8; 32])>,
    made: BTreeMap<String, Made>,
    /// `[{name, version, tokens, …}]`, in name order.
    pub json: Arc<Value>,
}

fn globals(snapshot: &Snapshot) -> Vec<(Arc<str>, [u8; 32])> {
    snapshot
        .files()
        .filter(|(path, _)| &***path == crate::rules::CONFIG_FILE || path.starts_with("templates/"))
        .filter_map(|(path, _)| snapshot.hash(path).map(|h| (path.clone(), *h)))
        .collect()
}

impl Personas {
    /// The list for `project`, keeping what `before` made of the personas
    /// whose inputs are unchanged.
    pub fn make(project: &Project, snapshot: &Snapshot, before: Option<&Personas>) -> Personas {
        let globals = globals(snapshot);
        let before = before.filter(|b| b.globals == globals);
        let names: Vec<&String> = project.catalog.personas.iter().filter(|(_, p)| !p.is_abstract).map(|(name, _)| name).collect();
        let made: Vec<(String, Made)> = names
            .par_iter()
            .map(|name| {
                let kept = before
                    .and_then(|b| b.made.get(name.as_str()))
                    .filter(|m| m.inputs.iter().all(|(path, hash)| snapshot.hash(path) == hash.as_ref()));
                let made = match kept {
                    Some(m) => Made { inputs: m.inputs.clone(), entry: m.entry.clone() },
                    None => entry(project, snapshot, name),
                };
                ((*name).clone(), made)
            })
            .collect();
        let json = Arc::new(json!(made.iter().map(|(_, m)| &m.entry).collect::<Vec<_>>()));
        Personas { globals, made: made.into_iter().collect(), json }
    }
}

/// A persona's entry, compiled.
fn entry(project: &Project, snapshot: &Snapshot, name: &str) -> Made {
    let catalog = &project.catalog;
    let mut entry = json!({ "name": name });
    let mut inputs = Vec::new();
    match catalog.resolve(name, &Request::default()) {
        Err(_) => entry["warnings"] = json!(["does not resolve"]),
        Ok(resolved) => {
            inputs = resolved.sources.iter().map(|s| (Arc::<str>::from(*s), snapshot.hash(s).copied())).collect();
            entry["version"] = json!(resolved.version.as_ref().map(ToString::to_string));
            entry["budget"] = json!(resolved.budget);
            entry["channels"] = json!(resolved.channels);
            entry["stages"] = json!(resolved.stage.as_ref().map(|s| s.arc.stages.iter().map(|s| s.name.value.clone()).collect::<Vec<_>>()));
            entry["stage"] = json!(resolved.stage.as_ref().map(|s| s.stage().name.value.clone()));
            entry["runtime_vars"] = json!(resolved.runtime_vars);
            match artifacts::views(&project.renderer, &project.tokenizer, &resolved) {
                Ok((_, [summary, detail])) => {
                    entry["tokens"] = json!({ "summary": summary.tokens, "detail": detail.tokens });
                    let warnings: Vec<String> = detail.dropped.iter().map(|p| format!("part `{p}` dropped by the budget")).collect();
                    entry["warnings"] = json!(warnings);
                }
                Err(d) => entry["warnings"] = json!(d.iter().map(|d| d.message.clone()).collect::<Vec<_>>()),
            }
        }
    }
    if inputs.is_empty() {
        // Nothing to key it by (it does not resolve): made again on every load.
        inputs.push((Arc::from(""), Some([0; 32])));
    }
    Made { inputs, entry }
}
