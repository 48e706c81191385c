//! The Rust runtime loader: reads build output (artifact format 2,
//! docs/artifacts.md) as the Python and TypeScript loaders do, for a service
//! that links personac to serve compiled personas.
//!
//! It reads `index.json`, a persona's files the first time it is got (each
//! sha256 checked, the fingerprint recomputed), and fills a view's runtime
//! variables by walking its segment file once, so literal `{{ name }}` text
//! stays literal and a filled value is never scanned again. The answer is
//! byte for byte what `personac show --var` prints (the conformance suite,
//! `tests/conformance/`, checks it in every loader).
//!
//! It must stand alone: it uses std, serde, `serde_json` and `crate::hash`,
//! never the compiler's rooms, and never writes.
//!
//! ```no_run
//! use personac::runtime::{Prompt, Registry};
//!
//! let registry = Registry::load("build-output")?;
//! let maya = registry.get("maya@1.4.0")?;
//! let system = maya.build_system_prompt([("user_name", "John")])?;
//! let voice = maya.prompt(&Prompt::view("summary").channel("voice"), [("user_name", "John")])?;
//! # Ok::<(), personac::runtime::Error>(())
//! ```

mod error;
mod fill;
mod index;
mod persona;
mod registry;
mod source;
#[cfg(test)]
mod tests;

pub use error::{Error, ErrorKind, FORMAT};
pub use fill::RuntimeVar;
pub use persona::{NO_VARS, Persona, Prompt};
pub use registry::{BundleJson, Options, Registry};
