//! setup.cfg's `[metadata]` and `[options]` beside a `[project]` table, as
//! setuptools 84 applies them: setup.cfg is read first, then pyproject.toml
//! overwrites what `[project]` and `[tool.setuptools]` give, and resets
//! (with a warning) the fields it lists in `_PREVIOUSLY_DEFINED` that
//! `[project]` neither gives nor lists in `dynamic`. What is left through
//! reaches the build: each option is judged here against what
//! pyproject.toml gives ([`Given`]), reproduced in an [`Overlay`] or refused
//! with its place.

use anyhow::{Result, bail};
use camino::Utf8Path;

use super::super::build_requires::{Judgement, judge};
use super::super::names;
use super::super::project::Readme;
use super::super::reqs::{self, Req};
use super::super::textfile::{check_relative, is_regular, read_text};
use super::Legacy;
use super::setup_cfg::{CfgOption, cfg_bool, cfg_list, cfg_requirements};

/// What pyproject.toml gives already, for judging setup.cfg's options.
pub(crate) struct Given<'a> {
    /// The keys `[project]` writes.
    pub project_keys: Vec<&'a str>,
    /// The keys `[tool.setuptools]` writes.
    pub tool_keys: Vec<&'a str>,
    /// project.dynamic.
    pub dynamic: &'a [String],
    /// The fields of project.dynamic that `[tool.setuptools.dynamic]` does
    /// not give: setuptools keeps what setup.cfg set for them.
    pub from_setup_cfg: &'a [String],
    /// Whether the readme pyproject.toml gives has a content type.
    pub readme_content_type: bool,
    /// Build requirements a maintainer vouched for (`--allow-build-requires`).
    pub allowed: &'a [String],
}

impl Given<'_> {
    /// Given in [project], or by tool.setuptools.dynamic.
    fn project(&self, key: &str) -> bool {
        self.project_keys.contains(&key)
            || (self.dynamic.iter().any(|d| d == key) && !self.setup_cfg_fills(key))
    }
    fn setup_cfg_fills(&self, field: &str) -> bool {
        self.from_setup_cfg.iter().any(|d| d == field)
    }
    fn tool(&self, key: &str) -> bool {
        self.tool_keys.contains(&key)
    }
}

/// What setup.cfg adds to the project pyproject.toml describes.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    /// The fields project.dynamic leaves to setup.cfg: each is the field's
    /// value.
    pub summary: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub classifiers: Option<Vec<String>>,
    pub urls: Option<Vec<(String, String)>>,
    pub readme: Option<Readme>,
    pub dependencies: Option<Vec<String>>,
    /// Added after the extras pyproject.toml gives.
    pub extras: Vec<(String, Vec<String>)>,
    /// The first non-empty value of each, for a field `[project]` leaves
    /// empty (`url` is `Home-page`, which `[project]` has no field for).
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub home_page: Option<String>,
    /// License file patterns: in place of setuptools' defaults, or (only
    /// `license_file`'s) added to those pyproject.toml gives.
    pub license_files: Option<Vec<String>>,
    /// Set (non-empty) only when `[tool.setuptools]` gives no platforms.
    pub platforms: Vec<String>,
    /// Set only when `[tool.setuptools]` does not give them.
    pub zip_safe: Option<bool>,
    pub include_package_data: Option<bool>,
    /// `setup_requires` entries accepted because a maintainer vouched for
    /// them.
    pub vouched_build_requires: Vec<String>,
    /// Files the options point at (`file:`): setuptools adds them to the
    /// sdist.
    pub referenced_files: Vec<String>,
    pub warnings: Vec<String>,
}

/// Judge setup.cfg's `[metadata]`, `[options]` and `[options.*]` options
/// (in `legacy`) against what pyproject.toml gives: what reaches the build
/// is in the overlay, the rest is refused with its place.
pub(crate) fn setup_cfg_overlay(legacy: &Legacy, given: &Given) -> Result<Overlay> {
    let mut reading = Reading {
        given,
        root: &legacy.root,
        overlay: Overlay::default(),
        provided: Vec::new(),
        long_description: None,
        long_description_type: None,
    };
    for o in &legacy.metadata {
        reading.option(&At::new(&legacy.setup_cfg, o))?;
    }
    reading.finish()
}

/// The metadata fields project.dynamic may leave to setup.cfg, by the
/// `[metadata]` key that gives them.
fn dynamic_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "description" => "description",
        "keywords" => "keywords",
        "classifiers" => "classifiers",
        "project_urls" => "urls",
        "long_description" | "long_description_content_type" => "readme",
        _ => return None,
    })
}

/// One option with where it is written, for its errors and warnings.
struct At<'o> {
    o: &'o CfgOption,
    here: String,
    shown: String,
}

impl<'o> At<'o> {
    fn new(path: &Utf8Path, o: &'o CfgOption) -> Self {
        At {
            o,
            here: format!("{path}:{}:{}", o.line, o.col),
            shown: format!("[{}] {} = {:?}", o.section, o.key, o.value),
        }
    }

    fn refuse(&self, why: &str) -> anyhow::Error {
        anyhow::anyhow!("{}: {} {why}", self.here, self.shown)
    }

    fn ignored(&self, why: &str) -> String {
        format!(
            "{}: {} is ignored: {why} (as setuptools does)",
            self.here, self.shown
        )
    }

    fn located(&self, e: String) -> anyhow::Error {
        anyhow::anyhow!("{}: {e}", self.here)
    }

    /// `file:` values name files setuptools adds to the sdist.
    fn file_refs(&self, refs: &mut Vec<String>) -> Result<()> {
        if let Some(spec) = self.o.value.strip_prefix("file:") {
            for f in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                check_relative(f).map_err(|e| self.located(e))?;
                if !refs.iter().any(|r| r == f) {
                    refs.push(f.to_owned());
                }
            }
        }
        Ok(())
    }
}

/// The overlay as the options are judged, in file order.
struct Reading<'a> {
    given: &'a Given<'a>,
    root: &'a Utf8Path,
    overlay: Overlay,
    /// The fields of project.dynamic that setup.cfg gave.
    provided: Vec<&'static str>,
    long_description: Option<String>,
    long_description_type: Option<String>,
}

impl Reading<'_> {
    fn option(&mut self, at: &At) -> Result<()> {
        let o = at.o;
        match o.section.as_str() {
            "metadata" => {
                let key = match o.key.as_str() {
                    "home_page" => "url",
                    "summary" => "description",
                    "classifier" => "classifiers",
                    "platform" => "platforms",
                    k => k,
                };
                match dynamic_field(key) {
                    Some(field) if self.given.setup_cfg_fills(field) => {
                        self.dynamic_metadata(at, key)
                    }
                    _ => self.metadata(at, key),
                }
            }
            "options" => self.options(at),
            _ => self.options_section(at),
        }
    }

    /// A `[metadata]` field that project.dynamic leaves to setup.cfg:
    /// setup.cfg's value is the field's value.
    fn dynamic_metadata(&mut self, at: &At, key: &str) -> Result<()> {
        let value = &at.o.value;
        let ov = &mut self.overlay;
        match key {
            "description" => {
                if value.contains('\n') || value.starts_with("file:") {
                    return Err(at.refuse(
                        "(a dynamic description) spans several lines or reads a file, which this builder does not reproduce",
                    ));
                }
                ov.summary = Some(value.clone());
                self.provided.push("description");
            }
            "keywords" => {
                ov.keywords = Some(cfg_list(value, ','));
                self.provided.push("keywords");
            }
            "classifiers" => {
                if value.starts_with("file:") {
                    return Err(at.refuse(
                        "(dynamic classifiers) reads a file, which this builder does not reproduce",
                    ));
                }
                ov.classifiers = Some(cfg_list(value, ','));
                self.provided.push("classifiers");
            }
            "project_urls" => {
                let urls = cfg_list(value, ',')
                    .iter()
                    .map(|line| {
                        let (k, v) = line.split_once('=').unwrap_or((line, ""));
                        (k.trim().to_owned(), v.trim().to_owned())
                    })
                    .collect();
                ov.urls = Some(urls);
            }
            "long_description" => {
                at.file_refs(&mut ov.referenced_files)?;
                self.long_description = Some(long_description(self.root, at)?);
            }
            _ => self.long_description_type = Some(value.clone()),
        }
        Ok(())
    }

    /// Any other `[metadata]` key.
    fn metadata(&mut self, at: &At, key: &str) -> Result<()> {
        let ov = &mut self.overlay;
        match key {
            // Given by [project] (name always; the version in [project] or
            // by tool.setuptools.dynamic, which this builder requires).
            "name" => {}
            "version" => at.file_refs(&mut ov.referenced_files)?,
            "description" | "keywords" | "classifiers" | "project_urls" | "license" => {
                // Only these two read `file:`.
                if key == "description" || key == "classifiers" {
                    at.file_refs(&mut ov.referenced_files)?;
                }
                let field = match key {
                    "project_urls" => "urls",
                    other => other,
                };
                if !self.given.project(field) {
                    ov.warnings.push(at.ignored(&format!(
                        "[project] has no {field} and does not list it in dynamic"
                    )));
                }
            }
            "long_description" => {
                if !self.given.project("readme") {
                    return Err(at.refuse(
                        "is not reproduced by this builder: with [project] and no readme there, setuptools 84 fails on it; give project.readme",
                    ));
                }
                at.file_refs(&mut ov.referenced_files)?;
            }
            "long_description_content_type" => {
                if !self.given.readme_content_type {
                    return Err(at.refuse(
                        "reaches METADATA (Description-Content-Type) when project.readme gives no content type, which this builder does not reproduce",
                    ));
                }
            }
            "author" | "author_email" | "maintainer" | "maintainer_email" | "url" => {
                self.person(at, key)?
            }
            "license_files" => {
                if self.given.project("license-files") || self.given.tool("license-files") {
                    return Ok(());
                }
                license_files(at, &mut ov.license_files)?;
            }
            // Deprecated, but still added to whatever patterns there are.
            "license_file" => {
                let value = &at.o.value;
                check_relative(value).map_err(|e| at.located(e))?;
                let patterns = ov.license_files.get_or_insert_with(Vec::new);
                if !patterns.contains(value) {
                    patterns.push(value.clone());
                }
            }
            "platforms" => {
                // The first of `platform` and `platforms` is kept.
                if !self.given.tool("platforms") && ov.platforms.is_empty() {
                    ov.platforms = cfg_list(&at.o.value, ',');
                }
            }
            _ => {
                return Err(at.refuse(
                    "changes what setuptools builds and is not reproduced by this builder",
                ));
            }
        }
        Ok(())
    }

    /// project.authors / maintainers write a name, an address or both;
    /// setup.cfg's value stays in the field [project] leaves empty.
    fn person(&mut self, at: &At, key: &str) -> Result<()> {
        let value = &at.o.value;
        if value.contains('\n') {
            return Err(at.refuse("spans several lines, which this builder does not reproduce"));
        }
        if key.starts_with("author") {
            self.provided.push("authors");
        } else if key.starts_with("maintainer") {
            self.provided.push("maintainers");
        }
        let ov = &mut self.overlay;
        let slot = match key {
            "author" => &mut ov.author,
            "author_email" => &mut ov.author_email,
            "maintainer" => &mut ov.maintainer,
            "maintainer_email" => &mut ov.maintainer_email,
            _ => &mut ov.home_page,
        };
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value.clone());
        }
        Ok(())
    }

    /// An `[options]` key.
    fn options(&mut self, at: &At) -> Result<()> {
        let given = self.given;
        let ov = &mut self.overlay;
        let value = &at.o.value;
        match at.o.key.as_str() {
            "install_requires" if given.setup_cfg_fills("dependencies") => {
                let reqs = cfg_requirements(value).map_err(|e| at.refuse(&e))?;
                ov.dependencies = Some(reqs.iter().map(Req::render).collect());
            }
            "install_requires" => {
                at.file_refs(&mut ov.referenced_files)?;
                if !given.project("dependencies") {
                    ov.warnings.push(at.ignored(
                        "[project] has no dependencies and does not list them in dynamic",
                    ));
                }
            }
            "python_requires" => {
                if !given.project("requires-python") {
                    return Err(at.refuse(
                        "is not reproduced by this builder: with [project] and no requires-python there, setuptools 84 fails on it; give project.requires-python",
                    ));
                }
            }
            "zip_safe" if !given.tool("zip-safe") => ov.zip_safe = Some(cfg_bool(value)),
            "include_package_data" if !given.tool("include-package-data") => {
                ov.include_package_data = Some(cfg_bool(value));
            }
            "zip_safe" | "include_package_data" => {}
            "setup_requires" => self.setup_requires(at)?,
            // The file selection, unless [tool.setuptools] gives its own.
            // `packages = find:` reads [options.packages.find]: refused
            // with `packages` unless tool.setuptools.packages replaces both.
            "packages" if given.tool("packages") => {}
            "py_modules" if given.tool("py-modules") => {}
            "package_dir" if given.tool("package-dir") => {}
            "entry_points" => {
                return Err(at.refuse(
                    "is not reproduced by this builder: written inline beside [project], setuptools 84 fails on it; use [project.scripts] or [project.entry-points]",
                ));
            }
            _ => {
                return Err(at.refuse(
                    "changes what setuptools builds and is not reproduced by this builder",
                ));
            }
        }
        Ok(())
    }

    /// `setup_requires`: judged as `[build-system] requires` is.
    fn setup_requires(&mut self, at: &At) -> Result<()> {
        for req in cfg_list(&at.o.value, ';') {
            match judge(&req, self.given.allowed) {
                Judgement::Harmless => {}
                Judgement::Vouched(canonical) => {
                    let vouched = &mut self.overlay.vouched_build_requires;
                    if !vouched.contains(&canonical) {
                        vouched.push(canonical);
                    }
                }
                Judgement::Refused(why) => {
                    return Err(at.refuse(&format!(
                        "lists {req:?}: {why}, which this builder does not reproduce; build this project with setuptools"
                    )));
                }
                Judgement::Unknown(canonical) => {
                    return Err(at.refuse(&format!(
                        "lists {req:?}, which this builder does not know; if setuptools does not need it to decide what gets built, vouch for it with --allow-build-requires {canonical}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// An option of an `[options.*]` section.
    fn options_section(&mut self, at: &At) -> Result<()> {
        let given = self.given;
        let ov = &mut self.overlay;
        match (at.o.section.as_str(), at.o.key.as_str()) {
            ("options.extras_require", k) if given.setup_cfg_fills("optional-dependencies") => {
                if k.contains(':') || !names::is_valid(k) {
                    return Err(at.refuse("names an extra this builder does not reproduce"));
                }
                let extra = reqs::safe_extra(k);
                let rendered = cfg_requirements(&at.o.value)
                    .map_err(|e| at.refuse(&e))?
                    .iter()
                    .map(|r| r.render_for_extra(&extra))
                    .collect();
                ov.extras.push((extra, rendered));
            }
            ("options.extras_require", _) => at.file_refs(&mut ov.referenced_files)?,
            ("options.entry_points", _) => {}
            ("options.package_data", _) if given.tool("package-data") => {}
            ("options.exclude_package_data", _) if given.tool("exclude-package-data") => {}
            ("options.packages.find", _) => {}
            _ => {
                return Err(at.refuse(
                    "changes what setuptools builds and is not reproduced by this builder",
                ));
            }
        }
        Ok(())
    }

    /// The readme setup.cfg gives, and the check that every field
    /// project.dynamic leaves to setup.cfg is given there.
    fn finish(mut self) -> Result<Overlay> {
        if let Some(text) = self.long_description.take() {
            self.overlay.readme = Some(Readme {
                text,
                content_type: self.long_description_type.take(),
                file: None,
            });
            self.provided.push("readme");
        }
        // setuptools fails on a dynamic field nothing gives, but for those
        // whose empty value is not None (dependencies, extras, urls).
        for field in self.given.from_setup_cfg {
            let empty_ok = matches!(
                field.as_str(),
                "dependencies" | "optional-dependencies" | "urls"
            );
            if !empty_ok && !self.provided.contains(&field.as_str()) {
                bail!(
                    "{}: project.dynamic lists {field:?}, but neither [tool.setuptools.dynamic] nor setup.cfg gives it; setuptools fails on that too",
                    self.root.join("pyproject.toml")
                );
            }
        }
        Ok(self.overlay)
    }
}

/// `long_description`: the value, or the text of its `file:` files (those
/// that are regular files) joined by newlines.
fn long_description(root: &Utf8Path, at: &At) -> Result<String> {
    let Some(spec) = at.o.value.strip_prefix("file:") else {
        return Ok(at.o.value.clone());
    };
    let mut texts = Vec::new();
    for f in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if is_regular(&root.join(f)) {
            texts.push(read_text(root, f).map_err(|e| at.located(e))?);
        }
    }
    Ok(texts.join("\n"))
}

/// `license_files`: patterns in place of setuptools' defaults; a
/// `license_file` given earlier stays after them.
fn license_files(at: &At, license_files: &mut Option<Vec<String>>) -> Result<()> {
    let mut patterns = cfg_list(&at.o.value, ',');
    for pat in &patterns {
        check_relative(pat).map_err(|e| at.located(e))?;
    }
    if let Some(old) = license_files.take() {
        patterns.extend(
            old.into_iter()
                .filter(|o| !patterns.contains(o))
                .collect::<Vec<_>>(),
        );
    }
    *license_files = Some(patterns);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::setup_cfg::read_setup_cfg;
    use super::*;

    fn overlay(cfg: &str, given: &Given) -> Result<Overlay> {
        let legacy = Legacy {
            root: "/p".into(),
            effects: Vec::new(),
            setup_py_name: None,
            setup_cfg: "/p/setup.cfg".into(),
            metadata: read_setup_cfg(cfg),
        };
        setup_cfg_overlay(&legacy, given)
    }

    fn given<'a>(project_keys: Vec<&'a str>, allowed: &'a [String]) -> Given<'a> {
        Given {
            project_keys,
            tool_keys: Vec::new(),
            dynamic: &[],
            from_setup_cfg: &[],
            readme_content_type: false,
            allowed,
        }
    }

    #[test]
    fn options_that_reach_the_build_make_the_overlay() {
        let cfg = "[metadata]\nlicense_file = COPYING\nlicense_files = LICENSE*, COPYING\nauthor = A\nauthor = B\nplatform = linux\nplatforms = any\n[options]\nzip_safe = yes\nsetup_requires = wheel; my-plugin\ninstall_requires = file: reqs.txt\n";
        let allowed = ["My_Plugin".to_owned()];
        let ov = overlay(cfg, &given(vec!["name", "version"], &allowed)).unwrap();
        assert_eq!(
            ov.license_files,
            Some(vec!["LICENSE*".to_owned(), "COPYING".to_owned()])
        );
        assert_eq!(ov.author.as_deref(), Some("A"));
        assert_eq!(ov.platforms, ["linux"]);
        assert_eq!(ov.zip_safe, Some(true));
        assert_eq!(ov.include_package_data, None);
        assert_eq!(ov.vouched_build_requires, ["my-plugin"]);
        assert_eq!(ov.referenced_files, ["reqs.txt"]);
        assert_eq!(
            ov.warnings,
            [
                "/p/setup.cfg:11:1: [options] install_requires = \"file: reqs.txt\" is ignored: [project] has no dependencies and does not list them in dynamic (as setuptools does)"
            ]
        );
        // [project] license-files: setup.cfg's license_files is not read,
        // its (deprecated) license_file still is.
        let ov = overlay(cfg, &given(vec!["name", "license-files"], &allowed)).unwrap();
        assert_eq!(ov.license_files, Some(vec!["COPYING".to_owned()]));
    }

    #[test]
    fn refusals_name_the_option_and_its_place() {
        for (cfg, want) in [
            (
                "[metadata]\nname = x\n[options]\npackages = find:\n",
                "/p/setup.cfg:4:1: [options] packages = \"find:\" changes what setuptools builds and is not reproduced by this builder",
            ),
            (
                "[options]\n  setup_requires = setuptools_scm\n",
                "/p/setup.cfg:2:3: [options] setup_requires = \"setuptools_scm\" lists \"setuptools_scm\": a setuptools plugin: takes the version and the sdist's file list from git, which this builder does not reproduce; build this project with setuptools",
            ),
            (
                "[metadata]\nlong_description_content_type = text/markdown\n",
                "/p/setup.cfg:2:1: [metadata] long_description_content_type = \"text/markdown\" reaches METADATA (Description-Content-Type) when project.readme gives no content type, which this builder does not reproduce",
            ),
        ] {
            let err = overlay(cfg, &given(vec!["name"], &[])).unwrap_err();
            assert_eq!(err.to_string(), want, "{cfg}");
        }
        let from_setup_cfg = ["description".to_owned()];
        let given = Given {
            dynamic: &from_setup_cfg,
            from_setup_cfg: &from_setup_cfg,
            ..given(vec!["name"], &[])
        };
        let err = overlay("[metadata]\nname = x\n", &given).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/p/pyproject.toml: project.dynamic lists \"description\", but neither [tool.setuptools.dynamic] nor setup.cfg gives it; setuptools fails on that too"
        );
    }
}
