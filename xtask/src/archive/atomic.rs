//! Files that appear whole or not at all: written under a hidden temporary
//! name beside their destination (`.NAME.PID.tmp`), then renamed over it.
//! A temporary file that is not kept is removed when dropped.

use std::fs::File;
use std::io::Write;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

/// A file being written under a temporary name; removed unless kept.
#[derive(Debug)]
pub struct TempFile {
    temp: Utf8PathBuf,
    target: Utf8PathBuf,
    kept: bool,
}

impl TempFile {
    /// Create `.NAME.PID.tmp` in `dir` for the final file `dir/name`.
    pub fn create(dir: &Utf8Path, name: &str) -> Result<(TempFile, File)> {
        let temp = temp_name(dir, name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| format!("cannot create {temp}"))?;
        Ok((
            TempFile {
                temp,
                target: dir.join(name),
                kept: false,
            },
            file,
        ))
    }

    /// Where the bytes are being written.
    pub fn path(&self) -> &Utf8Path {
        &self.temp
    }

    /// Rename the temporary file to its final name.
    pub fn keep(mut self) -> Result<Utf8PathBuf> {
        std::fs::rename(&self.temp, &self.target)
            .with_context(|| format!("cannot rename {} to {}", self.temp, self.target))?;
        self.kept = true;
        Ok(self.target.clone())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// The hidden temporary name of `dir/name` for this process.
pub fn temp_name(dir: &Utf8Path, name: &str) -> Utf8PathBuf {
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Refuse to replace anything but a regular file: renaming over a symlink,
/// a FIFO or a device would silently turn it into a file (and as root, any).
pub fn ensure_replaceable(path: &Utf8Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot inspect {path}")),
        Ok(meta) if meta.file_type().is_file() => Ok(()),
        Ok(meta) => {
            let what = describe_type(&meta.file_type());
            bail!(
                "{path} is {what}, not a regular file; give the path of a regular file or of a new one"
            )
        }
    }
}

fn describe_type(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Remove the temporary files (`.NAME.PID.tmp`) that processes which no
/// longer run left in `dir`, e.g. after a kill. Returns their names.
pub fn remove_stale(dir: &Utf8Path) -> Vec<String> {
    let Ok(entries) = dir.read_dir_utf8() else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Some(pid) = temp_pid(name) else { continue };
        if pid == std::process::id() || process_exists(pid) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed.push(name.to_owned());
        }
    }
    removed.sort();
    removed
}

/// The process id in a name made by [`temp_name`].
fn temp_pid(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (file, pid) = inner.rsplit_once('.')?;
    if file.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// Write `bytes` to `path` through a temporary file in the same folder
/// (created if missing), so that `path` is never seen half-written. An
/// existing `path` must be a regular file.
pub fn write(path: &Utf8Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    };
    ensure_replaceable(path)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    let name = path
        .file_name()
        .with_context(|| format!("{path} names no file"))?;
    remove_stale(dir);
    let (temp, mut file) = TempFile::create(dir, name)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temp.path()))?;
    drop(file);
    temp.keep()?;
    Ok(())
}

/// Set a file's mode exactly (whatever the umask); nothing to do off Unix.
#[cfg(unix)]
pub fn set_mode(path: &Utf8Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {path}"))
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Utf8Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_temp_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let (temp, mut file) = TempFile::create(dir, "a.zip").unwrap();
        file.write_all(b"half").unwrap();
        assert!(temp.path().as_str().ends_with(".tmp"));
        drop(temp);
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
    }

    #[test]
    fn write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let path = dir.join("sub/notes.md");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.join("sub")).unwrap().count(), 1);
    }

    #[test]
    fn only_regular_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let file = dir.join("notes.md");
        write(&file, b"one").unwrap();
        write(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let target = dir.join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.join("link.md");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write(&link, b"x").unwrap_err().to_string();
        assert!(
            err.contains("is a symbolic link, not a regular file"),
            "{err}"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let err = write(Utf8Path::new("/dev/null"), b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/null is a device"), "{err}");
        let err = write(dir, b"x").unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.as_str()).unwrap();
        // SAFETY: a valid C string and mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = write(&fifo, b"x").unwrap_err().to_string();
        assert!(err.contains("is a FIFO"), "{err}");
        // Nothing was left behind.
        let names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn temp_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        // A child that has exited: its pid names no process any more.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = format!(".a.whl.{dead}.tmp");
        let ours = format!(".b.whl.{}.tmp", std::process::id());
        for name in [&stale, &ours, &".c.1.x".to_owned(), &"d.1.tmp".to_owned()] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        assert_eq!(remove_stale(dir), vec![stale.clone()]);
        assert!(!dir.join(&stale).exists());
        assert!(dir.join(&ours).exists());
        assert_eq!(temp_pid(".a.b.12.tmp"), Some(12));
        assert_eq!(temp_pid(".12.tmp"), None);
        assert_eq!(temp_pid("a.12.tmp"), None);
    }
}
