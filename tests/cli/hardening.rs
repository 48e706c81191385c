//! What killing, tampering and hostile input must not break: nothing written
//! or removed outside the output folder, no temp file left for good, no
//! panic, no abort, modes that others can read, diagnostics that keep their
//! shape, and a closed pipe that ends quietly.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::Repo;

fn personac() -> Command {
    Command::new(env!("CARGO_BIN_EXE_personac"))
}

/// A repository with many personas, so that a build takes long enough to be
/// killed in the middle.
fn large(personas: usize) -> Repo {
    let mut repo = Repo::new();
    for i in 0..personas {
        let text = format!(
            "+++\ntype = \"tone\"\nsummary = \"Tone {i}.\"\n+++\n{}\n",
            "Speak plainly and kindly to every customer, whatever they ask. ".repeat(40)
        );
        repo = repo.file(&format!("parts/tone-{i:04}.md"), &text).file(
            &format!("personas/p{i:04}.toml"),
            &format!("version = \"1.0.0\"\nsummary = \"Persona {i}.\"\nparts = [\"tone-{i:04}\"]\n"),
        );
    }
    repo
}

#[test]
fn a_tampered_index_never_removes_anything_outside_the_output_folder() {
    let outer = tempfile::tempdir().unwrap();
    let victim = outer.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let repo_dir = outer.path().join("repo");
    std::fs::create_dir(&repo_dir).unwrap();
    let repo = Repo::at(&repo_dir).file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\n");
    repo.run(&["build"]).success();

    // Entries a pull request could carry: a persona key that climbs out, an
    // absolute key, an artifact path that climbs out.
    let mut index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    let personas = index["personas"].as_object_mut().unwrap();
    let entry = serde_json::json!({ "artifacts": { "victim.txt": { "sha256": "x", "tokens": 1 } } });
    personas.insert("maya/../../..".into(), entry.clone());
    personas.insert(outer.path().display().to_string(), entry.clone());
    personas.insert("sam".into(), serde_json::json!({ "artifacts": { "../../../victim.txt": {} } }));
    repo.write("build-output/index.json", &serde_json::to_string_pretty(&index).unwrap());

    let run = repo.run(&["build"]).success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(run.stderr.matches("warning[W0100]").count(), 3, "{}", run.stderr);
    assert!(run.stderr.contains("is not a plain relative path"), "{}", run.stderr);
    // The rewritten index no longer carries them.
    let index = repo.read("build-output/index.json");
    assert!(!index.contains("victim"), "{index}");
    repo.run(&["build", "--check"]).success();
}

#[test]
fn stale_artifacts_are_never_removed_through_a_symlinked_folder() {
    let outer = tempfile::tempdir().unwrap();
    let elsewhere = outer.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("stages")).unwrap();
    std::fs::write(elsewhere.join("stages/summary.md"), "keep me\n").unwrap();
    let repo_dir = outer.path().join("repo");
    std::fs::create_dir(&repo_dir).unwrap();
    let repo = Repo::at(&repo_dir).file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\n");
    repo.run(&["build"]).success();
    // The previous build recorded maya/stages/summary.md, and maya/stages is
    // now a link to a folder outside.
    let mut index: Value = serde_json::from_str(&repo.read("build-output/index.json")).unwrap();
    index["personas"]["maya"]["artifacts"]["stages/summary.md"] = serde_json::json!({ "sha256": "x", "tokens": 1 });
    repo.write("build-output/index.json", &serde_json::to_string(&index).unwrap());
    std::os::unix::fs::symlink(&elsewhere, repo.path().join("build-output/maya/stages")).unwrap();
    repo.run(&["build"]).success();
    assert_eq!(std::fs::read_to_string(elsewhere.join("stages/summary.md")).unwrap(), "keep me\n");
}

/// A persona's folder in the output replaced by a link to a folder outside:
/// the build refuses to write through it, and writes nothing anywhere.
#[test]
fn artifacts_are_never_written_through_a_symlinked_folder() {
    let outer = tempfile::tempdir().unwrap();
    let elsewhere = outer.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let repo_dir = outer.path().join("repo");
    std::fs::create_dir(&repo_dir).unwrap();
    let repo = Repo::at(&repo_dir).file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\n");
    repo.run(&["build"]).success();
    std::fs::remove_dir_all(repo.path().join("build-output/maya")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, repo.path().join("build-output/maya")).unwrap();
    let index = repo.read("build-output/index.json");
    let run = repo.run(&["build"]).code(2);
    assert!(
        run.stderr.contains("`maya` is not a folder but a symbolic link or a file, and personac does not write through links"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing was written through the link");
    assert_eq!(repo.read("build-output/index.json"), index);
    let left: Vec<String> = std::fs::read_dir(repo.path().join("build-output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "no temp file is left: {left:?}");
    // Once the link is gone, the build makes the folder again.
    std::fs::remove_file(repo.path().join("build-output/maya")).unwrap();
    repo.run(&["build"]).success();
    repo.run(&["build", "--check"]).success();
}

/// A killed build leaves its temp files in the output folder's root, where
/// the next build sweeps them, even one with nothing to compile. A build
/// that compiles sweeps the whole folder, for those older versions left
/// beside their targets.
#[test]
fn temp_files_of_a_killed_build_are_reported_then_swept() {
    let repo = Repo::minimal();
    repo.run(&["build"]).success();
    repo.write("build-output/.personac-tmp-Ab12Cd", "half a file");
    repo.write("build-output/maya/.personac-tmp-Ef34Gh", "half an older file");
    repo.write("build-output/.personac-tmp-Qr56St/maya/summary.md", "half a first build");
    repo.write("build-output/notes.txt", "mine\n");
    std::fs::create_dir_all(repo.path().join("build-output/empty/inner")).unwrap();
    let run = repo.run(&["build", "--check"]).failure();
    insta::assert_snapshot!(run.stderr, @r"
    error: build-output/.personac-tmp-Ab12Cd: temp file of an interrupted build
    error: build-output/.personac-tmp-Qr56St/: temp folder of an interrupted build
    error: build-output/empty/: stray folder: no build makes it
    error: build-output/empty/inner/: stray folder: no build makes it
    error: build-output/maya/.personac-tmp-Ef34Gh: temp file of an interrupted build
    error: build-output/notes.txt: stray: no build writes this file
    build-output is not up to date: remove what no build writes, run `personac build`, and commit the result
    ");
    let run = repo.run(&["build"]).success();
    assert!(run.stderr.contains("Swept build-output/.personac-tmp-Ab12Cd"), "{}", run.stderr);
    assert!(!repo.exists("build-output/.personac-tmp-Ab12Cd"));
    assert!(run.stderr.contains("Swept build-output/.personac-tmp-Qr56St/"), "{}", run.stderr);
    assert!(!repo.exists("build-output/.personac-tmp-Qr56St"));
    repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warmer.\n");
    let run = repo.run(&["build"]).success();
    assert!(run.stderr.contains("Swept build-output/maya/.personac-tmp-Ef34Gh"), "{}", run.stderr);
    assert!(!repo.exists("build-output/maya/.personac-tmp-Ef34Gh"));
    // A build never removes what it did not write.
    assert_eq!(repo.read("build-output/notes.txt"), "mine\n");
    repo.remove("build-output/notes.txt");
    std::fs::remove_dir_all(repo.path().join("build-output/empty")).unwrap();
    repo.run(&["build", "--check"]).success();
}

#[test]
fn a_build_killed_at_any_moment_leaves_whole_files_and_the_next_one_cleans_up() {
    let repo = large(150);
    repo.run(&["build"]).success();
    // Change every part so that each build rewrites every artifact.
    for round in 0..12u64 {
        for i in 0..150 {
            let text = format!("+++\ntype = \"tone\"\nsummary = \"Tone {i}, round {round}.\"\n+++\nRound {round}.\n");
            repo.write(&format!("parts/tone-{i:04}.md"), &text);
        }
        kill_a_build_after(&repo, 5 + round * 9);
        // Whatever the moment, every file is whole: the index parses, and
        // each artifact is an old or a new version of itself.
        let files = repo.tree("build-output");
        assert!(files.contains_key("index.json"), "index.json is there");
        assert_whole(&files);
    }
    next_build_cleans_up(&repo);
}

/// Starts a build and kills it after `ms` milliseconds.
fn kill_a_build_after(repo: &Repo, ms: u64) {
    let mut child = personac().arg("-C").arg(repo.path()).args(["-q", "build"]).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let _ = child.kill();
    let _ = child.wait();
}

/// Every file a killed build left in place is whole: the index parses, and
/// each summary outside a temp folder is an old or a new version of itself.
fn assert_whole(files: &std::collections::BTreeMap<String, Vec<u8>>) {
    if let Some(index) = files.get("index.json") {
        let index: Value = serde_json::from_slice(index).expect("index.json is whole");
        assert!(index["personas"].is_object());
    }
    for (path, bytes) in files {
        if path.ends_with("summary.md") && !path.contains(".personac-tmp") {
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(text.starts_with("# P") && text.contains("Tone "), "{path} is torn: {text:?}");
        }
    }
}

/// The next build leaves no temp file or folder, and its output checks.
fn next_build_cleans_up(repo: &Repo) {
    repo.run(&["build"]).success();
    let leftovers: Vec<String> = repo.tree("build-output").into_keys().filter(|p| p.contains(".personac-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    repo.run(&["build", "--check"]).success();
}

/// A first build writes into a temp folder and puts each persona's folder
/// in place by a rename, `index.json` last: killed at any moment, it leaves
/// whole files, and the next build sweeps the temp folder.
#[test]
fn a_first_build_killed_at_any_moment_leaves_whole_files_and_the_next_one_cleans_up() {
    let repo = large(150);
    for round in 0..12u64 {
        std::fs::remove_dir_all(repo.path().join("build-output")).ok();
        kill_a_build_after(&repo, 5 + round * 9);
        assert_whole(&repo.tree("build-output"));
        next_build_cleans_up(&repo);
    }
}

/// Runs personac under a umask, as a shell would.
fn with_umask(repo: &Repo, umask: &str, args: &str) {
    let bin = env!("CARGO_BIN_EXE_personac");
    let script = format!("umask {umask} && exec '{bin}' -C '{}' {args}", repo.path().display());
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(status.success(), "{args} under umask {umask}");
}

#[cfg(unix)]
fn mode(repo: &Repo, path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(repo.path().join(path)).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn new_files_get_the_usual_mode_and_edits_keep_theirs() {
    for (umask, expected) in [("022", 0o644), ("077", 0o600)] {
        let repo = Repo::minimal();
        with_umask(&repo, umask, "build");
        for path in ["build-output/index.json", "build-output/maya/detail.md", "build-output/maya/manifest.json"] {
            assert_eq!(mode(&repo, path), expected, "{path} under umask {umask}");
        }
        with_umask(&repo, umask, "schema --out schemas");
        assert_eq!(mode(&repo, "schemas/persona.schema.json"), expected);
        with_umask(&repo, umask, "new skill greet");
        let skill = repo.tree("skills").into_keys().next().unwrap();
        assert_eq!(mode(&repo, &format!("skills/{skill}")), expected);
    }
    // An edit keeps the file's own mode, whatever the umask.
    let repo = Repo::minimal().file("traits/kind.toml", "type = \"social\"\ndescription = \"Kind.\"\n");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(repo.path().join("personas/maya.toml"), std::fs::Permissions::from_mode(0o640)).unwrap();
    with_umask(&repo, "077", "link maya --trait kind");
    assert!(repo.read("personas/maya.toml").contains("kind"));
    assert_eq!(mode(&repo, "personas/maya.toml"), 0o640);
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    let repo = Repo::minimal().file("parts/goal.toml", "type = \"goal\"\nsummary = \"Help.\"\n");
    for args in [&["manifest", "maya"][..], &["list", "part"], &["show", "maya", "--format", "json"], &["schema"]] {
        let mut child = personac().arg("-C").arg(repo.path()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // Close the reading end at once, as `| head -0` would.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn every_diagnostic_keeps_its_header_and_location_line() {
    let repo = Repo::minimal()
        .file("parts/odd.toml", "type = \"multi\\nline\"\nsummary = \"Odd.\"\n")
        .file("parts/tone-\u{1b}[31mred.toml", "type = \"tone\"\nsummary = 5\n");
    let run = repo.run(&["check"]).failure();
    insta::assert_snapshot!(run.stderr);
    // Each error line is followed by its location line.
    let lines: Vec<&str> = run.stderr.lines().collect();
    for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("error[")) {
        assert!(lines[i + 1].starts_with("  --> ") || lines[i + 1].starts_with(" --> "), "{line}\n{}", lines[i + 1]);
    }
    assert!(!run.stderr.contains('\u{1b}'), "a raw escape reached the terminal");
}

#[test]
fn runaway_templates_are_errors_not_crashes() {
    let cases = [
        ("{% for a in [1] %}{{ loop.cycle() }}{% endfor %}", "the template engine failed"),
        ("{{ 'x'|indent(999999999999) }}", "takes sizes up to 10000"),
        ("{{ 'x' * 3000000 }}", "renders to more than 1 MiB"),
    ];
    for (template, expected) in cases {
        let repo = Repo::minimal().file("parts/goal.toml", &format!("type = \"goal\"\nsummary = \"{template}\"\n"));
        repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\nparts = [\"tone-warm\", \"goal\"]\n");
        let run = repo.run(&["build"]).failure();
        assert!(run.stderr.contains(expected), "{template}: {}", run.stderr);
        assert!(run.stderr.contains(" --> parts/goal.toml:"), "{template}: {}", run.stderr);
        assert!(!repo.exists("build-output"), "a failed build wrote something");
    }
    // A million spaces in a text count like any other text.
    let repo = Repo::minimal().file("parts/goal.toml", &format!("type = \"goal\"\nsummary = \"a{}b\"\n", " ".repeat(1_000_000)));
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\nparts = [\"tone-warm\", \"goal\"]\n");
    repo.run(&["build"]).success();
}

/// Each text is under the cap, but a view laid out from them is not: the
/// built-in layout (written natively) fails as its template did.
#[test]
fn a_view_past_the_output_cap_is_an_error() {
    let big = "word ".repeat(120_000);
    let repo = Repo::minimal()
        .file("parts/goal.toml", &format!("type = \"goal\"\nsummary = \"{big}\"\n"))
        .file("parts/plan.toml", &format!("type = \"goal\"\nsummary = \"{big}\"\n"));
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\nparts = [\"goal\", \"plan\"]\n");
    let run = repo.run(&["build"]).failure();
    assert!(run.stderr.contains("error[E0302]: the summary view of persona `maya` lays out to more than 1 MiB"), "{}", run.stderr);
    assert!(run.stderr.contains(" --> personas/maya.toml:1:1"), "{}", run.stderr);
    assert!(!repo.exists("build-output"), "a failed build wrote something");
    // One of them alone fits.
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya.\"\nparts = [\"goal\"]\n");
    repo.run(&["build"]).success();
}

#[test]
fn check_refuses_an_output_folder_that_build_refuses() {
    let repo = Repo::minimal().file("personac.toml", "out_dir = \"parts/out\"\n");
    let build = repo.run(&["build"]).code(2);
    let check = repo.run(&["check"]).code(2);
    assert_eq!(build.stderr, check.stderr);
    assert!(check.stderr.contains("would overwrite sources"), "{}", check.stderr);
}

#[cfg(unix)]
#[test]
fn symbolic_links_in_source_folders_are_reported_and_not_followed() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret.toml"), "type = \"tone\"\nsummary = \"Outside.\"\n").unwrap();
    let repo = Repo::minimal();
    std::os::unix::fs::symlink(outer.path().join("secret.toml"), repo.path().join("parts/secret.toml")).unwrap();
    let run = repo.run(&["build"]).success();
    assert!(run.stderr.contains("warning[W0101]: `parts/secret.toml` is a symbolic link"), "{}", run.stderr);
    let listed = repo.run(&["list", "part"]).success();
    assert!(!listed.stdout.contains("secret"), "{}", listed.stdout);
    // -q prints only errors.
    let quiet = repo.run(&["-q", "build"]).success();
    assert_eq!(quiet.stderr, "");
}
