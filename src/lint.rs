//! Lints: definitions that compile but are probably mistakes. They are
//! warnings, which `check --deny-warnings` turns into errors. Each is born
//! from the span of the text it is about, like every other diagnostic.

use std::collections::BTreeSet;

use crate::catalog::Catalog;
use crate::diag::Diagnostic;
use crate::model::*;
use crate::render::Renderer;
pub use crate::rules::{LINTS as NAMES, lint_code as code};

/// The name of a lint code.
pub fn name_of(code: &str) -> Option<&'static str> {
    NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The lints of a catalog at the levels its `[lints]` table sets: allowed
/// ones are left out, denied ones are errors.
pub fn leveled(catalog: &Catalog, renderer: &Renderer, recorded: &[&Recorded]) -> Vec<Diagnostic> {
    let mut diags = lint(catalog, renderer, recorded);
    diags.retain_mut(|d| {
        let name = name_of(d.code).unwrap_or_default();
        let level = catalog.config.lints.get(name).map_or(Level::Warn, |l| l.value);
        if level == Level::Deny {
            d.severity = crate::diag::Severity::Error;
            d.help.push(format!("`{name}` is denied under `[lints]` in personac.toml"));
        } else {
            d.help.push(format!("`{name}` is on by default; `{name} = \"allow\"` under `[lints]` in personac.toml turns it off"));
        }
        level != Level::Allow
    });
    diags
}

/// The variables the templates of every view of a persona use, by persona,
/// as a compile recorded them ([`crate::artifacts::Linted`]); a persona not
/// recorded is resolved again. The lints take a list of records, the first
/// that has a persona saying (a compile that kept most personas, over the
/// compile they were kept from).
pub type Recorded = std::collections::BTreeMap<String, BTreeSet<String>>;

/// Every lint of a catalog that compiles.
pub fn lint(catalog: &Catalog, renderer: &Renderer, recorded: &[&Recorded]) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let mut diags = Vec::new();
    unused_definitions(catalog, &mut diags);
    // A base persona's variables may be there for the personas that extend it.
    let extended: BTreeSet<&str> = catalog.personas.values().filter_map(|p| p.extends.as_ref()).map(|e| e.value.as_str()).collect();
    let personas: Vec<&Persona> = catalog.personas.values().map(AsRef::as_ref).collect();
    let each: Vec<Vec<Diagnostic>> = personas
        .par_iter()
        .map(|persona| {
            let mut diags = Vec::new();
            linked_twice(persona, &mut diags);
            unused_variables(catalog, renderer, recorded, persona, extended.contains(persona.meta.name.as_str()), &mut diags);
            // An abstract base is never shown to an agent choosing a persona.
            if !persona.is_abstract && catalog.lacks_description(persona) {
                diags.push(
                    Diagnostic::warning(code::NO_DESCRIPTION, format!("persona `{}` has no description", persona.meta.name))
                        .at(&persona.meta.file, persona.meta.name_span.clone())
                        .help("add `description = \"...\"`: the manifest shows it to agents choosing a persona"),
                );
            }
            diags
        })
        .collect();
    diags.extend(each.into_iter().flatten());
    let texts = every_text(catalog);
    empty_texts(&texts, &mut diags);
    template_comments(&texts, &mut diags);
    for arc in catalog.arcs.values() {
        for stage in arc.stages.iter().filter(|s| s.parts.is_empty()) {
            diags.push(
                Diagnostic::warning(code::EMPTY_STAGE, format!("stage `{}` of arc `{}` changes nothing", stage.name.value, arc.meta.name))
                    .at(&arc.meta.file, stage.name.span.clone())
                    .label("no parts")
                    .help("give the stage the parts that replace the persona's during it, or remove the stage"),
            );
        }
    }
    crate::diag::normalize(&mut diags);
    diags
}

fn unused_definitions(catalog: &Catalog, diags: &mut Vec<Diagnostic>) {
    let mut used: foldhash::HashSet<(Kind, &str)> = foldhash::HashSet::default();
    used.extend(catalog.personas.values().flat_map(|p| p.references()));
    used.extend(catalog.arcs.values().flat_map(|a| a.references()));
    for kind in [Kind::Part, Kind::Trait, Kind::Skill, Kind::Guardrail, Kind::Arc] {
        for name in catalog.names(kind) {
            if used.contains(&(kind, name)) {
                continue;
            }
            let Some(meta) = catalog.meta(kind, name) else { continue };
            let how = match kind {
                Kind::Arc => format!("put a persona on it with `personac arc assign PERSONA {name}`"),
                _ => format!("link it with `personac link PERSONA --{kind} {name}`"),
            };
            diags.push(
                Diagnostic::warning(code::UNUSED_DEFINITION, format!("{kind} `{name}` is not used by any persona"))
                    .at(&meta.file, meta.name_span.clone())
                    .help(format!("{how}, or delete it")),
            );
        }
    }
}

fn linked_twice(persona: &Persona, diags: &mut Vec<Diagnostic>) {
    let lists: [(Kind, Vec<&Spanned<String>>); 4] = [
        (Kind::Part, persona.parts.iter().map(|r| &r.name).collect()),
        (Kind::Trait, persona.traits.iter().map(|l| &l.name).collect()),
        (Kind::Skill, persona.skills.iter().map(|l| &l.name).collect()),
        (Kind::Guardrail, persona.guardrails.iter().collect()),
    ];
    for (kind, list) in lists {
        let mut seen = BTreeSet::new();
        for name in list {
            if !seen.insert(&name.value) {
                diags.push(
                    Diagnostic::warning(code::LINKED_TWICE, format!("{kind} `{}` is linked twice", name.value))
                        .at(&persona.meta.file, name.span.clone())
                        .label("again")
                        .help("remove the second link"),
                );
            }
        }
    }
}

fn empty_texts(texts: &[(&Meta, What, &'static str, &Text)], diags: &mut Vec<Diagnostic>) {
    // Descriptions are short by nature, and arcs' texts are optional.
    let long = ["summary", "detail", "content", "instruction"];
    for &(meta, what, field, text) in texts {
        if long.contains(&field) && what.kind != "arc" && text.source.trim().is_empty() {
            diags.push(
                Diagnostic::warning(code::EMPTY_TEXT, format!("the `{field}` of {what} is empty"))
                    .at(&meta.file, text.span.clone())
                    .help(format!("write the {field}, or remove the field")),
            );
        }
    }
}

/// What a text belongs to, written as "persona `maya`" when a diagnostic
/// says it (the texts of every definition are gone through on every check;
/// few are reported).
#[derive(Clone, Copy)]
struct What<'a> {
    kind: &'static str,
    name: &'a str,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

/// Every text of every definition, with its file, what it is, its field and
/// whether it is a template.
fn every_text(catalog: &Catalog) -> Vec<(&Meta, What<'_>, &'static str, &Text)> {
    type Texts<'a> = Vec<(&'a Meta, What<'a>, &'static str, &'a Text)>;
    let mut out: Texts = Vec::new();
    fn push<'a>(out: &mut Texts<'a>, meta: &'a Meta, kind: &'static str, field: &'static str, text: Option<&'a Text>) {
        if let Some(text) = text {
            out.push((meta, What { kind, name: &meta.name }, field, text));
        }
    }
    let mut add = |meta, kind, field, text| push(&mut out, meta, kind, field, text);
    for p in catalog.personas.values() {
        add(&p.meta, "persona", "summary", p.summary.as_ref());
        add(&p.meta, "persona", "description", p.meta.description.as_ref());
        add(&p.meta, "persona", "detail", p.detail.as_ref());
    }
    for p in catalog.parts.values() {
        add(&p.meta, "part", "summary", Some(&p.summary));
        add(&p.meta, "part", "description", p.meta.description.as_ref());
        add(&p.meta, "part", "content", p.content.as_ref());
    }
    for t in catalog.traits.values() {
        add(&t.meta, "trait", "description", t.meta.description.as_ref());
        add(&t.meta, "trait", "instruction", t.instruction.as_ref());
    }
    for s in catalog.skills.values() {
        add(&s.meta, "skill", "description", s.meta.description.as_ref());
        add(&s.meta, "skill", "content", s.content.as_ref());
    }
    for g in catalog.guardrails.values() {
        add(&g.meta, "guardrail", "description", g.meta.description.as_ref());
        add(&g.meta, "guardrail", "content", g.content.as_ref());
    }
    for a in catalog.arcs.values() {
        add(&a.meta, "arc", "summary", a.summary.as_ref());
        for s in &a.stages {
            add(&a.meta, "arc", "stage description", s.description.as_ref());
            add(&a.meta, "arc", "stage condition", s.condition.as_ref());
        }
    }
    out
}

/// A `{# … #}` comment in a definition's text is deleted from the prompt:
/// prose that vanishes is rarely what its author meant (`{#id}` anchors,
/// `${#arr[@]}` in shell).
fn template_comments(texts: &[(&Meta, What, &'static str, &Text)], diags: &mut Vec<Diagnostic>) {
    for &(meta, what, field, text) in texts {
        if !meta.template {
            continue;
        }
        let Some(start) = text.source.find("{#") else { continue };
        let end = text.source[start..].find("#}").map_or(text.source.len(), |e| start + e + 2);
        let span = file_offset(&text.lines, start)
            .zip(file_offset(&text.lines, end.saturating_sub(1)))
            .map_or_else(|| text.span.clone(), |(s, e)| s..e + 1);
        diags.push(
            Diagnostic::warning(
                code::TEMPLATE_COMMENT,
                format!("a template comment in the `{field}` of {what} is deleted from the prompt"),
            )
            .at(&meta.file, span)
            .label("this never reaches the model")
            .help("if the text is for the model (`{#id}`, `${#arr[@]}`), wrap it in `{% raw %}…{% endraw %}` or set `template = false`"),
        );
    }
}

/// The variables the texts of every view of a persona use.
fn used_variables(catalog: &Catalog, renderer: &Renderer, persona: &Persona) -> BTreeSet<String> {
    let name = &persona.meta.name;
    let Ok(base) = catalog.resolve_any(name, &Request::default()) else { return BTreeSet::new() };
    let variants: Vec<_> = base.other_views().iter().filter_map(|request| catalog.resolve_any(name, request).ok()).collect();
    let mut used = BTreeSet::new();
    for r in std::iter::once(&base).chain(&variants) {
        renderer.variables_of(r, &mut used);
    }
    used
}

/// The variables a persona defines that none of its templates use. A base
/// persona (`extended`) is left alone: its variables may be there for the
/// personas that extend it.
fn unused_variables(
    catalog: &Catalog,
    renderer: &Renderer,
    recorded: &[&Recorded],
    persona: &Persona,
    extended: bool,
    diags: &mut Vec<Diagnostic>,
) {
    if extended || persona.var_spans.is_empty() && persona.runtime_vars.is_none() {
        return;
    }
    let resolved;
    let used = match recorded.iter().find_map(|r| r.get(&persona.meta.name)) {
        Some(used) => used,
        None => {
            resolved = used_variables(catalog, renderer, persona);
            &resolved
        }
    };
    let file = &persona.meta.file;
    for (var, span) in persona.var_spans.iter().filter(|(var, _)| !used.contains(*var)) {
        diags.push(
            Diagnostic::warning(
                code::UNUSED_VARIABLE,
                format!("variable `{var}` of persona `{}` is not used by any of its templates", persona.meta.name),
            )
            .at(file, span.clone())
            .help(format!("use it as `{{{{ {var} }}}}` in a text, or remove it")),
        );
    }
    for var in persona.runtime_vars.iter().flatten().map(|v| &v.name).filter(|v| !used.contains(&v.value)) {
        diags.push(
            Diagnostic::warning(
                code::UNUSED_VARIABLE,
                format!("runtime variable `{}` is not used by any template of persona `{}`", var.value, persona.meta.name),
            )
            .at(file, var.span.clone())
            .help(format!("use it as `{{{{ {} }}}}` in a text, or remove it from `runtime_vars`", var.value)),
        );
    }
}
