//! setuptools' automatic discovery, for a `[tool.setuptools]` that gives
//! neither `packages` nor `py-modules`: the src-layout (everything under
//! `src/`, or package-dir's `""`, is meant to ship, PEP 420 packages and
//! top-level modules alike) and the flat layout (one top-level package or
//! module beside pyproject.toml). The explicit layout is not reproduced.

use anyhow::{Context, Result, bail};
use camino::Utf8Path;

use super::super::project::{Find, Packages};
use super::super::pyglob;
use crate::util::toml_spans::Source;

/// The packages and top-level modules setuptools would find, given
/// `package-dir`.
pub(super) fn discover(
    src: &Source,
    package_dir: &[(String, String)],
) -> Result<(Packages, Vec<String>)> {
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
        let packages = if found.is_empty() {
            Packages::Unset
        } else {
            Packages::List(found)
        };
        return Ok((packages, modules));
    }
    let packages = Packages::Find(Find {
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
    Ok((packages, modules))
}

/// A Python identifier (as `str.isidentifier`, for the names of packages
/// and modules).
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
        .filter(|m| !FLAT_EXCLUDED_MODULES.iter().any(|p| pyglob::fnmatch(m, p)))
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
        if !exclude.iter().any(|p| pyglob::fnmatch(&package, p)) {
            out.push(package.clone());
        }
        if exclude.contains(&format!("{package}*")) || exclude.contains(&format!("{package}.*")) {
            continue;
        }
        flat_walk(&dir.join(&name), &package, exclude, out)?;
    }
    Ok(())
}
