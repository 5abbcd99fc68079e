//! `[project]`'s own fields (PEP 621): which keys it may hold, the name,
//! a static version, the description, requires-python, classifiers,
//! keywords and urls. The fields with readers of their own are the readme,
//! the license, the people, the requirements and the entry points.

use anyhow::Result;

use super::super::names;
use super::super::reqs;
use super::Notes;
use crate::util::toml_spans::{Source, Tv};

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

/// Refuse a key of `[project]` that PEP 621 does not define.
pub(super) fn check_keys(src: &Source, project: &Tv) -> Result<()> {
    for (key, value) in src.table(project, "[project]")? {
        if !PROJECT_KEYS.contains(&key.as_str()) {
            return Err(src.err(value, format!("unknown or unsupported key project.{key}")));
        }
    }
    Ok(())
}

/// `name` as written, and its PEP 503 normal form.
pub(super) fn name(src: &Source, project: &Tv) -> Result<(String, String)> {
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
    let canonical = names::canonicalize(&name);
    Ok((name, canonical))
}

/// `version` written in `[project]`, in its normal form.
pub(super) fn static_version(src: &Source, project: &Tv) -> Result<String> {
    let Some(tv) = project.get("version") else {
        anyhow::bail!(
            "{}: [project] has no `version`; give one, or list \"version\" in project.dynamic with [tool.setuptools.dynamic] version = {{attr = ...}}",
            src.path
        );
    };
    let raw = src.str(tv, "project.version")?;
    normalize_version(raw).map_err(|e| src.err(tv, e))
}

/// Validate a PEP 440 version and return its normal form.
pub fn normalize_version(raw: &str) -> Result<String, String> {
    raw.trim()
        .parse::<super::super::pep440::Version>()
        .map(|v| v.to_string())
        .map_err(|e| format!("invalid version {raw:?} (PEP 440): {e}"))
}

/// `description`: METADATA's Summary keeps its first line only.
pub(super) fn description(src: &Source, project: &Tv, notes: &mut Notes) -> Result<Option<String>> {
    let Some(tv) = project.get("description") else {
        return Ok(None);
    };
    let text = src.str(tv, "project.description")?;
    if text.contains(['\r', '\n']) {
        notes.warnings.push(format!(
            "{}: project.description spans several lines; Summary keeps the first (as setuptools does)",
            src.at(tv)
        ));
    }
    Ok(Some(text.to_owned()))
}

/// `requires-python`, rendered as setuptools writes it.
pub(super) fn requires_python(src: &Source, project: &Tv) -> Result<Option<String>> {
    let Some(tv) = project.get("requires-python") else {
        return Ok(None);
    };
    let raw = src.str(tv, "project.requires-python")?;
    let rendered = reqs::requires_python(raw)
        .map_err(|e| src.err(tv, format!("invalid requires-python {raw:?}: {e}")))?;
    Ok(Some(rendered))
}

/// `classifiers` or `keywords`: strings, each on one METADATA line.
pub(super) fn line_list(src: &Source, project: &Tv, key: &str) -> Result<Vec<String>> {
    match project.get(key) {
        Some(tv) => src.line_list(tv, &format!("project.{key}")),
        None => Ok(Vec::new()),
    }
}

/// `urls`: labels and addresses, each on one METADATA line.
pub(super) fn urls(src: &Source, project: &Tv) -> Result<Vec<(String, String)>> {
    let Some(tv) = project.get("urls") else {
        return Ok(Vec::new());
    };
    let urls = src.str_table(tv, "project.urls")?;
    for ((label, url), (_, item)) in urls.iter().zip(src.table(tv, "project.urls")?) {
        src.one_line(item, label, "the label of project.urls")?;
        src.one_line(item, url, &format!("project.urls.{label}"))?;
    }
    Ok(urls)
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
}
