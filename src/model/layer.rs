//! The layers a resolved persona's parts come from, and what each layer
//! did (for `why`).

/// The layer a resolved part came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layer {
    Ancestor(String),
    Own,
    Stage(String),
    Channel(String),
    Override,
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layer::Ancestor(name) => write!(f, "ancestor:{name}"),
            Layer::Own => f.write_str("own"),
            Layer::Stage(name) => write!(f, "stage:{name}"),
            Layer::Channel(name) => write!(f, "channel:{name}"),
            Layer::Override => f.write_str("override"),
        }
    }
}

/// What one layer did to the parts of one type, as the layer rule applied
/// it (for `why`).
#[derive(Clone, Debug)]
pub struct Layering {
    pub layer: Layer,
    pub part_type: String,
    /// The layer's own parts of the type.
    pub parts: Vec<String>,
    /// The parts below that it replaced, with their layers.
    pub replaced: Vec<(String, Layer)>,
    /// The parts below that it appended to, with their layers.
    pub joined: Vec<(String, Layer)>,
}

/// A part a request's filter left out: by `types` or by `limit`.
#[derive(Clone, Debug)]
pub struct Filtered {
    pub part: String,
    pub layer: Layer,
    pub by: &'static str,
}

/// Why a part a persona's layers linked is not among its resolved parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A layer above took its place: `by` are that layer's parts of the type.
    Replaced { at: Layer, by: Vec<String> },
    /// A request's filter left it out: `types` or `limit`.
    Filtered(&'static str),
}

/// A part linked by a layer and absent from the resolved persona: replaced
/// at a layer above, or left out by a filter (`why` and the preview say so).
#[derive(Clone, Debug)]
pub struct Absent {
    pub part: String,
    /// The layer that linked it.
    pub layer: Layer,
    /// Its type, where the layering names it.
    pub part_type: Option<String>,
    pub why: Why,
}

impl Absent {
    /// "replaced at layer channel:voice by tone-spoken", "left out by `types`".
    pub fn reason(&self) -> String {
        match &self.why {
            Why::Replaced { at, by } => format!("replaced at layer {at} by {}", by.join(", ")),
            Why::Filtered(by) => format!("left out by `{by}`"),
        }
    }
}

/// Every part the layers replaced and every part the filters left out, in
/// the order the layers applied, then the filters.
pub fn absent(layering: &[Layering], filtered: &[Filtered]) -> Vec<Absent> {
    let replaced = layering.iter().flat_map(|l| {
        l.replaced.iter().map(move |(part, was)| Absent {
            part: part.clone(),
            layer: was.clone(),
            part_type: Some(l.part_type.clone()),
            why: Why::Replaced { at: l.layer.clone(), by: l.parts.clone() },
        })
    });
    let left = filtered.iter().map(|f| Absent { part: f.part.clone(), layer: f.layer.clone(), part_type: None, why: Why::Filtered(f.by) });
    replaced.chain(left).collect()
}
