//! The command line a cargo user expects: the repository found from any
//! folder in it, every problem of a run reported at once, help for every
//! argument, a starter repository, explanations, completions, man pages,
//! and honest errors at the edges.

use crate::support::{Repo, examples_root, run_from};

#[test]
fn the_repository_is_found_from_any_folder_in_it() {
    let repo = Repo::minimal().file("parts/tone/deep/tone-calm.toml", "type = \"tone\"\nsummary = \"Calm.\"\n");
    let sub = repo.path().join("parts/tone/deep");
    run_from(&sub, &["build"]).success();
    assert!(repo.exists("build-output/maya/detail.md"));
    assert!(!sub.join("build-output").exists(), "a build output was written in the sub-folder");
    // -C is where the search starts.
    crate::support::run_in(&repo.path().join("parts"), &["build", "--check"]).success();
}

#[test]
fn without_a_repository_nothing_is_written() {
    let empty = tempfile::tempdir().unwrap();
    let run = run_from(empty.path(), &["build"]).code(2);
    assert!(run.stderr.contains("not a persona repository") && run.stderr.contains("personac init"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0, "something was written");
    for args in [&["check"][..], &["list", "part"], &["show", "maya"], &["watch"], &["new", "part", "x", "--type", "tone"]] {
        run_from(empty.path(), args).code(2);
    }
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0, "something was written");
}

#[test]
fn one_run_reports_every_phase() {
    let repo = Repo::new()
        .file("personas/bad.toml", "version = \"1.0\"\nsummary = \"Bad version.\"\n")
        .file("personas/a.toml", "version = \"1.0.0\"\nextends = \"b\"\n")
        .file("personas/b.toml", "version = \"1.0.0\"\nextends = \"c\"\n")
        .file("personas/c.toml", "version = \"1.0.0\"\nextends = \"a\"\n")
        .file("personas/d.toml", "version = \"1.0.0\"\nextends = \"nope\"\n")
        .file("parts/unused.toml", "type = \"tone\"\nsummary = \"{% if %}\"\n")
        .file("parts/broken.toml", "type = \"tone\"\nsummary = \n")
        .file("personas/e.toml", "version = \"1.0.0\"\nsummary = \"E.\"\nparts = [\"broken\"]\n");
    let run = repo.run(&["check"]).failure();
    insta::assert_snapshot!(run.stderr);
    for code in ["E0100", "E0133", "E0202", "E0200", "E0300"] {
        assert!(run.stderr.contains(&format!("error[{code}]")), "{code} missing:\n{}", run.stderr);
    }
    // The part whose file does not parse is not reported again as unknown.
    assert!(!run.stderr.contains("unknown part `broken`"), "{}", run.stderr);
}

#[test]
fn a_template_error_names_the_persona_being_compiled() {
    let repo = Repo::new()
        .file("parts/goal-shared.toml", "type = \"goal\"\nsummary = \"Serve {{ only_in_p1 }} customers.\"\n")
        .file("personas/p1.toml", "version = \"1.0.0\"\nsummary = \"P1.\"\nparts = [\"goal-shared\"]\n[vars]\nonly_in_p1 = \"gold\"\n")
        .file("personas/p2.toml", "version = \"1.0.0\"\nsummary = \"P2.\"\nparts = [\"goal-shared\"]\n")
        .file("parts/goal-first.toml", "type = \"goal\"\nsummary = \"First.\"\n")
        .file(
            "arcs/path.toml",
            "[[stages]]\nname = \"start\"\nparts = [\"goal-first\"]\n\n[[stages]]\nname = \"trial\"\nparts = [\"goal-shared\"]\n",
        )
        .file("personas/p3.toml", "version = \"1.0.0\"\nsummary = \"P3.\"\narc = { name = \"path\" }\n");
    let run = repo.run(&["build"]).failure();
    assert!(
        run.stderr.contains("undefined variable `only_in_p1`") && run.stderr.contains("while compiling persona `p2`\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("persona `p1`"), "{}", run.stderr);
    // A stage (or a channel) that brings the text in is named too.
    assert!(run.stderr.contains("while compiling persona `p3` at stage `trial`"), "{}", run.stderr);
}

#[test]
fn init_makes_a_repository_that_builds_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_from(dir.path(), &["init", "agents", "--ci", "github"]).success();
    assert!(run.stderr.contains("Created a persona repository"), "{}", run.stderr);
    let root = dir.path().join("agents");
    assert!(root.join(".github/workflows/personac.yml").is_file());
    // A git work tree, and what to do next.
    assert!(root.join(".git").is_dir(), "init makes a git repository");
    assert!(run.stderr.contains("Initialized a git repository"), "{}", run.stderr);
    assert!(run.stderr.contains("`cd agents`, then `personac build`"), "{}", run.stderr);
    assert!(run.stderr.contains("git add -A && git commit"), "{}", run.stderr);
    // The workflow installs personac from a source that exists, and the
    // README links to it, not to a bare github.com.
    let workflow = std::fs::read_to_string(root.join(".github/workflows/personac.yml")).unwrap();
    assert!(workflow.contains("run: cargo install --locked --git https://github.com/personac/personac personac\n"), "{workflow}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("(https://github.com/personac/personac)") && !readme.contains("(https://github.com/)"), "{readme}");
    run_from(&root, &["build"]).success();
    let check = run_from(&root, &["check", "--deny-warnings"]).success();
    assert_eq!(check.stderr, "     Checked 1 persona: no errors\n");
    run_from(&root, &["build", "--check"]).success();
    // It never overwrites.
    let before = crate::support::tree(&root);
    let run = run_from(dir.path(), &["init", "agents"]).code(2);
    assert!(run.stderr.contains("already a persona repository"), "{}", run.stderr);
    assert_eq!(crate::support::tree(&root), before);
}

/// `--from` names the git URL the workflow installs personac from; inside
/// an existing git work tree, no second repository is made.
#[test]
fn init_installs_from_the_url_given_and_keeps_an_existing_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::git_in(dir.path(), &["init", "-q"]);
    let url = "https://git.example.com/tools/personac";
    let run = run_from(dir.path(), &["init", "agents", "--ci", "github", "--from", url]).success();
    assert!(!run.stderr.contains("Initialized"), "{}", run.stderr);
    let root = dir.path().join("agents");
    assert!(!root.join(".git").exists(), "inside a work tree already");
    let workflow = std::fs::read_to_string(root.join(".github/workflows/personac.yml")).unwrap();
    assert!(workflow.contains(&format!("cargo install --locked --git {url} personac")), "{workflow}");
    assert!(std::fs::read_to_string(root.join("README.md")).unwrap().contains(url));
    run_from(dir.path(), &["init", "other", "--from", "not a url"]).code(2);
}

/// Every argument of every command has a help line, and the main commands
/// show examples.
#[test]
fn every_argument_explains_itself() {
    let command = personac::cli::command();
    let mut missing = Vec::new();
    fn walk(cmd: &clap::Command, path: String, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id != "help" && id != "version" && arg.get_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(sub, format!("{path} {}", sub.get_name()), missing);
        }
    }
    walk(&command, "personac".into(), &mut missing);
    assert!(missing.is_empty(), "arguments without a help line: {missing:?}");
    for name in ["build", "check", "show", "diff", "watch", "serve", "link", "arc", "import", "export"] {
        let sub = command.find_subcommand(name).unwrap();
        assert!(sub.get_after_help().is_some_and(|h| h.to_string().contains("Examples:")), "`{name} --help` shows no examples");
    }
    let run = Repo::new().run(&["show", "--help"]).success();
    assert!(run.stdout.contains("--channel <CHANNEL>") && run.stdout.contains("The channel variant to show"), "{}", run.stdout);
}

#[test]
fn explain_prints_the_documented_explanation() {
    let run = Repo::new().run(&["explain", "E0200"]).success();
    let docs = std::fs::read_to_string(examples_root().join("docs/diagnostics.md")).unwrap();
    let section = docs.split("\n## ").find(|s| s.starts_with("E0200:")).unwrap();
    assert_eq!(run.stdout.trim(), format!("## {}", section.trim()));
    assert!(Repo::new().run(&["explain", "unused-definition"]).success().stdout.starts_with("## W0001:"));
    let run = Repo::new().run(&["explain", "E0299"]).code(2);
    assert!(run.stderr.contains("not a personac diagnostic code") && run.stderr.contains("did you mean"), "{}", run.stderr);
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = Repo::new().run(&["completions", shell]).success();
        assert!(run.stdout.contains("personac") && run.stdout.contains("export"), "{shell}");
    }
    let run = Repo::new().run(&["man"]).success();
    assert!(run.stdout.starts_with(".ie") || run.stdout.contains(".TH personac"), "{}", &run.stdout[..200.min(run.stdout.len())]);
    let out = tempfile::tempdir().unwrap();
    Repo::new().run(&["man", "--out", out.path().to_str().unwrap()]).success();
    for page in ["personac.1", "personac-build.1", "personac-import.1", "personac-explain.1"] {
        assert!(out.path().join(page).is_file(), "{page}");
    }
}

#[test]
fn the_edges_of_the_command_line_exit_2_with_the_truth() {
    let repo = Repo::minimal().file("traits/calm.toml", "type = \"emotional\"\ndescription = \"Calm.\"\n");
    let cases: [(&[&str], &str); 8] = [
        (&["list", "part", "--type", "tnoe"], "did you mean `tone`?"),
        (&["list", "skill", "--type", "x"], "`--type` applies to parts and traits"),
        (&["link", "maya", "--trait", "calm", "--order", "3"], "cannot be used with '--order"),
        (&["unlink", "maya", "--part", "tone-warm", "--order", "5"], "unexpected argument '--order'"),
        (&["show", "maya", "--limit", "-1"], "the limit is a number of parts, 0 or more"),
        (&["show", "maya", "--override", "tone="], "names no part"),
        (&["-q", "-v", "build"], "'--quiet' cannot be used with '--verbose'"),
        (&["watch", "--format", "github"], "possible values: text, json"),
    ];
    for (args, expected) in cases {
        let run = repo.run(args).code(2);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    // -q prints only errors.
    let quiet = repo.file("parts/goal-unused.toml", "type = \"goal\"\nsummary = \"Unused.\"\n").run(&["-q", "check"]).success();
    assert_eq!(quiet.stderr, "");
}

#[test]
fn new_fits_the_repository() {
    let repo = Repo::minimal();
    repo.run(&["new", "part", "tone-calm", "--type", "tone", "--in", "tone", "--form", "yaml"]).success();
    let text = repo.read("parts/tone/tone-calm.yaml");
    assert!(text.starts_with("# yaml-language-server: $schema=../../docs/schemas/part.schema.json\n"), "{text}");
    repo.run(&["new", "skill", "greet"]).success();
    assert!(repo.read("skills/greet.md").starts_with("+++\n#:schema ../docs/schemas/skill.schema.json\n"));
    repo.run(&["new", "arc", "quest", "--form", "json"]).success();
    assert!(repo.read("arcs/quest.json").starts_with("{\n  \"$schema\": \"../docs/schemas/arc.schema.json\",\n"));
    repo.run(&["new", "persona", "bob", "--form", "toml"]).success();
    assert!(repo.read("personas/bob.toml").starts_with("#:schema ../docs/schemas/persona.schema.json\n"));
    repo.run(&["check"]).success();
    let run = repo.run(&["new", "part", "tone/x", "--type", "tone"]).code(2);
    assert!(
        run.stderr.contains("use `personac new part x --in tone`") || run.stderr.contains("`personac new part x --in tone`"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["new", "arc", "x", "--form", "md"]).code(2);
    assert!(run.stderr.contains("an arc cannot be a Markdown file"), "{}", run.stderr);
    repo.run(&["new", "part", "y", "--type", "tone", "--in", "../outside"]).code(2);
}

/// A change to one large part still fits a pull-request comment.
#[test]
fn a_markdown_diff_fits_a_pull_request_comment() {
    let big = |word: &str| (0..4000).map(|i| format!("Line {i} of the policy says {word}.")).collect::<Vec<_>>().join("\n");
    let repo =
        Repo::new().file("parts/context-policy.md", &format!("+++\ntype = \"context\"\nsummary = \"Policy.\"\n+++\n{}\n", big("yes")));
    for i in 0..6 {
        repo.write(&format!("personas/p{i}.toml"), &format!("version = \"1.0.0\"\nsummary = \"P{i}.\"\nparts = [\"context-policy\"]\n"));
    }
    let repo = repo.git_init();
    repo.commit("base");
    repo.write("parts/context-policy.md", &format!("+++\ntype = \"context\"\nsummary = \"Policy.\"\n+++\n{}\n", big("no")));
    let markdown = repo.run(&["diff", "--format", "markdown"]).success().stdout;
    assert!(markdown.chars().count() <= 65_536, "{} characters", markdown.chars().count());
    assert!(markdown.contains("Shortened to fit a pull-request comment"), "{}", &markdown[..500]);
    for i in 0..6 {
        assert!(markdown.contains(&format!("| `p{i}` | changed |")), "the summary table lost p{i}");
    }
    assert!(markdown.contains("lines left out to fit the comment"));
    // Each shortened diff still says which source lines it comes from.
    assert!(markdown.contains("Source lines: `-` `parts/context-policy.md:5-4004` · `+` `parts/context-policy.md:5-4004`"), "{markdown}");
    // The text diff is never shortened.
    assert!(repo.run(&["diff"]).success().stdout.chars().count() > 65_536);
}

/// docs/templates.md's complete layout builds.
#[test]
fn the_documented_custom_layout_builds() {
    let docs = std::fs::read_to_string(examples_root().join("docs/templates.md")).unwrap();
    let layout = docs.split("```jinja\n").nth(1).and_then(|rest| rest.split("\n```").next()).unwrap();
    let repo = Repo::minimal()
        .file("templates/detail.md.j2", layout)
        .file("guardrails/no-pii.toml", "description = \"No PII.\"\nseverity = \"high\"\ncontent = \"Never share personal data.\"\n")
        .file("skills/lookup.toml", "description = \"Looks up orders.\"\n");
    repo.write("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\nguardrails = [\"no-pii\"]\nskills = [{ name = \"lookup\", load = \"on_demand\" }]\n");
    let detail = repo.run(&["show", "maya"]).success().stdout;
    insta::assert_snapshot!(detail);
    assert!(detail.starts_with("# Maya (v1.0.0)\n\n## Rules that come first\n"), "{detail}");
}
