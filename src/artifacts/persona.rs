//! One persona compiled to its files: every view a loader may pick (the
//! current stage, each stage, each channel, each stage × channel), the
//! record of each view's runtime variables, its on-demand texts, its
//! manifest, and its `index.json` entry (format 2, docs/artifacts.md).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::manifest::manifest;
use super::provenance::{self, Traced};
use super::segments::{self, Segments};
use crate::budget::{self, Fitted};
use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code};
use crate::hash::{hex, sha256_hex};
use crate::model::*;
use crate::render::{Placeholder, RenderedPersona, Renderer, View, tidy};
use crate::resolve::ResolveError;
use crate::tokens::Tokenizer;

/// One compiled file of a persona.
pub(super) struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
    pub hash: String,
    pub tokens: usize,
    pub dropped: Option<Vec<String>>,
    /// A view's source records: neither in `artifacts` nor in the
    /// fingerprint, listed under `provenance` (docs/artifacts.md).
    pub record: bool,
}

/// One persona compiled: its files, its `index.json` entry, and the
/// variables the templates of its views use, if they were wanted.
pub(super) struct PersonaOutput {
    pub artifacts: Vec<Artifact>,
    pub entry: Value,
    pub variables: Option<BTreeSet<String>>,
}

/// The views of one persona for one request: summary and detail.
pub fn views(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
) -> Result<(RenderedPersona, [Fitted; 2]), Vec<Diagnostic>> {
    views_of(renderer, tokenizer, resolved, renderer.render_texts(resolved)?)
}

/// [`views`] of texts already rendered.
fn views_of(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
    rendered: RenderedPersona,
) -> Result<(RenderedPersona, [Fitted; 2]), Vec<Diagnostic>> {
    let variant = variant(resolved);
    let fit =
        |view| budget::fit(renderer, &rendered, view, resolved.budget, tokenizer).map_err(|e| e.into_diagnostic(resolved, view, &variant));
    let (summary, detail) = (fit(View::Summary), fit(View::Detail));
    match (summary, detail) {
        (Ok(s), Ok(d)) => Ok((rendered, [s, d])),
        (s, d) => Err(s.err().into_iter().chain(d.err()).collect()),
    }
}

/// A request's rendered texts, its two views, and their source records.
type Recorded = (RenderedPersona, [Fitted; 2], [Option<Vec<u8>>; 2]);

/// [`views`], with the views' source records when they are wanted (each
/// `None` where its layout cannot be traced). The texts are rendered once,
/// traced, and the views laid out from them as rendered.
fn views_recorded(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
    with_records: bool,
) -> Result<Recorded, Vec<Diagnostic>> {
    if !with_records {
        let (rendered, fitted) = views(renderer, tokenizer, resolved)?;
        return Ok((rendered, fitted, [None, None]));
    }
    let mut traced = renderer.render_traced(resolved)?;
    let rendered = match traced.plain() {
        Some(rendered) => rendered,
        None => renderer.render_texts(resolved)?,
    };
    let (rendered, fitted) = views_of(renderer, tokenizer, resolved, rendered)?;
    let records = provenance::records(renderer, &traced, &rendered, &fitted);
    Ok((rendered, fitted, records))
}

/// One view of a persona as a build writes it, with the record of its open
/// runtime variables (`None`: it has none), which [`Segments::fill`] fills.
pub fn recorded_view(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
    view: View,
) -> Result<(Fitted, Option<Segments>), Vec<Diagnostic>> {
    let (_, fitted) = views(renderer, tokenizer, resolved)?;
    let mut records = record_views(renderer, resolved, &fitted)?;
    let [summary, detail] = fitted;
    let (fitted, at) = if view == View::Detail { (detail, 1) } else { (summary, 0) };
    Ok((fitted, records.swap_remove(at)))
}

/// The summary and detail views of one resolved persona, each line with
/// its source.
pub fn traced_views(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
) -> Result<(RenderedPersona, [Traced; 2]), Vec<Diagnostic>> {
    traced_views_with(renderer, tokenizer, resolved, None)
}

/// [`traced_views`], the texts marked line by line whatever the layout
/// (the way a layout template of the repository's own is traced): what
/// tracing a built-in layout by where it writes each text must agree with.
pub fn traced_views_marked(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
) -> Result<(RenderedPersona, [Traced; 2]), Vec<Diagnostic>> {
    traced_views_with(renderer, tokenizer, resolved, Some(false))
}

fn traced_views_with(
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    resolved: &ResolvedPersona,
    locate: Option<bool>,
) -> Result<(RenderedPersona, [Traced; 2]), Vec<Diagnostic>> {
    let (rendered, [summary, detail]) = views(renderer, tokenizer, resolved)?;
    let traced = match locate {
        Some(locate) => renderer.render_traced_with(resolved, locate)?,
        None => renderer.render_traced(resolved)?,
    };
    let of = |view: View, fitted: Fitted| {
        let lines = renderer.sources(&traced, view, &fitted.dropped_at, &fitted.text);
        Traced { view, fitted, lines }
    };
    Ok((rendered, [of(View::Summary, summary), of(View::Detail, detail)]))
}

/// " at stage `x`" or " on channel `y`", for messages.
fn variant(resolved: &ResolvedPersona) -> String {
    match (&resolved.channel, &resolved.stage) {
        (Some(c), Some(s)) if s.arc.stages.len() > 1 => format!(" at stage `{}` on channel `{c}`", s.stage().name.value),
        (Some(c), _) => format!(" on channel `{c}`"),
        (None, Some(s)) => format!(" at stage `{}`", s.stage().name.value),
        _ => String::new(),
    }
}

pub(super) fn definitions(err: ResolveError) -> Vec<Diagnostic> {
    match err {
        ResolveError::Definitions(d) => d,
        ResolveError::Request(msg) => vec![Diagnostic::error(code::UNKNOWN_STAGE, msg)],
    }
}

pub(super) fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Where one view of the persona is: `(stage, channel)`, `None` for the
/// current stage or no channel, and its folder.
struct Variant {
    stage: Option<String>,
    channel: Option<String>,
    prefix: String,
}

/// Every variant a loader may pick, in the order `index.json` lists them:
/// the current stage, then on each channel; then each stage in arc order,
/// then on each channel.
fn variants(base: &ResolvedPersona) -> Vec<Variant> {
    let mut out = vec![Variant { stage: None, channel: None, prefix: String::new() }];
    out.extend(base.channels.iter().map(|c| Variant { stage: None, channel: Some(c.clone()), prefix: format!("channels/{c}/") }));
    if let Some(stage) = &base.stage {
        for s in &stage.arc.stages {
            let s = &s.name.value;
            out.push(Variant { stage: Some(s.clone()), channel: None, prefix: format!("stages/{s}/") });
            out.extend(base.channels.iter().map(|c| Variant {
                stage: Some(s.clone()),
                channel: Some(c.clone()),
                prefix: format!("stages/{s}/channels/{c}/"),
            }));
        }
    }
    out
}

/// A variant's views as compiled: `(stage, channel, views, their records)`.
type Made = (Option<String>, Option<String>, [Fitted; 2], Vec<Option<Segments>>, [Option<Vec<u8>>; 2]);

/// The artifacts of one persona and its `index.json` entry.
pub(super) fn compile_persona(
    catalog: &Catalog,
    renderer: &Renderer,
    tokenizer: &Tokenizer,
    name: &str,
    variables: bool,
    with_records: bool,
) -> Result<PersonaOutput, Vec<Diagnostic>> {
    let base = catalog.resolve(name, &Request::default()).map_err(definitions)?;
    let (rendered, fitted, base_records) = views_recorded(renderer, tokenizer, &base, with_records)?;
    let mut used = variables.then(BTreeSet::new);
    if let Some(used) = &mut used {
        renderer.variables_of(&base, used);
    }
    let mut files = Files { artifacts: Vec::new(), tokenizer, base: &base };
    let mut diags = Vec::new();
    let mut records = Vec::new();
    // Every stage and every channel has its own views; the sources of all
    // of them contributed to the persona.
    let mut sources: BTreeSet<&str> = base.sources.iter().copied().collect();
    let current = base.stage.as_ref().map(|s| s.stage().name.value.clone());
    let mut made: Vec<Made> = Vec::new();
    for v in variants(&base) {
        // The current stage's views were made first; its explicit folder
        // holds the same bytes.
        let again = v.stage.is_some() && v.stage == current;
        let found = made.iter().find(|(s, c, _, _, _)| again && s.is_none() && *c == v.channel);
        let (fitted, records_of, traced) = match found {
            Some((_, _, fitted, recs, traced)) => (fitted.clone(), recs.clone(), traced.clone()),
            None => {
                let request = Request { stage: v.stage.clone(), channel: v.channel.clone(), ..Request::default() };
                let compiled = if v.stage.is_none() && v.channel.is_none() {
                    Ok((base.clone(), fitted.clone(), base_records.clone()))
                } else {
                    catalog
                        .resolve(name, &request)
                        .map_err(definitions)
                        .and_then(|r| views_recorded(renderer, tokenizer, &r, with_records).map(|(_, fitted, traced)| (r, fitted, traced)))
                };
                match compiled.and_then(|(r, fitted, traced)| {
                    let recs = record_views(renderer, &r, &fitted)?;
                    Ok((r, fitted, recs, traced))
                }) {
                    Ok((r, fitted, recs, traced)) => {
                        sources.extend(r.sources.iter().copied());
                        if let Some(used) = &mut used {
                            renderer.variables_of(&r, used);
                        }
                        // Only the current stage's views are made again (in its
                        // explicit folder); keep no copy of the others.
                        if v.stage.is_none() && base.stage.is_some() {
                            made.push((v.stage.clone(), v.channel.clone(), fitted.clone(), recs.clone(), traced.clone()));
                        }
                        (fitted, recs, traced)
                    }
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                }
            }
        };
        for (((view, f), segments), traced) in View::BOTH.into_iter().zip(&fitted).zip(records_of).zip(traced) {
            let path = format!("{}{}.md", v.prefix, view.as_str());
            if let Err(d) = files.push(&path, f.text.clone().into_bytes(), Some(f.hash.clone()), Some(f.tokens), Some(f.dropped.clone())) {
                diags.push(d);
            }
            if let Some(bytes) = traced {
                let hash = sha256_hex(&bytes);
                files.artifacts.push(Artifact {
                    path: provenance::records_path(&path),
                    bytes,
                    hash,
                    tokens: 0,
                    dropped: None,
                    record: true,
                });
            }
            let mut record = json!({
                "view": view.as_str(), "stage": v.stage, "channel": v.channel, "path": path,
                "sha256": f.hash, "tokens": f.tokens, "vars": [],
            });
            if let Some(segments) = segments {
                let seg_path = format!("{}{}.segments.json", v.prefix, view.as_str());
                record["vars"] = json!(segments.vars);
                record["segments"] = json!(seg_path);
                if let Err(d) = files.push_record(&seg_path, &segments, f.tokens) {
                    diags.push(d);
                }
            }
            records.push(record);
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    let on_demand = on_demand_texts(renderer, &base, &rendered)?;
    let mut on_demand_records = Vec::new();
    for (kind, item, text, segments) in on_demand {
        let path = format!("on_demand/{kind}/{item}.md");
        let hash = files.push(&path, text.into_bytes(), None, None, None).map_err(|d| vec![d])?;
        let mut record = json!({ "kind": kind, "name": item, "path": path, "sha256": hash.0, "tokens": hash.1, "vars": [] });
        if let Some(segments) = segments {
            let seg_path = format!("on_demand/{kind}/{item}.segments.json");
            record["vars"] = json!(segments.vars);
            record["segments"] = json!(seg_path);
            files.push_record(&seg_path, &segments, hash.1).map_err(|d| vec![d])?;
        }
        on_demand_records.push(record);
    }
    // An Agent Skills skill's references: carried as written, fetched with
    // the skill's tool and the file's path.
    for skill in &base.skills {
        let Some(folder) = &skill.folder else { continue };
        for (file, text) in &folder.references {
            let path = format!("on_demand/skill/{}/{file}", skill.meta.name);
            let hash = files.push(&path, text.as_bytes().to_vec(), None, None, None).map_err(|d| vec![d])?;
            on_demand_records.push(
                json!({ "kind": "skill", "name": skill.meta.name, "file": file, "path": path, "sha256": hash.0, "tokens": hash.1, "vars": [] }),
            );
        }
    }

    // The fingerprint covers every file but the manifest, which quotes it.
    let mut artifacts = files.artifacts;
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let mut fingerprint = Sha256::new();
    for a in artifacts.iter().filter(|a| !a.record) {
        fingerprint.update(format!("{} {}\n", a.hash, a.path));
    }
    let fingerprint = hex(&fingerprint.finalize());
    let version = base.version.as_ref().map(ToString::to_string).unwrap_or_default();
    let id = format!("{name}@{version}+{}", &fingerprint[..12]);
    let fingerprint = format!("sha256:{fingerprint}");
    let runtime_vars: Vec<Value> = base.runtime_decls.iter().map(RuntimeVar::to_json).collect();

    let token_counts = [("summary", fitted[0].tokens), ("detail", fitted[1].tokens)].into_iter().collect();
    let mut manifest = manifest(&base, &rendered, &token_counts);
    manifest["format"] = json!(super::output::FORMAT);
    manifest["id"] = json!(id);
    manifest["fingerprint"] = json!(fingerprint);
    manifest["runtime_vars"] = json!(runtime_vars);
    manifest["title"] = json!(rendered.persona.title);
    if manifest.get("metadata").is_none() {
        manifest["metadata"] = json!({});
    }
    let manifest = pretty(&manifest);
    let hash = sha256_hex(&manifest);
    let tokens = tokenizer
        .count_hashed(std::str::from_utf8(&manifest).unwrap_or_default(), &hash)
        .map_err(|e| vec![budget::FitError::Count(e).into_diagnostic(&base, View::Detail, " (its manifest)")])?;
    let at = artifacts.partition_point(|a| a.path.as_str() < "manifest.json");
    artifacts.insert(at, Artifact { path: "manifest.json".into(), tokens, bytes: manifest, hash, dropped: None, record: false });

    let mut entries = serde_json::Map::new();
    let mut records_of = serde_json::Map::new();
    let mut all_dropped = BTreeSet::new();
    for a in &artifacts {
        if a.record {
            records_of.insert(a.path.clone(), json!({ "sha256": a.hash }));
            continue;
        }
        let mut entry = json!({ "sha256": a.hash, "tokens": a.tokens });
        if let Some(dropped) = &a.dropped {
            entry["dropped"] = json!(dropped);
            all_dropped.extend(dropped.iter().cloned());
        }
        entries.insert(a.path.clone(), entry);
    }
    let stages: Vec<&String> = base.stage.iter().flat_map(|s| s.arc.stages.iter().map(|st| &st.name.value)).collect();
    let mut entry = json!({
        "artifacts": entries,
        "channels": base.channels,
        "dropped": all_dropped,
        "fingerprint": fingerprint,
        "id": id,
        "on_demand": on_demand_records,
        "runtime_vars": runtime_vars,
        "sources": sources.iter().map(|s| &**s).collect::<Vec<_>>(),
        "stage": base.stage.as_ref().map(|s| json!({ "arc": s.arc.meta.name, "name": s.stage().name.value })),
        "stages": stages,
        "version": version,
        "views": records,
    });
    if !records_of.is_empty() {
        entry["provenance"] = Value::Object(records_of);
    }
    Ok(PersonaOutput { artifacts, entry, variables: used })
}

/// The files of one persona as they are made.
struct Files<'a> {
    artifacts: Vec<Artifact>,
    tokenizer: &'a Tokenizer,
    base: &'a ResolvedPersona<'a>,
}

impl Files<'_> {
    /// Adds a file, counting its tokens unless they are known; gives its
    /// hash and token count.
    fn push(
        &mut self,
        path: &str,
        bytes: Vec<u8>,
        hash: Option<String>,
        tokens: Option<usize>,
        dropped: Option<Vec<String>>,
    ) -> Result<(String, usize), Diagnostic> {
        let hash = hash.unwrap_or_else(|| sha256_hex(&bytes));
        let tokens = match tokens {
            Some(t) => t,
            None => self
                .tokenizer
                .count_hashed(std::str::from_utf8(&bytes).unwrap_or_default(), &hash)
                .map_err(|e| budget::FitError::Count(e).into_diagnostic(self.base, View::Detail, &format!(" (its `{path}`)")))?,
        };
        self.artifacts.push(Artifact { path: path.to_string(), bytes, hash: hash.clone(), tokens, dropped, record: false });
        Ok((hash, tokens))
    }

    /// A record of the runtime variables of a text of `tokens` tokens: its
    /// `tokens` are the text's (what it gives back filled), not its JSON's,
    /// which no model reads (and counting it would double the build's work).
    fn push_record(&mut self, path: &str, segments: &Segments, tokens: usize) -> Result<(String, usize), Diagnostic> {
        self.push(path, segments.to_bytes(), None, Some(tokens), None)
    }
}

/// The variable records of a variant's two views: for each, `None` when it
/// leaves no runtime variable to the caller. The views are laid out again
/// from texts whose open runtime variables are marked, with the parts the
/// budget dropped from the real views, and the record must give the real
/// view back exactly.
fn record_views(renderer: &Renderer, resolved: &ResolvedPersona, fitted: &[Fitted; 2]) -> Result<Vec<Option<Segments>>, Vec<Diagnostic>> {
    let open = resolved.runtime_vars.iter().any(|v| !resolved.vars.contains_key(v));
    if !open || !fitted.iter().any(|f| f.text.contains("{{")) {
        return Ok(vec![None, None]);
    }
    // Where no literal text can look like a variable, the view itself is
    // the record: each `{{ name }}` of an open variable is that variable.
    let marks = |f: &Fitted| f.text.contains([crate::render::MARK_OPEN, crate::render::MARK_CLOSE]);
    if renderer.braces_are_variables(resolved) && !fitted.iter().any(marks) {
        return Ok(fitted.iter().map(|f| segments::read_off(&f.text, resolved)).collect());
    }
    let marked = renderer.render_texts_with(resolved, Placeholder::Marked)?;
    let mut out = Vec::new();
    for (view, f) in View::BOTH.into_iter().zip(fitted) {
        if !f.text.contains("{{") {
            out.push(None);
            continue;
        }
        let text = renderer.layout(&marked, view, &f.dropped_at).map_err(|d| vec![d])?;
        out.push(segments::record(&text, &f.text, resolved, view.as_str())?);
    }
    Ok(out)
}

/// The on-demand parts, traits and skills of a persona: each item's long
/// text rendered with the persona's vars, tidied, with its variable record.
#[allow(clippy::type_complexity)]
fn on_demand_texts(
    renderer: &Renderer,
    base: &ResolvedPersona,
    rendered: &RenderedPersona,
) -> Result<Vec<(&'static str, String, String, Option<Segments>)>, Vec<Diagnostic>> {
    let long = |content: &str, fallback: &str| tidy(if content.is_empty() { fallback } else { content });
    let items = |r: &RenderedPersona| -> Vec<(&'static str, String, String)> {
        let mut out: Vec<(&'static str, String, String)> = Vec::new();
        out.extend(r.parts.iter().filter(|p| p.load == Load::OnDemand).map(|p| ("part", p.name.clone(), long(&p.content, &p.summary))));
        out.extend(
            r.traits.iter().filter(|t| t.load == Load::OnDemand).map(|t| ("trait", t.name.clone(), long(&t.content, &t.description))),
        );
        out.extend(
            r.skills.iter().filter(|s| s.load == Load::OnDemand).map(|s| ("skill", s.name.clone(), long(&s.content, &s.description))),
        );
        out.sort_by(|a, b| (kind_rank(a.0), &a.1).cmp(&(kind_rank(b.0), &b.1)));
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        out
    };
    let plain = items(rendered);
    if plain.is_empty() {
        return Ok(Vec::new());
    }
    let open = base.runtime_vars.iter().any(|v| !base.vars.contains_key(v));
    let marked = if open && plain.iter().any(|(_, _, t)| t.contains("{{")) {
        Some(items(&renderer.render_texts_with(base, Placeholder::Marked)?))
    } else {
        None
    };
    let mut out = Vec::new();
    for (i, (kind, name, text)) in plain.into_iter().enumerate() {
        let segments = match &marked {
            Some(marked) if text.contains("{{") => segments::record(&marked[i].2, &text, base, &format!("{kind} `{name}`"))?,
            _ => None,
        };
        out.push((kind, name, text, segments));
    }
    Ok(out)
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "part" => 0,
        "trait" => 1,
        _ => 2,
    }
}
