//! Getting started and getting help: `init`, `explain`, `completions` and
//! `man`. None of them needs a repository.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::ctx::{Ctx, Failure, Outcome, status};
use crate::diag;

/// docs/diagnostics.md, the one source of every code's explanation.
const DIAGNOSTICS: &str = include_str!("../../docs/diagnostics.md");

#[derive(Args)]
#[command(after_help = "Examples:
  personac init                     a repository in the current folder
  personac init agents --ci github  in ./agents, with a GitHub Actions workflow
  personac init --ci github --from https://git.example.com/tools/personac   install personac in CI from that git URL")]
pub struct InitArgs {
    /// The folder to make the repository in (made if missing; default: the current folder)
    #[arg(value_name = "DIR")]
    folder: Option<PathBuf>,
    /// Also write a CI workflow that builds, checks and diffs the personas
    #[arg(long, value_enum, value_name = "SYSTEM")]
    ci: Option<Ci>,
    /// The git URL the workflow installs personac from (`cargo install --git URL`; default: personac's own repository)
    #[arg(long, value_name = "URL")]
    from: Option<String>,
}

/// Where personac's source lives: `repository` of its Cargo.toml.
const PERSONAC_REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

#[derive(Clone, Copy, ValueEnum)]
pub enum Ci {
    /// .github/workflows/personac.yml
    Github,
}

/// The files of a new repository: a small persona with a part, a trait, a
/// skill and a guardrail, that builds and checks clean.
const STARTER: [(&str, &str); 9] = [
    (
        "personac.toml",
        "#:schema ./docs/schemas/personac.schema.json\n# personac's project config: where artifacts go, the tokenizer for budgets,\n# and variables every definition can use.\nout_dir = \"build-output\"\nencoding = \"o200k_base\"\n\n[vars]\ncompany = \"Example Co\"\n",
    ),
    (
        "personas/assistant.md",
        "+++\n#:schema ../docs/schemas/persona.schema.json\nversion = \"0.1.0\"\ntitle = \"Assistant\"\nsummary = \"A helpful assistant for {{ company }}.\"\ndescription = \"General assistant for {{ company }}'s customers\"\nparts = [\"tone-friendly\"]\ntraits = [\"patient\"]\nskills = [\"answer-questions\"]\nguardrails = [\"no-guessing\"]\n+++\nYou are the assistant of {{ company }}. Help each person with what they ask, and say what you will do next.\n",
    ),
    (
        "parts/tone-friendly.md",
        "+++\n#:schema ../docs/schemas/part.schema.json\ntype = \"tone\"\nsummary = \"Friendly and clear.\"\n+++\nSpeak plainly and warmly. Short sentences; no jargon unless the person uses it first.\n",
    ),
    (
        "traits/patient.md",
        "+++\n#:schema ../docs/schemas/trait.schema.json\ntype = \"emotional\"\ndescription = \"Patient with every question.\"\n+++\nNo question is too small: answer it fully, without hurry.\n",
    ),
    (
        "skills/answer-questions.md",
        "+++\n#:schema ../docs/schemas/skill.schema.json\ndescription = \"Answers questions from what it knows, and says when it does not.\"\n+++\nAnswer from what you know for sure. When you are unsure, say so and suggest where to find out.\n",
    ),
    (
        "guardrails/no-guessing.md",
        "+++\n#:schema ../docs/schemas/guardrail.schema.json\ndescription = \"Never present a guess as a fact.\"\nseverity = \"high\"\n+++\nNever present a guess as a fact. If you do not know, say so.\n",
    ),
    ("arcs/README.md", "Character arcs go here: ordered stages that swap parts in. See `personac new arc NAME`.\n"),
    (
        ".gitattributes",
        "# Compiled artifacts: reviewed through `personac diff`, not line by line.\nbuild-output/** linguist-generated=true\n",
    ),
    (
        "README.md",
        "# Personas\n\nA persona repository for [personac](PERSONAC_URL): `personac build` compiles the personas into\n`build-output/`, `personac check` validates them, `personac show assistant` prints one.\n",
    ),
];

const GITHUB_WORKFLOW: &str = r#"# Builds and checks the personas on every pull request, refuses a changed
# persona without a version bump, and comments the compiled-prompt diff.
name: personas
on:
  pull_request:
permissions:
  contents: read
  pull-requests: write
jobs:
  personas:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0          # diff and the version gate need the base commit
      - uses: dtolnay/rust-toolchain@stable
      - name: Install personac
        # From its git repository (add `--tag vX.Y.Z` or `--rev SHA` to pin a version).
        run: cargo install --locked --git PERSONAC_URL personac
      - name: Validate and lint
        run: personac check --format github
      - name: Build and verify the committed artifacts
        run: personac build --check
      - name: Version gate
        run: personac check --base "origin/${{ github.base_ref }}" --format github
      - name: Compiled prompt diff
        if: always()
        run: personac diff "origin/${{ github.base_ref }}...HEAD" --format markdown > persona-diff.md
      - name: Comment on the pull request
        if: always()
        env:
          GH_TOKEN: ${{ github.token }}
        run: gh pr comment "${{ github.event.pull_request.number }}" --body-file persona-diff.md --edit-last || gh pr comment "${{ github.event.pull_request.number }}" --body-file persona-diff.md
"#;

pub(super) fn init(ctx: &Ctx, args: InitArgs) -> Outcome {
    let dir = args.folder.as_ref().map_or_else(|| ctx.start.clone(), |d| ctx.start.join(d));
    if dir.join(crate::snapshot::CONFIG_FILE).exists() || crate::model::Kind::ALL.iter().any(|k| dir.join(k.folder()).exists()) {
        return Err(Failure::Usage(format!(
            "`{}` is already a persona repository\n  help: `personac init` never overwrites; run it in an empty folder, or `personac init NEW_DIR`",
            dir.display()
        )));
    }
    let url = args.from.as_deref().unwrap_or(PERSONAC_REPOSITORY).trim_end_matches('/');
    if !url.contains("://") && !url.starts_with("git@") {
        return Err(Failure::Usage(format!(
            "`--from {url}` is not a git URL\n  help: give the URL `cargo install --git` takes, such as `https://github.com/personac/personac`"
        )));
    }
    let mut files: Vec<(String, String)> = STARTER.iter().map(|(p, t)| (p.to_string(), t.replace("PERSONAC_URL", url))).collect();
    if dir.join("README.md").exists() {
        files.retain(|(p, _)| p != "README.md");
    }
    if dir.join(".gitattributes").exists() {
        files.retain(|(p, _)| p != ".gitattributes");
    }
    for (name, schema) in crate::schema::all() {
        files.push((format!("docs/schemas/{name}"), format!("{}\n", serde_json::to_string_pretty(&schema).unwrap_or_default())));
    }
    if let Some(Ci::Github) = args.ci {
        let path = ".github/workflows/personac.yml";
        if dir.join(path).exists() {
            return Err(Failure::Usage(format!("`{path}` already exists in `{}`: remove it, or init without `--ci`", dir.display())));
        }
        files.push((path.to_string(), GITHUB_WORKFLOW.replace("PERSONAC_URL", url)));
    }
    for (path, text) in &files {
        write_new(&dir, path, text)?;
    }
    status(ctx, "Created", &format!("a persona repository in {} ({} files)", dir.display(), files.len()));
    // `diff`, `check --base` and the workflow need a git repository.
    let made = crate::git::init_unless_inside(&dir).map_err(|e| Failure::Usage(e.0))?;
    if made {
        status(ctx, "Initialized", &format!("a git repository in {}", dir.display()));
    }
    let cd = match &args.folder {
        Some(folder) => format!("`cd {}`, then ", folder.display()),
        None => String::new(),
    };
    status(ctx, "Next", &format!("{cd}`personac build` compiles the personas into build-output/ (`personac show assistant` prints one)"));
    status(ctx, "", "`git add -A && git commit -m \"Personas\"` makes the first commit, which `diff` and `check --base` compare against");
    status(ctx, "", "`personac new part NAME --type tone` adds a part; `personac watch` rebuilds on every save");
    Ok(())
}

fn write_new(dir: &Path, path: &str, text: &str) -> Result<(), Failure> {
    let file = dir.join(path);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Failure::Usage(format!("cannot create `{}`: {e}", parent.display())))?;
    }
    crate::atomic::write(&file, text.as_bytes()).map_err(|e| Failure::Usage(format!("cannot write `{}`: {e}", file.display())))
}

/// Every documented code, with its section of docs/diagnostics.md.
fn explanations() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let sections: Vec<&str> = DIAGNOSTICS.split("\n## ").skip(1).collect();
    for section in sections {
        let code = section.split(':').next().unwrap_or_default().trim();
        out.push((code, section));
    }
    out
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac explain E0200
  personac explain w0007")]
pub struct ExplainArgs {
    /// A diagnostic code, such as E0200 or W0001 (or a lint's name, such as unused-definition)
    code: String,
}

pub(super) fn explain(args: ExplainArgs) -> Outcome {
    let wanted = args.code.trim().to_uppercase();
    let by_name = crate::rules::LINTS.iter().find(|(_, name)| name.eq_ignore_ascii_case(args.code.trim())).map(|(code, _)| *code);
    let wanted = by_name.unwrap_or(&wanted);
    let all = explanations();
    match all.iter().find(|(code, _)| *code == wanted) {
        Some((_, section)) => {
            outln!("## {}", section.trim_end());
            Ok(())
        }
        None => {
            let codes: Vec<&str> = all.iter().map(|(c, _)| *c).collect();
            let mut msg = format!("`{}` is not a personac diagnostic code", args.code);
            if let Some(best) = diag::did_you_mean(wanted, codes.iter().copied()) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            msg.push_str(&format!("\n  help: codes are: {}", codes.join(", ")));
            Err(Failure::Usage(msg))
        }
    }
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac completions bash > ~/.local/share/bash-completion/completions/personac
  personac completions zsh > ~/.zfunc/_personac
  personac completions fish > ~/.config/fish/completions/personac.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in
    shell: clap_complete::Shell,
}

pub(super) fn completions(args: CompletionsArgs, mut command: clap::Command) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "personac", &mut out);
    out!("{}", String::from_utf8_lossy(&out));
    Ok(())
}

#[derive(Args)]
#[command(after_help = "Examples:
  personac man --out ~/.local/share/man/man1   then `man personac`
  personac man                                 prints personac(1)")]
pub struct ManArgs {
    /// Write personac.1 and a page per command (personac-build.1, …) into DIR instead of printing personac(1)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The man pages of `command` (the clap definitions `--help` shows).
pub(super) fn man_pages(command: clap::Command) -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    let mut render = |cmd: clap::Command, name: String| {
        let mut out = Vec::new();
        if clap_mangen::Man::new(cmd).render(&mut out).is_ok() {
            pages.push((format!("{name}.1"), out));
        }
    };
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("personac-{}", sub.get_name());
        render(sub.clone().name(name.clone()), name);
    }
    render(command, "personac".to_string());
    pages.sort();
    pages
}

pub(super) fn man(ctx: &Ctx, args: ManArgs, command: clap::Command) -> Outcome {
    let pages = man_pages(command);
    match args.out {
        None => {
            let main = pages.iter().find(|(n, _)| n == "personac.1").map(|(_, b)| b.clone()).unwrap_or_default();
            out!("{}", String::from_utf8_lossy(&main));
        }
        Some(dir) => {
            let dir = ctx.start.join(dir);
            for (name, bytes) in &pages {
                write_new(&dir, name, &String::from_utf8_lossy(bytes))?;
            }
            status(ctx, "Wrote", &format!("{} man pages into {}", pages.len(), dir.display()));
        }
    }
    Ok(())
}
