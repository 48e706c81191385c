//! Pathological input is refused with one clear error, never a hang or a
//! panic. (How fast is measured by hand and in the closing note, not here:
//! a timing test would fail on a slow machine.)

use crate::support::Repo;

#[track_caller]
fn refused(repo: &Repo, code: &str, message: &str) -> String {
    let run = repo.run(&["check"]).failure();
    assert!(run.stderr.contains(&format!("error[{code}]")) && run.stderr.contains(message), "{}", run.stderr);
    assert!(run.stderr.ends_with("1 error emitted\n"), "{}", run.stderr);
    run.stderr
}

#[test]
fn a_10000_deep_inheritance_chain() {
    let mut repo = Repo::new().file("personas/p0.toml", "version = \"1.0.0\"\nsummary = \"root\"\n");
    for i in 1..10_000 {
        repo = repo.file(&format!("personas/p{i}.toml"), &format!("version = \"1.0.0\"\nextends = \"p{}\"\n", i - 1));
    }
    let out = refused(&repo, "E0207", "persona `p64` is 65 levels deep; inheritance chains are at most 64 deep");
    assert!(out.contains("--> personas/p64.toml:2:11"), "{out}");
}

#[test]
fn a_1000_persona_cycle() {
    let mut repo = Repo::new();
    for i in 0..1000 {
        repo = repo
            .file(&format!("personas/c{i}.toml"), &format!("version = \"1.0.0\"\nsummary = \"s\"\nextends = \"c{}\"\n", (i + 1) % 1000));
    }
    let out = refused(&repo, "E0202", "inheritance cycle: c0 -> c1 -> c2");
    assert!(out.contains("c999 -> c0"), "the whole cycle is printed");
}

#[test]
fn toml_nested_200_deep() {
    let repo = Repo::new()
        .file("personas/n.toml", &format!("version = \"1.0.0\"\nsummary = \"s\"\n[vars]\nx = {}{}\n", "[".repeat(200), "]".repeat(200)));
    refused(&repo, "E0100", "max recursion depth");
}

#[test]
fn a_yaml_alias_bomb() {
    let mut lines = vec!["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
    for i in 1..12u8 {
        let (prev, cur) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        lines.push(format!("{cur}: &{cur} [{}]", vec![format!("*{prev}"); 9].join(", ")));
    }
    let repo = Repo::new().file("parts/b.yaml", &format!("type: tone\nsummary: s\n{}\n", lines.join("\n")));
    let out = refused(&repo, "E0101", "budget breached");
    assert!(out.contains("alias bomb"), "{out}");
}

#[test]
fn a_runaway_template() {
    let repo = Repo::minimal().file(
        "parts/tone-warm.md",
        "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\n{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
    );
    refused(&repo, "E0302", "does too much work");
}
