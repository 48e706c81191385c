//! Names, links, layers, inheritance and filters: a persona's name in, a
//! [`ResolvedPersona`] out.
//!
//! One rule applies at every layer (ancestors, the persona, the arc stage,
//! the channel, runtime overrides): for each part type a layer names, the
//! parts of that type below are removed and the layer's take the place of the
//! first removed one. Resolution is pure and collects every diagnostic; a
//! caller's bad request (an unknown stage on the command line, say) is kept
//! apart from errors in the definitions, because the two end differently.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, code, did_you_mean};
use crate::model::*;

/// Why a persona did not resolve.
#[derive(Debug)]
pub enum ResolveError {
    /// The definitions have errors.
    Definitions(Vec<Diagnostic>),
    /// The request names something that does not exist (a stage, a channel,
    /// an override); the message says what, with a hint.
    Request(String),
}

/// A part in the assembly, with its effective placement.
#[derive(Clone, Copy)]
struct Slot<'c> {
    part: &'c Part,
    order: i64,
    priority: i64,
}

/// One layer's parts, with what they set themselves.
struct LayerItem<'c> {
    part: &'c Part,
    order: Option<i64>,
    priority: Option<i64>,
}

/// Applies one layer: the layer rule of SPEC section 2.
///
/// `default_order` places a part whose type is new and whose order is unset:
/// a persona's parts default to 0; stage parts and overrides (`None`) go last.
fn apply_layer<'c>(mut below: Vec<Slot<'c>>, layer: Vec<LayerItem<'c>>, default_order: Option<i64>) -> Vec<Slot<'c>> {
    let mut types: Vec<&str> = Vec::new();
    for item in &layer {
        if !types.contains(&item.part.part_type.value.as_str()) {
            types.push(&item.part.part_type.value);
        }
    }
    for t in types {
        let items = layer.iter().filter(|i| i.part.part_type.value == t);
        if let Some(pos) = below.iter().position(|s| s.part.part_type.value == t) {
            let first = below[pos];
            below.retain(|s| s.part.part_type.value != t);
            let replacing: Vec<Slot> = items
                .map(|i| Slot { part: i.part, order: i.order.unwrap_or(first.order), priority: i.priority.unwrap_or(first.priority) })
                .collect();
            below.splice(pos..pos, replacing);
        } else {
            let last = below.iter().map(|s| s.order).max().unwrap_or(0);
            for i in items {
                below.push(Slot { part: i.part, order: i.order.or(default_order).unwrap_or(last), priority: i.priority.unwrap_or(0) });
            }
        }
    }
    below.sort_by_key(|s| s.order);
    below
}

impl Catalog {
    /// The inheritance chain of a persona, the persona itself first.
    fn ancestry<'c>(&'c self, persona: &'c Persona, diags: &mut Vec<Diagnostic>) -> Vec<&'c Persona> {
        let mut chain = vec![persona];
        let mut seen: std::collections::HashSet<&str> = [persona.meta.name.as_str()].into();
        let mut current = persona;
        while let Some(parent) = &current.extends {
            match self.personas.get(&parent.value) {
                Some(p) => {
                    if !seen.insert(p.meta.name.as_str()) {
                        let i = chain.iter().position(|c| c.meta.name == p.meta.name).unwrap_or(0);
                        // Told once, from the cycle's first name, whichever member found it.
                        let cycle = &chain[i..];
                        let start = (0..cycle.len()).min_by_key(|&k| &cycle[k].meta.name).unwrap_or(0);
                        let names: Vec<&str> = (0..=cycle.len()).map(|k| cycle[(start + k) % cycle.len()].meta.name.as_str()).collect();
                        let first = cycle[start];
                        let span = first.extends.as_ref().map_or(0..0, |e| e.span.clone());
                        diags.push(
                            Diagnostic::error(code::INHERITANCE_CYCLE, format!("inheritance cycle: {}", names.join(" -> ")))
                                .at(&first.meta.file, span)
                                .label("this `extends` is part of the cycle")
                                .help("a persona cannot extend itself, directly or through its ancestors; remove one `extends`"),
                        );
                        break;
                    }
                    chain.push(p);
                    current = p;
                }
                None => {
                    diags.push(self.unknown(Kind::Persona, &current.meta.file, parent));
                    break;
                }
            }
        }
        chain
    }

    /// Resolves one persona for one request.
    pub fn resolve<'c>(&'c self, name: &str, request: &Request) -> Result<ResolvedPersona<'c>, ResolveError> {
        let Some(persona) = self.personas.get(name) else {
            let mut msg = format!("no persona named `{name}`");
            if let Some(best) = did_you_mean(name, self.names(Kind::Persona)) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            return Err(ResolveError::Request(msg));
        };
        let mut diags = Vec::new();
        let chain = self.ancestry(persona, &mut diags);
        let mut sources: BTreeSet<Arc<str>> = BTreeSet::new();

        // The nearest persona in the chain that sets a field.
        fn nearest<'c, T>(chain: &[&'c Persona], get: impl Fn(&'c Persona) -> Option<T>) -> Option<(T, &'c Persona)> {
            chain.iter().find_map(|p| get(p).map(|v| (v, *p)))
        }

        // Ancestors, furthest first, then the persona's own parts.
        let mut slots = Vec::new();
        for p in chain.iter().rev() {
            sources.insert(p.meta.file.clone());
            let mut layer = Vec::new();
            for r in &p.parts {
                match self.parts.get(&r.name.value) {
                    Some(part) => layer.push(LayerItem { part, order: r.order, priority: r.priority }),
                    None => diags.push(self.unknown(Kind::Part, &p.meta.file, &r.name)),
                }
            }
            slots = apply_layer(slots, layer, Some(0));
        }

        // Unions, ancestors first.
        let traits = self.union(&chain, Kind::Trait, |p| &p.traits, &self.traits, &mut diags);
        let skills = self.union(&chain, Kind::Skill, |p| &p.skills, &self.skills, &mut diags);
        let guardrails = self.union(&chain, Kind::Guardrail, |p| &p.guardrails, &self.guardrails, &mut diags);
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
            match self.arcs.get(&arc_ref.name.value) {
                None => diags.push(self.unknown(Kind::Arc, &owner.meta.file, &arc_ref.name)),
                Some(arc) => {
                    sources.insert(arc.meta.file.clone());
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
                        let layer = arc.stages[index]
                            .parts
                            .iter()
                            .filter_map(|n| self.parts.get(&n.value))
                            .map(|part| LayerItem { part, order: None, priority: None })
                            .collect();
                        slots = apply_layer(slots, layer, None);
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
                    slots = apply_layer(slots, layer, None);
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
                match self.parts.get(&o.part) {
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
                    Some(part) => layer.push(LayerItem { part, order: None, priority: None }),
                }
            }
            slots = apply_layer(slots, layer, None);
        }

        // Filters.
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
            slots.retain(|s| types.contains(&s.part.part_type.value));
        }
        if let Some(limit) = request.limit {
            slots = keep_highest_priority(slots, limit);
        }

        // Persona-level texts and settings, inherited unless set.
        let summary = nearest(&chain, |p| p.summary.as_ref());
        let description = nearest(&chain, |p| p.meta.description.as_ref());
        let detail = nearest(&chain, |p| p.detail.as_ref());
        let runtime_vars =
            nearest(&chain, |p| p.runtime_vars.as_ref()).map(|(v, _)| v.iter().map(|s| s.value.clone()).collect()).unwrap_or_default();
        let budget = nearest(&chain, |p| p.budget.as_ref());
        vars.extend(request.vars.iter().map(|(k, v)| (k.clone(), v.clone())));

        if !diags.is_empty() {
            return Err(ResolveError::Definitions(diags));
        }

        for s in &slots {
            sources.insert(s.part.meta.file.clone());
        }
        for f in
            traits.iter().map(|t| &t.meta.file).chain(skills.iter().map(|s| &s.meta.file)).chain(guardrails.iter().map(|g| &g.meta.file))
        {
            sources.insert(f.clone());
        }
        if let Some(file) = &self.config_file {
            sources.insert(file.clone());
        }
        sources.extend(self.templates.keys().cloned());

        Ok(ResolvedPersona {
            persona,
            name: name.to_string(),
            version: persona.version.as_ref().map(|v| v.value.clone()),
            text_files: TextFiles {
                summary: summary.map(|(_, p)| p.meta.file.clone()),
                description: description.map(|(_, p)| p.meta.file.clone()),
                detail: detail.map(|(_, p)| p.meta.file.clone()),
            },
            summary: summary.map(|(t, _)| t),
            description: description.map(|(t, _)| t),
            detail: detail.map(|(t, _)| t),
            tags,
            parts: slots.into_iter().map(|s| PlacedPart { part: s.part, order: s.order, priority: s.priority }).collect(),
            traits,
            skills,
            guardrails,
            stage,
            channel: request.channel.clone(),
            channels: channel_names,
            vars,
            runtime_vars,
            budget: budget.map(|(b, _)| b.value),
            budget_at: budget.map(|(b, p)| (p.meta.file.clone(), b.span.clone())),
            sources: sources.into_iter().collect(),
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
            match self.parts.get(&part_name.value) {
                None => diags.push(self.unknown(Kind::Part, file, part_name)),
                Some(part) if part.part_type.value != t.value => diags.push(
                    Diagnostic::error(
                        code::OVERRIDE_MISMATCH,
                        format!("part `{}` is of type `{}`, so it cannot override `{}`", part_name.value, part.part_type.value, t.value),
                    )
                    .at(file, part_name.span.clone())
                    .label(format!("a `{}` part", part.part_type.value))
                    .help(format!("use a part of type `{}`, or override `{}` instead", t.value, part.part_type.value)),
                ),
                Some(part) => layer.push(LayerItem { part, order: None, priority: None }),
            }
        }
        layer
    }

    fn union<'c, T>(
        &'c self,
        chain: &[&'c Persona],
        kind: Kind,
        links: impl Fn(&'c Persona) -> &'c Vec<Spanned<String>>,
        defs: &'c std::collections::BTreeMap<String, T>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<&'c T> {
        let mut names: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for p in chain.iter().rev() {
            for link in links(p) {
                if names.contains(&link.value.as_str()) {
                    continue;
                }
                match defs.get(&link.value) {
                    Some(d) => {
                        names.push(&link.value);
                        out.push(d);
                    }
                    None => diags.push(self.unknown(kind, &p.meta.file, link)),
                }
            }
        }
        out
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

/// Keeps the `limit` parts with the highest priority (ties: the earlier
/// one), still in assembly order.
fn keep_highest_priority(slots: Vec<Slot<'_>>, limit: usize) -> Vec<Slot<'_>> {
    let mut ranked: Vec<usize> = (0..slots.len()).collect();
    ranked.sort_by(|&a, &b| slots[b].priority.cmp(&slots[a].priority).then(a.cmp(&b)));
    let keep: BTreeSet<usize> = ranked.into_iter().take(limit).collect();
    slots.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, t: &str) -> Part {
        let file: Arc<str> = format!("parts/{name}.toml").into();
        Part {
            meta: Meta { name: name.into(), file, name_span: 0..0, description: None, tags: vec![] },
            part_type: Spanned::new(t.into(), 0..0),
            summary: Text { source: name.into(), span: 0..0, lines: vec![] },
            content: None,
        }
    }

    fn names(slots: &[Slot]) -> Vec<String> {
        slots.iter().map(|s| format!("{}@{}/{}", s.part.meta.name, s.order, s.priority)).collect()
    }

    #[test]
    fn a_layer_replaces_every_part_of_a_type_at_the_first_ones_place() {
        let (sys, warm, brisk, goal, spoken) = (
            part("sys", "system"),
            part("tone-warm", "tone"),
            part("tone-brisk", "tone"),
            part("goal", "goal"),
            part("tone-spoken", "tone"),
        );
        let base = apply_layer(
            vec![],
            vec![
                LayerItem { part: &sys, order: Some(0), priority: Some(9) },
                LayerItem { part: &warm, order: Some(20), priority: Some(5) },
                LayerItem { part: &brisk, order: Some(25), priority: Some(1) },
                LayerItem { part: &goal, order: Some(30), priority: None },
            ],
            Some(0),
        );
        assert_eq!(names(&base), ["sys@0/9", "tone-warm@20/5", "tone-brisk@25/1", "goal@30/0"]);
        // An override sets no order or priority: it inherits the first tone's.
        let voiced = apply_layer(base.clone(), vec![LayerItem { part: &spoken, order: None, priority: None }], None);
        assert_eq!(names(&voiced), ["sys@0/9", "tone-spoken@20/5", "goal@30/0"]);
        // A new type with no order of its own goes last.
        let extra = part("flaw", "flaw");
        let staged = apply_layer(base, vec![LayerItem { part: &extra, order: None, priority: None }], None);
        assert_eq!(names(&staged).last().unwrap(), "flaw@30/0");
    }

    #[test]
    fn limit_keeps_highest_priority_in_assembly_order() {
        let (a, b, c) = (part("a", "system"), part("b", "tone"), part("c", "goal"));
        let slots = vec![
            Slot { part: &a, order: 0, priority: 1 },
            Slot { part: &b, order: 1, priority: 5 },
            Slot { part: &c, order: 2, priority: 1 },
        ];
        assert_eq!(names(&keep_highest_priority(slots, 2)), ["a@0/1", "b@1/5"]);
    }
}
