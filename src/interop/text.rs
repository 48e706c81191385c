//! Text handling every importer shares: splitting a Markdown prompt into
//! sections at its headings (never inside a code fence), what a heading
//! says a section is, `{var}` placeholders as template variables, and
//! literal template syntax kept literal.

use super::agent::{Role, Section};
use crate::render::has_template_syntax;

/// A Markdown heading line outside code fences: its level and its text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with([' ', '\t']) {
        let text = line[hashes..].trim().trim_end_matches('#').trim();
        return (!text.is_empty()).then_some((hashes, text));
    }
    None
}

/// The lines of a Markdown text, each with whether it is inside a code
/// fence (` ``` ` or `~~~`).
fn fenced_lines(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
        let opens = marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap_or('`'));
        match &fence {
            Some(open) if opens && marker.starts_with(open.as_str()) && trimmed[marker.len()..].trim().is_empty() => {
                out.push((line, true));
                fence = None;
            }
            Some(_) => out.push((line, true)),
            None if opens => {
                out.push((line, true));
                fence = Some(marker);
            }
            None => out.push((line, false)),
        }
    }
    out
}

/// A prompt split at its top-level headings: the text before the first
/// one, then `(heading, text)` for each. A lone `# Title` on the first line
/// is the document's title, not a section. Deeper headings stay inside
/// their section's text.
pub struct Split {
    pub title: Option<String>,
    pub intro: String,
    pub sections: Vec<(String, String)>,
}

pub fn split(text: &str) -> Split {
    let lines = fenced_lines(text);
    let headings: Vec<(usize, usize)> = lines
        .iter()
        .enumerate()
        .filter(|(_, (_, fenced))| !fenced)
        .filter_map(|(i, (l, _))| heading(l).map(|(level, _)| (i, level)))
        .collect();
    // A first-line H1 followed by no other H1 is the title.
    let first_content = lines.iter().position(|(l, _)| !l.trim().is_empty());
    let mut title = None;
    let mut skip = None;
    if let (Some(first), Some(&(i, 1))) = (first_content, headings.first())
        && i == first
        && headings.iter().filter(|(_, level)| *level == 1).count() == 1
    {
        title = heading(lines[i].0).map(|(_, t)| t.to_string());
        skip = Some(i);
    }
    let level = headings.iter().filter(|(i, _)| Some(*i) != skip).map(|(_, level)| *level).min();
    let mut intro = Vec::new();
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    for (i, (line, fenced)) in lines.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        if !fenced
            && let Some((l, text)) = heading(line)
            && Some(l) == level
        {
            sections.push((text.to_string(), Vec::new()));
            continue;
        }
        match sections.last_mut() {
            Some((_, body)) => body.push(line),
            None => intro.push(*line),
        }
    }
    let join = |lines: &[&str]| lines.join("\n").trim_matches('\n').to_string();
    Split {
        title,
        intro: join(&intro),
        sections: sections.into_iter().map(|(t, body)| (t, join(&body))).filter(|(_, body)| !body.trim().is_empty()).collect(),
    }
}

/// What a heading says its section is (SPEC section 8): identity, tone,
/// goal, workflow (a protocol), context, constraints and "never" rules (a
/// guardrail); anything else is kept as a context part with its heading as
/// title.
pub fn role_of(heading: &str) -> Role {
    let h = heading.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.split(|c: char| !c.is_alphanumeric()).any(|word| word == *w) || h.contains(w));
    if has(&[
        "constraint",
        "never",
        "don't",
        "do not",
        "must not",
        "guardrail",
        "boundaries",
        "restriction",
        "prohibited",
        "forbidden",
        "limitation",
    ]) {
        Role::Guardrail
    } else if has(&["identity", "who you are", "persona", "role"]) {
        Role::Part("identity")
    } else if has(&["tone", "voice", "style", "communication style"]) {
        Role::Part("tone")
    } else if has(&["goal", "objective", "mission", "purpose"]) {
        Role::Part("goal")
    } else if has(&["workflow", "process", "protocol", "procedure", "steps", "approach", "methodology", "how you work"]) {
        Role::Part("protocol")
    } else if has(&["capabilit", "expertise", "specialt", "competenc", "skills"]) {
        Role::Part("specialization")
    } else if has(&["backstory", "background story", "history", "lore", "bio"]) {
        Role::Part("backstory")
    } else {
        Role::Part("context")
    }
}

/// Turns `{name}` placeholders (CrewAI, llm-persona: Python format fields)
/// into template variables `{{ name }}`, keeping any literal template
/// syntax literal (`{{ '{{' }}`). Returns the text and the names found.
pub fn placeholders(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        // A literal opener ({{, {%, {#) stays literal.
        if let Some(next) = after.chars().next().filter(|c| matches!(c, '{' | '%' | '#')) {
            out.push_str(&format!("{{{{ '{{{next}' }}}}"));
            rest = &after[next.len_utf8()..];
            continue;
        }
        let name_len = after.find('}').filter(|&n| n > 0 && is_placeholder(&after[..n]));
        match name_len {
            Some(n) => {
                let name = after[..n].replace('-', "_");
                out.push_str(&format!("{{{{ {name} }}}}"));
                if !names.contains(&name) {
                    names.push(name);
                }
                rest = &after[n + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, names)
}

/// A `{word}` placeholder name, as CrewAI matches them
/// (`[A-Za-z_][A-Za-z0-9_-]*`).
fn is_placeholder(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A section from a source field or heading, literal if its text holds
/// template syntax.
pub fn section(title: &str, role: Role, text: &str) -> Section {
    Section { title: title.to_string(), role, text: text.trim().to_string(), literal: has_template_syntax(text) }
}

/// The sections of a Markdown prompt, each typed by its heading.
pub fn sections(split: &Split) -> Vec<Section> {
    split.sections.iter().map(|(title, text)| section(title, role_of(title), text)).collect()
}

/// A one-line summary of a text: its first sentence (or line), at most 160
/// characters.
pub fn first_sentence(text: &str) -> String {
    // A list item's marker (`- `, `1. `) is not part of its sentence.
    let unmarked = |l: &str| -> String {
        let l = l.trim().trim_start_matches(['#', '-', '*', '>', ' ']).trim();
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        match l[digits..].strip_prefix(['.', ')']) {
            Some(rest) if digits > 0 && rest.starts_with(' ') => rest.trim().to_string(),
            _ => l.to_string(),
        }
    };
    let line = text.lines().map(unmarked).find(|l| !l.is_empty() && !l.starts_with("```")).unwrap_or_default();
    let line = line.as_str();
    let sentence = match line.find(". ") {
        Some(end) => &line[..=end],
        None => line,
    };
    let mut out: String = sentence.chars().take(160).collect();
    if sentence.chars().count() > 160 {
        out.push('…');
    }
    out
}

/// A list of strings as Markdown bullets.
pub fn bullets(items: &[String]) -> String {
    items.iter().map(|i| format!("- {}", i.trim())).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_split_at_top_level_headings_outside_fences() {
        let text = "# Reviewer\n\nYou review code.\n\n## Workflow\n1. Read.\n\n```sh\n# not a heading\n```\n\n### Detail\nMore.\n\n---\n\n## Never\nMerge.\n";
        let split = split(text);
        assert_eq!(split.title.as_deref(), Some("Reviewer"));
        assert_eq!(split.intro, "You review code.");
        assert_eq!(split.sections.len(), 2);
        assert_eq!(split.sections[0].0, "Workflow");
        assert!(
            split.sections[0].1.contains("# not a heading")
                && split.sections[0].1.contains("### Detail")
                && split.sections[0].1.contains("---")
        );
        assert_eq!(split.sections[1], ("Never".to_string(), "Merge.".to_string()));
        assert_eq!(role_of("Development Workflow"), Role::Part("protocol"));
        assert_eq!(role_of("What you must NEVER do"), Role::Guardrail);
        assert_eq!(role_of("Communication Protocol"), Role::Part("protocol"));
        assert_eq!(role_of("🎯 Role & Objectives"), Role::Part("identity"));
        assert_eq!(role_of("Examples"), Role::Part("context"));
    }

    #[test]
    fn placeholders_become_variables_and_literal_syntax_stays() {
        let (text, names) =
            placeholders("Research {topic} for {company-name}; keep {{CompanyName}} and {} and {not a var} and {\"a\": 1}.");
        assert_eq!(
            text,
            "Research {{ topic }} for {{ company_name }}; keep {{ '{{' }}CompanyName}} and {} and {not a var} and {\"a\": 1}."
        );
        assert_eq!(names, ["topic", "company_name"]);
        assert_eq!(first_sentence("1. Find the order. Then fix it."), "Find the order.");
        assert_eq!(first_sentence("\n- Plain words, no hype"), "Plain words, no hype");
    }
}
