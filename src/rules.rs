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
pub const EXPORT_FORMATS: [&str; 10] =
    ["claude-code", "copilot", "gemini", "codex", "cursor", "crewai", "eliza", "character-card", "agent-skills", "bundle"];

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

/// Where a path given on the command line lands: relative to `start` (the
/// folder the command runs as if started in: `-C DIR`, else the current
/// folder), as in cargo and git; an absolute path as it is. Absolute, with
/// `.` and `..` worked out.
pub fn landing(start: &Path, path: &Path) -> PathBuf {
    let joined = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf()).join(path);
    normalize(&joined)
}

/// A path with its longest existing ancestor's links resolved, so that two
/// spellings of one folder compare equal.
fn real(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        if let Ok(found) = at.canonicalize() {
            return rest.iter().rev().fold(found, |p: PathBuf, c| p.join(c));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                at = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// An export's folder given on the command line (`personac export --out`),
/// where it lands (see [`landing`]): inside the repository, outside every
/// source folder and the output folder. Returns it on disk and relative to
/// the root.
pub fn export_dir(root: &Path, config: &Config, start: &Path, out: &Path) -> Result<(PathBuf, String), String> {
    let landed = landing(start, out);
    let root_abs = normalize(&std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()));
    let relative = landed
        .strip_prefix(&root_abs)
        .map(Path::to_path_buf)
        .or_else(|_| real(&landed).strip_prefix(real(&root_abs)).map(Path::to_path_buf));
    let help = "\n  help: give the export a folder of its own in the repository, such as `.claude/agents` or `exports/crewai` (a path on the command line is relative to the current folder)";
    let Ok(relative) = relative else {
        return Err(format!("cannot export into `{}`: it lands outside the repository, in `{}`{help}", out.display(), landed.display()));
    };
    let folder = relative.to_string_lossy().replace('\\', "/");
    let shown =
        if Path::new(&folder) == out { format!("`{folder}`") } else { format!("`{}` (`{folder}` in the repository)", out.display()) };
    if folder.is_empty() {
        return Err(format!("cannot export into `{}`: it is the repository's root{help}", out.display()));
    }
    match export_folder_problem(&folder, &config.out_dir.value) {
        Some(why) => Err(format!("cannot export into {shown}: it {why}{help}")),
        None => Ok((root.join(&folder), folder)),
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

/// The preview's editor link when `[preview] editor_url` is not set:
/// `{path}` is absolute, so it starts with `/` (`vscode://file/home/…:7`).
pub const EDITOR_URL: &str = "vscode://file{path}:{line}";

/// What `[preview] editor_url` may name: the file's absolute path, its path
/// in the repository, and the line (from 1).
pub const EDITOR_URL_PLACEHOLDERS: [&str; 3] = ["path", "file", "line"];

/// A placeholder's byte range in its pattern, braces included, and its name.
pub type Placeholder<'a> = (std::ops::Range<usize>, &'a str);

/// The placeholders of an editor URL pattern, with their byte ranges
/// (braces included), or the range of what is not one (an unknown name, or
/// a brace left open) and what is wrong with it.
pub fn editor_url_placeholders(pattern: &str) -> Result<Vec<Placeholder<'_>>, (std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = pattern[at..].find('{').map(|i| at + i) {
        let Some(close) = pattern[open..].find('}').map(|i| open + i) else {
            return Err((open..pattern.len(), format!("`{}` opens a placeholder it does not close", &pattern[open..])));
        };
        let name = &pattern[open + 1..close];
        if !EDITOR_URL_PLACEHOLDERS.contains(&name) {
            return Err((open..close + 1, format!("unknown placeholder `{{{name}}}` in the editor URL")));
        }
        out.push((open..close + 1, name));
        at = close + 1;
    }
    Ok(out)
}

/// An editor URL pattern filled for one line of a file.
pub fn editor_url(pattern: &str, path: &str, file: &str, line: u32) -> String {
    let Ok(placeholders) = editor_url_placeholders(pattern) else { return String::new() };
    let mut out = String::new();
    let mut at = 0;
    for (range, name) in placeholders {
        out.push_str(&pattern[at..range.start]);
        match name {
            "path" => out.push_str(path),
            "file" => out.push_str(file),
            _ => out.push_str(&line.to_string()),
        }
        at = range.end;
    }
    out.push_str(&pattern[at..]);
    out
}
