//! `cargo xtask test [--rust] [--python] [--frontend] [--quick]`: every test suite.
//!
//! The Rust tests run in two lanes: the fast one (unit tests, golden bytes,
//! the CLI on fixtures) and the slow one (setup in clones, UI builds,
//! installs, the browser, reproducibility). `--quick` runs the fast lane
//! alone; a full run compiles once and then runs both lanes side by side,
//! each into its own log, printed when it ends.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::Utf8Path;
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::setup::{self, Parts};
use crate::util::process;

impl flags::Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let layout = Layout::new();
        if self.quick {
            // The fast lane needs the Python tools only (packaging is the
            // oracle of the differential tests, pypiserver an index).
            setup::ensure_parts(sh, Parts::from_flags(true, false))?;
            return quick_suite();
        }
        let all = !self.rust && !self.python && !self.frontend;
        let (rust, python, frontend) = (all || self.rust, all || self.python, all || self.frontend);
        // Rust's integration tests build and install the app, so they need the
        // whole environment too.
        let parts = Parts::from_flags(python || rust, frontend || rust);
        setup::ensure_parts(sh, parts)?;

        let mut failed = Vec::new();
        let mut suite = |name: &'static str, result: Result<()>| {
            if let Err(err) = result {
                eprintln!("test: {name} failed: {err:#}");
                failed.push(name);
            }
        };
        if rust {
            suite("rust", rust_suite(&layout));
        }
        if python {
            suite("python", python_suite(sh, &layout));
        }
        if frontend {
            suite("frontend", frontend_suite(sh, &layout));
        }
        if !failed.is_empty() {
            bail!("test suites failed: {}", failed.join(", "));
        }
        eprintln!("test: all suites passed");
        Ok(())
    }
}

/// Run cargo (without the variables `cargo run` gave the xtask) at the root.
fn run_cargo(args: &[&str], failed: &str) -> Result<()> {
    let root = Layout::new().root;
    eprintln!("$ cargo {}", args.join(" "));
    let status = process::cargo()
        .args(args)
        .current_dir(&root)
        .status()
        .with_context(|| format!("cannot start `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("{failed}");
    }
    Ok(())
}

/// The integration tests (files of xtask/tests/) that run in seconds.
pub const FAST: &[&str] = &[
    "check_published",
    "check_version",
    "cli",
    "dist",
    "dist_large",
    "preflight",
    "readme",
    "release_notes",
    "tag_release",
    "workflows",
];

/// The integration tests that build, install or clone: minutes.
pub const SLOW: &[&str] = &[
    "app_e2e",
    "build_installer",
    "check",
    "dist_conformance",
    "real_projects",
    "release_build",
    "reproducible",
    "sbom",
    "typegen",
    "verify",
];

/// `cargo test` arguments of a lane (the unit tests go with the fast one).
pub fn lane_args(lane: &[&str], with_units: bool) -> Vec<String> {
    let mut args = vec!["test".to_owned(), "-p".to_owned(), "xtask".to_owned()];
    if with_units {
        args.push("--bins".to_owned());
    }
    for name in lane {
        args.push("--test".to_owned());
        args.push((*name).to_owned());
    }
    args
}

fn fmt_check() -> Result<()> {
    run_cargo(
        &["fmt", "--all", "--check"],
        "cargo fmt --check found unformatted Rust code; run `cargo fmt --all`",
    )
}

/// fmt, then the fast lane alone.
fn quick_suite() -> Result<()> {
    let started = Instant::now();
    fmt_check()?;
    let args = lane_args(FAST, true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_cargo(&args, "the fast lane failed")?;
    eprintln!(
        "test: quick: fmt and the fast lane passed in {:.0?} (the slow lane and clippy run in `cargo xtask test`)",
        round(started.elapsed())
    );
    Ok(())
}

fn rust_suite(layout: &Layout) -> Result<()> {
    fmt_check()?;
    run_cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
        "clippy reported warnings",
    )?;
    // Compile once; then the two lanes only run.
    run_cargo(
        &["test", "--workspace", "--no-run"],
        "the tests do not compile",
    )?;
    let logs = layout.xtask_target().join("test-lanes");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {logs}"))?;
    let lanes = [
        ("fast", lane_args(FAST, true)),
        ("slow", lane_args(SLOW, false)),
    ];
    let mut running = Vec::new();
    for (name, args) in &lanes {
        let log = logs.join(format!("{name}.log"));
        running.push((
            *name,
            log.clone(),
            Instant::now(),
            spawn_lane(args, &log, &layout.root)?,
        ));
    }
    let mut failed = Vec::new();
    for (name, log, started, mut child) in running {
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for the {name} lane"))?;
        let took = started.elapsed();
        print_log(&log);
        eprintln!(
            "test: {name} lane {} in {:.0?} (log: {log})",
            if status.success() { "passed" } else { "FAILED" },
            round(took)
        );
        if !status.success() {
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        bail!("the {} lane(s) failed", failed.join(" and "));
    }
    Ok(())
}

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

fn spawn_lane(args: &[String], log: &Utf8Path, root: &Utf8Path) -> Result<std::process::Child> {
    let out = std::fs::File::create(log).with_context(|| format!("cannot create {log}"))?;
    let err = out
        .try_clone()
        .with_context(|| format!("cannot write {log}"))?;
    process::cargo()
        .args(args)
        .current_dir(root)
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start `cargo {}`", args.join(" ")))
}

fn print_log(log: &Utf8Path) {
    match std::fs::read_to_string(log) {
        Ok(text) => print!("{text}"),
        Err(err) => eprintln!("test: cannot read {log}: {err}"),
    }
}

fn python_suite(sh: &Shell, layout: &Layout) -> Result<()> {
    let python = layout.venv_bin("python");
    {
        let _dir = sh.push_dir(layout.python());
        cmd!(sh, "{python} -m pytest")
            .run()
            .context("pytest failed in python/")?;
    }
    // The installer's lib/ ships as it is, so its tests must leave no byte-code in it.
    let _dir = sh.push_dir(layout.installer());
    cmd!(sh, "{python} -m pytest")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .run()
        .context("pytest failed in installer/")?;
    Ok(())
}

fn frontend_suite(sh: &Shell, layout: &Layout) -> Result<()> {
    let _dir = sh.push_dir(layout.frontend());
    cmd!(sh, "npm run --silent test")
        .run()
        .context("vitest failed in frontend/")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of xtask/tests/ is in exactly one lane.
    #[test]
    fn every_test_file_is_in_one_lane() {
        let dir = crate::paths::Layout::new().root.join("xtask/tests");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
            .collect();
        files.sort();
        let mut lanes: Vec<String> = FAST.iter().chain(SLOW).map(|s| (*s).to_owned()).collect();
        lanes.sort();
        assert_eq!(
            lanes, files,
            "add the new test file to FAST or SLOW in test.rs"
        );
        assert_eq!(
            lane_args(&["cli"], true),
            ["test", "-p", "xtask", "--bins", "--test", "cli"]
        );
    }
}
