//! Revisions: `--rev`, `diff`, `check --base`, `build --stamp`, on real git
//! repositories made with the git command.

use serde_json::{Value, json};

use crate::support::{Repo, git_in, run_in, tree};

const MAYA: &str = "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\n";

fn committed() -> Repo {
    let repo = Repo::minimal().git_init();
    repo.commit("maya");
    repo
}

fn json(run: crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn rev_reads_committed_sources_only() {
    let repo = committed();
    // Uncommitted and untracked changes are not seen at HEAD.
    repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe very warm.\n");
    repo.write("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\n");
    let at_head = repo.run(&["show", "maya", "--rev", "HEAD"]).success().stdout;
    assert!(at_head.contains("Be warm.") && !at_head.contains("very"), "{at_head}");
    assert!(repo.run(&["show", "maya"]).success().stdout.contains("Be very warm."));
    let names = json(repo.run(&["list", "personas", "--rev", "HEAD", "--format", "json"]));
    assert_eq!(names.as_array().unwrap().len(), 1);
    assert_eq!(json(repo.run(&["get", "part", "tone-warm", "--rev", "HEAD", "--format", "json"]))["content"], "Be warm.");
    assert_eq!(json(repo.run(&["manifest", "maya", "--rev", "HEAD"]))["version"], "1.0.0");
    repo.run(&["check", "--rev", "HEAD"]).success();
    // build --rev writes the revision's artifacts.
    repo.run(&["build", "--rev", "HEAD"]).success();
    assert!(repo.read("build-output/maya/detail.md").contains("Be warm."));
    assert!(!repo.exists("build-output/zed"));
}

#[test]
fn a_revision_builds_what_its_checkout_builds() {
    let repo = Repo::new().git_init();
    // Committed with CRLF line endings: the artifacts must not depend on them.
    repo.write("parts/tone-warm.md", "+++\r\ntype = \"tone\"\r\nsummary = \"Warm.\"\r\n+++\r\nBe warm.\r\n");
    repo.write("personas/maya.toml", &MAYA.replace('\n', "\r\n"));
    repo.commit("crlf");
    repo.run(&["build", "--rev", "HEAD", "--out", "from-git"]).success();
    repo.run(&["build", "--out", "from-disk"]).success();
    assert_eq!(repo.tree("from-git"), repo.tree("from-disk"));
    let lf = Repo::minimal();
    lf.run(&["build"]).success();
    assert_eq!(repo.tree("from-git"), lf.tree("build-output"));
}

#[test]
fn revisions_work_on_a_detached_head_in_a_subfolder_and_in_a_bare_repository() {
    let outer = Repo::new().git_init();
    outer.write("prompts/parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n");
    outer.write("prompts/personas/maya.toml", MAYA);
    let first = outer.commit("first");
    outer.write("prompts/personas/maya.toml", &MAYA.replace("1.0.0", "1.1.0"));
    outer.commit("second");
    outer.git(&["checkout", "-q", "--detach", &first]);
    let sub = outer.path().join("prompts");
    assert_eq!(json(run_in(&sub, &["manifest", "maya", "--rev", "HEAD"]))["version"], "1.0.0");
    assert_eq!(json(run_in(&sub, &["manifest", "maya", "--rev", "main"]))["version"], "1.1.0");

    let bare = tempfile::tempdir().unwrap();
    git_in(bare.path(), &["clone", "-q", "--bare", outer.path().to_str().unwrap(), "repo.git"]);
    let bare = bare.path().join("repo.git");
    // A bare repository has no working tree: its persona repository is the top.
    let outer_flat = Repo::minimal().git_init();
    outer_flat.commit("flat");
    let flat_bare = tempfile::tempdir().unwrap();
    git_in(flat_bare.path(), &["clone", "-q", "--bare", outer_flat.path().to_str().unwrap(), "flat.git"]);
    let flat_bare = flat_bare.path().join("flat.git");
    assert_eq!(json(run_in(&flat_bare, &["manifest", "maya", "--rev", "main"]))["version"], "1.0.0");
    let run = run_in(&flat_bare, &["diff"]).code(2);
    assert!(run.stderr.contains("a bare repository has no working tree"), "{}", run.stderr);
    run_in(&flat_bare, &["diff", "main", "main"]).success();
    let _ = bare;
}

#[test]
fn diff_of_the_working_tree_shows_changes_tokens_versions_and_causes() {
    let repo = committed();
    repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm, and a little funny.\n");
    repo.write("personas/maya.toml", &MAYA.replace("1.0.0", "1.1.0"));
    repo.write("personas/zed.toml", "version = \"0.1.0\"\nsummary = \"Zed is new.\"\n");
    let run = repo.run(&["diff"]).success();
    insta::assert_snapshot!("diff_text", run.stdout);
    let run = repo.run(&["diff", "--format", "markdown"]).success();
    insta::assert_snapshot!("diff_markdown", run.stdout);
    let report = json(repo.run(&["diff", "--format", "json"]));
    assert_eq!(report["changed"], true);
    let maya = &report["personas"][0];
    assert_eq!(maya["name"], "maya");
    assert_eq!(maya["status"], "changed");
    assert_eq!(maya["version"], json!({ "old": "1.0.0", "new": "1.1.0" }));
    assert_eq!(maya["sources"], json!(["parts/tone-warm.md", "personas/maya.toml"]));
    let detail = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "detail.md").unwrap();
    assert_eq!(
        detail["token_delta"].as_i64().unwrap(),
        detail["tokens"]["new"].as_i64().unwrap() - detail["tokens"]["old"].as_i64().unwrap()
    );
    assert!(detail["token_delta"].as_i64().unwrap() > 0);
    assert!(detail["diff"].as_str().unwrap().contains("+Be warm, and a little funny."));
    assert_eq!(report["personas"][1]["status"], "added");
    repo.run(&["diff", "--exit-code"]).failure();
}

#[test]
fn identical_revisions_print_that_nothing_changed() {
    let repo = committed();
    // A change to a file no persona uses changes no compiled output.
    repo.write("parts/unused.toml", "type = \"goal\"\nsummary = \"Unused.\"\n");
    let run = repo.run(&["diff", "--exit-code"]).success();
    assert_eq!(run.stdout, "No compiled output changed between HEAD and the working tree.\n");
    assert_eq!(json(repo.run(&["diff", "HEAD", "HEAD", "--format", "json"]))["personas"], json!([]));
}

#[test]
fn ranges_work_as_in_git() {
    let repo = committed();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("personas/maya.toml", &MAYA.replace("Maya helps.", "Maya helps on the feature branch."));
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\n");
    repo.commit("main moves on");
    // Two dots: main's tip against feature's tip, so zed looks removed.
    let two = json(repo.run(&["diff", "main..feature", "--format", "json"]));
    let names: Vec<(&str, &str)> =
        two["personas"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap(), p["status"].as_str().unwrap())).collect();
    assert_eq!(names, [("maya", "changed"), ("zed", "removed")]);
    // Three dots: from the merge base, only what the branch changed.
    let three = json(repo.run(&["diff", "main...feature", "--format", "json"]));
    let names: Vec<&str> = three["personas"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["maya"]);
    // BASE HEAD as two arguments is the same as BASE..HEAD.
    assert_eq!(json(repo.run(&["diff", "main", "feature", "--format", "json"]))["personas"], two["personas"]);
}

#[test]
fn the_version_gate_refuses_a_change_without_a_bump() {
    let repo = committed().file("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\n");
    repo.commit("zed");
    repo.write("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warmer.\n");
    let run = repo.run(&["check", "--base", "HEAD"]).failure();
    insta::assert_snapshot!("gate_refuses", run.stderr);
    let run = repo.run(&["check", "--base", "HEAD", "--format", "github"]).failure();
    assert!(run.stdout.starts_with("::error file=personas/maya.toml,line=1,col=11"), "{}", run.stdout);
    // A bump lets it pass; added and removed personas are noted.
    repo.write("personas/maya.toml", &MAYA.replace("1.0.0", "1.0.1"));
    repo.remove("personas/zed.toml");
    repo.write("personas/ada.toml", "version = \"0.1.0\"\nsummary = \"Ada.\"\n");
    let run = repo.run(&["check", "--base", "HEAD"]).success();
    assert!(run.stderr.contains("every change has a version bump"), "{}", run.stderr);
    assert!(run.stderr.contains("persona `maya` changed and its version went up: 1.0.0 → 1.0.1"), "{}", run.stderr);
    assert!(run.stderr.contains("added persona `ada` (0.1.0)"), "{}", run.stderr);
    assert!(run.stderr.contains("removed persona `zed` (1.0.0)"), "{}", run.stderr);
}

/// Nothing changed since the base: said as such, not as a bump found.
#[test]
fn the_version_gate_says_when_nothing_changed() {
    let repo = committed();
    let run = repo.run(&["check", "--base", "HEAD"]).success();
    assert!(run.stderr.contains("Checked 1 persona against HEAD: no compiled output changed"), "{}", run.stderr);
    assert!(!run.stderr.contains("version bump"), "{}", run.stderr);
}

#[test]
fn the_version_gate_refuses_a_version_that_goes_down() {
    let repo = committed();
    repo.write("personas/maya.toml", &MAYA.replace("1.0.0", "0.9.0"));
    let run = repo.run(&["check", "--base", "HEAD"]).failure();
    assert!(run.stderr.contains("the version of persona `maya` went down since HEAD: 1.0.0 → 0.9.0"), "{}", run.stderr);
    // Even when nothing else changed.
    let repo = committed();
    repo.write("personas/maya.toml", "version = \"0.9.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\n");
    repo.run(&["check", "--base", "HEAD"]).failure();
}

#[test]
fn stamp_adds_the_commit_and_dirty_flag_and_nothing_else() {
    let repo = committed();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.run(&["build", "--out", "plain"]).success();
    repo.run(&["build", "--stamp", "--out", "stamped"]).success();
    let mut index: Value = serde_json::from_str(&repo.read("stamped/index.json")).unwrap();
    assert_eq!(index["source"], json!({ "commit": head, "dirty": false }));
    index.as_object_mut().unwrap().remove("source");
    let plain: Value = serde_json::from_str(&repo.read("plain/index.json")).unwrap();
    assert_eq!(index, plain);
    let (plain, stamped) = (tree(&repo.path().join("plain")), tree(&repo.path().join("stamped")));
    assert_eq!(plain.keys().collect::<Vec<_>>(), stamped.keys().collect::<Vec<_>>());
    for (path, bytes) in &plain {
        if path != "index.json" {
            assert_eq!(bytes, &stamped[path], "{path}");
        }
    }
    // An uncommitted source change makes the tree dirty; other files do not.
    repo.write("notes.txt", "not a source\n");
    repo.run(&["build", "--stamp", "--out", "stamped"]).success();
    assert_eq!(json_file(&repo, "stamped/index.json")["source"]["dirty"], false);
    repo.write("personas/maya.toml", &MAYA.replace("Maya helps.", "Maya helps a lot."));
    repo.run(&["build", "--stamp", "--out", "stamped"]).success();
    assert_eq!(json_file(&repo, "stamped/index.json")["source"]["dirty"], true);
}

fn json_file(repo: &Repo, path: &str) -> Value {
    serde_json::from_str(&repo.read(path)).unwrap()
}

#[test]
fn git_problems_exit_2_with_a_way_out() {
    let plain = Repo::minimal();
    let run = plain.run(&["diff"]).code(2);
    assert!(run.stderr.contains("is not in a git repository"), "{}", run.stderr);

    let empty = Repo::minimal().git_init();
    let run = empty.run(&["diff"]).code(2);
    assert!(run.stderr.contains("the git repository has no commits yet"), "{}", run.stderr);

    let repo = committed();
    let run = repo.run(&["show", "maya", "--rev", "v9.9"]).code(2);
    assert!(run.stderr.contains("unknown revision `v9.9`"), "{}", run.stderr);
    let run = repo.run(&["check", "--base", "nope"]).code(2);
    assert!(run.stderr.contains("unknown revision `nope`"), "{}", run.stderr);
}

#[test]
fn a_shallow_clone_without_the_base_says_how_to_fetch_it() {
    let repo = committed();
    repo.write("personas/maya.toml", &MAYA.replace("1.0.0", "1.0.1"));
    repo.commit("second");
    let base = repo.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git_in(clones.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = clones.path().join("shallow");
    let run = run_in(&shallow, &["check", "--base", &base]).code(2);
    assert!(run.stderr.contains("shallow clone") && run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
    let run = run_in(&shallow, &["diff", "HEAD~1"]).code(2);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

#[test]
fn a_repository_owned_by_another_user_is_refused_with_a_hint() {
    let repo = committed();
    // Only root can give files away; elsewhere there is nothing to test.
    let status = std::process::Command::new("chown").args(["-R", "12345:12345"]).arg(repo.path()).status();
    if !status.is_ok_and(|s| s.success()) {
        return;
    }
    let run = repo.run(&["diff"]).code(2);
    assert!(run.stderr.contains("owned by another user") && run.stderr.contains("safe.directory"), "{}", run.stderr);
}

/// The example repository as two commits: its sources (with the
/// build-output of the first commit only when `committed`), then a change
/// that reaches some personas and not others (a shared part, one persona's
/// own file, a new persona).
fn examples_history(committed: bool) -> Repo {
    let repo = Repo::new().git_init();
    for (path, bytes) in crate::support::example_sources() {
        repo.write(&path, std::str::from_utf8(&bytes).unwrap());
    }
    if committed {
        repo.run(&["build"]).success();
    }
    repo.commit("examples");
    let tone = repo.read("parts/tone/tone-professional.md");
    repo.write("parts/tone/tone-professional.md", &format!("{tone}Keep answers short.\n"));
    let sam = repo.read("personas/sales-sam.yaml");
    repo.write("personas/sales-sam.yaml", &sam.replace("tags: [sales, acme, pre-sales]", "tags: [sales, acme, pre-sales, changed]"));
    repo.write("personas/zed.toml", "version = \"1.0.0\"\nsummary = \"Zed.\"\nparts = [\"tone-warm\"]\n");
    repo.commit("a change");
    repo
}

#[test]
fn a_diff_that_lists_unreached_personas_from_the_committed_index_says_what_a_full_compile_says() {
    // With the base's build-output committed, only the personas the change
    // reaches are compiled; without it, every persona is. Both say the same.
    let (listed, full) = (examples_history(true), examples_history(false));
    for format in ["json", "text", "markdown"] {
        let args = ["diff", "HEAD~1", "HEAD", "--format", format];
        let (a, b) = (listed.run(&args).success().stdout, full.run(&args).success().stdout);
        assert_eq!(a, b, "{format}");
    }
    let report = json(listed.run(&["diff", "HEAD~1", "HEAD", "--format", "json"]));
    let names: Vec<&str> = report["personas"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"sales-sam") && names.contains(&"zed"), "{names:?}");
    assert!(!names.contains(&"aria"), "aria uses nothing that changed: {names:?}");
    // A committed index that no longer records a persona's inputs as they
    // are (edited by hand, or made from other sources) is not trusted for it.
    let index = listed.read("build-output/index.json").replace("\"inputs\": \"sha256:", "\"inputs\": \"sha256:0");
    listed.git(&["checkout", "-q", "HEAD~1"]);
    listed.write("build-output/index.json", &index);
    listed.git(&["commit", "-qam", "a stale index"]);
    let stale = listed.git(&["rev-parse", "HEAD"]);
    listed.git(&["checkout", "-q", "main"]);
    let args = ["diff", stale.trim(), "main", "--format", "json"];
    let from_stale = listed.run(&args).success().stdout;
    let expected = full.run(&["diff", "HEAD~1", "HEAD", "--format", "json"]).success().stdout;
    let strip = |s: &str| s.replace(stale.trim(), "BASE").replace("HEAD~1", "BASE").replace("\"main\"", "\"HEAD\"");
    assert_eq!(strip(&from_stale), strip(&expected));
}
