//! `why`: which definition and layer put a line of a view there, what that
//! layer replaced or appended to, and why a part is absent (replaced at a
//! layer, dropped by the budget, left out by `--types` or `--limit`).

use std::fmt::Write as _;

use clap::Args;

use super::ctx::{Ctx, Outcome};
use super::query::{ViewArg, on_reached};
use crate::artifacts;
use crate::describe::ShowError;
use crate::model::{self, Kind, Layer, Layering, Request, ResolvedPersona};
use crate::project::Project;
use crate::render::{LineSource, View};

#[derive(Args)]
#[command(after_help = "Examples:
  personac why maya 12
  personac why maya --text \"Sound like a friendly\"
  personac why maya --channel voice --part tone-warm")]
pub struct WhyArgs {
    /// The persona (its name: the file name without extension)
    persona: String,
    /// The line of the view to explain (from 1)
    #[arg(required_unless_present_any = ["text", "part"], conflicts_with_all = ["text", "part"])]
    line: Option<usize>,
    /// Explain the first line of the view that contains TEXT
    #[arg(long, value_name = "TEXT", conflicts_with = "part")]
    text: Option<String>,
    /// Explain why a part is in the view, or why it is not
    #[arg(long, value_name = "NAME")]
    part: Option<String>,
    /// Which view: summary or detail
    #[arg(long, value_enum, default_value_t = ViewArg::Detail)]
    view: ViewArg,
    /// The arc stage (default: the persona's current stage)
    #[arg(long, value_name = "STAGE")]
    stage: Option<String>,
    /// The channel variant, such as `voice`
    #[arg(long, value_name = "CHANNEL")]
    channel: Option<String>,
    /// Keep only parts of these types, as `show --types` does
    #[arg(long, value_name = "TYPE,…", value_delimiter = ',')]
    types: Option<Vec<String>>,
    /// Keep the N parts with the highest priority, as `show --limit` does
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

pub(super) fn why(ctx: &Ctx, args: WhyArgs) -> Outcome {
    let request = Request {
        stage: args.stage.clone(),
        channel: args.channel.clone(),
        types: args.types.clone(),
        limit: args.limit,
        ..Request::default()
    };
    let view = match args.view {
        ViewArg::Summary => View::Summary,
        ViewArg::Detail => View::Detail,
    };
    let mut wanted = vec![(Kind::Persona, args.persona.as_str())];
    if let Some(part) = &args.part {
        wanted.push((Kind::Part, part.as_str()));
    }
    let answer = on_reached(ctx, None, &wanted, |_, project| {
        let resolved = project.catalog.resolve(&args.persona, &request).map_err(ShowError::from)?;
        explain(project, &resolved, view, &args).map_err(ShowError::Request)
    })?;
    out!("{answer}");
    Ok(())
}

/// The answer, or what is wrong with the question.
fn explain(project: &Project, r: &ResolvedPersona, view: View, args: &WhyArgs) -> Result<String, String> {
    let (rendered, [summary, detail]) = artifacts::traced_views(&project.renderer, &project.tokenizer, r)
        .map_err(|d| d.first().map(|d| d.message.clone()).unwrap_or_default())?;
    let traced = if view == View::Summary { summary } else { detail };
    let what = format!("the {} view of persona `{}`{}", view.as_str(), r.name, variant(r));
    let lines = traced.lines.ok_or_else(|| format!("{what} has no source records: its layout rewrites the texts it shows"))?;
    if let Some(part) = &args.part {
        return Ok(explain_part(project, r, &rendered, &traced.fitted, view, &lines, part, &what));
    }
    let at = match (&args.text, args.line) {
        (Some(text), _) => {
            lines.iter().position(|l| l.text.contains(text.as_str())).ok_or_else(|| format!("no line of {what} contains `{text}`"))?
        }
        (None, Some(n)) if n >= 1 && n <= lines.len() => n - 1,
        (None, Some(n)) => return Err(format!("{what} has {} lines, so it has no line {n}", lines.len())),
        (None, None) => return Err("name a line, `--text TEXT` or `--part NAME`".into()),
    };
    let l = &lines[at];
    let mut out = format!("line {} of {what}:\n  {}\n", at + 1, l.text);
    if l.kind == "layout" {
        let _ = writeln!(out, "written by the layout `{}` itself: {}", l.definition, layout_line(l.field));
        if l.field == "heading"
            && let Some(next) = lines[at + 1..].iter().find(|n| n.kind != "layout")
        {
            let _ = writeln!(out, "it heads the {} of {} `{}` ({})", next.field, next.kind, next.definition, next.place());
        }
        return Ok(out);
    }
    let _ = writeln!(out, "from {}: {}", l.place(), text_of(l));
    if l.template {
        let _ = writeln!(
            out,
            "a template: its line {} wrote this line (a loop's line writes one per pass; a value's lines keep the line that used it)",
            l.line.unwrap_or(0)
        );
    }
    if let Some(layer) = &l.layer {
        let _ = writeln!(out, "layer: {layer}");
    }
    if l.kind == "part" {
        for line in layering(r, &l.definition) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(out)
}

/// What a text is: "the `content` of part `tone-warm` (lines 5-9)".
fn text_of(l: &LineSource) -> String {
    let lines = match l.lines {
        Some([a, b]) if a != b => format!(", lines {a}-{b} of its file"),
        Some([a, _]) => format!(", line {a} of its file"),
        None => String::new(),
    };
    format!("the `{}` of {} `{}`{lines}", l.field, l.kind, l.definition)
}

fn layout_line(field: &str) -> &'static str {
    match field {
        "heading" => "a heading",
        "listing" => "a listing",
        "blank" => "a blank line between blocks",
        _ => "a line of its own text",
    }
}

/// " at stage `s` on channel `c`".
fn variant(r: &ResolvedPersona) -> String {
    let mut out = String::new();
    if let Some(s) = &r.stage {
        let _ = write!(out, " at stage `{}`", s.stage().name.value);
    }
    if let Some(c) = &r.channel {
        let _ = write!(out, " on channel `{c}`");
    }
    out
}

/// What the layers did to a part: brought it (replacing or appending to
/// what was below), and replaced it later.
fn layering(r: &ResolvedPersona, part: &str) -> Vec<String> {
    let named = |parts: &[(String, Layer)]| parts.iter().map(|(p, l)| format!("{p} ({l})")).collect::<Vec<_>>().join(", ");
    let mut out = Vec::new();
    for Layering { layer, part_type, parts, replaced, joined } in &r.layering {
        if parts.iter().any(|p| p == part) {
            if !replaced.is_empty() {
                out.push(format!("{part} ({layer}) replaced {}", named(replaced)));
            } else if !joined.is_empty() {
                out.push(format!("{part} ({layer}) was appended to {}", named(joined)));
            } else {
                out.push(format!("{part} ({layer}) brought the first part of type `{part_type}`"));
            }
        }
    }
    // What took its place, as the preview strikes it through.
    for gone in model::absent(&r.layering, &[]).iter().filter(|a| a.part == part) {
        out.push(format!("{part} ({}) was {}", gone.layer, gone.reason()));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn explain_part(
    project: &Project,
    r: &ResolvedPersona,
    rendered: &crate::render::RenderedPersona,
    fitted: &crate::budget::Fitted,
    view: View,
    lines: &[LineSource],
    part: &str,
    what: &str,
) -> String {
    let mut out = String::new();
    let history = layering(r, part);
    if let Some(p) = r.parts.iter().find(|p| p.part.meta.name == part) {
        if fitted.dropped.iter().any(|d| d == part) {
            let full = crate::budget::fit(&project.renderer, rendered, view, None, &project.tokenizer).map(|f| f.tokens).unwrap_or(0);
            let budget = r.budget.unwrap_or(0);
            let _ = writeln!(
                out,
                "part `{part}` ({}) is not in {what}: dropped by the budget. With every part the view is {full} tokens, over its budget of {budget}; the budget drops parts by ascending priority (this one's is {}), and dropped {}, leaving {} tokens.",
                p.layer,
                p.priority,
                fitted.dropped.join(", "),
                fitted.tokens
            );
        } else {
            let shown: Vec<String> = lines.iter().filter(|l| l.kind == "part" && l.definition == part).map(LineSource::place).collect();
            let _ = writeln!(out, "part `{part}` is in {what}, from layer {}", p.layer);
            if shown.is_empty() {
                let _ = writeln!(out, "it shows no line of its own here (loaded on demand, or an empty text)");
            } else {
                let mut places = shown.clone();
                places.dedup();
                let _ = writeln!(out, "its {} lines come from {}", shown.len(), places.join(", "));
            }
        }
    } else if let Some(f) = model::absent(&[], &r.filtered).into_iter().find(|f| f.part == part)
        && let model::Why::Filtered(by) = f.why
    {
        let _ = writeln!(out, "part `{part}` ({}) is not in {what}: left out by `--{by}`", f.layer);
    } else if history.is_empty() {
        match project.catalog.parts.contains_key(part) {
            true => {
                let _ = writeln!(out, "part `{part}` is not in {what}: no layer of the persona links it");
            }
            false => {
                let _ = writeln!(out, "there is no part named `{part}`");
            }
        }
    } else {
        let _ = writeln!(out, "part `{part}` is not in {what}:");
    }
    for line in history {
        let _ = writeln!(out, "{line}");
    }
    out
}
