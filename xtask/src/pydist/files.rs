//! Choosing the files, as setuptools 84 does for the options it reads from
//! pyproject.toml: package discovery (`packages`, `packages.find`,
//! `package-dir`, `py-modules`), package data (`package-data`, the implicit
//! `*.pyi`/`py.typed`, `include-package-data` through the manifest,
//! `exclude-package-data`), the sdist's file list (setuptools' defaults, the
//! MANIFEST.in directives, license and referenced files, its pruning) and the
//! license files.
//!
//! Pure: everything is computed from the walked [`Tree`]. Paths are carried
//! as Python would spell them (a `./` written in a pattern stays, because
//! setuptools' later patterns see it) and normalised only at the end.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};

use super::pyglob::{
    PathPattern, escape, findall, fnmatch, glob, norm, pjoin, psplit, setuptools_glob,
};
use super::pyproject::{Packages, Project, is_identifier};
use super::tree::Tree;

/// setuptools' default license file patterns (used when none are configured).
pub const DEFAULT_LICENSE_PATTERNS: [&str; 4] = ["LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*"];

/// Data files every package ships (setuptools' `_IMPLICIT_DATA_FILES`).
const IMPLICIT_DATA_FILES: [&str; 2] = ["*.pyi", "py.typed"];

/// What goes where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Packages, in discovery order.
    pub packages: Vec<String>,
    /// `package-dir` after `packages.find` filled it in.
    pub package_dir: Vec<(String, String)>,
    /// Wheel members outside `.dist-info`: archive path -> project path.
    pub wheel: BTreeMap<String, String>,
    /// sdist members (project paths), sorted; PKG-INFO is added by the writer.
    pub sdist: Vec<String>,
    /// License files, in the order setuptools lists them.
    pub license_files: Vec<String>,
    /// `top_level.txt` names.
    pub top_level: Vec<String>,
    /// Non-fatal remarks (package-data keys naming no package, ...).
    pub warnings: Vec<String>,
}

/// Packages and where they live; needed before the version (an `attr` names
/// a module under `package-dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub packages: Vec<String>,
    pub package_dir: Vec<(String, String)>,
}

fn map_get<'a>(map: &'a [(String, String)], key: &str) -> Option<&'a str> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn map_set(map: &mut Vec<(String, String)>, key: &str, value: String) {
    match map.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => map.push((key.to_owned(), value)),
    }
}

/// Package discovery (`packages` or `packages.find`) and `package-dir`.
pub fn layout(project: &Project, tree: &Tree) -> Result<Layout> {
    let st = &project.setuptools;
    let mut package_dir = st.package_dir.clone();
    let packages = match &st.packages {
        Packages::Unset => Vec::new(),
        Packages::List(list) => list.clone(),
        Packages::Find(find) => {
            let mut search: Vec<String> = Vec::new();
            for w in &find.where_ {
                if !search.contains(w) {
                    search.push(w.clone());
                }
            }
            let is_root = |w: &str| norm(w).map(|n| n.is_empty()).unwrap_or(false);
            if search.len() == 1 && !is_root(&search[0]) && map_get(&package_dir, "").is_none() {
                package_dir.push((String::new(), search[0].clone()));
            }
            let mut exclude: Vec<String> = vec!["ez_setup".into(), "*__pycache__".into()];
            exclude.extend(find.exclude.iter().cloned());
            let mut packages = Vec::new();
            for path in &search {
                let base = norm(path).with_context(|| "in tool.setuptools.packages.find.where")?;
                let mut found = Vec::new();
                if tree.is_dir(&base) {
                    find_packages(
                        tree,
                        &base,
                        "",
                        find.namespaces,
                        &find.include,
                        &exclude,
                        &mut found,
                    )?;
                }
                if !(found.is_empty()
                    || map_get(&package_dir, "") == Some(path.as_str())
                    || is_root(path))
                {
                    for top in remove_nested(&found) {
                        let mut dir = base.clone();
                        for part in top.split('.') {
                            dir = pjoin(&dir, part);
                        }
                        map_set(&mut package_dir, &top, dir);
                    }
                }
                packages.extend(found);
            }
            packages
        }
    };
    Ok(Layout {
        packages,
        package_dir,
    })
}

/// setuptools' `PackageFinder._find_iter` (or the PEP 420 one).
fn find_packages(
    tree: &Tree,
    base: &str,
    prefix: &str,
    namespaces: bool,
    include: &[String],
    exclude: &[String],
    out: &mut Vec<String>,
) -> Result<()> {
    let dir_path = pjoin(base, prefix);
    let Some(dir) = tree.dir(&dir_path) else {
        return Ok(());
    };
    for (name, node) in &dir.entries {
        let sub = match node {
            super::tree::Node::Dir(d) => d,
            super::tree::Node::Blocked(b) if !name.contains('.') => {
                bail!("{} {}", pjoin(&dir_path, name), b.reason());
            }
            _ => continue,
        };
        if name.contains('.') {
            continue;
        }
        if !namespaces
            && !matches!(
                sub.entries.get("__init__.py"),
                Some(super::tree::Node::File(_))
            )
        {
            continue;
        }
        let package = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{}.{name}", prefix.replace('/', "."))
        };
        if include.iter().any(|p| fnmatch(&package, p))
            && !exclude.iter().any(|p| fnmatch(&package, p))
        {
            out.push(package.clone());
        }
        if exclude
            .iter()
            .any(|p| *p == format!("{package}*") || *p == format!("{package}.*"))
        {
            continue;
        }
        find_packages(
            tree,
            base,
            &pjoin(prefix, name),
            namespaces,
            include,
            exclude,
            out,
        )?;
    }
    Ok(())
}

/// setuptools' `remove_nested_packages`.
fn remove_nested(packages: &[String]) -> Vec<String> {
    let mut sorted: Vec<&String> = packages.iter().collect();
    sorted.sort_by_key(|p| p.len());
    let mut top: Vec<String> = Vec::new();
    for p in sorted {
        if !top.iter().any(|t| p.starts_with(&format!("{t}."))) {
            top.push(p.clone());
        }
    }
    top
}

/// distutils' `build_py.get_package_dir`.
fn package_dir_of(package_dir: &[(String, String)], package: &str) -> String {
    let mut path: Vec<&str> = if package.is_empty() {
        Vec::new()
    } else {
        package.split('.').collect()
    };
    if package_dir.is_empty() {
        return path.join("/");
    }
    let mut tail: Vec<String> = Vec::new();
    while !path.is_empty() {
        if let Some(pdir) = map_get(package_dir, &path.join(".")) {
            tail.insert(0, pdir.to_owned());
            return join_all(&tail);
        }
        tail.insert(0, path[path.len() - 1].to_owned());
        path.pop();
    }
    if let Some(pdir) = map_get(package_dir, "") {
        tail.insert(0, pdir.to_owned());
    }
    join_all(&tail)
}

fn join_all(parts: &[String]) -> String {
    parts.iter().fold(String::new(), |acc, p| pjoin(&acc, p))
}

/// One Python module of the wheel: (package, module file in the project).
struct Module {
    package: String,
    file: String,
}

/// Everything the wheel and sdist hold, given the layout.
/// `manifest_in` is the text of MANIFEST.in, when the project has one.
pub fn select(
    project: &Project,
    tree: &Tree,
    layout: &Layout,
    fullname: &str,
    manifest_in: Option<&str>,
    previous_sources: Option<&str>,
) -> Result<Selection> {
    let chooser = Chooser {
        project,
        tree,
        layout,
        fullname,
        manifest_in,
        previous_sources,
        pkg_dirs: layout
            .packages
            .iter()
            .map(|p| (p.clone(), package_dir_of(&layout.package_dir, p)))
            .collect(),
    };
    let modules = chooser.python_modules()?;
    let mut warnings = chooser.package_data_warnings()?;
    let license_files = license_files(project, tree)?;
    let manifest = chooser.manifest(&modules, &license_files, &mut warnings)?;
    let wheel = chooser.wheel_members(&modules, &manifest)?;
    let sdist = sdist_members(&manifest)?;
    let top_level = chooser.top_level(&sdist)?;
    Ok(Selection {
        packages: layout.packages.clone(),
        package_dir: layout.package_dir.clone(),
        wheel,
        sdist,
        license_files,
        top_level,
        warnings,
    })
}

/// The inputs of [`select`], with each package's folder.
struct Chooser<'a> {
    project: &'a Project,
    tree: &'a Tree,
    layout: &'a Layout,
    /// `{name}-{version}`: the release tree the manifest never holds.
    fullname: &'a str,
    manifest_in: Option<&'a str>,
    /// The SOURCES.txt an earlier build left (building from an sdist).
    previous_sources: Option<&'a str>,
    /// (package, its folder), in discovery order.
    pkg_dirs: Vec<(String, String)>,
}

impl Chooser<'_> {
    /// Python modules: py-modules first, then each package's *.py
    /// (`build_py.find_all_modules`).
    fn python_modules(&self) -> Result<Vec<Module>> {
        let tree = self.tree;
        let mut modules: Vec<Module> = Vec::new();
        for module in &self.project.setuptools.py_modules {
            let (package, base) = match module.rsplit_once('.') {
                Some((p, b)) => (p.to_owned(), b.to_owned()),
                None => (String::new(), module.clone()),
            };
            let dir = package_dir_of(&self.layout.package_dir, &package);
            if !package.is_empty() {
                let init = pjoin(&dir, "__init__.py");
                if tree.is_file(&norm(&init)?) && !modules.iter().any(|m| m.file == init) {
                    modules.push(Module {
                        package: package.clone(),
                        file: init,
                    });
                }
            }
            let file = pjoin(&dir, &format!("{base}.py"));
            if !tree.is_file(&norm(&file)?) {
                bail!("tool.setuptools.py-modules lists {module:?} but {file} does not exist");
            }
            modules.push(Module { package, file });
        }
        for (package, dir) in &self.pkg_dirs {
            let normal = norm(dir)?;
            if !normal.is_empty() && !tree.is_dir(&normal) {
                bail!("package directory '{dir}' (for package {package}) does not exist");
            }
            for file in glob(tree, &pjoin(&escape(dir), "*.py"), false)? {
                if tree.is_file(&norm(&file)?) {
                    modules.push(Module {
                        package: package.clone(),
                        file,
                    });
                }
            }
        }
        Ok(modules)
    }

    /// package-data keys naming no package, and patterns that match nothing:
    /// the latter usually mean a missing build step (such as an unbuilt UI).
    /// setuptools is silent about both; we say so.
    fn package_data_warnings(&self) -> Result<Vec<String>> {
        let st = &self.project.setuptools;
        let mut warnings = Vec::new();
        let known: BTreeSet<&str> = self.layout.packages.iter().map(String::as_str).collect();
        for (key, _) in st.package_data.iter().chain(&st.exclude_package_data) {
            if !key.is_empty() && !known.contains(key.as_str()) {
                warnings.push(format!("package-data key {key:?} names no package being built; its patterns are ignored (as setuptools does)"));
            }
        }
        for (package, dir) in &self.pkg_dirs {
            for (key, patterns) in &st.package_data {
                if key != package {
                    continue;
                }
                for pattern in patterns {
                    let hits = glob(self.tree, &pjoin(dir, pattern), true)?;
                    let any_file = hits
                        .iter()
                        .any(|h| norm(h).is_ok_and(|n| self.tree.is_file(&n)));
                    if !any_file {
                        warnings.push(format!(
                            "the package-data pattern {pattern:?} of {package} matches no file in {dir}"
                        ));
                    }
                }
            }
        }
        Ok(warnings)
    }

    /// What setuptools' sdist adds before any manifest: a README, the setup
    /// script (a bare one is all this builder accepts), the optional
    /// defaults, pyproject.toml, and an earlier build's SOURCES.txt.
    fn standard_files(&self) -> Result<Vec<String>> {
        let tree = self.tree;
        let mut list: Vec<String> = Vec::new();
        for readme in ["README", "README.rst", "README.txt", "README.md"] {
            if tree.is_file(readme) {
                list.push(readme.to_owned());
                break;
            }
        }
        if tree.is_file("setup.py") {
            list.push("setup.py".to_owned());
        }
        for pattern in ["tests/test*.py", "test/test*.py", "setup.cfg"] {
            for f in glob(tree, pattern, false)? {
                if tree.is_file(&norm(&f)?) {
                    list.push(f);
                }
            }
        }
        if tree.is_file("pyproject.toml") {
            list.push("pyproject.toml".into());
        }
        // Building from an sdist: with no version control to ask, setuptools
        // reads the SOURCES.txt an earlier build left in the egg-info folder as
        // a manifest, and every file it lists that still exists ships again.
        if let Some(text) = self.previous_sources {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !line.contains(".egg-info/") && norm(line).is_ok_and(|n| tree.is_file(&n)) {
                    list.push(line.to_owned());
                }
            }
        }
        Ok(list)
    }

    /// The manifest (SOURCES.txt): sdist defaults, modules and package data,
    /// MANIFEST.in, license and referenced files, pruned, sorted,
    /// de-duplicated. MANIFEST.in's skipped lines go to `warnings`.
    fn manifest(
        &self,
        modules: &[Module],
        license_files: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<Vec<String>> {
        let project = self.project;
        let mut list = self.standard_files()?;
        list.extend(modules.iter().map(|m| m.file.clone()));
        // Package data without the manifest (what setuptools' sdist adds by default).
        for (package, dir) in &self.pkg_dirs {
            list.extend(find_data_files(project, self.tree, package, dir, &[])?);
        }
        if let Some(text) = self.manifest_in {
            list.push("MANIFEST.in".into());
            let template = project.root.join("MANIFEST.in");
            for skipped in apply_manifest_template(self.tree, text, &mut list)
                .with_context(|| format!("in {template}"))?
            {
                warnings.push(format!("{template}, {skipped}"));
            }
        }
        list.extend(license_files.iter().cloned());
        for f in &project.referenced_files {
            if self.tree.is_file(&norm(f)?) {
                list.push(f.clone());
            }
        }
        // prune_file_list: build/, the release tree, VCS and tool folders (the
        // walk left most of them out already).
        let release_tree = PathPattern::new(&format!("{}/**", self.fullname));
        list.retain(|f| !release_tree.matches(f) && !f.starts_with("build/"));
        list.sort();
        list.dedup();
        Ok(list)
    }

    /// The wheel's members outside `.dist-info` (archive path -> project
    /// path): the modules, then each package's data files, with the
    /// manifest's when include-package-data is on.
    fn wheel_members(
        &self,
        modules: &[Module],
        manifest: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let manifest_files = if self.project.setuptools.include_package_data {
            analyze_manifest(&self.pkg_dirs, manifest)
        } else {
            BTreeMap::new()
        };
        let mut wheel: BTreeMap<String, String> = BTreeMap::new();
        for m in modules {
            let name = psplit(&m.file).1;
            let target = if m.package.is_empty() {
                name.to_owned()
            } else {
                format!("{}/{name}", m.package.replace('.', "/"))
            };
            add_wheel_member(&mut wheel, target, m.file.clone())?;
        }
        for (package, dir) in &self.pkg_dirs {
            let extra = manifest_files.get(package).cloned().unwrap_or_default();
            let base = norm(dir)?;
            for file in find_data_files(self.project, self.tree, package, dir, &extra)? {
                let normal = norm(&file)?;
                let rel = if base.is_empty() {
                    normal.clone()
                } else {
                    normal
                        .strip_prefix(&format!("{base}/"))
                        .map(str::to_owned)
                        .with_context(|| format!("{file} is not inside the package folder {dir}"))?
                };
                let target = if package.is_empty() {
                    rel
                } else {
                    format!("{}/{rel}", package.replace('.', "/"))
                };
                add_wheel_member(&mut wheel, target, file)?;
            }
        }
        Ok(wheel)
    }

    /// `top_level.txt`'s names. The wheel is built from the sdist, where a
    /// folder with no file in it does not exist: setuptools then finds no
    /// such package (and writes an empty top_level.txt when none is left).
    fn top_level(&self, sdist: &[String]) -> Result<Vec<String>> {
        let shipped_dir = |dir: &str| -> Result<bool> {
            let dir = norm(dir)?;
            Ok(dir.is_empty()
                || sdist.iter().any(|f| {
                    f.strip_prefix(dir.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                }))
        };
        let mut top_level: Vec<String> = Vec::new();
        for (package, dir) in &self.pkg_dirs {
            if shipped_dir(dir)? {
                top_level.push(package.split('.').next().unwrap_or(package).to_owned());
            }
        }
        top_level.extend(
            self.project
                .setuptools
                .py_modules
                .iter()
                .map(|n| n.split('.').next().unwrap_or(n).to_owned()),
        );
        top_level.sort();
        top_level.dedup();
        Ok(top_level)
    }
}

/// Add `source` to the wheel as `target`, refusing two files for one target.
fn add_wheel_member(
    wheel: &mut BTreeMap<String, String>,
    target: String,
    source: String,
) -> Result<()> {
    let source = norm(&source)?;
    match wheel.get(&target) {
        Some(existing) if *existing != source => {
            bail!("both {existing} and {source} would be installed as {target}")
        }
        _ => {
            wheel.insert(target, source);
            Ok(())
        }
    }
}

/// The sdist's files: the manifest, normalised, sorted, de-duplicated.
fn sdist_members(manifest: &[String]) -> Result<Vec<String>> {
    let mut sdist: Vec<String> = Vec::new();
    for f in manifest {
        let n = norm(f)?;
        if !n.is_empty() {
            sdist.push(n);
        }
    }
    sdist.sort();
    sdist.dedup();
    Ok(sdist)
}

/// `build_py.find_data_files`: implicit, `*` and per-package globs, plus the
/// manifest's files for the package, minus `exclude-package-data`.
fn find_data_files(
    project: &Project,
    tree: &Tree,
    package: &str,
    dir: &str,
    manifest_files: &[String],
) -> Result<Vec<String>> {
    let st = &project.setuptools;
    let patterns_for = |table: &[(String, Vec<String>)], key: &str| -> Vec<String> {
        table
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    };
    let mut patterns: Vec<String> = IMPLICIT_DATA_FILES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    patterns.extend(patterns_for(&st.package_data, ""));
    if !package.is_empty() {
        patterns.extend(patterns_for(&st.package_data, package));
    }
    let mut files: Vec<String> = manifest_files.to_vec();
    for pattern in &patterns {
        let full = pjoin(dir, pattern);
        for hit in glob(tree, &full, true).with_context(|| {
            format!(
                "in the package data pattern {pattern:?} of {}",
                if package.is_empty() {
                    "every package"
                } else {
                    package
                }
            )
        })? {
            if tree.is_file(&norm(&hit)?) {
                files.push(hit);
            }
        }
    }
    let mut excludes: Vec<String> = patterns_for(&st.exclude_package_data, "");
    if !package.is_empty() {
        excludes.extend(patterns_for(&st.exclude_package_data, package));
    }
    let excludes: Vec<String> = excludes.iter().map(|p| pjoin(dir, p)).collect();
    let mut seen = BTreeSet::new();
    Ok(files
        .into_iter()
        .filter(|f| !excludes.iter().any(|p| fnmatch(f, p)))
        .filter(|f| seen.insert(f.clone()))
        .collect())
}

/// `build_py.analyze_manifest`: manifest files mapped to the innermost
/// package folder holding them (modules directly in a package excluded).
fn analyze_manifest(
    pkg_dirs: &[(String, String)],
    manifest: &[String],
) -> BTreeMap<String, Vec<String>> {
    let src_dirs: BTreeMap<&str, &str> = pkg_dirs
        .iter()
        .map(|(p, d)| (d.as_str(), p.as_str()))
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in manifest {
        let (mut d, f) = psplit(path);
        let oldf = f.to_owned();
        let mut f = f.to_owned();
        let mut prev: Option<&str> = None;
        while !d.is_empty() && Some(d) != prev && !src_dirs.contains_key(d) {
            prev = Some(d);
            let (head, tail) = psplit(d);
            f = pjoin(tail, &f);
            d = head;
        }
        if let Some(package) = src_dirs.get(d) {
            if f == oldf && is_module(&f) {
                continue;
            }
            out.entry((*package).to_owned())
                .or_default()
                .push(path.clone());
        }
    }
    out
}

fn is_module(file: &str) -> bool {
    file.strip_suffix(".py").is_some_and(is_identifier)
}

/// The license files: configured patterns (each must match) or the default
/// ones, each pattern's matches sorted, backups (`~`) skipped.
fn license_files(project: &Project, tree: &Tree) -> Result<Vec<String>> {
    let (patterns, enforce): (Vec<String>, bool) = match &project.license_files {
        // setuptools lets a tool.setuptools.license-files pattern match nothing.
        Some(p) => (p.clone(), project.license_files_pep639),
        None => (
            DEFAULT_LICENSE_PATTERNS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            false,
        ),
    };
    let mut out: Vec<String> = Vec::new();
    for pattern in &patterns {
        let mut found = glob(tree, pattern, true)
            .with_context(|| format!("in the license-files pattern {pattern:?}"))?;
        if enforce && found.is_empty() {
            bail!(
                "the license-files pattern {pattern:?} matches no file (PEP 639 requires each pattern to match)"
            );
        }
        found.sort();
        for f in found {
            let n = norm(&f)?;
            if !f.ends_with('~') && tree.is_file(&n) && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// One MANIFEST.in line, split into its action and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Include(Vec<String>),
    Exclude(Vec<String>),
    GlobalInclude(Vec<String>),
    GlobalExclude(Vec<String>),
    RecursiveInclude(String, Vec<String>),
    RecursiveExclude(String, Vec<String>),
    Graft(String),
    Prune(String),
}

/// distutils' TextFile reading of MANIFEST.in: comments (`#`, `\#` for a
/// literal), blank lines, backslash continuations, surrounding whitespace.
pub fn manifest_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut buildup: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let mut line = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek() == Some(&'#') {
                line.push('#');
                chars.next();
            } else if c == '#' {
                break;
            } else {
                line.push(c);
            }
        }
        let (start, mut line) = match buildup.take() {
            Some((start, prev)) => (start, format!("{prev}{}", line.trim_start())),
            None => (n + 1, line),
        };
        line = line.trim().to_owned();
        if let Some(stripped) = line.strip_suffix('\\') {
            buildup = Some((start, stripped.to_owned()));
            continue;
        }
        if !line.is_empty() {
            out.push((start, line));
        }
    }
    if let Some((start, line)) = buildup {
        if !line.trim().is_empty() {
            out.push((start, line.trim().to_owned()));
        }
    }
    out
}

/// distutils' `convert_path`, which is `pathlib.PurePath` on POSIX: empty
/// and `.` components dropped, so `tests/` is `tests` and `a//./b` is `a/b`.
/// An absolute path is refused: nothing outside the project ships.
fn convert_path(p: &str) -> Result<String> {
    if p.starts_with('/') {
        bail!("path '{p}' is absolute; MANIFEST.in paths are relative to the project");
    }
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

pub fn parse_directive(line: &str) -> Result<Directive> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let action = words[0];
    let rest: Vec<String> = words[1..].iter().map(|w| (*w).to_owned()).collect();
    let need = |n: usize, usage: &str| -> Result<()> {
        if rest.len() < n {
            bail!("'{action}' expects {usage}");
        }
        Ok(())
    };
    let converted =
        |ws: &[String]| -> Result<Vec<String>> { ws.iter().map(|w| convert_path(w)).collect() };
    Ok(match action {
        "include" | "exclude" | "global-include" | "global-exclude" => {
            need(1, "<pattern1> <pattern2> ...")?;
            let pats = converted(&rest)?;
            match action {
                "include" => Directive::Include(pats),
                "exclude" => Directive::Exclude(pats),
                "global-include" => Directive::GlobalInclude(pats),
                _ => Directive::GlobalExclude(pats),
            }
        }
        "recursive-include" | "recursive-exclude" => {
            need(2, "<dir> <pattern1> <pattern2> ...")?;
            let dir = convert_path(&rest[0])?;
            let pats = converted(&rest[1..])?;
            if action == "recursive-include" {
                Directive::RecursiveInclude(dir, pats)
            } else {
                Directive::RecursiveExclude(dir, pats)
            }
        }
        "graft" | "prune" => {
            if rest.len() != 1 {
                bail!("'{action}' expects a single <dir_pattern>");
            }
            let dir = convert_path(&rest[0])?;
            if action == "graft" {
                Directive::Graft(dir)
            } else {
                Directive::Prune(dir)
            }
        }
        other => bail!(
            "unknown action '{other}' (supported: include, exclude, recursive-include, recursive-exclude, global-include, global-exclude, graft, prune)"
        ),
    })
}

/// Apply MANIFEST.in to the file list, as setuptools' `FileList` does.
/// Returns the lines skipped: a malformed line (a word missing, an unknown
/// action, an absolute path) is skipped with a warning, as setuptools does.
fn apply_manifest_template(tree: &Tree, text: &str, list: &mut Vec<String>) -> Result<Vec<String>> {
    let mut allfiles: Option<Vec<String>> = None;
    let mut skipped = Vec::new();
    for (lineno, line) in manifest_lines(text) {
        let directive = match parse_directive(&line) {
            Ok(d) => d,
            Err(err) => {
                skipped.push(format!(
                    "line {lineno}: {err}; the line is skipped (as setuptools does)"
                ));
                continue;
            }
        };
        let files_only = |hits: Vec<String>| -> Result<Vec<String>> {
            let mut out = Vec::new();
            for h in hits {
                if tree.is_file(&norm(&h)?) {
                    out.push(h);
                }
            }
            Ok(out)
        };
        match directive {
            Directive::Include(pats) => {
                for p in pats {
                    list.extend(files_only(setuptools_glob(tree, &p, false)?)?);
                }
            }
            Directive::Exclude(pats) => {
                for p in pats {
                    let m = PathPattern::new(&p);
                    list.retain(|f| !m.matches(f));
                }
            }
            Directive::RecursiveInclude(dir, pats) => {
                for p in pats {
                    let full = pjoin(&pjoin(&dir, "**"), &p);
                    list.extend(files_only(setuptools_glob(tree, &full, true)?)?);
                }
            }
            Directive::RecursiveExclude(dir, pats) => {
                for p in pats {
                    let m = PathPattern::new(&pjoin(&pjoin(&dir, "**"), &p));
                    list.retain(|f| !m.matches(f));
                }
            }
            Directive::Graft(dir) => {
                for d in setuptools_glob(tree, &dir, false)? {
                    list.extend(findall(tree, &d)?);
                }
            }
            Directive::Prune(dir) => {
                let m = PathPattern::new(&pjoin(&dir, "**"));
                list.retain(|f| !m.matches(f));
            }
            Directive::GlobalInclude(pats) => {
                if allfiles.is_none() {
                    allfiles = Some(findall(tree, ".")?);
                }
                let all = allfiles.as_deref().unwrap_or_default();
                for p in pats {
                    let m = PathPattern::new(&pjoin("**", &p));
                    list.extend(all.iter().filter(|f| m.matches(f)).cloned());
                }
            }
            Directive::GlobalExclude(pats) => {
                for p in pats {
                    let m = PathPattern::new(&pjoin("**", &p));
                    list.retain(|f| !m.matches(f));
                }
            }
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::super::pyproject::{Find, Setuptools};
    use super::*;

    fn project(st: Setuptools) -> Project {
        Project::sample(st)
    }

    fn find(where_: &[&str], include: &[&str], exclude: &[&str], namespaces: bool) -> Setuptools {
        Setuptools {
            packages: Packages::Find(Find {
                where_: where_.iter().map(|s| (*s).to_owned()).collect(),
                include: include.iter().map(|s| (*s).to_owned()).collect(),
                exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
                namespaces,
            }),
            py_modules: vec![],
            package_dir: vec![],
            package_data: vec![],
            exclude_package_data: vec![],
            include_package_data: true,
            platforms: vec![],
            zip_safe: None,
        }
    }

    #[test]
    fn find_with_namespaces_sees_every_folder() {
        let tree = Tree::from_paths(&[
            "invokeai/__init__.py",
            "invokeai/web/__init__.py",
            "invokeai/web/dist/index.html",
            "invokeai/web/dist/assets/a.js",
            "tests/test_x.py",
        ]);
        let p = project(find(&["."], &["invokeai", "invokeai.*"], &[], true));
        let l = layout(&p, &tree).unwrap();
        assert_eq!(
            l.packages,
            [
                "invokeai",
                "invokeai.web",
                "invokeai.web.dist",
                "invokeai.web.dist.assets"
            ]
        );
        assert!(l.package_dir.is_empty());
        let p = project(find(&["."], &["invokeai", "invokeai.*"], &[], false));
        assert_eq!(
            layout(&p, &tree).unwrap().packages,
            ["invokeai", "invokeai.web"]
        );
    }

    #[test]
    fn find_in_src_fills_package_dir_and_honours_exclude() {
        let tree = Tree::from_paths(&[
            "src/acme/__init__.py",
            "src/acme/core.py",
            "src/acme/tests/__init__.py",
            "src/acme/tests/test_core.py",
            "src/other/__init__.py",
        ]);
        let p = project(find(&["src"], &["acme*"], &["acme.tests*"], false));
        let l = layout(&p, &tree).unwrap();
        assert_eq!(l.packages, ["acme"]);
        assert_eq!(l.package_dir, [(String::new(), "src".to_owned())]);
        let s = select(&p, &tree, &l, "acme-1.0", None, None).unwrap();
        assert_eq!(
            s.wheel.keys().collect::<Vec<_>>(),
            ["acme/__init__.py", "acme/core.py"]
        );
        assert_eq!(s.wheel["acme/core.py"], "src/acme/core.py");
    }

    /// The wheel is built from the sdist: a package folder none of whose
    /// files ship does not exist there, and setuptools leaves it out of
    /// top_level.txt (an empty line when nothing is left).
    #[test]
    fn top_level_leaves_out_package_folders_with_no_shipped_file() {
        let tree = Tree::from_paths(&["acme/__init__.py", "stray/notes.txt", "nested/deep/x.txt"]);
        let p = project(find(&["."], &["*"], &[], true));
        let l = layout(&p, &tree).unwrap();
        assert_eq!(l.packages, ["acme", "nested", "nested.deep", "stray"]);
        let s = select(&p, &tree, &l, "demo-1.0", None, None).unwrap();
        assert_eq!(s.top_level, ["acme"]);
        let tree = Tree::from_paths(&["stray/notes.txt"]);
        let l = layout(&p, &tree).unwrap();
        let s = select(&p, &tree, &l, "demo-1.0", None, None).unwrap();
        assert!(s.top_level.is_empty());
        assert_eq!(super::super::metadata::top_level_file(&s.top_level), "\n");
        // A file that ships under a sub-package keeps the parent's name.
        let tree = Tree::from_paths(&["outer/inner/__init__.py"]);
        let l = layout(&p, &tree).unwrap();
        let s = select(&p, &tree, &l, "demo-1.0", None, None).unwrap();
        assert_eq!(s.top_level, ["outer"]);
    }

    #[test]
    fn package_data_globs_and_manifest_data() {
        let tree = Tree::from_paths(&[
            "pkg/__init__.py",
            "pkg/py.typed",
            "pkg/stubs.pyi",
            "pkg/web/dist/index.html",
            "pkg/web/dist/.hidden",
            "pkg/web/dist/assets/a.js",
            "pkg/notes.txt",
            "pkg/sub/extra.py",
            "MANIFEST.in",
            "pyproject.toml",
            "README.md",
            "LICENSE",
            "tests/test_a.py",
            "tests/helper.py",
        ]);
        let mut st = find(&["."], &["pkg"], &[], true);
        st.package_data = vec![(
            "pkg".into(),
            vec!["web/dist/**".into(), "missing/*.bin".into()],
        )];
        let p = project(st);
        let l = layout(&p, &tree).unwrap();
        assert_eq!(l.packages, ["pkg"]);
        let s = select(
            &p,
            &tree,
            &l,
            "demo-1.0",
            Some("recursive-include tests *.py\nexclude tests/helper.py\n"),
            None,
        )
        .unwrap();
        assert_eq!(
            s.wheel.keys().collect::<Vec<_>>(),
            [
                "pkg/__init__.py",
                "pkg/py.typed",
                "pkg/stubs.pyi",
                "pkg/web/dist/assets/a.js",
                "pkg/web/dist/index.html",
            ]
        );
        assert_eq!(
            s.sdist,
            [
                "LICENSE",
                "MANIFEST.in",
                "README.md",
                "pkg/__init__.py",
                "pkg/py.typed",
                "pkg/stubs.pyi",
                "pkg/web/dist/assets/a.js",
                "pkg/web/dist/index.html",
                "pyproject.toml",
                "tests/test_a.py",
            ]
        );
        assert_eq!(s.license_files, ["LICENSE"]);
        assert_eq!(s.top_level, ["pkg"]);
        assert_eq!(
            s.warnings,
            ["the package-data pattern \"missing/*.bin\" of pkg matches no file in pkg"]
        );
    }

    #[test]
    fn manifest_template_directives() {
        let tree = Tree::from_paths(&[
            "pkg/__init__.py",
            "pkg/data/a.txt",
            "pkg/data/b.dat",
            "docs/index.rst",
            "docs/.nojekyll",
            "docs/build/out.html",
            "notes.txt",
            "scripts/x.txt",
            "pyproject.toml",
        ]);
        let mut list = vec!["pyproject.toml".to_owned()];
        let text = "# comment\ninclude *.txt\ngraft docs\nprune docs/build\nrecursive-include pkg *.txt \\\n  *.dat\nrecursive-exclude pkg *.dat\nglobal-include x.txt\nglobal-exclude notes.*\n";
        apply_manifest_template(&tree, text, &mut list).unwrap();
        list.sort();
        assert_eq!(
            list,
            [
                "docs/.nojekyll",
                "docs/index.rst",
                "pkg/data/a.txt",
                "pyproject.toml",
                "scripts/x.txt",
            ]
        );
        // Malformed lines are skipped with a warning, as setuptools does.
        let before = list.clone();
        let skipped = apply_manifest_template(
            &tree,
            "frobnicate x\nrecursive-exclude docs/\nrecursive-include pkg\ninclude /etc/passwd\n",
            &mut list,
        )
        .unwrap();
        assert_eq!(list, before);
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(
            skipped[0].contains("unknown action 'frobnicate'"),
            "{skipped:?}"
        );
        assert!(
            skipped[1].starts_with("line 2: 'recursive-exclude' expects"),
            "{skipped:?}"
        );
    }

    #[test]
    fn manifest_lines_are_textfile_lines() {
        let lines = manifest_lines("  include a \\\n   b  # c\n\n# x\ninclude \\#d\n");
        assert_eq!(lines, [(1, "include a b".into()), (5, "include #d".into())]);
    }

    #[test]
    fn manifest_maps_data_to_the_innermost_package() {
        let pkg_dirs = vec![
            ("a".to_owned(), "src/a".to_owned()),
            ("a.b".to_owned(), "src/a/b".to_owned()),
        ];
        let manifest = vec![
            "src/a/x.txt".to_owned(),
            "src/a/mod.py".to_owned(),
            "src/a/b/data/y.txt".to_owned(),
            "src/a/b/data/z.py".to_owned(),
            "other/q.txt".to_owned(),
        ];
        let m = analyze_manifest(&pkg_dirs, &manifest);
        assert_eq!(m["a"], ["src/a/x.txt"]);
        assert_eq!(m["a.b"], ["src/a/b/data/y.txt", "src/a/b/data/z.py"]);
    }

    #[test]
    fn package_dir_resolution() {
        let pd = vec![
            ("".to_owned(), "lib".to_owned()),
            ("x.y".to_owned(), "elsewhere/y".to_owned()),
        ];
        assert_eq!(package_dir_of(&pd, "a.b"), "lib/a/b");
        assert_eq!(package_dir_of(&pd, "x.y.z"), "elsewhere/y/z");
        assert_eq!(package_dir_of(&[], "a.b"), "a/b");
        assert_eq!(
            remove_nested(&["a".into(), "a.b".into(), "c.d".into(), "c.d.e".into()]),
            ["a", "c.d"]
        );
    }
}
