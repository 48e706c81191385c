//! Every definition of a snapshot, by kind and name.
//!
//! Loading parses each file (pure, cacheable by content), then checks what
//! needs the whole repository but no persona: unique names, part types
//! (built-in or declared in `personac.toml`), and arc stages' parts. It
//! collects every diagnostic of the snapshot; it reads nothing but the
//! snapshot.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, code};
use crate::model::*;
use crate::parse;
use crate::snapshot::{CONFIG_FILE, Snapshot, TEMPLATES_DIR};
use crate::tokens::Tokenizer;

/// Definitions by name, one map per kind.
#[derive(Debug, Default)]
pub struct Catalog {
    pub config: Config,
    pub config_file: Option<Arc<str>>,
    pub personas: Defs<Persona>,
    pub parts: Defs<Part>,
    pub traits: Defs<Trait>,
    pub skills: Defs<Skill>,
    pub guardrails: Defs<Guardrail>,
    pub arcs: Defs<CharacterArc>,
    /// Built-in part types, then those declared in `personac.toml`.
    pub part_types: Vec<String>,
    /// Layout templates (`templates/*.j2`), by path.
    pub templates: BTreeMap<Arc<str>, Arc<str>>,
    /// Definitions whose files did not parse, by kind and name (the file
    /// stem): a reference to one is not reported again as unknown.
    pub broken: std::collections::BTreeSet<(Kind, String)>,
    /// The did-you-mean of each unknown name reported, by kind: a name
    /// misspelled in a base persona is reported by every view of every
    /// persona that extends it, and each did-you-mean looks through every
    /// name of its kind. Forgotten when a definition comes or goes.
    suggested: Mutex<foldhash::HashMap<(Kind, String), Option<String>>>,
}

/// The definitions of one kind, by name: sorted to go through (outputs
/// follow name order), hashed to look up. Resolving looks names up millions
/// of times at 10,000 personas, and a search down a sorted map of 30,000
/// names compares strings scattered over memory at every step.
#[derive(Debug)]
pub struct Defs<T> {
    sorted: BTreeMap<String, Arc<T>>,
    by_name: foldhash::HashMap<String, Arc<T>>,
}

impl<T> Default for Defs<T> {
    fn default() -> Self {
        Defs { sorted: BTreeMap::new(), by_name: foldhash::HashMap::default() }
    }
}

/// Going through them: the sorted map.
impl<T> std::ops::Deref for Defs<T> {
    type Target = BTreeMap<String, Arc<T>>;
    fn deref(&self) -> &Self::Target {
        &self.sorted
    }
}

impl<'a, T> IntoIterator for &'a Defs<T> {
    type Item = (&'a String, &'a Arc<T>);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Arc<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter()
    }
}

impl<T> Defs<T> {
    pub fn get(&self, name: &str) -> Option<&Arc<T>> {
        self.by_name.get(name)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub fn insert(&mut self, name: String, def: Arc<T>) -> Option<Arc<T>> {
        self.by_name.insert(name.clone(), def.clone());
        self.sorted.insert(name, def)
    }

    pub fn remove(&mut self, name: &str) -> Option<Arc<T>> {
        self.by_name.remove(name);
        self.sorted.remove(name)
    }
}

type Parsed = Result<Definition, Vec<Diagnostic>>;

/// The files of each Agent Skills folder but its `SKILL.md`: `(path, text)` by folder.
type FolderFiles<'a> = BTreeMap<&'a str, Vec<(&'a Arc<str>, &'a Arc<str>)>>;

/// The deepest inheritance chain personac accepts (a persona and its
/// ancestors).
pub const MAX_DEPTH: usize = 64;

/// What successive runs share (watch, diff, a server): parsed files by
/// path, with the sha256 of the text they were parsed from, so that a
/// rebuild parses only what changed (a moved file is parsed again), and the
/// tokenizer, so its vocabulary is loaded once and counts are remembered.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<foldhash::HashMap<Arc<str>, Held>>,
    tokenizer: Mutex<Option<Arc<Tokenizer>>>,
}

/// A file parsed, with the sha256 of the text it was parsed from.
type Held = ([u8; 32], Parsed);

fn text_hash(text: &str, hash: Option<&[u8; 32]>) -> [u8; 32] {
    hash.copied().unwrap_or_else(|| Sha256::digest(text.as_bytes()).into())
}

impl Cache {
    /// Loads the shared tokenizer's vocabulary on another thread, so that the
    /// next run that counts does not wait for it.
    pub fn warm_tokenizer(&self) {
        if let Some(t) = self.tokenizer.lock().ok().and_then(|t| t.clone()) {
            std::thread::spawn(move || t.warm());
        }
    }

    /// The tokenizer for an encoding, shared with earlier runs that used it;
    /// `None` for an unknown encoding.
    pub fn tokenizer(&self, encoding: &str) -> Option<Arc<Tokenizer>> {
        let mut shared = self.tokenizer.lock().ok()?;
        if let Some(t) = shared.as_ref().filter(|t| t.encoding() == encoding) {
            return Some(t.clone());
        }
        let fresh = Arc::new(Tokenizer::new(encoding)?);
        *shared = Some(fresh.clone());
        Some(fresh)
    }

    /// One file, parsed unless the cache holds it.
    pub(crate) fn parse(&self, path: &Arc<str>, text: &str, hash: Option<&[u8; 32]>) -> Result<Definition, Vec<Diagnostic>> {
        let hash = text_hash(text, hash);
        let hit = self.entries.lock().ok().and_then(|e| e.get(path).filter(|(h, _)| *h == hash).map(|(_, p)| p.clone()));
        if let Some(hit) = hit {
            return hit;
        }
        let parsed = parse::parse_definition(path, text);
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(path.clone(), (hash, parsed.clone()));
        }
        parsed
    }

    /// Forgets a file gone from the repository.
    fn forget(&self, path: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(path);
        }
    }

    /// Every file of a load, in order: those the cache holds as they are
    /// now taken from it (looked up at once, under one lock), the others
    /// parsed in parallel. The cache then holds the snapshot's files only,
    /// so that a long-running process (watch, serve) holds one repository's
    /// worth of them, not every version of every file it has seen.
    fn parse_all(&self, files: &[(&Arc<str>, &Arc<str>)], snapshot: &Snapshot) -> Vec<Parsed> {
        use rayon::prelude::*;
        let hashes: Vec<[u8; 32]> = files.iter().map(|(path, text)| text_hash(text, snapshot.hash(path))).collect();
        let mut found: Vec<Option<Parsed>> = match self.entries.lock() {
            Ok(held) => files
                .iter()
                .zip(&hashes)
                .map(|((path, _), hash)| held.get(*path).filter(|(h, _)| h == hash).map(|(_, p)| p.clone()))
                .collect(),
            Err(_) => vec![None; files.len()],
        };
        let misses: Vec<usize> = found.iter().enumerate().filter(|(_, hit)| hit.is_none()).map(|(i, _)| i).collect();
        let fresh: Vec<Parsed> = misses.par_iter().map(|&i| parse::parse_definition(files[i].0, files[i].1)).collect();
        let mut entries = self.entries.lock().ok();
        for (i, parsed) in misses.into_iter().zip(fresh) {
            if let Some(entries) = entries.as_mut() {
                entries.insert(files[i].0.clone(), (hashes[i], parsed.clone()));
            }
            found[i] = Some(parsed);
        }
        // Files gone from the repository are forgotten.
        if let Some(entries) = entries.as_mut().filter(|e| e.len() > files.len()) {
            entries.retain(|path, _| snapshot.hash(path).is_some());
        }
        found.into_iter().flatten().collect()
    }
}

impl Catalog {
    /// Loads every definition of the snapshot; errors if any file is invalid.
    pub fn load(snapshot: &Snapshot) -> Result<Catalog, Vec<Diagnostic>> {
        match Catalog::load_cached(snapshot, &Cache::default()) {
            (catalog, diags) if diags.is_empty() => Ok(catalog),
            (_, diags) => Err(diags),
        }
    }

    /// Loads every definition that parses, with the diagnostics of the rest
    /// (a file that does not parse is left out, so that everything else can
    /// still be resolved and checked in the same run).
    pub fn load_cached(snapshot: &Snapshot, cache: &Cache) -> (Catalog, Vec<Diagnostic>) {
        let mut catalog = Catalog::default();
        let mut diags = Vec::new();

        if let Some(text) = snapshot.get(CONFIG_FILE) {
            let file: Arc<str> = CONFIG_FILE.into();
            match parse::parse_config(&file, text) {
                Ok(config) => catalog.config = config,
                Err(d) => diags.extend(d),
            }
            catalog.config_file = Some(file);
        }
        catalog.part_types = PART_TYPES.iter().map(|t| t.to_string()).collect();
        for t in &catalog.config.part_types {
            if !catalog.part_types.contains(&t.value) {
                catalog.part_types.push(t.value.clone());
            }
        }

        let mut definitions = Vec::new();
        let templates = format!("{TEMPLATES_DIR}/");
        // The other files of Agent Skills folders are their skills', not
        // definitions: gathered by folder, attached to the skill below.
        let folders = parse::skill_folder::folders(snapshot.files().map(|(p, _)| &**p));
        let mut folder_files: FolderFiles = BTreeMap::new();
        for (path, text) in snapshot.files() {
            if &**path == CONFIG_FILE {
                continue;
            }
            if path.starts_with(&templates) {
                catalog.templates.insert(path.clone(), text.clone());
                continue;
            }
            if let Some(dir) = parse::skill_folder::owner(path, &folders) {
                folder_files.entry(dir).or_default().push((path, text));
                continue;
            }
            definitions.push((path, text));
        }
        // Files parse independently; they are inserted in path order.
        let parsed = cache.parse_all(&definitions, snapshot);
        for ((path, _), parsed) in definitions.into_iter().zip(parsed) {
            let definition = match parsed {
                Ok(d) => d,
                Err(d) => {
                    diags.extend(d);
                    if let Some((kind, stem)) = Kind::of_path(path) {
                        catalog.broken.insert((kind, stem.to_string()));
                    }
                    continue;
                }
            };
            let definition = with_folder_files(definition, &folder_files);
            let kind = definition.kind();
            let meta = definition.meta();
            if let Some(first) = catalog.file_of(kind, &meta.name) {
                diags.push(
                    Diagnostic::error(code::DUPLICATE_NAME, format!("two {}s are named `{}`: `{first}` and `{path}`", kind, meta.name))
                        .at(path, meta.name_span.clone())
                        .help(format!("names are unique within a kind across sub-folders; rename or remove one of `{first}` and `{path}`")),
                );
                continue;
            }
            catalog.insert(definition);
        }

        catalog.check_part_types(&mut diags);
        catalog.check_arcs(&mut diags);
        catalog.check_inheritance(&mut diags);
        (catalog, diags)
    }

    /// This catalog, loaded without a diagnostic from an earlier snapshot,
    /// patched to `snapshot`, given the files that differ between the two
    /// (`changed`): their definitions are taken out and the files parsed
    /// again, then the checks that need the whole repository run as in a
    /// full load. `None` where only a full load says
    /// the same (the config changed, a changed file does not parse or
    /// takes a name already taken): the caller loads in full.
    pub fn patched(
        mut self,
        changed: &foldhash::HashSet<Arc<str>>,
        snapshot: &Snapshot,
        cache: &Cache,
    ) -> Option<(Catalog, Vec<Diagnostic>)> {
        if changed.contains(CONFIG_FILE) || !self.broken.is_empty() {
            return None;
        }
        // A change in an Agent Skills folder changes what its skill
        // gathers: only a full load says the same.
        let folders = parse::skill_folder::folders(snapshot.files().map(|(p, _)| &**p));
        if changed.iter().any(|p| p.ends_with(SKILL_FILE) || parse::skill_folder::owner(p, &folders).is_some()) {
            return None;
        }
        let templates = format!("{TEMPLATES_DIR}/");
        let mut changed: Vec<&Arc<str>> = changed.iter().collect();
        changed.sort();
        for path in changed {
            if path.starts_with(&templates) {
                match snapshot.file(path) {
                    Some((path, text)) => _ = self.templates.insert(path.clone(), text.clone()),
                    None => _ = self.templates.remove(path),
                }
                continue;
            }
            let (kind, stem) = Kind::of_path(path)?;
            match self.file_of(kind, stem) {
                Some(file) if file == path => self.remove(kind, stem),
                Some(_) => return None,
                None => {}
            }
            let Some(text) = snapshot.get(path) else {
                cache.forget(path);
                continue;
            };
            let definition = cache.parse(path, text, snapshot.hash(path)).ok()?;
            if self.file_of(definition.kind(), &definition.meta().name).is_some() {
                return None;
            }
            self.insert(definition);
        }
        let mut diags = Vec::new();
        self.check_part_types(&mut diags);
        self.check_arcs(&mut diags);
        self.check_inheritance(&mut diags);
        Some((self, diags))
    }

    pub fn persona(&self, name: &str) -> Option<&Persona> {
        self.personas.get(name).map(Arc::as_ref)
    }

    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.get(name).map(Arc::as_ref)
    }

    pub fn arc(&self, name: &str) -> Option<&CharacterArc> {
        self.arcs.get(name).map(Arc::as_ref)
    }

    /// The file of the definition of a kind and name, if there is one.
    fn file_of(&self, kind: Kind, name: &str) -> Option<&Arc<str>> {
        match kind {
            Kind::Persona => self.personas.get(name).map(|d| &d.meta.file),
            Kind::Part => self.parts.get(name).map(|d| &d.meta.file),
            Kind::Trait => self.traits.get(name).map(|d| &d.meta.file),
            Kind::Skill => self.skills.get(name).map(|d| &d.meta.file),
            Kind::Guardrail => self.guardrails.get(name).map(|d| &d.meta.file),
            Kind::Arc => self.arcs.get(name).map(|d| &d.meta.file),
        }
    }

    fn insert(&mut self, definition: Definition) {
        self.suggested.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        match definition {
            Definition::Persona(d) => _ = self.personas.insert(d.meta.name.clone(), d),
            Definition::Part(d) => _ = self.parts.insert(d.meta.name.clone(), d),
            Definition::Trait(d) => _ = self.traits.insert(d.meta.name.clone(), d),
            Definition::Skill(d) => _ = self.skills.insert(d.meta.name.clone(), d),
            Definition::Guardrail(d) => _ = self.guardrails.insert(d.meta.name.clone(), d),
            Definition::Arc(d) => _ = self.arcs.insert(d.meta.name.clone(), d),
        }
    }

    fn remove(&mut self, kind: Kind, name: &str) {
        self.suggested.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        match kind {
            Kind::Persona => _ = self.personas.remove(name),
            Kind::Part => _ = self.parts.remove(name),
            Kind::Trait => _ = self.traits.remove(name),
            Kind::Skill => _ = self.skills.remove(name),
            Kind::Guardrail => _ = self.guardrails.remove(name),
            Kind::Arc => _ = self.arcs.remove(name),
        }
    }

    fn check_part_types(&self, diags: &mut Vec<Diagnostic>) {
        for part in self.parts.values() {
            let t = &part.part_type;
            if !self.part_types.contains(&t.value) {
                let known = format!("part types are: {}", self.part_types.join(", "));
                // Declared types are names; only a name can be declared.
                let help = if parse::is_valid_name(&t.value) {
                    format!("{known}; declare another with `part_types = [\"{}\"]` in personac.toml", t.value)
                } else {
                    format!("{known}; a declared type is a name (lowercase letters, digits, `-` and `_`)")
                };
                diags.push(
                    Diagnostic::error(code::UNKNOWN_PART_TYPE, format!("unknown part type `{}`", t.value))
                        .at(&part.meta.file, t.span.clone())
                        .suggest(&t.value, self.part_types.iter().map(String::as_str))
                        .help(help),
                );
            }
        }
    }

    /// Refuses inheritance chains deeper than [`MAX_DEPTH`], once per chain
    /// (at the persona one level too deep), and inheritance cycles, once per
    /// cycle (from its first name, with every member). Each persona is
    /// visited once, so even a 10,000-deep chain or a 1,000-persona cycle is
    /// checked in linear time. (Unknown parents are reported by resolve.)
    fn check_inheritance(&self, diags: &mut Vec<Diagnostic>) {
        let parent_of = |name: &str| -> Option<&str> {
            self.personas
                .get(name)
                .and_then(|p| p.extends.as_ref())
                .and_then(|e| self.personas.get_key_value(&e.value))
                .map(|(n, _)| n.as_str())
        };
        // Depth of each persona's chain; `None` for one that runs into a cycle.
        let mut depth: HashMap<&str, Option<usize>> = HashMap::new();
        for name in self.personas.keys() {
            let mut path: Vec<&str> = Vec::new();
            let mut on_path: std::collections::HashSet<&str> = std::collections::HashSet::new();
            let mut current = name.as_str();
            let base = loop {
                if let Some(d) = depth.get(current) {
                    break *d;
                }
                if !on_path.insert(current) {
                    // A cycle, new: the path from `current`'s first visit on.
                    let start = path.iter().position(|n| *n == current).unwrap_or(0);
                    self.report_cycle(&path[start..], diags);
                    break None;
                }
                path.push(current);
                match parent_of(current) {
                    Some(parent) => current = parent,
                    None => break Some(0),
                }
            };
            for (i, n) in path.iter().rev().enumerate() {
                depth.insert(n, base.map(|b| b + i + 1));
            }
        }
        for (name, persona) in &self.personas {
            let (Some(Some(d)), Some(parent)) = (depth.get(name.as_str()), &persona.extends) else { continue };
            if *d == MAX_DEPTH + 1 {
                diags.push(
                    Diagnostic::error(
                        code::INHERITANCE_DEPTH,
                        format!("persona `{name}` is {d} levels deep; inheritance chains are at most {MAX_DEPTH} deep"),
                    )
                    .at(&persona.meta.file, parent.span.clone())
                    .label("one level too many")
                    .help("let personas extend a shared base rather than each other in a long line"),
                );
            }
        }
    }

    /// One inheritance cycle, told from its first name: `a -> b -> a`.
    fn report_cycle(&self, cycle: &[&str], diags: &mut Vec<Diagnostic>) {
        let start = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
        let names: Vec<&str> = (0..=cycle.len()).map(|k| cycle[(start + k) % cycle.len()]).collect();
        let Some(first) = self.personas.get(cycle[start]) else { return };
        let span = first.extends.as_ref().map_or(0..0, |e| e.span.clone());
        diags.push(
            Diagnostic::error(code::INHERITANCE_CYCLE, format!("inheritance cycle: {}", names.join(" -> ")))
                .at(&first.meta.file, span)
                .label("this `extends` is part of the cycle")
                .help("a persona cannot extend itself, directly or through its ancestors; remove one `extends`"),
        );
    }

    fn check_arcs(&self, diags: &mut Vec<Diagnostic>) {
        for arc in self.arcs.values() {
            for stage in &arc.stages {
                for part in &stage.parts {
                    if !self.parts.contains_key(&part.name.value) {
                        diags.extend(self.unknown(Kind::Part, &arc.meta.file, &part.name));
                    }
                }
            }
        }
    }

    /// "unknown part `x`", with a did-you-mean among the kind's names; none
    /// when `x` is a definition whose file did not parse (that file's own
    /// error says what is wrong).
    pub fn unknown(&self, kind: Kind, file: &Arc<str>, name: &Spanned<String>) -> Option<Diagnostic> {
        if self.broken.contains(&(kind, name.value.clone())) {
            return None;
        }
        Some(self.unknown_name(kind, file, name))
    }

    fn unknown_name(&self, kind: Kind, file: &Arc<str>, name: &Spanned<String>) -> Diagnostic {
        let key = (kind, name.value.clone());
        let known = self.suggested.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        let suggestion = known.unwrap_or_else(|| {
            let best = crate::diag::did_you_mean(&name.value, self.names(kind)).map(str::to_string);
            self.suggested.lock().unwrap_or_else(|p| p.into_inner()).insert(key, best.clone());
            best
        });
        let mut diag = Diagnostic::error(code::UNKNOWN_REFERENCE, format!("unknown {kind} `{}`", name.value))
            .at(file, name.span.clone())
            .label(format!("no {kind} has this name"));
        if let Some(best) = suggestion {
            diag = diag.help(format!("did you mean `{best}`?"));
        }
        if self.names(kind).next().is_none() {
            diag.help(format!("there are no {kind} definitions; create `{}/{}.toml`", kind.folder(), name.value))
        } else {
            diag
        }
    }

    /// Names of one kind, sorted.
    pub fn names(&self, kind: Kind) -> Box<dyn Iterator<Item = &str> + '_> {
        match kind {
            Kind::Persona => Box::new(self.personas.keys().map(String::as_str)),
            Kind::Part => Box::new(self.parts.keys().map(String::as_str)),
            Kind::Trait => Box::new(self.traits.keys().map(String::as_str)),
            Kind::Skill => Box::new(self.skills.keys().map(String::as_str)),
            Kind::Guardrail => Box::new(self.guardrails.keys().map(String::as_str)),
            Kind::Arc => Box::new(self.arcs.keys().map(String::as_str)),
        }
    }

    /// The metadata of one definition.
    pub fn meta(&self, kind: Kind, name: &str) -> Option<&Meta> {
        match kind {
            Kind::Persona => self.personas.get(name).map(|d| &d.meta),
            Kind::Part => self.parts.get(name).map(|d| &d.meta),
            Kind::Trait => self.traits.get(name).map(|d| &d.meta),
            Kind::Skill => self.skills.get(name).map(|d| &d.meta),
            Kind::Guardrail => self.guardrails.get(name).map(|d| &d.meta),
            Kind::Arc => self.arcs.get(name).map(|d| &d.meta),
        }
    }
}

/// A skill of an Agent Skills folder with the folder's other files: its
/// references (texts) and the files it carries.
fn with_folder_files(definition: Definition, folder_files: &FolderFiles) -> Definition {
    let Definition::Skill(skill) = &definition else { return definition };
    let Some(folder) = &skill.folder else { return definition };
    let mut folder = (**folder).clone();
    for (path, text) in folder_files.get(folder.dir.as_str()).into_iter().flatten() {
        let inside = &path[folder.dir.len() + 1..];
        if parse::skill_folder::is_reference(inside) {
            folder.references.push((inside.to_string(), (*text).clone()));
            folder.reference_files.push((*path).clone());
        } else {
            folder.files.push((*path).clone());
        }
    }
    Definition::Skill(Arc::new(Skill { folder: Some(Arc::new(folder)), ..(**skill).clone() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_only_what_the_last_load_used() {
        let cache = Cache::default();
        let files = |summary: &str| Snapshot::from_files([("parts/a.toml", format!("type = \"tone\"\nsummary = \"{summary}\"\n"))]);
        for round in 0..5 {
            assert!(Catalog::load_cached(&files(&format!("version {round}")), &cache).1.is_empty());
            assert_eq!(cache.entries.lock().unwrap().len(), 1, "round {round}");
        }
    }
}
