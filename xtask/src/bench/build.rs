//! `cargo xtask bench build`: what the xtask itself costs. Every maintainer
//! and every CI job compiles it before its first command, and every change
//! waits for its tests, so these figures are tracked like `dist`'s speed:
//!
//! - a clean `cargo build -p xtask --locked` in a fresh clone of HEAD (its
//!   own target folder, the registry cache as it is): wall time, and CPU
//!   time (user + system, all cargo and rustc processes);
//! - `cargo xtask --help` on that warm tree (cargo's fingerprint check and
//!   the start of the binary), best of five, and the binary alone;
//! - with `--lanes`, the wall time of the fast test lane on this checkout
//!   (and of the slow lane too with `--slow`).

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::test::{FAST, SLOW, lane_args};
use crate::util::process;

/// Targets of the issue this benchmark tracks (2 cores, warm registry).
const TARGET_CPU: Duration = Duration::from_secs(180);
const TARGET_WALL: Duration = Duration::from_secs(90);

/// CPU time used by finished children so far (user + system).
#[cfg(unix)]
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(not(unix))]
fn children_cpu() -> Duration {
    Duration::ZERO
}

/// Run a command to its end; its wall and CPU time.
fn timed(command: &mut Command, what: &str) -> Result<(Duration, Duration)> {
    let cpu = children_cpu();
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("cannot start {what}"))?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok((wall, children_cpu().saturating_sub(cpu)))
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

pub fn run(sh: &Shell, args: &flags::BenchBuild) -> Result<()> {
    let layout = Layout::new();
    let base = layout.xtask_target().join("bench-build");
    let clone = base.join("clone");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).with_context(|| format!("cannot create {base}"))?;
    let root = &layout.root;
    cmd!(sh, "git clone --quiet --no-hardlinks {root} {clone}")
        .run()
        .context("cannot clone HEAD for a clean build")?;
    let head = cmd!(sh, "git -C {clone} rev-parse --short HEAD").read()?;
    eprintln!("bench: clean build of the xtask at {head} in {clone}");

    let mut build = process::cargo();
    build
        .args(["build", "-p", "xtask", "--locked", "--quiet"])
        .current_dir(&clone)
        .env("CARGO_TARGET_DIR", clone.join("target"))
        .env_remove("RUSTFLAGS");
    let (wall, cpu) = timed(&mut build, "the clean build")?;
    let crates = crate_count(&clone)?;

    let mut help = process::cargo();
    help.args(["xtask", "--help"])
        .current_dir(&clone)
        .env("CARGO_TARGET_DIR", clone.join("target"))
        .stdout(std::process::Stdio::null());
    let warm_help = best_of(5, || timed(&mut help, "cargo xtask --help").map(|t| t.0))?;
    let exe = clone.join("target/debug/xtask");
    let mut bare = Command::new(&exe);
    bare.arg("--help").stdout(std::process::Stdio::null());
    let bare_help = best_of(5, || timed(&mut bare, "xtask --help").map(|t| t.0))?;

    let mut report = String::new();
    report.push_str(&format!("\nxtask build cost at {head} ({crates} crates)\n"));
    report.push_str(&format!(
        "  clean build        {:>8} wall   (target <= {})\n",
        secs(wall),
        secs(TARGET_WALL)
    ));
    report.push_str(&format!(
        "  clean build        {:>8} CPU    (target <= {})\n",
        secs(cpu),
        secs(TARGET_CPU)
    ));
    report.push_str(&format!(
        "  cargo xtask --help {:>8} warm   (best of 5)\n",
        secs(warm_help)
    ));
    report.push_str(&format!(
        "  xtask --help       {:>8} binary (best of 5)\n",
        secs(bare_help)
    ));
    if args.lanes {
        let fast = lane_wall(root, &lane_args(FAST, true))?;
        report.push_str(&format!(
            "  fast test lane     {:>8} wall   (this checkout, warm)\n",
            secs(fast)
        ));
        if args.slow {
            let slow = lane_wall(root, &lane_args(SLOW, false))?;
            report.push_str(&format!(
                "  slow test lane     {:>8} wall   (this checkout, warm)\n",
                secs(slow)
            ));
        }
    }
    print!("{report}");
    if !args.keep {
        let _ = std::fs::remove_dir_all(&base);
    }
    Ok(())
}

fn best_of(n: usize, mut run: impl FnMut() -> Result<Duration>) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..n {
        best = best.min(run()?);
    }
    Ok(best)
}

/// The lane's wall time, its test targets compiled beforehand.
fn lane_wall(root: &Utf8Path, args: &[String]) -> Result<Duration> {
    let mut compile = process::cargo();
    compile
        .args(args)
        .arg("--no-run")
        .arg("--quiet")
        .current_dir(root);
    timed(&mut compile, "compiling the tests")?;
    let mut lane = process::cargo();
    lane.args(args)
        .arg("--quiet")
        .current_dir(root)
        .stdout(std::process::Stdio::null());
    timed(&mut lane, &format!("cargo {}", args.join(" "))).map(|t| t.0)
}

/// How many crates the xtask's normal build compiles.
fn crate_count(dir: &Utf8PathBuf) -> Result<usize> {
    let out = process::cargo()
        .args([
            "tree",
            "-p",
            "xtask",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(dir)
        .output()
        .context("cannot run cargo tree")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches(" (*)"))
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines.dedup();
    Ok(lines.len())
}
