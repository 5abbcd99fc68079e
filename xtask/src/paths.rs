//! Where things are: the repository root and the named paths under it.
//!
//! The root is derived from this crate's manifest dir at compile time, so the
//! xtask works from any subfolder of the repository.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

/// The repository root: the parent of the `xtask/` crate.
pub fn project_root() -> Utf8PathBuf {
    root_from_manifest_dir(Utf8Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn root_from_manifest_dir(manifest_dir: &Utf8Path) -> Utf8PathBuf {
    manifest_dir
        .ancestors()
        .nth(1)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// A shell whose working directory is the repository root.
pub fn root_shell() -> Result<Shell> {
    let sh = Shell::new().context("cannot start a shell")?;
    sh.change_dir(project_root());
    Ok(sh)
}

/// The named folders and files of the repository, all absolute.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: Utf8PathBuf,
}

impl Layout {
    pub fn new() -> Self {
        Self {
            root: project_root(),
        }
    }

    /// The layout of the checkout at `root` (e.g. a copy of this one).
    pub fn at(root: &Utf8Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The Python project (pyproject.toml, the `invokeai` package, its tests).
    pub fn python(&self) -> Utf8PathBuf {
        self.root.join("python")
    }

    /// The pinned, hash-locked Python development tools.
    pub fn python_dev_lock(&self) -> Utf8PathBuf {
        self.python().join("requirements-dev.txt")
    }

    /// The development virtual environment.
    pub fn venv(&self) -> Utf8PathBuf {
        self.root.join(".venv")
    }

    /// A program installed in the development virtual environment.
    pub fn venv_bin(&self, program: &str) -> Utf8PathBuf {
        if cfg!(windows) {
            self.venv().join("Scripts").join(format!("{program}.exe"))
        } else {
            self.venv().join("bin").join(program)
        }
    }

    /// The web UI's sources.
    pub fn frontend(&self) -> Utf8PathBuf {
        self.root.join("frontend")
    }

    pub fn frontend_lock(&self) -> Utf8PathBuf {
        self.frontend().join("package-lock.json")
    }

    pub fn node_modules(&self) -> Utf8PathBuf {
        self.frontend().join("node_modules")
    }

    /// A program installed in the front end's node modules.
    pub fn node_bin(&self, program: &str) -> Utf8PathBuf {
        let bin = self.node_modules().join(".bin");
        if cfg!(windows) {
            bin.join(format!("{program}.cmd"))
        } else {
            bin.join(program)
        }
    }

    /// The UI's API types, generated from the app's OpenAPI document and committed.
    pub fn api_types(&self) -> Utf8PathBuf {
        self.frontend().join("src/generated/openapi.ts")
    }

    /// Where the front-end build lands: package data of the Python package.
    pub fn ui_dist(&self) -> Utf8PathBuf {
        self.python().join("invokeai/frontend/web/dist")
    }

    /// Installer templates and scripts.
    #[allow(dead_code)]
    pub fn installer(&self) -> Utf8PathBuf {
        self.root.join("installer")
    }

    /// Release artifacts.
    pub fn dist(&self) -> Utf8PathBuf {
        self.root.join("dist")
    }

    /// The xtask's own scratch space (logs, stamps, benchmark trees).
    pub fn xtask_target(&self) -> Utf8PathBuf {
        self.root.join("target/xtask")
    }

    /// The captured output of each `check`, one log per check.
    pub fn check_logs(&self) -> Utf8PathBuf {
        self.xtask_target().join("checks")
    }

    pub fn check_log(&self, check: &str) -> Utf8PathBuf {
        self.check_logs().join(format!("{check}.log"))
    }

    /// What `smoke-test --browser` keeps: the rendered page and its screenshot.
    pub fn smoke_dir(&self) -> Utf8PathBuf {
        self.xtask_target().join("smoke")
    }

    /// The page's DOM after its scripts ran, as headless Chromium saw it.
    pub fn smoke_dom(&self) -> Utf8PathBuf {
        self.smoke_dir().join("page.html")
    }

    /// A screenshot of the installed app's page (PNG, 1024x768).
    pub fn smoke_screenshot(&self) -> Utf8PathBuf {
        self.smoke_dir().join("page.png")
    }
}

impl Layout {
    /// The checkout a command was pointed at with `--repo DIR`, else this one.
    pub fn for_repo(repo: Option<&Utf8Path>) -> Result<Self> {
        let Some(dir) = repo else {
            return Ok(Self::new());
        };
        let abs = std::fs::canonicalize(dir)
            .with_context(|| format!("cannot open the checkout {dir} given with --repo"))?;
        let root = Utf8PathBuf::from_path_buf(abs)
            .map_err(|p| anyhow::anyhow!("the path {} is not UTF-8", p.display()))?;
        Ok(Self::at(&root))
    }

    /// The single source of the app's version (`__version__ = "..."`).
    pub fn version_file(&self) -> Utf8PathBuf {
        self.python().join("invokeai/version/invokeai_version.py")
    }

    /// The Python project's metadata (its `[project] name`).
    pub fn pyproject(&self) -> Utf8PathBuf {
        self.python().join("pyproject.toml")
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_parent_of_the_xtask_crate() {
        let root = project_root();
        assert!(
            root.join("Cargo.toml").is_file(),
            "{root} has no Cargo.toml"
        );
        assert!(root.join("xtask/Cargo.toml").is_file());
        assert!(root.join(".cargo/config.toml").is_file());
        assert_eq!(root.join("xtask").as_str(), env!("CARGO_MANIFEST_DIR"));
    }

    #[test]
    fn root_from_manifest_dir_takes_the_parent() {
        assert_eq!(
            root_from_manifest_dir(Utf8Path::new("/a/b/xtask")),
            Utf8PathBuf::from("/a/b")
        );
    }

    #[test]
    fn named_paths_hang_off_the_root() {
        let layout = Layout::at(Utf8Path::new("/r"));
        assert_eq!(layout.ui_dist(), "/r/python/invokeai/frontend/web/dist");
        assert_eq!(layout.frontend_lock(), "/r/frontend/package-lock.json");
        assert_eq!(layout.python_dev_lock(), "/r/python/requirements-dev.txt");
        assert_eq!(layout.check_log("mypy"), "/r/target/xtask/checks/mypy.log");
        if cfg!(unix) {
            assert_eq!(layout.node_bin("tsc"), "/r/frontend/node_modules/.bin/tsc");
        }
        assert_eq!(layout.api_types(), "/r/frontend/src/generated/openapi.ts");
        assert_eq!(layout.smoke_screenshot(), "/r/target/xtask/smoke/page.png");
        assert_eq!(layout.smoke_dom(), "/r/target/xtask/smoke/page.html");
    }
}
