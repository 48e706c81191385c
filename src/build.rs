//! The build step that `build` and `watch` share: compile, write the
//! artifacts, and keep the configured exports current.

use std::path::Path;

use crate::artifacts::{self, Output, WriteReport};
use crate::diag::Diagnostic;
use crate::interop;
use crate::lock;
use crate::project::Project;
use crate::snapshot::Snapshot;

/// Why a build did not write its output.
pub enum BuildError {
    /// The definitions have errors; nothing was written.
    Definitions(Vec<Diagnostic>),
    /// The output folder could not be written.
    Io(String),
    /// A kept export would replace files no export of this repository
    /// wrote (by path from the root); nothing was written.
    Clash(Vec<String>),
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
/// folder swept again for temp files of older versions. An export that
/// would replace a file no export recorded writing stops the build before
/// anything is written, unless `force` (given on the command line) says to
/// take such files over.
#[allow(clippy::too_many_arguments)]
pub fn build_into(
    project: &Project,
    snapshot: &Snapshot,
    root: &Path,
    out_dir: &Path,
    stamp: Option<serde_json::Value>,
    cache: Option<&artifacts::IndexCache>,
    force: bool,
    on_wait: &mut dyn FnMut(&str),
) -> Result<(Output, WriteReport), BuildError> {
    let io = |e: std::io::Error| BuildError::Io(e.to_string());
    let exports = interop::export::configured(project, snapshot).map_err(BuildError::Definitions)?;
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
        if !force {
            let mut clashes = Vec::new();
            for export in &exports {
                let dir = root.join(&export.out);
                let owned = interop::export::owned(previous.as_deref(), &export.out, &dir);
                clashes.extend(interop::export::clashes(&dir, &export.files, &owned).into_iter().map(|p| format!("{}/{p}", export.out)));
            }
            if !clashes.is_empty() {
                return Err(BuildError::Clash(clashes));
            }
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
            let recorded = interop::export::recorded(previous.as_deref(), export.name, &export.out);
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
