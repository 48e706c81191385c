//! Names, links, layers, inheritance and filters: a persona's name in, a
//! [`ResolvedPersona`] out.
//!
//! One rule applies at every layer (ancestors, the persona, the arc stage,
//! the channel, runtime overrides): for each part type a layer names, the
//! parts of that type below are removed and the layer's take the place of the
//! first removed one. Resolution is pure and collects every diagnostic; a
//! caller's bad request (an unknown stage on the command line, say) is kept
//! apart from errors in the definitions, because the two end differently.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code, did_you_mean};
use crate::model::*;
use layers::{LayerItem, apply_noted, keep_highest_priority};

mod layers;

/// Why a persona did not resolve.
#[derive(Debug)]
pub enum ResolveError {
    /// The definitions have errors.
    Definitions(Vec<Diagnostic>),
    /// The request names something that does not exist (a stage, a channel,
    /// an override); the message says what, with a hint.
    Request(String),
}

impl ResolvedPersona<'_> {
    /// The requests of this persona's other views, each resolved on its
    /// own: every stage of its arc but the current one (whose view this
    /// is), then every channel.
    pub fn other_views(&self) -> Vec<Request> {
        let mut requests = Vec::new();
        if let Some(stage) = &self.stage {
            let others = stage.arc.stages.iter().enumerate().filter(|(i, _)| *i != stage.index);
            requests.extend(others.map(|(_, s)| Request { stage: Some(s.name.value.clone()), ..Request::default() }));
        }
        requests.extend(self.channels.iter().map(|c| Request { channel: Some(c.clone()), ..Request::default() }));
        requests
    }
}

impl Catalog {
    /// Whether a persona resolves without a description (none of its own,
    /// none inherited), as `resolve` would tell, without resolving it.
    pub fn lacks_description(&self, persona: &Persona) -> bool {
        let mut diags = Vec::new();
        let chain = self.ancestry(persona, &mut diags);
        diags.is_empty() && chain.is_some_and(|chain| chain.iter().all(|p| p.meta.description.is_none()))
    }

    /// The inheritance chain of a persona, the persona itself first; `None`
    /// when the chain runs into a cycle or past [`crate::catalog::MAX_DEPTH`],
    /// which loading the catalog has already reported (once, linearly).
    fn ancestry<'c>(&'c self, persona: &'c Persona, diags: &mut Vec<Diagnostic>) -> Option<Vec<&'c Persona>> {
        let mut chain = vec![persona];
        let mut current = persona;
        while let Some(parent) = &current.extends {
            match self.persona(&parent.value) {
                Some(p) if chain.len() > crate::catalog::MAX_DEPTH || chain.iter().any(|c| std::ptr::eq(*c, p)) => return None,
                Some(p) => {
                    chain.push(p);
                    current = p;
                }
                None => {
                    diags.extend(self.unknown(Kind::Persona, &current.meta.file, parent));
                    break;
                }
            }
        }
        Some(chain)
    }

    /// Resolves one persona for one request. An abstract persona is a bad
    /// request: it is a base to extend, never compiled on its own.
    pub fn resolve<'c>(&'c self, name: &str, request: &Request) -> Result<ResolvedPersona<'c>, ResolveError> {
        if let Some(persona) = self.persona(name)
            && persona.is_abstract
        {
            let mut msg = format!("persona `{name}` is abstract: a base to extend, never compiled on its own");
            let descendants = self.concrete_descendants(name);
            if descendants.is_empty() {
                msg.push_str("\n  help: no concrete persona extends it yet");
            } else {
                msg.push_str(&format!("\n  help: the personas built on it: {}", descendants.join(", ")));
            }
            return Err(ResolveError::Request(msg));
        }
        self.resolve_any(name, request)
    }

    /// The concrete personas whose chain of ancestors includes `name`, sorted.
    pub fn concrete_descendants(&self, name: &str) -> Vec<&str> {
        fn extends(p: &Persona) -> Option<&str> {
            p.extends.as_ref().map(|e| e.value.as_str())
        }
        self.personas
            .values()
            .filter(|p| !p.is_abstract)
            .filter(|p| {
                let mut current = extends(p);
                for _ in 0..=crate::catalog::MAX_DEPTH {
                    match current {
                        Some(parent) if parent == name => return true,
                        Some(parent) => current = self.persona(parent).and_then(extends),
                        None => return false,
                    }
                }
                false
            })
            .map(|p| p.meta.name.as_str())
            .collect()
    }

    /// Resolves any persona, abstract ones included (to check them).
    pub fn resolve_any<'c>(&'c self, name: &str, request: &Request) -> Result<ResolvedPersona<'c>, ResolveError> {
        let Some(persona) = self.persona(name) else {
            let mut msg = format!("no persona named `{name}`");
            if let Some(best) = did_you_mean(name, self.names(Kind::Persona)) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            return Err(ResolveError::Request(msg));
        };
        let mut diags = Vec::new();
        let Some(chain) = self.ancestry(persona, &mut diags) else { return Err(ResolveError::Definitions(diags)) };
        // Borrowed from the catalog, sorted once at the end.
        let mut sources: Vec<&'c str> = Vec::new();

        // The nearest persona in the chain that sets a field.
        fn nearest<'c, T>(chain: &[&'c Persona], get: impl Fn(&'c Persona) -> Option<T>) -> Option<(T, &'c Persona)> {
            chain.iter().find_map(|p| get(p).map(|v| (v, *p)))
        }

        // Ancestors, furthest first, then the persona's own parts.
        let mut slots = Vec::new();
        let mut layering = Vec::new();
        for p in chain.iter().rev() {
            sources.push(&p.meta.file);
            let mut layer = Vec::new();
            for r in &p.parts {
                match self.part(&r.name.value) {
                    Some(part) => layer.push(LayerItem { part, order: r.order, priority: r.priority, mode: r.mode, load: r.load }),
                    None => diags.extend(self.unknown(Kind::Part, &p.meta.file, &r.name)),
                }
            }
            let source = if std::ptr::eq(*p, persona) { Layer::Own } else { Layer::Ancestor(p.meta.name.clone()) };
            slots = apply_noted(slots, layer, Some(0), &source, &mut layering);
        }

        // Unions, ancestors first.
        let traits = self.union(&chain, Kind::Trait, |p| &p.traits, &self.traits, &mut diags);
        let skills = self.union(&chain, Kind::Skill, |p| &p.skills, &self.skills, &mut diags);
        let guardrails = self.union(&chain, Kind::Guardrail, |p| &p.guardrails, &self.guardrails, &mut diags);
        let guardrails: Vec<&Guardrail> = guardrails.into_iter().map(|g| g.def).collect();
        let mut tags: Vec<String> = Vec::new();
        for p in chain.iter().rev() {
            for t in &p.meta.tags {
                if !tags.contains(&t.value) {
                    tags.push(t.value.clone());
                }
            }
        }

        let mut vars = self.config.vars.clone();
        for p in chain.iter().rev() {
            vars.extend(p.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }

        // The arc stage.
        let mut stage = None;
        if let Some((arc_ref, owner)) = nearest(&chain, |p| p.arc.as_ref()) {
            match self.arc(&arc_ref.name.value) {
                None => diags.extend(self.unknown(Kind::Arc, &owner.meta.file, &arc_ref.name)),
                Some(arc) => {
                    sources.push(&arc.meta.file);
                    let stage_names = || arc.stages.iter().map(|s| s.name.value.as_str());
                    let index = match (&request.stage, &arc_ref.stage) {
                        (Some(wanted), _) => match arc.stages.iter().position(|s| &s.name.value == wanted) {
                            Some(i) => Some(i),
                            None => return Err(ResolveError::Request(unknown_stage_message(wanted, arc, stage_names()))),
                        },
                        (None, Some(set)) => {
                            let found = arc.stages.iter().position(|s| s.name.value == set.value);
                            if found.is_none() {
                                diags.push(
                                    Diagnostic::error(code::UNKNOWN_STAGE, format!("arc `{}` has no stage `{}`", arc.meta.name, set.value))
                                        .at(&owner.meta.file, set.span.clone())
                                        .suggest(&set.value, stage_names())
                                        .help(format!(
                                            "the stages of `{}` are: {}",
                                            arc.meta.name,
                                            stage_names().collect::<Vec<_>>().join(", ")
                                        )),
                                );
                            }
                            found
                        }
                        (None, None) => Some(0),
                    };
                    if let Some(index) = index {
                        let active = &arc.stages[index];
                        let layer = active
                            .parts
                            .iter()
                            .filter_map(|p| self.part(&p.name.value).map(|part| LayerItem::plain(part, p.mode)))
                            .collect();
                        slots = apply_noted(slots, layer, None, &Layer::Stage(active.name.value.clone()), &mut layering);
                        stage = Some(ActiveStage { arc, index });
                    }
                }
            }
        } else if let Some(wanted) = &request.stage {
            return Err(ResolveError::Request(format!("persona `{name}` has no arc, so it has no stage `{wanted}`")));
        }

        // Channels: every channel is checked; the requested one is applied.
        let channels = nearest(&chain, |p| p.channels.as_ref());
        let mut channel_names = Vec::new();
        if let Some((channels, owner)) = channels {
            for channel in channels {
                channel_names.push(channel.name.value.clone());
                let layer = self.override_layer(&owner.meta.file, &channel.overrides, &mut diags);
                if request.channel.as_deref() == Some(channel.name.value.as_str()) {
                    slots = apply_noted(slots, layer, None, &Layer::Channel(channel.name.value.clone()), &mut layering);
                    vars.extend(channel.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        if let Some(wanted) = &request.channel
            && !channel_names.contains(wanted)
        {
            let mut msg = format!("persona `{name}` has no channel `{wanted}`");
            match did_you_mean(wanted, channel_names.iter().map(String::as_str)) {
                Some(best) => msg.push_str(&format!("\n  help: did you mean `{best}`?")),
                None if channel_names.is_empty() => msg.push_str("\n  help: it defines no channels"),
                None => msg.push_str(&format!("\n  help: its channels are: {}", channel_names.join(", "))),
            }
            return Err(ResolveError::Request(msg));
        }

        // Runtime overrides.
        if !request.overrides.is_empty() {
            let mut layer = Vec::new();
            for o in &request.overrides {
                if !self.part_types.contains(&o.part_type) {
                    let mut msg = format!("`{}` is not a part type", o.part_type);
                    if let Some(best) = did_you_mean(&o.part_type, self.part_types.iter().map(String::as_str)) {
                        msg.push_str(&format!("\n  help: did you mean `{best}`?"));
                    }
                    return Err(ResolveError::Request(msg));
                }
                match self.part(&o.part) {
                    None => {
                        let mut msg = format!("no part named `{}`", o.part);
                        if let Some(best) = did_you_mean(&o.part, self.names(Kind::Part)) {
                            msg.push_str(&format!("\n  help: did you mean `{best}`?"));
                        }
                        return Err(ResolveError::Request(msg));
                    }
                    Some(part) if part.part_type.value != o.part_type => {
                        return Err(ResolveError::Request(format!(
                            "part `{}` is of type `{}`, so it cannot override `{}`",
                            o.part, part.part_type.value, o.part_type
                        )));
                    }
                    Some(part) => layer.push(LayerItem::plain(part, Mode::Replace)),
                }
            }
            slots = apply_noted(slots, layer, None, &Layer::Override, &mut layering);
        }

        // Filters.
        let mut filtered = Vec::new();
        if let Some(types) = &request.types {
            for t in types {
                if !self.part_types.contains(t) {
                    let mut msg = format!("`{t}` is not a part type");
                    if let Some(best) = did_you_mean(t, self.part_types.iter().map(String::as_str)) {
                        msg.push_str(&format!("\n  help: did you mean `{best}`?"));
                    }
                    return Err(ResolveError::Request(msg));
                }
            }
            let (kept, left): (Vec<_>, Vec<_>) = slots.into_iter().partition(|s| types.contains(&s.part.part_type.value));
            filtered.extend(left.into_iter().map(|s| Filtered { part: s.part.meta.name.clone(), layer: s.layer, by: "types" }));
            slots = kept;
        }
        if let Some(limit) = request.limit {
            let all: Vec<(String, Layer)> = slots.iter().map(|s| (s.part.meta.name.clone(), s.layer.clone())).collect();
            slots = keep_highest_priority(slots, limit);
            for (part, layer) in all {
                if !slots.iter().any(|s| s.part.meta.name == part) {
                    filtered.push(Filtered { part, layer, by: "limit" });
                }
            }
        }

        // Persona-level texts and settings, inherited unless set.
        let summary = nearest(&chain, |p| p.summary.as_ref());
        let description = nearest(&chain, |p| p.meta.description.as_ref());
        let detail = nearest(&chain, |p| p.detail.as_ref());
        let runtime_decls: Vec<RuntimeVar> = nearest(&chain, |p| p.runtime_vars.as_ref()).map(|(v, _)| v.clone()).unwrap_or_default();
        let runtime_vars: Vec<String> = runtime_decls.iter().map(|v| v.name.value.clone()).collect();
        let budget = nearest(&chain, |p| p.budget.as_ref());
        let title = nearest(&chain, |p| p.title.as_ref());
        let own_headings = nearest(&chain, |p| p.own_headings.as_ref()).is_some_and(|(h, _)| h.value);
        let model = nearest(&chain, |p| p.model.as_ref()).map(|(m, _)| m.value.clone());
        let tools = nearest(&chain, |p| p.tools.as_ref()).map(|(t, _)| t.iter().map(|s| s.value.clone()).collect());
        let mut metadata = Metadata::new();
        for p in chain.iter().rev() {
            metadata.extend(p.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        vars.extend(request.vars.iter().map(|(k, v)| (k.clone(), v.clone())));

        if !diags.is_empty() {
            return Err(ResolveError::Definitions(diags));
        }
        // A caller's value for a runtime variable obeys its declared limit,
        // as the loaders enforce it.
        for decl in &runtime_decls {
            if let (Some(max), Some(serde_json::Value::String(value))) = (decl.max_length, request.vars.get(&decl.name.value))
                && value.chars().count() as u64 > max
            {
                return Err(ResolveError::Request(format!(
                    "the value of runtime variable `{}` is {} characters, over its `max_length` of {max}\n  help: give a shorter value (characters are counted as Unicode code points)",
                    decl.name.value,
                    value.chars().count()
                )));
            }
        }

        for s in &slots {
            sources.push(&s.part.meta.file);
        }
        for f in traits
            .iter()
            .map(|t| &t.def.meta.file)
            .chain(skills.iter().map(|s| &s.def.meta.file))
            .chain(guardrails.iter().map(|g| &g.meta.file))
        {
            sources.push(f);
        }
        sources.extend(skills.iter().filter_map(|s| s.def.folder.as_deref()).flat_map(|f| f.reference_files.iter().map(|p| &**p)));
        if let Some(file) = &self.config_file {
            sources.push(file);
        }
        sources.extend(self.templates.keys().map(|k| &**k));
        sources.sort_unstable();
        sources.dedup();

        Ok(ResolvedPersona {
            persona,
            name: name.to_string(),
            version: persona.version.as_ref().map(|v| v.value.clone()),
            text_files: TextFiles {
                title: title.map(|(_, p)| p.meta.file.clone()),
                summary: summary.map(|(_, p)| p.meta.file.clone()),
                description: description.map(|(_, p)| p.meta.file.clone()),
                detail: detail.map(|(_, p)| p.meta.file.clone()),
            },
            summary: summary.map(|(t, _)| t),
            description: description.map(|(t, _)| t),
            detail: detail.map(|(t, _)| t),
            tags,
            title: title.map(|(t, _)| t),
            own_headings,
            parts: slots
                .into_iter()
                .map(|s| PlacedPart { part: s.part, order: s.order, priority: s.priority, layer: s.layer, load: s.load })
                .collect(),
            layering,
            filtered,
            traits,
            skills,
            guardrails,
            model,
            tools,
            metadata,
            stage,
            channel: request.channel.clone(),
            channels: channel_names,
            vars,
            runtime_vars,
            runtime_decls,
            budget: budget.map(|(b, _)| b.value),
            budget_at: budget.map(|(b, p)| (p.meta.file.clone(), b.span.clone())),
            sources,
        })
    }

    fn override_layer<'c>(&'c self, file: &Arc<str>, overrides: &Overrides, diags: &mut Vec<Diagnostic>) -> Vec<LayerItem<'c>> {
        let mut layer = Vec::new();
        for (t, part_name) in overrides {
            if !self.part_types.contains(&t.value) {
                diags.push(
                    Diagnostic::error(code::OVERRIDE_TYPE, format!("`{}` is not a part type", t.value))
                        .at(file, t.span.clone())
                        .suggest(&t.value, self.part_types.iter().map(String::as_str))
                        .help("an override maps a part type to the part that replaces it, e.g. `tone = \"tone-spoken\"`"),
                );
                continue;
            }
            match self.part(&part_name.value) {
                None => diags.extend(self.unknown(Kind::Part, file, part_name)),
                Some(part) if part.part_type.value != t.value => diags.push(
                    Diagnostic::error(
                        code::OVERRIDE_MISMATCH,
                        format!("part `{}` is of type `{}`, so it cannot override `{}`", part_name.value, part.part_type.value, t.value),
                    )
                    .at(file, part_name.span.clone())
                    .label(format!("a `{}` part", part.part_type.value))
                    .help(format!("use a part of type `{}`, or override `{}` instead", t.value, part.part_type.value)),
                ),
                Some(part) => layer.push(LayerItem::plain(part, Mode::Replace)),
            }
        }
        layer
    }

    /// The union of a link list over the chain, ancestors first, each
    /// definition once (in its first place, loaded as its nearest link says).
    fn union<'c, T, L: LinkLike + 'c>(
        &'c self,
        chain: &[&'c Persona],
        kind: Kind,
        links: impl Fn(&'c Persona) -> &'c Vec<L>,
        defs: &'c crate::catalog::Defs<T>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Linked<'c, T>> {
        let mut names: Vec<&str> = Vec::new();
        let mut out: Vec<Linked<'c, T>> = Vec::new();
        for p in chain.iter().rev() {
            for link in links(p) {
                let name = link.name();
                if let Some(i) = names.iter().position(|n| *n == name.value) {
                    out[i].load = link.load();
                    continue;
                }
                match defs.get(&name.value) {
                    Some(d) => {
                        names.push(&name.value);
                        out.push(Linked { def: d.as_ref(), load: link.load() });
                    }
                    None => diags.extend(self.unknown(kind, &p.meta.file, name)),
                }
            }
        }
        out
    }
}

/// A link in a persona's list: a plain name (guardrails) or a [`Link`].
trait LinkLike {
    fn name(&self) -> &Spanned<String>;
    fn load(&self) -> Load;
}

impl LinkLike for Spanned<String> {
    fn name(&self) -> &Spanned<String> {
        self
    }
    fn load(&self) -> Load {
        Load::Inline
    }
}

impl LinkLike for Link {
    fn name(&self) -> &Spanned<String> {
        &self.name
    }
    fn load(&self) -> Load {
        self.load
    }
}

fn unknown_stage_message<'a>(wanted: &str, arc: &CharacterArc, names: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut msg = format!("arc `{}` has no stage `{wanted}`", arc.meta.name);
    match did_you_mean(wanted, names.clone()) {
        Some(best) => msg.push_str(&format!("\n  help: did you mean `{best}`?")),
        None => msg.push_str(&format!("\n  help: its stages are: {}", names.collect::<Vec<_>>().join(", "))),
    }
    msg
}
