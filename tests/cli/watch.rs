//! A real `personac watch` process on a temp repository, driven the way
//! editors save files, read through its NDJSON events.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Repo;

/// Long enough for a loaded CI machine; events normally arrive in well under a second.
const WAIT: Duration = Duration::from_secs(20);

struct Watch {
    child: Child,
    events: mpsc::Receiver<Value>,
}

impl Watch {
    fn start(repo: &Repo, extra: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_personac"))
            .arg("-C")
            .arg(repo.path())
            .args(["watch", "--format", "json"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start watch");
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line)
                    && tx.send(value).is_err()
                {
                    break;
                }
            }
        });
        let mut watch = Watch { child, events };
        assert_eq!(watch.next()["event"], "watching");
        let first = watch.next();
        assert_eq!(first["event"], "built", "{first}");
        watch
    }

    fn next(&mut self) -> Value {
        self.events.recv_timeout(WAIT).expect("an event from watch")
    }

    /// The next event that built or failed, skipping rebuilds that changed
    /// nothing (a save can arrive as two batches of events).
    fn next_build(&mut self) -> Value {
        loop {
            let event = self.next();
            let nothing = event["event"] == "built"
                && event["written"].as_array().is_some_and(|w| w.is_empty())
                && event["removed"].as_array().is_some_and(|r| r.is_empty());
            if !nothing {
                return event;
            }
        }
    }

    fn quiet_for(&mut self, time: Duration) -> Option<Value> {
        self.events.recv_timeout(time).ok()
    }

    /// Ctrl-C: the process stops cleanly and exits 0.
    fn interrupt(mut self) {
        let status = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(code) = self.child.try_wait().unwrap() {
                assert!(code.success(), "watch exited with {code}");
                return;
            }
            assert!(Instant::now() < deadline, "watch did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tone(text: &str) -> String {
    format!("+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\n{text}\n")
}

fn detail(repo: &Repo) -> String {
    repo.read("build-output/maya/detail.md")
}

#[test]
fn every_save_style_rebuilds() {
    let repo = Repo::minimal();
    let mut watch = Watch::start(&repo, &[]);
    let path = repo.path().join("parts/tone-warm.md");

    // In place.
    std::fs::write(&path, tone("In place.")).unwrap();
    let event = watch.next_build();
    assert_eq!(event["changed"], serde_json::json!(["parts/tone-warm.md"]));
    assert_eq!(event["personas"], serde_json::json!(["maya"]));
    assert!(detail(&repo).contains("In place."));

    // Temp file and rename (vim, VS Code, JetBrains).
    let temp = repo.path().join("parts/.tone-warm.md.tmp1234");
    std::fs::write(&temp, tone("Renamed over.")).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    watch.next_build();
    assert!(detail(&repo).contains("Renamed over."));

    // Backup and rename: the original moves aside, a new file is written.
    std::fs::rename(&path, repo.path().join("parts/tone-warm.md~")).unwrap();
    std::fs::write(&path, tone("After a backup.")).unwrap();
    std::fs::remove_file(repo.path().join("parts/tone-warm.md~")).unwrap();
    loop {
        let event = watch.next_build();
        if event["event"] == "built" && detail(&repo).contains("After a backup.") {
            break;
        }
    }

    // Delete and recreate.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, tone("Recreated.")).unwrap();
    loop {
        let event = watch.next_build();
        if event["event"] == "built" && detail(&repo).contains("Recreated.") {
            break;
        }
    }

    // Two saves a few milliseconds apart: the last one wins.
    std::fs::write(&path, tone("First of two.")).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    std::fs::write(&path, tone("Second of two.")).unwrap();
    let deadline = Instant::now() + WAIT;
    while !detail(&repo).contains("Second of two.") {
        assert!(Instant::now() < deadline, "the second save never reached the output");
        let _ = watch.quiet_for(Duration::from_millis(200));
    }
    watch.interrupt();
    let leftovers: Vec<String> = repo.tree("build-output").into_keys().filter(|p| p.contains("personac-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_broken_file_keeps_the_last_good_output_and_the_fix_rebuilds() {
    let repo = Repo::minimal();
    let mut watch = Watch::start(&repo, &[]);
    let good = repo.tree("build-output");
    repo.write("personas/maya.toml", "version = \"1.0.0\nsummary = \"Maya helps.\"\n");
    let event = watch.next_build();
    assert_eq!(event["event"], "failed");
    assert_eq!(event["diagnostics"][0]["file"], "personas/maya.toml");
    assert_eq!(event["diagnostics"][0]["line"], 1);
    assert_eq!(repo.tree("build-output"), good);
    // A template error too.
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps {{ nobody }}.\"\nparts = [\"tone-warm\"]\n");
    assert_eq!(watch.next_build()["event"], "failed");
    assert_eq!(repo.tree("build-output"), good);
    repo.write("personas/maya.toml", "version = \"1.0.1\"\nsummary = \"Maya helps again.\"\nparts = [\"tone-warm\"]\n");
    assert_eq!(watch.next_build()["event"], "built");
    assert!(detail(&repo).contains("Maya helps again."));
    watch.interrupt();
}

/// A rebuild checks the templates of the files no persona reaches that
/// changed since the last good build (the others it checked then).
#[test]
fn a_broken_template_in_a_file_no_persona_uses_fails_the_rebuild() {
    let repo = Repo::minimal().file("parts/goal-unused.md", "+++\ntype = \"goal\"\nsummary = \"Unused.\"\n+++\nNever shown.\n");
    let mut watch = Watch::start(&repo, &[]);
    repo.write("parts/goal-unused.md", "+++\ntype = \"goal\"\nsummary = \"Unused.\"\n+++\nNever {{ shown.\n");
    let event = watch.next_build();
    assert_eq!(event["event"], "failed", "{event}");
    assert_eq!(event["diagnostics"][0]["file"], "parts/goal-unused.md");
    // Another save elsewhere still fails: the broken file is checked
    // against the last good build, not the last attempt.
    repo.write("parts/tone-warm.md", &tone("Warmer."));
    assert_eq!(watch.next_build()["event"], "failed");
    repo.write("parts/goal-unused.md", "+++\ntype = \"goal\"\nsummary = \"Unused.\"\n+++\nNever {{ '{{' }} shown.\n");
    assert_eq!(watch.next_build()["event"], "built");
    assert!(detail(&repo).contains("Warmer."));
    watch.interrupt();
}

#[test]
fn new_and_removed_personas_and_new_folders() {
    let repo = Repo::minimal();
    let mut watch = Watch::start(&repo, &[]);
    // A new folder with a new part, then a persona that uses it.
    std::fs::create_dir_all(repo.path().join("parts/goals")).unwrap();
    repo.write("parts/goals/goal-help.yaml", "type: goal\nsummary: Help.\n");
    repo.write("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"goal-help\"]\n");
    let deadline = Instant::now() + WAIT;
    while !repo.exists("build-output/zed/detail.md") {
        assert!(Instant::now() < deadline, "zed was never built");
        let _ = watch.quiet_for(Duration::from_millis(200));
    }
    assert!(repo.read("build-output/zed/detail.md").contains("Help."));
    // A whole new kind folder.
    repo.write("traits/calm.yaml", "type: emotional\ndescription: Calm.\n");
    repo.write("personas/zed.toml", "version = \"1.0.1\"\nsummary = \"Zed.\"\nparts = [\"goal-help\"]\ntraits = [\"calm\"]\n");
    let deadline = Instant::now() + WAIT;
    while !repo.read("build-output/zed/detail.md").contains("Calm.") {
        assert!(Instant::now() < deadline, "the new traits folder was not seen");
        let _ = watch.quiet_for(Duration::from_millis(200));
    }
    // A removed persona.
    repo.remove("personas/zed.toml");
    let deadline = Instant::now() + WAIT;
    while repo.exists("build-output/zed") {
        assert!(Instant::now() < deadline, "zed's artifacts were not removed");
        let _ = watch.quiet_for(Duration::from_millis(200));
    }
    watch.interrupt();
}

/// A rebuild keeps the personas an edit does not reach, reusing the index
/// the watch wrote last (held in memory, with each entry as serialized):
/// what it writes is byte for byte what a build from scratch writes.
#[test]
fn rebuilds_from_the_index_in_memory_write_what_a_fresh_build_writes() {
    let repo = Repo::minimal()
        .file("parts/goal-help.md", "+++\ntype = \"goal\"\nsummary = \"Help.\"\n+++\nHelp well.\n")
        .file("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"goal-help\"]\n");
    let mut watch = Watch::start(&repo, &[]);
    for (i, text) in ["Warm once.", "Warm twice.", "Warm thrice."].into_iter().enumerate() {
        if i == 1 {
            // A temp file that a killed build left meanwhile is swept all the
            // same: the folder's entries are not as the last rebuild left them.
            repo.write("build-output/.personac-tmp-Kl11Ed", "half a file");
        }
        std::fs::write(repo.path().join("parts/tone-warm.md"), tone(text)).unwrap();
        let event = watch.next_build();
        assert_eq!(event["personas"], serde_json::json!(["maya"]), "{event}");
        assert!(detail(&repo).contains(text));
        assert!(!repo.exists("build-output/.personac-tmp-Kl11Ed"));
    }
    // An artifact edited by hand meanwhile is found, though its persona's
    // sources did not change, and compiled again.
    let zed = repo.read("build-output/zed/summary.md");
    repo.write("build-output/zed/summary.md", "edited by hand\n");
    std::fs::write(repo.path().join("parts/tone-warm.md"), tone("Warm again.")).unwrap();
    let event = watch.next_build();
    assert_eq!(event["personas"], serde_json::json!(["maya", "zed"]), "{event}");
    assert_eq!(repo.read("build-output/zed/summary.md"), zed);
    // A new config is behind every persona, though none lists it as a
    // source: zed, whose sources did not change, is compiled again too.
    let inputs = |repo: &Repo| {
        let index: serde_json::Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
        index["personas"]["zed"]["inputs"].clone()
    };
    let before = inputs(&repo);
    repo.write("personac.toml", "encoding = \"cl100k_base\"\n");
    watch.next_build();
    assert_ne!(inputs(&repo), before);
    watch.interrupt();
    repo.run(&["build", "--check"]).success();
    let built = repo.tree("build-output");
    std::fs::remove_dir_all(repo.path().join("build-output")).unwrap();
    repo.run(&["build"]).success();
    assert_eq!(repo.tree("build-output"), built);
}

/// The watch guards its output folder (inotify, on Linux): a rebuild looks
/// again only at the files of personas whose folders changed since its
/// last look, which may be older than the change. Whatever a hand does to
/// the files of a persona no change reaches (deep in its stage folders, a
/// stage folder removed, the whole output folder moved away and copied
/// back with its times), the next rebuild finds it and puts that persona's
/// files back. Each is done once two saves have passed since aria's files
/// were last written, so that no look is under way that could find it
/// without the guard.
#[test]
fn hand_edits_anywhere_in_the_output_are_found_by_the_next_rebuild() {
    let repo = Repo::minimal()
        .file("parts/goal-quest.yaml", "type: goal\nsummary: Find the lamp.\n")
        .file("parts/goal-home.yaml", "type: goal\nsummary: Bring it home.\n")
        .file("arcs/journey.yaml", "stages:\n  - name: call\n    parts: [goal-quest]\n  - name: return\n    parts: [goal-home]\n")
        .file(
            "personas/aria.md",
            "---\nversion: 2.0.0\nsummary: Aria keeps a lighthouse.\narc: { name: journey, stage: call }\n---\nYou are Aria.\n",
        );
    let mut watch = Watch::start(&repo, &[]);
    let aria = || repo.tree("build-output").into_iter().filter(|(path, _)| path.starts_with("aria/")).collect::<Vec<_>>();
    let built = aria();
    assert!(built.iter().any(|(path, _)| path == "aria/stages/return/summary.md"), "{built:?}");
    let saves = std::cell::Cell::new(0);
    let save = |watch: &mut Watch| {
        saves.set(saves.get() + 1);
        std::fs::write(repo.path().join("parts/tone-warm.md"), tone(&format!("Warm, {} times.", saves.get()))).unwrap();
        let event = watch.next_build();
        assert_eq!(event["event"], "built", "{event}");
        event["personas"].clone()
    };
    let (both, maya) = (serde_json::json!(["aria", "maya"]), serde_json::json!(["maya"]));
    let two_saves = |watch: &mut Watch| {
        for _ in 0..2 {
            assert_eq!(save(watch), maya, "nothing touched: aria is kept");
        }
    };

    // Deep in a stage folder.
    two_saves(&mut watch);
    repo.write("build-output/aria/stages/call/summary.md", "edited by hand\n");
    assert_eq!(save(&mut watch), both);
    assert_eq!(aria(), built);
    // A stage folder removed whole.
    two_saves(&mut watch);
    std::fs::remove_dir_all(repo.path().join("build-output/aria/stages/return")).unwrap();
    assert_eq!(save(&mut watch), both);
    assert_eq!(aria(), built);
    // The output folder moved away and copied back as it was: its folders
    // are not the ones watched.
    two_saves(&mut watch);
    let away = repo.path().join("build-output.away");
    std::fs::rename(repo.path().join("build-output"), &away).unwrap();
    let copied = Command::new("cp").arg("-a").arg(&away).arg(repo.path().join("build-output")).status().unwrap();
    assert!(copied.success());
    two_saves(&mut watch);
    repo.write("build-output/aria/stages/return/detail.md", "edited by hand\n");
    assert_eq!(save(&mut watch), both);
    assert_eq!(aria(), built);
    watch.interrupt();
    repo.run(&["build", "--check"]).success();
}

/// A rebuild patches the last load with the files that changed (parsed and
/// registered again; the checks that need the whole repository run again),
/// and falls back to a full load where only one says the same. After every
/// change the watch must say what a full build says: the same artifacts, or
/// the same errors.
#[test]
fn a_patched_load_says_what_a_full_load_says() {
    let repo = Repo::minimal()
        .file("parts/goal-help.md", "+++\ntype = \"goal\"\nsummary = \"Help.\"\n+++\nHelp well.\n")
        .file("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"goal-help\"]\n");
    let mut watch = Watch::start(&repo, &[]);
    let zed = |extends: &str| format!("version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"goal-help\"]\n{extends}");
    let goal = |kind: &str, text: &str| format!("+++\ntype = \"{kind}\"\nsummary = \"Help.\"\n+++\n{text}\n");
    // Each step, and whether the watch builds or fails after it.
    type Step = Box<dyn Fn(&Repo)>;
    let steps: Vec<(&str, Step, bool)> = vec![
        (
            "a part moved to a sub-folder",
            Box::new(|r| std::fs::rename(r.path().join("parts/goal-help.md"), r.path().join("parts/goals/goal-help.md")).unwrap()),
            true,
        ),
        (
            "a new persona extending another",
            Box::new(|r| r.write("personas/kid.toml", "version = \"1.0.0\"\nextends = \"zed\"\nsummary = \"Kid.\"\n")),
            true,
        ),
        ("an inheritance cycle", Box::new(move |r| r.write("personas/zed.toml", &zed("extends = \"kid\"\n"))), false),
        ("the cycle broken", Box::new(move |r| r.write("personas/zed.toml", &zed(""))), true),
        ("a second part of the same name", Box::new(move |r| r.write("parts/goal-help.md", &goal("goal", "Twice."))), false),
        ("the second one removed", Box::new(|r| r.remove("parts/goal-help.md")), true),
        (
            "a custom summary layout",
            Box::new(|r| r.write("templates/summary.md.j2", "# {{ persona.name }}\n{{ persona.summary }}\n")),
            true,
        ),
        ("a part of an unknown type", Box::new(move |r| r.write("parts/goals/goal-help.md", &goal("gaol", "Help."))), false),
        ("its type fixed", Box::new(move |r| r.write("parts/goals/goal-help.md", &goal("goal", "Help better."))), true),
        ("a part a persona uses removed", Box::new(|r| r.remove("parts/tone-warm.md")), false),
        ("the part back", Box::new(|r| r.write("parts/tone-warm.md", &tone("Back."))), true),
        ("the layout removed", Box::new(|r| r.remove("templates/summary.md.j2")), true),
    ];
    for (what, step, builds) in steps {
        std::fs::create_dir_all(repo.path().join("parts/goals")).unwrap();
        step(&repo);
        // A move can arrive as two batches: the last event tells (a build
        // that writes nothing, where the output is already right, counts).
        let mut event = watch.next();
        while let Some(later) = watch.quiet_for(Duration::from_millis(800)) {
            event = later;
        }
        if builds {
            assert_eq!(event["event"], "built", "{what}: {event}");
            repo.run(&["build", "--check"]).success();
        } else {
            assert_eq!(event["event"], "failed", "{what}: {event}");
            let check = repo.run(&["check", "--format", "json"]).failure();
            let full: Vec<Value> = check.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            let said = |d: &Value| (d["code"].clone(), d["file"].clone(), d["line"].clone(), d["message"].clone());
            let watched: Vec<_> = event["diagnostics"].as_array().unwrap().iter().map(said).collect();
            assert_eq!(watched, full.iter().map(said).collect::<Vec<_>>(), "{what}");
        }
    }
    watch.interrupt();
}

#[test]
fn idle_means_no_rebuild_and_its_own_writes_never_trigger_one() {
    let repo = Repo::minimal();
    let mut watch = Watch::start(&repo, &[]);
    assert_eq!(watch.quiet_for(Duration::from_millis(1500)), None);
    // One change gives one rebuild, not a loop of rebuilds of its own output.
    repo.write("parts/tone-warm.md", &tone("Once."));
    assert_eq!(watch.next_build()["event"], "built");
    assert_eq!(watch.quiet_for(Duration::from_millis(1500)), None);
    // Files that are not sources are ignored.
    repo.write("parts/.tone-warm.md.swp", "swap");
    repo.write("parts/tone-warm.md~", "backup");
    repo.write("notes.txt", "not a source");
    // Nor are editors' and tools' temp files beside a source: sed -i's,
    // vim's, emacs's lock, and `*.tmp`.
    for junk in ["parts/sedX3kq9Z", "parts/4913", "parts/.#tone-warm.md", "parts/tone-warm.md.swx", "parts/tone-warm.md.tmp"] {
        repo.write(junk, "temp");
        repo.remove(junk);
    }
    assert_eq!(watch.quiet_for(Duration::from_millis(1500)), None);
    watch.interrupt();
}

#[test]
fn polling_sees_changes_too() {
    let repo = Repo::minimal();
    let mut watch = Watch::start(&repo, &["--poll"]);
    repo.write("parts/tone-warm.md", &tone("Polled."));
    assert_eq!(watch.next_build()["event"], "built");
    assert!(detail(&repo).contains("Polled."));
    watch.interrupt();
}

#[test]
fn a_build_waits_for_the_lock_and_names_its_holder() {
    let repo = Repo::minimal();
    repo.run(&["build"]).success();
    repo.write("parts/tone-warm.md", &tone("Changed while locked."));
    let dir = std::fs::File::open(repo.path().join("build-output")).unwrap();
    dir.lock().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_personac"))
        .arg("-C")
        .arg(repo.path())
        .args(["--color=never", "build"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // It does not write while the lock is held.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!detail(&repo).contains("Changed while locked."));
    dir.unlock().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(&format!("waiting for the lock on build-output, held by process {}", std::process::id())), "{stderr}");
    assert!(detail(&repo).contains("Changed while locked."));
}

/// What a person reads: status lines that are sentences.
#[test]
fn text_status_lines_are_sentences() {
    let repo = Repo::minimal();
    repo.run(&["build"]).success();
    let mut child = Command::new(env!("CARGO_BIN_EXE_personac"))
        .arg("-C")
        .arg(repo.path())
        .args(["--color=never", "watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start watch");
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |word: &str| loop {
        let line = lines.recv_timeout(WAIT).expect("a status line from watch");
        if line.contains(word) {
            return line;
        }
    };
    let first = next("Built");
    assert!(first.trim_start().starts_with("Built in ") && first.ends_with("ms; the output was up to date"), "{first}");
    repo.write("parts/tone-warm.md", &tone("Changed."));
    let rebuilt = next("Rebuilt maya");
    assert!(rebuilt.trim_start().starts_with("Rebuilt maya in ") && rebuilt.ends_with("ms after parts/tone-warm.md changed"), "{rebuilt}");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}
