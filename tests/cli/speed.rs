//! What the speed work could break: commands that read only the files a
//! persona reaches, builds that skip unchanged work, edits validated against
//! the personas they reach. Each fast path must give what the whole
//! repository gives.

use crate::support::Repo;

/// A persona whose parent, grandparent, parts, arc, channel override and
/// links all live in sub-folders, beside definitions it does not use.
fn nested() -> Repo {
    Repo::new()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\n")
        .file("parts/tone/deep/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm for {{ company }}.\n")
        .file("parts/tone/tone-spoken.md", "+++\ntype = \"tone\"\nsummary = \"Spoken.\"\n+++\nSpeak plainly.\n")
        .file("parts/goals/goal-help.yaml", "type: goal\nsummary: Help.\ncontent: Help {{ user_name }} well.\n")
        .file("parts/goals/goal-close.toml", "type = \"goal\"\nsummary = \"Close.\"\ncontent = \"Close the case.\"\n")
        .file("parts/unused/goal-unused.md", "+++\ntype = \"goal\"\nsummary = \"Unused.\"\n+++\nNever shown.\n")
        .file("traits/social/kind.toml", "type = \"social\"\ndescription = \"Kind.\"\ninstruction = \"Be kind.\"\n")
        .file("skills/tools/lookup.md", "---\ndescription: Looks up orders.\n---\nUse the lookup tool.\n")
        .file("guardrails/safety/no-pii.yaml", "description: No PII.\nseverity: critical\ncontent: Never ask for card numbers.\n")
        .file(
            "arcs/story/journey.toml",
            "[[stages]]\nname = \"call\"\nparts = [\"goal-help\"]\n\n[[stages]]\nname = \"trial\"\nparts = [\"goal-close\"]\n",
        )
        .file(
            "personas/bases/deep/root.toml",
            "abstract = true\nsummary = \"The root.\"\nparts = [\"tone-warm\"]\nguardrails = [\"no-pii\"]\n",
        )
        .file(
            "personas/bases/support.md",
            "+++\nabstract = true\nextends = \"root\"\nsummary = \"Support.\"\ntraits = [\"kind\"]\nruntime_vars = [\"user_name\"]\n+++\nYou support customers of {{ company }}.\n",
        )
        .file(
            "personas/team/maya.toml",
            "version = \"1.2.0\"\nextends = \"support\"\nsummary = \"Maya helps.\"\nskills = [\"lookup\"]\narc = { name = \"journey\" }\n\n[channels.voice]\noverrides = { tone = \"tone-spoken\" }\n",
        )
        .file("personas/other.toml", "version = \"1.0.0\"\nsummary = \"Other.\"\nparts = [\"goal-unused\"]\n")
}

/// `show` and `manifest` read only what the persona reaches; what they print
/// is what a build of the whole repository writes, for every stage and
/// channel, with ancestors and parts in sub-folders.
#[test]
fn show_reaches_ancestors_and_parts_in_sub_folders() {
    let repo = nested();
    repo.run(&["build"]).success();
    let built = |rel: &str| repo.read(&format!("build-output/maya/{rel}"));
    let show = |args: &[&str]| repo.run(&[&["show", "maya"], args].concat()).success().stdout;

    assert_eq!(show(&[]), built("detail.md"));
    // It read the config, maya, her two bases, four parts (one through the
    // arc, one through the channel), a trait, a skill, a guardrail and the
    // arc: 12 of the 14 files.
    let verbose = repo.run(&["-v", "show", "maya"]).success();
    assert!(verbose.stderr.contains("Reached 12 of 14 source files"), "{}", verbose.stderr);
    assert!(!verbose.stderr.contains("Loaded"), "{}", verbose.stderr);
    assert_eq!(show(&["--view", "summary"]), built("summary.md"));
    assert_eq!(show(&["--stage", "trial"]), built("stages/trial/detail.md"));
    assert_eq!(show(&["--channel", "voice"]), built("channels/voice/detail.md"));
    assert_eq!(repo.run(&["manifest", "maya"]).success().stdout, built("manifest.json"));
    // What each of them holds, from every folder.
    let detail = built("detail.md");
    for text in ["Be warm for Acme.", "You support customers of Acme.", "Be kind.", "Use the lookup tool.", "Never ask for card numbers."] {
        assert!(detail.contains(text), "{text} missing from\n{detail}");
    }
    assert!(built("channels/voice/detail.md").contains("Speak plainly."));
    assert!(built("stages/trial/detail.md").contains("Close the case."));
    assert!(!detail.contains("Never shown."));

    // A runtime override names a part the persona does not link.
    let overridden = show(&["--override", "tone=tone-spoken"]);
    assert!(overridden.contains("Speak plainly.") && !overridden.contains("Be warm"), "{overridden}");

    // `get` with a persona's variables reaches the persona too.
    let got = repo.run(&["get", "part", "goal-help", "--persona", "maya"]).success().stdout;
    assert!(got.contains("Help {{ user_name }} well."), "{got}");
    let got = repo.run(&["get", "part", "tone-warm", "--format", "json"]).success().stdout;
    assert!(got.contains("Be warm for Acme."), "{got}");
}

/// A broken file the persona does not reach does not stop `show`; one it
/// reaches is reported as a whole-repository load reports it, and an unknown
/// name gets suggestions from every name.
#[test]
fn show_reports_what_it_reaches_as_a_full_load_does() {
    let repo = nested().file("parts/unused/broken.md", "+++\ntype = \"goal\"\nsummary = \n+++\nBroken.\n");
    let detail = repo.run(&["show", "maya"]).success().stdout;
    assert!(detail.contains("Be warm for Acme."));
    repo.run(&["build"]).failure();

    repo.remove("parts/unused/broken.md");
    repo.write("parts/tone/deep/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm for {{ compnay }}.\n");
    let show = repo.run(&["show", "maya"]).failure();
    let build = repo.run(&["check"]).failure();
    assert!(show.stderr.contains("parts/tone/deep/tone-warm.md:5:"), "{}", show.stderr);
    assert!(show.stderr.contains("compnay"), "{}", show.stderr);
    assert!(build.stderr.contains("parts/tone/deep/tone-warm.md:5:"), "{}", build.stderr);

    let unknown = repo.run(&["-v", "show", "mya"]).code(2);
    assert!(unknown.stderr.contains("Loaded all 14 source files"), "{}", unknown.stderr);
    assert!(unknown.stderr.contains("did you mean `maya`?"), "{}", unknown.stderr);
    let unknown = repo.run(&["show", "maya", "--override", "tone=tone-spokn"]).code(2);
    assert!(unknown.stderr.contains("did you mean `tone-spoken`?"), "{}", unknown.stderr);
}

/// An edit is validated against the personas whose inputs it changes, as
/// `index.json` records them: here a persona that reaches the edited file
/// only through `extends`. The others are not compiled again.
#[test]
fn an_edit_is_validated_through_extends_and_only_where_it_reaches() {
    let mut repo = Repo::new()
        .file("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n")
        .file("parts/goal-plain.md", "+++\ntype = \"goal\"\nsummary = \"Help.\"\n+++\nHelp.\n")
        .file("parts/goal-sell.md", "+++\ntype = \"goal\"\nsummary = \"Sell.\"\n+++\nSell {{ product }}.\n")
        .file("personas/support.toml", "abstract = true\nsummary = \"Support.\"\nparts = [\"tone-warm\"]\n")
        .file("personas/maya.toml", "version = \"1.0.0\"\nextends = \"support\"\nsummary = \"Maya.\"\n");
    for i in 0..20 {
        repo = repo.file(&format!("personas/p{i:02}.toml"), "version = \"1.0.0\"\nsummary = \"P.\"\nparts = [\"tone-warm\"]\n");
    }
    repo.run(&["build"]).success();

    // A good edit of the parent: only maya, its one heir, is compiled.
    let run = repo.run(&["-v", "link", "support", "--part", "goal-plain"]).success();
    assert!(run.stderr.contains("compiled 1 of 21 personas"), "{}", run.stderr);
    assert!(repo.read("personas/support.toml").contains("goal-plain"));

    // A part whose text needs `product`, which maya does not define: linked
    // to her parent, it would break her. Refused, and nothing is written.
    let before = repo.read("personas/support.toml");
    let refused = repo.run(&["link", "support", "--part", "goal-sell"]).failure();
    assert!(refused.stderr.contains("product") && refused.stderr.contains("maya"), "{}", refused.stderr);
    assert_eq!(repo.read("personas/support.toml"), before);

    // A persona changed by hand since the build is compiled too: its inputs
    // are no longer the recorded ones.
    repo.write("personas/p05.toml", "version = \"1.0.0\"\nsummary = \"P {{ missing }}.\"\nparts = [\"tone-warm\"]\n");
    let refused = repo.run(&["link", "maya", "--part", "goal-plain"]).failure();
    assert!(refused.stderr.contains("personas/p05.toml") && refused.stderr.contains("missing"), "{}", refused.stderr);
    repo.write("personas/p05.toml", "version = \"1.0.0\"\nsummary = \"P5.\"\nparts = [\"tone-warm\"]\n");
    let run = repo.run(&["-v", "link", "maya", "--part", "goal-plain"]).success();
    assert!(run.stderr.contains("compiled 2 of 21 personas"), "{}", run.stderr);
    // Back to the built text, the parent no longer differs: only p05 and
    // maya (changed since the build) are compiled.
    let run = repo.run(&["-v", "unlink", "support", "--part", "goal-plain"]).success();
    assert!(run.stderr.contains("compiled 2 of 21 personas"), "{}", run.stderr);

    // Without a build to compare with, every persona is compiled.
    std::fs::remove_dir_all(repo.path().join("build-output")).unwrap();
    let run = repo.run(&["-v", "link", "support", "--part", "goal-plain"]).success();
    assert!(run.stderr.contains("compiled 21 of 21 personas"), "{}", run.stderr);
}

/// A rebuild whose sources all hash as `index.json` records compiles
/// nothing, and says what a full build that wrote nothing says. Whatever
/// differs (a source, an artifact or export file edited by hand, a stamp)
/// takes the full build.
#[test]
fn an_unchanged_rebuild_is_decided_without_compiling() {
    let repo = nested().file("personac.toml", "[vars]\ncompany = \"Acme\"\n\n[export.claude-code]\nout = \".claude/agents\"\n");
    repo.run(&["build"]).success();
    let fast = repo.run(&["-v", "build"]).success();
    assert!(fast.stderr.contains("sources unchanged since the last build"), "{}", fast.stderr);
    assert!(fast.stderr.contains("Compiled 2 personas into build-output (up to date)"), "{}", fast.stderr);
    let fast_json = repo.run(&["build", "--format", "json"]).success().stdout;

    // An artifact rewritten by hand with the same bytes is newer than the
    // index: the full build runs, finds the bytes right and writes nothing.
    let detail = repo.read("build-output/maya/detail.md");
    std::thread::sleep(std::time::Duration::from_millis(20));
    repo.write("build-output/maya/detail.md", &detail);
    let full = repo.run(&["-v", "build", "--format", "json"]).success();
    assert_eq!(full.stdout, fast_json, "the report of the decided no-op is that of a full one");
    // It left the folder as a build from scratch would.
    let kept = repo.tree("build-output");
    std::fs::remove_dir_all(repo.path().join("build-output")).unwrap();
    repo.run(&["build"]).success();
    assert_eq!(repo.tree("build-output"), kept);

    // An export edited by hand is restored.
    let export = repo.read(".claude/agents/maya.md");
    repo.write(".claude/agents/maya.md", "mine\n");
    let run = repo.run(&["-v", "build"]).success();
    assert!(run.stderr.contains("Exported .claude/agents/maya.md"), "{}", run.stderr);
    assert_eq!(repo.read(".claude/agents/maya.md"), export);

    // A file no persona uses counts: broken, it fails the build.
    repo.write("parts/unused/broken.md", "+++\ntype = \"goal\"\nsummary = \n+++\nBroken.\n");
    let run = repo.run(&["build"]).failure();
    assert!(run.stderr.contains("parts/unused/broken.md:3:"), "{}", run.stderr);
    repo.remove("parts/unused/broken.md");
    repo.run(&["build"]).success();
    // Only the one artifact edited by hand is written back.
    repo.write("build-output/other/summary.md", "edited\n");
    let run = repo.run(&["build", "--format", "json"]).success();
    assert!(run.stdout.contains(r#""written":["other/summary.md"]"#), "{}", run.stdout);
}

/// Once a build has marked `index.json`, the next one tells from the
/// sources' change times alone that none changed, and reads none. Anything
/// that changes a source changes its change time, even a rewrite that puts
/// the old modification time back, a new folder or a removed one; an
/// `index.json` that no build marked is not trusted.
#[test]
fn marked_sources_are_trusted_until_one_of_them_changes() {
    // With every top-level source folder present, the repository root's
    // own change time (the output folder was made in it) plays no part.
    let repo = nested().file("templates/README.txt", "Layouts go here.\n");
    repo.run(&["build"]).success();
    let told = |repo: &Repo| repo.run(&["-v", "build"]).success().stderr.contains("(told by their change times)");
    assert!(told(&repo), "the build after a build reads no source");

    // Rewritten with its old modification time put back, as `touch -d`,
    // `cp -p` or an archive can do: the change time is new all the same.
    let warm = repo.path().join("parts/tone/deep/tone-warm.md");
    let old = std::fs::metadata(&warm).unwrap().modified().unwrap();
    repo.write("parts/tone/deep/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe very warm for {{ company }}.\n");
    std::fs::File::options().write(true).open(&warm).unwrap().set_modified(old).unwrap();
    let run = repo.run(&["-v", "build"]).success();
    assert!(run.stderr.contains("Wrote build-output/maya/detail.md"), "{}", run.stderr);
    assert!(repo.read("build-output/maya/detail.md").contains("Be very warm for Acme."));
    assert!(told(&repo), "the build that compiled marked the index again");

    // A file in a new folder deep down.
    repo.write("parts/goals/new/deeper/broken.md", "+++\ntype = \"goal\"\nsummary = \n+++\nBroken.\n");
    let run = repo.run(&["build"]).failure();
    assert!(run.stderr.contains("parts/goals/new/deeper/broken.md:3:"), "{}", run.stderr);
    std::fs::remove_dir_all(repo.path().join("parts/goals/new")).unwrap();
    repo.run(&["build"]).success();
    assert!(told(&repo));

    // A top-level folder removed as a whole: only the root's change time
    // says so.
    std::fs::remove_dir_all(repo.path().join("guardrails")).unwrap();
    let run = repo.run(&["build"]).failure();
    assert!(run.stderr.contains("no-pii"), "{}", run.stderr);
    repo.write("guardrails/safety/no-pii.yaml", "description: No PII.\nseverity: critical\ncontent: Never ask for card numbers.\n");
    repo.run(&["build"]).success();
    assert!(told(&repo));

    // An index.json written by anything but a build (a checkout, a copy)
    // carries no mark: the sources are read, then it is marked.
    let index = repo.read("build-output/index.json");
    repo.write("build-output/index.json", &index);
    let run = repo.run(&["-v", "build"]).success();
    assert!(run.stderr.contains("(read and hashed, then marked"), "{}", run.stderr);
    assert!(told(&repo));
}
