//! The layer rule at every layer, seen through `show --format json`.

use serde_json::Value;

use crate::support::Repo;

/// A repository with parts of several types to assemble.
fn parts() -> Repo {
    let mut repo = Repo::new();
    for (name, t) in [
        ("sys", "system"),
        ("tone-warm", "tone"),
        ("tone-brisk", "tone"),
        ("tone-formal", "tone"),
        ("tone-spoken", "tone"),
        ("goal-help", "goal"),
        ("goal-sell", "goal"),
        ("goal-quest", "goal"),
        ("flaw-pride", "flaw"),
        ("ctx", "context"),
    ] {
        repo = repo.file(&format!("parts/{t}/{name}.toml"), &format!("type = \"{t}\"\nsummary = \"{name} summary\"\n"));
    }
    repo.file(
        "personas/base.toml",
        r#"version = "1.0.0"
summary = "Base."
parts = [
  { name = "sys", order = 0, priority = 9 },
  { name = "tone-warm", order = 20, priority = 5 },
  { name = "tone-brisk", order = 25, priority = 4 },
  { name = "goal-help", order = 30, priority = 7 },
  { name = "ctx", order = 40, priority = 1 },
]
"#,
    )
}

fn show(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["show"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let run = repo.run(&all).success();
    serde_json::from_str(&run.stdout).unwrap()
}

/// The assembled parts as `name@order/priority`.
fn assembly(repo: &Repo, args: &[&str]) -> Vec<String> {
    let shown = show(repo, args);
    shown["parts"].as_array().unwrap().iter().map(|p| format!("{}@{}/{}", p["name"].as_str().unwrap(), p["order"], p["priority"])).collect()
}

#[test]
fn parts_are_assembled_by_order_ties_in_declaration_order() {
    let repo = parts().file(
        "personas/p.toml",
        "version = \"1.0.0\"\nsummary = \"s\"\nparts = [{ name = \"ctx\", order = 5 }, \"goal-help\", \"sys\", { name = \"tone-warm\", order = 5 }]\n",
    );
    assert_eq!(assembly(&repo, &["p"]), ["goal-help@0/0", "sys@0/0", "ctx@5/0", "tone-warm@5/0"]);
}

#[test]
fn a_child_replaces_every_inherited_part_of_a_type_at_the_first_ones_place() {
    let repo = parts().file("personas/child.toml", "version = \"1.0.0\"\nextends = \"base\"\nparts = [\"tone-formal\"]\n");
    assert_eq!(assembly(&repo, &["child"]), ["sys@0/9", "tone-formal@20/5", "goal-help@30/7", "ctx@40/1"]);
}

#[test]
fn a_childs_own_order_and_priority_win_over_the_inherited_place() {
    let repo = parts().file(
        "personas/child.toml",
        "version = \"1.0.0\"\nextends = \"base\"\nparts = [{ name = \"tone-formal\", order = 50, priority = 2 }]\n",
    );
    assert_eq!(assembly(&repo, &["child"]), ["sys@0/9", "goal-help@30/7", "ctx@40/1", "tone-formal@50/2"]);
}

#[test]
fn types_a_layer_does_not_name_pass_through_and_new_types_use_their_own_order() {
    let repo =
        parts().file("personas/child.toml", "version = \"1.0.0\"\nextends = \"base\"\nparts = [{ name = \"flaw-pride\", order = 35 }]\n");
    assert_eq!(
        assembly(&repo, &["child"]),
        ["sys@0/9", "tone-warm@20/5", "tone-brisk@25/4", "goal-help@30/7", "flaw-pride@35/0", "ctx@40/1"]
    );
}

#[test]
fn ancestors_apply_furthest_first() {
    let repo = parts()
        .file("personas/mid.toml", "version = \"1.0.0\"\nextends = \"base\"\nparts = [\"goal-sell\"]\n")
        .file("personas/leaf.toml", "version = \"2.0.0\"\nextends = \"mid\"\nparts = [\"tone-spoken\"]\n");
    assert_eq!(assembly(&repo, &["leaf"]), ["sys@0/9", "tone-spoken@20/5", "goal-sell@30/7", "ctx@40/1"]);
}

#[test]
fn the_arc_stage_replaces_its_types_and_adds_new_ones_last() {
    let repo = parts()
        .file(
            "arcs/journey.toml",
            "[[stages]]\nname = \"call\"\nparts = [\"goal-quest\"]\n\n[[stages]]\nname = \"fall\"\nparts = [\"flaw-pride\"]\n",
        )
        .file("personas/hero.toml", "version = \"1.0.0\"\nextends = \"base\"\narc = { name = \"journey\" }\n");
    // The first stage is the default.
    assert_eq!(assembly(&repo, &["hero"]), ["sys@0/9", "tone-warm@20/5", "tone-brisk@25/4", "goal-quest@30/7", "ctx@40/1"]);
    assert_eq!(
        assembly(&repo, &["hero", "--stage", "fall"]),
        ["sys@0/9", "tone-warm@20/5", "tone-brisk@25/4", "goal-help@30/7", "ctx@40/1", "flaw-pride@40/0"]
    );
    assert_eq!(show(&repo, &["hero", "--stage", "fall"])["stage"], "fall");
}

#[test]
fn a_channel_overrides_its_types_and_sets_its_vars() {
    let repo = parts().file(
        "personas/voice.toml",
        "version = \"1.0.0\"\nextends = \"base\"\ndetail = \"Style: {{ style }}.\"\n[vars]\nstyle = \"written\"\n\n[channels.voice]\noverrides = { tone = \"tone-spoken\" }\nvars = { style = \"spoken\" }\n",
    );
    assert_eq!(assembly(&repo, &["voice", "--channel", "voice"]), ["sys@0/9", "tone-spoken@20/5", "goal-help@30/7", "ctx@40/1"]);
    let text = show(&repo, &["voice", "--channel", "voice"])["text"].as_str().unwrap().to_string();
    assert!(text.contains("Style: spoken."), "{text}");
    let text = show(&repo, &["voice"])["text"].as_str().unwrap().to_string();
    assert!(text.contains("Style: written."), "{text}");
}

#[test]
fn runtime_overrides_are_the_top_layer_and_write_nothing() {
    let repo = parts().file(
        "personas/voice.toml",
        "version = \"1.0.0\"\nextends = \"base\"\n\n[channels.voice]\noverrides = { tone = \"tone-spoken\" }\n",
    );
    let before = repo.tree("");
    assert_eq!(
        assembly(&repo, &["voice", "--channel", "voice", "--override", "tone=tone-formal", "--override", "goal=goal-sell"]),
        ["sys@0/9", "tone-formal@20/5", "goal-sell@30/7", "ctx@40/1"]
    );
    assert_eq!(repo.tree(""), before);
}

#[test]
fn types_then_limit_filter_the_assembly() {
    let repo = parts();
    assert_eq!(assembly(&repo, &["base", "--types", "tone,goal"]), ["tone-warm@20/5", "tone-brisk@25/4", "goal-help@30/7"]);
    // The three highest priorities, still in assembly order.
    assert_eq!(assembly(&repo, &["base", "--limit", "3"]), ["sys@0/9", "tone-warm@20/5", "goal-help@30/7"]);
    assert_eq!(assembly(&repo, &["base", "--types", "tone,context", "--limit", "2"]), ["tone-warm@20/5", "tone-brisk@25/4"]);
}

#[test]
fn limit_ties_keep_the_earlier_part() {
    let repo = parts().file("personas/flat.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"ctx\", \"sys\", \"goal-help\"]\n");
    assert_eq!(assembly(&repo, &["flat", "--limit", "2"]), ["ctx@0/0", "sys@0/0"]);
}

#[test]
fn inheritance_unions_links_merges_vars_and_inherits_texts() {
    let repo = parts()
        .file("traits/calm.yaml", "type: emotional\ndescription: Calm.\n")
        .file("traits/curious.yaml", "type: cognitive\ndescription: Curious.\n")
        .file("skills/lookup.yaml", "description: Looks things up.\n")
        .file("guardrails/no-pii.yaml", "description: No PII.\nseverity: critical\n")
        .file(
            "personas/mid.toml",
            "version = \"1.0.0\"\nsummary = \"Mid summary {{ a }} {{ b }}.\"\ntraits = [\"calm\"]\nskills = [\"lookup\"]\ntags = [\"one\"]\n[vars]\na = \"mid-a\"\nb = \"mid-b\"\n",
        )
        .file(
            "personas/leaf.toml",
            "version = \"3.0.0\"\nextends = \"mid\"\ntraits = [\"curious\", \"calm\"]\nguardrails = [\"no-pii\"]\ntags = [\"two\", \"one\"]\n[vars]\nb = \"leaf-b\"\n",
        );
    let shown = show(&repo, &["leaf", "--view", "summary"]);
    assert_eq!(shown["traits"], serde_json::json!(["calm", "curious"]));
    assert_eq!(shown["skills"], serde_json::json!(["lookup"]));
    assert_eq!(shown["guardrails"], serde_json::json!(["no-pii"]));
    assert_eq!(shown["version"], "3.0.0");
    assert!(shown["text"].as_str().unwrap().contains("Mid summary mid-a leaf-b."), "{}", shown["text"]);
    let got: Value = serde_json::from_str(&repo.run(&["get", "persona", "leaf", "--format", "json"]).success().stdout).unwrap();
    assert_eq!(got["tags"], serde_json::json!(["one", "two"]));
}

#[test]
fn runtime_vars_stay_for_the_caller_unless_given() {
    let repo = Repo::new()
        .file("personas/p.md", "+++\nversion = \"1.0.0\"\nsummary = \"s\"\nruntime_vars = [\"user_name\"]\n+++\nHello {{ user_name }}!\n");
    let text = repo.run(&["show", "p"]).success().stdout;
    assert!(text.contains("Hello {{ user_name }}!"), "{text}");
    let text = repo.run(&["show", "p", "--var", "user_name=Ada"]).success().stdout;
    assert!(text.contains("Hello Ada!"), "{text}");
}

#[test]
fn command_line_vars_win_over_every_other_layer() {
    let repo = Repo::new()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\n")
        .file("personas/p.toml", "version = \"1.0.0\"\nsummary = \"For {{ company }}.\"\n");
    assert!(repo.run(&["show", "p"]).success().stdout.contains("For Acme."));
    assert!(repo.run(&["show", "p", "--var", "company=Globex"]).success().stdout.contains("For Globex."));
}

/// The assembled parts as `name@order/priority <layer>`.
fn layered(repo: &Repo, args: &[&str]) -> Vec<String> {
    let shown = show(repo, args);
    shown["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}@{}/{} {}", p["name"].as_str().unwrap(), p["order"], p["priority"], p["layer"].as_str().unwrap()))
        .collect()
}

/// `mode = "append"` at every layer: a grandparent's parts, a parent that
/// appends, a child that appends with its own place, a stage that appends,
/// and the layers above that replace (a stage that replaces, a channel, a
/// runtime override). Each part says the layer it came from.
#[test]
fn an_appended_part_joins_its_type_at_every_layer() {
    let repo = parts()
        .file("personas/mid.toml", "version = \"1.0.0\"\nextends = \"base\"\nparts = [{ name = \"tone-formal\", mode = \"append\" }]\n")
        .file(
            "arcs/quest.toml",
            "[[stages]]\nname = \"start\"\nparts = [{ name = \"goal-quest\", mode = \"append\" }]\n\n[[stages]]\nname = \"later\"\nparts = [\"goal-sell\"]\n",
        )
        .file(
            "personas/child.toml",
            r#"version = "1.0.0"
extends = "mid"
parts = [{ name = "tone-spoken", mode = "append", order = 26, priority = 2 }]
arc = { name = "quest" }

[channels.voice]
overrides = { tone = "tone-warm" }
"#,
        );
    // The parent appends after the last inherited tone, with its place.
    assert_eq!(
        layered(&repo, &["mid"]),
        [
            "sys@0/9 ancestor:base",
            "tone-warm@20/5 ancestor:base",
            "tone-brisk@25/4 ancestor:base",
            "tone-formal@25/4 own",
            "goal-help@30/7 ancestor:base",
            "ctx@40/1 ancestor:base",
        ]
    );
    // The child appends with its own order and priority; the first stage
    // appends a goal beside the inherited one.
    assert_eq!(
        layered(&repo, &["child"]),
        [
            "sys@0/9 ancestor:base",
            "tone-warm@20/5 ancestor:base",
            "tone-brisk@25/4 ancestor:base",
            "tone-formal@25/4 ancestor:mid",
            "tone-spoken@26/2 own",
            "goal-help@30/7 ancestor:base",
            "goal-quest@30/7 stage:start",
            "ctx@40/1 ancestor:base",
        ]
    );
    // A stage that replaces removes every goal, appended ones included.
    let later = layered(&repo, &["child", "--stage", "later"]);
    assert!(later.contains(&"goal-sell@30/7 stage:later".to_string()) && !later.iter().any(|p| p.starts_with("goal-help")), "{later:?}");
    // A channel's override replaces all four tones at the first one's place.
    let voiced = layered(&repo, &["child", "--channel", "voice"]);
    assert_eq!(voiced.iter().filter(|p| p.starts_with("tone-")).collect::<Vec<_>>(), ["tone-warm@20/5 channel:voice"]);
    // A runtime override does the same, above the channel.
    let overridden = layered(&repo, &["child", "--channel", "voice", "--override", "tone=tone-brisk"]);
    assert_eq!(overridden.iter().filter(|p| p.starts_with("tone-")).collect::<Vec<_>>(), ["tone-brisk@20/5 override"]);
    // A layer that both appends and replaces a type replaces it.
    let mixed = parts().file(
        "personas/mixed.toml",
        "version = \"1.0.0\"\nextends = \"base\"\nparts = [{ name = \"tone-formal\", mode = \"append\" }, \"tone-spoken\"]\n",
    );
    let shown = layered(&mixed, &["mixed"]);
    assert_eq!(shown.iter().filter(|p| p.starts_with("tone-")).collect::<Vec<_>>(), ["tone-formal@20/5 own", "tone-spoken@20/5 own"]);
}
