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
                    .at(&CONFIG_FILE.into(), encoding.span.clone())
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
