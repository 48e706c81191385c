//! One writer at a time for an output folder: an exclusive lock (std's
//! `File::lock`) on the folder itself, so that locking writes nothing. A
//! process that must wait names the holder, found in `/proc/locks` on Linux.

use std::fs::{File, TryLockError};
use std::path::Path;

/// Held while a build writes; released when dropped.
pub struct OutLock {
    _dir: Option<File>,
}

/// Takes the lock of an existing output folder. When another process holds
/// it, calls `on_wait` with a description of that process, then waits.
/// Where folders cannot be opened as files (Windows), no lock is taken.
pub fn acquire(out_dir: &Path, on_wait: impl FnOnce(&str)) -> std::io::Result<OutLock> {
    let Ok(dir) = File::open(out_dir) else { return Ok(OutLock { _dir: None }) };
    match dir.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            on_wait(&holder(&dir).unwrap_or_else(|| "another process".into()));
            dir.lock()?;
        }
        Err(TryLockError::Error(e)) => return Err(e),
    }
    Ok(OutLock { _dir: Some(dir) })
}

/// Takes the lock of an existing output folder if no other process holds
/// it (nor, where folders cannot be locked, anything at all).
pub fn try_acquire(out_dir: &Path) -> Option<OutLock> {
    let dir = File::open(out_dir).ok()?;
    dir.try_lock().ok()?;
    Some(OutLock { _dir: Some(dir) })
}

/// "process 1234 (personac watch)", from the kernel's table of locks.
#[cfg(target_os = "linux")]
fn holder(dir: &File) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let inode = dir.metadata().ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `1: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> 0 EOF`
        let (pid, id) = (fields.get(4)?, fields.get(5)?);
        (id.rsplit(':').next()? == inode.to_string() && *pid != std::process::id().to_string()).then(|| pid.to_string())
    })?;
    let command = std::fs::read(format!("/proc/{pid}/cmdline")).ok().map(|raw| {
        let words: Vec<String> =
            raw.split(|b| *b == 0).filter(|w| !w.is_empty()).map(|w| String::from_utf8_lossy(w).into_owned()).collect();
        let program = words.first().map(|p| p.rsplit('/').next().unwrap_or(p).to_string()).unwrap_or_default();
        let command = words.iter().skip(1).find(|w| !w.starts_with('-') && !w.contains('/')).cloned().unwrap_or_default();
        format!("{program} {command}").trim().to_string()
    });
    Some(match command {
        Some(c) if !c.is_empty() => format!("process {pid} ({c})"),
        _ => format!("process {pid}"),
    })
}

#[cfg(not(target_os = "linux"))]
fn holder(_: &File) -> Option<String> {
    None
}
