//! Watch mode: build, then rebuild after every change until stopped.
//!
//! Each rebuild is the ordinary build ([`crate::build::build_into`]): read the
//! snapshot, load (parsed files cached by content), compile (unchanged
//! personas kept), write what changed. There is no other rebuild path.
//!
//! Folders are watched, not files, so editors' atomic saves (temp file and
//! rename, backup and rename, delete and recreate) are seen: the repository
//! root (for `personac.toml` and new kind folders) and each kind folder and
//! `templates/`, recursively. Events are debounced; the output folder,
//! `.git`, hidden files, editor swap and backup files, personac's own temp
//! files and access events are ignored, so a rebuild never triggers itself.
//! A broken file reports its diagnostics and leaves the last good output.
//!
//! Debouncing is a quiet period: a batch is complete when no relevant event
//! came for [`DEBOUNCE`]. The watch is told as the first event of a batch
//! arrives, so that work that needs no sources (looking at the last
//! build's files) starts while the batch settles.
//!
//! The output folder is watched too, by a guard of its own ([`output`]),
//! never to trigger a rebuild: it tells which personas' folders changed
//! since their files were last looked at, so that a rebuild looks again
//! only at those.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

mod output;

use crate::artifacts::{Guard, IndexCache, WriteReport};
use crate::build::BuildError;
use crate::catalog::Cache;
use crate::diag::Diagnostic;
use crate::model::Kind;
use crate::project::Project;
use crate::snapshot::{CONFIG_FILE, Snapshot, TEMPLATES_DIR};

pub struct Options {
    pub root: PathBuf,
    /// `--out`, if given; else the config's `out_dir`, read at every build.
    pub out: Option<PathBuf>,
    /// Poll the filesystem instead of using the platform's watcher.
    pub poll: bool,
}

/// What happened, for the caller to show.
pub enum Event<'a> {
    /// Watching began: how, and why polling if it was not asked for.
    Watching { polling: bool, fallback: Option<String> },
    /// A build wrote its output. `trigger` lists the changed paths (empty
    /// for the first build).
    Built { trigger: &'a [String], personas: Vec<String>, report: &'a WriteReport, elapsed: Duration },
    /// A build failed; the previous output is untouched.
    Failed { trigger: &'a [String], diagnostics: &'a [Diagnostic], snapshot: &'a Snapshot },
    /// Something outside the definitions went wrong (an unwritable folder).
    Problem { trigger: &'a [String], message: String },
    /// Another process holds the output folder's lock; this one waits.
    Waiting { holder: &'a str },
}

/// How long a batch must be quiet to be complete: editors' saves (temp file
/// and rename, backup and rename, delete and recreate) take far less.
pub const DEBOUNCE: Duration = Duration::from_millis(25);
/// The longest a batch waits to settle while relevant events keep coming.
const SETTLE_AT_MOST: Duration = Duration::from_millis(500);
const POLL_INTERVAL: Duration = Duration::from_millis(250);

enum Watcher {
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

impl Watcher {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            Watcher::Native(d) => d.watch(path, mode),
            Watcher::Poll(d) => d.watch(path, mode),
        }
    }
}

/// The changes to a repository's sources, as they happen: debounced batches
/// of repository-relative paths. Also used by `serve` to reload.
pub struct Changes {
    root: PathBuf,
    watcher: Watcher,
    watched: Vec<PathBuf>,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    /// Why polling is used though it was not asked for.
    pub fallback: Option<String>,
}

/// One batch of changes.
pub struct Batch {
    /// Changed paths, sorted.
    pub paths: Vec<String>,
    /// The watcher lost track: everything must be read again.
    pub rescan: bool,
}

impl Changes {
    /// Starts watching the sources of the repository at `root`.
    pub fn start(root: &Path, poll: bool) -> Result<Changes, String> {
        let root = std::path::absolute(root).map_err(|e| e.to_string())?;
        let attempt = |poll: bool| -> Result<Changes, String> {
            let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
            let watcher = if poll {
                // Contents, not just times: a save within the same second as the last
                // one must not be missed.
                let config = notify::Config::default().with_poll_interval(POLL_INTERVAL).with_compare_contents(true);
                Watcher::Poll(PollWatcher::new(tx, config).map_err(|e| e.to_string())?)
            } else {
                Watcher::Native(notify::recommended_watcher(tx).map_err(|e| e.to_string())?)
            };
            let mut changes = Changes { root: root.clone(), watcher, watched: Vec::new(), rx, fallback: None };
            changes.watch_sources().map_err(|e| e.to_string())?;
            Ok(changes)
        };
        if poll {
            return attempt(true);
        }
        // inotify limits, network filesystems: poll instead.
        attempt(false).or_else(|e| {
            let mut polling = attempt(true)?;
            polling.fallback = Some(format!("the platform watcher failed ({e}); polling instead"));
            Ok(polling)
        })
    }

    pub fn polling(&self) -> bool {
        matches!(self.watcher, Watcher::Poll(_))
    }

    /// Watches the root (not recursively) and every source folder that exists.
    fn watch_sources(&mut self) -> notify::Result<()> {
        if !self.watched.contains(&self.root) {
            self.watcher.watch(&self.root, RecursiveMode::NonRecursive)?;
            self.watched.push(self.root.clone());
        }
        for folder in Kind::ALL.iter().map(|k| k.folder()).chain([TEMPLATES_DIR]) {
            let dir = self.root.join(folder);
            if dir.is_dir() && !self.watched.contains(&dir) {
                self.watcher.watch(&dir, RecursiveMode::Recursive)?;
                self.watched.push(dir);
            }
        }
        Ok(())
    }

    /// The next batch of relevant changes, waiting at most `timeout` for
    /// its first; `arrived` is called as that first change arrives, before
    /// the batch settles.
    pub fn next(&mut self, timeout: Duration, arrived: &mut dyn FnMut()) -> Option<Batch> {
        let mut batch = Batch { paths: Vec::new(), rescan: false };
        let waited = Instant::now() + timeout;
        while !self.add(self.rx.recv_timeout(waited.checked_duration_since(Instant::now())?).ok()?, &mut batch) {}
        arrived();
        // Everything until a quiet period is one change.
        let started = Instant::now();
        let mut quiet = started + DEBOUNCE;
        while let Some(left) = quiet.checked_duration_since(Instant::now()) {
            let Ok(result) = self.rx.recv_timeout(left) else { break };
            if self.add(result, &mut batch) && started.elapsed() < SETTLE_AT_MOST {
                quiet = Instant::now() + DEBOUNCE;
            }
        }
        batch.paths.sort();
        // A new kind folder is watched from now on.
        let _ = self.watch_sources();
        Some(batch)
    }

    /// Adds an event to a batch; whether it was relevant.
    fn add(&self, result: notify::Result<notify::Event>, batch: &mut Batch) -> bool {
        let Ok(event) = result else {
            batch.rescan = true;
            return true;
        };
        let mut relevant_event = event.need_rescan();
        batch.rescan |= relevant_event;
        if matches!(event.kind, EventKind::Access(_)) {
            return relevant_event;
        }
        for rel in event.paths.iter().filter_map(|path| relevant(&self.root, path)) {
            relevant_event = true;
            if !batch.paths.contains(&rel) {
                batch.paths.push(rel);
            }
        }
        relevant_event
    }
}

/// Builds, then rebuilds on every change, until `stop` is set.
pub fn watch(options: &Options, stop: &AtomicBool, on_event: &mut dyn FnMut(Event)) -> Result<(), String> {
    let root = std::path::absolute(&options.root).map_err(|e| e.to_string())?;
    let mut changes = Changes::start(&root, options.poll)?;
    on_event(Event::Watching { polling: changes.polling(), fallback: changes.fallback.clone() });
    let cache = Cache::default();
    let mut last: Option<std::sync::Arc<Snapshot>> = None;
    let mut after = After { guarded: !changes.polling(), ..After::default() };
    rebuild(options, &root, &cache, &mut last, &mut after, &[], on_event);
    cache.warm_tokenizer();
    while !stop.load(Ordering::SeqCst) {
        let Some(batch) = changes.next(Duration::from_millis(100), &mut || after.arrived()) else { continue };
        if batch.rescan {
            last = None;
        }
        if batch.paths.is_empty() && last.is_some() {
            after.looking = false;
            continue;
        }
        rebuild(options, &root, &cache, &mut last, &mut after, &batch.paths, on_event);
    }
    Ok(())
}

/// What the watch keeps between builds: the index it wrote last, parsed
/// (with each persona's entry as serialized) on another thread once the
/// build is reported, and that thread, which the next build waits for; the
/// last project loaded, with its snapshot, for the next load to patch; and
/// the guard on the output folder, which tells what changed in it since
/// its files were looked at.
#[derive(Default)]
struct After {
    index: std::sync::Arc<IndexCache>,
    pending: Option<std::thread::JoinHandle<Earlier>>,
    earlier: Option<Earlier>,
    /// Whether the files of the index held are being looked at, since the
    /// change being built arrived.
    looking: bool,
    /// Whether the output folder is to be guarded (the sources are not
    /// polled), and its guard.
    guarded: bool,
    output: Option<std::sync::Arc<output::Output>>,
}

impl After {
    /// A change arrived: the last build's files are looked at while it
    /// settles, if that build's index is held by now.
    fn arrived(&mut self) {
        if self.pending.as_ref().is_none_or(std::thread::JoinHandle::is_finished) {
            self.settle();
            self.look();
            self.looking = true;
        }
    }

    /// Starts looking at the last build's files: those of personas whose
    /// folders changed since they were looked at, or all of them.
    fn look(&self) {
        self.index.look_at_files(self.guard());
    }

    fn guard(&self) -> Option<std::sync::Arc<dyn Guard>> {
        self.output.clone().map(|output| output as std::sync::Arc<dyn Guard>)
    }

    /// The guard on `out_dir`: the one held, if it still guards it, or a
    /// new one.
    fn guard_on(&mut self, out_dir: &Path) -> Option<std::sync::Arc<dyn Guard>> {
        if self.output.as_ref().is_none_or(|output| !output.guards(out_dir)) {
            self.output = self.guarded.then(|| output::Output::start(out_dir)).flatten();
        }
        self.guard()
    }

    /// Waits for the last build's index to be held.
    fn settle(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.earlier = pending.join().ok();
        }
    }
}

/// A project, and the snapshot it was loaded from.
type Earlier = (Project, std::sync::Arc<Snapshot>);

/// The repository-relative path of an event, if it can change a build.
fn relevant(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let name = parts.last()?;
    let editor_junk = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.starts_with('#')
        || name == "4913"
        // sed -i's temp file: `sed` and six letters or digits.
        || (name.len() == 9 && name.starts_with("sed") && name[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
    if parts.iter().any(|p| p.starts_with('.')) || editor_junk {
        return None;
    }
    let top = parts.first()?;
    let wanted = (parts.len() == 1 && top == CONFIG_FILE) || top == TEMPLATES_DIR || Kind::from_folder(top).is_some();
    wanted.then(|| parts.join("/"))
}

/// One build, reported. The sources are the last snapshot with the changed
/// paths read again (everything is read when there is no last snapshot).
fn rebuild(
    options: &Options,
    root: &Path,
    cache: &Cache,
    last: &mut Option<std::sync::Arc<Snapshot>>,
    after: &mut After,
    trigger: &[String],
    on_event: &mut dyn FnMut(Event),
) {
    let started = Instant::now();
    after.settle();
    // The last build's files are looked at while the changed sources are
    // read and loaded, if they were not from the change's arrival.
    if !std::mem::take(&mut after.looking) {
        after.look();
    }
    let (snapshot, diags) = match last.as_ref() {
        Some(previous) => previous.refresh(root, trigger),
        None => Snapshot::from_dir(root),
    };
    // Shared with the index the build leaves, not copied.
    let snapshot = std::sync::Arc::new(snapshot);
    *last = Some(snapshot.clone());
    let (earlier, before) = after.earlier.take().unzip();
    let project = match Project::load_read(&snapshot, cache, earlier.zip(before.as_deref()), diags) {
        Ok(project) => project,
        Err(diags) => {
            on_event(Event::Failed { trigger, diagnostics: &diags, snapshot: &snapshot });
            return;
        }
    };
    let out_dir = match crate::rules::out_dir(root, &project.catalog.config, options.out.as_deref()) {
        Ok(dir) => dir,
        Err(message) => {
            on_event(Event::Problem { trigger, message });
            after.earlier = Some((project, snapshot));
            return;
        }
    };

    let index = Some(&*after.index);
    let result = crate::build::build_into(&project, &snapshot, root, &out_dir, None, index, false, &mut |holder: &str| {
        on_event(Event::Waiting { holder })
    });
    match result {
        Ok((output, report)) => {
            let mut personas: Vec<String> = report
                .written
                .iter()
                .chain(&report.removed)
                .filter_map(|p| p.split_once('/').map(|(persona, _)| persona.to_string()))
                .collect();
            personas.dedup();
            on_event(Event::Built { trigger, personas, report: &report, elapsed: started.elapsed() });
            // Reading back the index and freeing the build's data are left
            // to another thread: the event is not delayed by them.
            // So are looking at the files written, with the folders of
            // those it has not watched yet.
            let (index, stamp, guard) = (after.index.clone(), report.index.clone(), after.guard_on(&out_dir));
            after.pending = Some(std::thread::spawn(move || {
                if let Some(stamp) = stamp {
                    index.remember_output(stamp, &output, snapshot.clone(), guard);
                }
                drop(output);
                (project, snapshot)
            }));
        }
        Err(BuildError::Definitions(diags)) => {
            on_event(Event::Failed { trigger, diagnostics: &diags, snapshot: &snapshot });
            after.earlier = Some((project, snapshot));
        }
        Err(BuildError::Io(message)) => {
            on_event(Event::Problem { trigger, message: format!("cannot write to `{}`: {message}", out_dir.display()) });
            after.earlier = Some((project, snapshot));
        }
        Err(BuildError::Clash(paths)) => {
            let message =
                crate::interop::export::clash_message(&paths).replace("`--force` on the command line", "`personac build --force`");
            on_event(Event::Problem { trigger, message });
            after.earlier = Some((project, snapshot));
        }
    }
}
