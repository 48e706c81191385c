//! Lints: warnings by default, errors with `--deny-warnings`.

use crate::support::Repo;

#[test]
fn every_lint_in_one_repository() {
    let repo = Repo::minimal()
        .file("parts/goal-unused.toml", "type = \"goal\"\nsummary = \"Never linked.\"\n")
        .file("parts/empty.toml", "type = \"context\"\nsummary = \"Empty.\"\ncontent = \"\"\n")
        .file("arcs/quiet.yaml", "stages:\n  - name: nothing-happens\n")
        .file(
            "personas/maya.toml",
            "version = \"1.0.0\"\nsummary = \"Maya.\"\nparts = [\"tone-warm\", \"tone-warm\", \"empty\"]\nruntime_vars = [\"user_name\"]\narc = { name = \"quiet\" }\n[vars]\nunused = \"x\"\n",
        );
    let run = repo.run(&["check"]).success();
    insta::assert_snapshot!(run.stderr);
    let run = repo.run(&["check", "--deny-warnings"]).failure();
    assert!(run.stderr.contains("error[W0001]"), "{}", run.stderr);
    let run = repo.run(&["check", "--format", "json"]).success();
    let first: serde_json::Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["severity"], "warning");
}

#[test]
fn a_clean_repository_has_no_warnings() {
    let repo = Repo::minimal().file(
        "personas/maya.toml",
        "version = \"1.0.0\"\nsummary = \"Maya helps {{ user_name }}.\"\ndescription = \"Support\"\nparts = [\"tone-warm\"]\nruntime_vars = [\"user_name\"]\n",
    );
    let run = repo.run(&["check", "--deny-warnings"]).success();
    assert_eq!(run.stderr, "     Checked 1 persona: no errors\n");
}
