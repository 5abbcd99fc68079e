//! What setuptools reads besides pyproject.toml: a setup.py (accepted only
//! as a bare `setup()` call, parsed, never run), setup.cfg (its command
//! sections, and its `[metadata]` and `[options]` beside a `[project]`
//! table, applied as setuptools 84 applies them) and the command options of
//! `[tool.distutils]`. Each option either changes nothing, is reproduced, or
//! is refused naming its file, line and key.

use anyhow::{Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use super::names;
use super::pyproject::*;
use super::reqs::{self, Req};

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

/// A setup.py kept for old tools: only a bare `setup()` call (optionally
/// `setup(name="...")`), after `from setuptools import setup` or `import
/// setuptools`, perhaps under `if __name__ == "__main__":`, with comments,
/// blank lines and a docstring around. It is read, never run. Returns the
/// `name=` it gives, if any; anything more is refused with its line.
pub(super) fn bare_setup_py(text: &str) -> Result<Option<String>, String> {
    let mut statements: Vec<(usize, String)> = Vec::new();
    let mut in_docstring: Option<&str> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(quote) = in_docstring {
            if line.contains(quote) {
                in_docstring = None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if statements.is_empty() {
            if let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| line.starts_with(q)) {
                let rest = &line[3..];
                if !rest.contains(quote) {
                    in_docstring = Some(quote);
                }
                continue;
            }
        }
        let code = line.split(" #").next().unwrap_or(line).trim();
        statements.push((n + 1, code.to_owned()));
    }
    let mut it = statements.iter();
    let import = it.next().ok_or("it holds no setup() call")?;
    let call_prefix = match import.1.as_str() {
        "from setuptools import setup" => "setup(",
        "import setuptools" => "setuptools.setup(",
        other => {
            return Err(format!(
                "line {}: `{other}` is not `from setuptools import setup`",
                import.0
            ));
        }
    };
    let mut call = it.next().ok_or("it holds no setup() call")?;
    if matches!(
        call.1.as_str(),
        "if __name__ == \"__main__\":" | "if __name__ == '__main__':"
    ) {
        call = it.next().ok_or("it holds no setup() call")?;
    }
    if let Some(extra) = it.next() {
        return Err(format!(
            "line {}: `{}` is more than a bare setup() call",
            extra.0, extra.1
        ));
    }
    let args = call
        .1
        .strip_prefix(call_prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("line {}: `{}` is not a bare setup() call", call.0, call.1))?
        .trim()
        .trim_end_matches(',')
        .trim();
    if args.is_empty() {
        return Ok(None);
    }
    let name = args
        .strip_prefix("name")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim)
        .and_then(|v| {
            let quote = v.chars().next().filter(|c| matches!(c, '"' | '\''))?;
            v.strip_prefix(quote)?
                .strip_suffix(quote)
                .map(str::to_owned)
        })
        .filter(|v| !v.contains(['"', '\'', '\\']))
        .ok_or_else(|| {
            format!(
                "line {}: setup() is given `{args}`; only `name=\"...\"` is accepted",
                call.0
            )
        })?;
    Ok(Some(name))
}

/// One `key = value` of setup.cfg as configparser reads it: the key
/// lowercased with `-` spelled `_` (as setuptools does), continuation lines
/// joined by newlines, and where the key is written.
#[derive(Debug, Clone)]
pub(super) struct CfgOption {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
    pub col: usize,
}

/// setup.cfg's options in file order (comments and blank lines skipped).
fn read_setup_cfg(text: &str) -> Vec<CfgOption> {
    let mut out: Vec<CfgOption> = Vec::new();
    let mut section = String::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // Kept inside a value; trailing ones are trimmed below.
            if let Some(last) = out.last_mut().filter(|_| open) {
                last.value.push('\n');
            }
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && open {
            // A continuation line belongs to the option above it.
            if let Some(last) = out.last_mut() {
                last.value.push('\n');
                last.value.push_str(trimmed);
            }
            continue;
        }
        if trimmed.starts_with('[') {
            section = trimmed.trim_matches(['[', ']']).trim().to_owned();
            open = false;
            continue;
        }
        let (key, value) = trimmed.split_once(['=', ':']).unwrap_or((trimmed, ""));
        out.push(CfgOption {
            section: section.clone(),
            key: key.trim().to_lowercase().replace('-', "_"),
            value: value.trim().to_owned(),
            line: n + 1,
            col: line.len() - line.trim_start().len() + 1,
        });
        open = true;
    }
    for o in &mut out {
        o.value = o.value.trim().to_owned();
    }
    out
}

/// What setup.py and setup.cfg hold for the build.
pub(super) struct Legacy {
    pub effects: Vec<CommandEffect>,
    pub setup_py_name: Option<String>,
    pub setup_cfg: Utf8PathBuf,
    /// setup.cfg's `[metadata]`, `[options]` and `[options.*]` options,
    /// judged once pyproject.toml is read (see [`apply_setup_cfg`]).
    pub metadata: Vec<CfgOption>,
}

/// setup.py or setup.cfg as text: a regular file, bounded, UTF-8.
fn read_utf8(path: &Utf8Path) -> Result<String> {
    let bytes = super::pyproject::read_regular(path).map_err(|e| anyhow::anyhow!(e))?;
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
        effects,
        setup_py_name,
        setup_cfg,
        metadata,
    })
}

/// What pyproject.toml gives already, for judging setup.cfg's options.
pub(super) struct Given<'a> {
    pub project: &'a Tv,
    pub tool_setuptools: Option<&'a Tv>,
    /// project.dynamic.
    pub dynamic: &'a [String],
    /// The fields of project.dynamic that `[tool.setuptools.dynamic]` does
    /// not give: setuptools keeps what setup.cfg set for them.
    pub from_setup_cfg: &'a [String],
}

impl Given<'_> {
    /// Given in [project], or by tool.setuptools.dynamic.
    fn project(&self, key: &str) -> bool {
        self.project.get(key).is_some()
            || (self.dynamic.iter().any(|d| d == key) && !self.setup_cfg_fills(key))
    }
    fn setup_cfg_fills(&self, field: &str) -> bool {
        self.from_setup_cfg.iter().any(|d| d == field)
    }
    fn tool(&self, key: &str) -> bool {
        self.tool_setuptools.and_then(|t| t.get(key)).is_some()
    }
}

/// setuptools' `_parse_list`: lines if the value has several, else split
/// on `sep`; each item stripped, empty ones dropped.
fn cfg_list(value: &str, sep: char) -> Vec<String> {
    let items: Vec<&str> = if value.contains('\n') {
        value.lines().collect()
    } else {
        value.split(sep).collect()
    };
    items
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// setuptools' `_parse_bool`.
fn cfg_bool(value: &str) -> bool {
    matches!(value.to_lowercase().as_str(), "1" | "true" | "yes")
}

/// setup.cfg's `[metadata]` and `[options]` beside a `[project]` table, as
/// setuptools 84 applies them: setup.cfg is read first, then pyproject.toml
/// overwrites what `[project]` and `[tool.setuptools]` give, and resets
/// (with a warning) the fields it lists in `_PREVIOUSLY_DEFINED` that
/// `[project]` neither gives nor lists in `dynamic`. What is left through
/// reaches the build, and is reproduced here or refused with its place.
pub(super) fn apply_setup_cfg(
    legacy: &Legacy,
    given: &Given,
    allowed: &[String],
    p: &mut Project,
) -> Result<()> {
    let path = &legacy.setup_cfg;
    let mut provided: Vec<&str> = Vec::new();
    let mut long_description: Option<String> = None;
    let mut long_description_type: Option<String> = None;
    for o in &legacy.metadata {
        let here = format!("{path}:{}:{}", o.line, o.col);
        let shown = format!("[{}] {} = {:?}", o.section, o.key, o.value);
        let refuse = |why: &str| anyhow::anyhow!("{here}: {shown} {why}");
        let ignored = |why: &str| format!("{here}: {shown} is ignored: {why} (as setuptools does)");
        // `file:` values name files setuptools adds to the sdist.
        let file_refs = |o: &CfgOption, refs: &mut Vec<String>| -> Result<()> {
            if let Some(spec) = o.value.strip_prefix("file:") {
                for f in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    check_relative(f).map_err(|e| anyhow::anyhow!("{here}: {e}"))?;
                    if !refs.iter().any(|r| r == f) {
                        refs.push(f.to_owned());
                    }
                }
            }
            Ok(())
        };
        let key = match (o.section.as_str(), o.key.as_str()) {
            ("metadata", "home_page") => "url",
            ("metadata", "summary") => "description",
            ("metadata", "classifier") => "classifiers",
            ("metadata", "platform") => "platforms",
            (_, k) => k,
        };
        match (o.section.as_str(), key) {
            // Given by [project] (name always; the version in [project] or by
            // tool.setuptools.dynamic, which this builder requires).
            ("metadata", "name") => {}
            ("metadata", "version") => file_refs(o, &mut p.referenced_files)?,
            // Listed in project.dynamic and not in tool.setuptools.dynamic:
            // setup.cfg's value is the field's value.
            ("metadata", "description") if given.setup_cfg_fills("description") => {
                if o.value.contains('\n') || o.value.starts_with("file:") {
                    return Err(refuse(
                        "(a dynamic description) spans several lines or reads a file, which this builder does not reproduce",
                    ));
                }
                p.summary = Some(o.value.clone());
                provided.push("description");
            }
            ("metadata", "keywords") if given.setup_cfg_fills("keywords") => {
                p.keywords = cfg_list(&o.value, ',');
                provided.push("keywords");
            }
            ("metadata", "classifiers") if given.setup_cfg_fills("classifiers") => {
                if o.value.starts_with("file:") {
                    return Err(refuse(
                        "(dynamic classifiers) reads a file, which this builder does not reproduce",
                    ));
                }
                p.classifiers = cfg_list(&o.value, ',');
                provided.push("classifiers");
            }
            ("metadata", "project_urls") if given.setup_cfg_fills("urls") => {
                p.urls = cfg_list(&o.value, ',')
                    .iter()
                    .map(|line| {
                        let (k, v) = line.split_once('=').unwrap_or((line, ""));
                        (k.trim().to_owned(), v.trim().to_owned())
                    })
                    .collect();
            }
            ("metadata", "long_description") if given.setup_cfg_fills("readme") => {
                file_refs(o, &mut p.referenced_files)?;
                long_description = Some(match o.value.strip_prefix("file:") {
                    None => o.value.clone(),
                    Some(spec) => {
                        let mut texts = Vec::new();
                        for f in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                            if super::pyproject::is_regular(&p.root.join(f)) {
                                texts.push(
                                    read_text(&p.root, f)
                                        .map_err(|e| anyhow::anyhow!("{here}: {e}"))?,
                                );
                            }
                        }
                        texts.join("\n")
                    }
                });
            }
            ("metadata", "long_description_content_type") if given.setup_cfg_fills("readme") => {
                long_description_type = Some(o.value.clone());
            }
            ("options", "install_requires") if given.setup_cfg_fills("dependencies") => {
                p.dependencies = cfg_requirements(&o.value)
                    .map_err(|e| refuse(&e))?
                    .iter()
                    .map(Req::render)
                    .collect();
            }
            ("options.extras_require", k) if given.setup_cfg_fills("optional-dependencies") => {
                if k.contains(':') || !names::is_valid(k) {
                    return Err(refuse("names an extra this builder does not reproduce"));
                }
                let extra = reqs::safe_extra(k);
                let rendered = cfg_requirements(&o.value)
                    .map_err(|e| refuse(&e))?
                    .iter()
                    .map(|r| r.render_for_extra(&extra))
                    .collect();
                p.extras.push((extra, rendered));
            }
            (
                "metadata",
                "description" | "keywords" | "classifiers" | "project_urls" | "license",
            ) => {
                // Only these two read `file:`.
                if key == "description" || key == "classifiers" {
                    file_refs(o, &mut p.referenced_files)?;
                }
                let field = match key {
                    "project_urls" => "urls",
                    other => other,
                };
                if !given.project(field) {
                    p.warnings.push(ignored(&format!(
                        "[project] has no {field} and does not list it in dynamic"
                    )));
                }
            }
            ("metadata", "long_description") => {
                if !given.project("readme") {
                    return Err(refuse(
                        "is not reproduced by this builder: with [project] and no readme there, setuptools 84 fails on it; give project.readme",
                    ));
                }
                file_refs(o, &mut p.referenced_files)?;
            }
            ("metadata", "long_description_content_type") => {
                if p.readme
                    .as_ref()
                    .and_then(|r| r.content_type.as_ref())
                    .is_none()
                {
                    return Err(refuse(
                        "reaches METADATA (Description-Content-Type) when project.readme gives no content type, which this builder does not reproduce",
                    ));
                }
            }
            // project.authors / maintainers write a name, an address or both;
            // setup.cfg's value stays in the field [project] leaves empty.
            ("metadata", "author" | "author_email" | "maintainer" | "maintainer_email" | "url") => {
                if o.value.contains('\n') {
                    return Err(refuse(
                        "spans several lines, which this builder does not reproduce",
                    ));
                }
                if key.starts_with("author") {
                    provided.push("authors");
                } else if key.starts_with("maintainer") {
                    provided.push("maintainers");
                }
                let slot = match key {
                    "author" => &mut p.author,
                    "author_email" => &mut p.author_email,
                    "maintainer" => &mut p.maintainer,
                    "maintainer_email" => &mut p.maintainer_email,
                    _ => &mut p.home_page,
                };
                if slot.is_none() && !o.value.is_empty() {
                    *slot = Some(o.value.clone());
                }
            }
            ("metadata", "license_files") => {
                if given.project("license-files") || given.tool("license-files") {
                    continue;
                }
                let mut patterns = cfg_list(&o.value, ',');
                for pat in &patterns {
                    check_relative(pat).map_err(|e| anyhow::anyhow!("{here}: {e}"))?;
                }
                // A license_file given earlier stays after these patterns.
                if let Some(old) = p.license_files.take() {
                    patterns.extend(
                        old.into_iter()
                            .filter(|o| !patterns.contains(o))
                            .collect::<Vec<_>>(),
                    );
                }
                p.license_files = Some(patterns);
            }
            // Deprecated, but still added to whatever patterns there are.
            ("metadata", "license_file") => {
                check_relative(&o.value).map_err(|e| anyhow::anyhow!("{here}: {e}"))?;
                let patterns = p.license_files.get_or_insert_with(Vec::new);
                if !patterns.contains(&o.value) {
                    patterns.push(o.value.clone());
                }
            }
            ("metadata", "platforms") => {
                // The first of `platform` and `platforms` is kept.
                if !given.tool("platforms") && p.setuptools.platforms.is_empty() {
                    p.setuptools.platforms = cfg_list(&o.value, ',');
                }
            }
            ("options", "install_requires") => {
                file_refs(o, &mut p.referenced_files)?;
                if !given.project("dependencies") {
                    p.warnings.push(ignored(
                        "[project] has no dependencies and does not list them in dynamic",
                    ));
                }
            }
            ("options.extras_require", _) => {
                file_refs(o, &mut p.referenced_files)?;
            }
            ("options.entry_points", _) => {}
            ("options", "python_requires") => {
                if !given.project("requires-python") {
                    return Err(refuse(
                        "is not reproduced by this builder: with [project] and no requires-python there, setuptools 84 fails on it; give project.requires-python",
                    ));
                }
            }
            ("options", "zip_safe") => {
                if !given.tool("zip-safe") {
                    p.setuptools.zip_safe = Some(cfg_bool(&o.value));
                }
            }
            ("options", "include_package_data") => {
                if !given.tool("include-package-data") {
                    p.setuptools.include_package_data = cfg_bool(&o.value);
                }
            }
            ("options", "setup_requires") => {
                for req in cfg_list(&o.value, ';') {
                    let name: String = req
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                        .collect();
                    let canonical = names::canonicalize(&name);
                    let row = BUILD_REQUIRES.iter().find(|(n, _, _)| *n == canonical);
                    match row {
                        Some((_, Verdict::Harmless, _)) => {}
                        _ if allowed.iter().any(|a| names::canonicalize(a) == canonical) => {
                            if !p.vouched_build_requires.contains(&canonical) {
                                p.vouched_build_requires.push(canonical);
                            }
                        }
                        Some((_, _, why)) => {
                            return Err(refuse(&format!(
                                "lists {req:?}: {why}, which this builder does not reproduce; build this project with setuptools"
                            )));
                        }
                        None => {
                            return Err(refuse(&format!(
                                "lists {req:?}, which this builder does not know; if setuptools does not need it to decide what gets built, vouch for it with --allow-build-requires {canonical}"
                            )));
                        }
                    }
                }
            }
            // The file selection, unless [tool.setuptools] gives its own.
            ("options", "packages") if given.tool("packages") => {}
            ("options", "py_modules") if given.tool("py-modules") => {}
            ("options", "package_dir") if given.tool("package-dir") => {}
            ("options.package_data", _) if given.tool("package-data") => {}
            ("options.exclude_package_data", _) if given.tool("exclude-package-data") => {}
            ("options.packages.find", _) => {}
            ("options", "entry_points") => {
                return Err(refuse(
                    "is not reproduced by this builder: written inline beside [project], setuptools 84 fails on it; use [project.scripts] or [project.entry-points]",
                ));
            }
            _ => {
                return Err(refuse(
                    "changes what setuptools builds and is not reproduced by this builder",
                ));
            }
        }
    }
    // `packages = find:` reads [options.packages.find]: refused above with
    // `packages` unless tool.setuptools.packages replaces both.
    if let Some(text) = long_description {
        p.readme = Some(Readme {
            text,
            content_type: long_description_type,
            file: None,
        });
        provided.push("readme");
    }
    // setuptools fails on a dynamic field nothing gives, but for those whose
    // empty value is not None (dependencies, extras, urls).
    for field in given.from_setup_cfg {
        let empty_ok = matches!(
            field.as_str(),
            "dependencies" | "optional-dependencies" | "urls"
        );
        if !empty_ok && !provided.contains(&field.as_str()) {
            bail!(
                "{}: project.dynamic lists {field:?}, but neither [tool.setuptools.dynamic] nor setup.cfg gives it; setuptools fails on that too",
                p.root.join("pyproject.toml")
            );
        }
    }
    Ok(())
}

/// setup.cfg's `install_requires` or an extra's requirements, as setuptools
/// reads them: split on lines or `;`, `#` lines dropped, each cut at ` #`.
fn cfg_requirements(value: &str) -> Result<Vec<Req>, String> {
    if value.starts_with("file:") {
        return Err("reads a file, which this builder does not reproduce here".to_owned());
    }
    cfg_list(value, ';')
        .iter()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let l = l.split(" #").next().unwrap_or(l).trim();
            Req::parse(l).map_err(|e| format!("holds an invalid requirement {l:?}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_cfg_reads_as_configparser_does() {
        let text = "# comment\n[metadata]\nName = demo\nlicense-file: LICENSE\nclassifiers =\n\tA :: B\n\n    C :: D\n\n; note\n[options]\n  zip_safe = False\n";
        let got: Vec<(String, String, String, usize, usize)> = read_setup_cfg(text)
            .into_iter()
            .map(|o| (o.section, o.key, o.value, o.line, o.col))
            .collect();
        let want =
            |s: &str, k: &str, v: &str, l, c| (s.to_owned(), k.to_owned(), v.to_owned(), l, c);
        assert_eq!(
            got,
            [
                want("metadata", "name", "demo", 3, 1),
                want("metadata", "license_file", "LICENSE", 4, 1),
                want("metadata", "classifiers", "A :: B\n\nC :: D", 5, 1),
                want("options", "zip_safe", "False", 12, 3),
            ]
        );
        assert_eq!(cfg_list("a, b,,c", ','), ["a", "b", "c"]);
        assert_eq!(cfg_list("\na; b\nc", ';'), ["a; b", "c"]);
        assert!(cfg_bool("True") && cfg_bool("1") && !cfg_bool("off"));
    }

    #[test]
    fn only_a_bare_setup_py_is_accepted() {
        for (text, name) in [
            ("from setuptools import setup\nsetup()\n", None),
            ("import setuptools\n\nsetuptools.setup()\n", None),
            (
                "#!/usr/bin/env python\n\"\"\"Doc\nstring.\"\"\"\n# c\nfrom setuptools import setup\nif __name__ == '__main__':\n    setup(name='x-y',)  # ok\n",
                Some("x-y"),
            ),
        ] {
            assert_eq!(bare_setup_py(text), Ok(name.map(str::to_owned)), "{text}");
        }
        for (text, why) in [
            ("", "no setup() call"),
            (
                "from setuptools import setup, find_packages\nsetup()\n",
                "line 1",
            ),
            (
                "from setuptools import setup\nsetup(packages=['a'])\n",
                "only `name=",
            ),
            (
                "from setuptools import setup\nsetup()\nprint('hi')\n",
                "line 3",
            ),
            (
                "import os\nfrom setuptools import setup\nsetup()\n",
                "line 1",
            ),
            (
                "from setuptools import setup\nsetup(name=NAME)\n",
                "only `name=",
            ),
        ] {
            let err = bare_setup_py(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }
}
