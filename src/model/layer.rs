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
