//! The project as this builder reads it from pyproject.toml (and, beside a
//! `[project]` table, setup.cfg): validated metadata and the setuptools
//! options that decide the files. `pyproject` reads it; the file
//! selection, METADATA and the archives use it.

use camino::Utf8PathBuf;

/// `readme`: the long description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readme {
    pub text: String,
    pub content_type: Option<String>,
    /// The file it was read from (shipped in the sdist).
    pub file: Option<String>,
}

/// `license`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    None,
    /// A PEP 639 SPDX expression, normalised.
    Expression(String),
    /// The legacy table form, `{text = ...}` or `{file = ...}` (read).
    Text(String),
}

/// Where the version comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    Static(String),
    /// `{attr = "pkg.mod.NAME"}`, and where it is written (`file:line:col`).
    Attr(String, String),
    /// `{file = [...]}`: the files' contents joined by newlines.
    File(Vec<String>),
}

/// `[tool.setuptools] packages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packages {
    /// Neither `packages` nor `py-modules`: setuptools' automatic discovery.
    Unset,
    List(Vec<String>),
    Find(Find),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    pub where_: Vec<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub namespaces: bool,
}

/// The setuptools options that decide the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setuptools {
    pub packages: Packages,
    pub py_modules: Vec<String>,
    /// `package-dir`, in file order.
    pub package_dir: Vec<(String, String)>,
    /// `package-data`, with the `"*"` key spelled `""` as setuptools does.
    pub package_data: Vec<(String, Vec<String>)>,
    pub exclude_package_data: Vec<(String, Vec<String>)>,
    pub include_package_data: bool,
    /// `platforms`: one `Platform:` field each.
    pub platforms: Vec<String>,
    /// `zip-safe`: `true` adds an empty-line `zip-safe` file to the wheel's
    /// dist-info, as setuptools does.
    pub zip_safe: Option<bool>,
}

/// The validated project.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: Utf8PathBuf,
    /// Build requirements accepted only because `--allow-build-requires`
    /// vouched for them (every build says so).
    pub vouched_build_requires: Vec<String>,
    /// Remarks on the configuration that do not stop the build.
    pub warnings: Vec<String>,
    /// `[bdist_wheel] universal = 1`: a `py2.py3-none-any` wheel.
    pub universal_wheel: bool,
    /// `name` as written (setuptools writes it so in METADATA).
    pub name: String,
    /// PEP 503 normalised name.
    pub canonical_name: String,
    pub version: VersionSource,
    pub summary: Option<String>,
    pub readme: Option<Readme>,
    pub requires_python: Option<String>,
    pub license: License,
    /// `license-files` patterns; None means setuptools' default patterns.
    pub license_files: Option<Vec<String>>,
    /// Whether they come from `project.license-files` (PEP 639: each
    /// pattern must match) rather than the older tool.setuptools key.
    pub license_files_pep639: bool,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    /// setup.cfg's `[metadata] url` (`Home-page`), which `[project]` has
    /// no field for.
    pub home_page: Option<String>,
    pub keywords: Vec<String>,
    pub classifiers: Vec<String>,
    pub urls: Vec<(String, String)>,
    /// Rendered `Requires-Dist` values.
    pub dependencies: Vec<String>,
    /// `(normalised extra, rendered Requires-Dist values)`, in file order.
    pub extras: Vec<(String, Vec<String>)>,
    /// Entry point groups (`console_scripts`, `gui_scripts`, ...) with
    /// `(name, value)` pairs.
    pub entry_points: Vec<(String, Vec<(String, String)>)>,
    pub setuptools: Setuptools,
    /// Files the configuration points at (readme, license file, version
    /// file): setuptools adds them to the sdist.
    pub referenced_files: Vec<String>,
    /// `[tool.xtask.dist] sbom-files`: SBOMs (PEP 770) shipped in the
    /// wheel's `.dist-info/sboms/` under their file names.
    pub sbom_files: Vec<String>,
}

#[cfg(test)]
impl Project {
    /// A minimal project named `demo` 1.0 with the given setuptools options.
    pub fn sample(setuptools: Setuptools) -> Project {
        Project {
            root: "/nonexistent".into(),
            vouched_build_requires: vec![],
            warnings: vec![],
            universal_wheel: false,
            name: "demo".into(),
            canonical_name: "demo".into(),
            version: VersionSource::Static("1.0".into()),
            summary: None,
            readme: None,
            requires_python: None,
            license: License::None,
            license_files: None,
            license_files_pep639: false,
            author: None,
            author_email: None,
            maintainer: None,
            maintainer_email: None,
            home_page: None,
            keywords: vec![],
            classifiers: vec![],
            urls: vec![],
            dependencies: vec![],
            extras: vec![],
            entry_points: vec![],
            setuptools,
            referenced_files: vec![],
            sbom_files: vec![],
        }
    }
}
