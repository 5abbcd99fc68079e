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

use super::checksums::{self, Artifact, Kind, Manifest};
use super::frontend_cache::{self, Decision, Record};
use super::staging::{self, BUNDLE, Staged};
use super::templates::{self, ScriptValues};
use crate::check_version::{Resolved, append_outputs, env_var};
use crate::flags;
use crate::paths::Layout;
use crate::pydist::archive::{self as zip_archive, ArchiveWriter, Member, ZipWriter};
use crate::pydist::{self as dist, DistOptions, TimeSource};
use crate::{frontend, version};

/// The file names of the checksum files beside the artifacts.
pub const SHA256SUMS: &str = "SHA256SUMS";
pub const MANIFEST: &str = "manifest.json";

impl flags::BuildInstaller {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let out = self.out.clone().unwrap_or_else(|| layout.dist());
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
        eprintln!("build-installer: {} into {out}", layout.root);
        match lint {
            Lint::Run => eprintln!("build-installer: front-end checks: run before the UI build"),
            Lint::Skip(why) => eprintln!("build-installer: front-end checks: skipped ({why})"),
        }
        let built = build(sh, &layout, &out, lint, self.rebuild_frontend)?;
        print!("{}", built.summary());
        if let Some(target) = github_output {
            let lines = [
                ("INSTALLER_FILENAME", built.installer_name.clone()),
                (
                    "INSTALLER_PATH",
                    out.join(&built.installer_name).to_string(),
                ),
                ("DIST_PATH", out.to_string()),
            ];
            append_outputs(&target.value, &lines)?;
            eprintln!(
                "build-installer: INSTALLER_FILENAME, INSTALLER_PATH, DIST_PATH appended to {} ({})",
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

/// What a build produced, for the summary.
#[derive(Debug, Clone)]
pub struct Built {
    pub artifacts: Vec<Artifact>,
    pub installer_name: String,
    pub steps: Vec<(&'static str, Duration, String)>,
    pub out: Utf8PathBuf,
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
        let total: Duration = self.steps.iter().map(|(_, d, _)| *d).sum();
        out.push_str(&format!(
            "\n{:<10}  {:>8}  {:>6}  note\n",
            "step", "time", "share"
        ));
        for (name, took, note) in &self.steps {
            let share = if total.is_zero() {
                0.0
            } else {
                100.0 * took.as_secs_f64() / total.as_secs_f64()
            };
            out.push_str(&format!(
                "{name:<10}  {:>7.2}s  {share:>5.1}%  {note}\n",
                took.as_secs_f64()
            ));
        }
        out.push_str(&format!("{:<10}  {:>7.2}s\n", "total", total.as_secs_f64()));
        out.push_str(&format!("\nartifacts in {}\n", self.out));
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

/// Run every step for the checkout at `layout`, writing the artifacts into `out`.
pub fn build(
    sh: &Shell,
    layout: &Layout,
    out: &Utf8Path,
    lint: Lint,
    rebuild_frontend: bool,
) -> Result<Built> {
    let work = TempDir(
        layout
            .xtask_target()
            .join(format!("build-installer-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&work.0);
    std::fs::create_dir_all(&work.0)
        .with_context(|| format!("cannot create the build folder {}", work.0))?;
    let mut steps = Vec::new();
    let mut step = |name: &'static str, started: Instant, note: String| {
        eprintln!(
            "build-installer: {name}: {note} ({:.2}s)",
            started.elapsed().as_secs_f64()
        );
        steps.push((name, started.elapsed(), note));
    };

    let t = Instant::now();
    let note =
        frontend_step(sh, layout, lint, rebuild_frontend).context("step `frontend` failed")?;
    step("frontend", t, note);

    let t = Instant::now();
    let pypi = work.0.join("pypi");
    let dist = dist::build(
        &layout.python(),
        &pypi,
        &DistOptions {
            verbose: true,
            ..DistOptions::default()
        },
    )
    .with_context(|| {
        format!(
            "step `dist` failed: cannot build the sdist and wheel of {}",
            layout.python()
        )
    })?;
    let (Some(sdist), Some(wheel)) = (&dist.sdist, &dist.wheel) else {
        bail!("step `dist` failed: the dist builder wrote no sdist or no wheel");
    };
    let app = version::read(layout).context("step `dist` failed")?;
    let built_version = version::parse(&dist.version).map_err(|e| {
        anyhow::anyhow!(
            "step `dist` failed: the builder's version {} is not PEP 440: {e}",
            dist.version
        )
    })?;
    version::ensure_agrees(&app, &built_version).context("step `dist` failed")?;
    step(
        "dist",
        t,
        format!(
            "{} {} ({})",
            dist.name,
            dist.version,
            time_source(&dist.timestamp.source)
        ),
    );

    let t = Instant::now();
    let project = dist::pyproject::load(&layout.python()).context("step `stage` failed")?;
    let (python_min, python_max_exclusive) = templates::python_range(
        project.requires_python.as_deref().unwrap_or(""),
        &project.classifiers,
    )
    .context("step `stage` failed: cannot derive the installer's Python range from python/pyproject.toml")?;
    let wheel_name = file_name(&wheel.path)?;
    let values = ScriptValues {
        version: dist.version.clone(),
        wheel: wheel_name.to_owned(),
        python_min,
        python_max_exclusive,
    };
    let staged =
        staging::plan(&layout.installer(), &wheel.path, &values).context("step `stage` failed")?;
    write_staging(&work.0.join(BUNDLE), &staged).context("step `stage` failed")?;
    step(
        "stage",
        t,
        format!(
            "{} files, Python {} to <{}",
            staged.len(),
            values.python_min,
            values.python_max_exclusive
        ),
    );

    let t = Instant::now();
    let installer_name = version::installer_zip_name(&built_version);
    let zip_path = work.0.join(&installer_name);
    write_zip(&zip_path, &staged, dist.timestamp.secs).context("step `zip` failed")?;
    step("zip", t, installer_name.clone());

    let t = Instant::now();
    let mut artifacts = vec![
        artifact(&sdist.path, Kind::Sdist, &sdist.sha256, sdist.size)?,
        artifact(&wheel.path, Kind::Wheel, &wheel.sha256, wheel.size)?,
    ];
    let zip_bytes = std::fs::read(&zip_path)
        .with_context(|| format!("step `checksums` failed: cannot read {zip_path}"))?;
    artifacts.push(Artifact {
        file: installer_name.clone(),
        kind: Kind::Installer,
        size: zip_bytes.len() as u64,
        sha256: sha256_hex(&zip_bytes),
    });
    let manifest = Manifest {
        version: dist.version.clone(),
        commit: head_commit(sh, layout),
        timestamp: dist.timestamp.secs,
        timestamp_source: time_source(&dist.timestamp.source).to_owned(),
        artifacts: artifacts.clone(),
    };
    write_file(
        &work.0.join(SHA256SUMS),
        checksums::sha256sums(&artifacts).as_bytes(),
    )?;
    write_file(&work.0.join(MANIFEST), manifest.to_json().as_bytes())?;
    step("checksums", t, format!("{SHA256SUMS}, {MANIFEST}"));

    let t = Instant::now();
    let mut moves: Vec<(Utf8PathBuf, String)> = vec![
        (sdist.path.clone(), artifacts[0].file.clone()),
        (wheel.path.clone(), artifacts[1].file.clone()),
        (zip_path, installer_name.clone()),
    ];
    // The checksum files last: while they are old, they do not vouch for new files.
    moves.push((work.0.join(SHA256SUMS), SHA256SUMS.to_owned()));
    moves.push((work.0.join(MANIFEST), MANIFEST.to_owned()));
    publish(out, &moves).context("step `publish` failed")?;
    let others = strangers(out, &moves);
    let note = if others.is_empty() {
        format!("moved into {out}")
    } else {
        format!(
            "moved into {out}; also there, not from this build (left alone): {}",
            others.join(", ")
        )
    };
    step("publish", t, note);
    drop(work);
    Ok(Built {
        artifacts,
        installer_name,
        steps,
        out: out.to_path_buf(),
    })
}

/// The UI: skipped when its inputs hash as at the last build whose output is intact.
fn frontend_step(sh: &Shell, layout: &Layout, lint: Lint, force: bool) -> Result<String> {
    let record_path = layout.xtask_target().join("frontend-build.stamp");
    let inputs = frontend_cache::hash_inputs(&layout.frontend())?;
    let output = frontend_cache::hash_output(&layout.ui_dist())?;
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
    let output = frontend_cache::hash_output(&layout.ui_dist())?.with_context(|| {
        format!(
            "the front-end build wrote no {}",
            layout.ui_dist().join("index.html")
        )
    })?;
    if let Some(parent) = record_path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
    }
    write_file(&record_path, Record { inputs, output }.render().as_bytes())?;
    Ok(format!("built ({why})"))
}

fn time_source(source: &TimeSource) -> &'static str {
    match source {
        TimeSource::SourceDateEpoch => "SOURCE_DATE_EPOCH",
        TimeSource::LastCommit => "commit time",
        TimeSource::Default(_) => "1980-01-01 default",
    }
}

fn head_commit(sh: &Shell, layout: &Layout) -> String {
    let root = &layout.root;
    cmd!(sh, "git -C {root} rev-parse HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn file_name(path: &Utf8Path) -> Result<&str> {
    path.file_name()
        .with_context(|| format!("{path} has no file name"))
}

fn artifact(path: &Utf8Path, kind: Kind, sha256: &str, size: u64) -> Result<Artifact> {
    Ok(Artifact {
        file: file_name(path)?.to_owned(),
        kind,
        size,
        sha256: sha256.to_owned(),
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
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

/// Set a file's mode exactly (whatever the umask); nothing to do off Unix.
#[cfg(unix)]
pub fn set_mode(path: &Utf8Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {path}"))
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Utf8Path, _mode: u32) -> Result<()> {
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
            steps: vec![
                ("dist", Duration::from_millis(300), "x".into()),
                ("zip", Duration::from_millis(100), "y".into()),
            ],
            out: "dist".into(),
        };
        let text = built.summary();
        assert!(text.contains("a.whl"), "{text}");
        assert!(text.contains(&"ab".repeat(32)), "{text}");
        assert!(text.contains("75.0%") && text.contains("25.0%"), "{text}");
    }
}
