//! What setuptools reads besides pyproject.toml: a setup.py (accepted only
//! as a bare `setup()` call, parsed, never run), setup.cfg (its command
//! sections, and its `[metadata]` and `[options]` beside a `[project]`
//! table, judged as setuptools 84 applies them into an [`Overlay`] that
//! `pyproject` applies) and the command options of
//! `[tool.distutils]`. Each option either changes nothing, is reproduced, or
//! is refused naming its file, line and key.

mod overlay;
mod setup_cfg;
mod setup_py;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

pub(super) use overlay::{Given, Overlay, setup_cfg_overlay};
use setup_cfg::{CfgOption, read_setup_cfg};
use setup_py::bare_setup_py;

use super::textfile::read_regular;

/// setuptools' command options that this builder understands, from
/// setup.cfg sections or `[tool.distutils]` tables: the command, the option
/// and what its value does. Any other option of a command setuptools reads
/// is refused, naming it; sections setuptools does not read (tool settings
/// such as `[flake8]` or `[tool:pytest]`) and empty ones are ignored.
pub(super) fn command_option(
    command: &str,
    key: &str,
    value: &str,
) -> Result<CommandEffect, String> {
    let key = key.trim().replace('-', "_");
    let value = value.trim();
    let truthy = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on");
    let falsy = |v: &str| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off" | ""
        )
    };
    match (command, key.as_str()) {
        ("egg_info", "tag_build") if value.is_empty() => Ok(CommandEffect::None),
        ("egg_info", "tag_date") if falsy(value) => Ok(CommandEffect::None),
        // Kept by setuptools for old sdists; setting it does nothing.
        ("egg_info", "tag_svn_revision") => Ok(CommandEffect::None),
        ("bdist_wheel", "universal") if truthy(value) => Ok(CommandEffect::Universal),
        ("bdist_wheel", "universal") if falsy(value) => Ok(CommandEffect::None),
        ("sdist", "formats") if value == "gztar" => Ok(CommandEffect::None),
        // The tag a pure wheel gets anyway (`universal` wins over it).
        ("bdist_wheel", "python_tag") if value == "py3" => Ok(CommandEffect::None),
        _ => Err(format!(
            "[{command}] {key} = {value:?} changes what setuptools builds and is not reproduced by this builder"
        )),
    }
}

/// What a command option does to the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommandEffect {
    None,
    /// `[bdist_wheel] universal = 1`: the wheel is tagged `py2.py3-none-any`.
    Universal,
}

/// The setup.cfg sections and `[tool.distutils]` tables setuptools reads as
/// command options or metadata.
pub(super) fn read_by_setuptools(section: &str) -> bool {
    const COMMANDS: &[&str] = &[
        "metadata",
        "options",
        "global",
        "aliases",
        "egg_info",
        "bdist_wheel",
        "bdist",
        "sdist",
        "build",
        "build_py",
        "build_ext",
        "build_scripts",
        "install",
        "install_lib",
        "install_scripts",
        "install_data",
        "easy_install",
        "develop",
        "dist_info",
        "editable_wheel",
    ];
    COMMANDS.contains(&section) || section.starts_with("options.")
}

/// What setup.py and setup.cfg hold for the build.
pub(super) struct Legacy {
    /// The project folder.
    pub root: Utf8PathBuf,
    pub effects: Vec<CommandEffect>,
    pub setup_py_name: Option<String>,
    pub setup_cfg: Utf8PathBuf,
    /// setup.cfg's `[metadata]`, `[options]` and `[options.*]` options,
    /// judged once pyproject.toml is read (see [`setup_cfg_overlay`]).
    pub metadata: Vec<CfgOption>,
}

/// setup.py or setup.cfg as text: a regular file, bounded, UTF-8.
fn read_utf8(path: &Utf8Path) -> Result<String> {
    let bytes = read_regular(path).map_err(|e| anyhow::anyhow!(e))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{path} is not UTF-8 text"))
}

/// Read setup.py (a bare `setup()` only) and setup.cfg: the command options
/// that matter to the build, refused or understood, setup.py's `name=`, and
/// setup.cfg's metadata and options.
pub(super) fn check_legacy_files(root: &Utf8Path) -> Result<Legacy> {
    let setup_py = root.join("setup.py");
    let mut setup_py_name = None;
    if setup_py.exists() {
        let text = read_utf8(&setup_py)?;
        setup_py_name = bare_setup_py(&text).map_err(|why| {
            anyhow::anyhow!(
                "{setup_py}: {why}; a setup.py that does more than call setup() can change what setuptools builds and is not supported by this builder: move its settings into pyproject.toml"
            )
        })?;
    }
    let mut effects = Vec::new();
    let mut metadata = Vec::new();
    let setup_cfg = root.join("setup.cfg");
    if setup_cfg.exists() {
        let text = read_utf8(&setup_cfg)?;
        for o in read_setup_cfg(&text) {
            if o.section == "metadata"
                || o.section == "options"
                || o.section.starts_with("options.")
            {
                metadata.push(o);
                continue;
            }
            if !read_by_setuptools(&o.section) {
                continue;
            }
            let effect = command_option(&o.section, &o.key, &o.value)
                .map_err(|why| anyhow::anyhow!("{setup_cfg}:{}:{}: {why}", o.line, o.col))?;
            effects.push(effect);
        }
    }
    Ok(Legacy {
        root: root.to_path_buf(),
        effects,
        setup_py_name,
        setup_cfg,
        metadata,
    })
}
