//! Hover: a part's type, title, summary, token count and the personas and
//! stages that use it; a persona's tokens per view against its budget and
//! what the budget drops; a variable's value and where it comes from.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::names::{self, Target};
use super::text;
use super::workspace::{Analysis, Workspace};
use crate::model::{Kind, Request};

pub fn hover(ws: &mut Workspace, params: HoverParams) -> Option<Hover> {
    let p = params.text_document_position_params;
    let (path, offset) = ws.at(&p.text_document.uri, p.position)?;
    let analysis = ws.analysis();
    let text = analysis.snapshot.get(&path)?;
    let (value, span) = match names::at(&analysis.project.catalog, &analysis.snapshot, &path, offset) {
        Some(o) => (describe(analysis, &o.target)?, o.span),
        None => {
            let (name, span) = variable_at(text, offset)?;
            (variable(analysis, &path, &name), span)
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(text::range(text, &span)),
    })
}

fn describe(analysis: &Analysis, target: &Target) -> Option<String> {
    let catalog = &analysis.project.catalog;
    let mut out = String::new();
    match target {
        Target::Def(Kind::Part, name) => {
            let part = catalog.part(name)?;
            let _ = writeln!(out, "**part `{name}`** ({} part)\n", part.part_type.value);
            if let Some(title) = &part.title {
                let _ = writeln!(out, "*{}*\n", title.source);
            }
            let _ = writeln!(out, "{}\n", part.summary.source);
            let body = part.content.as_ref().unwrap_or(&part.summary);
            if let Ok(n) = analysis.project.tokenizer.count_whole(&body.source) {
                let _ = writeln!(out, "{n} tokens ({}, before rendering)\n", if part.content.is_some() { "content" } else { "summary" });
            }
            let users = names::references(catalog, &analysis.snapshot, target);
            let mut personas: Vec<String> = Vec::new();
            let mut stages: Vec<String> = Vec::new();
            for (file, _) in &users {
                match names::defined_in(catalog, file) {
                    Some((Kind::Persona, n)) if !personas.contains(&n) => personas.push(n),
                    Some((Kind::Arc, n)) if !stages.contains(&n) => stages.push(n),
                    _ => {}
                }
            }
            let list = |v: &[String]| v.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            match personas.is_empty() {
                true => out.push_str("used by no persona\n"),
                false => _ = writeln!(out, "used by {}", list(&personas)),
            }
            if !stages.is_empty() {
                let _ = writeln!(out, "\nin the stages of {}", list(&stages));
            }
        }
        Target::Def(Kind::Persona, name) => {
            let persona = catalog.persona(name)?;
            let _ = writeln!(out, "**persona `{name}`**\n");
            if let Some(summary) = &persona.summary {
                let _ = writeln!(out, "{}\n", summary.source);
            }
            if persona.is_abstract {
                out.push_str("abstract: a base to extend, never compiled on its own\n");
                return Some(out);
            }
            let resolved = catalog.resolve(name, &Request::default()).ok()?;
            let budget = resolved.budget;
            match crate::artifacts::views(&analysis.project.renderer, &analysis.project.tokenizer, &resolved) {
                Ok((_, [summary, detail])) => {
                    for (view, fitted) in [("summary", &summary), ("detail", &detail)] {
                        let _ = write!(out, "- {view}: {} tokens", fitted.tokens);
                        if let Some(max) = budget {
                            let _ = write!(out, " of {max}");
                        }
                        if !fitted.dropped.is_empty() {
                            let _ = write!(
                                out,
                                "; the budget drops {}",
                                fitted.dropped.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                            );
                        }
                        out.push('\n');
                    }
                }
                Err(_) => out.push_str("does not compile (see the diagnostics)\n"),
            }
        }
        Target::Def(kind, name) => {
            let meta = catalog.meta(*kind, name)?;
            let _ = writeln!(out, "**{kind} `{name}`**\n");
            if let Some(d) = &meta.description {
                let _ = writeln!(out, "{}", d.source);
            }
            let _ = writeln!(out, "\n`{}`", meta.file);
        }
        Target::Stage { arc, stage } => {
            let a = catalog.arcs.get(arc)?;
            let s = a.stages.iter().find(|s| &s.name.value == stage)?;
            let _ = writeln!(out, "**stage `{stage}`** of arc `{arc}`\n");
            if let Some(c) = &s.condition {
                let _ = writeln!(out, "when: {}\n", c.source);
            }
            let parts: Vec<String> = s.parts.iter().map(|p| format!("`{}`", p.name.value)).collect();
            let _ = writeln!(out, "parts: {}", parts.join(", "));
        }
        Target::PartType(t) => {
            let n = catalog.parts.values().filter(|p| &p.part_type.value == t).count();
            let _ = writeln!(out, "**part type `{t}`**: {n} part{}", if n == 1 { "" } else { "s" });
        }
    }
    Some(out)
}

/// The variable name under the cursor inside `{{ }}`, with its span.
fn variable_at(text: &str, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    let offset = text::offset(text, text::position(text, offset));
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let start = text[..offset].rfind(|c: char| !is_name(c)).map_or(0, |i| i + 1);
    let end = text[offset..].find(|c: char| !is_name(c)).map_or(text.len(), |i| offset + i);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..start];
    let open = before.rfind("{{")?;
    if before[open..].contains("}}") || start == end {
        return None;
    }
    Some((text[start..end].to_string(), start..end))
}

/// A variable's value and where it comes from, for the personas this
/// file is part of.
fn variable(analysis: &Analysis, path: &str, name: &str) -> String {
    let catalog = &analysis.project.catalog;
    let mut out = format!("**variable `{name}`**\n\n");
    let shown = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    if let Some(v) = catalog.config.vars.get(name) {
        let _ = writeln!(out, "- {} from `[vars]` of personac.toml", shown(v));
    }
    let own = names::defined_in(catalog, path);
    for persona in catalog.personas.values() {
        let relevant = match &own {
            Some((Kind::Persona, n)) => {
                // The persona itself and its descendants.
                let mut at = Some(&**persona);
                let mut depth = 0;
                let mut found = false;
                while let Some(p) = at {
                    found |= &p.meta.name == n;
                    depth += 1;
                    at = p.extends.as_ref().and_then(|e| catalog.persona(&e.value)).filter(|_| depth < crate::catalog::MAX_DEPTH);
                }
                found
            }
            Some((kind, n)) => persona.references().contains(&(*kind, n.as_str())) || persona.extends.is_some(),
            None => true,
        };
        if !relevant {
            continue;
        }
        if let Some(v) = persona.vars.get(name) {
            let _ = writeln!(out, "- {} from `vars` of persona `{}`", shown(v), persona.meta.name);
        }
        for channel in persona.channels.iter().flatten() {
            if let Some(v) = channel.vars.get(name) {
                let _ = writeln!(out, "- {} on channel `{}` of persona `{}`", shown(v), channel.name.value, persona.meta.name);
            }
        }
        if let Some(var) = persona.runtime_vars.iter().flatten().find(|v| v.name.value == name) {
            let default = var.default.as_ref().map(|d| format!(" (default `{d}`)")).unwrap_or_default();
            let _ = writeln!(out, "- a runtime variable of persona `{}`, filled by the caller{default}", persona.meta.name);
        }
    }
    if out.ends_with("\n\n") {
        out.push_str("not defined: a persona that uses this text must define it (`vars`, `[vars]` or `runtime_vars`)\n");
    }
    out
}
