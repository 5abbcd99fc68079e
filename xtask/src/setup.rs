//! `cargo xtask setup`: the development environment, from pinned sources.
//!
//! Two parts, each recorded by a stamp that holds the sha256 of the lockfile it
//! was installed from:
//! - `.venv/`, the Python tools, hash-locked in `python/requirements-dev.txt`
//!   and installed by uv (itself installed hash-verified by pip);
//! - `frontend/node_modules/`, installed by `npm ci` from `package-lock.json`.
//!
//! Deciding what to do is a pure function of what was observed on disk, so the
//! "nothing to do" path costs two small file reads and two hashes.
//!
//! A third part, only on request (`--browser`): Debian's headless-capable
//! Chromium for the browser smoke test, from apt.

use std::fmt;

use anyhow::{Context, Result, bail};
use camino::Utf8Path;
use sha2::{Digest, Sha256};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::util::hash::hex;

/// The stamp files: inside the folders they describe, so deleting the folder
/// deletes the stamp too.
const PYTHON_STAMP: &str = ".xtask-setup-stamp";
const NODE_STAMP: &str = ".xtask-setup-stamp";

/// Bump to force every environment to reinstall when the install recipe changes.
const RECIPE: &str = "setup-recipe-1";

impl flags::Setup {
    pub fn run(self, sh: &Shell) -> Result<()> {
        if self.browser {
            ensure_browser(sh)?;
            if !self.python && !self.frontend {
                return Ok(());
            }
        }
        let layout = Layout::new();
        let parts = Parts::from_flags(self.python, self.frontend);
        let observed = Observed::read(&layout, parts)?;
        let actions = plan(&observed, parts, self.force);
        if actions.is_empty() {
            eprintln!("setup: nothing to do ({} up to date)", parts.describe());
            return Ok(());
        }
        execute(sh, &layout, &observed, &actions)
    }
}

/// Make sure the Python tools are installed, installing them if needed.
pub fn ensure_python(sh: &Shell) -> Result<()> {
    ensure_parts(
        sh,
        Parts {
            python: true,
            frontend: false,
        },
    )
}

/// Make sure the front end's node modules are installed, installing them if needed.
pub fn ensure_frontend(sh: &Shell) -> Result<()> {
    ensure_parts(
        sh,
        Parts {
            python: false,
            frontend: true,
        },
    )
}

/// Make sure the given parts of the environment are installed.
pub fn ensure_parts(sh: &Shell, parts: Parts) -> Result<()> {
    ensure_parts_at(sh, &Layout::new(), parts)
}

/// Make sure the given parts of the environment of the checkout at `layout`
/// are installed.
pub fn ensure_parts_at(sh: &Shell, layout: &Layout, parts: Parts) -> Result<()> {
    let observed = Observed::read(layout, parts)?;
    let actions = plan(&observed, parts, false);
    if actions.is_empty() {
        return Ok(());
    }
    eprintln!(
        "setup: the development environment needs: {}",
        describe(&actions)
    );
    execute(sh, layout, &observed, &actions)
}

/// How to get the browser of `smoke-test --browser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserPlan {
    /// /usr/bin/chromium is there.
    Present,
    /// `apt-get update`, then `apt-get install -y --no-install-recommends chromium`.
    AptInstall,
    /// Cannot install it from here: the message says what to run.
    Missing(String),
}

/// What to do about Chromium, given what was observed. Pure.
///
/// The version is deliberately not pinned: Debian ships Chromium through its
/// security archive and replaces the package with every security release
/// (often several a month), removing the older .deb from the mirrors, so an
/// exact `chromium=<version>` pin would stop installing within weeks. What the
/// smoke test uses (--headless, --dump-dom, --screenshot,
/// --virtual-time-budget) has been stable across many releases; the version
/// installed is printed, so a log records which one ran.
pub fn browser_plan(present: bool, is_root: bool, has_apt_get: bool) -> BrowserPlan {
    if present {
        return BrowserPlan::Present;
    }
    if is_root && has_apt_get {
        return BrowserPlan::AptInstall;
    }
    let why = if has_apt_get {
        "installing packages needs root"
    } else {
        "this system has no apt-get (the browser test expects Debian's chromium package)"
    };
    BrowserPlan::Missing(format!(
        "{} is missing and {why}; install it with `apt-get update && {}` (as root), then run `cargo xtask setup --browser` again",
        crate::browser::CHROMIUM,
        crate::browser::APT_INSTALL
    ))
}

/// Make sure Debian's chromium is installed, installing it with apt-get if
/// running as root.
pub fn ensure_browser(sh: &Shell) -> Result<()> {
    let chromium = crate::browser::chromium();
    if chromium != crate::browser::CHROMIUM {
        eprintln!("setup: browser {chromium} (from CHROMIUM)");
    }
    let plan = browser_plan(chromium.is_file(), is_root(), on_path("apt-get"));
    match plan {
        BrowserPlan::Present => {}
        BrowserPlan::Missing(message) => bail!("{message}"),
        BrowserPlan::AptInstall => {
            eprintln!("setup: install chromium from Debian (apt-get)");
            apt_get(sh, &["update"])?;
            apt_get(
                sh,
                &["install", "-y", "--no-install-recommends", "chromium"],
            )?;
            if !chromium.is_file() {
                bail!("apt-get installed chromium but there is no {chromium}");
            }
        }
    }
    let version = cmd!(sh, "{chromium} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_else(|_| "version unknown".to_owned());
    eprintln!("setup: browser: {chromium} ({})", version.trim());
    Ok(())
}

fn apt_get(sh: &Shell, args: &[&str]) -> Result<()> {
    let apt = cmd!(sh, "apt-get {args...}").env("DEBIAN_FRONTEND", "noninteractive");
    eprintln!("$ {apt}");
    // apt prints its progress on stdout: keep stdout for results.
    let status = std::process::Command::from(apt)
        .stdin(std::process::Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .context("cannot run apt-get")?;
    if !status.success() {
        bail!(
            "`apt-get {}` failed ({status}); run `apt-get update && {}` yourself, then `cargo xtask setup --browser`",
            args.join(" "),
            crate::browser::APT_INSTALL
        );
    }
    Ok(())
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// Whether `program` is an executable file in a folder of PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Which parts of the environment a command is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub python: bool,
    pub frontend: bool,
}

impl Parts {
    /// No flag means both.
    pub fn from_flags(python: bool, frontend: bool) -> Self {
        if !python && !frontend {
            Self {
                python: true,
                frontend: true,
            }
        } else {
            Self { python, frontend }
        }
    }

    fn describe(self) -> &'static str {
        match (self.python, self.frontend) {
            (true, true) => ".venv and frontend/node_modules are",
            (true, false) => ".venv is",
            (false, true) => "frontend/node_modules is",
            (false, false) => "nothing is",
        }
    }
}

/// What is on disk now, read without starting any process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The venv's interpreter exists (following symlinks).
    pub venv_python: bool,
    /// The venv has pip: `python -m venv` installs it last, so a venv
    /// without it was interrupted (or made by hand) and cannot be filled.
    pub venv_pip: bool,
    /// The expected stamp for the Python lockfile, and the one found.
    pub python_wanted: String,
    pub python_found: Option<String>,
    /// `node_modules/.package-lock.json` exists (npm writes it last).
    pub node_modules: bool,
    pub node_wanted: String,
    pub node_found: Option<String>,
}

impl Observed {
    pub fn read(layout: &Layout, parts: Parts) -> Result<Self> {
        let mut observed = Observed::default();
        if parts.python {
            observed.python_wanted = lock_stamp(&layout.python_dev_lock())?;
            observed.venv_python = layout.venv_bin("python").is_file();
            observed.venv_pip = has_pip(&layout.venv());
            observed.python_found = read_stamp(&layout.venv().join(PYTHON_STAMP));
        }
        if parts.frontend {
            observed.node_wanted = lock_stamp(&layout.frontend_lock())?;
            observed.node_modules = layout.node_modules().join(".package-lock.json").is_file();
            observed.node_found = read_stamp(&layout.node_modules().join(NODE_STAMP));
        }
        Ok(observed)
    }
}

/// Whether pip is installed in the venv at `venv` (looked for, not run):
/// `Lib/site-packages/pip` on Windows, `lib/python3.X/site-packages/pip`
/// elsewhere.
pub fn has_pip(venv: &Utf8Path) -> bool {
    let init = |site: camino::Utf8PathBuf| site.join("pip/__init__.py").is_file();
    if init(venv.join("Lib/site-packages")) {
        return true;
    }
    let Ok(entries) = venv.join("lib").read_dir_utf8() else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.file_name().starts_with("python") && init(entry.path().join("site-packages"))
    })
}

/// One step of the setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `python3 -m venv .venv` (cleared first if a broken one is there).
    CreateVenv,
    /// Install uv, then sync the venv to the lockfile.
    SyncPythonTools,
    /// `npm ci` in frontend/.
    NpmCi,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::CreateVenv => "create .venv",
            Action::SyncPythonTools => "install the Python tools from python/requirements-dev.txt",
            Action::NpmCi => "install node modules from frontend/package-lock.json",
        })
    }
}

fn describe(actions: &[Action]) -> String {
    actions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What to do, given what was observed. Pure: the heart of idempotency.
pub fn plan(observed: &Observed, parts: Parts, force: bool) -> Vec<Action> {
    let mut actions = Vec::new();
    if parts.python {
        // A venv without pip (an interrupted `python -m venv`) is made again.
        let usable = observed.venv_python && observed.venv_pip;
        if !usable || force {
            actions.push(Action::CreateVenv);
        }
        let current = observed.python_found.as_deref() == Some(observed.python_wanted.as_str());
        if !usable || !current || force {
            actions.push(Action::SyncPythonTools);
        }
    }
    if parts.frontend {
        let current = observed.node_found.as_deref() == Some(observed.node_wanted.as_str());
        if !observed.node_modules || !current || force {
            actions.push(Action::NpmCi);
        }
    }
    actions
}

fn execute(sh: &Shell, layout: &Layout, observed: &Observed, actions: &[Action]) -> Result<()> {
    if observed.venv_python && !observed.venv_pip && actions.contains(&Action::CreateVenv) {
        eprintln!(
            "setup: {} has no pip (an interrupted setup?); creating it again",
            layout.venv()
        );
    }
    for action in actions {
        eprintln!("setup: {action}");
        match action {
            Action::CreateVenv => create_venv(sh, layout)?,
            Action::SyncPythonTools => {
                sync_python_tools(sh, layout)?;
                write_stamp(&layout.venv().join(PYTHON_STAMP), &observed.python_wanted)?;
            }
            Action::NpmCi => {
                npm_ci(sh, layout)?;
                write_stamp(
                    &layout.node_modules().join(NODE_STAMP),
                    &observed.node_wanted,
                )?;
            }
        }
    }
    eprintln!("setup: done");
    Ok(())
}

/// The interpreter that creates the venv: `python3` (or `python` on Windows).
fn base_python() -> &'static str {
    if cfg!(windows) { "python" } else { "python3" }
}

fn create_venv(sh: &Shell, layout: &Layout) -> Result<()> {
    let python = base_python();
    let venv = layout.venv();
    cmd!(sh, "{python} -m venv --clear {venv}")
        .run()
        .with_context(|| format!("cannot create the virtual environment {venv} with {python}; install Python 3.10 or newer with its venv module"))?;
    Ok(())
}

fn sync_python_tools(sh: &Shell, layout: &Layout) -> Result<()> {
    let lock = layout.python_dev_lock();
    let lock_text = sh
        .read_file(&lock)
        .with_context(|| format!("cannot read {lock}"))?;
    let uv_pin = requirement_block(&lock_text, "uv")
        .with_context(|| format!("{lock} pins no `uv`; regenerate it from requirements-dev.in"))?;
    let uv_req = layout.venv().join("uv-requirement.txt");
    sh.write_file(&uv_req, uv_pin)?;
    let python = layout.venv_bin("python");
    cmd!(sh, "{python} -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r {uv_req}")
        .run()
        .with_context(|| {
            format!("cannot install uv into .venv from {lock}; if .venv is broken, `cargo xtask setup --python --force` creates it again")
        })?;
    let uv = layout.venv_bin("uv");
    cmd!(
        sh,
        "{uv} pip sync --quiet --require-hashes --python {python} {lock}"
    )
    .run()
    .with_context(|| format!("cannot install the Python tools from {lock}"))?;
    Ok(())
}

fn npm_ci(sh: &Shell, layout: &Layout) -> Result<()> {
    let lock = layout.frontend_lock();
    if !lock.is_file() {
        bail!("{lock} is missing; the front end installs from its lockfile only");
    }
    let _dir = sh.push_dir(layout.frontend());
    let npm_ci = cmd!(sh, "npm ci --no-audit --no-fund");
    eprintln!("$ {npm_ci}");
    // npm prints its summary on stdout: send it to stderr, so that commands whose
    // stdout is their result (`openapi`, `frontend typegen --mode dry-run`) stay clean.
    let status = std::process::Command::from(npm_ci)
        .stdout(std::io::stderr())
        .status()
        .with_context(|| {
            format!("cannot run npm to install the node modules from {lock}; is npm on PATH?")
        })?;
    if !status.success() {
        bail!("cannot install the node modules from {lock}: npm ci failed ({status})");
    }
    Ok(())
}

/// The lines of one pinned requirement (`name==version \` and its `--hash` lines).
fn requirement_block(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines().peekable();
    let prefix = format!("{name}==");
    while let Some(line) = lines.next() {
        if line.starts_with(&prefix) {
            let mut block = vec![line];
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') && next.trim_start().starts_with("--hash") {
                    block.push(lines.next().unwrap_or_default());
                } else {
                    break;
                }
            }
            return Some(block.join("\n") + "\n");
        }
    }
    None
}

fn lock_stamp(lock: &Utf8Path) -> Result<String> {
    let bytes = std::fs::read(lock).with_context(|| format!("cannot read the lockfile {lock}"))?;
    let digest = Sha256::new()
        .chain_update(RECIPE)
        .chain_update(&bytes)
        .finalize();
    Ok(hex(&digest))
}

fn read_stamp(path: &Utf8Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

fn write_stamp(path: &Utf8Path, value: &str) -> Result<()> {
    std::fs::write(path, format!("{value}\n")).with_context(|| format!("cannot write {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Observed {
        Observed {
            venv_python: true,
            venv_pip: true,
            python_wanted: "a".into(),
            python_found: Some("a".into()),
            node_modules: true,
            node_wanted: "b".into(),
            node_found: Some("b".into()),
        }
    }

    const BOTH: Parts = Parts {
        python: true,
        frontend: true,
    };

    #[test]
    fn nothing_to_do_when_stamps_match() {
        assert_eq!(plan(&ready(), BOTH, false), vec![]);
    }

    #[test]
    fn force_redoes_everything() {
        assert_eq!(
            plan(&ready(), BOTH, true),
            vec![Action::CreateVenv, Action::SyncPythonTools, Action::NpmCi]
        );
    }

    #[test]
    fn missing_venv_is_created_and_filled() {
        let observed = Observed {
            venv_python: false,
            python_found: None,
            ..ready()
        };
        assert_eq!(
            plan(&observed, BOTH, false),
            vec![Action::CreateVenv, Action::SyncPythonTools]
        );
    }

    /// What `python -m venv` leaves when it is interrupted while it installs
    /// pip: an interpreter and no pip. Observed as such, and made again.
    #[cfg(unix)]
    #[test]
    fn a_venv_without_pip_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = camino::Utf8Path::from_path(dir.path()).unwrap();
        let layout = Layout::at(root);
        std::fs::create_dir_all(layout.python()).unwrap();
        std::fs::write(layout.python_dev_lock(), "uv==1 \\\n    --hash=sha256:aa\n").unwrap();
        let venv = layout.venv();
        let made = std::process::Command::new(base_python())
            .args(["-m", "venv", "--without-pip", venv.as_str()])
            .status()
            .unwrap();
        assert!(made.success());
        let python_only = Parts::from_flags(true, false);
        let mut observed = Observed::read(&layout, python_only).unwrap();
        assert!(observed.venv_python && !observed.venv_pip, "{observed:?}");
        assert_eq!(
            plan(&observed, python_only, false),
            vec![Action::CreateVenv, Action::SyncPythonTools]
        );
        // Even with its stamp, a venv without pip cannot be used.
        observed.python_found = Some(observed.python_wanted.clone());
        assert_eq!(
            plan(&observed, python_only, false),
            vec![Action::CreateVenv, Action::SyncPythonTools]
        );
        // pip's package in site-packages is what counts.
        let site = std::fs::read_dir(venv.join("lib"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join("site-packages/pip");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("__init__.py"), "").unwrap();
        assert!(has_pip(&venv));
        assert!(!has_pip(&root.join("nothing")));
    }

    #[test]
    fn changed_python_lock_resyncs_without_recreating() {
        let observed = Observed {
            python_wanted: "a2".into(),
            ..ready()
        };
        assert_eq!(plan(&observed, BOTH, false), vec![Action::SyncPythonTools]);
    }

    #[test]
    fn interrupted_install_has_no_stamp_and_is_redone() {
        let observed = Observed {
            python_found: None,
            node_found: None,
            ..ready()
        };
        assert_eq!(
            plan(&observed, BOTH, false),
            vec![Action::SyncPythonTools, Action::NpmCi]
        );
    }

    #[test]
    fn changed_node_lock_or_missing_modules_reinstall() {
        let changed = Observed {
            node_wanted: "b2".into(),
            ..ready()
        };
        assert_eq!(plan(&changed, BOTH, false), vec![Action::NpmCi]);
        let missing = Observed {
            node_modules: false,
            ..ready()
        };
        assert_eq!(plan(&missing, BOTH, false), vec![Action::NpmCi]);
    }

    #[test]
    fn parts_limit_the_plan() {
        let stale = Observed {
            python_found: None,
            node_found: None,
            ..ready()
        };
        let python_only = Parts::from_flags(true, false);
        assert_eq!(
            plan(&stale, python_only, false),
            vec![Action::SyncPythonTools]
        );
        let frontend_only = Parts::from_flags(false, true);
        assert_eq!(plan(&stale, frontend_only, false), vec![Action::NpmCi]);
        assert_eq!(Parts::from_flags(false, false), BOTH);
    }

    #[test]
    fn the_browser_is_installed_only_when_missing_and_possible() {
        assert_eq!(browser_plan(true, false, false), BrowserPlan::Present);
        assert_eq!(browser_plan(false, true, true), BrowserPlan::AptInstall);
        let BrowserPlan::Missing(not_root) = browser_plan(false, false, true) else {
            panic!("expected a message");
        };
        assert!(not_root.contains("needs root"), "{not_root}");
        assert!(
            not_root.contains("apt-get install -y --no-install-recommends chromium"),
            "{not_root}"
        );
        let BrowserPlan::Missing(no_apt) = browser_plan(false, true, false) else {
            panic!("expected a message");
        };
        assert!(no_apt.contains("no apt-get"), "{no_apt}");
    }

    #[test]
    fn requirement_block_takes_the_pin_and_its_hashes() {
        let lock = "ruff==0.1 \\\n    --hash=sha256:aa\n    # via x\nuv==0.13.9 \\\n    --hash=sha256:bb \\\n    --hash=sha256:cc\n    # via -r in\nzz==1\n";
        assert_eq!(
            requirement_block(lock, "uv").unwrap(),
            "uv==0.13.9 \\\n    --hash=sha256:bb \\\n    --hash=sha256:cc\n"
        );
        assert!(requirement_block(lock, "pip").is_none());
    }

    #[test]
    fn stamp_changes_with_the_lockfile() {
        let dir = std::env::temp_dir().join(format!("xtask-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = camino::Utf8PathBuf::from_path_buf(dir.join("lock")).unwrap();
        std::fs::write(&lock, "a==1\n").unwrap();
        let first = lock_stamp(&lock).unwrap();
        assert_eq!(first, lock_stamp(&lock).unwrap());
        std::fs::write(&lock, "a==2\n").unwrap();
        assert_ne!(first, lock_stamp(&lock).unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
