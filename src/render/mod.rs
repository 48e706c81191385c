//! Templates: a resolved persona in, its summary and detail views out.
//!
//! Every text field is a minijinja template, rendered with the persona's
//! variables; then a layout template (built in, or `templates/*.md.j2` from the
//! repository) lays the rendered texts out as a view. Rendering is pure and
//! sandboxed: no loader reaches the filesystem (templates come from the
//! snapshot), undefined variables are errors, and fuel bounds the work.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, Serde};
use minijinja::{Environment, ErrorKind, Value};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code};
use crate::model::*;
use engine::{FUEL, Failure, MAX_OUTPUT};

mod engine;

const BUILTIN_SUMMARY: &str = include_str!("templates/summary.md.j2");
const BUILTIN_DETAIL: &str = include_str!("templates/detail.md.j2");
const BUILTIN_SUMMARY_NAME: &str = "<builtin>/summary.md.j2";
const BUILTIN_DETAIL_NAME: &str = "<builtin>/detail.md.j2";
const CUSTOM_SUMMARY: &str = "templates/summary.md.j2";
const CUSTOM_DETAIL: &str = "templates/detail.md.j2";

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
    /// Rendered texts by template id and the values of the variables that
    /// template uses: a part that uses only project variables renders once,
    /// however many personas, stages and channels show it.
    memo: Mutex<HashMap<String, String>>,
    /// The top-level variables each template uses.
    uses: Mutex<HashMap<String, Arc<[String]>>>,
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

        let env = engine::environment(Arc::new(sources));
        Renderer { env, origins, summary_layout, detail_layout, memo: Mutex::default(), uses: Mutex::default() }
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
                Arc::new(RenderedPart {
                    name: p.part.meta.name.clone(),
                    part_type: p.part.part_type.value.clone(),
                    title: title_case(&p.part.part_type.value),
                    order: p.order,
                    priority: p.priority,
                    description: render(f, p.part.meta.description.as_ref()),
                    summary: render(f, Some(&p.part.summary)),
                    content: render(f, p.part.content.as_ref()),
                })
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
            })
            .map(Arc::new)
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
            })
            .map(Arc::new)
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
            })
            .map(Arc::new)
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
        if let Some(done) = substitute(&text.source, ctx) {
            return Ok(clean(&done));
        }
        let id = text_id(file, text);
        let template = self.env.get_template(&id).map_err(|e| self.template_error(&id, e, ctx))?;
        let uses = self.uses.lock().ok().and_then(|u| u.get(&id).cloned());
        let uses = uses.unwrap_or_else(|| {
            let mut names: Vec<String> = template.undeclared_variables(false).into_iter().collect();
            names.sort();
            let names: Arc<[String]> = names.into();
            if let Ok(mut u) = self.uses.lock() {
                u.insert(id.clone(), names.clone());
            }
            names
        });
        let mut key = id.clone();
        for name in uses.iter() {
            let _ = write!(key, "\0{name}={:?}", ctx.get_attr(name).unwrap_or_default());
        }
        if let Some(hit) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(hit);
        }
        let rendered = engine::render(&template, ctx.clone()).map(|s| clean(&s)).map_err(|e| self.failure(&id, e, ctx))?;
        if let Ok(mut m) = self.memo.lock() {
            m.insert(key, rendered.clone());
        }
        Ok(rendered)
    }

    /// The top-level variables a text uses (for lints).
    pub fn variables(&self, file: &Arc<str>, text: &Text) -> Vec<String> {
        if !text.source.contains("{{") && !text.source.contains("{%") {
            return Vec::new();
        }
        let Ok(template) = self.env.get_template(&text_id(file, text)) else { return Vec::new() };
        template.undeclared_variables(false).into_iter().collect()
    }

    /// Lays a rendered persona out as one view, leaving out the parts at the
    /// given positions (dropped by the budget).
    pub fn layout(&self, persona: &RenderedPersona, view: View, dropped: &BTreeSet<usize>) -> Result<String, Diagnostic> {
        // Parts and items are objects whose fields a template reads on
        // demand: nothing is copied or serialized that the layout does not use.
        let parts: Vec<(&str, Value)> = persona
            .parts
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, p)| (p.part_type.as_str(), Value::from_object(PartObject { part: p.clone(), view })))
            .collect();
        let mut sections: Vec<Value> = Vec::new();
        let mut run: Vec<Value> = Vec::new();
        for (i, (part_type, part)) in parts.iter().enumerate() {
            run.push(part.clone());
            if parts.get(i + 1).is_none_or(|(next, _)| next != part_type) {
                let title = title_case(part_type);
                let section =
                    [("type", Value::from(*part_type)), ("title", Value::from(title)), ("parts", Value::from(std::mem::take(&mut run)))];
                sections.push(Value::from_pairs(section));
            }
        }
        let items = |list: &[Arc<RenderedItem>]| -> Value {
            list.iter().map(|item| Value::from_object(ItemObject { item: item.clone(), view })).collect()
        };
        let ctx = Value::from_pairs([
            ("view", Value::from(view.as_str())),
            ("text", Value::from(pick(view, &persona.persona.summary, &persona.persona.detail))),
            ("persona", Value::from(Serde(&persona.persona))),
            ("parts", parts.into_iter().map(|(_, v)| v).collect()),
            ("sections", Value::from(sections)),
            ("traits", items(&persona.traits)),
            ("skills", items(&persona.skills)),
            ("guardrails", items(&persona.guardrails)),
            ("stage", Value::from(Serde(&persona.stage))),
            ("channel", Value::from(persona.channel.clone())),
        ]);
        let name = match view {
            View::Summary => &self.summary_layout,
            View::Detail => &self.detail_layout,
        };
        let template = self.env.get_template(name).map_err(|e| self.template_error(name, e, &ctx))?;
        engine::render(&template, ctx.clone()).map_err(|e| self.failure(name, e, &ctx))
    }

    /// The diagnostic of a guarded render that failed.
    fn failure(&self, id: &str, failure: Failure, ctx: &Value) -> Diagnostic {
        let (file, span, what) = match self.origins.get(id) {
            Some(o) => (o.file.clone(), o.span.clone(), o.what.clone()),
            None => (Arc::from("<builtin>"), 0..0, "a built-in layout".to_string()),
        };
        match failure {
            Failure::Template(err) => self.template_error(id, err, ctx),
            Failure::TooLarge => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("{what} renders to more than {} MiB", MAX_OUTPUT >> 20))
                .at(&file, span)
                .help("a text may render to at most 1 MiB; look for a loop or a repetition that runs away"),
            Failure::Panic(panic) => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("the template engine failed on {what}"))
                .at(&file, span)
                .help(format!("this is a bug in the template engine (minijinja), caught by personac: {panic}"))
                .help("rewrite the template around the construct that fails, and please report it"),
        }
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
                let help = match missing.first() {
                    _ if origin.what.starts_with("the layout template") => "layouts see `persona` (name, title, version, summary, description, detail, tags), `text`, `view`, `parts`, `sections`, `traits`, `skills`, `guardrails`, `stage` and `channel`; check the name".to_string(),
                    Some(first) => format!(
                        "define `{first}` in `[vars]` of personac.toml or of the persona, or list it in the persona's `runtime_vars` to leave it for the caller"
                    ),
                    None => "a variable's attribute or item is missing; check its name".to_string(),
                };
                Diagnostic::error(code::UNDEFINED_VARIABLE, message).at(&origin.file, span).help(help)
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

/// Renders a text whose only template syntax is `{{ name }}`, the common
/// case, without compiling a template: the result is what minijinja prints
/// (a value's `Display`, no escaping). `None` for anything else (tags,
/// comments, filters, whitespace control, an undefined name), which the full
/// engine then renders or reports.
fn substitute(source: &str, ctx: &Value) -> Option<String> {
    if source.contains("{%") || source.contains("{#") {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let name = after[..close].trim_matches(' ');
        if !crate::parse::is_identifier(name) || name == "none" || name == "true" || name == "false" {
            return None;
        }
        let value = ctx.get_attr(name).ok().filter(|v| !v.is_undefined())?;
        let _ = write!(out, "{value}");
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// The text a view shows: the summary, or in the detail view the long text
/// when there is one.
fn pick<'a>(view: View, summary: &'a str, detail: &'a str) -> &'a str {
    if view == View::Detail && !detail.is_empty() { detail } else { summary }
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
#[derive(Clone, Debug)]
pub struct RenderedPersona {
    pub persona: PersonaTexts,
    pub parts: Vec<Arc<RenderedPart>>,
    pub traits: Vec<Arc<RenderedItem>>,
    pub skills: Vec<Arc<RenderedItem>>,
    pub guardrails: Vec<Arc<RenderedItem>>,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedItem {
    pub name: String,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub description: String,
    pub content: String,
    pub severity: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedStage {
    pub arc: String,
    pub name: String,
    pub description: String,
    pub condition: String,
    pub next: Option<String>,
}

/// A part as a layout sees it: its rendered texts, and `text`, the one this
/// view shows (the summary, or in the detail view the content).
#[derive(Debug)]
struct PartObject {
    part: Arc<RenderedPart>,
    view: View,
}

impl Object for PartObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let p = &self.part;
        Some(match key.as_str()? {
            "name" => Value::from(p.name.as_str()),
            "type" => Value::from(p.part_type.as_str()),
            "title" => Value::from(p.title.as_str()),
            "order" => Value::from(p.order),
            "priority" => Value::from(p.priority),
            "description" => Value::from(p.description.as_str()),
            "summary" => Value::from(p.summary.as_str()),
            "content" => Value::from(p.content.as_str()),
            "text" => Value::from(pick(self.view, &p.summary, &p.content)),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "type", "title", "order", "priority", "description", "summary", "content", "text"])
    }
}

/// A trait, skill or guardrail as a layout sees it; `text` is the
/// description, or in the detail view the content.
#[derive(Debug)]
struct ItemObject {
    item: Arc<RenderedItem>,
    view: View,
}

impl Object for ItemObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = &self.item;
        Some(match key.as_str()? {
            "name" => Value::from(i.name.as_str()),
            "type" => Value::from(i.item_type.clone()),
            "description" => Value::from(i.description.as_str()),
            "content" => Value::from(i.content.as_str()),
            "severity" => Value::from(i.severity.clone()),
            "text" => Value::from(pick(self.view, &i.description, &i.content)),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "type", "description", "content", "severity", "text"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path prints exactly what minijinja prints, and declines
    /// whatever it does not handle.
    #[test]
    fn substitution_matches_minijinja() {
        let ctx = Value::from(Serde(serde_json::json!({
            "company": "Acme", "n": 3, "pi": 1.5, "yes": true, "nothing": null, "list": [1, "a"], "map": {"k": "v"},
        })));
        let env = {
            let mut env = Environment::new();
            env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
            env
        };
        for source in [
            "For {{ company }}.",
            "{{company}} has {{ n }} items at {{ pi }}; {{ yes }} {{ nothing }}",
            "{{ list }} and {{ map }}",
            "no template at all",
            "tail {{ company }}",
        ] {
            let expected = env.render_str(source, ctx.clone()).unwrap();
            assert_eq!(substitute(source, &ctx).as_deref(), Some(expected.as_str()), "{source}");
        }
        for declined in ["{{ company | upper }}", "{% if n %}x{% endif %}", "{{- company }}", "{{ missing }}", "{{ a.b }}", "{{ none }}"] {
            assert_eq!(substitute(declined, &ctx), None, "{declined}");
        }
    }
}
