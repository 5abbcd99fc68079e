//! `cargo xtask build-installer`: one command from a commit to every release
//! artifact.
//!
//! Steps: the UI (skipped when its inputs are unchanged), the sdist and wheel
//! (the native dist builder), the installer folder, its zip, the checksum
//! files. Everything is written under a temporary folder; only when every step
//! succeeded are the artifacts moved into the output folder, so a failure
//! leaves the previous artifacts as they were and no partial new ones.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use super::checksums::{self, Artifact, Commit, Kind, MANIFEST, Manifest, SHA256SUMS, StampSource};
use super::frontend_cache::{self, Decision, Record};
use super::staging::{self, BUNDLE, Staged};
use super::tree::{self, Change};
use crate::archive::atomic::set_mode;
use crate::archive::{self as zip_archive, ArchiveWriter, Member, ZipWriter, read};
use crate::flags;
use crate::frontend;
use crate::paths::Layout;
use crate::pydist::{self as dist, DistOptions, Timestamp};
use crate::release::github_output::{Resolved, append_outputs, env_var};
use crate::release::identity::Identity;
use crate::release::version;
use crate::util::hash::sha256_hex_of;

impl flags::BuildInstaller {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let ci = env_var("CI").is_some();
        let lint = match (self.skip_frontend_checks, ci) {
            (true, _) => Lint::Skip("--skip-frontend-checks"),
            (false, true) => Lint::Skip("CI is set: the check jobs lint the front end"),
            (false, false) => Lint::Run,
        };
        let github_output = Resolved::pick(
            self.github_output.clone(),
            "--github-output",
            env_var("GITHUB_OUTPUT").map(Utf8PathBuf::from),
            "GITHUB_OUTPUT",
        );
        let observed = observe(sh, &layout)?;
        if !observed.changes.is_empty() {
            if !self.allow_dirty {
                bail!(tree::refusal(
                    &layout.root,
                    observed.commit.as_str(),
                    &observed.changes
                ));
            }
            let names: Vec<String> = observed.changes.iter().map(|c| c.to_string()).collect();
            eprintln!(
                "build-installer: warning: building files that differ from commit {} (--allow-dirty; {MANIFEST} records them): {}",
                observed.commit,
                names.join(", ")
            );
        }
        let plan = plan(
            &layout,
            observed,
            Request {
                out: self.out.clone().unwrap_or_else(|| layout.dist()),
                lint,
                rebuild_frontend: self.rebuild_frontend,
                work_id: std::process::id(),
            },
        );
        if self.dry_run {
            print!("{}", plan.describe());
            return Ok(());
        }
        eprintln!("build-installer: {} into {}", layout.root, plan.out);
        let built = execute(sh, &layout, &plan)?;
        print!("{}", built.summary());
        if let Some(target) = github_output {
            let lines = [
                ("INSTALLER_FILENAME", built.installer_name.clone()),
                (
                    "INSTALLER_PATH",
                    plan.out.join(&built.installer_name).to_string(),
                ),
                ("DIST_PATH", plan.out.to_string()),
                ("SBOM_FILENAME", built.sbom_name.clone()),
                ("SBOM_PATH", plan.out.join(&built.sbom_name).to_string()),
            ];
            append_outputs(&target.value, &lines)?;
            eprintln!(
                "build-installer: INSTALLER_FILENAME, INSTALLER_PATH, DIST_PATH, SBOM_FILENAME, SBOM_PATH appended to {} ({})",
                target.value, target.source
            );
        }
        Ok(())
    }
}

/// Whether the front end is linted before it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lint {
    Run,
    Skip(&'static str),
}

/// What is read from the checkout before anything is planned: the release's
/// names, the commit, the files that differ from it and the timestamp every
/// archive member gets.
#[derive(Debug, Clone)]
pub struct Observed {
    pub identity: Identity,
    /// Where the version was read, e.g. `python/invokeai/version/invokeai_version.py:1`.
    pub version_location: String,
    pub commit: Commit,
    /// The files the build reads that differ from `commit` (empty: clean).
    pub changes: Vec<Change>,
    /// The folders the build reads, relative to the checkout.
    pub read: Vec<String>,
    pub timestamp: Timestamp,
}

/// Read the version file, pyproject.toml, HEAD, the checkout's changes and
/// SOURCE_DATE_EPOCH.
pub fn observe(sh: &Shell, layout: &Layout) -> Result<Observed> {
    let (identity, app) = Identity::read(layout)?;
    let root = &layout.root;
    let rev = "HEAD^{commit}";
    let head = cmd!(sh, "git -C {root} rev-parse --verify {rev}")
        .quiet()
        .ignore_stderr()
        .read()
        .map_err(|_| {
            anyhow::anyhow!(
                "{root} has no commit to build: build-installer records the commit in {MANIFEST}; run it in a git checkout with at least one commit"
            )
        })?;
    let commit =
        Commit::parse(head.trim()).with_context(|| format!("git rev-parse HEAD in {root}"))?;
    let read = layout.read_paths();
    let changes = tree::changes(sh, root, &read)?;
    let source_date_epoch = dist::source_date_epoch();
    check_time(sh, root, source_date_epoch.as_deref())?;
    let timestamp = dist::timestamp(&layout.python(), source_date_epoch.as_deref())?;
    Ok(Observed {
        identity,
        version_location: app.location(),
        commit,
        changes,
        read,
        timestamp,
    })
}

/// Refuse a SOURCE_DATE_EPOCH, or else a last commit's time, that a zip
/// member cannot carry (1980 to 2107), rather than clamp it: each archive
/// would date its members differently from the manifest.
fn check_time(sh: &Shell, root: &Utf8Path, source_date_epoch: Option<&str>) -> Result<()> {
    let (what, raw) = match source_date_epoch {
        Some(raw) => (format!("SOURCE_DATE_EPOCH={raw}"), raw.to_owned()),
        None => (
            "the last commit's time (git log -1 --format=%ct)".to_owned(),
            cmd!(sh, "git -C {root} log -1 --format=%ct")
                .quiet()
                .ignore_stderr()
                .read()
                .unwrap_or_default(),
        ),
    };
    // A value that is not a number is the dist builder's to refuse.
    let Ok(secs) = raw.trim().parse::<u64>() else {
        return Ok(());
    };
    zip_archive::check_zip_time(secs).map_err(|why| {
        anyhow::anyhow!(
            "{what}: {why}; every archive member carries this time. Set SOURCE_DATE_EPOCH to a time from {} to {} (seconds since 1970)",
            zip_archive::ZIP_EPOCH,
            zip_archive::ZIP_LATEST
        )
    })
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Request {
    pub out: Utf8PathBuf,
    pub lint: Lint,
    pub rebuild_frontend: bool,
    /// Makes the work folder's name unique (the process id).
    pub work_id: u32,
}

/// One step of the build, with every path and value it reads and writes.
/// The plan is a list of these: `--dry-run` prints it and [`execute`] runs
/// exactly it, matching over each step.
#[derive(Debug, Clone)]
pub enum Step {
    /// Lint (unless skipped) and build the UI in `ui` into `dist` and `sbom`,
    /// unless its inputs are unchanged since its last build (or `rebuild`).
    Frontend {
        ui: Utf8PathBuf,
        dist: Utf8PathBuf,
        sbom: Utf8PathBuf,
        lint: Lint,
        rebuild: bool,
    },
    /// The sdist and wheel of `project`, every member dated `timestamp`.
    Dist {
        project: Utf8PathBuf,
        timestamp: Timestamp,
        sdist: Utf8PathBuf,
        wheel: Utf8PathBuf,
    },
    /// The installer folder from `installer` and the wheel, and the SBOM as
    /// the wheel carries it.
    Stage {
        installer: Utf8PathBuf,
        bundle: Utf8PathBuf,
        sbom: Utf8PathBuf,
    },
    /// The zip of the installer folder, every member dated `mtime`.
    Zip {
        bundle: Utf8PathBuf,
        zip: Utf8PathBuf,
        mtime: u64,
    },
    /// The checksum files of the four artifacts, the manifest naming
    /// `commit` and the files that differ from it.
    Checksums {
        sums: Utf8PathBuf,
        manifest: Utf8PathBuf,
        commit: Commit,
        dirty: Vec<String>,
    },
    /// `files` (the checksum files last) from `work` into `out`; earlier
    /// builds' artifacts there move to `out/stale/`.
    Publish {
        work: Utf8PathBuf,
        out: Utf8PathBuf,
        files: Vec<Utf8PathBuf>,
    },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Frontend { .. } => "frontend",
            Step::Dist { .. } => "dist",
            Step::Stage { .. } => "stage",
            Step::Zip { .. } => "zip",
            Step::Checksums { .. } => "checksums",
            Step::Publish { .. } => "publish",
        }
    }

    /// What the step reads and what it writes, in words (paths relative to `root`).
    pub fn texts(&self, root: &Utf8Path) -> (String, String) {
        let rel = |p: &Utf8Path| version::relative(root, p).to_string();
        let name = |p: &Utf8Path| p.file_name().unwrap_or(p.as_str()).to_owned();
        match self {
            Step::Frontend {
                ui,
                dist,
                sbom,
                lint,
                rebuild,
            } => {
                let how = match (rebuild, lint) {
                    (true, _) => "build the UI (--rebuild-frontend)".to_owned(),
                    (false, Lint::Run) => {
                        "lint, then build the UI unless its inputs are unchanged since its last build"
                            .to_owned()
                    }
                    (false, Lint::Skip(why)) => {
                        format!("build the UI unless its inputs are unchanged (lint skipped: {why})")
                    }
                };
                (
                    format!("{}/ ({how})", rel(ui)),
                    format!("{}/, {}", rel(dist), rel(sbom)),
                )
            }
            Step::Dist {
                project,
                timestamp,
                sdist,
                wheel,
            } => (
                format!("{}/, timestamp {timestamp}", rel(project)),
                format!("{}, {}", name(wheel), name(sdist)),
            ),
            Step::Stage {
                installer,
                bundle,
                sbom,
            } => (
                format!("{}/ and the wheel (its SBOM too)", rel(installer)),
                format!("{}/, {}", name(bundle), name(sbom)),
            ),
            Step::Zip { bundle, zip, .. } => (format!("{}/", name(bundle)), name(zip)),
            Step::Checksums {
                sums,
                manifest,
                commit,
                dirty,
            } => (
                "the four artifacts".to_owned(),
                format!(
                    "{}, {} (commit {commit}{})",
                    name(sums),
                    name(manifest),
                    if dirty.is_empty() { "" } else { ", dirty" }
                ),
            ),
            Step::Publish { work, out, .. } => (
                format!("{}/", rel(work)),
                format!("{out}/ (older builds' artifacts there move to {out}/{STALE}/)"),
            ),
        }
    }

    /// The step as the plan shows it: its number, name, reads and writes.
    pub fn describe(&self, number: usize, root: &Utf8Path) -> String {
        let (reads, writes) = self.texts(root);
        format!(
            "  {number}. {:<9}  {reads}\n     {:<9}  -> {writes}\n",
            self.name(),
            ""
        )
    }
}

/// Everything build-installer will do, decided before anything runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub observed: Observed,
    /// The checkout's root, which the steps' paths are shown relative to.
    pub root: Utf8PathBuf,
    pub out: Utf8PathBuf,
    /// The temporary folder every step writes into; removed at the end.
    pub work: Utf8PathBuf,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
}

/// Decide the steps, with every path and value they use. Pure.
pub fn plan(layout: &Layout, observed: Observed, request: Request) -> Plan {
    let id = &observed.identity;
    let work = layout
        .xtask_target()
        .join(format!("build-installer-{}", request.work_id));
    let pypi = work.join("pypi");
    let (sdist, wheel) = (pypi.join(id.sdist()), pypi.join(id.wheel()));
    let bundle = work.join(BUNDLE);
    let sbom = work.join(id.sbom());
    let zip = work.join(id.installer());
    let (sums, manifest) = (work.join(SHA256SUMS), work.join(MANIFEST));
    let steps = vec![
        Step::Frontend {
            ui: layout.frontend(),
            dist: layout.ui_dist(),
            sbom: layout.ui_sbom(),
            lint: request.lint,
            rebuild: request.rebuild_frontend,
        },
        Step::Dist {
            project: layout.python(),
            timestamp: observed.timestamp.clone(),
            sdist: sdist.clone(),
            wheel: wheel.clone(),
        },
        Step::Stage {
            installer: layout.installer(),
            bundle: bundle.clone(),
            sbom: sbom.clone(),
        },
        Step::Zip {
            bundle,
            zip: zip.clone(),
            mtime: observed.timestamp.secs,
        },
        Step::Checksums {
            sums: sums.clone(),
            manifest: manifest.clone(),
            commit: observed.commit.clone(),
            dirty: observed.changes.iter().map(|c| c.path.clone()).collect(),
        },
        Step::Publish {
            work: work.clone(),
            out: request.out.clone(),
            // The checksum files last: while they are old, they do not vouch for new files.
            files: vec![sdist, wheel, zip, sbom, sums, manifest],
        },
    ];
    Plan {
        observed,
        root: layout.root.clone(),
        out: request.out,
        work,
        steps,
    }
}

impl Plan {
    /// The plan in words, for `--dry-run`.
    pub fn describe(&self) -> String {
        let id = &self.observed.identity;
        let mut text = format!(
            "build-installer: plan (dry run: nothing is written)\n  {} {} (version from {}), tag {}\n  commit {}, timestamp {}\n  work folder {}\n",
            id.project,
            id.version(),
            self.observed.version_location,
            id.tag(),
            self.observed.commit,
            self.observed.timestamp,
            self.work
        );
        text.push_str(&format!(
            "  {}\n",
            tree_state(&self.observed.changes, &self.observed.read)
        ));
        for (n, step) in self.steps.iter().enumerate() {
            text.push_str(&step.describe(n + 1, &self.root));
        }
        text.push_str(&format!("artifacts: {}\n", id.artifacts().join(", ")));
        text
    }
}

/// The checkout's state in one line, for the plan.
fn tree_state(changes: &[Change], read: &[String]) -> String {
    if changes.is_empty() {
        return format!(
            "tree: clean (nothing under {}/ differs from the commit)",
            read.join("/, ")
        );
    }
    let names: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    format!(
        "tree: dirty (--allow-dirty; {MANIFEST} records it): {}",
        names.join(", ")
    )
}

/// What a build produced, for the summary.
#[derive(Debug, Clone)]
pub struct Built {
    pub artifacts: Vec<Artifact>,
    pub installer_name: String,
    /// The SBOM's release asset name.
    pub sbom_name: String,
    pub steps: Vec<StepReport>,
    pub out: Utf8PathBuf,
    /// Older builds' artifacts moved to `{out}/stale/`.
    pub moved_aside: Vec<String>,
}

/// One step as it ran.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub step: &'static str,
    pub took: Duration,
    pub note: String,
}

impl Built {
    /// The table printed at the end: artifacts, then steps with their share of the time.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let width = self
            .artifacts
            .iter()
            .map(|a| a.file.len())
            .max()
            .unwrap_or(8)
            .max(8);
        out.push_str(&format!(
            "\n{:<width$}  {:>10}  sha256\n",
            "artifact", "size"
        ));
        let mut artifacts = self.artifacts.clone();
        artifacts.sort_by(|a, b| a.file.cmp(&b.file));
        for a in &artifacts {
            out.push_str(&format!(
                "{:<width$}  {:>10}  {}\n",
                a.file, a.size, a.sha256
            ));
        }
        let total: Duration = self.steps.iter().map(|s| s.took).sum();
        out.push_str(&format!(
            "\n{:<10}  {:>8}  {:>6}  note\n",
            "step", "time", "share"
        ));
        for report in &self.steps {
            let share = if total.is_zero() {
                0.0
            } else {
                100.0 * report.took.as_secs_f64() / total.as_secs_f64()
            };
            out.push_str(&format!(
                "{:<10}  {:>7.2}s  {share:>5.1}%  {}\n",
                report.step,
                report.took.as_secs_f64(),
                report.note
            ));
        }
        out.push_str(&format!("{:<10}  {:>7.2}s\n", "total", total.as_secs_f64()));
        out.push_str(&format!("\nartifacts in {}\n", self.out));
        if !self.moved_aside.is_empty() {
            out.push_str(&format!(
                "moved to {}/{STALE}/ (artifacts of earlier builds, not shipped): {}\n",
                self.out,
                self.moved_aside.join(", ")
            ));
        }
        out
    }
}

/// A temporary folder removed when dropped (on success and on failure alike).
struct TempDir(Utf8PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs steps in order, timing each and saying how it went.
struct Reporter {
    done: Vec<StepReport>,
}

impl Reporter {
    fn run<T>(
        &mut self,
        step: &'static str,
        body: impl FnOnce() -> Result<(T, String)>,
    ) -> Result<T> {
        let started = Instant::now();
        let (value, note) = body().with_context(|| format!("step `{step}` failed"))?;
        let took = started.elapsed();
        eprintln!(
            "build-installer: {step}: {note} ({:.2}s)",
            took.as_secs_f64()
        );
        self.done.push(StepReport { step, took, note });
        Ok(value)
    }
}

/// What the steps have made so far, for the steps after them.
#[derive(Default)]
struct Made {
    sdist: Option<dist::Artifact>,
    wheel: Option<dist::Artifact>,
    sbom: Option<Vec<u8>>,
    staged: Option<Vec<Staged>>,
    zip: Option<Utf8PathBuf>,
    artifacts: Option<Vec<Artifact>>,
    moved_aside: Vec<String>,
}

/// A value an earlier step of the plan makes.
fn earlier<'a, T>(value: &'a Option<T>, what: &str, step: &Step) -> Result<&'a T> {
    value.as_ref().with_context(|| {
        format!(
            "the plan runs `{}` before any step makes {what}",
            step.name()
        )
    })
}

/// Carry out `plan`, step by step, for the checkout at `layout`.
pub fn execute(sh: &Shell, layout: &Layout, plan: &Plan) -> Result<Built> {
    let work = TempDir(plan.work.clone());
    let _ = std::fs::remove_dir_all(&work.0);
    std::fs::create_dir_all(&work.0)
        .with_context(|| format!("cannot create the build folder {}", work.0))?;
    let mut reporter = Reporter { done: Vec::new() };
    let mut made = Made::default();
    for (n, step) in plan.steps.iter().enumerate() {
        eprint!("{}", step.describe(n + 1, &plan.root));
        reporter.run(step.name(), || {
            Ok(((), run_step(sh, layout, plan, step, &mut made)?))
        })?;
    }
    drop(work);
    let id = &plan.observed.identity;
    Ok(Built {
        artifacts: made.artifacts.unwrap_or_default(),
        installer_name: id.installer(),
        sbom_name: id.sbom(),
        steps: reporter.done,
        out: plan.out.clone(),
        moved_aside: made.moved_aside,
    })
}

/// Run one step; returns the note the summary shows for it.
fn run_step(
    sh: &Shell,
    layout: &Layout,
    plan: &Plan,
    step: &Step,
    made: &mut Made,
) -> Result<String> {
    let id = &plan.observed.identity;
    match step {
        Step::Frontend { lint, rebuild, .. } => frontend_step(sh, layout, *lint, *rebuild),
        Step::Dist {
            project,
            timestamp,
            sdist,
            wheel,
        } => {
            let pypi = wheel.parent().unwrap_or(&plan.work);
            let (built_sdist, built_wheel, note) = dist_step(plan, project, pypi, timestamp)?;
            for (built, planned) in [(&built_sdist.path, sdist), (&built_wheel.path, wheel)] {
                if built != planned {
                    bail!(
                        "the dist builder wrote {built}, but the release gates expect {planned}; the names must come from one place"
                    );
                }
            }
            made.sdist = Some(built_sdist);
            made.wheel = Some(built_wheel);
            Ok(note)
        }
        Step::Stage { bundle, sbom, .. } => {
            let wheel = earlier(&made.wheel, "the wheel", step)?;
            // The SBOM as the wheel carries it: the installer and the release get these bytes.
            let sbom_bytes = sbom_of_wheel(&wheel.path)?;
            let (staged, values) = staging::plan_release(layout, id, &wheel.path, &sbom_bytes)?;
            write_staging(bundle, &staged)?;
            write_file(sbom, &sbom_bytes)?;
            let note = format!(
                "{} files, Python {} to <{}",
                staged.len(),
                values.python_min,
                values.python_max_exclusive
            );
            made.staged = Some(staged);
            made.sbom = Some(sbom_bytes);
            Ok(note)
        }
        Step::Zip { zip, mtime, .. } => {
            write_zip(
                zip,
                earlier(&made.staged, "the installer folder", step)?,
                *mtime,
            )?;
            made.zip = Some(zip.clone());
            Ok(file_name(zip)?.to_owned())
        }
        Step::Checksums {
            sums,
            manifest,
            commit,
            dirty,
        } => {
            let (sdist, wheel) = (
                earlier(&made.sdist, "the sdist", step)?,
                earlier(&made.wheel, "the wheel", step)?,
            );
            let sbom = earlier(&made.sbom, "the SBOM", step)?;
            let zip = earlier(&made.zip, "the installer", step)?;
            let (zip_sha, zip_size) = std::fs::File::open(zip)
                .and_then(sha256_hex_of)
                .with_context(|| format!("cannot read {zip}"))?;
            let artifacts = vec![
                artifact(&sdist.path, Kind::Sdist, &sdist.sha256, sdist.size)?,
                Artifact {
                    file: id.sbom(),
                    kind: Kind::Sbom,
                    size: sbom.len() as u64,
                    sha256: crate::util::hash::sha256_hex(sbom),
                },
                artifact(&wheel.path, Kind::Wheel, &wheel.sha256, wheel.size)?,
                artifact(zip, Kind::Installer, &zip_sha, zip_size)?,
            ];
            let ts = &plan.observed.timestamp;
            let record = Manifest {
                version: id.version().to_string(),
                commit: commit.clone(),
                timestamp: ts.secs,
                timestamp_source: StampSource::of(&ts.source),
                dirty: dirty.clone(),
                artifacts: artifacts.clone(),
            };
            write_file(sums, checksums::sha256sums(&artifacts).as_bytes())?;
            write_file(manifest, record.to_json().as_bytes())?;
            made.artifacts = Some(artifacts);
            Ok(format!("{}, {}", file_name(sums)?, file_name(manifest)?))
        }
        Step::Publish { out, files, .. } => {
            let moves: Vec<(Utf8PathBuf, String)> = files
                .iter()
                .map(|path| Ok((path.clone(), file_name(path)?.to_owned())))
                .collect::<Result<_>>()?;
            let names: Vec<String> = moves.iter().map(|(_, n)| n.clone()).collect();
            let stale = move_aside_stale(out, &names)?;
            publish(out, &moves)?;
            let others = strangers(out, &moves);
            let mut note = format!("moved into {out}");
            if !stale.is_empty() {
                note.push_str(&format!(
                    "; earlier builds' artifacts moved to {STALE}/: {}",
                    stale.join(", ")
                ));
            }
            if !others.is_empty() {
                note.push_str(&format!(
                    "; also there, not from this build (left alone): {}",
                    others.join(", ")
                ));
            }
            made.moved_aside = stale;
            Ok(note)
        }
    }
}

/// The native sdist and wheel of `project` into `into`, checked against the
/// release's version.
fn dist_step(
    plan: &Plan,
    project: &Utf8Path,
    into: &Utf8Path,
    ts: &Timestamp,
) -> Result<(dist::Artifact, dist::Artifact, String)> {
    let id = &plan.observed.identity;
    let dist = dist::build(
        project,
        into,
        &DistOptions {
            verbose: true,
            ..DistOptions::default()
        },
        ts.clone(),
    )
    .with_context(|| format!("cannot build the sdist and wheel of {project}"))?;
    let (Some(sdist), Some(wheel)) = (dist.sdist, dist.wheel) else {
        bail!("the dist builder wrote no sdist or no wheel");
    };
    let built_version = version::parse(&dist.version).map_err(|e| {
        anyhow::anyhow!("the builder's version {} is not PEP 440: {e}", dist.version)
    })?;
    if &built_version != id.version() {
        bail!(
            "{} says {} but the dist builder reads {built_version} from pyproject.toml; make the dynamic version in python/pyproject.toml point at the version file, or fix whichever is wrong",
            plan.observed.version_location,
            id.version()
        );
    }
    let note = format!(
        "{} {} ({})",
        dist.name,
        dist.version,
        StampSource::of(&ts.source).as_str()
    );
    Ok((sdist, wheel, note))
}

/// The folder of `out` where artifacts of earlier builds are moved.
pub const STALE: &str = "stale";

/// Move files of `out` that look like release artifacts but are not among
/// `ours` into `out/stale/`, so that no glob ships them. Returns their names.
fn move_aside_stale(out: &Utf8Path, ours: &[String]) -> Result<Vec<String>> {
    let Ok(entries) = out.read_dir_utf8() else {
        return Ok(Vec::new());
    };
    let mut stale: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_owned())
        .filter(|n| checksums::is_upload_name(n) && !ours.contains(n) && !n.starts_with('.'))
        .collect();
    stale.sort();
    if stale.is_empty() {
        return Ok(stale);
    }
    let aside = out.join(STALE);
    std::fs::create_dir_all(&aside).with_context(|| format!("cannot create {aside}"))?;
    for name in &stale {
        let (from, to) = (out.join(name), aside.join(name));
        if to.exists() {
            bail!(
                "{from} is an earlier build's artifact and {to} exists already; move one of them away by hand"
            );
        }
        std::fs::rename(&from, &to).with_context(|| format!("cannot move {from} to {to}"))?;
    }
    Ok(stale)
}

/// The UI: skipped when its inputs hash as at the last build whose output is intact.
fn frontend_step(sh: &Shell, layout: &Layout, lint: Lint, force: bool) -> Result<String> {
    let record_path = layout.xtask_target().join("frontend-build.stamp");
    let inputs = frontend_cache::hash_inputs(&layout.frontend())?;
    let output = frontend_cache::hash_output(&layout.ui_dist(), &layout.ui_sbom())?;
    let last = std::fs::read_to_string(&record_path)
        .ok()
        .and_then(|t| Record::parse(&t));
    let why = match frontend_cache::decide(last.as_ref(), &inputs, output.as_deref(), force) {
        Decision::Skip => return Ok("UI unchanged since its last build: skipped".to_owned()),
        Decision::Build(why) => why,
    };
    if lint == Lint::Run {
        crate::setup::ensure_parts_at(
            sh,
            layout,
            crate::setup::Parts {
                python: false,
                frontend: true,
            },
        )?;
        let _dir = sh.push_dir(layout.frontend());
        cmd!(sh, "npm run --silent lint")
            .run()
            .context("the front-end checks failed (prettier, eslint, madge, tsc); fix them, or pass --skip-frontend-checks")?;
    }
    // A stale record must not survive a failed build.
    let _ = std::fs::remove_file(&record_path);
    frontend::build_at(sh, layout)?;
    let output =
        frontend_cache::hash_output(&layout.ui_dist(), &layout.ui_sbom())?.with_context(|| {
            format!(
                "the front-end build wrote no {} or no {}",
                layout.ui_dist().join("index.html"),
                layout.ui_sbom()
            )
        })?;
    if let Some(parent) = record_path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
    }
    write_file(&record_path, Record { inputs, output }.render().as_bytes())?;
    Ok(format!("built ({why})"))
}

fn file_name(path: &Utf8Path) -> Result<&str> {
    path.file_name()
        .with_context(|| format!("{path} has no file name"))
}

/// The one SBOM of a wheel's `.dist-info/sboms/`, read back from the wheel.
fn sbom_of_wheel(wheel: &Utf8Path) -> Result<Vec<u8>> {
    let name = file_name(wheel)?;
    let wanted = |m: &str| {
        m.split_once(".dist-info/sboms/")
            .is_some_and(|(_, f)| f == crate::sbom::FILE_NAME)
    };
    let listing = read::zip(
        read::open_regular(wheel)?,
        name,
        read::Limits::RELEASE,
        |m| {
            Ok(if wanted(&m.name) {
                read::Sink::Keep
            } else {
                read::Sink::Hash
            })
        },
    )?;
    let found: Vec<&Vec<u8>> = listing
        .kept
        .iter()
        .filter(|(k, _)| wanted(k))
        .map(|(_, v)| v)
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        _ => bail!(
            "{name} carries no .dist-info/sboms/{}: python/pyproject.toml must keep it in [tool.xtask.dist] sbom-files",
            crate::sbom::FILE_NAME
        ),
    }
}

fn artifact(path: &Utf8Path, kind: Kind, sha256: &str, size: u64) -> Result<Artifact> {
    Ok(Artifact {
        file: file_name(path)?.to_owned(),
        kind,
        size,
        sha256: sha256.to_owned(),
    })
}

fn write_file(path: &Utf8Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {path}"))
}

/// The installer folder on disk, modes set explicitly (whatever the umask).
fn write_staging(dir: &Utf8Path, staged: &[Staged]) -> Result<()> {
    for file in staged {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
        }
        write_file(&path, &file.bytes)?;
        set_mode(&path, file.mode)?;
    }
    Ok(())
}

/// The zip members, all under `InvokeAI-Installer/`, sorted by name. Folders
/// are implied by the names (the writer stores files only, as wheels do).
pub fn zip_members(staged: &[Staged]) -> Vec<(String, u32, &[u8])> {
    let mut members: Vec<(String, u32, &[u8])> = staged
        .iter()
        .map(|f| (format!("{BUNDLE}/{}", f.path), f.mode, f.bytes.as_slice()))
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}

fn write_zip(path: &Utf8Path, staged: &[Staged], mtime: u64) -> Result<()> {
    let members = zip_members(staged);
    let deflated: Vec<zip_archive::Deflated> = members
        .iter()
        .map(|(_, _, data)| zip_archive::deflate(data))
        .collect::<std::io::Result<_>>()
        .context("cannot compress the installer's files")?;
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?;
    let mut writer: Box<dyn ArchiveWriter> =
        Box::new(ZipWriter::new(std::io::BufWriter::new(file), mtime));
    for ((name, mode, data), deflated) in members.iter().zip(&deflated) {
        writer
            .append(&Member {
                name,
                mode: *mode,
                is_dir: false,
                data,
                deflated: Some(deflated),
            })
            .with_context(|| format!("cannot write {name} into {path}"))?;
    }
    writer
        .finish()
        .with_context(|| format!("cannot finish {path}"))
}

/// Move the finished files into `out` (created if needed), each by rename.
fn publish(out: &Utf8Path, moves: &[(Utf8PathBuf, String)]) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {out}"))?;
    for (from, name) in moves {
        let to = out.join(name);
        std::fs::rename(from, &to).with_context(|| format!("cannot move {from} to {to}"))?;
    }
    Ok(())
}

/// Files in `out` this build did not write.
fn strangers(out: &Utf8Path, moves: &[(Utf8PathBuf, String)]) -> Vec<String> {
    let Ok(entries) = out.read_dir_utf8() else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_owned())
        .filter(|n| !moves.iter().any(|(_, m)| m == n) && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_members_are_sorted_under_the_bundle_folder_with_their_modes() {
        let staged = vec![
            Staged {
                path: "lib/main.py".into(),
                mode: 0o644,
                bytes: b"py".to_vec(),
            },
            Staged {
                path: "install.sh".into(),
                mode: 0o755,
                bytes: b"sh".to_vec(),
            },
        ];
        let names: Vec<(String, u32)> = zip_members(&staged)
            .into_iter()
            .map(|(n, m, _)| (n, m))
            .collect();
        assert_eq!(
            names,
            vec![
                ("InvokeAI-Installer/install.sh".into(), 0o755),
                ("InvokeAI-Installer/lib/main.py".into(), 0o644)
            ]
        );
    }

    #[test]
    fn summary_shows_artifacts_and_step_shares() {
        let built = Built {
            artifacts: vec![Artifact {
                file: "a.whl".into(),
                kind: Kind::Wheel,
                size: 12,
                sha256: "ab".repeat(32),
            }],
            installer_name: "z.zip".into(),
            sbom_name: "a-ui.cdx.json".into(),
            steps: vec![
                StepReport {
                    step: "dist",
                    took: Duration::from_millis(300),
                    note: "x".into(),
                },
                StepReport {
                    step: "zip",
                    took: Duration::from_millis(100),
                    note: "y".into(),
                },
            ],
            out: "dist".into(),
            moved_aside: vec!["old.whl".into()],
        };
        let text = built.summary();
        assert!(text.contains("a.whl"), "{text}");
        assert!(text.contains(&"ab".repeat(32)), "{text}");
        assert!(text.contains("75.0%") && text.contains("25.0%"), "{text}");
        assert!(text.contains("not shipped): old.whl"), "{text}");
    }

    fn observed() -> Observed {
        Observed {
            identity: Identity::new("InvokeAI", version::parse("6.10.0RC1").unwrap()),
            version_location: "python/invokeai/version/invokeai_version.py:1".into(),
            commit: Commit::parse(&"ab".repeat(20)).unwrap(),
            changes: Vec::new(),
            read: vec!["python".into(), "frontend".into(), "installer".into()],
            timestamp: Timestamp {
                secs: 1_700_000_000,
                source: crate::pydist::TimeSource::SourceDateEpoch,
            },
        }
    }

    #[test]
    fn the_plan_names_every_step_input_and_output() {
        let layout = Layout::at(Utf8Path::new("/r"));
        let plan = plan(
            &layout,
            observed(),
            Request {
                out: "/r/dist".into(),
                lint: Lint::Skip("--skip-frontend-checks"),
                rebuild_frontend: false,
                work_id: 7,
            },
        );
        assert_eq!(plan.work, "/r/target/xtask/build-installer-7");
        let names: Vec<&str> = plan.steps.iter().map(Step::name).collect();
        assert_eq!(
            names,
            ["frontend", "dist", "stage", "zip", "checksums", "publish"]
        );
        let texts: Vec<(String, String)> = plan.steps.iter().map(|s| s.texts(&plan.root)).collect();
        let (reads, writes) = &texts[1];
        assert!(
            reads.starts_with("python/, timestamp 1700000000"),
            "{reads}"
        );
        assert_eq!(
            writes,
            "invokeai-6.10.0rc1-py3-none-any.whl, invokeai-6.10.0rc1.tar.gz"
        );
        assert_eq!(texts[3].1, "InvokeAI-installer-v6.10.0rc1.zip");
        assert!(texts[0].0.contains("lint skipped: --skip-frontend-checks"));
        // Every path a step uses is in the plan: the work folder for what
        // is made, the output folder for where it goes, checksum files last.
        let Step::Publish { out, files, .. } = &plan.steps[5] else {
            panic!("{:?}", plan.steps[5]);
        };
        assert_eq!(out, "/r/dist");
        let files: Vec<&str> = files.iter().map(|f| f.as_str()).collect();
        assert_eq!(
            files,
            [
                "/r/target/xtask/build-installer-7/pypi/invokeai-6.10.0rc1.tar.gz",
                "/r/target/xtask/build-installer-7/pypi/invokeai-6.10.0rc1-py3-none-any.whl",
                "/r/target/xtask/build-installer-7/InvokeAI-installer-v6.10.0rc1.zip",
                "/r/target/xtask/build-installer-7/invokeai-6.10.0rc1-ui.cdx.json",
                "/r/target/xtask/build-installer-7/SHA256SUMS",
                "/r/target/xtask/build-installer-7/manifest.json",
            ]
        );
        let text = plan.describe();
        assert!(text.contains("dry run: nothing is written"), "{text}");
        assert!(text.contains("tag v6.10.0rc1"), "{text}");
        assert!(
            text.contains(&format!("commit {}", "ab".repeat(20))),
            "{text}"
        );
        assert!(
            text.ends_with("artifacts: InvokeAI-installer-v6.10.0rc1.zip, invokeai-6.10.0rc1-py3-none-any.whl, invokeai-6.10.0rc1-ui.cdx.json, invokeai-6.10.0rc1.tar.gz\n"),
            "{text}"
        );
    }

    #[test]
    fn only_artifact_like_files_move_aside() {
        let dir = tempfile::tempdir().unwrap();
        let out = Utf8Path::from_path(dir.path()).unwrap();
        for name in [
            "old-1.0-py3-none-any.whl",
            "old-1.0.tar.gz",
            "notes.txt",
            "new.whl",
        ] {
            std::fs::write(out.join(name), name).unwrap();
        }
        let moved = move_aside_stale(out, &["new.whl".to_owned()]).unwrap();
        assert_eq!(moved, ["old-1.0-py3-none-any.whl", "old-1.0.tar.gz"]);
        assert!(out.join("stale/old-1.0.tar.gz").is_file());
        assert!(out.join("notes.txt").is_file() && out.join("new.whl").is_file());
        // A second stale file of the same name is not overwritten.
        std::fs::write(out.join("old-1.0.tar.gz"), "again").unwrap();
        let err = move_aside_stale(out, &[]).unwrap_err().to_string();
        assert!(err.contains("exists already"), "{err}");
    }
}
