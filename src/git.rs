//! Git as a source of snapshots: a revision's tree, read straight from the
//! object database (no checkout, no read of the working tree), so it works in
//! bare repositories, on a detached HEAD and with uncommitted changes around.
//!
//! This room only turns a revision into a [`Snapshot`]; what is done with it
//! (build, diff, the version gate) belongs to the callers.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::snapshot::{Snapshot, is_source_path};

/// A git problem, for the command line: exit 2, with a hint when there is one.
#[derive(Debug)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The git repository around a persona repository.
pub struct Git {
    repo: Repository,
    /// The persona repository's folder inside the git tree ("" at the top).
    prefix: PathBuf,
    /// Every source blob read, by id: the two sides of a diff share most of
    /// theirs.
    blobs: std::sync::Mutex<foldhash::HashMap<Oid, String>>,
}

/// A resolved revision: its commit, and how the user named it.
#[derive(Clone, Debug)]
pub struct Rev {
    pub commit: Oid,
    pub name: String,
}

/// Makes `dir` a git work tree unless it is already inside one; returns
/// whether it made one.
pub fn init_unless_inside(dir: &Path) -> Result<bool, GitError> {
    if Repository::discover(dir).is_ok_and(|repo| repo.workdir().is_some()) {
        return Ok(false);
    }
    Repository::init(dir).map(|_| true).map_err(|e| GitError(format!("cannot make `{}` a git repository: {}", dir.display(), e.message())))
}

impl Git {
    /// Opens the repository that contains `root`.
    pub fn open(root: &Path) -> Result<Git, GitError> {
        let repo = Repository::discover(root).map_err(|e| match e.code() {
            ErrorCode::Owner => GitError(format!(
                "the git repository at `{}` is owned by another user\n  help: if you trust it, run `git config --global --add safe.directory {}`",
                root.display(),
                std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()).display()
            )),
            _ => GitError(format!(
                "`{}` is not in a git repository\n  help: revisions (--rev, diff, check --base) need a git repository; run `git init` and commit, or drop the revision",
                root.display()
            )),
        })?;
        let prefix = match repo.workdir() {
            Some(workdir) => {
                let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
                canon(root).strip_prefix(canon(workdir)).map(Path::to_path_buf).unwrap_or_default()
            }
            None => PathBuf::new(),
        };
        // Objects are read as git itself reads them, without hashing each
        // again to verify it (a tenth of reading a 10,000-persona tree).
        git2::opts::strict_hash_verification(false);
        Ok(Git { repo, prefix, blobs: Default::default() })
    }

    /// Whether the repository has no working tree.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    /// Resolves one revision (`HEAD`, a branch, a tag, a commit id, `main~2`…).
    pub fn rev(&self, spec: &str) -> Result<Rev, GitError> {
        if spec == "HEAD" {
            self.head_commit()?;
        }
        match self.repo.revparse_single(spec).and_then(|o| o.peel_to_commit()) {
            Ok(commit) => Ok(Rev { commit: commit.id(), name: spec.to_string() }),
            Err(_) if self.repo.is_shallow() => Err(GitError(format!(
                "unknown revision `{spec}`: this is a shallow clone, which may not have it\n  help: fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
            ))),
            Err(_) => Err(GitError(format!(
                "unknown revision `{spec}`\n  help: name a commit, branch or tag that exists: see `git log --oneline`"
            ))),
        }
    }

    fn head_commit(&self) -> Result<Oid, GitError> {
        match self.repo.head() {
            Ok(head) => head.peel_to_commit().map(|c| c.id()).map_err(|e| GitError(format!("cannot read HEAD: {}", e.message()))),
            Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => Err(GitError(
                "the git repository has no commits yet\n  help: commit the persona definitions first (`git add -A && git commit`)".into(),
            )),
            Err(e) => Err(GitError(format!("cannot read HEAD: {}", e.message()))),
        }
    }

    /// The commit HEAD points at, if any.
    pub fn head(&self) -> Option<Oid> {
        self.head_commit().ok()
    }

    /// The merge base of two revisions, as `A...B` uses it.
    pub fn merge_base(&self, a: &Rev, b: &Rev) -> Result<Rev, GitError> {
        match self.repo.merge_base(a.commit, b.commit) {
            Ok(oid) => Ok(Rev { commit: oid, name: format!("merge-base({}, {})", a.name, b.name) }),
            Err(_) if self.repo.is_shallow() => Err(GitError(format!(
                "no merge base of `{}` and `{}` in this shallow clone\n  help: fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)",
                a.name, b.name
            ))),
            Err(_) => Err(GitError(format!("`{}` and `{}` have no common ancestor", a.name, b.name))),
        }
    }

    /// The sources of the persona repository at a commit.
    pub fn snapshot(&self, rev: &Rev) -> Result<Snapshot, GitError> {
        let fail = |e: git2::Error| GitError(format!("cannot read `{}` from git: {}", rev.name, e.message()));
        let commit = self.repo.find_commit(rev.commit).map_err(fail)?;
        let mut tree = commit.tree().map_err(fail)?;
        if !self.prefix.as_os_str().is_empty() {
            match tree.get_path(&self.prefix) {
                Ok(entry) => tree = entry.to_object(&self.repo).and_then(|o| o.peel_to_tree()).map_err(fail)?,
                // The folder did not exist at that revision: no sources.
                Err(_) => return Ok(Snapshot::default()),
            }
        }
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let path = format!("{dir}{}", entry.name().unwrap_or_default());
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    // Skip folders that hold no sources (build-output, .github…).
                    let top = path.split('/').next().unwrap_or_default();
                    let wanted = top == crate::snapshot::TEMPLATES_DIR || crate::model::Kind::from_folder(top).is_some();
                    if !wanted || entry.name().is_ok_and(|n| n.starts_with('.')) {
                        return TreeWalkResult::Skip;
                    }
                }
                Some(ObjectType::Blob) if is_source_path(&path) => blobs.push((path, entry.id())),
                _ => {}
            }
            TreeWalkResult::Ok
        })
        .map_err(fail)?;
        let mut files = Vec::with_capacity(blobs.len());
        let mut read = self.blobs.lock().unwrap_or_else(|p| p.into_inner());
        for (path, id) in blobs {
            if let Some(text) = read.get(&id) {
                files.push((path, text.clone()));
                continue;
            }
            let blob = self.repo.find_blob(id).map_err(fail)?;
            // Non-UTF-8 content is kept lossily; the snapshot treats the file
            // as it would on disk.
            let text = String::from_utf8_lossy(blob.content()).into_owned();
            read.insert(id, text.clone());
            files.push((path, text));
        }
        Ok(Snapshot::from_files(files))
    }
}

impl Git {
    /// Commits one file of the persona repository, as it is on disk, on top of
    /// HEAD, and nothing else: other staged or unstaged changes stay as they
    /// were. Returns the new commit's id.
    pub fn commit_file(&self, path: &str, message: &str) -> Result<Oid, GitError> {
        let fail = |e: git2::Error| GitError(format!("cannot commit `{path}`: {}", e.message()));
        let workdir = self.repo.workdir().ok_or_else(|| GitError("a bare repository has no files to commit".into()))?;
        let rel = self.prefix.join(path);
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let content = std::fs::read(workdir.join(&rel)).map_err(|e| GitError(format!("cannot read `{path}`: {e}")))?;
        let signature = self.repo.signature().map_err(|_| {
            GitError("git does not know who you are\n  help: run `git config user.name \"Your Name\"` and `git config user.email you@example.com`".into())
        })?;
        let blob = self.repo.blob(&content).map_err(fail)?;
        let parent = self.head().and_then(|oid| self.repo.find_commit(oid).ok());
        let base_tree = match &parent {
            Some(commit) => commit.tree().map_err(fail)?,
            None => self.repo.find_tree(self.repo.treebuilder(None).and_then(|b| b.write()).map_err(fail)?).map_err(fail)?,
        };
        let tree_id = git2::build::TreeUpdateBuilder::new()
            .upsert(&rel_str, blob, git2::FileMode::Blob)
            .create_updated(&self.repo, &base_tree)
            .map_err(fail)?;
        let tree = self.repo.find_tree(tree_id).map_err(fail)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let oid = self.repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents).map_err(fail)?;
        // Stage the committed file, so `git status` shows it clean.
        let mut index = self.repo.index().map_err(fail)?;
        index.add_path(&rel).map_err(fail)?;
        index.write().map_err(fail)?;
        Ok(oid)
    }

    /// One file of the persona repository at a revision, if it exists.
    pub fn read(&self, rev: &Rev, path: &str) -> Option<Vec<u8>> {
        let tree = self.repo.find_commit(rev.commit).ok()?.tree().ok()?;
        let entry = tree.get_path(&self.prefix.join(path)).ok()?;
        Some(self.repo.find_blob(entry.id()).ok()?.content().to_vec())
    }
}

/// A revision range as `diff` takes it: `A..B`, `A...B`, or single names.
pub enum Range {
    Two(String, Option<String>),
    MergeBase(String, String),
}

/// Parses `diff`'s arguments: `[BASE] [HEAD]`, where BASE may be `A..B` or
/// `A...B` (then HEAD must be absent).
pub fn parse_range(base: Option<&str>, head: Option<&str>) -> Result<Range, GitError> {
    match base {
        Some(spec) if spec.contains("...") => {
            let (a, b) = spec.split_once("...").unwrap_or_default();
            if head.is_some() {
                return Err(GitError(format!("`{spec}` is already a range; give it alone")));
            }
            Ok(Range::MergeBase(or_head(a), or_head(b)))
        }
        Some(spec) if spec.contains("..") => {
            let (a, b) = spec.split_once("..").unwrap_or_default();
            if head.is_some() {
                return Err(GitError(format!("`{spec}` is already a range; give it alone")));
            }
            Ok(Range::Two(or_head(a), Some(or_head(b))))
        }
        Some(spec) => Ok(Range::Two(spec.to_string(), head.map(str::to_string))),
        None => Ok(Range::Two("HEAD".into(), head.map(str::to_string))),
    }
}

fn or_head(s: &str) -> String {
    if s.is_empty() { "HEAD".into() } else { s.to_string() }
}
