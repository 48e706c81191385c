//! Replacing one file atomically: a temp file written in the same folder,
//! then renamed over the target, so a reader (or an interrupted run) sees the
//! old file or the new one, never half of either. A new file gets the usual
//! mode (0666 less the umask, as the kernel applies it at creation); a
//! replaced file keeps its mode. Temp files carry [`TEMP_PREFIX`], so that
//! one left by a killed process can be recognised and swept.

use std::io::Write as _;
use std::path::Path;

/// Prefix of the temporary files of atomic writes.
pub const TEMP_PREFIX: &str = ".personac-tmp-";

/// Replaces `path` with `bytes`. Its folder exists.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    stage(dir, bytes)?.persist(path)
}

/// Bytes written to a temp file in a folder, not yet in place: [`Staged::persist`]
/// renames it over its target (which must be on the same filesystem); dropped,
/// it is removed.
pub struct Staged(tempfile::TempPath);

/// Writes `bytes` to a new temp file in `dir`, which exists.
pub fn stage(dir: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // The mode a new file is created with; the umask applies to it.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir)?;
    // No fsync: the rename makes the file whole, old or new, if the process
    // is interrupted; surviving a power cut is the filesystem's business.
    temp.write_all(bytes)?;
    Ok(Staged(temp.into_temp_path()))
}

impl Staged {
    /// Renames the temp file over `path`; a file it replaces keeps its mode.
    pub fn persist(self, path: &Path) -> std::io::Result<()> {
        if let Ok(existing) = std::fs::metadata(path) {
            std::fs::set_permissions(&self.0, existing.permissions())?;
        }
        self.persist_new(path)
    }

    /// Renames the temp file to `path`, known not to exist (it keeps the
    /// mode of a new file).
    pub fn persist_new(self, path: &Path) -> std::io::Result<()> {
        self.0.persist(path).map_err(|e| e.error)
    }
}

/// Whether a file name is one of this module's temp files.
pub fn is_temp(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}
