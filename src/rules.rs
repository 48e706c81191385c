//! The fixed vocabulary that `personac.toml` and the command line are
//! checked against, kept below every room that checks them: lint names and
//! codes, export format names, the repository's fixed file and folder
//! names, and the rules a path must follow to be written through.

use std::path::{Component, Path, PathBuf};

use crate::model::{Config, Kind};

pub const CONFIG_FILE: &str = "personac.toml";
pub const TEMPLATES_DIR: &str = "templates";

/// The codes of the lints (`lint.rs` finds them; `[lints]` names them).
pub mod lint_code {
    pub const UNUSED_DEFINITION: &str = "W0001";
    pub const LINKED_TWICE: &str = "W0002";
    pub const EMPTY_TEXT: &str = "W0003";
    pub const NO_DESCRIPTION: &str = "W0004";
    pub const EMPTY_STAGE: &str = "W0005";
    pub const UNUSED_VARIABLE: &str = "W0006";
    pub const TEMPLATE_COMMENT: &str = "W0007";
}

/// Every lint's name beside its code, as `[lints]` in personac.toml and
/// docs/diagnostics.md call them.
pub const LINTS: [(&str, &str); 7] = [
    (lint_code::UNUSED_DEFINITION, "unused-definition"),
    (lint_code::LINKED_TWICE, "linked-twice"),
    (lint_code::EMPTY_TEXT, "empty-text"),
    (lint_code::NO_DESCRIPTION, "persona-without-description"),
    (lint_code::EMPTY_STAGE, "empty-stage"),
    (lint_code::UNUSED_VARIABLE, "unused-variable"),
    (lint_code::TEMPLATE_COMMENT, "template-comment"),
];

/// The formats `personac export` writes, and `[export.FORMAT]` names (the
/// interop room has an exporter for each, which its tests check).
/// (`bundle` is the build output as one JSON file.)
pub const EXPORT_FORMATS: [&str; 5] = ["claude-code", "crewai", "eliza", "character-card", "bundle"];

/// Whether `path` is a relative path of normal components (no `..`, no
/// root, no empty or `.` component, no backslash or drive prefix).
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains(['\0', ':'])
        && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
}

/// The output folder: `out` (or the config's `out_dir`), relative to the
/// repository root. It is cleaned of stale artifacts, so it must never hold
/// or contain sources.
pub fn out_dir(root: &Path, config: &Config, out: Option<&Path>) -> Result<PathBuf, String> {
    let dir = root.join(out.unwrap_or_else(|| Path::new(&config.out_dir.value)));
    let abs = |p: &Path| std::path::absolute(p).map(|p| normalize(&p)).unwrap_or_else(|_| p.to_path_buf());
    let (dir_abs, root_abs) = (abs(&dir), abs(root));
    let mut protected = vec![root_abs.join(TEMPLATES_DIR)];
    protected.extend(Kind::ALL.iter().map(|k| root_abs.join(k.folder())));
    if root_abs.starts_with(&dir_abs) || protected.iter().any(|p| dir_abs.starts_with(p)) {
        return Err(format!(
            "the output folder `{}` would overwrite sources\n  help: set `out_dir` in personac.toml (or `--out`) to a folder of its own, such as `build-output`",
            dir.display()
        ));
    }
    Ok(dir)
}

/// An export's folder (`personac export --out`), relative to the repository
/// root: inside it, outside every source folder and the output folder.
pub fn export_dir(root: &Path, config: &Config, out: &str) -> Result<PathBuf, String> {
    let folder = out.trim_end_matches('/');
    match export_folder_problem(folder, &config.out_dir.value) {
        Some(why) => Err(format!(
            "cannot export into `{out}`: it {why}\n  help: give the export a folder of its own, such as `.claude/agents` or `exports/crewai`"
        )),
        None => Ok(root.join(folder)),
    }
}

/// Why an export folder (relative to the repository root, no trailing `/`)
/// cannot be written, if it cannot: it must be a plain relative path,
/// outside every source folder and apart from the output folder.
pub fn export_folder_problem(folder: &str, out_dir: &str) -> Option<String> {
    let top = folder.split('/').next().unwrap_or_default();
    let out_dir = out_dir.trim_end_matches('/');
    if !is_safe_relative(folder) {
        Some("must be a relative path inside the repository, without `..`".to_string())
    } else if Kind::from_folder(top).is_some() || top == TEMPLATES_DIR {
        Some(format!("is inside the source folder `{top}/`"))
    } else if folder == out_dir || folder.starts_with(&format!("{out_dir}/")) || out_dir.starts_with(&format!("{folder}/")) {
        Some(format!("overlaps the output folder `{out_dir}`"))
    } else {
        None
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => _ = out.pop(),
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
