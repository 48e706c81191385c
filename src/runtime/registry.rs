//! The personas of one build: `index.json` read and its format checked up
//! front, each persona's files read and checked the first time it is got,
//! then kept. A registry is `Send + Sync`; `get` takes `&self`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::error::{Error, ErrorKind, check_format, listing};
use super::index::{Entry, Index, fingerprint_matches, fingerprint_of};
use super::persona::Persona;
use super::source::Source;

/// How a registry reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Check every file's sha256, each persona's fingerprint and id, and that
    /// each segment file gives its view's text. On by default.
    pub verify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { verify: true }
    }
}

/// The concrete personas of one build output (a folder or a bundle).
pub struct Registry {
    encoding: Option<String>,
    personas: BTreeMap<String, Slot>,
    source: Source,
    verify: bool,
}

/// A persona's entry, and the persona once got.
struct Slot {
    entry: Entry,
    loaded: OnceLock<Persona>,
}

/// A bundle's JSON, as text or parsed: `&str`, `String`, `&String`, `&Value` or `Value`.
pub trait BundleJson<'a>: sealed::Sealed {
    #[doc(hidden)]
    fn parse(self) -> Result<Cow<'a, Value>, Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
    impl Sealed for &serde_json::Value {}
    impl Sealed for serde_json::Value {}
}

impl<'a> BundleJson<'a> for &str {
    fn parse(self) -> Result<Cow<'a, Value>, Error> {
        serde_json::from_str(self).map(Cow::Owned).map_err(|e| Error::shape("the bundle", e))
    }
}

impl<'a> BundleJson<'a> for String {
    fn parse(self) -> Result<Cow<'a, Value>, Error> {
        BundleJson::parse(self.as_str())
    }
}

impl<'a> BundleJson<'a> for &String {
    fn parse(self) -> Result<Cow<'a, Value>, Error> {
        BundleJson::parse(self.as_str())
    }
}

impl<'a> BundleJson<'a> for &'a Value {
    fn parse(self) -> Result<Cow<'a, Value>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl<'a> BundleJson<'a> for Value {
    fn parse(self) -> Result<Cow<'a, Value>, Error> {
        Ok(Cow::Owned(self))
    }
}

impl Registry {
    /// A build-output folder: reads `index.json` and checks its format;
    /// persona files are read when a persona is first got. Verifies.
    pub fn load(dir: impl AsRef<Path>) -> Result<Registry, Error> {
        Registry::load_with(dir, Options::default())
    }

    pub fn load_with(dir: impl AsRef<Path>, options: Options) -> Result<Registry, Error> {
        let dir = dir.as_ref();
        let path = dir.join("index.json");
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path.display().to_string(), e))?;
        let what = format!("{}/index.json", dir.display());
        let index: Value = serde_json::from_slice(&bytes).map_err(|e| Error::shape(&what, e))?;
        Registry::new(&index, Source::Folder(dir.to_path_buf()), &what, options)
    }

    /// A bundle (`{"format": 2, "kind": "personac-bundle", "index": …,
    /// "files": {"PERSONA/PATH": text, …}}`), as JSON text or parsed. Its
    /// files are checked exactly as a folder's. Verifies.
    pub fn from_bundle<'a>(bundle: impl BundleJson<'a>) -> Result<Registry, Error> {
        Registry::from_bundle_with(bundle, Options::default())
    }

    pub fn from_bundle_with<'a>(bundle: impl BundleJson<'a>, options: Options) -> Result<Registry, Error> {
        let bundle = bundle.parse()?;
        if bundle.get("kind").and_then(Value::as_str) != Some("personac-bundle") {
            return Err(Error::new(
                ErrorKind::UnknownFormat,
                "not a personac bundle (no `\"kind\": \"personac-bundle\"`); this loader reads format 2 (personac 0.2)",
            ));
        }
        check_format(bundle.get("format"), "the bundle")?;
        let files = match bundle.get("files") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(files) => BTreeMap::<String, String>::deserialize(files).map_err(|e| Error::shape("the bundle's files", e))?,
        };
        Registry::new(bundle.get("index").unwrap_or(&Value::Null), Source::Bundle(files), "bundle/index.json", options)
    }

    fn new(index: &Value, source: Source, what: &str, options: Options) -> Result<Registry, Error> {
        check_format(index.get("format"), what)?;
        let index = Index::deserialize(index).map_err(|e| Error::shape(what, e))?;
        Ok(Registry {
            encoding: index.encoding,
            personas: index.personas.into_iter().map(|(name, entry)| (name, Slot { entry, loaded: OnceLock::new() })).collect(),
            source,
            verify: options.verify,
        })
    }

    /// The concrete personas, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.personas.keys().map(String::as_str).collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.personas.contains_key(name)
    }

    /// The tokenizer every `tokens` count of the build uses.
    pub fn encoding(&self) -> Option<&str> {
        self.encoding.as_deref()
    }

    /// `"maya"`, `"maya@1.4.0"` or `"maya@1.4.0+e345754896e7"` (the id;
    /// the fingerprint's first 12 hex digits or all 64). The first get of a
    /// persona reads and checks its files.
    pub fn get(&self, reference: &str) -> Result<Persona, Error> {
        let (name, pin) = match reference.split_once('@') {
            Some((name, pin)) => (name, Some(pin)),
            None => (reference, None),
        };
        let Some(slot) = self.personas.get(name) else {
            return Err(Error::new(
                ErrorKind::UnknownPersona,
                format!("no persona `{name}` in this build; personas: {}", listing(&self.names())),
            ));
        };
        let entry = &slot.entry;
        if let Some(pin) = pin
            && !pin_matches(pin, entry)
        {
            return Err(Error::new(ErrorKind::PinMismatch, format!("`{reference}` does not match the build, which holds {}", entry.id)));
        }
        if let Some(persona) = slot.loaded.get() {
            return Ok(persona.clone());
        }
        if self.verify {
            let computed = fingerprint_of(&entry.artifacts);
            if computed != entry.fingerprint {
                return Err(Error::new(
                    ErrorKind::HashMismatch,
                    format!("persona {name}: the fingerprint in index.json is {}, its artifacts give {computed}", entry.fingerprint),
                ));
            }
            let expected_id = format!("{name}@{}+{}", entry.version, &computed[7..19]);
            if entry.id != expected_id {
                return Err(Error::new(
                    ErrorKind::HashMismatch,
                    format!("persona {name}: its id in index.json is {}, its artifacts give {expected_id}", entry.id),
                ));
            }
        }
        let persona = Persona::load(name, entry, &self.source, self.verify)?;
        // Two threads may both load a persona the first time; either copy is the same.
        Ok(slot.loaded.get_or_init(|| persona).clone())
    }
}

/// `VERSION` or `VERSION+FP`. A version may hold `+build` metadata itself,
/// so the whole pin is tried as the version before the last `+` splits it.
fn pin_matches(pin: &str, entry: &Entry) -> bool {
    if pin == entry.version {
        return true;
    }
    match pin.rsplit_once('+') {
        Some((version, fp)) => version == entry.version && fingerprint_matches(fp, &entry.fingerprint),
        None => false,
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("source", &self.source.label()).field("personas", &self.names()).finish()
    }
}
