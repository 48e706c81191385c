//! How a change alters the compiled prompts: two compiled outputs in, a
//! report out (`report.rs`), per persona: added, removed or changed; its
//! version; each artifact's token count before and after; a unified diff of
//! each changed artifact, each hunk with the source lines behind its changed
//! lines on both sides, read from each side's source records (`lines.rs`);
//! and the source files whose change caused it. Printed for a terminal
//! (`text.rs`) or as a pull-request comment (`markdown.rs`).
//!
//! Both sides are compiled by the same pipeline as `build`; this room only
//! compares and presents. It reads nothing and writes nothing.

mod lines;
mod markdown;
mod report;
mod text;

pub use lines::{SourceRange, places, union};
pub use markdown::{COMMENT_LIMIT, Links, markdown};
pub use report::{ArtifactDiff, Change, Hunk, PersonaDiff, Report, Side, Status, compare};
pub use text::text;
