//! The installer folder, `InvokeAI-Installer/`, as a plan: which files, under
//! which names, with which bytes and modes. Reading the sources is the only
//! side effect; writing the folder and zipping it are done by the caller.

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use super::templates::{self, ScriptValues};
use crate::archive::read;
use crate::paths::Layout;
use crate::pydist::pyproject;
use crate::release::identity::Identity;

/// The folder at the top of the installer zip.
pub const BUNDLE: &str = "InvokeAI-Installer";

/// One file of the installer folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// Path inside the bundle folder, `/`-separated.
    pub path: String,
    /// 0o755 for scripts run directly, else 0o644.
    pub mode: u32,
    pub bytes: Vec<u8>,
}

/// The installer folder of the release `id` from the checkout at `layout`:
/// its `installer/`, the built wheel and the wheel's SBOM, with the scripts'
/// values (the version, the wheel's name, the Python range of
/// `python/pyproject.toml`). What build-installer zips and verify expects.
pub fn plan_release(
    layout: &Layout,
    id: &Identity,
    wheel: &Utf8Path,
    sbom: &[u8],
) -> Result<(Vec<Staged>, ScriptValues)> {
    let project = pyproject::load(&layout.python())?;
    let (python_min, python_max_exclusive) = templates::python_range(
        project.requires_python.as_deref().unwrap_or(""),
        &project.classifiers,
    )
    .context("cannot derive the installer's Python range from python/pyproject.toml")?;
    let values = ScriptValues {
        version: id.version().to_string(),
        wheel: id.wheel(),
        python_min,
        python_max_exclusive,
    };
    Ok((plan(&layout.installer(), wheel, sbom, &values)?, values))
}

/// Plan the installer folder from `installer/`, the wheel and the script values.
pub fn plan(
    installer: &Utf8Path,
    wheel: &Utf8Path,
    sbom: &[u8],
    values: &ScriptValues,
) -> Result<Vec<Staged>> {
    let mut staged = Vec::new();
    for (template, name, mode) in [
        ("install.sh.in", "install.sh", 0o755),
        ("install.bat.in", "install.bat", 0o644),
    ] {
        let source = installer.join(template);
        let bytes = read(&source)?;
        let filled = templates::fill(source.as_str(), &bytes, values)?;
        staged.push(Staged {
            path: name.to_owned(),
            mode,
            bytes: filled,
        });
    }
    for dir in ["lib", "templates"] {
        let mut files = Vec::new();
        walk(installer, &installer.join(dir), &mut files)?;
        if files.is_empty() {
            bail!(
                "{} has no files; the installer needs its {dir}/",
                installer.join(dir)
            );
        }
        for rel in files {
            let bytes = read(&installer.join(&rel))?;
            staged.push(Staged {
                path: rel.to_string(),
                mode: 0o644,
                bytes,
            });
        }
    }
    for name in ["readme.txt", "WinLongPathsEnabled.reg"] {
        staged.push(Staged {
            path: name.to_owned(),
            mode: 0o644,
            bytes: read(&installer.join(name))?,
        });
    }
    let wheel_name = wheel
        .file_name()
        .context("the wheel path has no file name")?;
    staged.push(Staged {
        path: wheel_name.to_owned(),
        mode: 0o644,
        bytes: read(wheel)?,
    });
    staged.push(Staged {
        path: sbom_member(),
        mode: 0o644,
        bytes: sbom.to_vec(),
    });
    staged.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(staged)
}

/// Where the installer carries the wheel's SBOM, relative to its folder.
pub fn sbom_member() -> String {
    format!("sboms/{}", crate::sbom::FILE_NAME)
}

fn read(path: &Utf8Path) -> Result<Vec<u8>> {
    read::read_small(path, read::Limits::RELEASE.max_member)
}

/// Files under `dir`, relative to `base`, skipping caches.
fn walk(base: &Utf8Path, dir: &Utf8Path, out: &mut Vec<Utf8PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = dir
        .read_dir_utf8()
        .with_context(|| format!("cannot list {dir}"))?
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list {dir}"))?;
    entries.sort_by(|a, b| a.file_name().cmp(b.file_name()));
    for entry in entries {
        let name = entry.file_name();
        if name == "__pycache__" || name.ends_with(".pyc") || name.starts_with('.') {
            continue;
        }
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot stat {}", entry.path()))?;
        if kind.is_dir() {
            walk(base, entry.path(), out)?;
        } else if kind.is_file() {
            out.push(
                entry
                    .path()
                    .strip_prefix(base)
                    .unwrap_or(entry.path())
                    .to_path_buf(),
            );
        } else {
            bail!(
                "{} is neither a file nor a folder; the installer ships plain files only",
                entry.path()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Layout;

    #[test]
    fn plans_the_repository_installer() {
        let layout = Layout::new();
        let dir = tempfile::tempdir().unwrap();
        let wheel = Utf8Path::from_path(dir.path())
            .unwrap()
            .join("invokeai-1.2.3-py3-none-any.whl");
        std::fs::write(&wheel, b"wheel bytes").unwrap();
        let values = ScriptValues {
            version: "1.2.3".into(),
            wheel: "invokeai-1.2.3-py3-none-any.whl".into(),
            python_min: "3.10".into(),
            python_max_exclusive: "3.14".into(),
        };
        let staged = plan(&layout.installer(), &wheel, b"{}", &values).unwrap();
        let names: Vec<&str> = staged.iter().map(|s| s.path.as_str()).collect();
        for expected in [
            "install.sh",
            "install.bat",
            "lib/main.py",
            "lib/installer.py",
            "lib/messages.py",
            "templates/invoke.sh.in",
            "templates/invoke.bat.in",
            "readme.txt",
            "WinLongPathsEnabled.reg",
            "invokeai-1.2.3-py3-none-any.whl",
            "sboms/invokeai-ui.cdx.json",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("tests/") || n.contains("__pycache__")),
            "{names:?}"
        );
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let sh = staged.iter().find(|s| s.path == "install.sh").unwrap();
        assert_eq!(sh.mode, 0o755);
        let text = String::from_utf8_lossy(&sh.bytes);
        assert!(
            text.contains("version='1.2.3'") && !text.contains("@VERSION@"),
            "{text}"
        );
        let bat = staged.iter().find(|s| s.path == "install.bat").unwrap();
        assert!(
            bat.bytes.windows(2).any(|w| w == b"\r\n"),
            "install.bat keeps its CRLF line endings"
        );
        assert_eq!(
            staged
                .iter()
                .find(|s| s.path.ends_with(".whl"))
                .unwrap()
                .bytes,
            b"wheel bytes"
        );
    }

    /// A FIFO where a template or the readme should be is refused at once
    /// (reading it waited for a writer, so build-installer hung).
    #[test]
    fn a_fifo_among_the_installer_files_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        let installer = dir.join("installer");
        for rel in [
            "install.sh.in",
            "install.bat.in",
            "WinLongPathsEnabled.reg",
            "lib/main.py",
            "templates/invoke.sh.in",
        ] {
            let to = installer.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(Layout::new().installer().join(rel), to).unwrap();
        }
        let c_path = std::ffi::CString::new(installer.join("readme.txt").as_str()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let wheel = dir.join("x-1-py3-none-any.whl");
        std::fs::write(&wheel, b"wheel").unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let values = ScriptValues {
                version: "1".into(),
                wheel: "x-1-py3-none-any.whl".into(),
                python_min: "3.10".into(),
                python_max_exclusive: "3.14".into(),
            };
            let _ = send.send(plan(&installer, &wheel, b"{}", &values).map_err(|e| e.to_string()));
        });
        let err = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the plan waited for a writer of the FIFO")
            .unwrap_err();
        assert!(
            err.contains("readme.txt is a FIFO (named pipe), not a regular file; refused"),
            "{err}"
        );
    }
}
