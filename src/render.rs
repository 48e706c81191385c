//! Templates: a resolved persona in, its summary and detail views out.
//!
//! Every text field is a minijinja template, rendered with the persona's
//! variables; then a layout template (built in, or `templates/*.md.j2` from the
//! repository) lays the rendered texts out as a view. Rendering is pure and
//! sandboxed: no loader reaches the filesystem (templates come from the
//! snapshot), undefined variables are errors, and fuel bounds the work.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code};
use crate::model::*;

const BUILTIN_SUMMARY: &str = include_str!("templates/summary.md.j2");
const BUILTIN_DETAIL: &str = include_str!("templates/detail.md.j2");
const BUILTIN_SUMMARY_NAME: &str = "<builtin>/summary.md.j2";
const BUILTIN_DETAIL_NAME: &str = "<builtin>/detail.md.j2";
const CUSTOM_SUMMARY: &str = "templates/summary.md.j2";
const CUSTOM_DETAIL: &str = "templates/detail.md.j2";

/// Instructions a template may run before it is stopped.
const FUEL: u64 = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Summary,
    Detail,
}

impl View {
    pub const BOTH: [View; 2] = [View::Summary, View::Detail];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Summary => "summary",
            View::Detail => "detail",
        }
    }
}

/// Where a registered template's text sits, to place its errors.
struct Origin {
    file: Arc<str>,
    span: std::ops::Range<usize>,
    lines: Vec<(usize, usize)>,
    what: String,
}

/// The minijinja environment for one catalog.
pub struct Renderer {
    env: Environment<'static>,
    origins: HashMap<String, Origin>,
    summary_layout: String,
    detail_layout: String,
}

fn text_id(file: &str, text: &Text) -> String {
    format!("{file}@{}", text.span.start)
}

impl Renderer {
    pub fn new(catalog: &Catalog) -> Renderer {
        // Every text of every definition, registered by id; compiled on first use.
        type Field<'a> = (&'static str, Option<&'a Text>);
        fn add<'a>(texts: &mut Vec<(&'a Meta, Kind, &'static str, &'a Text)>, meta: &'a Meta, kind: Kind, fields: Vec<Field<'a>>) {
            for (field, text) in [("description", meta.description.as_ref())].into_iter().chain(fields) {
                if let Some(text) = text {
                    texts.push((meta, kind, field, text));
                }
            }
        }
        let mut texts = Vec::new();
        for p in catalog.personas.values() {
            add(&mut texts, &p.meta, Kind::Persona, vec![("summary", p.summary.as_ref()), ("detail", p.detail.as_ref())]);
        }
        for p in catalog.parts.values() {
            add(&mut texts, &p.meta, Kind::Part, vec![("summary", Some(&p.summary)), ("content", p.content.as_ref())]);
        }
        for t in catalog.traits.values() {
            add(&mut texts, &t.meta, Kind::Trait, vec![("instruction", t.instruction.as_ref())]);
        }
        for s in catalog.skills.values() {
            add(&mut texts, &s.meta, Kind::Skill, vec![("content", s.content.as_ref())]);
        }
        for g in catalog.guardrails.values() {
            add(&mut texts, &g.meta, Kind::Guardrail, vec![("content", g.content.as_ref())]);
        }
        for a in catalog.arcs.values() {
            let mut fields = vec![("summary", a.summary.as_ref())];
            for s in &a.stages {
                fields.push(("stage description", s.description.as_ref()));
                fields.push(("stage condition", s.condition.as_ref()));
            }
            add(&mut texts, &a.meta, Kind::Arc, fields);
        }
        let mut sources: HashMap<String, String> = HashMap::new();
        let mut origins = HashMap::new();
        for (meta, kind, field, text) in texts {
            let id = text_id(&meta.file, text);
            sources.insert(id.clone(), text.source.clone());
            let what = format!("the `{field}` of {kind} `{}`", meta.name);
            origins.insert(id, Origin { file: meta.file.clone(), span: text.span.clone(), lines: text.lines.clone(), what });
        }

        // Layouts: the repository's templates replace the built-in ones.
        for (path, text) in &catalog.templates {
            sources.insert(path.to_string(), text.to_string());
            origins.insert(
                path.to_string(),
                Origin { file: path.clone(), span: 0..0, lines: vec![(0, 0)], what: format!("the layout template `{path}`") },
            );
        }
        let layout = |custom: &str, builtin: &str| {
            if catalog.templates.contains_key(custom) { custom.to_string() } else { builtin.to_string() }
        };
        let summary_layout = layout(CUSTOM_SUMMARY, BUILTIN_SUMMARY_NAME);
        let detail_layout = layout(CUSTOM_DETAIL, BUILTIN_DETAIL_NAME);
        sources.insert(BUILTIN_SUMMARY_NAME.into(), BUILTIN_SUMMARY.into());
        sources.insert(BUILTIN_DETAIL_NAME.into(), BUILTIN_DETAIL.into());

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(64);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.keep_trailing_newline(true);
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        let sources = Arc::new(sources);
        env.set_loader(move |name| Ok(sources.get(name).cloned()));
        Renderer { env, origins, summary_layout, detail_layout }
    }

    /// Renders every text field a resolved persona uses.
    pub fn render_texts(&self, persona: &ResolvedPersona) -> Result<RenderedPersona, Vec<Diagnostic>> {
        let mut ctx: std::collections::BTreeMap<String, Value> =
            persona.vars.iter().map(|(k, v)| (k.clone(), Value::from(Serde(v)))).collect();
        for name in &persona.runtime_vars {
            ctx.entry(name.clone()).or_insert_with(|| Value::from(format!("{{{{ {name} }}}}")));
        }
        let ctx = Value::from(ctx);
        let mut diags = Vec::new();
        let mut render = |file: &Arc<str>, text: Option<&Text>| -> String {
            let Some(text) = text else { return String::new() };
            match self.render_text(file, text, &ctx) {
                Ok(s) => s,
                Err(d) => {
                    diags.push(d);
                    String::new()
                }
            }
        };
        let pfile = &persona.persona.meta.file;
        let file_of = |f: &Option<Arc<str>>| f.clone().unwrap_or_else(|| pfile.clone());
        let head = PersonaTexts {
            name: persona.name.clone(),
            title: title_case(&persona.name),
            version: persona.version.as_ref().map(ToString::to_string),
            summary: render(&file_of(&persona.text_files.summary), persona.summary),
            description: render(&file_of(&persona.text_files.description), persona.description),
            detail: render(&file_of(&persona.text_files.detail), persona.detail),
            tags: persona.tags.clone(),
        };
        let parts = persona
            .parts
            .iter()
            .map(|p| {
                let f = &p.part.meta.file;
                RenderedPart {
                    name: p.part.meta.name.clone(),
                    part_type: p.part.part_type.value.clone(),
                    title: title_case(&p.part.part_type.value),
                    order: p.order,
                    priority: p.priority,
                    description: render(f, p.part.meta.description.as_ref()),
                    summary: render(f, Some(&p.part.summary)),
                    content: render(f, p.part.content.as_ref()),
                    text: String::new(),
                }
            })
            .collect();
        let traits = persona
            .traits
            .iter()
            .map(|t| RenderedItem {
                name: t.meta.name.clone(),
                item_type: Some(t.trait_type.value.clone()),
                description: render(&t.meta.file, t.meta.description.as_ref()),
                content: render(&t.meta.file, t.instruction.as_ref()),
                severity: None,
                text: String::new(),
            })
            .collect();
        let skills = persona
            .skills
            .iter()
            .map(|s| RenderedItem {
                name: s.meta.name.clone(),
                item_type: None,
                description: render(&s.meta.file, s.meta.description.as_ref()),
                content: render(&s.meta.file, s.content.as_ref()),
                severity: None,
                text: String::new(),
            })
            .collect();
        let guardrails = persona
            .guardrails
            .iter()
            .map(|g| RenderedItem {
                name: g.meta.name.clone(),
                item_type: None,
                description: render(&g.meta.file, g.meta.description.as_ref()),
                content: render(&g.meta.file, g.content.as_ref()),
                severity: Some(g.severity.value.clone()),
                text: String::new(),
            })
            .collect();
        let stage = persona.stage.as_ref().map(|s| {
            let stage = s.stage();
            let f = &s.arc.meta.file;
            RenderedStage {
                arc: s.arc.meta.name.clone(),
                name: stage.name.value.clone(),
                description: render(f, stage.description.as_ref()),
                condition: render(f, stage.condition.as_ref()),
                next: s.arc.stages.get(s.index + 1).map(|n| n.name.value.clone()),
            }
        });
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(RenderedPersona { persona: head, parts, traits, skills, guardrails, stage, channel: persona.channel.clone() })
    }

    fn render_text(&self, file: &Arc<str>, text: &Text, ctx: &Value) -> Result<String, Diagnostic> {
        if !text.source.contains("{{") && !text.source.contains("{%") && !text.source.contains("{#") {
            return Ok(clean(&text.source));
        }
        let id = text_id(file, text);
        let template = self.env.get_template(&id).map_err(|e| self.template_error(&id, e, ctx))?;
        template.render(ctx.clone()).map(|s| clean(&s)).map_err(|e| self.template_error(&id, e, ctx))
    }

    /// Lays a rendered persona out as one view, leaving out the parts at the
    /// given positions (dropped by the budget).
    pub fn layout(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
        let pick = |summary: &str, detail: &str| -> String {
            match view {
                View::Summary => summary.to_string(),
                View::Detail if detail.is_empty() => summary.to_string(),
                View::Detail => detail.to_string(),
            }
        };
        let mut data = persona.clone();
        data.parts = persona
            .parts
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, p)| RenderedPart { text: pick(&p.summary, &p.content), ..p.clone() })
            .collect();
        for item in data.traits.iter_mut().chain(data.skills.iter_mut()).chain(data.guardrails.iter_mut()) {
            item.text = pick(&item.description, &item.content);
        }
        let mut sections: Vec<Section> = Vec::new();
        for part in &data.parts {
            match sections.last_mut() {
                Some(s) if s.part_type == part.part_type => s.parts.push(part.clone()),
                _ => sections.push(Section { part_type: part.part_type.clone(), title: part.title.clone(), parts: vec![part.clone()] }),
            }
        }
        let name = match view {
            View::Summary => &self.summary_layout,
            View::Detail => &self.detail_layout,
        };
        let ctx = Value::from(Serde(LayoutContext {
            view,
            text: pick(&data.persona.summary, &data.persona.detail),
            persona: &data.persona,
            parts: &data.parts,
            sections: &sections,
            traits: &data.traits,
            skills: &data.skills,
            guardrails: &data.guardrails,
            stage: data.stage.as_ref(),
            channel: data.channel.as_deref(),
        }));
        let template = self.env.get_template(name).map_err(|e| self.template_error(name, e, &ctx))?;
        template.render(ctx.clone()).map_err(|e| self.template_error(name, e, &ctx))
    }

    fn template_error(&self, id: &str, err: minijinja::Error, ctx: &Value) -> Diagnostic {
        let Some(origin) = self.origins.get(id) else {
            return Diagnostic::error(code::TEMPLATE_RUNTIME, format!("built-in layout failed: {err}"));
        };
        // The innermost error names the template that failed (an include, say).
        let (id, err) = match err.name() {
            Some(name) if name != id && self.origins.contains_key(name) => (name.to_string(), err),
            _ => (id.to_string(), err),
        };
        let origin = self.origins.get(&id).unwrap_or(origin);
        let at = |offset| file_offset(&origin.lines, offset);
        let span = match err.range().map(|r| (at(r.start), at(r.end))) {
            Some((Some(start), Some(end))) if end >= start => start..end,
            _ => origin.span.clone(),
        };
        match err.kind() {
            ErrorKind::SyntaxError
            | ErrorKind::UnknownFilter
            | ErrorKind::UnknownTest
            | ErrorKind::UnknownFunction
            | ErrorKind::BadEscape => Diagnostic::error(
                code::TEMPLATE_SYNTAX,
                format!("template error in {}: {}", origin.what, message(&err)),
            )
            .at(&origin.file, span)
            .help("text fields are minijinja (Jinja2) templates; write `{{ name }}` for a variable, or `{{ '{{' }}` for literal braces"),
            ErrorKind::UndefinedError => {
                let missing = self.missing_variables(&id, ctx);
                let message = match missing.as_slice() {
                    [] => format!("undefined value in {}", origin.what),
                    [one] => format!("undefined variable `{one}` in {}", origin.what),
                    many => format!(
                        "undefined variables {} in {}",
                        many.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                        origin.what
                    ),
                };
                let first = missing.first().cloned().unwrap_or_else(|| "name".into());
                Diagnostic::error(code::UNDEFINED_VARIABLE, message).at(&origin.file, span).help(format!(
                    "define `{first}` in `[vars]` of personac.toml or of the persona, or list it in the persona's `runtime_vars` to leave it for the caller"
                ))
            }
            ErrorKind::OutOfFuel => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("template in {} does too much work", origin.what))
                .at(&origin.file, span)
                .help(format!("templates may run at most {FUEL} instructions; simplify its loops")),
            _ => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("template error in {}: {}", origin.what, message(&err)))
                .at(&origin.file, span),
        }
    }

    /// Top-level variables a template uses that the context lacks.
    fn missing_variables(&self, id: &str, ctx: &Value) -> Vec<String> {
        let Ok(template) = self.env.get_template(id) else { return Vec::new() };
        let mut missing: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| ctx.get_attr(v).map_or(true, |x| x.is_undefined()) && self.env.globals().all(|(g, _)| g != v))
            .collect();
        missing.sort();
        missing
    }
}

fn message(err: &minijinja::Error) -> String {
    err.detail().map_or_else(|| err.kind().to_string(), ToString::to_string)
}

/// Trims blank lines and trailing whitespace around a rendered text.
fn clean(s: &str) -> String {
    s.trim_end().trim_start_matches('\n').to_string()
}

/// `order-lookup` -> `Order Lookup`.
pub fn title_case(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every text a persona's views use, rendered.
#[derive(Clone, Debug, Serialize)]
pub struct RenderedPersona {
    pub persona: PersonaTexts,
    pub parts: Vec<RenderedPart>,
    pub traits: Vec<RenderedItem>,
    pub skills: Vec<RenderedItem>,
    pub guardrails: Vec<RenderedItem>,
    pub stage: Option<RenderedStage>,
    pub channel: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonaTexts {
    pub name: String,
    pub title: String,
    pub version: Option<String>,
    pub summary: String,
    pub description: String,
    pub detail: String,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedPart {
    pub name: String,
    #[serde(rename = "type")]
    pub part_type: String,
    pub title: String,
    pub order: i64,
    pub priority: i64,
    pub description: String,
    pub summary: String,
    pub content: String,
    /// The text this view shows: the summary, or the content.
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedItem {
    pub name: String,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub description: String,
    pub content: String,
    pub severity: Option<String>,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedStage {
    pub arc: String,
    pub name: String,
    pub description: String,
    pub condition: String,
    pub next: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
struct Section {
    #[serde(rename = "type")]
    part_type: String,
    title: String,
    parts: Vec<RenderedPart>,
}

#[derive(Serialize)]
struct LayoutContext<'a> {
    view: View,
    /// The persona's own text for this view (summary, or detail).
    text: String,
    persona: &'a PersonaTexts,
    parts: &'a [RenderedPart],
    sections: &'a [Section],
    traits: &'a [RenderedItem],
    skills: &'a [RenderedItem],
    guardrails: &'a [RenderedItem],
    stage: Option<&'a RenderedStage>,
    channel: Option<&'a str>,
}
