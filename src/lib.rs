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
pub mod catalog;
pub mod cli;
pub mod describe;
pub mod diag;
pub mod diff;
pub mod edit;
pub mod git;
pub mod model;
pub mod parse;
pub mod render;
pub mod resolve;
pub mod snapshot;
pub mod tokens;

use catalog::{Catalog, ParseCache};
use diag::{Diagnostic, code};
use render::Renderer;
use snapshot::Snapshot;
use tokens::Tokenizer;

/// A loaded repository, ready to resolve, render and compile.
pub struct Project {
    pub catalog: Catalog,
    pub renderer: Renderer,
    pub tokenizer: Tokenizer,
}

impl Project {
    /// Parses and checks every definition of a snapshot.
    pub fn load(snapshot: &Snapshot, cache: &ParseCache) -> Result<Project, Vec<Diagnostic>> {
        let mut catalog = Catalog::load_cached(snapshot, cache);
        let encoding = match &catalog {
            Ok(c) => c.config.encoding.clone(),
            Err(_) => model::Spanned::new("o200k_base".into(), 0..0),
        };
        let tokenizer = Tokenizer::new(&encoding.value);
        if tokenizer.is_none() {
            let diag = Diagnostic::error(code::CONFIG, format!("unknown encoding `{}`", encoding.value))
                .at(&snapshot::CONFIG_FILE.into(), encoding.span.clone())
                .suggest(&encoding.value, tokens::ENCODINGS)
                .help(format!("encodings are: {}", tokens::ENCODINGS.join(", ")));
            match &mut catalog {
                Ok(_) => catalog = Err(vec![diag]),
                Err(diags) => diags.push(diag),
            }
        }
        let mut catalog = catalog;
        if let Err(diags) = &mut catalog {
            diag::normalize(diags);
        }
        let catalog = catalog?;
        let renderer = Renderer::new(&catalog);
        Ok(Project { catalog, renderer, tokenizer: tokenizer.expect("checked above") })
    }
}
