//! `personac export bundle`: every compiled persona in one JSON file, for
//! services that cannot read a folder (serverless functions, edge workers,
//! browsers). It is the build output itself, as a loader's virtual folder:
//! `{"format": 2, "kind": "personac-bundle", "index": <index.json>,
//! "files": {"maya/detail.md": "…", …}}` (docs/artifacts.md), so a loader
//! checks the same hashes it checks in `build-output/`.

use serde_json::{Value, json};

use crate::artifacts::{self, INDEX, InMemory};
use crate::diag::Diagnostic;
use crate::project::Project;
use crate::snapshot::Snapshot;

/// The file name a bundle gets in a folder.
pub const FILE: &str = "personas.json";
/// Where `personac export bundle` writes without `--out`.
pub const DEFAULT_OUT: &str = "bundle";

/// The bundle of every concrete persona, compiled from `snapshot`.
pub fn bundle(project: &Project, snapshot: &Snapshot) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let output = artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, snapshot, None, None, &InMemory)?;
    let index: Value = output.files.get(INDEX).and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
    let files: serde_json::Map<String, Value> = output
        .files
        .iter()
        .filter(|(path, _)| path.as_str() != INDEX)
        .map(|(path, bytes)| (path.clone(), json!(String::from_utf8_lossy(bytes))))
        .collect();
    let bundle = json!({ "format": artifacts::FORMAT, "kind": "personac-bundle", "index": index, "files": files });
    let mut bytes = serde_json::to_vec_pretty(&bundle).unwrap_or_default();
    bytes.push(b'\n');
    Ok(bytes)
}
