//! Where each registered template comes from, by its id: `file@offset` for
//! a text of a definition (the offset of the text in its file), the path for
//! a layout template. The renderer holds this for as long as it lives, for
//! every text of every definition, so it is kept small: a text is four
//! shared pointers and its span, grouped by file, and what is said of it in
//! a diagnostic ("the `summary` of part `tone`") is written only when a
//! diagnostic asks.

use std::ops::Range;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt as _};

use crate::model::{Kind, Meta, Text};

/// A registered template, as a diagnostic needs it.
pub(super) struct Origin {
    pub file: Arc<str>,
    pub span: Range<usize>,
    pub lines: Arc<[(usize, usize)]>,
    /// What the template is, for messages: "the `summary` of part `tone`".
    pub what: String,
    /// A layout template (`templates/*.md.j2`), not a definition's text.
    pub layout: bool,
}

/// Every registered template, by id.
#[derive(Default)]
pub(super) struct Origins {
    files: HashMap<Arc<str>, FileTexts>,
    layouts: HashMap<Arc<str>, Arc<str>>,
}

/// The texts of one definition file, sorted by their offset in it.
struct FileTexts {
    kind: Kind,
    name: Box<str>,
    texts: Box<[FileText]>,
}

impl FileTexts {
    fn ids<'a>(&'a self, file: &'a str) -> impl Iterator<Item = String> + 'a {
        self.texts.iter().map(move |t| format!("{file}@{}", t.span.start))
    }
}

struct FileText {
    field: &'static str,
    source: Arc<str>,
    span: Range<usize>,
    lines: Arc<[(usize, usize)]>,
}

/// The id a text of a definition is registered under.
pub(super) fn text_id(file: &str, text: &Text) -> String {
    format!("{file}@{}", text.span.start)
}

impl Origins {
    /// Registers the texts of definitions, each with the field it is, one
    /// definition's texts after another.
    pub fn new(texts: &[(&Meta, Kind, &'static str, &Text)]) -> Origins {
        let mut origins = Origins { files: HashMap::with_capacity(texts.len() / 2), layouts: HashMap::new() };
        origins.insert(texts);
        origins
    }

    /// Registers the texts of more definitions, as [`Origins::new`] does.
    pub fn insert(&mut self, texts: &[(&Meta, Kind, &'static str, &Text)]) {
        for run in texts.chunk_by(|a, b| std::ptr::eq(a.0, b.0)) {
            let (meta, kind, _, _) = run[0];
            let mut texts: Vec<FileText> = run
                .iter()
                .rev()
                .map(|&(_, _, field, text)| FileText {
                    field,
                    source: text.source.clone(),
                    span: text.span.clone(),
                    lines: text.lines.clone(),
                })
                .collect();
            // Two texts at one offset cannot both be found by id: the last one registered is.
            texts.sort_by_key(|t| t.span.start);
            texts.dedup_by_key(|t| t.span.start);
            self.files.insert(meta.file.clone(), FileTexts { kind, name: meta.name.as_str().into(), texts: texts.into() });
        }
    }

    /// Forgets the texts of files.
    pub fn forget<'a>(&mut self, files: impl IntoIterator<Item = &'a Arc<str>>) {
        for file in files {
            self.files.remove(file);
        }
    }

    pub fn clear_layouts(&mut self) {
        self.layouts.clear();
    }

    /// Registers a layout template under its path (replacing a text of that id).
    pub fn add_layout(&mut self, path: Arc<str>, source: Arc<str>) {
        self.layouts.insert(path, source);
    }

    /// A template's source.
    pub fn source(&self, id: &str) -> Option<&Arc<str>> {
        match self.layouts.get(id) {
            Some(source) => Some(source),
            None => self.text(id).map(|(_, _, text)| &text.source),
        }
    }

    /// Where a template is, and what it is.
    pub fn get(&self, id: &str) -> Option<Origin> {
        if let Some((path, _)) = self.layouts.get_key_value(id) {
            let what = format!("the layout template `{path}`");
            return Some(Origin { file: path.clone(), span: 0..0, lines: [(0, 0)].into(), what, layout: true });
        }
        let (file, def, text) = self.text(id)?;
        Some(Origin {
            file: file.clone(),
            span: text.span.clone(),
            lines: text.lines.clone(),
            what: format!("the `{}` of {} `{}`", text.field, def.kind, def.name),
            layout: false,
        })
    }

    /// The ids of the templates whose file `wanted` picks, sorted.
    pub fn ids(&self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let texts = self.files.iter().filter(|(file, _)| wanted(file));
        let mut ids: Vec<String> = texts.flat_map(|(file, def)| def.ids(file)).collect();
        ids.extend(self.layouts.keys().filter(|path| wanted(path)).map(|path| path.to_string()));
        ids.sort();
        ids.dedup();
        ids
    }

    /// The ids of the templates of some files, sorted.
    pub fn ids_of<'a>(&self, files: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut ids = Vec::new();
        for file in files {
            if let Some((file, def)) = self.files.get_key_value(file) {
                ids.extend(def.ids(file));
            }
            if self.layouts.contains_key(file) {
                ids.push(file.to_string());
            }
        }
        ids.sort();
        ids.dedup();
        ids
    }

    fn text(&self, id: &str) -> Option<(&Arc<str>, &FileTexts, &FileText)> {
        let (file, start) = id.rsplit_once('@')?;
        let start: usize = start.parse().ok()?;
        let (file, def) = self.files.get_key_value(file)?;
        let i = def.texts.binary_search_by_key(&start, |t| t.span.start).ok()?;
        Some((file, def, &def.texts[i]))
    }
}
