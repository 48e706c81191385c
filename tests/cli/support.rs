//! A persona repository in a temp dir, and the real binary run against it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Repo {
    root: PathBuf,
    /// The temp dir that holds the repository, removed when it is dropped.
    _temp: Option<tempfile::TempDir>,
}

/// What one run of the binary printed, and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Exit code 1 (errors in the definitions), with a rustc-style message.
    #[track_caller]
    pub fn failure(self) -> Self {
        self.code(1)
    }
}

impl Repo {
    /// An empty persona repository: a temp dir with a `personas/` folder,
    /// which is what makes a folder a repository's root.
    pub fn new() -> Repo {
        let temp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(temp.path().join("personas")).expect("personas/");
        Repo { root: temp.path().to_path_buf(), _temp: Some(temp) }
    }

    /// A repository in an existing folder (which the caller cleans up).
    pub fn at(root: &Path) -> Repo {
        Repo { root: root.to_path_buf(), _temp: None }
    }

    /// A repository with a small valid persona, for tests that add to it.
    pub fn minimal() -> Repo {
        Repo::new()
            .file("parts/tone-warm.md", "+++\ntype = \"tone\"\nsummary = \"Warm.\"\n+++\nBe warm.\n")
            .file("personas/maya.toml", "version = \"1.0.0\"\nsummary = \"Maya helps.\"\nparts = [\"tone-warm\"]\n")
    }

    pub fn file(self, path: &str, text: &str) -> Repo {
        self.write(path, text);
        self
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.root.as_path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.root.as_path().join(path)).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.root.as_path()
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.as_path().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
    }

    pub fn exists(&self, path: &str) -> bool {
        self.root.as_path().join(path).exists()
    }

    /// Runs git in the repository (made by `git_init`), and returns its stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.root.as_path(), args)
    }

    /// Makes the repository a git repository on branch `main`.
    pub fn git_init(self) -> Repo {
        self.git(&["init", "-q", "-b", "main"]);
        self
    }

    /// Commits every change, and returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.root.as_path(), args)
    }

    /// Runs the binary with these environment variables set.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = personac();
        command.envs(env.iter().copied()).arg("-C").arg(self.root.as_path()).arg("--color=never").args(args);
        Run::of(command.output().expect("run personac"))
    }

    /// Runs the binary from inside the repository, without `-C`.
    pub fn run_here(&self, args: &[&str]) -> Run {
        run_from(self.root.as_path(), args)
    }

    /// Every file under `dir`, by path relative to it.
    pub fn tree(&self, dir: &str) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root.as_path().join(dir))
    }
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let run = Run::of(personac().arg("-C").arg(dir).arg("--color=never").args(args).output().expect("run personac"));
    validate_built(dir, args, &run);
    run
}

/// Runs the binary with `dir` as its working directory (no `-C`), as a
/// user who `cd`s there.
pub fn run_from(dir: &Path, args: &[&str]) -> Run {
    let run = Run::of(personac().current_dir(dir).arg("--color=never").args(args).output().expect("run personac"));
    validate_built(dir, args, &run);
    run
}

/// After every successful `build` of the suite, its `index.json` and every
/// `manifest.json` must be valid against the schemas docs/artifacts.md
/// publishes (docs/schemas/index.schema.json, manifest.schema.json).
#[track_caller]
fn validate_built(dir: &Path, args: &[&str], run: &Run) {
    if run.code != 0 || args.first() != Some(&"build") || args.contains(&"--check") {
        return;
    }
    let out = match args.iter().position(|a| *a == "--out") {
        Some(i) => dir.join(args[i + 1]),
        None => dir.join("build-output"),
    };
    validate_output(&out);
}

/// Checks an output folder's `index.json` and manifests against their schemas.
#[track_caller]
pub fn validate_output(out: &Path) {
    use std::sync::OnceLock;
    static SCHEMAS: OnceLock<(jsonschema::Validator, jsonschema::Validator, jsonschema::Validator)> = OnceLock::new();
    let (index_schema, manifest_schema, sources_schema) = SCHEMAS.get_or_init(|| {
        let load = |name: &str| {
            let text = std::fs::read_to_string(examples_root().join("docs/schemas").join(name)).unwrap();
            jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
        };
        (load("index.schema.json"), load("manifest.schema.json"), load("sources.schema.json"))
    });
    let Ok(text) = std::fs::read_to_string(out.join("index.json")) else { return };
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = index_schema.iter_errors(&index).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{}/index.json: {errors:?}", out.display());
    for name in index["personas"].as_object().into_iter().flat_map(|p| p.keys()) {
        let text = std::fs::read_to_string(out.join(name).join("manifest.json")).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = manifest_schema.iter_errors(&manifest).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}/{name}/manifest.json: {errors:?}", out.display());
        // Source records: listed under `provenance` with their hashes.
        for (path, record) in index["personas"][name]["provenance"].as_object().into_iter().flatten() {
            let bytes = std::fs::read(out.join(name).join(path)).unwrap();
            assert_eq!(record["sha256"].as_str(), Some(personac::hash::sha256_hex(&bytes).as_str()), "{name}/{path}");
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let errors: Vec<String> = sources_schema.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{}/{name}/{path}: {errors:?}", out.display());
        }
    }
}

/// The binary under test, with the user's `NO_COLOR` left out, and outside
/// GitHub Actions even when the suite runs there (`diff --format markdown`
/// links source lines inside it).
fn personac() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_personac"));
    command.env_remove("NO_COLOR");
    for name in ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"] {
        command.env_remove(name);
    }
    command
}

impl Run {
    fn of(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }
}

/// The example repository's definitions and config, by path: only their
/// folders are read (the repository's root also holds `target/`, gigabytes
/// a test must not read into memory).
pub fn example_sources() -> BTreeMap<String, Vec<u8>> {
    let root = examples_root();
    let mut out = BTreeMap::new();
    for folder in ["personas", "parts", "traits", "skills", "guardrails", "arcs", "templates"] {
        out.extend(tree(&root.join(folder)).into_iter().map(|(path, bytes)| (format!("{folder}/{path}"), bytes)));
    }
    out.insert("personac.toml".to_string(), std::fs::read(root.join("personac.toml")).unwrap());
    out
}

pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

/// The project's own example repository.
pub fn examples_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}
