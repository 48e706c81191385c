//! What rendering produces: every text a persona's views use, rendered, and
//! the objects a layout template reads them through.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object};
use serde::Serialize;

use crate::model::Load;

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
    /// `headings = "own"`: the detail view shows only the headings the
    /// definitions wrote.
    pub own_headings: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedPart {
    pub name: String,
    #[serde(rename = "type")]
    pub part_type: String,
    /// Its heading: its own `title`, else its type's.
    pub title: String,
    /// Whether the part set a title of its own (then it has its own heading).
    pub own_title: bool,
    pub order: i64,
    pub priority: i64,
    pub description: String,
    pub summary: String,
    pub content: String,
    pub load: Load,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedItem {
    pub name: String,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub description: String,
    pub content: String,
    pub severity: Option<String>,
    /// Its own heading (skills and guardrails), rendered.
    pub title: Option<String>,
    pub load: Load,
}

#[derive(Clone, Debug, Serialize)]
pub struct RenderedStage {
    pub arc: String,
    pub name: String,
    pub description: String,
    pub condition: String,
    pub next: Option<String>,
}

/// The text a view shows: the summary, or in the detail view the long text
/// when there is one.
pub(super) fn pick<'a>(view: View, summary: &'a str, detail: &'a str) -> &'a str {
    if view == View::Detail && !detail.is_empty() { detail } else { summary }
}

/// A part as a layout sees it: its rendered texts, and `text`, the one this
/// view shows (the summary, or in the detail view the content).
#[derive(Debug)]
pub(super) struct PartObject {
    pub part: Arc<RenderedPart>,
    pub view: View,
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
            "on_demand" => Value::from(p.load == Load::OnDemand),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "type", "title", "order", "priority", "description", "summary", "content", "text", "on_demand"])
    }
}

/// A trait, skill or guardrail as a layout sees it; `text` is the
/// description, or in the detail view the content.
#[derive(Debug)]
pub(super) struct ItemObject {
    pub item: Arc<RenderedItem>,
    pub view: View,
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
            "title" => Value::from(i.title.clone()),
            "text" => Value::from(pick(self.view, &i.description, &i.content)),
            "on_demand" => Value::from(i.load == Load::OnDemand),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "type", "title", "description", "content", "severity", "text", "on_demand"])
    }
}

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
