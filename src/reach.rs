//! What a command about one persona needs: the files it reaches.
//!
//! A definition's name is its file stem, so the listing of the source
//! folders alone finds the files a persona reaches: its own and its
//! ancestors', every part, trait, skill, guardrail and arc they link, and
//! the parts of that arc's stages and of their channels' overrides. `show`,
//! `manifest` and `get` read and parse only those, as typst's World reads
//! only what a compile touches; the config and the layout templates always
//! come along. What they build from them is what a whole-repository load
//! would build, so a command that fails on this snapshot loads everything
//! to report (see `cli::query`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::catalog::Cache;
use crate::diag::Diagnostic;
use crate::model::Kind;
use crate::snapshot::{CONFIG_FILE, Listing, Snapshot, TEMPLATES_DIR};

/// The snapshot of the files that `wanted` reach, read from a listing.
/// Each file is parsed once, through `cache`, which a later load shares.
pub fn snapshot(listing: Listing, wanted: &[(Kind, &str)], cache: &Cache) -> (Snapshot, Vec<Diagnostic>) {
    // Files by kind and name (their stem), in any sub-folder.
    let mut by_name: HashMap<(Kind, &str), Vec<&(String, std::path::PathBuf)>> = HashMap::new();
    let mut keep: BTreeSet<String> = BTreeSet::new();
    // An Agent Skills folder's other files come with its `SKILL.md`.
    let folders = crate::parse::skill_folder::folders(listing.paths.iter().map(|(rel, _)| rel.as_str()));
    let mut folder_files: HashMap<&str, Vec<&str>> = HashMap::new();
    for entry in &listing.paths {
        let rel = entry.0.as_str();
        if rel == CONFIG_FILE || rel.starts_with(&format!("{TEMPLATES_DIR}/")) {
            keep.insert(rel.to_string());
            continue;
        }
        if let Some(dir) = crate::parse::skill_folder::owner(rel, &folders) {
            folder_files.entry(dir).or_default().push(rel);
            continue;
        }
        let Some(name) = Kind::of_path(rel) else { continue };
        by_name.entry(name).or_default().push(entry);
    }
    let mut seen: BTreeSet<(Kind, String)> = BTreeSet::new();
    let mut frontier: Vec<(Kind, String)> = wanted.iter().map(|(k, n)| (*k, n.to_string())).collect();
    while let Some((kind, name)) = frontier.pop() {
        if !seen.insert((kind, name.clone())) {
            continue;
        }
        for (rel, path) in by_name.get(&(kind, name.as_str())).into_iter().flatten() {
            keep.insert(rel.clone());
            if let Some(dir) = rel.strip_suffix(crate::model::SKILL_FILE).and_then(|d| d.strip_suffix('/')) {
                keep.extend(folder_files.get(dir).into_iter().flatten().map(|f| f.to_string()));
            }
            // A file that cannot be read or parsed is kept all the same: the
            // load reports it.
            let Some(text) = std::fs::read(path).ok().and_then(|b| String::from_utf8(b).ok()) else { continue };
            let text = crate::snapshot::normalized(&text);
            let file: Arc<str> = rel.as_str().into();
            if let Ok(definition) = cache.parse(&file, &text, None) {
                frontier.extend(definition.references().into_iter().map(|(k, n)| (k, n.to_string())));
            }
        }
    }
    Snapshot::from_listing(&listing, |rel| keep.contains(rel))
}
