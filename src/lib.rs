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
pub mod model;
pub mod parse;
pub mod reach;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod serve;
pub mod snapshot;
pub mod tokens;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use artifacts::{Output, WriteReport};
use catalog::{Cache, Catalog};
use diag::{Diagnostic, code};
use model::{Config, Kind};
use render::Renderer;
use snapshot::Snapshot;
use tokens::Tokenizer;

/// A loaded repository, ready to resolve, render and compile.
pub struct Project {
    pub catalog: Catalog,
    pub renderer: Renderer,
    pub tokenizer: Arc<Tokenizer>,
}

impl Project {
    /// Parses and checks every definition of a snapshot.
    pub fn load(snapshot: &Snapshot, cache: &Cache) -> Result<Project, Vec<Diagnostic>> {
        Project::load_after(snapshot, cache, None)
    }

    /// [`Project::load`], patching `earlier`, the project of the snapshot
    /// given with it, where it can: only the files that changed since are
    /// parsed and registered again (a watch's rebuild).
    pub fn load_after(snapshot: &Snapshot, cache: &Cache, earlier: Option<(Project, &Snapshot)>) -> Result<Project, Vec<Diagnostic>> {
        let patched = earlier.and_then(|(earlier, before)| {
            let changed = snapshot.changed_since(before);
            // Many changes (a checkout) load as fast in full.
            if changed.len() > PATCH_AT_MOST {
                return None;
            }
            let (catalog, diags) = earlier.catalog.patched(&changed, snapshot, cache)?;
            let renderer = earlier.renderer.patched(&catalog, &changed);
            Some((catalog, diags, renderer))
        });
        let (catalog, mut diags, renderer) = match patched {
            Some(patched) => patched,
            None => {
                let (catalog, diags) = Catalog::load_cached(snapshot, cache);
                let renderer = Renderer::new(&catalog);
                (catalog, diags, renderer)
            }
        };
        let encoding = catalog.config.encoding.clone();
        let tokenizer = cache.tokenizer(&encoding.value);
        if tokenizer.is_none() {
            diags.push(
                Diagnostic::error(code::CONFIG, format!("unknown encoding `{}`", encoding.value))
                    .at(&snapshot::CONFIG_FILE.into(), encoding.span.clone())
                    .suggest(&encoding.value, tokens::ENCODINGS)
                    .help(format!("encodings are: {}", tokens::ENCODINGS.join(", "))),
            );
        }
        match tokenizer {
            Some(tokenizer) if diags.is_empty() => Ok(Project { catalog, renderer, tokenizer }),
            tokenizer => {
                // One run reports every problem, whatever its phase: what
                // parsed is still resolved, rendered and checked.
                let tokenizer = tokenizer.or_else(|| cache.tokenizer("o200k_base"));
                if let Some(tokenizer) = tokenizer
                    && let Err(more) = artifacts::compile(&catalog, &renderer, &tokenizer, snapshot, None, None, &artifacts::Discard)
                {
                    diags.extend(more);
                }
                diag::normalize(&mut diags);
                Err(diags)
            }
        }
    }
}

/// The most changed files a load patches an earlier project for.
const PATCH_AT_MOST: usize = 256;

/// Why a build did not write its output.
pub enum BuildError {
    /// The definitions have errors; nothing was written.
    Definitions(Vec<Diagnostic>),
    /// The output folder could not be written.
    Io(String),
}

/// The build step that `build` and `watch` share: compiles (keeping personas
/// whose inputs did not change) and writes, under the output folder's lock
/// (calling `on_wait` with the holder if it must wait). Each compiled file
/// that changed is written aside as soon as it is made, and put in place
/// only when every persona compiled, so a failed build leaves the folder as
/// it was (and removes the folder if it made it). The exports of
/// `[export.FORMAT]` are kept current in their folders under `root`, after
/// the artifacts. A process that builds again and again (watch) passes its
/// `cache`: the index it wrote last is not read again, nor is the whole
/// folder swept again for temp files of older versions.
pub fn build_into(
    project: &Project,
    snapshot: &Snapshot,
    root: &Path,
    out_dir: &Path,
    stamp: Option<serde_json::Value>,
    cache: Option<&artifacts::IndexCache>,
    on_wait: &mut dyn FnMut(&str),
) -> Result<(Output, WriteReport), BuildError> {
    let io = |e: std::io::Error| BuildError::Io(e.to_string());
    let exports = interop::export::configured(project).map_err(BuildError::Definitions)?;
    let made = !out_dir.exists();
    std::fs::create_dir_all(out_dir).map_err(io)?;
    let built = (|| {
        let _lock = lock::acquire(out_dir, |holder| on_wait(holder)).map_err(io)?;
        // The index this process wrote last, or the one on disk.
        let (previous, sweep, counted, changed, untouched) = match cache.and_then(|cache| cache.lookup(out_dir)) {
            Some(held) => {
                let changed = held.sources.map(|earlier| artifacts::Changed::between(&earlier, snapshot));
                (Some(held.index), held.sweep, true, changed, held.untouched)
            }
            None => (artifacts::read_index(out_dir).map(std::sync::Arc::new), artifacts::Sweep::Whole, false, None, None),
        };
        // The token counts an index records, unless this process counted them.
        if let Some(previous) = &previous
            && !counted
            && previous.encoding == project.tokenizer.encoding()
        {
            project.tokenizer.remember(previous.artifacts.values().cloned());
        }
        let reuse = previous.as_deref().map(|previous| artifacts::Reuse {
            previous,
            from: artifacts::Previous::Disk(out_dir),
            changed: changed.as_ref(),
            untouched: untouched.as_deref(),
        });
        let stager = artifacts::Stager::new(out_dir, previous.as_deref(), sweep).map_err(io)?;
        let mut output = artifacts::compile(&project.catalog, &project.renderer, &project.tokenizer, snapshot, reuse, stamp, &stager)
            .map_err(BuildError::Definitions)?;
        interop::export::record(&mut output, &exports);
        let mut report = stager.commit(&output).map_err(io)?;
        if cache.is_some() {
            report.index = artifacts::IndexStamp::of(out_dir);
        }
        for export in &exports {
            let recorded = interop::export::recorded(previous.as_deref(), export.format, &export.out);
            let written = interop::export::write(&root.join(&export.out), &export.files, &recorded)
                .map_err(|e| BuildError::Io(format!("{}: {e}", export.out)))?;
            report.exported.extend(written.written.iter().map(|p| format!("{}/{p}", export.out)));
            report.unexported.extend(written.removed.iter().map(|p| format!("{}/{p}", export.out)));
        }
        Ok((output, report))
    })();
    if built.is_err() && made {
        // Only if nothing else is in it: a folder another process wrote meanwhile stays.
        let _ = std::fs::remove_dir(out_dir);
    }
    built
}

/// The output folder: `out` (or the config's `out_dir`), relative to the
/// repository root. It is cleaned of stale artifacts, so it must never hold
/// or contain sources.
pub fn out_dir(root: &Path, config: &Config, out: Option<&Path>) -> Result<PathBuf, String> {
    let dir = root.join(out.unwrap_or_else(|| Path::new(&config.out_dir.value)));
    let abs = |p: &Path| std::path::absolute(p).map(|p| normalize(&p)).unwrap_or_else(|_| p.to_path_buf());
    let (dir_abs, root_abs) = (abs(&dir), abs(root));
    let mut protected = vec![root_abs.join(snapshot::TEMPLATES_DIR)];
    protected.extend(Kind::ALL.iter().map(|k| root_abs.join(k.folder())));
    if root_abs.starts_with(&dir_abs) || protected.iter().any(|p| dir_abs.starts_with(p)) {
        return Err(format!(
            "the output folder `{}` would overwrite sources\n  help: set `out_dir` in personac.toml (or `--out`) to a folder of its own, such as `build-output`",
            dir.display()
        ));
    }
    Ok(dir)
}

/// An export's folder (`personac export --out`), relative to the repository
/// root: inside it, outside every source folder and the output folder.
pub fn export_dir(root: &Path, config: &Config, out: &str) -> Result<PathBuf, String> {
    let folder = out.trim_end_matches('/');
    let top = folder.split('/').next().unwrap_or_default();
    let out_dir = config.out_dir.value.trim_end_matches('/');
    let refuse = |why: &str| {
        Err(format!(
            "cannot export into `{out}`: {why}\n  help: give the export a folder of its own, such as `.claude/agents` or `exports/crewai`"
        ))
    };
    if !artifacts::is_safe_relative(folder) {
        return refuse("it must be a relative path inside the repository, without `..`");
    }
    if Kind::from_folder(top).is_some() || top == snapshot::TEMPLATES_DIR {
        return refuse(&format!("it is inside the source folder `{top}/`"));
    }
    if folder == out_dir || folder.starts_with(&format!("{out_dir}/")) || out_dir.starts_with(&format!("{folder}/")) {
        return refuse(&format!("it overlaps the output folder `{out_dir}`"));
    }
    Ok(root.join(folder))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => _ = out.pop(),
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
