//! A project's text files as setuptools reads them (pyproject.toml, a
//! readme, a license, setup.cfg, MANIFEST.in, version and requirements
//! files): regular files only, bounded, UTF-8, with Python's universal
//! newlines, at paths that stay inside the project folder.

use camino::Utf8Path;

/// A path written in the configuration: relative, and not leaving the
/// project folder.
pub(crate) fn check_relative(path: &str) -> Result<(), String> {
    if path.starts_with('/') || path.contains(":\\") {
        return Err(format!("{path:?} must be relative to the project folder"));
    }
    if path.split(['/', '\\']).any(|p| p == "..") {
        return Err(format!(
            "{path:?} leaves the project folder; only files inside it can be used"
        ));
    }
    Ok(())
}

/// The most bytes a text file of the project (pyproject.toml, a readme, a
/// license, MANIFEST.in, a version or requirements file) may hold.
pub const TEXT_CAP: u64 = 32 << 20;

/// What a path that is not a regular file is, for the error.
pub(super) fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The bytes of a project file, read only when it is a regular file (a
/// FIFO or a device is opened without blocking and refused unread) and
/// holds at most [`TEXT_CAP`] bytes. setuptools skips what is not a regular
/// file; a file this builder needs is refused instead, naming it.
pub fn read_regular(path: &Utf8Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{path} is {}, not a regular file, and is not read; name a regular file",
            kind_of(&meta)
        ));
    }
    let too_big = || {
        format!(
            "{path} holds more than {} MiB, the most a text file of the project may hold",
            TEXT_CAP >> 20
        )
    };
    if meta.len() > TEXT_CAP {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(TEXT_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if bytes.len() as u64 > TEXT_CAP {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Whether `path` is a regular file (after symlinks), as Python's
/// `os.path.isfile`, which setuptools' `read_files` asks before reading.
pub fn is_regular(path: &Utf8Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Read a UTF-8 text file of the project with Python's universal newlines.
pub fn read_text(root: &Utf8Path, rel: &str) -> Result<String, String> {
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if meta.file_type().is_symlink() {
        let target =
            std::fs::canonicalize(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let root_c = std::fs::canonicalize(root).map_err(|e| format!("cannot open {root}: {e}"))?;
        if !target.starts_with(&root_c) {
            return Err(format!(
                "{rel} is a symlink to {}, outside the project",
                target.display()
            ));
        }
    }
    let bytes = read_regular(&path)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
    Ok(universal_newlines(&text))
}

/// `\r\n` and `\r` become `\n`, as Python's text mode reads them.
pub fn universal_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}
