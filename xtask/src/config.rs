//! Where the app's parts are: `[workspace.metadata.xtask]` in the top-level
//! Cargo.toml (the convention of cargo-dist's `[workspace.metadata.dist]`).
//!
//! Without the table, this repository's own layout applies ([`Config::default`]).
//! With it, every key is optional and falls back to that layout; an unknown
//! key, a value of the wrong type, or an input path that does not exist is
//! refused with `Cargo.toml:LINE:COL`. Paths are relative to the workspace
//! root, `/`-separated. See README.md, "Adopting the xtask".

use anyhow::{Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::util::toml_spans::{Source, Tv, TvKind, parse};

/// The layout of one checkout, as written (relative paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The Python project: the folder holding pyproject.toml.
    pub python: String,
    /// The single source of `__version__ = "..."`.
    pub version_file: String,
    /// The hash-locked Python development tools the `.venv` is filled from.
    pub python_tools: String,
    pub ui: Ui,
    pub installer: Installer,
    pub checks: Checks,
    /// Where the table was read (`Cargo.toml`), for messages; None without one.
    pub from: Option<Utf8PathBuf>,
}

/// The web UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ui {
    /// The folder holding package.json and its lockfile.
    pub dir: String,
    /// Where the UI build lands (package data of the Python project).
    pub dist: String,
    /// Where the UI build's SBOM is written; the wheel ships it.
    pub sbom: String,
    /// pnpm's version, when package.json names no `packageManager`.
    pub pnpm: Option<String>,
    /// The app's own Vite config, when the xtask is to build with a config of
    /// its own that loads this one and adds the bundle-graph plugin (the
    /// app's config is not edited). None: the UI's `build` script is run and
    /// its config records the bundle graph itself.
    pub vite_config: Option<String>,
    /// Files and folders of the UI folder that its build writes or that no
    /// build reads (e.g. a bundle visualiser's `stats.html`): they are no
    /// input of the UI build's cache.
    pub not_inputs: Vec<String>,
}

/// The installer folder and what of it ships in the installer zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installer {
    pub dir: String,
    /// `(name in the zip, template in the installer folder)`.
    pub scripts: Vec<(String, String)>,
    /// Whether the scripts' `@NAME@` placeholders are filled; false copies
    /// each template as it is.
    pub fill: bool,
    /// Further files shipped, relative to the installer folder: a file, a
    /// folder ending in `/` (all its files), or `DIR/*.EXT`.
    pub ship: Vec<String>,
    /// Whether `smoke-test` can install and start the app offline.
    pub smoke: bool,
}

/// Which checks `cargo xtask check` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checks {
    /// Built-in Python checks (names as `check --list` shows them); None: all.
    pub python: Option<Vec<String>>,
    /// Built-in front-end checks; None: all.
    pub frontend: Option<Vec<String>>,
    /// When set, the UI's package.json scripts whose names start with this
    /// prefix (e.g. `lint:`) are the front-end checks, each run through the
    /// package manager, instead of the built-in ones.
    pub frontend_scripts: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            python: "python".into(),
            version_file: "python/invokeai/version/invokeai_version.py".into(),
            python_tools: "python/requirements-dev.txt".into(),
            ui: Ui {
                dir: "frontend".into(),
                dist: "python/invokeai/frontend/web/dist".into(),
                sbom: format!("python/sboms/{}", crate::sbom::FILE_NAME),
                pnpm: None,
                vite_config: None,
                not_inputs: Vec::new(),
            },
            installer: Installer {
                dir: "installer".into(),
                scripts: vec![
                    ("install.sh".into(), "install.sh.in".into()),
                    ("install.bat".into(), "install.bat.in".into()),
                ],
                fill: true,
                ship: vec![
                    "lib/".into(),
                    "templates/".into(),
                    "readme.txt".into(),
                    "WinLongPathsEnabled.reg".into(),
                ],
                smoke: true,
            },
            checks: Checks {
                python: None,
                frontend: None,
                frontend_scripts: None,
            },
            from: None,
        }
    }
}

const TABLE: &str = "workspace.metadata.xtask";

impl Config {
    /// The layout of the checkout at `root`: its Cargo.toml's table, or the
    /// default when there is no Cargo.toml or no table.
    pub fn load(root: &Utf8Path) -> Result<Config> {
        let path = root.join("Cargo.toml");
        let text = match std::fs::read(&path) {
            Ok(bytes) => {
                String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{path} is not UTF-8 text"))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(anyhow::anyhow!("cannot read {path}: {e}")),
        };
        Config::parse(root, &Source { path, text })
    }

    /// [`Config::load`] from Cargo.toml's text; `root` is where relative
    /// paths are checked to exist.
    pub fn parse(root: &Utf8Path, src: &Source) -> Result<Config> {
        let top = parse(src)?;
        let Some(table) = top
            .get("workspace")
            .and_then(|w| w.get("metadata"))
            .and_then(|m| m.get("xtask"))
        else {
            return Ok(Config::default());
        };
        let reader = Reader { src, root };
        let mut config = Config {
            from: Some(src.path.clone()),
            ..Config::default()
        };
        for (key, value) in src.table(table, &format!("[{TABLE}]"))? {
            match key.as_str() {
                "python" => config.python = reader.dir(value, key)?,
                "version-file" => config.version_file = reader.file(value, key)?,
                "python-tools" => config.python_tools = reader.file(value, key)?,
                "ui" => reader.ui(value, &mut config.ui)?,
                "installer" => reader.installer(value, &mut config.installer)?,
                "checks" => reader.checks(value, &mut config.checks)?,
                _ => return Err(reader.unknown(value, "", key, TOP_KEYS)),
            }
        }
        Ok(config)
    }
}

const TOP_KEYS: &[&str] = &[
    "python",
    "version-file",
    "python-tools",
    "ui",
    "installer",
    "checks",
];
const UI_KEYS: &[&str] = &["dir", "dist", "sbom", "pnpm", "vite-config", "not-inputs"];
const INSTALLER_KEYS: &[&str] = &["dir", "scripts", "fill", "ship", "smoke"];
const CHECKS_KEYS: &[&str] = &["python", "frontend", "frontend-scripts"];

/// Reads the table's values, each checked where it is written.
struct Reader<'a> {
    src: &'a Source,
    root: &'a Utf8Path,
}

impl Reader<'_> {
    fn unknown(&self, value: &Tv, section: &str, key: &str, known: &[&str]) -> anyhow::Error {
        let section = if section.is_empty() {
            TABLE.to_owned()
        } else {
            format!("{TABLE}.{section}")
        };
        self.src.err(
            value,
            format!(
                "{section}.{key} is not a key the xtask knows; the keys are {}",
                known.join(", ")
            ),
        )
    }

    /// A relative, `/`-separated path that stays inside the checkout.
    fn relative(&self, value: &Tv, what: &str) -> Result<String> {
        let path = self.src.str(value, &format!("{TABLE}.{what}"))?;
        if let Err(e) = crate::pydist::textfile::check_relative(path) {
            return Err(self.src.err(value, format!("{TABLE}.{what}: {e}")));
        }
        Ok(path.trim_end_matches('/').to_owned())
    }

    fn existing(&self, value: &Tv, what: &str, dir: bool) -> Result<String> {
        let rel = self.relative(value, what)?;
        let path = self.root.join(&rel);
        let ok = if dir { path.is_dir() } else { path.is_file() };
        if !ok {
            return Err(self.src.err(
                value,
                format!(
                    "{TABLE}.{what} = {rel:?}: {path} is not a {}; give a path relative to the folder of Cargo.toml",
                    if dir { "folder" } else { "file" }
                ),
            ));
        }
        Ok(rel)
    }

    fn dir(&self, value: &Tv, what: &str) -> Result<String> {
        self.existing(value, what, true)
    }

    fn file(&self, value: &Tv, what: &str) -> Result<String> {
        self.existing(value, what, false)
    }

    fn section<'t>(&self, value: &'t Tv, name: &str) -> Result<&'t [(String, Tv)]> {
        self.src.table(value, &format!("[{TABLE}.{name}]"))
    }

    fn ui(&self, value: &Tv, ui: &mut Ui) -> Result<()> {
        for (key, v) in self.section(value, "ui")? {
            let what = format!("ui.{key}");
            match key.as_str() {
                "dir" => ui.dir = self.dir(v, &what)?,
                "dist" => ui.dist = self.relative(v, &what)?,
                "sbom" => ui.sbom = self.relative(v, &what)?,
                "pnpm" => ui.pnpm = Some(self.pnpm_version(v)?),
                "vite-config" => ui.vite_config = Some(self.str(v, &what)?),
                "not-inputs" => ui.not_inputs = self.str_list(v, &what)?,
                _ => return Err(self.unknown(v, "ui", key, UI_KEYS)),
            }
        }
        if let Some(config) = &ui.vite_config
            && !self.root.join(&ui.dir).join(config).is_file()
        {
            let v = value.get("vite-config").unwrap_or(value);
            return Err(self.src.err(
                v,
                format!(
                    "{TABLE}.ui.vite-config = {config:?}: there is no such file in {}; name the UI's Vite config, relative to ui.dir",
                    ui.dir
                ),
            ));
        }
        Ok(())
    }

    fn pnpm_version(&self, v: &Tv) -> Result<String> {
        let version = self.str(v, "ui.pnpm")?;
        let ok = version.split('.').count() == 3
            && version
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(self.src.err(
                v,
                format!(
                    "{TABLE}.ui.pnpm = {version:?}: give pnpm's exact version, e.g. \"8.15.6\""
                ),
            ));
        }
        Ok(version)
    }

    fn installer(&self, value: &Tv, installer: &mut Installer) -> Result<()> {
        let mut dir_tv = None;
        for (key, v) in self.section(value, "installer")? {
            let what = format!("installer.{key}");
            match key.as_str() {
                "dir" => {
                    installer.dir = self.dir(v, &what)?;
                    dir_tv = Some(v);
                }
                "scripts" => installer.scripts = self.scripts(v)?,
                "fill" => installer.fill = self.src.bool(v, &format!("{TABLE}.{what}"))?,
                "ship" => installer.ship = self.str_list(v, &what)?,
                "smoke" => installer.smoke = self.src.bool(v, &format!("{TABLE}.{what}"))?,
                _ => return Err(self.unknown(v, "installer", key, INSTALLER_KEYS)),
            }
        }
        // Every template and shipped path must exist in the installer folder.
        let base = self.root.join(&installer.dir);
        let at = dir_tv.unwrap_or(value);
        for (name, template) in &installer.scripts {
            if !base.join(template).is_file() {
                let v = value.get("scripts").and_then(|s| s.get(name)).unwrap_or(at);
                return Err(self.src.err(
                    v,
                    format!(
                        "{TABLE}.installer.scripts.{name} = {template:?}: {} is not a file",
                        base.join(template)
                    ),
                ));
            }
        }
        for entry in &installer.ship {
            let present = match entry.split_once("/*.") {
                Some((dir, _)) => base.join(dir).is_dir(),
                None if entry.ends_with('/') => base.join(entry).is_dir(),
                None => base.join(entry).is_file(),
            };
            if !present && value.get("ship").is_some() {
                let v = value.get("ship").unwrap_or(at);
                return Err(self.src.err(
                    v,
                    format!(
                        "{TABLE}.installer.ship: {entry:?} names nothing in {base}; list files, folders ending in /, or DIR/*.EXT"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn scripts(&self, v: &Tv) -> Result<Vec<(String, String)>> {
        let mut scripts = Vec::new();
        for (name, template) in self.section(v, "installer.scripts")? {
            let what = format!("installer.scripts.{name}");
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                return Err(self.src.err(
                    template,
                    format!("{TABLE}.{what}: a script's name is a plain file name at the top of the installer"),
                ));
            }
            scripts.push((name.clone(), self.relative(template, &what)?));
        }
        Ok(scripts)
    }

    fn checks(&self, value: &Tv, checks: &mut Checks) -> Result<()> {
        for (key, v) in self.section(value, "checks")? {
            let what = format!("checks.{key}");
            match key.as_str() {
                "python" => checks.python = Some(self.str_list(v, &what)?),
                "frontend" => checks.frontend = Some(self.str_list(v, &what)?),
                "frontend-scripts" => checks.frontend_scripts = Some(self.str(v, &what)?),
                _ => return Err(self.unknown(v, "checks", key, CHECKS_KEYS)),
            }
        }
        Ok(())
    }

    fn str(&self, v: &Tv, what: &str) -> Result<String> {
        let s = self.src.str(v, &format!("{TABLE}.{what}"))?;
        if s.is_empty() || s.contains(['\n', '\r', '\0']) {
            return Err(self
                .src
                .err(v, format!("{TABLE}.{what} must be one non-empty line")));
        }
        Ok(s.to_owned())
    }

    fn str_list(&self, v: &Tv, what: &str) -> Result<Vec<String>> {
        let list = self.src.str_list(v, &format!("{TABLE}.{what}"))?;
        if let TvKind::Arr(items) = &v.kind {
            for (s, item) in list.iter().zip(items) {
                if s.is_empty() || s.contains(['\n', '\r', '\0']) {
                    return Err(self.src.err(
                        item,
                        format!("{TABLE}.{what}: each entry must be one non-empty line"),
                    ));
                }
            }
        }
        Ok(list)
    }
}

/// Refuse a layout whose folders nest in a way the build cannot honour.
pub fn check_consistent(config: &Config) -> Result<()> {
    let inside =
        |path: &str, dir: &str| dir == "." || path == dir || path.starts_with(&format!("{dir}/"));
    if !inside(&config.version_file, &config.python) {
        bail!(
            "{}: {TABLE}.version-file ({}) is outside the Python project ({}); the version file must belong to the package",
            config.from.as_deref().map_or("Cargo.toml", |p| p.as_str()),
            config.version_file,
            config.python
        );
    }
    if !inside(&config.ui.dist, &config.python) {
        bail!(
            "{}: {TABLE}.ui.dist ({}) is outside the Python project ({}); the wheel ships the built UI as package data",
            config.from.as_deref().map_or("Cargo.toml", |p| p.as_str()),
            config.ui.dist,
            config.python
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).unwrap();
        for dir in [
            "app/pkg/version",
            "app/pkg/web",
            "inst/lib",
            "inst/templates",
        ] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in [
            "app/pkg/version/v.py",
            "app/pkg/web/vite.config.mts",
            "inst/install.sh.in",
            "inst/install.bat.in",
            "inst/readme.txt",
            "tools.txt",
        ] {
            std::fs::write(root.join(file), "").unwrap();
        }
        (tmp, root)
    }

    fn parse_at(root: &Utf8Path, text: &str) -> Result<Config> {
        Config::parse(
            root,
            &Source {
                path: "Cargo.toml".into(),
                text: text.into(),
            },
        )
    }

    #[test]
    fn without_a_table_the_repository_layout_applies() {
        let (_tmp, root) = tree();
        let config = parse_at(&root, "[workspace]\nmembers = [\"xtask\"]\n").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(
            Config::load(&root.join("nowhere")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn every_key_is_read() {
        let (_tmp, root) = tree();
        let config = parse_at(
            &root,
            r#"[workspace]
members = ["xtask"]

[workspace.metadata.xtask]
python = "app"
version-file = "app/pkg/version/v.py"
python-tools = "tools.txt"

[workspace.metadata.xtask.ui]
dir = "app/pkg/web"
dist = "app/pkg/web/dist"
sbom = "target/xtask/sboms/ui.cdx.json"
pnpm = "8.15.6"
vite-config = "vite.config.mts"
not-inputs = ["stats.html"]

[workspace.metadata.xtask.installer]
dir = "inst"
scripts = { "install.sh" = "install.sh.in" }
fill = false
ship = ["templates/", "lib/*.py", "readme.txt"]
smoke = false

[workspace.metadata.xtask.checks]
python = ["ruff-lint", "ruff-format"]
frontend-scripts = "lint:"
"#,
        )
        .unwrap();
        assert_eq!(config.python, "app");
        assert_eq!(config.version_file, "app/pkg/version/v.py");
        assert_eq!(config.python_tools, "tools.txt");
        assert_eq!(config.ui.dir, "app/pkg/web");
        assert_eq!(config.ui.dist, "app/pkg/web/dist");
        assert_eq!(config.ui.sbom, "target/xtask/sboms/ui.cdx.json");
        assert_eq!(config.ui.pnpm.as_deref(), Some("8.15.6"));
        assert_eq!(config.ui.vite_config.as_deref(), Some("vite.config.mts"));
        assert_eq!(config.ui.not_inputs, ["stats.html"]);
        assert_eq!(config.installer.dir, "inst");
        assert_eq!(
            config.installer.scripts,
            [("install.sh".to_owned(), "install.sh.in".to_owned())]
        );
        assert!(!config.installer.fill && !config.installer.smoke);
        assert_eq!(
            config.installer.ship,
            ["templates/", "lib/*.py", "readme.txt"]
        );
        assert_eq!(
            config.checks.python.as_deref(),
            Some(&["ruff-lint".to_owned(), "ruff-format".to_owned()][..])
        );
        assert_eq!(config.checks.frontend, None);
        assert_eq!(config.checks.frontend_scripts.as_deref(), Some("lint:"));
        assert_eq!(config.from.as_deref(), Some(Utf8Path::new("Cargo.toml")));
        check_consistent(&config).unwrap();
    }

    #[test]
    fn bad_keys_and_paths_are_refused_where_they_are_written() {
        let (_tmp, root) = tree();
        let head = "[workspace]\n\n[workspace.metadata.xtask]\n";
        for (body, expected) in [
            (
                "pyton = \"app\"\n",
                "Cargo.toml:4:9: workspace.metadata.xtask.pyton is not a key the xtask knows; the keys are python, version-file",
            ),
            (
                "python = \"nope\"\n",
                "Cargo.toml:4:10: workspace.metadata.xtask.python = \"nope\": ",
            ),
            (
                "python = 3\n",
                "Cargo.toml:4:10: workspace.metadata.xtask.python must be a string, not an integer",
            ),
            (
                "python = \"../app\"\n",
                "Cargo.toml:4:10: workspace.metadata.xtask.python: ",
            ),
            (
                "python = \"/etc\"\n",
                "Cargo.toml:4:10: workspace.metadata.xtask.python: ",
            ),
            (
                "version-file = \"app/pkg/version\"\n",
                "is not a file; give a path relative to the folder of Cargo.toml",
            ),
            (
                "[workspace.metadata.xtask.ui]\ndirr = \"x\"\n",
                "Cargo.toml:5:8: workspace.metadata.xtask.ui.dirr is not a key the xtask knows",
            ),
            (
                "[workspace.metadata.xtask.ui]\npnpm = \"8\"\n",
                "Cargo.toml:5:8: workspace.metadata.xtask.ui.pnpm = \"8\": give pnpm's exact version",
            ),
            (
                "[workspace.metadata.xtask.ui]\ndir = \"app/pkg/web\"\nvite-config = \"vite.config.ts\"\n",
                "Cargo.toml:6:15: workspace.metadata.xtask.ui.vite-config = \"vite.config.ts\": there is no such file in app/pkg/web",
            ),
            (
                "[workspace.metadata.xtask.installer]\ndir = \"inst\"\nscripts = { \"install.sh\" = \"missing.in\" }\n",
                "workspace.metadata.xtask.installer.scripts.install.sh = \"missing.in\": ",
            ),
            (
                "[workspace.metadata.xtask.installer]\ndir = \"inst\"\nship = [\"docs/\"]\n",
                "Cargo.toml:6:8: workspace.metadata.xtask.installer.ship: \"docs/\" names nothing in ",
            ),
            (
                "[workspace.metadata.xtask.installer]\nfill = \"no\"\n",
                "Cargo.toml:5:8: workspace.metadata.xtask.installer.fill must be true or false, not a string",
            ),
            (
                "[workspace.metadata.xtask.checks]\npython = [\"ruff-lint\", \"\"]\n",
                "Cargo.toml:5:24: workspace.metadata.xtask.checks.python: each entry must be one non-empty line",
            ),
            (
                "[workspace.metadata.xtask.checks]\nall = true\n",
                "Cargo.toml:5:7: workspace.metadata.xtask.checks.all is not a key the xtask knows; the keys are python, frontend, frontend-scripts",
            ),
        ] {
            let err = format!(
                "{:#}",
                parse_at(&root, &format!("{head}{body}")).unwrap_err()
            );
            assert!(err.contains(expected), "{body:?}:\n{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn the_version_file_and_the_ui_build_belong_to_the_python_project() {
        let (_tmp, root) = tree();
        let config = parse_at(
            &root,
            "[workspace.metadata.xtask]\npython = \"app\"\nversion-file = \"tools.txt\"\n",
        )
        .unwrap();
        let err = check_consistent(&config).unwrap_err().to_string();
        assert!(
            err.contains("version-file (tools.txt) is outside the Python project (app)"),
            "{err}"
        );
        let config = parse_at(&root, "[workspace.metadata.xtask]\npython = \".\"\n").unwrap();
        check_consistent(&config).unwrap();
    }
}
