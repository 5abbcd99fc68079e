//! Reading a project's `pyproject.toml`: the PEP 621 `[project]` table and
//! the parts of `[tool.setuptools]` this builder reproduces, into a typed
//! [`Project`].
//!
//! Everything is validated here, before any file is selected: a malformed
//! file, a missing `[project]`, an invalid name, version, dependency or
//! license expression, or a setuptools option the builder does not reproduce
//! stops the build with one line naming `pyproject.toml:LINE:COL`.

use std::ops::Range;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use super::legacy::{
    CommandEffect, Given, apply_setup_cfg, check_legacy_files, command_option, read_by_setuptools,
};
use super::license;
use super::names;
use super::reqs::{self, Req};

/// One TOML value with where it was written.
#[derive(Debug, Clone)]
pub(super) struct Tv {
    kind: TvKind,
    span: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
enum TvKind {
    Str(String),
    Bool(bool),
    Int(i64),
    Arr(Vec<Tv>),
    Table(Vec<(String, Tv)>),
    Other(&'static str),
}

fn convert_value(v: &toml_edit::Value) -> Tv {
    let kind = match v {
        toml_edit::Value::String(s) => TvKind::Str(s.value().clone()),
        toml_edit::Value::Boolean(b) => TvKind::Bool(*b.value()),
        toml_edit::Value::Integer(i) => TvKind::Int(*i.value()),
        toml_edit::Value::Array(a) => TvKind::Arr(a.iter().map(convert_value).collect()),
        toml_edit::Value::InlineTable(t) => TvKind::Table(
            t.iter()
                .map(|(k, v)| (k.to_owned(), convert_value(v)))
                .collect(),
        ),
        other => TvKind::Other(other.type_name()),
    };
    Tv {
        kind,
        span: v.span(),
    }
}

fn convert_item(item: &toml_edit::Item) -> Tv {
    match item {
        toml_edit::Item::Value(v) => convert_value(v),
        toml_edit::Item::Table(t) => Tv {
            kind: TvKind::Table(
                t.iter()
                    .map(|(k, v)| (k.to_owned(), convert_item(v)))
                    .collect(),
            ),
            span: t.span(),
        },
        toml_edit::Item::ArrayOfTables(a) => Tv {
            kind: TvKind::Arr(
                a.iter()
                    .map(|t| Tv {
                        kind: TvKind::Table(
                            t.iter()
                                .map(|(k, v)| (k.to_owned(), convert_item(v)))
                                .collect(),
                        ),
                        span: t.span(),
                    })
                    .collect(),
            ),
            span: a.span(),
        },
        toml_edit::Item::None => Tv {
            kind: TvKind::Other("nothing"),
            span: None,
        },
    }
}

impl Tv {
    pub(super) fn get(&self, key: &str) -> Option<&Tv> {
        match &self.kind {
            TvKind::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match &self.kind {
            TvKind::Str(_) => "a string",
            TvKind::Bool(_) => "a boolean",
            TvKind::Int(_) => "an integer",
            TvKind::Arr(_) => "an array",
            TvKind::Table(_) => "a table",
            TvKind::Other(t) => t,
        }
    }
}

/// The text of pyproject.toml, to turn byte offsets into `file:line:col`.
pub struct Source {
    pub path: Utf8PathBuf,
    pub text: String,
}

impl Source {
    pub fn location(&self, offset: Option<usize>) -> String {
        let Some(offset) = offset else {
            return self.path.to_string();
        };
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        format!("{}:{line}:{col}", self.path)
    }

    fn err(&self, tv: &Tv, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!(
            "{}: {msg}",
            self.location(tv.span.as_ref().map(|s| s.start))
        )
    }

    fn str<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t str> {
        match &tv.kind {
            TvKind::Str(s) => Ok(s),
            _ => Err(self.err(
                tv,
                format!("{what} must be a string, not {}", tv.type_name()),
            )),
        }
    }

    fn bool(&self, tv: &Tv, what: &str) -> Result<bool> {
        match &tv.kind {
            TvKind::Bool(b) => Ok(*b),
            _ => Err(self.err(
                tv,
                format!("{what} must be true or false, not {}", tv.type_name()),
            )),
        }
    }

    fn array<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t [Tv]> {
        match &tv.kind {
            TvKind::Arr(a) => Ok(a),
            _ => Err(self.err(
                tv,
                format!("{what} must be an array, not {}", tv.type_name()),
            )),
        }
    }

    fn str_list(&self, tv: &Tv, what: &str) -> Result<Vec<String>> {
        self.array(tv, what)?
            .iter()
            .map(|v| {
                self.str(v, &format!("each entry of {what}"))
                    .map(str::to_owned)
            })
            .collect()
    }

    fn table<'t>(&self, tv: &'t Tv, what: &str) -> Result<&'t [(String, Tv)]> {
        match &tv.kind {
            TvKind::Table(t) => Ok(t),
            _ => Err(self.err(
                tv,
                format!("{what} must be a table, not {}", tv.type_name()),
            )),
        }
    }

    /// Refuse a value with a line break (CR or LF) that is written as one
    /// METADATA header: it would start a header of its own.
    fn one_line(&self, tv: &Tv, value: &str, what: &str) -> Result<()> {
        if value.contains(['\r', '\n']) {
            return Err(self.err(
                tv,
                format!("{what} {value:?} holds a line break, which would start a new header in METADATA; write it on one line"),
            ));
        }
        Ok(())
    }

    /// [`Source::str_list`] of values each written on one METADATA line.
    fn line_list(&self, tv: &Tv, what: &str) -> Result<Vec<String>> {
        let list = self.str_list(tv, what)?;
        let items = self.array(tv, what)?;
        for (value, item) in list.iter().zip(items) {
            self.one_line(item, value, &format!("an entry of {what}"))?;
        }
        Ok(list)
    }

    fn str_table(&self, tv: &Tv, what: &str) -> Result<Vec<(String, String)>> {
        self.table(tv, what)?
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.str(v, &format!("{what}.{k}"))?.to_owned())))
            .collect()
    }
}

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

const PROJECT_KEYS: &[&str] = &[
    "name",
    "version",
    "description",
    "readme",
    "requires-python",
    "license",
    "license-files",
    "authors",
    "maintainers",
    "keywords",
    "classifiers",
    "urls",
    "scripts",
    "gui-scripts",
    "entry-points",
    "dependencies",
    "optional-dependencies",
    "dynamic",
];

/// `[tool.setuptools]` keys reproduced here.
const SETUPTOOLS_KEYS: &[&str] = &[
    "platforms",
    "packages",
    "package-dir",
    "package-data",
    "exclude-package-data",
    "include-package-data",
    "py-modules",
    "license-files",
    "zip-safe",
    "dynamic",
];

/// What this builder makes of a build requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Its presence does not change what setuptools builds.
    Harmless,
    /// It changes what gets built in a way this builder does not reproduce.
    Refused,
}

/// The build-requirement policy, one row per package (PEP 503 name) with
/// the reason. A requirement not listed here is refused as unknown unless a
/// maintainer vouches for it with `--allow-build-requires NAME`.
pub const BUILD_REQUIRES: &[(&str, Verdict, &str)] = &[
    (
        "setuptools",
        Verdict::Harmless,
        "the backend this builder reproduces",
    ),
    (
        "wheel",
        Verdict::Harmless,
        "setuptools' wheel support before 70.1; builds nothing by itself",
    ),
    (
        "pip",
        Verdict::Harmless,
        "an installer; setuptools never uses it while building",
    ),
    (
        "setuptools-scm",
        Verdict::Refused,
        "a setuptools plugin: takes the version and the sdist's file list from git",
    ),
    (
        "setuptools-git-versioning",
        Verdict::Refused,
        "a setuptools plugin: takes the version from git",
    ),
    (
        "setuptools-rust",
        Verdict::Refused,
        "builds Rust extension modules",
    ),
    (
        "versioneer",
        Verdict::Refused,
        "writes the version into the build from git",
    ),
    ("cython", Verdict::Refused, "builds extension modules"),
    ("cffi", Verdict::Refused, "builds extension modules"),
    ("pybind11", Verdict::Refused, "builds extension modules"),
    (
        "numpy",
        Verdict::Refused,
        "its headers serve extension modules",
    ),
];

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

/// Read and validate `root/pyproject.toml`.
pub fn load(root: &Utf8Path) -> Result<Project> {
    load_allowing(root, &[])
}

/// [`load`], with build requirements a maintainer vouched for
/// (`--allow-build-requires`).
pub fn load_allowing(root: &Utf8Path, allowed: &[String]) -> Result<Project> {
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
    let src = Source { path, text };
    let doc = toml_edit::Document::parse(src.text.as_str()).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid TOML: {}",
            src.location(e.span().map(|s| s.start)),
            e.message().trim()
        )
    })?;
    let top = convert_item(doc.as_item());
    let legacy = check_legacy_files(root)?;
    let mut command_effects = legacy.effects.clone();
    let setup_py_name = legacy.setup_py_name.clone();
    let vouched_build_requires = check_build_system(&src, &top, allowed)?;
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
    let project_entries = src.table(project, "[project]")?;
    for (key, value) in project_entries {
        if !PROJECT_KEYS.contains(&key.as_str()) {
            return Err(src.err(value, format!("unknown or unsupported key project.{key}")));
        }
    }
    let tool = top.get("tool");
    if let Some(distutils) = tool.and_then(|t| t.get("distutils")) {
        for (command, options) in src.table(distutils, "[tool.distutils]")? {
            if !read_by_setuptools(command) {
                continue;
            }
            for (key, value) in src.table(options, &format!("[tool.distutils.{command}]"))? {
                let text = match &value.kind {
                    TvKind::Str(s) => s.clone(),
                    TvKind::Bool(b) => {
                        if *b {
                            "1".into()
                        } else {
                            "0".into()
                        }
                    }
                    // setuptools sets a non-string value as it is: an
                    // integer flag is as true as Python finds it.
                    TvKind::Int(n) => {
                        if *n != 0 {
                            "1".into()
                        } else {
                            "0".into()
                        }
                    }
                    _ => {
                        return Err(src.err(
                            value,
                            format!("tool.distutils.{command}.{key} must be a string, a boolean or an integer"),
                        ));
                    }
                };
                let effect =
                    command_option(command, key, &text).map_err(|why| src.err(value, why))?;
                command_effects.push(effect);
            }
        }
    }
    let universal_wheel = command_effects.contains(&CommandEffect::Universal);
    let sbom_files = read_xtask_table(&src, tool)?;
    let st = tool.and_then(|t| t.get("setuptools"));
    if let Some(st) = st {
        for (key, value) in src.table(st, "[tool.setuptools]")? {
            if !SETUPTOOLS_KEYS.contains(&key.as_str()) {
                return Err(src.err(
                    value,
                    format!("tool.setuptools.{key} is not supported by this builder; it reproduces packages, package-dir, package-data, exclude-package-data, include-package-data, py-modules, license-files, dynamic.version"),
                ));
            }
        }
    }
    let st_get = |key: &str| st.and_then(|t| t.get(key));

    // Name.
    let name_tv = project
        .get("name")
        .ok_or_else(|| anyhow::anyhow!("{}: [project] has no `name`", src.path))?;
    let name = src.str(name_tv, "project.name")?.to_owned();
    if !names::is_valid(&name) {
        return Err(src.err(
            name_tv,
            format!("invalid project name {name:?}: use letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"),
        ));
    }
    let canonical_name = names::canonicalize(&name);
    if let Some(other) = setup_py_name
        .as_deref()
        .filter(|n| names::canonicalize(n) != canonical_name)
    {
        bail!(
            "{}: setup(name={other:?}) names another project than [project] name {name:?}; remove the name from setup.py",
            root.join("setup.py")
        );
    }

    // Dynamic.
    let mut dynamic = Vec::new();
    let mut from_setup_cfg: Vec<String> = Vec::new();
    if let Some(tv) = project.get("dynamic") {
        for item in src.array(tv, "project.dynamic")? {
            let field = src.str(item, "each entry of project.dynamic")?;
            if !DYNAMIC_FIELDS.contains(&field) && !FROM_SETUP_CFG.contains(&field) {
                return Err(src.err(
                    item,
                    format!("project.dynamic lists {field:?}: only {} (by [tool.setuptools.dynamic]) and {} (by setup.cfg) can be dynamic with this builder; write {field} in [project]", DYNAMIC_FIELDS.join(", "), FROM_SETUP_CFG.join(", ")),
                ));
            }
            if field != "version" && st_get("dynamic").and_then(|d| d.get(field)).is_none() {
                // setuptools keeps what setup.cfg set (checked there).
                if !FROM_SETUP_CFG.contains(&field) {
                    return Err(src.err(
                        item,
                        format!("project.dynamic lists {field:?} but [tool.setuptools.dynamic] does not give it; setuptools would take it from setup.py or setup.cfg, which this builder does not reproduce: give {field} = {{file = ...}} there"),
                    ));
                }
                from_setup_cfg.push(field.to_owned());
            }
            if project.get(field).is_some() {
                return Err(src.err(
                    item,
                    format!("project.{field} is both given and listed in project.dynamic"),
                ));
            }
            dynamic.push(field.to_owned());
        }
    }
    let mut warnings = Vec::new();
    let st_dynamic = st_get("dynamic");
    if let Some(d) = st_dynamic {
        for (key, value) in src.table(d, "tool.setuptools.dynamic")? {
            // A field not listed in project.dynamic is ignored by setuptools
            // (silently); one listed there was refused above.
            if key != "version" && !dynamic.iter().any(|d| d == key) {
                warnings.push(format!(
                    "{}: tool.setuptools.dynamic.{key} is ignored: project.dynamic does not list {key:?} (as setuptools does)",
                    src.location(value.span.as_ref().map(|s| s.start))
                ));
            }
        }
    }
    let mut referenced_files = Vec::new();
    // A field listed in project.dynamic, given by tool.setuptools.dynamic.
    let dynamic_spec = |field: &str| -> Option<&Tv> {
        if field == "version" || !dynamic.iter().any(|d| d == field) {
            return None;
        }
        st_dynamic.and_then(|d| d.get(field))
    };

    // Version.
    let version = if dynamic.iter().any(|d| d == "version") {
        let Some(spec) = st_dynamic.and_then(|d| d.get("version")) else {
            bail!(
                "{}: project.dynamic lists \"version\" but [tool.setuptools.dynamic] has no `version = {{attr = ...}}` or `{{file = ...}}`",
                src.path
            );
        };
        src.table(spec, "tool.setuptools.dynamic.version")?;
        match (spec.get("attr"), spec.get("file")) {
            (Some(attr_tv), None) => {
                let attr = src.str(attr_tv, "tool.setuptools.dynamic.version.attr")?;
                if attr.trim().is_empty() || attr.split('.').any(|p| p.trim().is_empty()) {
                    return Err(src.err(
                        spec,
                        format!("invalid attr {attr:?}: expected `package.module.NAME`"),
                    ));
                }
                VersionSource::Attr(
                    attr.trim().to_owned(),
                    src.location(attr_tv.span.as_ref().map(|s| s.start)),
                )
            }
            (None, Some(file)) => {
                let files = match &file.kind {
                    TvKind::Str(s) => vec![s.clone()],
                    _ => src.str_list(file, "tool.setuptools.dynamic.version.file")?,
                };
                for f in &files {
                    check_relative(f).map_err(|e| src.err(file, e))?;
                }
                referenced_files.extend(files.iter().cloned());
                VersionSource::File(files)
            }
            _ => {
                return Err(src.err(
                    spec,
                    "tool.setuptools.dynamic.version needs exactly one of `attr` or `file`",
                ));
            }
        }
    } else {
        let Some(tv) = project.get("version") else {
            bail!(
                "{}: [project] has no `version`; give one, or list \"version\" in project.dynamic with [tool.setuptools.dynamic] version = {{attr = ...}}",
                src.path
            );
        };
        let raw = src.str(tv, "project.version")?;
        let normal = normalize_version(raw).map_err(|e| src.err(tv, e))?;
        VersionSource::Static(normal)
    };

    // Dependencies and extras from files (tool.setuptools.dynamic).
    let dynamic_requirements = |key: &str,
                                spec: &Tv,
                                referenced: &mut Vec<String>,
                                warnings: &mut Vec<String>|
     -> Result<Vec<Req>> {
        let what = format!("tool.setuptools.dynamic.{key}");
        let text = dynamic_file_text(&src, root, spec, &what, referenced, warnings)?;
        let mut reqs = Vec::new();
        // setuptools: non-blank lines not starting with `#`, each cut at ` #`.
        for line in text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
        {
            let line = line.split(" #").next().unwrap_or(line).trim();
            reqs.push(Req::parse(line).map_err(|e| {
                src.err(
                    spec,
                    format!("invalid requirement {line:?} in a file of {what}: {e}"),
                )
            })?);
        }
        Ok(reqs)
    };

    // Description.
    let summary = match project.get("description") {
        Some(tv) => {
            let text = src.str(tv, "project.description")?;
            if text.contains(['\r', '\n']) {
                warnings.push(format!(
                    "{}: project.description spans several lines; Summary keeps the first (as setuptools does)",
                    src.location(tv.span.as_ref().map(|s| s.start))
                ));
            }
            Some(text.to_owned())
        }
        None => None,
    };

    // Readme.
    let readme = match (project.get("readme"), dynamic_spec("readme")) {
        (_, Some(spec)) => {
            let text = dynamic_file_text(
                &src,
                root,
                spec,
                "tool.setuptools.dynamic.readme",
                &mut referenced_files,
                &mut warnings,
            )?;
            let content_type = match spec.get("content-type") {
                Some(ct) => {
                    let what = "tool.setuptools.dynamic.readme.content-type";
                    let value = src.str(ct, what)?;
                    src.one_line(ct, value, what)?;
                    value
                }
                None => "text/x-rst",
            };
            Some(Readme {
                text,
                content_type: Some(content_type.to_owned()),
                file: None,
            })
        }
        (None, None) => None,
        (Some(tv), None) => Some(read_readme(&src, root, tv, &mut referenced_files)?),
    };

    // Requires-Python.
    let requires_python = match project.get("requires-python") {
        None => None,
        Some(tv) => {
            let raw = src.str(tv, "project.requires-python")?;
            Some(
                reqs::requires_python(raw)
                    .map_err(|e| src.err(tv, format!("invalid requires-python {raw:?}: {e}")))?,
            )
        }
    };

    // Classifiers and keywords.
    let classifiers = match project.get("classifiers") {
        Some(tv) => src.line_list(tv, "project.classifiers")?,
        None => Vec::new(),
    };
    let keywords = match project.get("keywords") {
        Some(tv) => src.line_list(tv, "project.keywords")?,
        None => Vec::new(),
    };

    // License.
    let license = match project.get("license") {
        None => License::None,
        Some(tv) => {
            match &tv.kind {
                TvKind::Str(expr) => {
                    let normal = license::canonicalize(expr).map_err(|e| src.err(tv, e))?;
                    if let Some(c) = classifiers.iter().find(|c| c.starts_with("License :: ")) {
                        return Err(src.err(
                        tv,
                        format!("a license expression replaces license classifiers (PEP 639): remove the classifier {c:?}"),
                    ));
                    }
                    License::Expression(normal)
                }
                TvKind::Table(_) => match (tv.get("text"), tv.get("file")) {
                    (Some(t), None) => {
                        License::Text(src.str(t, "project.license.text")?.to_owned())
                    }
                    (None, Some(f)) => {
                        let file = src.str(f, "project.license.file")?;
                        check_relative(file).map_err(|e| src.err(f, e))?;
                        if root.join(file).symlink_metadata().is_err() {
                            // setuptools warns and writes no License field.
                            warnings.push(format!(
                                "{}: project.license.file {file:?} cannot be found; no License field is written (as setuptools does)",
                                src.location(f.span.as_ref().map(|s| s.start))
                            ));
                            License::None
                        } else {
                            let text = read_text(root, file).map_err(|e| src.err(f, e))?;
                            referenced_files.push(file.to_owned());
                            License::Text(text)
                        }
                    }
                    _ => {
                        return Err(src.err(
                            tv,
                            "project.license as a table needs exactly one of `text` or `file`",
                        ));
                    }
                },
                _ => {
                    return Err(src.err(tv, format!("project.license must be a string (an SPDX expression) or a table, not {}", tv.type_name())));
                }
            }
        }
    };
    let project_license_files = project.get("license-files");
    let tool_license_files = st_get("license-files");
    let license_files = match (project_license_files, tool_license_files) {
        (Some(_), Some(t)) => {
            return Err(src.err(
                t,
                "project.license-files is given already; remove tool.setuptools.license-files",
            ));
        }
        (Some(tv), None) => Some(checked_patterns(&src, tv, "project.license-files")?),
        (None, Some(tv)) => Some(checked_patterns(&src, tv, "tool.setuptools.license-files")?),
        (None, None) => None,
    };
    if license_files.is_some()
        && matches!(license, License::Text(_))
        && project_license_files.is_some()
    {
        return Err(src.err(
            project_license_files.unwrap_or(project),
            "project.license-files needs project.license to be an SPDX expression string (PEP 639), not a table",
        ));
    }

    // People.
    let (author, author_email) = people(&src, project.get("authors"), "project.authors")?;
    let (maintainer, maintainer_email) =
        people(&src, project.get("maintainers"), "project.maintainers")?;

    // URLs.
    let urls = match project.get("urls") {
        Some(tv) => {
            let urls = src.str_table(tv, "project.urls")?;
            for ((label, url), (_, item)) in urls.iter().zip(src.table(tv, "project.urls")?) {
                src.one_line(item, label, "the label of project.urls")?;
                src.one_line(item, url, &format!("project.urls.{label}"))?;
            }
            urls
        }
        None => Vec::new(),
    };

    // Dependencies.
    let mut dependencies = Vec::new();
    if let Some(spec) = dynamic_spec("dependencies") {
        for req in dynamic_requirements("dependencies", spec, &mut referenced_files, &mut warnings)?
        {
            dependencies.push(req.render());
        }
    }
    if let Some(tv) = project.get("dependencies") {
        for item in src.array(tv, "project.dependencies")? {
            let text = src.str(item, "each dependency")?;
            let req = Req::parse(text)
                .map_err(|e| src.err(item, format!("invalid dependency {text:?}: {e}")))?;
            dependencies.push(req.render());
        }
    }
    let mut extras: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(spec) = dynamic_spec("optional-dependencies") {
        for (key, group) in src.table(spec, "tool.setuptools.dynamic.optional-dependencies")? {
            let extra = new_extra(&src, key, group, &extras)?;
            let rendered = dynamic_requirements(
                &format!("optional-dependencies.{key}"),
                group,
                &mut referenced_files,
                &mut warnings,
            )?
            .iter()
            .map(|r| r.render_for_extra(&extra))
            .collect();
            extras.push((extra, rendered));
        }
    }
    if let Some(tv) = project.get("optional-dependencies") {
        for (key, list) in src.table(tv, "project.optional-dependencies")? {
            let extra = new_extra(&src, key, list, &extras)?;
            let mut rendered = Vec::new();
            for item in src.array(list, &format!("project.optional-dependencies.{key}"))? {
                let text = src.str(item, "each dependency")?;
                let req = Req::parse(text)
                    .map_err(|e| src.err(item, format!("invalid dependency {text:?}: {e}")))?;
                rendered.push(req.render_for_extra(&extra));
            }
            extras.push((extra, rendered));
        }
    }

    // Entry points.
    let mut entry_points: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (key, group) in [
        ("scripts", "console_scripts"),
        ("gui-scripts", "gui_scripts"),
    ] {
        if let Some(tv) = project.get(key) {
            let items = entry_point_table(&src, tv, &format!("project.{key}"))?;
            if !items.is_empty() {
                entry_points.push((group.to_owned(), items));
            }
        }
    }
    if let Some(tv) = project.get("entry-points") {
        for (group, table) in src.table(tv, "project.entry-points")? {
            if group == "console_scripts" || group == "gui_scripts" {
                return Err(src.err(
                    table,
                    format!(
                        "project.entry-points.{group} is not allowed (PEP 621): use project.{}",
                        if group == "console_scripts" {
                            "scripts"
                        } else {
                            "gui-scripts"
                        }
                    ),
                ));
            }
            if !valid_group(group) {
                return Err(src.err(
                    table,
                    format!("invalid entry point group {group:?} in project.entry-points: use words of letters, digits and `_`, joined by dots (as setuptools requires)"),
                ));
            }
            let items = entry_point_table(&src, table, &format!("project.entry-points.{group}"))?;
            if !items.is_empty() {
                entry_points.push((group.clone(), items));
            }
        }
    }

    let setuptools = read_setuptools(&src, st)?;

    let mut built = Project {
        root: root.to_path_buf(),
        name,
        canonical_name,
        version,
        summary,
        readme,
        requires_python,
        license,
        license_files,
        license_files_pep639: project_license_files.is_some(),
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
        referenced_files,
        vouched_build_requires,
        warnings,
        universal_wheel,
        home_page: None,
        sbom_files,
    };
    let given = Given {
        project,
        tool_setuptools: st,
        dynamic: &dynamic,
        from_setup_cfg: &from_setup_cfg,
    };
    apply_setup_cfg(&legacy, &given, allowed, &mut built)?;
    Ok(built)
}

/// An extra's normalised name (PEP 685), refused when invalid or when it
/// normalises to the name of one already in `extras`.
fn new_extra(src: &Source, key: &str, at: &Tv, extras: &[(String, Vec<String>)]) -> Result<String> {
    if !names::is_valid(key) {
        return Err(src.err(at, format!("invalid extra name {key:?}")));
    }
    let extra = reqs::safe_extra(key);
    if extras.iter().any(|(e, _)| *e == extra) {
        return Err(src.err(
            at,
            format!("the extra {key:?} normalises to {extra:?}, like an earlier one (PEP 685)"),
        ));
    }
    Ok(extra)
}

/// The fields `project.dynamic` may list: `version` by attr or file, the
/// others by `file` in `[tool.setuptools.dynamic]`.
const DYNAMIC_FIELDS: &[&str] = &["version", "readme", "dependencies", "optional-dependencies"];

/// The fields `project.dynamic` may list with no `[tool.setuptools.dynamic]`
/// entry: setuptools keeps the value setup.cfg gave them.
const FROM_SETUP_CFG: &[&str] = &[
    "readme",
    "description",
    "authors",
    "maintainers",
    "keywords",
    "classifiers",
    "urls",
    "dependencies",
    "optional-dependencies",
];

/// A `{file = ...}` of `[tool.setuptools.dynamic]`: the files' text joined
/// by newlines, as setuptools' `read_files` gives it (a missing file is
/// skipped with a warning). Each file ships in the sdist.
fn dynamic_file_text(
    src: &Source,
    root: &Utf8Path,
    spec: &Tv,
    what: &str,
    referenced: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<String> {
    src.table(spec, what)?;
    if spec.get("attr").is_some() {
        return Err(src.err(
            spec,
            format!(
                "{what} = {{attr = ...}} is not reproduced by this builder; use {{file = ...}}"
            ),
        ));
    }
    let Some(file) = spec.get("file") else {
        return Err(src.err(spec, format!("{what} needs `file`")));
    };
    let files = match &file.kind {
        TvKind::Str(s) => vec![s.clone()],
        _ => src.str_list(file, &format!("{what}.file"))?,
    };
    let mut texts = Vec::new();
    for f in &files {
        check_relative(f).map_err(|e| src.err(file, e))?;
        if !referenced.contains(f) {
            referenced.push(f.clone());
        }
        if is_regular(&root.join(f)) {
            texts.push(read_text(root, f).map_err(|e| src.err(file, e))?);
        } else {
            let why = match std::fs::metadata(root.join(f)) {
                Ok(meta) => format!("is {}, not a regular file,", kind_of(&meta)),
                Err(_) => "cannot be found".to_owned(),
            };
            warnings.push(format!(
                "{}: {what}: {f:?} {why} and is skipped (as setuptools does)",
                src.location(file.span.as_ref().map(|s| s.start))
            ));
        }
    }
    Ok(texts.join("\n"))
}

/// `[tool.xtask.dist]`: this builder's own options. `sbom-files` lists SBOM
/// documents (PEP 770), relative to the project, that the wheel ships in
/// `.dist-info/sboms/` (as hatchling's option of that name does).
fn read_xtask_table(src: &Source, tool: Option<&Tv>) -> Result<Vec<String>> {
    let Some(dist) = tool
        .and_then(|t| t.get("xtask"))
        .and_then(|x| x.get("dist"))
    else {
        return Ok(Vec::new());
    };
    let mut sbom_files = Vec::new();
    for (key, value) in src.table(dist, "[tool.xtask.dist]")? {
        if key != "sbom-files" {
            return Err(src.err(
                value,
                format!("tool.xtask.dist.{key} is unknown; the only key is sbom-files"),
            ));
        }
        for file in checked_patterns(src, value, "tool.xtask.dist.sbom-files")? {
            let base = file.rsplit('/').next().unwrap_or(&file).to_owned();
            if sbom_files
                .iter()
                .any(|f: &String| f.rsplit('/').next() == Some(base.as_str()))
            {
                return Err(src.err(
                    value,
                    format!("tool.xtask.dist.sbom-files: two files are named {base:?}; each lands in .dist-info/sboms/ under its file name"),
                ));
            }
            sbom_files.push(file);
        }
    }
    Ok(sbom_files)
}

/// Validate a PEP 440 version and return its normal form.
pub fn normalize_version(raw: &str) -> Result<String, String> {
    raw.trim()
        .parse::<super::pep440::Version>()
        .map(|v| v.to_string())
        .map_err(|e| format!("invalid version {raw:?} (PEP 440): {e}"))
}

pub(super) fn check_relative(path: &str) -> Result<(), String> {
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

fn checked_patterns(src: &Source, tv: &Tv, what: &str) -> Result<Vec<String>> {
    let patterns = src.str_list(tv, what)?;
    for p in &patterns {
        check_relative(p).map_err(|e| src.err(tv, format!("{what}: {e}")))?;
    }
    Ok(patterns)
}

/// The most bytes a text file of the project (pyproject.toml, a readme, a
/// license, MANIFEST.in, a version or requirements file) may hold.
pub const TEXT_CAP: u64 = 32 << 20;

/// What a path that is not a regular file is, for the error.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
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

fn content_type_for(file: &str) -> Result<Option<&'static str>, String> {
    let lower = file.to_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return Ok(None);
    };
    if stem.is_empty() {
        return Ok(None);
    }
    match ext {
        "md" => Ok(Some("text/markdown")),
        "rst" => Ok(Some("text/x-rst")),
        "txt" => Ok(Some("text/plain")),
        _ => Err(format!(
            "cannot tell the content type of the readme {file:?}: use .md, .rst or .txt, or the table form with `content-type`"
        )),
    }
}

fn read_readme(
    src: &Source,
    root: &Utf8Path,
    tv: &Tv,
    referenced: &mut Vec<String>,
) -> Result<Readme> {
    match &tv.kind {
        TvKind::Str(file) => {
            check_relative(file).map_err(|e| src.err(tv, e))?;
            let content_type = content_type_for(file).map_err(|e| src.err(tv, e))?;
            let text = read_text(root, file).map_err(|e| src.err(tv, e))?;
            referenced.push(file.clone());
            Ok(Readme {
                text,
                content_type: content_type.map(str::to_owned),
                file: Some(file.clone()),
            })
        }
        TvKind::Table(_) => {
            let ct = tv
                .get("content-type")
                .ok_or_else(|| src.err(tv, "project.readme as a table needs `content-type`"))?;
            let content_type = src.str(ct, "project.readme.content-type")?.to_owned();
            src.one_line(ct, &content_type, "project.readme.content-type")?;
            match (tv.get("file"), tv.get("text")) {
                (Some(f), None) => {
                    let file = src.str(f, "project.readme.file")?;
                    check_relative(file).map_err(|e| src.err(f, e))?;
                    let text = read_text(root, file).map_err(|e| src.err(f, e))?;
                    referenced.push(file.to_owned());
                    Ok(Readme {
                        text,
                        content_type: Some(content_type),
                        file: Some(file.to_owned()),
                    })
                }
                (None, Some(t)) => Ok(Readme {
                    text: src.str(t, "project.readme.text")?.to_owned(),
                    content_type: Some(content_type),
                    file: None,
                }),
                _ => Err(src.err(
                    tv,
                    "project.readme as a table needs exactly one of `file` or `text`",
                )),
            }
        }
        _ => Err(src.err(
            tv,
            format!(
                "project.readme must be a file name or a table, not {}",
                tv.type_name()
            ),
        )),
    }
}

/// `authors`/`maintainers` as setuptools renders them: names without email go
/// to `Author`, the others to `Author-email` as `Name <email>` addresses.
fn people(src: &Source, tv: Option<&Tv>, what: &str) -> Result<(Option<String>, Option<String>)> {
    let Some(tv) = tv else {
        return Ok((None, None));
    };
    let mut names = Vec::new();
    let mut emails = Vec::new();
    for person in src.array(tv, what)? {
        let entries = src.table(person, &format!("each entry of {what}"))?;
        for (key, value) in entries {
            if key != "name" && key != "email" {
                return Err(src.err(
                    value,
                    format!("unknown key {key:?} in {what}: only name and email"),
                ));
            }
        }
        let name = person.get("name").map(|n| src.str(n, "name")).transpose()?;
        if let Some(n) = name {
            src.one_line(person, n, &format!("the name in {what}"))?;
        }
        let email = person
            .get("email")
            .map(|e| src.str(e, "email"))
            .transpose()?;
        if let Some(email) = email {
            let valid = email.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.is_empty() && !email.contains(char::is_whitespace)
            });
            if !valid {
                return Err(src.err(person, format!("invalid email address {email:?} in {what}")));
            }
        }
        match (name, email) {
            (None, None) => {
                return Err(src.err(
                    person,
                    format!("an entry of {what} needs a name or an email"),
                ));
            }
            (None, Some(e)) => emails.push(e.to_owned()),
            (Some(n), None) => names.push(n.to_owned()),
            (Some(n), Some(e)) => emails.push(format_address(n, e)),
        }
    }
    let join = |v: Vec<String>| {
        if v.is_empty() {
            None
        } else {
            Some(v.join(", "))
        }
    };
    Ok((join(names), join(emails)))
}

/// Python's `str(email.headerregistry.Address(display_name=..., addr_spec=...))`.
pub fn format_address(name: &str, email: &str) -> String {
    const SPECIALS: &str = "()<>@,:;.\"[]";
    let display = if name.chars().any(|c| SPECIALS.contains(c)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_owned()
    };
    if display.is_empty() {
        email.to_owned()
    } else {
        format!("{display} <{email}>")
    }
}

/// An entry point group as setuptools' schema accepts it (`\w+(\.\w+)*`).
fn valid_group(group: &str) -> bool {
    group
        .split('.')
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// An entry point name that entry_points.txt holds on one line and that
/// readers (configparser, importlib.metadata) give back as it is: setuptools'
/// pattern (no `=`, no leading `[`, no blank at either end), no line break
/// of any kind (importlib.metadata splits the file with `str.splitlines`),
/// and no leading `#` or `;`, which make the line a comment.
fn valid_entry_point_name(name: &str) -> bool {
    let space = crate::util::python::is_space;
    !name.is_empty()
        && !name.contains('=')
        && !name.starts_with(['[', '#', ';'])
        && !name.starts_with(space)
        && !name.ends_with(space)
        && !name.contains(super::metadata::is_line_break)
}

fn entry_point_table(src: &Source, tv: &Tv, what: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (name, value) in src.table(tv, what)? {
        let raw = src.str(value, &format!("{what}.{name}"))?;
        if !valid_entry_point_name(name) {
            return Err(src.err(
                value,
                format!("invalid entry point name {name:?} in {what}: it must hold no `=`, no line break, no blank at either end, and not start with `[`, `#` or `;`"),
            ));
        }
        let v = raw.trim_matches(crate::util::python::is_space).to_owned();
        if v.contains(super::metadata::is_line_break) || !valid_object_ref(&v) {
            return Err(src.err(
                value,
                format!("invalid entry point {v:?} in {what}: expected `module.sub:object.attr` (with optional [extras])"),
            ));
        }
        out.push((name.clone(), v));
    }
    Ok(out)
}

fn valid_object_ref(v: &str) -> bool {
    let (target, extras) = match v.split_once('[') {
        Some((t, e)) => (t.trim(), Some(e)),
        None => (v, None),
    };
    if let Some(e) = extras {
        if !e.trim_end().ends_with(']') {
            return false;
        }
    }
    let dotted = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                let part = part.trim();
                !part.is_empty()
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !part.starts_with(|c: char| c.is_ascii_digit())
            })
    };
    match target.split_once(':') {
        Some((module, object)) => dotted(module.trim()) && dotted(object.trim()),
        None => dotted(target),
    }
}

fn read_setuptools(src: &Source, st: Option<&Tv>) -> Result<Setuptools> {
    let get = |key: &str| st.and_then(|t| t.get(key));
    let package_dir = match get("package-dir") {
        Some(tv) => {
            let pairs = src.str_table(tv, "tool.setuptools.package-dir")?;
            for (_, dir) in &pairs {
                check_relative(dir).map_err(|e| src.err(tv, e))?;
            }
            pairs
        }
        None => Vec::new(),
    };
    let mut py_modules = match get("py-modules") {
        Some(tv) => {
            let mods = src.str_list(tv, "tool.setuptools.py-modules")?;
            for m in &mods {
                if !m.split('.').all(is_identifier) {
                    return Err(src.err(
                        tv,
                        format!("invalid module name {m:?} in tool.setuptools.py-modules"),
                    ));
                }
            }
            mods
        }
        None => Vec::new(),
    };
    let mut packages = match get("packages") {
        None if py_modules.is_empty() => Packages::Unset,
        None => Packages::List(Vec::new()),
        Some(tv) => match &tv.kind {
            TvKind::Arr(_) => {
                let list = src.str_list(tv, "tool.setuptools.packages")?;
                for p in &list {
                    if !p.split('.').all(is_identifier) {
                        return Err(src.err(
                            tv,
                            format!("invalid package name {p:?} in tool.setuptools.packages"),
                        ));
                    }
                }
                Packages::List(list)
            }
            TvKind::Table(entries) => {
                for (k, v) in entries {
                    if k != "find" {
                        return Err(src.err(
                            v,
                            format!("tool.setuptools.packages.{k} is not supported (only `find`)"),
                        ));
                    }
                }
                let find = tv
                    .get("find")
                    .ok_or_else(|| src.err(tv, "tool.setuptools.packages needs `find`"))?;
                let mut f = Find {
                    where_: vec![".".to_owned()],
                    include: vec!["*".to_owned()],
                    exclude: Vec::new(),
                    namespaces: true,
                };
                for (k, v) in src.table(find, "tool.setuptools.packages.find")? {
                    match k.as_str() {
                        "where" => {
                            f.where_ = src.str_list(v, "tool.setuptools.packages.find.where")?;
                            for w in &f.where_ {
                                check_relative(w).map_err(|e| src.err(v, e))?;
                            }
                        }
                        "include" => {
                            f.include = src.str_list(v, "tool.setuptools.packages.find.include")?
                        }
                        "exclude" => {
                            f.exclude = src.str_list(v, "tool.setuptools.packages.find.exclude")?
                        }
                        "namespaces" => {
                            f.namespaces =
                                src.bool(v, "tool.setuptools.packages.find.namespaces")?
                        }
                        _ => {
                            return Err(src.err(v, format!("tool.setuptools.packages.find.{k} is not supported (where, include, exclude, namespaces)")));
                        }
                    }
                }
                if f.include.is_empty() {
                    f.include = vec!["*".to_owned()];
                }
                Packages::Find(f)
            }
            _ => {
                return Err(src.err(
                    tv,
                    "tool.setuptools.packages must be a list of packages or {find = {...}}",
                ));
            }
        },
    };
    if packages == Packages::Unset && py_modules.is_empty() {
        // setuptools' automatic discovery. The src-layout: everything under
        // `src/` (or package-dir's "") is meant to ship, PEP 420 packages
        // and top-level modules alike. The explicit and flat layouts are
        // not reproduced.
        if package_dir.iter().any(|(k, _)| !k.is_empty()) {
            bail!(
                "{}: neither tool.setuptools.packages nor py-modules is set, and package-dir maps packages: setuptools' explicit-layout discovery is not reproduced by this builder; add [tool.setuptools.packages.find] or a `packages` list",
                src.path
            );
        }
        let src_dir = package_dir
            .iter()
            .find(|(k, _)| k.is_empty())
            .map_or("src".to_owned(), |(_, v)| v.clone());
        let root = src.path.parent().unwrap_or(Utf8Path::new("."));
        let src_path = root.join(&src_dir);
        if !src_path.is_dir() {
            let (found, modules) = flat_layout(root).map_err(|why| {
                anyhow::anyhow!(
                    "{}: neither tool.setuptools.packages nor py-modules is set, and setuptools' flat-layout discovery {why}; list them in [tool.setuptools] packages or py-modules",
                    src.path
                )
            })?;
            packages = if found.is_empty() {
                Packages::Unset
            } else {
                Packages::List(found)
            };
            py_modules = modules;
        } else {
            packages = Packages::Find(Find {
                where_: vec![src_dir.clone()],
                include: vec!["*".to_owned()],
                exclude: Vec::new(),
                namespaces: true,
            });
            let mut modules: Vec<String> = std::fs::read_dir(&src_path)
                .with_context(|| format!("cannot list {src_path}"))?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".py").map(str::to_owned))
                .filter(|m| is_identifier(m))
                .collect();
            modules.sort();
            py_modules = modules;
        }
    }
    let data_table = |key: &str| -> Result<Vec<(String, Vec<String>)>> {
        let Some(tv) = get(key) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (pkg, patterns) in src.table(tv, &format!("tool.setuptools.{key}"))? {
            let list = match &patterns.kind {
                TvKind::Str(s) => vec![s.clone()],
                _ => src.str_list(patterns, &format!("tool.setuptools.{key}.{pkg}"))?,
            };
            for p in &list {
                check_relative(p).map_err(|e| src.err(patterns, e))?;
            }
            let key = if pkg == "*" {
                String::new()
            } else {
                pkg.clone()
            };
            out.push((key, list));
        }
        Ok(out)
    };
    let package_data = data_table("package-data")?;
    let exclude_package_data = data_table("exclude-package-data")?;
    let include_package_data = match get("include-package-data") {
        Some(tv) => src.bool(tv, "tool.setuptools.include-package-data")?,
        None => true,
    };
    let zip_safe = match get("zip-safe") {
        Some(tv) => Some(src.bool(tv, "tool.setuptools.zip-safe")?),
        None => None,
    };
    let platforms = match get("platforms") {
        Some(tv) => src.str_list(tv, "tool.setuptools.platforms")?,
        None => Vec::new(),
    };
    Ok(Setuptools {
        packages,
        py_modules,
        package_dir,
        package_data,
        exclude_package_data,
        include_package_data,
        platforms,
        zip_safe,
    })
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Folders setuptools' flat-layout discovery never takes for packages.
const FLAT_EXCLUDED_PACKAGES: &[&str] = &[
    "ci",
    "bin",
    "debian",
    "doc",
    "docs",
    "documentation",
    "manpages",
    "news",
    "newsfragments",
    "changelog",
    "test",
    "tests",
    "unit_test",
    "unit_tests",
    "example",
    "examples",
    "scripts",
    "tools",
    "util",
    "utils",
    "python",
    "build",
    "dist",
    "venv",
    "env",
    "requirements",
    "tasks",
    "fabfile",
    "site_scons",
    "benchmark",
    "benchmarks",
    "exercise",
    "exercises",
    "htmlcov",
    "[._]*",
];

/// Top-level modules setuptools' flat-layout discovery never takes.
const FLAT_EXCLUDED_MODULES: &[&str] = &[
    "setup",
    "conftest",
    "test",
    "tests",
    "example",
    "examples",
    "build",
    "toxfile",
    "noxfile",
    "pavement",
    "dodo",
    "tasks",
    "fabfile",
    "[Ss][Cc]onstruct",
    "conanfile",
    "manage",
    "benchmark",
    "benchmarks",
    "exercise",
    "exercises",
    "[._]*",
];

/// setuptools' flat-layout discovery (FlatLayoutPackageFinder, then
/// FlatLayoutModuleFinder) over the project folder: the packages, else the
/// top-level modules; more than one top-level name is refused, as
/// setuptools refuses it. The reason is returned as the end of a sentence.
fn flat_layout(root: &Utf8Path) -> Result<(Vec<String>, Vec<String>), String> {
    let mut exclude: Vec<String> = vec!["ez_setup".into(), "*__pycache__".into()];
    for p in FLAT_EXCLUDED_PACKAGES {
        exclude.push((*p).to_owned());
        exclude.push(format!("{p}.*"));
    }
    let mut packages = Vec::new();
    flat_walk(root, "", &exclude, &mut packages)?;
    let mut top: Vec<String> = packages
        .iter()
        .filter(|p| !p.split('.').next().unwrap_or("").ends_with("-stubs"))
        .filter(|p| p.matches('.').count() == 0)
        .cloned()
        .collect();
    top.sort();
    match top.len() {
        0 => {}
        1 => return Ok((packages, Vec::new())),
        _ => {
            return Err(format!(
                "finds several top-level packages ({}), which setuptools refuses",
                top.join(", ")
            ));
        }
    }
    let mut modules: Vec<String> = std::fs::read_dir(root)
        .map_err(|e| format!("cannot list {root}: {e}"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".py").map(str::to_owned))
        .filter(|m| is_identifier(m))
        .filter(|m| {
            !FLAT_EXCLUDED_MODULES
                .iter()
                .any(|p| super::pyglob::fnmatch(m, p))
        })
        .collect();
    modules.sort();
    match modules.len() {
        0 => Err("finds no package and no module to build".to_owned()),
        1 => Ok((Vec::new(), modules)),
        _ => Err(format!(
            "finds several top-level modules ({}), which setuptools refuses",
            modules.join(", ")
        )),
    }
}

fn flat_walk(
    dir: &Utf8Path,
    prefix: &str,
    exclude: &[String],
    out: &mut Vec<String>,
) -> Result<(), String> {
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {dir}: {e}"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    entries.sort();
    for name in entries {
        if name.contains('.') {
            continue;
        }
        let package = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let mut parts = package.split('.');
        let first = parts.next().unwrap_or("");
        let looks = (is_identifier(first) || first.ends_with("-stubs")) && parts.all(is_identifier);
        if !looks {
            continue;
        }
        if !exclude.iter().any(|p| super::pyglob::fnmatch(&package, p)) {
            out.push(package.clone());
        }
        if exclude.contains(&format!("{package}*")) || exclude.contains(&format!("{package}.*")) {
            continue;
        }
        flat_walk(&dir.join(&name), &package, exclude, out)?;
    }
    Ok(())
}

/// The requirement names that passed only because `--allow-build-requires`
/// vouched for them.
fn check_build_system(src: &Source, top: &Tv, allowed: &[String]) -> Result<Vec<String>> {
    let mut vouched = Vec::new();
    let Some(bs) = top.get("build-system") else {
        return Ok(vouched);
    };
    src.table(bs, "[build-system]")?;
    if let Some(backend) = bs.get("build-backend") {
        let b = src.str(backend, "build-system.build-backend")?;
        if b != "setuptools.build_meta" {
            return Err(src.err(
                backend,
                format!("build-system.build-backend is {b:?}: this builder reproduces setuptools.build_meta only"),
            ));
        }
    }
    if let Some(path) = bs.get("backend-path") {
        return Err(src.err(
            path,
            "build-system.backend-path (an in-tree backend) is not supported",
        ));
    }
    if let Some(requires) = bs.get("requires") {
        for item in src.array(requires, "build-system.requires")? {
            let text = src.str(item, "each build requirement")?;
            if let Err(err) = super::pep508::validate(text) {
                return Err(src.err(
                    item,
                    format!("build-system.requires lists {text:?}, which is not a PEP 508 requirement: {}", err.message),
                ));
            }
            let name: String = text
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            let canonical = names::canonicalize(&name);
            let row = BUILD_REQUIRES.iter().find(|(n, _, _)| *n == canonical);
            let vouched_for = allowed.iter().any(|a| names::canonicalize(a) == canonical);
            match row {
                Some((_, Verdict::Harmless, _)) => {}
                _ if vouched_for => vouched.push(canonical),
                Some((_, Verdict::Refused, why)) => {
                    return Err(src.err(
                        item,
                        format!("build-system.requires lists {text:?}: {why}, which this builder does not reproduce; build this project with setuptools"),
                    ));
                }
                None => {
                    return Err(src.err(
                        item,
                        format!("build-system.requires lists {text:?}, which this builder does not know; if setuptools does not need it to decide what gets built, vouch for it with --allow-build-requires {canonical}"),
                    ));
                }
            }
        }
    }
    Ok(vouched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_normalise() {
        for (raw, normal) in [
            ("1.0.0RC1", "1.0.0rc1"),
            ("v1.0", "1.0"),
            ("1.0-post1", "1.0.post1"),
            ("1.0.dev", "1.0.dev0"),
            ("1.0+Local-1", "1.0+local.1"),
            ("01.02", "1.2"),
            ("6.10.0rc1", "6.10.0rc1"),
            (" 2.0 ", "2.0"),
        ] {
            assert_eq!(normalize_version(raw).unwrap(), normal, "{raw}");
        }
        assert!(normalize_version("one").is_err());
    }

    #[test]
    fn addresses_are_quoted_like_python() {
        assert_eq!(
            format_address("The InvokeAI Team", "invoke@invoke.ai"),
            "The InvokeAI Team <invoke@invoke.ai>"
        );
        assert_eq!(
            format_address("Doe, John", "j@x.org"),
            "\"Doe, John\" <j@x.org>"
        );
        assert_eq!(format_address("J. Doe", "j@x.org"), "\"J. Doe\" <j@x.org>");
    }

    #[test]
    fn locations_are_line_and_column() {
        let src = Source {
            path: "p.toml".into(),
            text: "a = 1\nbb = 2\n".into(),
        };
        assert_eq!(src.location(Some(0)), "p.toml:1:1");
        assert_eq!(src.location(Some(11)), "p.toml:2:6");
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type_for("README.md").unwrap(),
            Some("text/markdown")
        );
        assert_eq!(
            content_type_for("docs/README.RST").unwrap(),
            Some("text/x-rst")
        );
        assert_eq!(content_type_for("README").unwrap(), None);
        assert!(content_type_for("README.adoc").is_err());
    }

    #[test]
    fn object_references() {
        assert!(valid_object_ref("pkg.mod:main"));
        assert!(valid_object_ref("pkg.mod:Cls.method"));
        assert!(valid_object_ref("pkg.mod"));
        assert!(valid_object_ref("pkg:main [extra]"));
        assert!(!valid_object_ref("pkg:"));
        assert!(!valid_object_ref("pkg-x:main"));
    }
}
