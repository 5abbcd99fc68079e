//! Where things are: the repository root and the named paths under it.
//!
//! The root is found when the command starts, never baked in at compile
//! time: a binary built in one checkout (a shared `CARGO_TARGET_DIR`) must
//! not act on that checkout when run from another. `cargo run` tells the
//! process its crate's folder in `CARGO_MANIFEST_DIR`; otherwise the working
//! directory's checkout is used; when both are known they must agree.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

use crate::config::{self, Config};

static ROOT: OnceLock<Utf8PathBuf> = OnceLock::new();
static CONFIG: OnceLock<Arc<Config>> = OnceLock::new();

/// Read the root checkout's layout (once, at start-up), so that a bad
/// `[workspace.metadata.xtask]` stops every command before it starts.
pub fn init_layout() -> Result<()> {
    let root = init_root()?;
    if CONFIG.get().is_none() {
        let config = Config::load(&root)?;
        config::check_consistent(&config)?;
        let _ = CONFIG.set(Arc::new(config));
    }
    Ok(())
}

/// Find the repository root for this process (once, at start-up).
pub fn init_root() -> Result<Utf8PathBuf> {
    if let Some(root) = ROOT.get() {
        return Ok(root.clone());
    }
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .ok()
        .map(Utf8PathBuf::from);
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|dir| Utf8PathBuf::from_path_buf(dir).ok());
    // Outside any checkout (a prebuilt binary building some project with
    // `dist --project`), the working directory stands in; a command that
    // needs the repository's files then names the file it cannot find.
    let root = match find_root(manifest_dir.as_deref(), cwd.as_deref())? {
        Some(root) => root,
        None => cwd.unwrap_or_else(|| Utf8PathBuf::from(".")),
    };
    Ok(ROOT.get_or_init(|| root).clone())
}

/// The repository root: the checkout holding the `xtask/` crate.
pub fn project_root() -> Utf8PathBuf {
    match ROOT.get() {
        Some(root) => root.clone(),
        // Unit tests run without `init_root`; they are started by cargo.
        None => init_root().unwrap_or_else(|_| Utf8PathBuf::from(".")),
    }
}

/// Whether `dir` is the top of a checkout of this project.
fn is_checkout(dir: &Utf8Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("xtask/Cargo.toml").is_file()
}

/// The root from the crate folder cargo names and from the working
/// directory (None when neither is in a checkout). Pure but for looking at
/// which files exist.
pub fn find_root(
    manifest_dir: Option<&Utf8Path>,
    cwd: Option<&Utf8Path>,
) -> Result<Option<Utf8PathBuf>> {
    let from_cargo = manifest_dir
        .and_then(|dir| dir.parent())
        .filter(|root| is_checkout(root))
        .map(canonical);
    let from_cwd = cwd
        .and_then(|dir| dir.ancestors().find(|d| is_checkout(d)))
        .map(canonical);
    match (from_cargo, from_cwd) {
        (Some(a), Some(b)) if a != b => bail!(
            "this xtask was started for the checkout {a} (CARGO_MANIFEST_DIR) but the working directory is in the checkout {b}; run `cargo xtask` from inside the checkout to act on, or unset CARGO_MANIFEST_DIR"
        ),
        (Some(root), _) | (None, Some(root)) => Ok(Some(root)),
        (None, None) => Ok(None),
    }
}

fn canonical(dir: &Utf8Path) -> Utf8PathBuf {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// A shell whose working directory is the repository root.
pub fn root_shell() -> Result<Shell> {
    let sh = Shell::new().context("cannot start a shell")?;
    sh.change_dir(project_root());
    Ok(sh)
}

/// The named folders and files of the repository, all absolute: where
/// `[workspace.metadata.xtask]` puts them, else this repository's layout.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: Utf8PathBuf,
    pub config: Arc<Config>,
}

impl Layout {
    /// The layout of the checkout this command runs in.
    pub fn new() -> Self {
        let config = match CONFIG.get() {
            Some(config) => config.clone(),
            // Unit tests run without `init_layout`: this checkout has no table.
            None => Arc::new(Config::default()),
        };
        Self {
            root: project_root(),
            config,
        }
    }

    /// This repository's default layout at `root` (a test's tree).
    #[cfg(test)]
    pub fn at(root: &Utf8Path) -> Self {
        Self {
            root: root.to_path_buf(),
            config: Arc::new(Config::default()),
        }
    }

    /// The layout of the checkout at `root` (e.g. a copy of this one), read
    /// from its Cargo.toml.
    pub fn load(root: &Utf8Path) -> Result<Self> {
        let config = Config::load(root)?;
        config::check_consistent(&config)?;
        Ok(Self {
            root: root.to_path_buf(),
            config: Arc::new(config),
        })
    }

    /// A path of the layout, absolute.
    fn path(&self, rel: &str) -> Utf8PathBuf {
        if rel == "." {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// A path of the layout relative to the Python project, `/`-separated.
    pub fn in_python(&self, rel: &str) -> Option<String> {
        let python = &self.config.python;
        if python == "." {
            return Some(rel.to_owned());
        }
        rel.strip_prefix(python.as_str())?
            .strip_prefix('/')
            .map(str::to_owned)
    }

    /// The folders the release build reads, relative to the root: the
    /// Python project, the UI and the installer (`.` when one is the root).
    pub fn read_paths(&self) -> Vec<String> {
        let c = &self.config;
        let mut read: Vec<String> = [&c.python, &c.ui.dir, &c.installer.dir]
            .map(|p| p.to_string())
            .into();
        if read.iter().any(|p| p == ".") {
            return vec![".".into()];
        }
        read.sort();
        read.dedup();
        // A folder inside another is already read with it.
        let outer = read.clone();
        read.retain(|p| {
            !outer
                .iter()
                .any(|o| o != p && p.starts_with(&format!("{o}/")))
        });
        read
    }

    /// The Python project (pyproject.toml, the `invokeai` package, its tests).
    pub fn python(&self) -> Utf8PathBuf {
        self.path(&self.config.python)
    }

    /// The pinned, hash-locked Python development tools.
    pub fn python_dev_lock(&self) -> Utf8PathBuf {
        self.path(&self.config.python_tools)
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
        self.path(&self.config.ui.dir)
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
        self.path(&self.config.ui.dist)
    }

    /// The SBOM of the npm packages in the built UI, written by the UI build
    /// beside the Python project and shipped in the wheel's `.dist-info/sboms/`.
    pub fn ui_sbom(&self) -> Utf8PathBuf {
        self.path(&self.config.ui.sbom)
    }

    /// Installer templates and scripts.
    pub fn installer(&self) -> Utf8PathBuf {
        self.path(&self.config.installer.dir)
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
        Self::load(&root)
    }

    /// The single source of the app's version (`__version__ = "..."`).
    pub fn version_file(&self) -> Utf8PathBuf {
        self.path(&self.config.version_file)
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
    fn the_root_is_found_at_run_time_and_both_sources_must_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = canonical(Utf8Path::from_path(tmp.path()).unwrap());
        for checkout in ["a", "b"] {
            std::fs::create_dir_all(tmp.join(checkout).join("xtask")).unwrap();
            std::fs::create_dir_all(tmp.join(checkout).join("python/pkg")).unwrap();
            std::fs::write(tmp.join(checkout).join("Cargo.toml"), "").unwrap();
            std::fs::write(tmp.join(checkout).join("xtask/Cargo.toml"), "").unwrap();
        }
        let (a, b) = (tmp.join("a"), tmp.join("b"));
        let a_xtask = a.join("xtask");
        let found = |m: Option<&Utf8Path>, c: Option<&Utf8Path>| find_root(m, c).unwrap();
        assert_eq!(found(Some(&a_xtask), None), Some(a.clone()));
        assert_eq!(found(None, Some(&b.join("python/pkg"))), Some(b.clone()));
        assert_eq!(
            found(Some(&a_xtask), Some(&a.join("python"))),
            Some(a.clone())
        );
        // Outside any checkout, cargo's word is enough.
        assert_eq!(found(Some(&a_xtask), Some(&tmp)), Some(a.clone()));
        let err = find_root(Some(&a_xtask), Some(&b.join("python")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("started for the checkout {a}")),
            "{err}"
        );
        assert!(err.contains(&format!("in the checkout {b}")), "{err}");
        // Neither: the caller uses the working directory.
        assert_eq!(found(None, Some(&tmp)), None);
        // A manifest folder that is no checkout of ours is ignored.
        assert_eq!(found(Some(&tmp.join("elsewhere")), Some(&b)), Some(b));
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
        assert_eq!(layout.read_paths(), ["frontend", "installer", "python"]);
        assert_eq!(
            layout
                .in_python("python/invokeai/frontend/web/dist")
                .as_deref(),
            Some("invokeai/frontend/web/dist")
        );
        assert_eq!(layout.in_python("frontend/dist"), None);
    }

    #[test]
    fn a_configured_layout_moves_every_named_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(tmp.path()).unwrap();
        for dir in ["invokeai/version", "invokeai/frontend/web", "installer"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("invokeai/version/invokeai_version.py"), "").unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\n[workspace.metadata.xtask]\npython = \".\"\nversion-file = \"invokeai/version/invokeai_version.py\"\n[workspace.metadata.xtask.ui]\ndir = \"invokeai/frontend/web\"\ndist = \"invokeai/frontend/web/dist\"\n",
        )
        .unwrap();
        let layout = Layout::load(root).unwrap();
        assert_eq!(layout.python(), root);
        assert_eq!(layout.pyproject(), root.join("pyproject.toml"));
        assert_eq!(
            layout.version_file(),
            root.join("invokeai/version/invokeai_version.py")
        );
        assert_eq!(layout.frontend(), root.join("invokeai/frontend/web"));
        assert_eq!(layout.ui_dist(), root.join("invokeai/frontend/web/dist"));
        assert_eq!(layout.installer(), root.join("installer"));
        assert_eq!(layout.read_paths(), ["."]);
        assert_eq!(
            layout.in_python("invokeai/frontend/web/dist").as_deref(),
            Some("invokeai/frontend/web/dist")
        );
        // A layout the build cannot honour is refused when it is loaded.
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace.metadata.xtask]\npython = \"installer\"\n",
        )
        .unwrap();
        let err = Layout::load(root).unwrap_err().to_string();
        assert!(err.contains("version-file"), "{err}");
    }
}
