//! Templates: a resolved persona in, its summary and detail views out.
//!
//! Every text field is a minijinja template, rendered with the persona's
//! variables (unless its definition says `template = false`); then a layout
//! template (built in, or `templates/*.md.j2` from the repository) lays the
//! rendered texts out as a view. Rendering is pure and sandboxed: no loader
//! reaches the filesystem (templates come from the snapshot), undefined
//! variables are errors, and every limit of [`engine`] is in force.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use minijinja::value::Serde;
use minijinja::{Environment, Value};

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code};
use crate::model::*;

mod bare;
mod builtin;
mod engine;
mod errors;
mod layout;
mod marks;
mod origins;
mod rendered;
mod shown;
mod sources;

use origins::{Origins, text_id};

pub use bare::has_template_syntax;
use bare::{bare_names, runtime_misuse_at, substitute};
pub use builtin::BUILTIN_LAYOUTS;
use builtin::{BUILTIN_DETAIL, BUILTIN_DETAIL_NAME, BUILTIN_SUMMARY, BUILTIN_SUMMARY_NAME};
pub use rendered::{PersonaTexts, RenderedItem, RenderedPart, RenderedPersona, RenderedStage, View, title_case};
pub use shown::tidy;
use sources::What;
pub use sources::{LineSource, Traced};

/// The built-in layouts, which every persona's artifacts depend on.
const CUSTOM_SUMMARY: &str = "templates/summary.md.j2";
const CUSTOM_DETAIL: &str = "templates/detail.md.j2";

/// The minijinja environment for one catalog.
pub struct Renderer {
    env: Environment<'static>,
    /// Every registered template, by id (compiled on first use).
    origins: Arc<Origins>,
    summary_layout: String,
    detail_layout: String,
    /// Rendered texts by template id and the values of the variables that
    /// template uses: a part that uses only project variables renders once,
    /// however many personas, stages and channels show it.
    memo: Mutex<foldhash::HashMap<String, String>>,
    /// The top-level variables each template uses.
    uses: Mutex<foldhash::HashMap<String, Arc<[String]>>>,
    /// Where a runtime variable is used other than bare, by template id and
    /// variable (`None`: only bare).
    misuse: Mutex<foldhash::HashMap<(String, String), Option<usize>>>,
    /// A template's output lines traced to its source lines, by its source
    /// and what it rendered: the same text rendering the same output has
    /// the same map, however many personas, stages and channels show it.
    lines: Mutex<LineMaps>,
}

/// Source lines of a template's output lines, by source and output.
type LineMaps = foldhash::HashMap<Arc<str>, foldhash::HashMap<String, Option<Arc<[usize]>>>>;

impl Renderer {
    pub fn new(catalog: &Catalog) -> Renderer {
        Renderer::with_origins(catalog, Origins::new(&texts(catalog, &|_| true)))
    }

    /// The renderer of `catalog`, patched from this one, the renderer of
    /// the catalog it was patched from ([`Catalog::patched`]): the texts of
    /// the `changed` files are registered again, the rest kept. Nothing
    /// else is kept: templates compile, and texts render, afresh.
    pub fn patched(self, catalog: &Catalog, changed: &foldhash::HashSet<Arc<str>>) -> Renderer {
        let Renderer { env, origins, .. } = self;
        // The environment's loader holds the other reference.
        drop(env);
        let Ok(mut origins) = Arc::try_unwrap(origins) else { return Renderer::new(catalog) };
        origins.forget(changed);
        origins.insert(&texts(catalog, &|meta| changed.contains(&*meta.file)));
        Renderer::with_origins(catalog, origins)
    }

    /// A renderer of the texts `origins` registers, and of the layouts.
    fn with_origins(catalog: &Catalog, mut origins: Origins) -> Renderer {
        // Layouts: the repository's templates replace the built-in ones.
        origins.clear_layouts();
        for (path, text) in &catalog.templates {
            origins.add_layout(path.clone(), text.clone());
        }
        let layout = |custom: &str, builtin: &str| {
            if catalog.templates.contains_key(custom) { custom.to_string() } else { builtin.to_string() }
        };
        let summary_layout = layout(CUSTOM_SUMMARY, BUILTIN_SUMMARY_NAME);
        let detail_layout = layout(CUSTOM_DETAIL, BUILTIN_DETAIL_NAME);

        let origins = Arc::new(origins);
        let registered = origins.clone();
        let env = engine::environment(move |name| match name {
            BUILTIN_SUMMARY_NAME => Some(BUILTIN_SUMMARY.to_string()),
            BUILTIN_DETAIL_NAME => Some(BUILTIN_DETAIL.to_string()),
            _ => registered.source(name).map(|source| source.to_string()),
        });
        Renderer {
            env,
            origins,
            summary_layout,
            detail_layout,
            memo: Mutex::default(),
            uses: Mutex::default(),
            misuse: Mutex::default(),
            lines: Mutex::default(),
        }
    }

    /// Checks that every text of the files `wanted` picks (definitions no
    /// persona uses, say) is a valid template.
    pub fn check_syntax(&self, wanted: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
        self.check_ids(&self.origins.ids(wanted))
    }

    /// [`Renderer::check_syntax`] of the texts of some files only, found
    /// without going through every file.
    pub fn check_syntax_of<'a>(&self, files: impl IntoIterator<Item = &'a str>) -> Vec<Diagnostic> {
        self.check_ids(&self.origins.ids_of(files))
    }

    fn check_ids(&self, ids: &[String]) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        // Compiled in an environment of their own, and dropped: a text no
        // persona renders is never needed compiled again.
        let checker = engine::environment(|_| None);
        for id in ids {
            let source = self.origins.source(id).map_or("", |source| &**source);
            if has_template_syntax(source)
                && let Err(err) = checker.template_from_named_str(id, source)
            {
                diags.push(self.template_error(id, err, &Value::UNDEFINED));
            }
        }
        diags
    }

    /// The template context of a persona's variables: runtime variables
    /// without a value render as themselves, `{{ name }}`, or marked
    /// ([`Placeholder::Marked`]) where a view's variable record is made.
    fn context(vars: &Vars, runtime_vars: &[String], placeholder: Placeholder) -> Value {
        let mut ctx: BTreeMap<String, Value> = vars.iter().map(|(k, v)| (k.clone(), Value::from(Serde(v)))).collect();
        for name in runtime_vars {
            ctx.entry(name.clone()).or_insert_with(|| Value::from(placeholder.of(name)));
        }
        Value::from(ctx)
    }

    /// Renders one text of one definition with the given variables (what
    /// the fetch tools and `get` show).
    pub fn render_one(
        &self,
        file: &Arc<str>,
        text: &Text,
        literal: bool,
        vars: &Vars,
        runtime_vars: &[String],
    ) -> Result<String, Diagnostic> {
        let open: Vec<String> = runtime_vars.iter().filter(|v| !vars.contains_key(*v)).cloned().collect();
        self.render_text(file, text, literal, &Self::context(vars, runtime_vars, Placeholder::Braces), &open)
    }

    /// Renders every text field a resolved persona uses.
    pub fn render_texts(&self, persona: &ResolvedPersona) -> Result<RenderedPersona, Vec<Diagnostic>> {
        self.render_texts_with(persona, Placeholder::Braces)
    }

    /// [`Renderer::render_texts`], with the runtime variables left open
    /// written as `placeholder` says.
    pub fn render_texts_with(&self, persona: &ResolvedPersona, placeholder: Placeholder) -> Result<RenderedPersona, Vec<Diagnostic>> {
        self.render_all(persona, placeholder, None)
    }

    /// [`Renderer::render_texts`], with every line of every text marked
    /// with the source line that made it, for [`Renderer::sources`].
    pub fn render_traced(&self, persona: &ResolvedPersona) -> Result<Traced, Vec<Diagnostic>> {
        // Built-in layouts say where they write each text: the texts need
        // no marks ([`Traced::located`]).
        let builtin = [&self.summary_layout, &self.detail_layout].iter().all(|l| builtin::is_builtin(l));
        self.render_traced_with(persona, builtin)
    }

    /// [`Renderer::render_traced`], the texts marked line by line even for
    /// a built-in layout when `locate` is false (a test compares the two).
    pub fn render_traced_with(&self, persona: &ResolvedPersona, locate: bool) -> Result<Traced, Vec<Diagnostic>> {
        let mut traced = if locate { Traced::located() } else { Traced::default() };
        let rendered = self.render_all(persona, Placeholder::Braces, Some(&mut traced))?;
        traced.persona = Some(rendered);
        Ok(traced)
    }

    fn render_all(
        &self,
        persona: &ResolvedPersona,
        placeholder: Placeholder,
        mut traced: Option<&mut Traced>,
    ) -> Result<RenderedPersona, Vec<Diagnostic>> {
        let ctx = Self::context(&persona.vars, &persona.runtime_vars, placeholder);
        // Runtime variables the caller leaves open: only bare uses are allowed.
        let open: Vec<String> = persona.runtime_vars.iter().filter(|v| !persona.vars.contains_key(*v)).cloned().collect();
        let mut diags = Vec::new();
        let mut render = |meta: &Meta, file: &Arc<str>, text: Option<&Text>, what: What| -> String {
            let Some(text) = text else { return String::new() };
            match self.render_text(file, text, !meta.template, &ctx, &open) {
                Ok(s) => match traced.as_deref_mut() {
                    Some(traced) => {
                        let template = meta.template && has_template_syntax(&text.source);
                        let map = if template { self.template_lines_of(&text.source, &ctx, &s) } else { None };
                        traced.tag(meta, file, text, map, s, What { template, ..what })
                    }
                    None => s,
                },
                Err(d) => {
                    diags.push(d);
                    String::new()
                }
            }
        };
        let pmeta = &persona.persona.meta;
        let file_of = |f: &Option<Arc<str>>| f.clone().unwrap_or_else(|| pmeta.file.clone());
        let head = PersonaTexts {
            name: persona.name.clone(),
            title: match persona.title {
                Some(title) => render(pmeta, &file_of(&persona.text_files.title), Some(title), what(Kind::Persona, "title", None)),
                None => title_case(&persona.name),
            },
            version: persona.version.as_ref().map(ToString::to_string),
            summary: render(pmeta, &file_of(&persona.text_files.summary), persona.summary, what(Kind::Persona, "summary", None)),
            description: render(
                pmeta,
                &file_of(&persona.text_files.description),
                persona.description,
                what(Kind::Persona, "description", None),
            ),
            detail: render(pmeta, &file_of(&persona.text_files.detail), persona.detail, what(Kind::Persona, "detail", None)),
            tags: persona.tags.clone(),
            own_headings: persona.own_headings,
        };
        let parts = persona
            .parts
            .iter()
            .map(|p| {
                let (m, f) = (&p.part.meta, &p.part.meta.file);
                let layer = || Some(p.layer.to_string());
                Arc::new(RenderedPart {
                    name: m.name.clone(),
                    part_type: p.part.part_type.value.clone(),
                    title: match &p.part.title {
                        Some(title) => render(m, f, Some(title), what(Kind::Part, "title", layer())),
                        None => title_case(&p.part.part_type.value),
                    },
                    own_title: p.part.title.is_some(),
                    order: p.order,
                    priority: p.priority,
                    description: render(m, f, m.description.as_ref(), what(Kind::Part, "description", layer())),
                    summary: render(m, f, Some(&p.part.summary), what(Kind::Part, "summary", layer())),
                    content: render(m, f, p.part.content.as_ref(), what(Kind::Part, "content", layer())),
                    load: p.load,
                })
            })
            .collect();
        let mut item = |meta: &Meta,
                        kind: Kind,
                        item_type: Option<String>,
                        content: Option<&Text>,
                        severity: Option<String>,
                        title: Option<&Text>,
                        load: Load| {
            let field = if kind == Kind::Trait { "instruction" } else { "content" };
            Arc::new(RenderedItem {
                name: meta.name.clone(),
                item_type,
                description: render(meta, &meta.file, meta.description.as_ref(), what(kind, "description", None)),
                content: render(meta, &meta.file, content, what(kind, field, None)),
                severity,
                title: title.map(|t| render(meta, &meta.file, Some(t), what(kind, "title", None))),
                load,
            })
        };
        let traits = persona
            .traits
            .iter()
            .map(|t| item(&t.meta, Kind::Trait, Some(t.trait_type.value.clone()), t.instruction.as_ref(), None, None, t.load))
            .collect();
        let mut skills = persona
            .skills
            .iter()
            .map(|s| item(&s.meta, Kind::Skill, None, s.content.as_ref(), None, s.title.as_ref(), s.load))
            .collect::<Vec<_>>();
        let guardrails = persona
            .guardrails
            .iter()
            .map(|g| {
                item(&g.meta, Kind::Guardrail, None, g.content.as_ref(), Some(g.severity.value.clone()), g.title.as_ref(), Load::Inline)
            })
            .collect();
        let stage = persona.stage.as_ref().map(|s| {
            let stage = s.stage();
            let m = &s.arc.meta;
            RenderedStage {
                arc: m.name.clone(),
                name: stage.name.value.clone(),
                description: render(m, &m.file, stage.description.as_ref(), what(Kind::Arc, "stage description", None)),
                condition: render(m, &m.file, stage.condition.as_ref(), what(Kind::Arc, "stage condition", None)),
                next: s.arc.stages.get(s.index + 1).map(|n| n.name.value.clone()),
            }
        });
        // A skill's references are listed after its text, in the text's
        // own string (its other texts are not copied: a traced text is
        // found by where its string is).
        for (rendered, s) in skills.iter_mut().zip(&persona.skills) {
            if let Some(folder) = s.folder.as_deref().filter(|f| !f.references.is_empty()) {
                let rendered = Arc::make_mut(rendered);
                let extended = with_references(&rendered.content, &s.meta.name, folder);
                if let Some(traced) = traced.as_deref_mut() {
                    traced.extended(&rendered.content, &extended);
                }
                rendered.content = extended;
            }
        }
        if !diags.is_empty() {
            // What a text's variables resolve to depends on the persona:
            // say which one was being compiled.
            let variant = match (&persona.channel, &persona.stage) {
                (Some(c), _) => format!(" on channel `{c}`"),
                (None, Some(s)) => format!(" at stage `{}`", s.stage().name.value),
                _ => String::new(),
            };
            for d in &mut diags {
                if d.code != code::TEMPLATE_SYNTAX {
                    d.help.push(format!("while compiling persona `{}`{variant}", persona.name));
                }
            }
            return Err(diags);
        }
        Ok(RenderedPersona { persona: head, parts, traits, skills, guardrails, stage, channel: persona.channel.clone() })
    }

    /// Renders one text. `literal` texts (`template = false`) are shown as
    /// written; `open` lists the runtime variables left for the caller,
    /// which may only be used bare.
    fn render_text(&self, file: &Arc<str>, text: &Text, literal: bool, ctx: &Value, open: &[String]) -> Result<String, Diagnostic> {
        if literal || !has_template_syntax(&text.source) {
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
        for var in open.iter().filter(|v| uses.contains(v)) {
            if let Some(at) = self.misused(&id, var) {
                return Err(self.runtime_misuse(&id, var, at));
            }
        }
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

    /// Where a template uses a runtime variable other than bare (`{{ name
    /// }}` on its own): in an expression, a filter, a condition or a loop,
    /// where its value is unknown at compile time. `None` if only bare.
    fn misused(&self, id: &str, var: &str) -> Option<usize> {
        let key = (id.to_string(), var.to_string());
        if let Some(known) = self.misuse.lock().ok().and_then(|m| m.get(&key).copied()) {
            return known;
        }
        let source = self.origins.source(id).map_or("", |source| &**source);
        let found = runtime_misuse_at(source, var);
        if let Ok(mut m) = self.misuse.lock() {
            m.insert(key, found);
        }
        found
    }

    /// Adds the top-level variables every text of one resolved view uses
    /// (for lints): the persona's own texts, then those of its parts,
    /// traits, skills and guardrails.
    pub fn variables_of(&self, r: &ResolvedPersona, used: &mut std::collections::BTreeSet<String>) {
        for (_, file, text) in r.texts() {
            used.extend(self.variables(&file, text));
        }
    }

    /// Whether every `{{ name }}` in this persona's views is one of its
    /// runtime variables and never literal text: every text it shows is a
    /// literal without `{{`, or a template of `{{ name }}` substitutions
    /// alone; no value it renders holds a brace; its views use the built-in
    /// layouts. Then a view's record is read off the view itself, with no
    /// second rendering ([`Placeholder::Marked`]).
    pub fn braces_are_variables(&self, r: &ResolvedPersona) -> bool {
        if self.summary_layout != BUILTIN_SUMMARY_NAME || self.detail_layout != BUILTIN_DETAIL_NAME {
            return false;
        }
        let plain = |literal: bool, text: &Text| {
            if literal { !text.source.contains("{{") } else { !has_template_syntax(&text.source) || bare_names(&text.source).is_some() }
        };
        r.texts().into_iter().all(|(meta, _, text)| plain(!meta.template, text))
            && r.vars.values().all(|v| match v {
                serde_json::Value::String(s) => !s.contains(['{', '}']),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) | serde_json::Value::Null => true,
                _ => false,
            })
    }

    /// The top-level variables a text uses (for lints).
    pub fn variables(&self, file: &Arc<str>, text: &Text) -> Vec<String> {
        if !has_template_syntax(&text.source) {
            return Vec::new();
        }
        if let Some(names) = bare_names(&text.source) {
            return names;
        }
        let Ok(template) = self.env.get_template(&text_id(file, text)) else { return Vec::new() };
        template.undeclared_variables(false).into_iter().collect()
    }
}

/// Every text of the definitions `wanted` picks, with its definition, kind
/// and field, one definition's texts after another. Literal texts
/// (`template = false`) are never templates.
/// An Agent Skills skill's content with its references listed after it:
/// they are fetched on demand, as its text points to them.
fn with_references(content: &str, skill: &str, folder: &SkillFolder) -> String {
    let mut out = content.trim_end().to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(&format!("References of this skill, not loaded here: fetch one with `get_agent_skill` (`name`: `{skill}`, `file`: its path) when the text above points to it:"));
    for (path, _) in &folder.references {
        out.push_str(&format!("\n- `{path}`"));
    }
    out
}

fn texts<'a>(catalog: &'a Catalog, wanted: &dyn Fn(&Meta) -> bool) -> Vec<(&'a Meta, Kind, &'static str, &'a Text)> {
    type Field<'a> = (&'static str, Option<&'a Text>);
    let mut texts = Vec::new();
    // The fields are listed only for a definition that is wanted.
    let mut add = |meta: &'a Meta, kind: Kind, fields: &dyn Fn() -> Vec<Field<'a>>| {
        if !meta.template || !wanted(meta) {
            return;
        }
        for (field, text) in [("description", meta.description.as_ref())].into_iter().chain(fields()) {
            if let Some(text) = text {
                texts.push((meta, kind, field, text));
            }
        }
    };
    for p in catalog.personas.values() {
        add(&p.meta, Kind::Persona, &|| vec![("title", p.title.as_ref()), ("summary", p.summary.as_ref()), ("detail", p.detail.as_ref())]);
    }
    for p in catalog.parts.values() {
        add(&p.meta, Kind::Part, &|| vec![("title", p.title.as_ref()), ("summary", Some(&p.summary)), ("content", p.content.as_ref())]);
    }
    for t in catalog.traits.values() {
        add(&t.meta, Kind::Trait, &|| vec![("instruction", t.instruction.as_ref())]);
    }
    for s in catalog.skills.values() {
        add(&s.meta, Kind::Skill, &|| vec![("title", s.title.as_ref()), ("content", s.content.as_ref())]);
    }
    for g in catalog.guardrails.values() {
        add(&g.meta, Kind::Guardrail, &|| vec![("title", g.title.as_ref()), ("content", g.content.as_ref())]);
    }
    for a in catalog.arcs.values() {
        add(&a.meta, Kind::Arc, &|| {
            let mut fields = vec![("summary", a.summary.as_ref())];
            for s in &a.stages {
                fields.push(("stage description", s.description.as_ref()));
                fields.push(("stage condition", s.condition.as_ref()));
            }
            fields
        });
    }
    texts
}

fn what(kind: Kind, field: &'static str, layer: Option<String>) -> What {
    What { kind, field, layer, template: false }
}

/// Trims blank lines and trailing whitespace around a rendered text.
fn clean(s: &str) -> String {
    s.trim_end().trim_start_matches('\n').to_string()
}

/// How a runtime variable left for the caller is written into a rendered
/// text: as `{{ name }}` (the views people read), or between two
/// private-use characters that no source text holds (checked when a view's
/// record is made), so that a view's variables can be told from literal
/// text that merely looks like one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    Braces,
    Marked,
}

/// Opens a marked runtime variable ([`Placeholder::Marked`]).
pub const MARK_OPEN: char = '\u{E000}';
/// Closes a marked runtime variable.
pub const MARK_CLOSE: char = '\u{E001}';

impl Placeholder {
    pub fn of(self, name: &str) -> String {
        match self {
            Placeholder::Braces => format!("{{{{ {name} }}}}"),
            Placeholder::Marked => format!("{MARK_OPEN}{name}{MARK_CLOSE}"),
        }
    }
}
