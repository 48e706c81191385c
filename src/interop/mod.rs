//! Other tools' agent formats: import turns their files into definition
//! files, export turns compiled personas into their files (SPEC section 8).
//!
//! One file per format, each implementing [`Importer`] and/or [`Exporter`]
//! over one shared shape: an [`Agent`] read from a source, or an
//! [`Exported`] persona compiled by the ordinary pipeline. What is common to
//! every import (splitting prompts into sections, names, placeholders,
//! shared bases, the files written, the report) lives in `text.rs` and
//! `plan.rs`; what is common to every export (compiling, writing, keeping
//! an export current from `build`) in `export.rs`. This room never reads a
//! repository file behind the snapshot's back, and writes only through the
//! atomic writer.

mod agent;
pub mod agent_skills;
pub mod bundle;
mod character_card;
mod crewai;
mod eliza;
pub mod export;
mod harness;
mod harnesses;
pub mod import;
mod llm_persona;
pub mod plan;
mod source;
mod text;

pub use agent::{Agent, Carries, Exported, Exporter, Importer, Loss, Role, Section};

/// The formats personac reads and writes, by their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    ClaudeCode,
    Crewai,
    Eliza,
    LlmPersona,
    CharacterCard,
    Copilot,
    Gemini,
    Codex,
    Cursor,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::ClaudeCode,
        Format::Copilot,
        Format::Gemini,
        Format::Codex,
        Format::Cursor,
        Format::Crewai,
        Format::Eliza,
        Format::LlmPersona,
        Format::CharacterCard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Crewai => "crewai",
            Format::Eliza => "eliza",
            Format::LlmPersona => "llm-persona",
            Format::CharacterCard => "character-card",
            harness => harness.harness().map_or("", |h| h.format),
        }
    }

    pub fn parse(word: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == word)
    }

    /// The agent harness this format is, if it is one: they share one
    /// importer and exporter, and differ by their row of the table.
    fn harness(self) -> Option<&'static harness::Harness> {
        match self {
            Format::ClaudeCode => Some(&harnesses::CLAUDE_CODE),
            Format::Copilot => Some(&harnesses::COPILOT),
            Format::Gemini => Some(&harnesses::GEMINI),
            Format::Codex => Some(&harnesses::CODEX),
            Format::Cursor => Some(&harnesses::CURSOR),
            Format::Crewai | Format::Eliza | Format::LlmPersona | Format::CharacterCard => None,
        }
    }

    /// The importer of this format.
    pub fn importer(self) -> &'static dyn Importer {
        match (self, self.harness()) {
            (_, Some(harness)) => harness,
            (Format::Crewai, _) => &crewai::Crewai,
            (Format::Eliza, _) => &eliza::Eliza,
            (Format::LlmPersona, _) => &llm_persona::LlmPersona,
            (_, None) => &character_card::CharacterCard,
        }
    }

    /// The exporter of this format, if personac writes it.
    pub fn exporter(self) -> Option<&'static dyn Exporter> {
        match (self, self.harness()) {
            (_, Some(harness)) => Some(harness),
            (Format::Crewai, _) => Some(&crewai::Crewai),
            (Format::Eliza, _) => Some(&eliza::Eliza),
            (Format::CharacterCard, _) => Some(&character_card::CharacterCard),
            (_, None) => None,
        }
    }

    /// The formats personac can export.
    pub fn exportable() -> impl Iterator<Item = Format> {
        Format::ALL.into_iter().filter(|f| f.exporter().is_some())
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    /// `[export.FORMAT]` is checked against the names the rules list; each
    /// must be a format with an exporter, and every exporter listed.
    #[test]
    fn the_export_names_the_config_accepts_are_the_formats_that_export() {
        let exportable: Vec<&str> = Format::exportable().map(Format::name).collect();
        let mut listed: Vec<&str> =
            crate::rules::EXPORT_FORMATS.iter().copied().filter(|f| !["bundle", "agent-skills"].contains(f)).collect();
        let mut found = exportable.clone();
        listed.sort_unstable();
        found.sort_unstable();
        assert_eq!(found, listed);
    }

    /// The README's export table has a row for every format personac
    /// exports, which says what it cannot carry.
    #[test]
    fn the_readme_has_a_row_for_every_export() {
        let readme = include_str!("../../README.md");
        for format in Format::exportable() {
            // `| format | writes | from | cannot carry |`, the import table's
            // rows having three columns.
            let row = readme.lines().find(|l| l.starts_with(&format!("| `{format}` | ")) && l.matches(" | ").count() == 3);
            let row = row.unwrap_or_else(|| panic!("README.md has no export row for `{format}`"));
            assert!(row.trim_end().ends_with(" |") && !row.rsplit(" | ").nth(1).unwrap_or_default().trim().is_empty(), "{row}");
        }
    }
}
