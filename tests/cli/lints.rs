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
fn a_description_inherited_from_a_base_counts() {
    let repo = Repo::minimal()
        .file("personas/base.toml", "abstract = true\nsummary = \"Base.\"\ndescription = \"Support\"\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nextends = \"base\"\nsummary = \"Maya.\"\nparts = [\"tone-warm\"]\n");
    let run = repo.run(&["check"]).success();
    assert!(!run.stderr.contains("W0004"), "{}", run.stderr);
    repo.write("personas/base.toml", "abstract = true\nsummary = \"Base.\"\n");
    let run = repo.run(&["check"]).success();
    assert!(run.stderr.contains("warning[W0004]: persona `maya` has no description"), "{}", run.stderr);
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

/// `[lints]` sets each lint's level by name: allow drops it, deny makes it
/// an error; an unknown name is an error with a did-you-mean.
#[test]
fn lint_levels_come_from_the_config() {
    let repo = Repo::minimal().file("parts/goal-unused.toml", "type = \"goal\"\nsummary = \"Never linked.\"\n");
    let run = repo.run(&["check"]).success();
    assert!(run.stderr.contains("warning[W0004]") && run.stderr.contains("warning[W0001]"), "{}", run.stderr);
    repo.write("personac.toml", "[lints]\npersona-without-description = \"allow\"\nunused-definition = \"deny\"\n");
    let run = repo.run(&["check"]).failure();
    assert!(!run.stderr.contains("W0004"), "{}", run.stderr);
    assert!(run.stderr.contains("error[W0001]: part `goal-unused` is not used by any persona"), "{}", run.stderr);
    assert!(run.stderr.contains("`unused-definition` is denied under `[lints]`"), "{}", run.stderr);
    repo.write("personac.toml", "[lints]\nunused-definition = \"allow\"\npersona-without-description = \"allow\"\n");
    assert_eq!(repo.run(&["check"]).success().stderr, "     Checked 1 persona: no errors\n");
    repo.write("personac.toml", "[lints]\nunused-defintion = \"allow\"\nempty-text = \"never\"\n");
    let run = repo.run(&["check"]).failure();
    assert!(
        run.stderr.contains("unknown lint `unused-defintion`") && run.stderr.contains("did you mean `unused-definition`?"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the level of lint `empty-text` must be \"allow\", \"warn\" or \"deny\""), "{}", run.stderr);
}

/// Every lint's name is documented beside its code.
#[test]
fn every_lint_name_is_documented() {
    let docs = std::fs::read_to_string(crate::support::examples_root().join("docs/diagnostics.md")).unwrap();
    for (code, name) in personac::lint::NAMES {
        assert!(docs.lines().any(|l| l.starts_with(&format!("## {code}:")) && l.ends_with(&format!("(`{name}`)"))), "{code} `{name}`");
    }
}

/// A variable used only at another stage, or only on a channel, is used;
/// `check` records what each view of a compiled persona uses as it
/// compiles, and resolves an abstract base that nothing extends.
#[test]
fn variables_used_by_any_view_count_as_used() {
    let repo = Repo::minimal()
        .file("parts/goal-first.toml", "type = \"goal\"\nsummary = \"Greet {{ at_start }}.\"\n")
        .file("parts/goal-later.toml", "type = \"goal\"\nsummary = \"Thank {{ at_trial }}.\"\n")
        .file("parts/tone-voice.toml", "type = \"tone\"\nsummary = \"Speak to {{ on_voice }}.\"\n")
        .file("arcs/journey.toml", "[[stages]]\nname = \"start\"\nparts = [\"goal-first\"]\n\n[[stages]]\nname = \"trial\"\nparts = [\"goal-later\"]\n")
        .file(
            "personas/maya.toml",
            "version = \"1.0.0\"\nsummary = \"Maya.\"\ndescription = \"Support\"\nparts = [\"tone-warm\"]\narc = { name = \"journey\", stage = \"start\" }\n[channels.voice]\noverrides = { tone = \"tone-voice\" }\n[vars]\nat_start = \"a\"\nat_trial = \"b\"\non_voice = \"c\"\nnowhere = \"d\"\n",
        )
        .file("personas/lone.toml", "abstract = true\nsummary = \"Lone {{ used }}.\"\n[vars]\nused = \"e\"\nidle = \"f\"\n");
    let run = repo.run(&["check", "--format", "json"]).success();
    let unused: Vec<String> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|d| d["code"] == "W0006")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        unused,
        [
            "variable `idle` of persona `lone` is not used by any of its templates",
            "variable `nowhere` of persona `maya` is not used by any of its templates",
        ],
        "{}",
        run.stdout
    );
}
