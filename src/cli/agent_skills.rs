//! `import agent-skills` and `export agent-skills`: skill folders in and
//! out (SPEC section 8), through `crate::interop::agent_skills`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ctx::{Ctx, DiagFormat, Failure, Outcome, load, report, status};
use crate::diag;
use crate::interop::agent_skills::{self, Found};
use crate::interop::export;
use crate::interop::import::SourceFiles;
use crate::model::SKILL_FILE;

/// What `personac export agent-skills` was asked.
pub(super) struct ExportRequest {
    pub out: Option<PathBuf>,
    pub force: bool,
    pub personas: Vec<String>,
    pub json: bool,
}

pub(super) fn export(ctx: &Ctx, request: ExportRequest) -> Outcome {
    let (snapshot, project) = load(ctx, DiagFormat::Text, None)?;
    for name in &request.personas {
        if !project.catalog.personas.contains_key(name) {
            let mut msg = format!("no persona named `{name}`");
            if let Some(best) = diag::did_you_mean(name, project.catalog.personas.keys().map(String::as_str)) {
                msg.push_str(&format!("\n  help: did you mean `{best}`?"));
            }
            return Err(Failure::Usage(msg));
        }
    }
    let exported = agent_skills::used(&project, &request.personas).and_then(|skills| agent_skills::export(&project, &snapshot, &skills));
    let (files, skills) = match exported {
        Ok(done) => done,
        Err(diags) => {
            report(ctx, &diags, &snapshot, DiagFormat::Text);
            return Err(Failure::Definitions);
        }
    };
    let (start, out) = match request.out {
        Some(out) => (ctx.start.clone(), out),
        None => (ctx.root.clone(), PathBuf::from(agent_skills::DEFAULT_OUT)),
    };
    let (dir, folder) = crate::rules::export_dir(&ctx.root, &project.catalog.config, &start, &out).map_err(Failure::Usage)?;
    if !request.force {
        let config = &project.catalog.config;
        let index = crate::rules::out_dir(&ctx.root, config, None).ok().and_then(|d| crate::artifacts::read_index(&d));
        let owned = export::owned(index.as_ref(), &folder, &dir);
        let clashes: Vec<String> = export::clashes(&dir, &files, &owned).into_iter().map(|p| format!("{}/{p}", out.display())).collect();
        if !clashes.is_empty() {
            return Err(Failure::Usage(export::clash_message(&clashes)));
        }
    }
    let cannot = |e: std::io::Error| Failure::Usage(format!("cannot write to `{}`: {e}", out.display()));
    let written = export::write(&dir, &files, &[]).map_err(cannot)?;
    export::write_ledger(&dir, "agent-skills", &files).map_err(cannot)?;
    if request.json {
        let report: Vec<serde_json::Value> = skills
            .iter()
            .map(|s| {
                let lost: Vec<serde_json::Value> =
                    s.lost.iter().map(|l| serde_json::json!({ "kind": l.kind, "items": l.items, "note": l.note })).collect();
                serde_json::json!({ "skill": s.name, "lost": lost })
            })
            .collect();
        let report = serde_json::json!({
            "format": "agent-skills",
            "out": out.display().to_string().replace('\\', "/"),
            "written": written.written,
            "unchanged": written.unchanged,
            "skills": report,
        });
        outln!("{report}");
    } else {
        for s in &skills {
            for loss in &s.lost {
                status(ctx, "Not carried", &format!("skill `{}`: {}", s.name, loss.describe()));
            }
        }
    }
    let n = skills.len();
    status(
        ctx,
        "Exported",
        &format!(
            "{n} skill{} as Agent Skills folders into {} ({} written, {} unchanged)",
            if n == 1 { "" } else { "s" },
            out.display(),
            written.written.len(),
            written.unchanged
        ),
    );
    Ok(())
}

/// The skill folders the paths name: a folder with a `SKILL.md`, a
/// `SKILL.md` itself, or a folder to search for them.
fn found(paths: &[PathBuf]) -> Result<Vec<Found>, Failure> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_file() {
            if path.file_name().is_some_and(|n| n == SKILL_FILE) {
                dirs.push(path.parent().map(Path::to_path_buf).unwrap_or_default());
                continue;
            }
            return Err(Failure::Usage(format!(
                "`{}` is not a skill folder\n  help: give a folder that holds a `{SKILL_FILE}`, the `{SKILL_FILE}` itself, or a folder of skill folders",
                path.display()
            )));
        }
        if !path.is_dir() {
            return Err(Failure::Usage(format!("`{}` is neither a file nor a folder", path.display())));
        }
        let before = dirs.len();
        for entry in walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
        {
            if entry.file_type().is_file() && entry.file_name() == SKILL_FILE {
                let dir = entry.path().parent().map(Path::to_path_buf).unwrap_or_default();
                // A folder inside a skill's folder is the skill's, not a skill.
                if !dirs.iter().any(|d| dir.starts_with(d) && *d != dir) {
                    dirs.push(dir);
                }
            }
        }
        if dirs.len() == before {
            return Err(Failure::Usage(format!("`{}` holds no Agent Skills folder (a folder with a `{SKILL_FILE}`)", path.display())));
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let absolute = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        let name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut files = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
        {
            if entry.path_is_symlink() {
                return Err(Failure::Usage(format!(
                    "`{}` is a symbolic link: personac does not follow links\n  help: copy the file itself into the skill's folder",
                    entry.path().display()
                )));
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let inside = entry.path().strip_prefix(&dir).unwrap_or(entry.path()).to_string_lossy().replace('\\', "/");
            let bytes =
                std::fs::read(entry.path()).map_err(|e| Failure::Usage(format!("cannot read `{}`: {e}", entry.path().display())))?;
            files.insert(inside, bytes);
        }
        out.push(Found { name, source: dir.to_string_lossy().replace('\\', "/"), files });
    }
    Ok(out)
}

pub(super) fn import(ctx: &Ctx, paths: &[PathBuf], dry_run: bool) -> Outcome {
    let found = found(paths)?;
    let (snapshot, _) = load(ctx, DiagFormat::Text, None)?;
    let files = match agent_skills::plan_import(&found, &snapshot) {
        Ok(files) => files,
        Err(err) => {
            let mut sources = SourceFiles::default();
            for skill in &found {
                if let Some(bytes) = skill.files.get(SKILL_FILE) {
                    let text = crate::snapshot::normalized(&String::from_utf8_lossy(bytes));
                    sources.files.insert(format!("{}/{SKILL_FILE}", skill.source), text);
                }
            }
            let invalid = "the repository would not compile with these skills";
            return Err(super::ctx::refused(ctx, err, &sources, &snapshot, "skills", invalid));
        }
    };
    let verb = if dry_run { "Would create" } else { "Creating" };
    for skill in &found {
        status(ctx, verb, &format!("skill `{}` from {}", skill.name, skill.source));
    }
    for path in files.keys() {
        status(ctx, "", path);
    }
    if dry_run {
        status(ctx, "Dry run", &format!("{} files from agent-skills; nothing was written", files.len()));
        return Ok(());
    }
    for (path, bytes) in &files {
        let file = ctx.root.join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Usage(format!("cannot create the folder of `{path}`: {e}")))?;
        }
        crate::atomic::write(&file, bytes).map_err(|e| Failure::Usage(format!("cannot write `{path}`: {e}")))?;
    }
    let n = found.len();
    status(ctx, "Imported", &format!("{n} Agent Skills folder{} into {} files", if n == 1 { "" } else { "s" }, files.len()));
    Ok(())
}
