//! `cargo xtask dist`: the PyPI sdist and wheel, written natively from the
//! project's own pyproject.toml, byte-for-byte reproducible, with the content
//! setuptools 84 would give them.
//!
//! The steps: read and validate pyproject.toml ([`pyproject`], one reader
//! per table, into the types of [`project`]; setup.py, setup.cfg and
//! `[tool.distutils]` in [`legacy`], whose setup.cfg reading is an overlay
//! pyproject applies; files read through [`textfile`], build requirements
//! judged by [`build_requires`]); walk the
//! project once ([`tree`]); choose the files as setuptools does ([`files`],
//! with [`pyglob`] for its pattern languages); plan the two archives
//! ([`plan`], with the dist-info text of [`metadata`]); carry the plan out
//! ([`exec`]: one loop feeds each archive's members to a writer of
//! [`crate::archive`], the wheel's through [`record`], which appends RECORD).
//! Only the last step touches the output folder.

mod attrexec;
mod build_requires;
mod compare;
mod exec;
mod files;
mod legacy;
mod license;
mod metadata;
#[cfg(test)]
mod metadata_prop;
pub mod names;
pub mod pep440;
pub mod pep508;
mod plan;
mod project;
mod pyattr;
mod pyglob;
pub mod pyproject;
mod record;
mod reqs;
pub(crate) mod textfile;
mod tree;

use std::time::Instant;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

pub use exec::Artifact;

use crate::archive;
use crate::flags;
use crate::paths::Layout;

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistOptions {
    pub sdist: bool,
    pub wheel: bool,
    /// Print the archives' members instead of writing them.
    pub list: bool,
    /// Progress lines on stderr.
    pub verbose: bool,
    /// Build requirements a maintainer vouches for (`--allow-build-requires`).
    pub allow_build_requires: Vec<String>,
}

impl Default for DistOptions {
    fn default() -> Self {
        Self {
            sdist: true,
            wheel: true,
            list: false,
            verbose: false,
            allow_build_requires: Vec::new(),
        }
    }
}

/// Where the fixed timestamp came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    SourceDateEpoch,
    LastCommit,
    /// Neither was available: 1980-01-01, the earliest time a zip can hold.
    Default(String),
}

/// The resolved timestamp of every archive member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the epoch, clamped to >= 1980-01-01.
    pub secs: u64,
    pub source: TimeSource,
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, mo, d, h, mi, s) = archive::civil(self.secs);
        write!(
            f,
            "{} ({y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z) ",
            self.secs
        )?;
        match &self.source {
            TimeSource::SourceDateEpoch => f.write_str("from SOURCE_DATE_EPOCH"),
            TimeSource::LastCommit => f.write_str("from the last commit (git log -1)"),
            TimeSource::Default(why) => write!(
                f,
                "by default, the zip epoch 1980-01-01 ({why}; set SOURCE_DATE_EPOCH to choose)"
            ),
        }
    }
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The name as written in pyproject.toml.
    pub name: String,
    /// The normalised (PEP 440) version.
    pub version: String,
    pub timestamp: Timestamp,
    pub sdist: Option<Artifact>,
    pub wheel: Option<Artifact>,
    /// Remarks on the configuration (printed when verbose).
    pub warnings: Vec<String>,
}

/// Resolve the member timestamp: `source_date_epoch` (the value of
/// SOURCE_DATE_EPOCH, which the command layer reads), else the last commit of
/// the project's repository, else 1980-01-01.
pub fn timestamp(project: &Utf8Path, source_date_epoch: Option<&str>) -> Result<Timestamp> {
    if let Some(raw) = source_date_epoch {
        let secs: u64 = raw.trim().parse().with_context(|| {
            format!("SOURCE_DATE_EPOCH={raw:?} is not a whole number of seconds since 1970")
        })?;
        return Ok(Timestamp {
            secs: secs.max(archive::ZIP_EPOCH),
            source: TimeSource::SourceDateEpoch,
        });
    }
    let sh = Shell::new().context("cannot start a shell")?;
    let last = cmd!(sh, "git -C {project} log -1 --format=%ct")
        .quiet()
        .ignore_stderr()
        .read();
    match last.map(|s| s.trim().parse::<u64>()) {
        Ok(Ok(secs)) => Ok(Timestamp {
            secs: secs.max(archive::ZIP_EPOCH),
            source: TimeSource::LastCommit,
        }),
        _ => Ok(Timestamp {
            secs: archive::ZIP_EPOCH,
            source: TimeSource::Default(format!(
                "{project} is not in a git repository with a commit"
            )),
        }),
    }
}

/// Absolute, UTF-8 form of a path given on the command line.
fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    let abs = std::path::absolute(path).with_context(|| format!("cannot resolve {path}"))?;
    Utf8PathBuf::from_path_buf(abs)
        .map_err(|p| anyhow::anyhow!("{} is not a UTF-8 path", p.display()))
}

/// Read the project and resolve its layout and version (no archive yet).
struct Prepared {
    project: pyproject::Project,
    tree: tree::Tree,
    layout: files::Layout,
    version: String,
    version_from: String,
}

fn prepare(project_dir: &Utf8Path, skip: &[Utf8PathBuf], allow: &[String]) -> Result<Prepared> {
    let project = pyproject::load_allowing(project_dir, allow)?;
    let tree = tree::Tree::walk(project_dir, skip)?;
    let layout = files::layout(&project, &tree)
        .with_context(|| format!("cannot find the packages of {project_dir}"))?;
    let (version, version_from) = resolve_version(&project, &tree, &layout)?;
    Ok(Prepared {
        project,
        tree,
        layout,
        version,
        version_from,
    })
}

/// What setuptools does when an attr's value is not a literal: execute the
/// module ([`attrexec`]). Returns the value and the file.
fn evaluate_attr(
    project: &pyproject::Project,
    finder: &pyattr::ModuleFinder<'_>,
    attr: &str,
) -> Result<(String, String)> {
    let (module, name) = attr.rsplit_once('.').unwrap_or(("__init__", attr));
    let file = pyattr::module_file(finder, module)
        .with_context(|| format!("module `{module}` not found"))?;
    let python = project_python();
    eprintln!(
        "dist: {attr} is computed: executing {file} with {python} to read it, as setuptools does"
    );
    let value = attrexec::evaluate(&python, &project.root, module, &file, name)?;
    Ok((value, file))
}

/// The Python that executes project code when setuptools would:
/// $XTASK_PYTHON, else this checkout's dev venv, else `python3`.
fn project_python() -> String {
    if let Ok(python) = std::env::var("XTASK_PYTHON") {
        return python;
    }
    let venv = Layout::new().venv_bin("python");
    if venv.is_file() {
        return venv.to_string();
    }
    "python3".to_owned()
}

fn resolve_version(
    project: &pyproject::Project,
    tree: &tree::Tree,
    layout: &files::Layout,
) -> Result<(String, String)> {
    let pyproject = project.root.join("pyproject.toml");
    match &project.version {
        pyproject::VersionSource::Static(v) => Ok((v.clone(), "project.version".to_owned())),
        pyproject::VersionSource::Attr(attr, written_at) => {
            let read = |rel: &str| -> Option<String> {
                let info = tree.file(rel)?;
                String::from_utf8(pyproject::read_regular(&info.source).ok()?).ok()
            };
            let finder = pyattr::ModuleFinder {
                package_dir: &layout.package_dir,
                read: &read,
            };
            let (raw, file) = match pyattr::read_attr(&finder, attr) {
                Ok(found) => found,
                // setuptools then executes the module: so do we.
                Err(why) if why.contains("is not a literal") => {
                    evaluate_attr(project, &finder, attr).map_err(|e| {
                        anyhow::anyhow!("{written_at}: dynamic version attr {attr:?}: {why}; and executing the module as setuptools does failed: {e}")
                    })?
                }
                Err(e) => {
                    bail!("{written_at}: dynamic version attr {attr:?} not found: {e}")
                }
            };
            let v = pyproject::normalize_version(&raw).map_err(|e| {
                anyhow::anyhow!("{}: {e} (from attr {attr:?})", project.root.join(&file))
            })?;
            Ok((v, format!("{file}, via attr {attr}")))
        }
        pyproject::VersionSource::File(paths) => {
            let mut parts = Vec::new();
            for p in paths {
                parts.push(
                    pyproject::read_text(&project.root, p)
                        .map_err(|e| anyhow::anyhow!("{pyproject}: dynamic version file: {e}"))?,
                );
            }
            let raw = parts.join("\n");
            let v = pyproject::normalize_version(&raw)
                .map_err(|e| anyhow::anyhow!("{}: {e}", project.root.join(paths.join(", "))))?;
            Ok((v, paths.join(", ")))
        }
    }
}

/// Choose the files (MANIFEST.in read here, so the selection stays pure).
fn select(project_dir: &Utf8Path, prepared: &Prepared) -> Result<files::Selection> {
    let p = &prepared.project;
    let fullname = names::stem(&p.canonical_name, &prepared.version);
    // One the walk set aside (a FIFO, a link out of the project) is read
    // here too, to be refused by name, as setuptools would read it.
    let manifest_in = if prepared.tree.file("MANIFEST.in").is_some()
        || project_dir.join("MANIFEST.in").exists()
    {
        Some(pyproject::read_text(project_dir, "MANIFEST.in").map_err(|e| anyhow::anyhow!(e))?)
    } else {
        None
    };
    // An earlier build's egg-info (an unpacked sdist has one) lives in
    // package-dir's "" folder, named after the project.
    let egg_base = prepared
        .layout
        .package_dir
        .iter()
        .find(|(k, _)| k.is_empty())
        .map_or(".", |(_, v)| v.as_str());
    let sources = project_dir
        .join(egg_base)
        .join(format!("{}.egg-info", names::escape(&p.name)))
        .join("SOURCES.txt");
    let previous_sources = match sources.symlink_metadata() {
        Ok(meta) if meta.is_file() => Some(
            String::from_utf8(pyproject::read_regular(&sources).map_err(|e| anyhow::anyhow!(e))?)
                .map_err(|_| anyhow::anyhow!("{sources} is not UTF-8 text"))?,
        ),
        _ => None,
    };
    files::select(
        p,
        &prepared.tree,
        &prepared.layout,
        &fullname,
        manifest_in.as_deref(),
        previous_sources.as_deref(),
    )
    .with_context(|| format!("cannot choose the files of {project_dir}"))
}

/// The project files (relative paths) the wheel and the sdist would hold.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Files outside `.dist-info`, then the license files.
    pub wheel: Vec<String>,
    pub sdist: Vec<String>,
}

/// Which project files a build would ship, without building.
pub fn sources(project_dir: &Utf8Path) -> Result<Sources> {
    let project_dir = absolute(project_dir)?;
    let prepared = prepare(&project_dir, &[], &[])?;
    let selection = select(&project_dir, &prepared)?;
    let mut wheel: Vec<String> = selection.wheel.values().cloned().collect();
    wheel.extend(selection.license_files.iter().cloned());
    Ok(Sources {
        wheel,
        sdist: selection.sdist,
    })
}

/// SOURCE_DATE_EPOCH from the environment, if set.
pub fn source_date_epoch() -> Option<String> {
    std::env::var("SOURCE_DATE_EPOCH").ok()
}

/// Build the sdist and/or wheel of `project_dir` into `out_dir`, every member
/// stamped with `ts` (see [`timestamp`]).
pub fn build(
    project_dir: &Utf8Path,
    out_dir: &Utf8Path,
    opts: &DistOptions,
    ts: Timestamp,
) -> Result<Built> {
    let started = Instant::now();
    let project_dir = absolute(project_dir)?;
    let out_dir = absolute(out_dir)?;
    if out_dir == project_dir {
        bail!("--out {out_dir} is the project folder itself; choose another folder");
    }
    // An output folder inside the project (`dist/`, as `python -m build`
    // uses) never ships its own contents; but one inside what is packaged
    // (a package folder) would silently drop the code there: refused.
    let inside = out_dir
        .strip_prefix(&project_dir)
        .ok()
        .map(Utf8Path::to_path_buf);
    if let Some(rel) = &inside {
        let whole = prepare(&project_dir, &[], &opts.allow_build_requires)?;
        let selection = select(&project_dir, &whole)?;
        let shipped = selection
            .wheel
            .values()
            .chain(&selection.sdist)
            .find(|file| Utf8Path::new(file).starts_with(rel));
        if let Some(file) = shipped {
            bail!(
                "--out {out_dir} is inside what is packaged ({file} would ship from it); choose a folder outside the packages, e.g. {}",
                project_dir.join("dist")
            );
        }
    }
    let skip: Vec<Utf8PathBuf> = inside.into_iter().collect();
    let prepared = prepare(&project_dir, &skip, &opts.allow_build_requires)?;
    let p = &prepared.project;
    let selection = select(&project_dir, &prepared)?;
    let plan = plan::plan(p, &selection, &prepared.version, &prepared.tree, ts.secs)?;
    let progress = Progress::new(opts.verbose);
    progress.line(&format!(
        "{} {} (version from {})",
        p.name, prepared.version, prepared.version_from
    ));
    progress.line(&format!("timestamp {ts}"));
    for name in &p.vouched_build_requires {
        // Said whatever the verbosity: the build rests on the maintainer's word.
        eprintln!(
            "dist: build requirement {name} accepted because --allow-build-requires vouched for it"
        );
    }
    let warnings: Vec<String> = p
        .warnings
        .iter()
        .chain(&selection.warnings)
        .cloned()
        .collect();
    for w in &warnings {
        progress.line(&format!("warning: {w}"));
    }
    let (sdist, wheel) = if opts.list {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        exec::list(&plan, opts.sdist, opts.wheel, &mut lock)?;
        (None, None)
    } else {
        exec::execute(&plan, &out_dir, opts.sdist, opts.wheel)?
    };
    progress.line(&format!(
        "{} wheel and {} sdist members in {:.0?}",
        plan.wheel.entries.len() + 1,
        plan.sdist.entries.len(),
        started.elapsed()
    ));
    Ok(Built {
        name: p.name.clone(),
        version: prepared.version.clone(),
        timestamp: ts,
        sdist,
        wheel,
        warnings,
    })
}

/// Progress on stderr, as plain lines (no colour, so NO_COLOR and CI need
/// nothing special).
struct Progress {
    on: bool,
}

impl Progress {
    fn new(on: bool) -> Self {
        Self { on }
    }

    fn line(&self, text: &str) {
        if self.on {
            eprintln!("dist: {text}");
        }
    }
}

impl flags::Dist {
    pub fn run(self, _sh: &Shell) -> Result<std::process::ExitCode> {
        let layout = Layout::new();
        if self.compare {
            let project = self.project.clone().unwrap_or_else(|| layout.python());
            return run_compare(&layout, &project, &self);
        }
        let project = self.project.unwrap_or_else(|| layout.python());
        let out = self.out.unwrap_or_else(|| layout.dist());
        let both = !self.sdist && !self.wheel;
        let opts = DistOptions {
            sdist: both || self.sdist,
            wheel: both || self.wheel,
            list: self.list,
            verbose: true,
            allow_build_requires: self.allow_build_requires.clone(),
        };
        let ts = timestamp(&project, source_date_epoch().as_deref())?;
        let built = build(&project, &out, &opts, ts)?;
        for (kind, artifact) in [("sdist", &built.sdist), ("wheel", &built.wheel)] {
            if let Some(a) = artifact {
                println!("{kind} {} sha256:{} {} bytes", a.path, a.sha256, a.size);
            }
        }
        Ok(std::process::ExitCode::SUCCESS)
    }
}

/// `dist --compare`: both builds into target/xtask/dist-compare/<folder>/
/// (one folder per project folder name, so that projects can be compared
/// side by side), the differences printed; exit 1 when something differs
/// that is not named as deliberate.
fn run_compare(
    layout: &Layout,
    project: &Utf8Path,
    args: &flags::Dist,
) -> Result<std::process::ExitCode> {
    let project = absolute(project)?;
    let work = layout
        .xtask_target()
        .join("dist-compare")
        .join(project.file_name().unwrap_or("project"));
    let _ = std::fs::remove_dir_all(&work);
    let (ours_out, ref_out) = (work.join("ours"), work.join("setuptools"));
    // One timestamp for both, so that nothing differs by the clock.
    let epoch = source_date_epoch().unwrap_or_else(|| "1700000000".to_owned());
    let ts = timestamp(&project, Some(&epoch))?;
    let opts = DistOptions {
        verbose: true,
        allow_build_requires: args.allow_build_requires.clone(),
        ..DistOptions::default()
    };
    build(&project, &ours_out, &opts, ts)?;
    let python = match &args.python {
        Some(p) => p.clone(),
        None => layout.venv_bin("python"),
    };
    compare::build_reference(
        &python,
        &project,
        &work,
        &ref_out,
        std::slice::from_ref(&work),
        &epoch,
    )?;
    let ours = compare::read_built(&ours_out)?;
    let theirs = compare::read_built(&ref_out)?;
    let lines = compare::compare(&ours, &theirs, project.join("setup.cfg").is_file());
    println!("dist --compare: {project} (ours, then setuptools via {python})");
    for line in &lines {
        println!("{}", line.render());
    }
    let differs = lines
        .iter()
        .filter(|l| matches!(l, compare::Line::Differs(_)))
        .count();
    if differs == 0 {
        println!("dist --compare: the same, but for the deliberate differences named above");
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        println!("dist --compare: {differs} difference(s); artifacts kept in {work}");
        Ok(std::process::ExitCode::FAILURE)
    }
}
