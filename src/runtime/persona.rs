//! One concrete persona of a build, its files read and checked once (when
//! the registry first gets it), then filled on every `prompt` and `fetch`.
//! A [`Persona`] is cheap to clone and shares its texts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{Error, ErrorKind, check_format, listing};
use super::fill::{RuntimeVar, Segment, check_values, fill, joined, segments_of};
use super::index::{Entry, Text};
use super::source::Source;

/// The views every persona has.
const VIEWS: [&str; 2] = ["summary", "detail"];

/// Which view to fill: `summary` or `detail`, at a stage (`None`: the
/// current one) on a channel (`None`: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prompt<'a> {
    pub view: &'a str,
    pub stage: Option<&'a str>,
    pub channel: Option<&'a str>,
}

impl<'a> Prompt<'a> {
    /// The full system prompt at the current stage, on no channel.
    pub const DETAIL: Prompt<'static> = Prompt { view: "detail", stage: None, channel: None };
    /// The compact overview at the current stage, on no channel.
    pub const SUMMARY: Prompt<'static> = Prompt { view: "summary", stage: None, channel: None };

    /// `view` at the current stage, on no channel.
    pub fn view(view: &'a str) -> Prompt<'a> {
        Prompt { view, stage: None, channel: None }
    }

    pub fn stage(self, stage: &'a str) -> Prompt<'a> {
        Prompt { stage: Some(stage), ..self }
    }

    pub fn channel(self, channel: &'a str) -> Prompt<'a> {
        Prompt { channel: Some(channel), ..self }
    }
}

impl Default for Prompt<'_> {
    fn default() -> Self {
        Prompt::DETAIL
    }
}

/// No runtime variables, for `prompt` and `fetch` of a view that needs none.
pub const NO_VARS: [(&str, &str); 0] = [];

/// One concrete persona: what its entry and manifest say, and its views and
/// on-demand items ready to fill.
#[derive(Clone)]
pub struct Persona {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    version: String,
    id: String,
    fingerprint: String,
    /// The current stage's arc and name.
    stage: Option<(String, String)>,
    stages: Vec<String>,
    channels: Vec<String>,
    runtime_vars: Vec<RuntimeVar>,
    manifest: Value,
    fields: Fields,
    views: Vec<(String, Option<String>, Option<String>, Loaded)>,
    /// `(kind, name, text)`, in `index.json`'s order.
    items: Vec<(String, String, Loaded)>,
}

/// The manifest fields a persona exposes.
#[derive(Deserialize)]
struct Fields {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    tools: Option<Vec<String>>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
}

/// A view's or item's text, and its segments when it uses variables.
struct Loaded {
    text: String,
    segments: Option<Vec<Segment>>,
}

impl Persona {
    /// Reads and checks every file the persona's entry lists for a loader:
    /// `manifest.json`, each view and on-demand text, their segment files.
    pub(crate) fn load(name: &str, entry: &Entry, source: &Source, verify: bool) -> Result<Persona, Error> {
        let what = format!("{name}/manifest.json");
        let manifest: Value =
            serde_json::from_str(&source.read_text(name, entry, "manifest.json", None, verify)?).map_err(|e| Error::shape(&what, e))?;
        check_format(manifest.get("format"), &what)?;
        let fields = Fields::deserialize(&manifest).map_err(|e| Error::shape(&what, e))?;
        let views = entry
            .views
            .iter()
            .map(|r| {
                let place = describe(&r.view, r.stage.as_deref(), r.channel.as_deref());
                Ok((r.view.clone(), r.stage.clone(), r.channel.clone(), load_text(name, entry, &r.text, &place, source, verify)?))
            })
            .collect::<Result<_, Error>>()?;
        let items = entry
            .on_demand
            .iter()
            .filter(|r| r.file.is_none())
            .map(|r| {
                let place = format!("on-demand {} `{}`", r.kind, r.name);
                Ok((r.kind.clone(), r.name.clone(), load_text(name, entry, &r.text, &place, source, verify)?))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Persona {
            inner: Arc::new(Inner {
                name: name.to_string(),
                version: entry.version.clone(),
                id: entry.id.clone(),
                fingerprint: entry.fingerprint.clone(),
                stage: entry.stage.as_ref().map(|s| (s.arc.clone(), s.name.clone())),
                stages: entry.stages.clone(),
                channels: entry.channels.clone(),
                runtime_vars: entry.runtime_vars.clone(),
                manifest,
                fields,
                views,
                items,
            }),
        })
    }

    /// `NAME@VERSION+<first 12 hex of the fingerprint>`.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// `sha256:<64 hex>`.
    pub fn fingerprint(&self) -> &str {
        &self.inner.fingerprint
    }

    /// The display name: the manifest's `title`, else the name.
    pub fn title(&self) -> &str {
        self.inner.fields.title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&self.inner.name)
    }

    pub fn description(&self) -> Option<&str> {
        self.inner.fields.description.as_deref()
    }

    pub fn model(&self) -> Option<&str> {
        self.inner.fields.model.as_deref()
    }

    /// `None`: not set (the harness's default, usually every tool);
    /// `Some(&[])`: no tools.
    pub fn tools(&self) -> Option<&[String]> {
        self.inner.fields.tools.as_deref()
    }

    /// String, number or boolean values; empty when there are none.
    pub fn metadata(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.inner.fields.metadata.as_ref().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// The declared runtime variables, in declaration order.
    pub fn runtime_vars(&self) -> &[RuntimeVar] {
        &self.inner.runtime_vars
    }

    /// The current arc stage's name; `None` without an arc.
    pub fn stage(&self) -> Option<&str> {
        self.inner.stage.as_ref().map(|(_, name)| name.as_str())
    }

    /// The arc's name; `None` without an arc.
    pub fn arc(&self) -> Option<&str> {
        self.inner.stage.as_ref().map(|(arc, _)| arc.as_str())
    }

    /// The arc's stages in arc order; empty without an arc.
    pub fn stages(&self) -> &[String] {
        &self.inner.stages
    }

    /// The channel names, sorted.
    pub fn channels(&self) -> &[String] {
        &self.inner.channels
    }

    /// `manifest.json` as it is.
    pub fn manifest(&self) -> &Value {
        &self.inner.manifest
    }

    /// One view with its runtime variables filled. Every value must be a
    /// declared variable within its `max_length`, used by the view or not;
    /// an absent one takes its default.
    pub fn prompt<K, V>(&self, prompt: &Prompt<'_>, vars: impl IntoIterator<Item = (K, V)>) -> Result<String, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let Prompt { view, stage, channel } = *prompt;
        let p = &self.inner;
        if !VIEWS.contains(&view) {
            return Err(self.unknown(ErrorKind::UnknownView, "view", view, "views", &VIEWS));
        }
        if let Some(stage) = stage.filter(|s| !p.stages.iter().any(|n| n == s)) {
            return Err(self.unknown(ErrorKind::UnknownStage, "stage", stage, "stages", &p.stages));
        }
        if let Some(channel) = channel.filter(|c| !p.channels.iter().any(|n| n == c)) {
            return Err(self.unknown(ErrorKind::UnknownChannel, "channel", channel, "channels", &p.channels));
        }
        let values = check_values(&p.name, &p.runtime_vars, vars)?;
        let place = describe(view, stage, channel);
        let Some((_, _, _, loaded)) = p.views.iter().find(|(v, s, c, _)| v == view && s.as_deref() == stage && c.as_deref() == channel)
        else {
            return Err(Error::new(ErrorKind::HashMismatch, format!("persona {}: index.json lists no {place}", p.name)));
        };
        self.render(loaded, &values, &place)
    }

    /// The detail view at the current stage, on no channel: the system prompt.
    pub fn build_system_prompt<K, V>(&self, vars: impl IntoIterator<Item = (K, V)>) -> Result<String, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.prompt(&Prompt::DETAIL, vars)
    }

    /// An on-demand part, trait or skill (`kind`: `part`, `trait`, `skill`)
    /// with its runtime variables filled.
    pub fn fetch<K, V>(&self, kind: &str, name: &str, vars: impl IntoIterator<Item = (K, V)>) -> Result<String, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let p = &self.inner;
        let Some((_, _, loaded)) = p.items.iter().find(|(k, n, _)| k == kind && n == name) else {
            let valid: Vec<String> = p.items.iter().map(|(k, n, _)| format!("{k}/{n}")).collect();
            return Err(Error::new(
                ErrorKind::UnknownItem,
                format!("persona {} has no on-demand {kind} `{name}`; on-demand items: {}", p.name, listing(&valid)),
            ));
        };
        let values = check_values(&p.name, &p.runtime_vars, vars)?;
        self.render(loaded, &values, &format!("on-demand {kind} `{name}`"))
    }

    fn render(&self, loaded: &Loaded, values: &BTreeMap<String, String>, place: &str) -> Result<String, Error> {
        match &loaded.segments {
            None => Ok(loaded.text.clone()),
            Some(segments) => fill(segments, values, &self.inner.runtime_vars, &self.inner.name, place),
        }
    }

    fn unknown<S: AsRef<str>>(&self, kind: ErrorKind, what: &str, given: &str, plural: &str, valid: &[S]) -> Error {
        Error::new(kind, format!("persona {} has no {what} `{given}`; {plural}: {}", self.inner.name, listing(valid)))
    }
}

impl fmt::Debug for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Persona").field(&self.inner.id).finish()
    }
}

/// For messages: view `detail` at stage `deep` on channel `voice`.
fn describe(view: &str, stage: Option<&str>, channel: Option<&str>) -> String {
    let mut out = format!("view `{view}`");
    if let Some(stage) = stage {
        out.push_str(&format!(" at stage `{stage}`"));
    }
    if let Some(channel) = channel {
        out.push_str(&format!(" on channel `{channel}`"));
    }
    out
}

/// A text, and when it uses variables its segment file, read and checked:
/// with `verify`, the segments must join to the text and name only the
/// variables the record lists.
fn load_text(name: &str, entry: &Entry, rec: &Text, place: &str, source: &Source, verify: bool) -> Result<Loaded, Error> {
    let text = source.read_text(name, entry, &rec.path, rec.sha256.as_deref(), verify)?;
    if rec.vars.is_empty() {
        return Ok(Loaded { text, segments: None });
    }
    let mismatch = |message: String| Error::new(ErrorKind::HashMismatch, format!("persona {name}: {message}"));
    let Some(seg_path) = rec.segments.as_deref() else {
        return Err(mismatch(format!("{place} uses runtime variables but index.json names no segment file")));
    };
    let what = format!("{name}/{seg_path}");
    let doc: Value = serde_json::from_str(&source.read_text(name, entry, seg_path, None, verify)?).map_err(|e| Error::shape(&what, e))?;
    check_format(doc.get("format"), &what)?;
    let Some(list) = doc.get("segments").and_then(Value::as_array) else {
        return Err(mismatch(format!("{seg_path} holds no segments")));
    };
    let segments = segments_of(list).map_err(|bad| mismatch(format!("{seg_path} holds a bad segment {bad}")))?;
    if verify {
        if let Some(Segment::Var(bad)) = segments.iter().find(|s| matches!(s, Segment::Var(v) if !rec.vars.contains(v))) {
            return Err(mismatch(format!("{seg_path} holds the variable `{bad}`, which index.json does not list for {place}")));
        }
        if joined(&segments) != text {
            return Err(mismatch(format!("{seg_path} does not match the text of its view")));
        }
    }
    Ok(Loaded { text, segments: Some(segments) })
}
