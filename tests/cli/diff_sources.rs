//! `diff` and `check --base` name the source lines behind each changed
//! line of a compiled prompt, read from each side's source records, on real
//! git repositories made with the git command.

use serde_json::{Value, json};

use crate::support::Repo;

/// A part of sixteen lines (file lines 5 to 20), a template part whose
/// `{% for %}` body writes a line per step (file line 7), and maya using
/// both.
fn tone(lines: &[(usize, &str)]) -> String {
    let mut text = String::from("+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\n");
    for i in 5..=20 {
        match lines.iter().find(|(n, _)| *n == i) {
            Some((_, line)) => text.push_str(line),
            None => text.push_str(&format!("Tone rule {i}.")),
        }
        text.push('\n');
    }
    text
}

const STEPS: &str =
    "+++\ntype = \"goal\"\nsummary = \"Steps.\"\n+++\nWork through these steps:\n{% for step in steps %}\n- {{ step }}\n{% endfor %}\n";

fn maya(steps: &str) -> String {
    format!("version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\", \"goal-steps\"]\n\n[vars]\nsteps = [{steps}]\n")
}

/// The base commit, and the change on top of it in the working tree: line 6
/// of the tone becomes two lines, line 20 changes (a second hunk), and the
/// persona's `[vars]` gain a step (a line the `{% for %}` body writes).
fn changed() -> Repo {
    let repo = Repo::new()
        .file("parts/tone-warm.md", &tone(&[]))
        .file("parts/goal-steps.md", STEPS)
        .file("personas/maya.toml", &maya("\"Listen.\", \"Fix it.\""))
        .git_init();
    repo.commit("base");
    repo.write("parts/tone-warm.md", &tone(&[(6, "Say hello first,\nand use their name."), (20, "Close kindly.")]));
    repo.write("personas/maya.toml", &maya("\"Listen.\", \"Fix it.\", \"Follow up.\""));
    repo
}

fn json(run: crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap()
}

/// Each side's source lines of every hunk of maya's detail view.
fn detail_sources(report: &Value) -> Vec<Value> {
    let maya = report["personas"].as_array().unwrap().iter().find(|p| p["name"] == "maya").unwrap();
    let detail = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "detail.md").unwrap();
    detail["hunks"].as_array().unwrap().iter().map(|h| h["sources"].clone()).collect()
}

#[test]
fn each_hunk_names_the_source_lines_behind_its_changed_lines_on_both_sides() {
    let repo = changed();
    let run = repo.run(&["diff"]).success();
    insta::assert_snapshot!("diff_sources_text", run.stdout);
    let report = json(repo.run(&["diff", "--format", "json"]));
    let range = |file: &str, a: u32, b: u32| json!({ "file": file, "lines": [a, b] });
    assert_eq!(
        detail_sources(&report),
        [
            // Line 6 became lines 6 and 7; the lines after it moved down one.
            json!({ "old": [range("parts/tone-warm.md", 6, 6)], "new": [range("parts/tone-warm.md", 6, 7)] }),
            // Line 20 (now 21) changed, and a step added by a `[vars]`
            // value: the `{% for %}` body's line; both in one hunk.
            json!({
                "old": [range("parts/tone-warm.md", 20, 20)],
                "new": [range("parts/tone-warm.md", 21, 21), range("parts/goal-steps.md", 7, 7)],
            }),
        ]
    );
    // The manifest is not a view: it has no source records, so nothing is said.
    let maya = &report["personas"][0];
    let manifest = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "manifest.json").unwrap();
    assert!(manifest["hunks"].as_array().unwrap().iter().all(|h| h["sources"] == json!({ "old": null, "new": null })), "{manifest}");
    // Each hunk's header is the one in the artifact's diff.
    let detail = maya["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == "detail.md").unwrap();
    for hunk in detail["hunks"].as_array().unwrap() {
        assert!(detail["diff"].as_str().unwrap().contains(&format!("{}\n", hunk["header"].as_str().unwrap())), "{hunk}");
    }
}

#[test]
fn markdown_links_each_source_line_inside_github_actions_and_is_plain_outside() {
    let repo = changed();
    let head = repo.commit("change");
    let base = repo.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let shas = |text: &str| text.replace(&base, "BASE_SHA").replace(&head, "HEAD_SHA");
    let plain = repo.run(&["diff", "HEAD~1", "HEAD", "--format", "markdown"]).success().stdout;
    assert!(!plain.contains("](http"), "{plain}");
    insta::assert_snapshot!("diff_sources_markdown_plain", shas(&plain));
    let actions = [("GITHUB_SERVER_URL", "https://github.com"), ("GITHUB_REPOSITORY", "acme/personas")];
    let linked = repo.run_env(&["diff", "HEAD~1", "HEAD", "--format", "markdown"], &actions).success().stdout;
    // Removed lines link at the base commit, added lines at the head commit.
    assert!(linked.contains(&format!("[`parts/tone-warm.md:6`](https://github.com/acme/personas/blob/{base}/parts/tone-warm.md#L6)")));
    assert!(linked.contains(&format!("[`parts/tone-warm.md:6-7`](https://github.com/acme/personas/blob/{head}/parts/tone-warm.md#L6-L7)")));
    insta::assert_snapshot!("diff_sources_markdown_linked", shas(&linked));
    // Every source line is a link: none is left as a plain path.
    for line in linked.lines().filter(|l| l.starts_with("Source lines:")) {
        assert!(!line.contains(" `parts/") && !line.contains(", `parts/"), "{line}");
    }
    // The working tree is linked at GITHUB_SHA, the commit the workflow checked out.
    // (Rule 9 is on line 10 on both sides, after line 6 became two.)
    repo.write("parts/tone-warm.md", &tone(&[(6, "Say hello first,\nand use their name."), (9, "Breathe."), (20, "Close kindly.")]));
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let tree = repo.run_env(&["diff", "--format", "markdown"], &[actions[0], actions[1], ("GITHUB_SHA", sha)]).success().stdout;
    assert!(tree.contains(&format!("(https://github.com/acme/personas/blob/{sha}/parts/tone-warm.md#L10)")), "{tree}");
    assert!(tree.contains(&format!("(https://github.com/acme/personas/blob/{head}/parts/tone-warm.md#L10)")), "{tree}");
    // Without it, the working tree's lines are plain paths; the base's still link.
    let tree = repo.run_env(&["diff", "--format", "markdown"], &actions).success().stdout;
    assert!(tree.contains("`+` `parts/tone-warm.md:10`"), "{tree}");
    assert!(tree.contains(&format!("/blob/{head}/parts/tone-warm.md#L10)")), "{tree}");
}

#[test]
fn a_side_whose_records_are_off_says_nothing_for_that_side() {
    let repo = Repo::new()
        .file("personac.toml", "provenance = false\n")
        .file("parts/tone-warm.md", &tone(&[]))
        .file("parts/goal-steps.md", STEPS)
        .file("personas/maya.toml", &maya("\"Listen.\""))
        .git_init();
    repo.commit("records off");
    repo.write("personac.toml", "provenance = true\n");
    repo.write("parts/tone-warm.md", &tone(&[(6, "Say hello first.")]));
    let report = json(repo.run(&["diff", "--format", "json"]));
    assert_eq!(detail_sources(&report), [json!({ "old": null, "new": [{ "file": "parts/tone-warm.md", "lines": [6, 6] }] })]);
    let text = repo.run(&["diff"]).success().stdout;
    assert!(text.contains("sources + parts/tone-warm.md:6\n@@"), "{text}");
    assert!(!text.contains("sources -"), "{text}");
    // And the other way round: records off now, on at the base.
    repo.commit("records on");
    repo.write("personac.toml", "provenance = false\n");
    repo.write("parts/tone-warm.md", &tone(&[(6, "Say hello, first.")]));
    let report = json(repo.run(&["diff", "--format", "json"]));
    assert_eq!(detail_sources(&report), [json!({ "old": [{ "file": "parts/tone-warm.md", "lines": [6, 6] }], "new": null })]);
}

#[test]
fn the_version_gate_names_the_source_lines_that_changed_the_output() {
    let repo = changed();
    let run = repo.run(&["check", "--base", "HEAD"]).failure();
    assert!(
        run.stderr.contains(
            "persona `maya` changed since HEAD (parts/tone-warm.md:6-7, parts/tone-warm.md:21, parts/goal-steps.md:7) but its version is still 1.0.0"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: the lines it came from at HEAD: parts/tone-warm.md:6, parts/tone-warm.md:20"), "{}", run.stderr);
    let github = repo.run(&["check", "--base", "HEAD", "--format", "github"]).failure().stdout;
    assert!(github.contains("(parts/tone-warm.md:6-7, parts/tone-warm.md:21, parts/goal-steps.md:7)"), "{github}");
    // Only removed lines: named at the base.
    let repo = changed();
    repo.write("parts/tone-warm.md", &tone(&[(6, "")]).replacen("\n\n", "\n", 1));
    repo.write("personas/maya.toml", &maya("\"Listen.\", \"Fix it.\""));
    let run = repo.run(&["check", "--base", "HEAD"]).failure();
    assert!(run.stderr.contains("persona `maya` changed since HEAD (parts/tone-warm.md:6 at HEAD) but"), "{}", run.stderr);
}
