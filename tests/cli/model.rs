//! What real agents contain, modelled without loss: JSON files, abstract
//! bases, titles, appended parts, runtime settings, literal text, tidy
//! whitespace, on-demand loading, rendered fetches, and edits that keep a
//! file's layout.

use serde_json::{Value, json};

use crate::support::Repo;

fn json_of(run: crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// A family: an abstract base with a shared protocol part and runtime
/// settings, and two concrete agents.
fn family() -> Repo {
    Repo::new()
        .file("personac.toml", "[vars]\ncompany = \"Acme\"\nrefund_limit = \"$150\"\n")
        .file("parts/protocol-base.md", "+++\ntype = \"protocol\"\ntitle = \"Development Workflow\"\nsummary = \"How work flows.\"\n+++\nPlan, then build, then test.\n")
        .file("parts/protocol-review.toml", "type = \"protocol\"\ntitle = \"Communication Protocol\"\nsummary = \"How to report.\"\ncontent = \"Report in three lines.\"\n")
        .file("parts/protocol-plain.toml", "type = \"protocol\"\nsummary = \"Plain protocol.\"\n")
        .file("parts/tone-calm.toml", "type = \"tone\"\nsummary = \"Calm.\"\n")
        .file("guardrails/refund-limit.toml", "description = \"Refund limit.\"\ncontent = \"Refunds up to {{ refund_limit }} only.\"\n")
        .file("skills/deploy.md", "---\ndescription: How to deploy, step by step.\n---\nRun the deploy for {{ company }} with `make deploy`.\n")
        .file(
            "personas/plugin-base.json",
            r#"{
  "abstract": true,
  "summary": "A plugin agent.",
  "tags": ["plugin"],
  "parts": ["protocol-base", "tone-calm"],
  "guardrails": ["refund-limit"],
  "model": "sonnet",
  "tools": ["Read", "Grep", "mcp__github__create_issue"],
  "metadata": { "color": "blue", "temperature": 0.2, "verbose": true }
}
"#,
        )
        .file(
            "personas/reviewer.toml",
            "version = \"1.0.0\"\ntitle = \"Mary, Code Reviewer\"\nextends = \"plugin-base\"\ndescription = \"Reviews code\"\ntags = [\"review\"]\nparts = [{ name = \"protocol-review\", mode = \"append\" }]\nskills = [{ name = \"deploy\", load = \"on_demand\" }]\n\n[metadata]\ncolor = \"red\"\n",
        )
        .file("personas/writer.yaml", "version: 1.0.0\nextends: plugin-base\ndescription: Writes docs\ntools: []\nparts:\n- protocol-plain\n")
}

#[test]
fn json_definitions_build_with_exact_positions() {
    let repo = family();
    repo.run(&["build"]).success();
    assert!(repo.read("build-output/reviewer/detail.md").contains("Plan, then build, then test."));
    repo.write("parts/tone-calm.json", "{\n  \"type\": \"tone\",\n  \"summary\": 42\n}\n");
    repo.remove("parts/tone-calm.toml");
    let run = repo.run(&["check"]).failure();
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn abstract_bases_are_checked_and_extended_but_never_built_or_served() {
    let repo = family();
    repo.run(&["build"]).success();
    let built: Vec<String> = repo.tree("build-output").into_keys().filter(|p| p.ends_with("manifest.json")).collect();
    assert_eq!(built, ["reviewer/manifest.json", "writer/manifest.json"]);
    let run = repo.run(&["show", "plugin-base"]).code(2);
    assert_eq!(
        run.stderr,
        "error: persona `plugin-base` is abstract: a base to extend, never compiled on its own\n  help: the personas built on it: reviewer, writer\n"
    );
    let listed = json_of(repo.run(&["list", "persona", "--format", "json"]).success());
    assert_eq!(listed[0]["name"], "plugin-base");
    assert_eq!(listed[0]["abstract"], true);
    assert!(listed[1].get("abstract").is_none());
    // Checked like any persona: its links resolve.
    repo.write("personas/plugin-base.json", "{ \"abstract\": true, \"parts\": [\"protocl-base\"] }\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("unknown part `protocl-base`") && run.stderr.contains("did you mean `protocol-base`?"), "{}", run.stderr);
}

#[test]
fn abstract_bases_are_never_version_gated() {
    let repo = family().git_init();
    repo.commit("base");
    // A change to the base alone changes no artifact of its own; its
    // children's artifacts do not change either (the base's summary is
    // overridden by nobody, so change something only the base shows: tags).
    let text = repo.read("personas/plugin-base.json").replace("\"plugin\"", "\"plugins\"");
    repo.write("personas/plugin-base.json", &text);
    repo.commit("retag");
    let run = repo.run(&["check", "--base", "HEAD~1"]).failure();
    assert!(!run.stderr.contains("`plugin-base`"), "{}", run.stderr);
    assert!(run.stderr.contains("persona `reviewer`"), "{}", run.stderr);
}

#[test]
fn titles_head_views_and_titled_parts_get_their_own_headings() {
    let repo = family();
    let detail = repo.run(&["show", "reviewer"]).success().stdout;
    insta::assert_snapshot!(detail);
    assert!(detail.starts_with("# Mary, Code Reviewer\n"));
    assert!(detail.contains("## Development Workflow\n") && detail.contains("## Communication Protocol\n"));
    // Untitled parts of one type share their type's heading; the default
    // title is the name, title-cased.
    assert!(repo.run(&["show", "writer"]).success().stdout.starts_with("# Writer\n"));
}

#[test]
fn runtime_settings_are_inherited_shown_and_never_rendered() {
    let repo = family();
    repo.run(&["build"]).success();
    let manifest: Value = serde_json::from_str(&repo.read("build-output/reviewer/manifest.json")).unwrap();
    assert_eq!(manifest["model"], "sonnet");
    assert_eq!(manifest["tools"], json!(["Read", "Grep", "mcp__github__create_issue"]));
    // metadata merges, the child winning.
    assert_eq!(manifest["metadata"], json!({ "color": "red", "temperature": 0.2, "verbose": true }));
    // An empty tool list is kept apart from an absent one.
    let writer: Value = serde_json::from_str(&repo.read("build-output/writer/manifest.json")).unwrap();
    assert_eq!(writer["tools"], json!([]));
    let shown = json_of(repo.run(&["show", "reviewer", "--format", "json"]).success());
    assert_eq!(shown["model"], "sonnet");
    assert_eq!(shown["metadata"]["color"], "red");
    for view in ["detail.md", "summary.md"] {
        let text = repo.read(&format!("build-output/reviewer/{view}"));
        assert!(!text.contains("sonnet") && !text.contains("mcp__github"), "{view} shows a runtime setting");
    }
    // Tags are unions, and `list --tag` filters on the resolved ones.
    let tagged = json_of(repo.run(&["list", "persona", "--tag", "plugin", "--format", "json"]).success());
    let names: Vec<&str> = tagged.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["plugin-base", "reviewer", "writer"]);
    assert_eq!(tagged[1]["tags"], json!(["plugin", "review"]));
    // Metadata holds plain values only.
    repo.write("personas/writer.yaml", "version: 1.0.0\nextends: plugin-base\nmetadata:\n  voice: { speed: 2 }\n");
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains("metadata `voice` must be a string, a number or a boolean, found a table"), "{}", run.stderr);
}

#[test]
fn on_demand_links_are_listed_and_only_their_listing_counts() {
    let long = "Deploy carefully. ".repeat(400);
    let repo = family().file("skills/deploy.md", &format!("---\ndescription: How to deploy, step by step.\n---\n{long}\n"));
    let detail = repo.run(&["show", "reviewer"]).success().stdout;
    assert!(!detail.contains("Deploy carefully."), "an on-demand skill was inlined");
    assert!(
        detail
            .contains("- **Deploy** (`deploy`, skill; fetch with `get_agent_skill`, `persona`: `reviewer`): How to deploy, step by step."),
        "{detail}"
    );
    let manifest = json_of(repo.run(&["manifest", "reviewer"]).success());
    assert_eq!(
        manifest["on_demand"],
        json!([{ "kind": "skill", "name": "deploy", "path": "on_demand/skill/deploy.md", "tool": "get_agent_skill" }])
    );
    // Its text is compiled into the persona's folder, with the persona's vars.
    repo.run(&["build"]).success();
    assert_eq!(repo.read("build-output/reviewer/on_demand/skill/deploy.md"), format!("{}\n", long.trim_end()));
    // A budget the inlined skill would break holds with the listing; the
    // agent's own parts are all kept.
    let budgeted = repo.read("personas/reviewer.toml").replace("[metadata]", "budget = { max_tokens = 400 }\n\n[metadata]");
    repo.write("personas/reviewer.toml", &budgeted);
    let shown = json_of(repo.run(&["show", "reviewer", "--format", "json"]).success());
    assert_eq!(shown["dropped"], json!([]));
    assert!(shown["tokens"].as_u64().unwrap() <= 400);
    // Inlined, the same skill is over the budget.
    repo.write("personas/reviewer.toml", &budgeted.replace("{ name = \"deploy\", load = \"on_demand\" }", "\"deploy\""));
    repo.run(&["show", "reviewer"]).failure();
}

#[test]
fn literal_text_stays_as_written() {
    let text = "Fill {{CompanyName}} and ${{ matrix.node-version }}, {{user1}}, ${#arr[@]}, see {#id} and {% raw %}.";
    let repo = family().file(
        "parts/context-literal.toml",
        &format!("type = \"context\"\nsummary = \"Literal.\"\ntemplate = false\ncontent = '''\n{text}\n'''\n"),
    );
    let persona = repo.read("personas/reviewer.toml").replace("mode = \"append\" }]", "mode = \"append\" }, \"context-literal\"]");
    repo.write("personas/reviewer.toml", &persona);
    let detail = repo.run(&["show", "reviewer"]).success().stdout;
    assert!(detail.contains(text), "{detail}");
    // The same text as a template: undefined variables, with the way out.
    repo.write("parts/context-literal.toml", "type = \"context\"\nsummary = \"Literal.\"\ncontent = \"Fill {{CompanyName}} now.\"\n");
    let run = repo.run(&["show", "reviewer"]).failure();
    insta::assert_snapshot!("literal_undefined", run.stderr);
    // An unterminated {# points at the {#.
    repo.write("parts/context-literal.toml", "type = \"context\"\nsummary = \"See {#id} below.\"\n");
    let run = repo.run(&["check"]).failure();
    insta::assert_snapshot!("literal_unterminated_comment", run.stderr);
    // A comment that does close is a lint warning.
    repo.write("parts/context-literal.toml", "type = \"context\"\nsummary = \"See {# the table #} below.\"\n");
    let run = repo.run(&["check"]).success();
    assert!(
        run.stderr.contains("warning[W0007]: a template comment in the `summary` of part `context-literal` is deleted from the prompt"),
        "{}",
        run.stderr
    );
}

#[test]
fn runtime_variables_can_only_be_used_bare() {
    let repo = family()
        .file("parts/context-greet.toml", "type = \"context\"\nsummary = \"Greet {{ user1 }} ({{ user1|upper }}).\"\n")
        .file("personas/greeter.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"context-greet\"]\nruntime_vars = [\"user1\"]\n");
    let run = repo.run(&["build"]).failure();
    insta::assert_snapshot!(run.stderr);
    // Bare, it is left for the caller.
    repo.write("parts/context-greet.toml", "type = \"context\"\nsummary = \"Greet {{ user1 }}.\"\n");
    assert!(repo.run(&["show", "greeter"]).success().stdout.contains("Greet {{ user1 }}."));
}

#[test]
fn block_tags_leave_no_blank_lines_behind() {
    let repo = Repo::new()
        .file(
            "parts/context-list.md",
            "+++\ntype = \"context\"\nsummary = \"Lists.\"\n+++\nItems:\n\n{% for item in items %}\n- {{ item }}\n{% endfor %}\n\n{% if urgent %}\nHurry.\n{% endif %}\n\n\n\nDone.   \n",
        )
        .file("personas/p.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"context-list\"]\n\n[vars]\nitems = [\"a\", \"b\", \"c\"]\nurgent = false\n");
    let detail = repo.run(&["show", "p"]).success().stdout;
    insta::assert_snapshot!(detail);
    assert!(!detail.contains("\n\n\n") && !detail.lines().any(|l| l.ends_with(' ')), "{detail:?}");
    assert!(detail.contains("Items:\n\n- a\n- b\n- c\n\nDone.\n"), "{detail:?}");
}

#[test]
fn fetched_texts_are_rendered_with_the_project_or_a_persona() {
    let repo = family()
        .file("parts/goal-tier.toml", "type = \"goal\"\nsummary = \"Serve {{ tier }} customers of {{ company }}, {{ user_name }}.\"\n")
        .file("personas/gold.toml", "version = \"1.0.0\"\nsummary = \"s\"\nparts = [\"goal-tier\"]\nruntime_vars = [\"user_name\"]\n\n[vars]\ntier = \"gold\"\n\n[channels.vip]\nvars = { tier = \"platinum\" }\n");
    let guardrail = json_of(repo.run(&["get", "guardrail", "refund-limit", "--format", "json"]).success());
    assert_eq!(guardrail["content"], "Refunds up to $150 only.");
    // Without a persona, a variable only a persona defines is left as
    // written and named: a fetch never fails for it.
    let part = json_of(repo.run(&["get", "part", "goal-tier", "--format", "json"]).success());
    assert_eq!(part["summary"], "Serve {{ tier }} customers of Acme, {{ user_name }}.");
    assert_eq!(part["unfilled"], json!(["tier", "user_name"]));
    let shown = repo.run(&["get", "part", "goal-tier"]).success().stdout;
    assert!(shown.contains("Left as written for a persona to fill: `tier`, `user_name`. Pass `--persona NAME`"), "{shown}");
    // One whose logic depends on such a variable is answered as written, and said so.
    repo.write(
        "parts/goal-tier.toml",
        "type = \"goal\"\nsummary = \"{% if tier == 'gold' %}Serve gold.{% endif %} Hi {{ user_name }}.\"\n",
    );
    let part = json_of(repo.run(&["get", "part", "goal-tier", "--format", "json"]).success());
    assert_eq!(part["summary"], "{% if tier == 'gold' %}Serve gold.{% endif %} Hi {{ user_name }}.");
    assert_eq!(part["unfilled"], json!(["tier", "user_name"]));
    assert_eq!(part["unrendered"], json!(["summary"]));
    let part = json_of(repo.run(&["get", "part", "goal-tier", "--persona", "gold", "--format", "json"]).success());
    assert_eq!(part["summary"], "Serve gold. Hi {{ user_name }}.");
    repo.write("parts/goal-tier.toml", "type = \"goal\"\nsummary = \"Serve {{ tier }} customers of {{ company }}, {{ user_name }}.\"\n");
    // A name that does not exist is a bad request.
    repo.run(&["get", "part", "goal-tierr"]).code(2);
    let part = json_of(repo.run(&["get", "part", "goal-tier", "--persona", "gold", "--format", "json"]).success());
    assert_eq!(part["summary"], "Serve gold customers of Acme, {{ user_name }}.");
    let part = json_of(repo.run(&["get", "part", "goal-tier", "--persona", "gold", "--channel", "vip", "--format", "json"]).success());
    assert_eq!(part["summary"], "Serve platinum customers of Acme, {{ user_name }}.");
    repo.run(&["get", "part", "goal-tier", "--persona", "nobody"]).code(2);
}

#[test]
fn edits_keep_a_json_files_layout() {
    let repo = family();
    let before = repo.read("personas/plugin-base.json");
    repo.run(&["link", "plugin-base", "--skill", "deploy"]).success();
    let after = repo.read("personas/plugin-base.json");
    assert_eq!(
        after,
        before.replace(
            "  \"metadata\": { \"color\": \"blue\", \"temperature\": 0.2, \"verbose\": true }\n",
            "  \"metadata\": { \"color\": \"blue\", \"temperature\": 0.2, \"verbose\": true },\n  \"skills\": [\"deploy\"]\n"
        )
    );
    repo.run(&["unlink", "plugin-base", "--skill", "deploy"]).success();
    assert_eq!(repo.read("personas/plugin-base.json"), before);
    repo.run(&["link", "plugin-base", "--part", "protocol-plain", "--order", "5"]).success();
    let placed = repo.read("personas/plugin-base.json");
    assert!(
        placed.contains("\"parts\": [\"protocol-base\", \"tone-calm\", { \"name\": \"protocol-plain\", \"order\": 5 }],\n"),
        "{placed}"
    );
    // The arc commands, and an arc's stages, in JSON too.
    let repo = repo
        .file("arcs/quest.json", "{\n  \"stages\": [\n    { \"name\": \"start\", \"parts\": [] },\n    { \"name\": \"end\" }\n  ]\n}\n")
        .file("personas/helper.json", "{\n  \"version\": \"1.0.0\",\n  \"summary\": \"Helps.\"\n}\n");
    repo.run(&["arc", "assign", "helper", "quest"]).success();
    assert_eq!(
        repo.read("personas/helper.json"),
        "{\n  \"version\": \"1.0.0\",\n  \"summary\": \"Helps.\",\n  \"arc\": { \"name\": \"quest\" }\n}\n"
    );
    repo.run(&["arc", "advance", "helper"]).success();
    assert!(repo.read("personas/helper.json").contains("\"arc\": { \"name\": \"quest\", \"stage\": \"end\" }\n"));
    repo.run(&["arc", "reset", "helper"]).success();
    assert!(repo.read("personas/helper.json").contains("\"arc\": { \"name\": \"quest\" }\n"));
}

#[test]
fn yaml_lists_at_the_keys_column_are_edited() {
    let repo = family();
    let before = repo.read("personas/writer.yaml");
    repo.run(&["link", "writer", "--part", "tone-calm"]).success();
    assert_eq!(repo.read("personas/writer.yaml"), format!("{before}- tone-calm\n"));
    repo.run(&["unlink", "writer", "--part", "tone-calm"]).success();
    assert_eq!(repo.read("personas/writer.yaml"), before);
}
