//! `cargo xtask bench dist-memory`: the peak memory of `xtask dist` on a
//! generated project whose package data holds one large file (1 GiB by
//! default, as model weights often are), against a fixed target.
//!
//! The file is written in 4 MiB blocks, random and zero in turn, so it is
//! compressible and both the deflate and the stored code paths see large
//! inputs. `xtask dist` runs as a child process; its peak resident set size
//! comes from the kernel when it is reaped (`wait4`'s `ru_maxrss`), so
//! nothing samples it while it runs. Everything happens under
//! target/xtask/bench-dist-memory/.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::Utf8Path;

use crate::flags;
use crate::paths::Layout;
use crate::util::rng::Rng;

/// The target: the peak memory of `xtask dist`, whatever the file's size.
const TARGET_BYTES: u64 = 200_000_000;
/// The timestamp of the build (so no `git` runs).
const FIXED_EPOCH: &str = "1700000000";
/// The generated file alternates random and zero blocks of this size.
const BLOCK: usize = 4 << 20;

pub fn run(args: &flags::BenchDistMemory) -> Result<()> {
    let layout = Layout::new();
    let base = layout.xtask_target().join("bench-dist-memory");
    if base.exists() {
        std::fs::remove_dir_all(&base).with_context(|| format!("cannot clear {base}"))?;
    }
    let project = base.join("project");
    let size = args.size_mib << 20;
    let t = Instant::now();
    generate(&project, size)?;
    eprintln!(
        "bench: generated a project with a {} MiB package-data file in {}",
        args.size_mib,
        secs(t.elapsed())
    );
    let out = base.join("out");
    let exe = std::env::current_exe().context("cannot find the xtask executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("dist")
        .arg("--project")
        .arg(&project)
        .arg("--out")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", FIXED_EPOCH)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let t = Instant::now();
    let (ok, peak) = run_measured(&mut cmd)?;
    let wall = t.elapsed();
    if !ok {
        bail!("xtask dist failed on {project}");
    }
    let mut artifacts = Vec::new();
    for entry in out
        .read_dir_utf8()
        .with_context(|| format!("cannot list {out}"))?
    {
        let entry = entry?;
        let len = entry.metadata()?.len();
        artifacts.push(format!("{} {:.1} MB", entry.file_name(), len as f64 / 1e6));
    }
    artifacts.sort();
    println!(
        "bench dist-memory: xtask dist (process) on a project with a {} MiB package-data file",
        args.size_mib
    );
    println!("  built: {}", artifacts.join(", "));
    println!("  wall time: {}", secs(wall));
    println!("  peak memory (max RSS): {:.1} MB", peak as f64 / 1e6);
    let met = peak < TARGET_BYTES;
    println!(
        "target: peak memory < {} MB: {}",
        TARGET_BYTES / 1_000_000,
        if met { "met" } else { "NOT met" }
    );
    if args.keep {
        eprintln!("bench: kept {base}");
    } else {
        std::fs::remove_dir_all(&base).with_context(|| format!("cannot remove {base}"))?;
    }
    if !met {
        bail!(
            "the peak memory of xtask dist, {:.1} MB, is above the {} MB target",
            peak as f64 / 1e6,
            TARGET_BYTES / 1_000_000
        );
    }
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The project: one package and, under it, `weights/model.bin` of `size`
/// bytes, written block by block (never held whole).
fn generate(root: &Utf8Path, size: u64) -> Result<()> {
    let package = root.join("bigmodel");
    let weights = package.join("weights");
    std::fs::create_dir_all(&weights).with_context(|| format!("cannot create {weights}"))?;
    let files: [(&str, &str); 3] = [
        (
            "pyproject.toml",
            r#"[build-system]
requires = ["setuptools==84.2.1"]
build-backend = "setuptools.build_meta"

[project]
name = "bigmodel"
version = "1.0.0"
description = "A generated project holding one large model file."
license = "Apache-2.0"
requires-python = ">=3.10"

[tool.setuptools.packages.find]
include = ["bigmodel*"]

[tool.setuptools.package-data]
"bigmodel" = ["weights/*.bin"]
"#,
        ),
        (
            "README.md",
            "# bigmodel\n\nGenerated for `cargo xtask bench dist-memory`.\n",
        ),
        ("bigmodel/__init__.py", "__version__ = \"1.0.0\"\n"),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::write(&path, text).with_context(|| format!("cannot write {path}"))?;
    }
    let path = weights.join("model.bin");
    let file = std::fs::File::create(&path).with_context(|| format!("cannot create {path}"))?;
    let mut file = std::io::BufWriter::with_capacity(BLOCK, file);
    let mut rng = Rng::new(0x0005_EED0_FB16_F11E);
    let mut block = vec![0u8; BLOCK];
    let mut written = 0u64;
    let mut index = 0u64;
    while written < size {
        let n = (size - written).min(BLOCK as u64) as usize;
        if index % 2 == 0 {
            for word in block[..n].chunks_mut(8) {
                let bytes = rng.next().to_le_bytes();
                word.copy_from_slice(&bytes[..word.len()]);
            }
        } else {
            block[..n].fill(0);
        }
        file.write_all(&block[..n])
            .with_context(|| format!("cannot write {path}"))?;
        written += n as u64;
        index += 1;
    }
    file.flush()
        .with_context(|| format!("cannot write {path}"))?;
    Ok(())
}

/// Run `cmd` to its end: whether it succeeded, and its peak resident set
/// size in bytes, as the kernel accounts it when the process is reaped.
#[cfg(unix)]
fn run_measured(cmd: &mut Command) -> Result<(bool, u64)> {
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("a process id out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped; both pointers are
        // valid for the call. std's `Child` is not waited on afterwards.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("cannot wait for xtask dist");
        }
    }
    drop(child);
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let max_rss = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    // Linux counts KiB; macOS, bytes.
    let peak = if cfg!(target_os = "macos") {
        max_rss
    } else {
        max_rss * 1024
    };
    Ok((ok, peak))
}

#[cfg(not(unix))]
fn run_measured(_cmd: &mut Command) -> Result<(bool, u64)> {
    bail!("bench dist-memory reads the peak memory from wait4, which needs a Unix system")
}
