//! A repository loaded: every definition parsed and checked, the renderer
//! and the tokenizer, ready to resolve, render and compile.

use std::sync::Arc;

use crate::artifacts;
use crate::catalog::{Cache, Catalog};
use crate::diag::{self, Diagnostic, code};
use crate::render::Renderer;
use crate::rules::CONFIG_FILE;
use crate::snapshot::Snapshot;
use crate::tokens::{self, Tokenizer};

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

    /// [`Project::load_after`] of a snapshot read with problems (`read`:
    /// files that could not be read): it fails with those and the load's,
    /// sorted, and loads only when there are none.
    pub fn load_read(
        snapshot: &Snapshot,
        cache: &Cache,
        earlier: Option<(Project, &Snapshot)>,
        mut read: Vec<Diagnostic>,
    ) -> Result<Project, Vec<Diagnostic>> {
        match Project::load_after(snapshot, cache, earlier) {
            Ok(project) if read.is_empty() => Ok(project),
            loaded => {
                read.extend(loaded.err().unwrap_or_default());
                crate::diag::normalize(&mut read);
                Err(read)
            }
        }
    }

    /// [`Project::load`], patching `earlier`, the project of the snapshot
    /// given with it, where it can: only the files that changed since are
    /// parsed and registered again (a watch's rebuild).
    pub fn load_after(snapshot: &Snapshot, cache: &Cache, earlier: Option<(Project, &Snapshot)>) -> Result<Project, Vec<Diagnostic>> {
        match Project::load_partial(snapshot, cache, earlier) {
            Partial { project, diags, .. } if diags.is_empty() => Ok(project),
            Partial { diags, .. } => Err(diags),
        }
    }

    /// [`Project::load_after`], keeping the project when it has errors: what
    /// parsed is still there to look up (an editor's language server goes
    /// on answering while a buffer has a mistake in it).
    pub fn load_partial(snapshot: &Snapshot, cache: &Cache, earlier: Option<(Project, &Snapshot)>) -> Partial {
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
        // `Catalog::patched` patches only a catalog loaded without a diagnostic.
        let patchable = diags.is_empty();
        let encoding = catalog.config.encoding.clone();
        let tokenizer = cache.tokenizer(&encoding.value);
        if tokenizer.is_none() {
            diags.push(
                Diagnostic::error(code::CONFIG, format!("unknown encoding `{}`", encoding.value))
                    .at(&CONFIG_FILE.into(), encoding.span.clone())
                    .suggest(&encoding.value, tokens::ENCODINGS)
                    .help(format!("encodings are: {}", tokens::ENCODINGS.join(", "))),
            );
        }
        let patchable = patchable && tokenizer.is_some();
        // One run reports every problem, whatever its phase: what parsed is
        // still resolved, rendered and checked.
        let tokenizer = match tokenizer {
            Some(tokenizer) => tokenizer,
            None => cache.tokenizer("o200k_base").unwrap_or_else(|| Arc::new(Tokenizer::default_encoding())),
        };
        if !diags.is_empty()
            && let Err(more) = artifacts::compile(&catalog, &renderer, &tokenizer, snapshot, None, None, &artifacts::Discard)
        {
            diags.extend(more);
        }
        diag::normalize(&mut diags);
        Partial { project: Project { catalog, renderer, tokenizer }, diags, patchable }
    }
}

/// A load that kept its project whatever it found.
pub struct Partial {
    pub project: Project,
    /// Empty: the project loaded without an error (as [`Project::load`]'s
    /// `Ok`); a compile may still find some.
    pub diags: Vec<Diagnostic>,
    /// Whether the next load may patch this project (its catalog loaded
    /// without a diagnostic).
    pub patchable: bool,
}

/// The most changed files a load patches an earlier project for.
const PATCH_AT_MOST: usize = 256;
