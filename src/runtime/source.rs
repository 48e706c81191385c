//! Where a persona's files come from, a build-output folder or a bundle's
//! `files`, and reading one of them as `index.json` allows: only a listed
//! artifact on a plain relative path, its sha256 checked when verifying.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::{Error, ErrorKind};
use super::index::{Entry, is_safe_relative};

#[derive(Debug)]
pub(crate) enum Source {
    Folder(PathBuf),
    /// `PERSONA/PATH` to the file's text.
    Bundle(BTreeMap<String, String>),
}

impl Source {
    /// Where the source is, for messages: the folder, or `bundle`.
    pub fn label(&self) -> String {
        match self {
            Source::Folder(dir) => dir.display().to_string(),
            Source::Bundle(_) => "bundle".to_string(),
        }
    }

    /// The bytes of `PERSONA/PATH`, `None` when there is no such file.
    fn read(&self, persona: &str, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Source::Bundle(files) => Ok(files.get(&format!("{persona}/{rel}")).map(|text| text.as_bytes().to_vec())),
            Source::Folder(dir) => {
                let path = rel.split('/').fold(dir.join(persona), |path, part| path.join(part));
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io(&path.display().to_string(), e)),
                }
            }
        }
    }

    /// The text of the artifact `rel` of the persona `name`: it must be
    /// listed in the entry's `artifacts` and be there; when `verify`, its
    /// bytes must hash to what the entry (and `listed`, the record that
    /// named it, if any) says.
    pub fn read_text(&self, name: &str, entry: &Entry, rel: &str, listed: Option<&str>, verify: bool) -> Result<String, Error> {
        let mismatch = |message: String| Error::new(ErrorKind::HashMismatch, format!("persona {name}: {message}"));
        let art = entry.artifacts.get(rel);
        let Some(art) = art.filter(|_| is_safe_relative(rel) && is_safe_relative(name) && !name.contains('/')) else {
            return Err(mismatch(format!("`{rel}` is not an artifact listed in index.json")));
        };
        let Some(bytes) = self.read(name, rel)? else {
            return Err(mismatch(format!("the artifact `{rel}` is missing")));
        };
        if verify {
            let actual = crate::hash::sha256_hex(&bytes);
            for expected in [Some(art.sha256.as_str()), listed].into_iter().flatten() {
                if expected != actual {
                    return Err(mismatch(format!("`{rel}` has sha256 {actual}, index.json says {expected}")));
                }
            }
        }
        String::from_utf8(bytes).map_err(|_| Error::shape(&format!("{name}/{rel}"), "it is not UTF-8 text"))
    }
}
