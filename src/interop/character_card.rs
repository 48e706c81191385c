//! Character Cards, V2 (`spec: "chara_card_v2"`) and V3
//! (`spec: "chara_card_v3"`), as JSON: the character's fields under `data`.
//! `{{char}}` and `{{user}}` are the chat frontend's macros, so they stay
//! literal. Export writes V3.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::agent::{Agent, Exported, Exporter, Importer, Role};
use super::source::{self, Fields};
use super::text::{bullets, section};
use crate::render::has_template_syntax;

pub struct CharacterCard;

impl Importer for CharacterCard {
    fn accepts(&self, path: &std::path::Path) -> bool {
        path.extension().is_some_and(|e| e == "json")
    }

    fn read(&self, path: &str, text: &str) -> Result<Vec<Agent>, Vec<crate::diag::Diagnostic>> {
        let node = crate::parse::json_document(text).map_err(|e| source::syntax(path, "JSON", e))?;
        let Some(mut card) = Fields::of(&node) else {
            return Err(vec![source::error(path, node.span.clone(), "a character card is a JSON object")]);
        };
        let spec = card.string("spec");
        if !matches!(spec.as_deref(), Some("chara_card_v2" | "chara_card_v3")) {
            let span = card.entries.iter().find(|e| e.key == "spec").map_or(node.span.start..node.span.start + 1, |e| e.node.span.clone());
            return Err(vec![
                source::error(path, span, "not a Character Card V2 or V3: `spec` must be \"chara_card_v2\" or \"chara_card_v3\"")
                    .help("personac reads V2 and V3 cards as JSON; convert older cards with a card editor first"),
            ]);
        }
        let _ = card.string("spec_version");
        let Some(data) = card.get("data") else {
            return Err(vec![source::error(path, node.span.start..node.span.start + 1, "a character card keeps its fields under `data`")]);
        };
        let Some(mut fields) = Fields::of(data) else {
            return Err(vec![source::error(path, data.span.clone(), "`data` must be an object")]);
        };
        let Some(name) = fields.string("name").filter(|n| !n.trim().is_empty()) else {
            return Err(vec![source::error(path, data.span.start..data.span.start + 1, "the card has no `name`")]);
        };
        let mut agent = Agent { original_name: name.clone(), title: Some(name), source: path.to_string(), ..Agent::default() };
        if let Some(description) = fields.string("description") {
            agent.intro_literal = has_template_syntax(&description);
            agent.intro = description;
        }
        let add = |agent: &mut Agent, title: &str, role: Role, text: Option<String>| {
            if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
                agent.sections.push(section(title, role, &text));
            }
        };
        add(&mut agent, "Personality", Role::Part("soul"), fields.string("personality"));
        add(&mut agent, "Scenario", Role::Part("context"), fields.string("scenario"));
        add(&mut agent, "System prompt", Role::Part("system"), fields.string("system_prompt"));
        add(&mut agent, "First message", Role::Part("voice"), fields.string("first_mes"));
        let greetings = fields.list("alternate_greetings").filter(|g| !g.is_empty()).map(|g| bullets(&g));
        add(&mut agent, "Alternate greetings", Role::Part("voice"), greetings);
        let group_greetings = fields.list("group_only_greetings").filter(|g| !g.is_empty()).map(|g| bullets(&g));
        add(&mut agent, "Group greetings", Role::Part("voice"), group_greetings);
        add(&mut agent, "Example messages", Role::Part("context"), fields.string("mes_example"));
        add(&mut agent, "Post-history instructions", Role::Part("protocol"), fields.string("post_history_instructions"));
        if let Some(book) = fields.get("character_book") {
            let entries: Vec<String> = book
                .to_json()
                .get("entries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("content").and_then(Value::as_str).map(str::to_string))
                .collect();
            add(&mut agent, "Lorebook", Role::Part("context"), (!entries.is_empty()).then(|| entries.join("\n\n")));
            if !entries.is_empty() {
                agent.unmapped.push((
                    "character_book".into(),
                    "entries kept as one context part: their keys and insertion rules have no home".into(),
                ));
            }
        }
        agent.description = fields.string("creator_notes").filter(|n| !n.trim().is_empty());
        agent.tags = fields.list("tags").unwrap_or_default();
        if let Some(version) = fields.string("character_version").filter(|v| !v.is_empty()) {
            agent.metadata.insert("character_version".into(), Value::String(version));
        }
        source::keep_rest(&fields, &mut agent, "");
        // Empty strings and lists the spec requires carry nothing.
        agent.metadata.retain(|_, v| !matches!(v, Value::String(s) if s.is_empty() || s == "[]" || s == "{}"));
        Ok(vec![agent])
    }
}

impl Exporter for CharacterCard {
    fn default_out(&self) -> &'static str {
        "cards"
    }

    fn export(&self, personas: &[Exported]) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for p in personas {
            let part = |title: &str| p.texts_titled(title).collect::<Vec<_>>().join("\n\n");
            let personality = if part("Personality").is_empty() {
                p.traits.iter().map(|(n, d)| format!("{n}: {d}")).collect::<Vec<_>>().join("\n")
            } else {
                part("Personality")
            };
            let card = json!({
                "spec": "chara_card_v3",
                "spec_version": "3.0",
                "data": {
                    "name": p.title,
                    "description": p.detail_view,
                    "personality": personality,
                    "scenario": part("Scenario"),
                    "first_mes": part("First message"),
                    "mes_example": part("Example messages"),
                    "creator_notes": p.description,
                    "system_prompt": "",
                    "post_history_instructions": "",
                    "alternate_greetings": [],
                    "group_only_greetings": [],
                    "tags": p.tags,
                    "creator": "",
                    "character_version": p.version,
                    "extensions": { "personac": { "name": p.name, "model": p.model, "tools": p.tools } },
                },
            });
            let mut text = serde_json::to_string_pretty(&card).unwrap_or_default();
            text.push('\n');
            files.insert(format!("{}.card.json", p.name), text.into_bytes());
        }
        files
    }

    fn name(&self) -> &'static str {
        "character-card"
    }

    fn carries(&self) -> super::agent::Carries {
        use super::agent::Carries;
        Carries { model: true, tools: true, ..Carries::PROMPT }
    }

    fn loses(&self) -> &'static str {
        "the split into parts (`description` is the compiled detail view), stages and channels (unless exported as characters of their own), and metadata; model and tools travel under `extensions.personac`, which chat frontends ignore"
    }
}
