//! Reading a project's `pyproject.toml`: the PEP 621 `[project]` table and
//! the parts of `[tool.setuptools]` this builder reproduces, into a typed
//! [`Project`].
//!
//! Everything is validated here, before any file is selected: a malformed
//! file, a missing `[project]`, an invalid name, version, dependency or
//! license expression, or a setuptools option the builder does not reproduce
//! stops the build with one line naming `pyproject.toml:LINE:COL`.
//!
//! One reader per table: [`build_system`], [`fields`] (with [`readme`],
//! [`licensing`], [`people`], [`requirements`] and [`entry_points`]) for
//! `[project]`, [`dynamic`] for `project.dynamic` and
//! `[tool.setuptools.dynamic]`, [`setuptools`] (with [`discovery`]) for
//! `[tool.setuptools]`, [`distutils`] and [`xtask`]. setup.py and setup.cfg
//! are read by [`super::legacy`], whose overlay [`setup_cfg`] applies.

mod build_system;
mod discovery;
mod distutils;
mod dynamic;
mod entry_points;
mod fields;
mod licensing;
mod people;
mod readme;
mod requirements;
mod setup_cfg;
mod setuptools;
mod xtask;

use anyhow::{Result, bail};
use camino::Utf8Path;

use super::legacy::{self, CommandEffect, Legacy};
use crate::util::toml_spans::{Source, Tv, parse};

// The project's types live in `super::project` and the file helpers in
// `super::textfile`; re-exported for the modules that name them through
// `pyproject`.
pub use super::project::*;
pub use super::textfile::{read_regular, read_text};
pub use discovery::is_identifier;
pub use fields::normalize_version;
#[cfg(test)]
pub use people::format_address;

/// What reading collects besides the fields, in the order it meets them.
#[derive(Debug, Default)]
struct Notes {
    /// Remarks on the configuration that do not stop the build.
    warnings: Vec<String>,
    /// Files the configuration points at: setuptools adds them to the sdist.
    referenced_files: Vec<String>,
}

/// Read and validate `root/pyproject.toml`.
pub fn load(root: &Utf8Path) -> Result<Project> {
    load_allowing(root, &[])
}

/// [`load`], with build requirements a maintainer vouched for
/// (`--allow-build-requires`).
pub fn load_allowing(root: &Utf8Path, allowed: &[String]) -> Result<Project> {
    let src = read_source(root)?;
    let top = parse(&src)?;
    let legacy = legacy::check_legacy_files(root)?;
    let vouched_build_requires = build_system::read(&src, &top, allowed)?;
    let project = project_table(&src, &top, &legacy)?;
    let tool = top.get("tool");
    let mut command_effects = legacy.effects.clone();
    command_effects.extend(distutils::read(&src, tool)?);
    let sbom_files = xtask::read(&src, tool)?;
    let st = setuptools::table(&src, tool)?;
    let (name, canonical_name) = fields::name(&src, project)?;
    check_setup_py_name(&legacy, &name, &canonical_name)?;

    let mut notes = Notes::default();
    let dynamic = dynamic::read(&src, project, st, &mut notes)?;
    let version = if dynamic.lists("version") {
        dynamic::version(&src, &dynamic, &mut notes)?
    } else {
        VersionSource::Static(fields::static_version(&src, project)?)
    };
    let summary = fields::description(&src, project, &mut notes)?;
    let readme = readme::read(&src, root, project, &dynamic, &mut notes)?;
    let requires_python = fields::requires_python(&src, project)?;
    let classifiers = fields::line_list(&src, project, "classifiers")?;
    let keywords = fields::line_list(&src, project, "keywords")?;
    let licensing = licensing::read(&src, root, project, st, &classifiers, &mut notes)?;
    let (author, author_email) = people::read(&src, project.get("authors"), "project.authors")?;
    let (maintainer, maintainer_email) =
        people::read(&src, project.get("maintainers"), "project.maintainers")?;
    let urls = fields::urls(&src, project)?;
    let (dependencies, extras) = requirements::read(&src, root, project, &dynamic, &mut notes)?;
    let entry_points = entry_points::read(&src, project)?;
    let setuptools = setuptools::read(&src, st)?;

    let mut built = Project {
        root: root.to_path_buf(),
        name,
        canonical_name,
        version,
        summary,
        readme,
        requires_python,
        license: licensing.license,
        license_files: licensing.files,
        license_files_pep639: licensing.pep639,
        author,
        author_email,
        maintainer,
        maintainer_email,
        keywords,
        classifiers,
        urls,
        dependencies,
        extras,
        entry_points,
        setuptools,
        referenced_files: notes.referenced_files,
        vouched_build_requires,
        warnings: notes.warnings,
        universal_wheel: command_effects.contains(&CommandEffect::Universal),
        home_page: None,
        sbom_files,
    };
    let given = setup_cfg::given(project, st, &dynamic, &built, allowed);
    let overlay = legacy::setup_cfg_overlay(&legacy, &given)?;
    setup_cfg::apply(overlay, &mut built);
    Ok(built)
}

/// pyproject.toml's text: a regular file, bounded, UTF-8 without a BOM.
fn read_source(root: &Utf8Path) -> Result<Source> {
    let path = root.join("pyproject.toml");
    if !path.exists() {
        bail!("cannot read {path}; --project must be a folder holding a pyproject.toml");
    }
    let bytes = read_regular(&path).map_err(|e| anyhow::anyhow!(e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{path} is not UTF-8 text; pyproject.toml must be UTF-8"))?;
    if text.starts_with('\u{feff}') {
        bail!(
            "{path}:1:1: invalid TOML: the file starts with a UTF-8 byte order mark, which Python's tomllib (and so setuptools) refuses; save it as UTF-8 without a BOM"
        );
    }
    Ok(Source { path, text })
}

/// The `[project]` table, holding only keys this builder reads. Without
/// one, setup.cfg's metadata (if any) is named as what is not read.
fn project_table<'t>(src: &Source, top: &'t Tv, legacy: &Legacy) -> Result<&'t Tv> {
    let Some(project) = top.get("project") else {
        if let Some(o) = legacy.metadata.first() {
            bail!(
                "{}: no [project] table; the metadata is in setup.cfg ({}:{}:{}: [{}] {}), which this builder reads only beside a [project] table",
                src.path,
                legacy.setup_cfg,
                o.line,
                o.col,
                o.section,
                o.key
            );
        }
        bail!(
            "{}: no [project] table; this builder reads the PEP 621 metadata in [project] (name, version, ...)",
            src.path
        );
    };
    fields::check_keys(src, project)?;
    Ok(project)
}

/// setup.py's `setup(name=...)`, if any, must name the project [project]
/// names.
fn check_setup_py_name(legacy: &Legacy, name: &str, canonical_name: &str) -> Result<()> {
    if let Some(other) = legacy
        .setup_py_name
        .as_deref()
        .filter(|n| super::names::canonicalize(n) != canonical_name)
    {
        bail!(
            "{}: setup(name={other:?}) names another project than [project] name {name:?}; remove the name from setup.py",
            legacy.root.join("setup.py")
        );
    }
    Ok(())
}
