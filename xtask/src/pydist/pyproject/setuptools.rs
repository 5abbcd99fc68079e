//! `[tool.setuptools]`: the options that decide the files (packages,
//! py-modules, package-dir, package data) and the few that reach the
//! archives (platforms, zip-safe). Any other key is refused.

use anyhow::Result;

use super::super::project::{Find, Packages, Setuptools};
use super::super::textfile::check_relative;
use super::discovery::{self, is_identifier};
use crate::util::toml_spans::{Source, Tv, TvKind};

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

/// The `[tool.setuptools]` table, if any, once every key in it is one
/// this builder reproduces.
pub(super) fn table<'t>(src: &Source, tool: Option<&'t Tv>) -> Result<Option<&'t Tv>> {
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
    Ok(st)
}

/// The options of `[tool.setuptools]` (`st`), with setuptools' automatic
/// discovery when neither `packages` nor `py-modules` is given.
pub(super) fn read(src: &Source, st: Option<&Tv>) -> Result<Setuptools> {
    let get = |key: &str| st.and_then(|t| t.get(key));
    let package_dir = match get("package-dir") {
        Some(tv) => package_dir(src, tv)?,
        None => Vec::new(),
    };
    let mut py_modules = match get("py-modules") {
        Some(tv) => py_modules(src, tv)?,
        None => Vec::new(),
    };
    let mut packages = match get("packages") {
        None if py_modules.is_empty() => Packages::Unset,
        None => Packages::List(Vec::new()),
        Some(tv) => packages(src, tv)?,
    };
    if packages == Packages::Unset && py_modules.is_empty() {
        (packages, py_modules) = discovery::discover(src, &package_dir)?;
    }
    let package_data = data_table(src, get("package-data"), "package-data")?;
    let exclude_package_data =
        data_table(src, get("exclude-package-data"), "exclude-package-data")?;
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

/// `package-dir`, in file order.
fn package_dir(src: &Source, tv: &Tv) -> Result<Vec<(String, String)>> {
    let pairs = src.str_table(tv, "tool.setuptools.package-dir")?;
    for (_, dir) in &pairs {
        check_relative(dir).map_err(|e| src.err(tv, e))?;
    }
    Ok(pairs)
}

/// `py-modules`: dotted module names.
fn py_modules(src: &Source, tv: &Tv) -> Result<Vec<String>> {
    let mods = src.str_list(tv, "tool.setuptools.py-modules")?;
    for m in &mods {
        if !m.split('.').all(is_identifier) {
            return Err(src.err(
                tv,
                format!("invalid module name {m:?} in tool.setuptools.py-modules"),
            ));
        }
    }
    Ok(mods)
}

/// `packages`: a list of dotted package names, or `{find = {...}}`.
fn packages(src: &Source, tv: &Tv) -> Result<Packages> {
    match &tv.kind {
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
            Ok(Packages::List(list))
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
            Ok(Packages::Find(find_table(src, find)?))
        }
        _ => Err(src.err(
            tv,
            "tool.setuptools.packages must be a list of packages or {find = {...}}",
        )),
    }
}

/// `[tool.setuptools.packages.find]`, with setuptools' defaults.
fn find_table(src: &Source, find: &Tv) -> Result<Find> {
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
            "include" => f.include = src.str_list(v, "tool.setuptools.packages.find.include")?,
            "exclude" => f.exclude = src.str_list(v, "tool.setuptools.packages.find.exclude")?,
            "namespaces" => {
                f.namespaces = src.bool(v, "tool.setuptools.packages.find.namespaces")?
            }
            _ => {
                return Err(src.err(v, format!("tool.setuptools.packages.find.{k} is not supported (where, include, exclude, namespaces)")));
            }
        }
    }
    if f.include.is_empty() {
        f.include = vec!["*".to_owned()];
    }
    Ok(f)
}

/// `package-data` or `exclude-package-data`: patterns by package, with the
/// `"*"` key spelled `""` as setuptools does.
fn data_table(src: &Source, tv: Option<&Tv>, key: &str) -> Result<Vec<(String, Vec<String>)>> {
    let Some(tv) = tv else {
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
}
