//! `cargo xtask bench dist`: the native builder against the tools it
//! replaces, on `python/` and on a generated large project (about 600
//! modules and 8 MB of package data with a few large binary files), in one
//! table.
//!
//! Rows: our builder in-process (what `dist::build` costs) and as a process
//! (`xtask dist`, start-up included); `python -m build --no-isolation` and
//! isolated (sdist, then the wheel from it, as by default); `uv build`; and
//! `zip -r -6` plus `tar -czf` over the same files, one after the other.
//! Each tool runs `--runs` times on a fresh copy of the project; the best
//! time is reported. Everything happens under target/xtask/bench-dist/.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::flags;
use crate::paths::Layout;
use crate::pydist::{self as dist, DistOptions};
use crate::setup;
use crate::util::rng::Rng;

/// The speed targets.
const TARGET_VS_ZIP_TAR: f64 = 0.6;
const TARGET_VS_SETUPTOOLS_LARGE: f64 = 12.0;
const TARGET_VS_SETUPTOOLS_APP: f64 = 100.0;

pub fn run(sh: &Shell, args: &flags::BenchDist) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    setup::ensure_python(sh)?;
    let layout = Layout::new();
    let base = layout.xtask_target().join("bench-dist");
    if base.exists() {
        std::fs::remove_dir_all(&base).with_context(|| format!("cannot clear {base}"))?;
    }
    std::fs::create_dir_all(&base).with_context(|| format!("cannot create {base}"))?;
    let tools = Tools::find(sh, &layout);

    let mut projects: Vec<(String, Utf8PathBuf)> = Vec::new();
    if !args.large_only {
        let app = base.join("app");
        copy_tree(
            &layout.python(),
            &app,
            &[
                ".pytest_cache",
                ".mypy_cache",
                ".ruff_cache",
                "__pycache__",
                "build",
            ],
        )?;
        let ui = if layout.ui_dist().join("index.html").is_file() {
            "built UI included"
        } else {
            "UI not built: run `cargo xtask frontend build` for the shipped figure"
        };
        // dist needs the SBOM the UI build writes; without a build, a stand-in.
        let sbom = app.join("sboms").join(crate::sbom::FILE_NAME);
        if !sbom.is_file() {
            std::fs::create_dir_all(app.join("sboms"))
                .with_context(|| format!("cannot create {}", app.join("sboms")))?;
            std::fs::write(&sbom, "{}\n").with_context(|| format!("cannot write {sbom}"))?;
        }
        eprintln!("bench: python/ copied ({ui})");
        projects.push(("python/".into(), app));
    }
    let large = base.join("large");
    let stats = generate_large(&large)?;
    eprintln!(
        "bench: generated project: {} modules, {} data files, {:.1} MB of package data",
        stats.modules,
        stats.data_files,
        stats.data_bytes as f64 / 1e6
    );
    projects.push(("large".into(), large));

    let mut columns = Vec::new();
    for (label, src) in &projects {
        eprintln!("bench: {label}");
        columns.push(bench_project(sh, &tools, &base, label, src, args)?);
    }
    print_table(&tools, &columns, args.runs);
    if args.keep {
        eprintln!("bench: kept {base}");
    } else {
        std::fs::remove_dir_all(&base).with_context(|| format!("cannot remove {base}"))?;
    }
    Ok(())
}

struct Tools {
    python: Utf8PathBuf,
    uv: Option<Utf8PathBuf>,
    zip: Option<String>,
    tar: Option<String>,
}

impl Tools {
    fn find(sh: &Shell, layout: &Layout) -> Tools {
        let which = |name: &str| -> Option<String> {
            cmd!(sh, "which {name}")
                .quiet()
                .ignore_stderr()
                .read()
                .ok()
                .filter(|s| !s.trim().is_empty())
        };
        let uv = layout.venv_bin("uv");
        Tools {
            python: layout.venv_bin("python"),
            uv: uv.is_file().then_some(uv),
            zip: which("zip"),
            tar: which("tar"),
        }
    }
}

/// One project's column: the best time of each row (None: not run, with why).
struct Column {
    label: String,
    files: usize,
    bytes: u64,
    rows: Vec<(String, Result<Duration, String>)>,
}

impl Column {
    fn get(&self, row: &str) -> Option<Duration> {
        self.rows
            .iter()
            .find(|(r, _)| r == row)
            .and_then(|(_, t)| t.as_ref().ok().copied())
    }
}

/// The fast tools (ours, zip, tar) run this many times more than the slow ones.
const FAST_ROUNDS: usize = 5;

const OURS: &str = "xtask dist (in-process)";
const OURS_PROCESS: &str = "xtask dist (process)";
const SETUPTOOLS: &str = "python -m build --no-isolation";
const SETUPTOOLS_ISOLATED: &str = "python -m build (isolated)";
const UV: &str = "uv build";
const ZIP: &str = "zip -r -6 (wheel's files)";
/// The timestamp every timed build uses (SOURCE_DATE_EPOCH for the process runs).
const FIXED_EPOCH: &str = "1700000000";
const TAR: &str = "tar -czf (sdist's files)";
const ZIP_TAR: &str = "zip + tar, one after the other";

fn best(runs: usize, mut once: impl FnMut(usize) -> Result<Duration>) -> Result<Duration> {
    let mut best = Duration::MAX;
    for i in 0..runs {
        best = best.min(once(i)?);
    }
    Ok(best)
}

fn bench_project(
    sh: &Shell,
    tools: &Tools,
    base: &Utf8Path,
    label: &str,
    src: &Utf8Path,
    args: &flags::BenchDist,
) -> Result<Column> {
    let work = base.join("work").join(label.trim_end_matches('/'));
    let opts = DistOptions::default();
    // A fixed timestamp, so no `git` runs inside the timing.
    let ts = dist::timestamp(src, Some(FIXED_EPOCH))?;

    let built = dist::build(src, &work.join("ours-warmup"), &opts, ts.clone())?;
    eprintln!(
        "bench: {label} is {} {}, timestamp {}",
        built.name, built.version, built.timestamp
    );
    for w in &built.warnings {
        eprintln!("bench: warning: {w}");
    }
    let sources = dist::sources(src)?;
    std::fs::create_dir_all(&work)?;
    let bench = Bench {
        sh,
        tools,
        src,
        work: &work,
        runs: args.runs,
    };
    let fast = bench.fast_rounds(&sources, &opts, &ts)?;
    let mut rows: Vec<(String, Result<Duration, String>)> = vec![
        (OURS.into(), Ok(fast.ours)),
        (OURS_PROCESS.into(), Ok(fast.process)),
    ];
    rows.extend(bench.build_tools(args.no_isolated));

    let files = sources.sdist.len();
    let bytes: u64 = sources
        .sdist
        .iter()
        .filter_map(|f| std::fs::metadata(src.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let both = match (&fast.zip, &fast.tar) {
        (Ok(z), Ok(t)) => Ok(*z + *t),
        _ => Err("needs both zip and tar".to_owned()),
    };
    rows.push((ZIP.into(), fast.zip));
    rows.push((TAR.into(), fast.tar));
    rows.push((ZIP_TAR.into(), both));
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(Column {
        label: label.to_owned(),
        files,
        bytes,
        rows,
    })
}

/// The best times of the fast tools (an error: why one did not run).
struct FastTimes {
    ours: Duration,
    process: Duration,
    zip: Result<Duration, String>,
    tar: Result<Duration, String>,
}

/// One project's timed runs: the project, the folder they write in, how
/// many times the slow tools run.
struct Bench<'a> {
    sh: &'a Shell,
    tools: &'a Tools,
    src: &'a Utf8Path,
    work: &'a Utf8Path,
    runs: usize,
}

impl Bench<'_> {
    /// Ours in-process and as a process, zip and tar, in interleaved rounds
    /// (so that load from elsewhere hits them alike), more often than the
    /// slow tools.
    fn fast_rounds(
        &self,
        sources: &dist::Sources,
        opts: &DistOptions,
        ts: &dist::Timestamp,
    ) -> Result<FastTimes> {
        let (sh, src, work) = (self.sh, self.src, self.work);
        let zip_list = sources.wheel.join("\n");
        let tar_list = work.join("tar-files.txt");
        std::fs::write(&tar_list, sources.sdist.join("\n") + "\n")?;
        let exe = std::env::current_exe().context("cannot find the xtask executable")?;
        let mut times = FastTimes {
            ours: Duration::MAX,
            process: Duration::MAX,
            zip: match &self.tools.zip {
                Some(_) => Ok(Duration::MAX),
                None => Err("zip is not installed (apt-get install -y zip)".into()),
            },
            tar: match &self.tools.tar {
                Some(_) => Ok(Duration::MAX),
                None => Err("tar is not installed".into()),
            },
        };
        for i in 0..self.runs * FAST_ROUNDS {
            let out = work.join(format!("ours-{i}"));
            let t = Instant::now();
            dist::build(src, &out, opts, ts.clone())?;
            times.ours = times.ours.min(t.elapsed());

            let out = work.join(format!("ours-process-{i}"));
            let t = Instant::now();
            cmd!(sh, "{exe} dist --project {src} --out {out}")
                .env("SOURCE_DATE_EPOCH", FIXED_EPOCH)
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()?;
            times.process = times.process.min(t.elapsed());

            if let Ok(best) = &mut times.zip {
                let out = work.join(format!("zip-{i}.zip"));
                let _dir = sh.push_dir(src);
                let t = Instant::now();
                match cmd!(sh, "zip -q -6 -X {out} -@")
                    .stdin(&zip_list)
                    .quiet()
                    .run()
                {
                    Ok(()) => *best = (*best).min(t.elapsed()),
                    Err(e) => times.zip = Err(format!("zip failed: {e}")),
                }
            }
            if let Ok(best) = &mut times.tar {
                let out = work.join(format!("tar-{i}.tar.gz"));
                let t = Instant::now();
                match cmd!(sh, "tar -czf {out} -C {src} -T {tar_list}")
                    .quiet()
                    .run()
                {
                    Ok(()) => *best = (*best).min(t.elapsed()),
                    Err(e) => times.tar = Err(format!("tar failed: {e}")),
                }
            }
        }
        Ok(times)
    }

    /// The best of `runs` runs of `run`, each on a fresh copy of the project.
    fn timed_copy(
        &self,
        name: &str,
        run: &dyn Fn(&Utf8Path, &Utf8Path) -> Result<()>,
    ) -> Result<Duration, String> {
        best(self.runs, |i| {
            let copy = self.work.join(format!("{name}-{i}"));
            copy_tree(self.src, &copy, &[])?;
            let out = self.work.join(format!("{name}-out-{i}"));
            let t = Instant::now();
            run(&copy, &out)?;
            Ok(t.elapsed())
        })
        .map_err(|e| format!("{e:#}"))
    }

    /// The rows of the build tools we replace: `python -m build` without and
    /// with isolation, `uv build`.
    fn build_tools(&self, no_isolated: bool) -> Vec<(String, Result<Duration, String>)> {
        let sh = self.sh;
        let python = &self.tools.python;
        let mut rows = Vec::new();
        let setuptools = self.timed_copy("build", &|copy, out| {
            let _dir = sh.push_dir(copy);
            cmd!(sh, "{python} -m build --no-isolation --outdir {out} .")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .context("python -m build --no-isolation failed")?;
            Ok(())
        });
        rows.push((SETUPTOOLS.into(), setuptools));
        let isolated = if no_isolated {
            Err("skipped (--no-isolated)".into())
        } else {
            self.timed_copy("build-isolated", &|copy, out| {
                let _dir = sh.push_dir(copy);
                cmd!(sh, "{python} -m build --outdir {out} .")
                    .quiet()
                    .ignore_stdout()
                    .ignore_stderr()
                    .run()
                    .context("python -m build (isolated) failed; it needs the package index")?;
                Ok(())
            })
        };
        rows.push((SETUPTOOLS_ISOLATED.into(), isolated));
        let uv = match &self.tools.uv {
            Some(uv) => self.timed_copy("uv", &|copy, out| {
                cmd!(sh, "{uv} build --quiet --out-dir {out} {copy}")
                    .quiet()
                    .ignore_stdout()
                    .ignore_stderr()
                    .run()
                    .context("uv build failed; it needs the package index or its cache")?;
                Ok(())
            }),
            None => Err("uv is not in .venv (run `cargo xtask setup`)".into()),
        };
        rows.push((UV.into(), uv));
        rows
    }
}

fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn print_table(tools: &Tools, columns: &[Column], runs: usize) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "bench dist: best of {runs} run(s) per build tool and {} of xtask dist, zip and tar; {cores} core(s); ratio = tool time / xtask dist (in-process)",
        runs * FAST_ROUNDS
    );
    for c in columns {
        println!(
            "  {}: {} sdist files, {:.2} MB",
            c.label,
            c.files,
            c.bytes as f64 / 1e6
        );
    }
    let names = [
        OURS,
        OURS_PROCESS,
        SETUPTOOLS,
        SETUPTOOLS_ISOLATED,
        UV,
        ZIP,
        TAR,
        ZIP_TAR,
    ];
    let mut header = format!("| {:<32} |", "tool");
    let mut rule = format!("|{}|", "-".repeat(34));
    for c in columns {
        header.push_str(&format!(" {:>10} | {:>7} |", c.label, "ratio"));
        rule.push_str(&format!("{}|{}|", "-".repeat(12), "-".repeat(9)));
    }
    println!("{header}");
    println!("{rule}");
    let mut notes = Vec::new();
    for name in names {
        let mut line = format!("| {name:<32} |");
        for c in columns {
            match c.rows.iter().find(|(r, _)| r == name) {
                Some((_, Ok(t))) => {
                    let ratio = c
                        .get(OURS)
                        .map_or(f64::NAN, |o| t.as_secs_f64() / o.as_secs_f64());
                    line.push_str(&format!(" {:>10} | {:>7.1} |", fmt_duration(*t), ratio));
                }
                Some((_, Err(why))) => {
                    line.push_str(&format!(" {:>10} | {:>7} |", "n/a", ""));
                    notes.push(format!("{name} on {}: {why}", c.label));
                }
                None => line.push_str(&format!(" {:>10} | {:>7} |", "", "")),
            }
        }
        println!("{line}");
    }
    for note in notes {
        println!("note: {note}");
    }
    if tools.zip.is_none() {
        println!(
            "note: `zip` is missing, so the zip + tar target cannot be checked: apt-get install -y zip"
        );
    }
    // The targets.
    for c in columns {
        let Some(ours) = c.get(OURS) else { continue };
        let ours = ours.as_secs_f64();
        if let Some(zt) = c.get(ZIP_TAR) {
            let ratio = ours / zt.as_secs_f64();
            println!(
                "target {}: xtask dist / (zip + tar) = {ratio:.2} (target <= {TARGET_VS_ZIP_TAR}): {}",
                c.label,
                verdict(ratio <= TARGET_VS_ZIP_TAR)
            );
        }
        if let Some(st) = c.get(SETUPTOOLS) {
            let speedup = st.as_secs_f64() / ours;
            let goal = if c.label == "large" {
                TARGET_VS_SETUPTOOLS_LARGE
            } else {
                TARGET_VS_SETUPTOOLS_APP
            };
            println!(
                "target {}: python -m build --no-isolation / xtask dist = {speedup:.0}x (target >= {goal}x): {}",
                c.label,
                verdict(speedup >= goal)
            );
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn copy_tree(from: &Utf8Path, to: &Utf8Path, skip: &[&str]) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {to}"))?;
    for entry in from
        .read_dir_utf8()
        .with_context(|| format!("cannot list {from}"))?
    {
        let entry = entry?;
        if skip.contains(&entry.file_name()) || entry.file_name().ends_with(".egg-info") {
            continue;
        }
        let dst = to.join(entry.file_name());
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(entry.path(), &dst, skip)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &dst)
                .with_context(|| format!("cannot copy {}", entry.path()))?;
        }
    }
    Ok(())
}

struct LargeStats {
    modules: usize,
    data_files: usize,
    data_bytes: u64,
}

/// A made-up identifier of two to four syllables.
fn word(rng: &mut Rng) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "xi", "do", "fe", "gu",
        "ha",
    ];
    let n = 2 + rng.below(3);
    (0..n).map(|_| rng.pick(&SYLLABLES)).collect()
}

fn write(path: &Utf8Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {path}"))
}

/// The large project: 30 subpackages of 20 modules (600 modules of Python),
/// and under `bigapp/static/` about 8 MB of package data: text assets
/// (JS, CSS, JSON, SVG) and four large binary files (model-like weights,
/// a font, an image), all from a fixed seed.
fn generate_large(root: &Utf8Path) -> Result<LargeStats> {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    write_large_project_files(root)?;
    let modules = write_large_modules(root, &mut rng)?;
    let mut data = PackageData {
        dir: root.join("bigapp/static"),
        files: 0,
        bytes: 0,
    };
    write_text_assets(&mut data, &mut rng)?;
    write_binaries(&mut data, &mut rng)?;
    Ok(LargeStats {
        modules,
        data_files: data.files,
        data_bytes: data.bytes,
    })
}

/// The large project's pyproject.toml, README, LICENSE and entry module.
fn write_large_project_files(root: &Utf8Path) -> Result<()> {
    write(
        &root.join("pyproject.toml"),
        br#"[build-system]
requires = ["setuptools==84.2.1"]
build-backend = "setuptools.build_meta"

[project]
name = "bigapp"
version = "1.0.0"
description = "A generated application for benchmarking builds."
readme = "README.md"
license = "Apache-2.0"
requires-python = ">=3.10"
dependencies = ["requests>=2", "pydantic>=2; python_version >= '3.10'"]

[project.scripts]
bigapp = "bigapp.cli:main"

[tool.setuptools.packages.find]
include = ["bigapp*"]

[tool.setuptools.package-data]
"bigapp" = ["static/**"]
"#,
    )?;
    write(
        &root.join("README.md"),
        b"# bigapp\n\nGenerated for `cargo xtask bench dist`.\n",
    )?;
    write(
        &root.join("LICENSE"),
        "Apache License\nVersion 2.0\n".repeat(200).as_bytes(),
    )?;
    write(
        &root.join("bigapp/__init__.py"),
        b"__version__ = \"1.0.0\"\n",
    )?;
    write(
        &root.join("bigapp/cli.py"),
        b"def main() -> None:\n    print(\"bigapp\")\n",
    )?;
    Ok(())
}

/// 30 subpackages of 19 generated modules each; returns the module count.
fn write_large_modules(root: &Utf8Path, rng: &mut Rng) -> Result<usize> {
    let mut modules = 2;
    for p in 0..30 {
        let pkg = root.join(format!("bigapp/sub{p:02}"));
        write(
            &pkg.join("__init__.py"),
            format!("\"\"\"Subpackage {p}.\"\"\"\n").as_bytes(),
        )?;
        for m in 0..19 {
            let mut src = format!(
                "\"\"\"Module {m} of subpackage {p}.\"\"\"\n\nfrom __future__ import annotations\n\n"
            );
            let functions = 8 + rng.below(12);
            for _ in 0..functions {
                let name = word(rng);
                let (a, b) = (word(rng), word(rng));
                src.push_str(&format!(
                    "\ndef {name}_{n}({a}: int, {b}: str = \"{v}\") -> dict[str, int]:\n    \"\"\"Compute {name} from {a} and {b}.\"\"\"\n    result = {{\"{a}\": {a} * {k}, \"{b}\": len({b})}}\n    for i in range({k}):\n        result[f\"{name}_{{i}}\"] = i + {a}\n    return result\n",
                    n = rng.below(1000),
                    v = word(rng),
                    k = 1 + rng.below(50),
                ));
            }
            write(&pkg.join(format!("mod{m:02}.py")), src.as_bytes())?;
            modules += 1;
        }
        modules += 1;
    }
    Ok(modules)
}

/// The package data under `bigapp/static/`, counted as it is written.
struct PackageData {
    dir: Utf8PathBuf,
    files: usize,
    bytes: u64,
}

impl PackageData {
    fn put(&mut self, path: Utf8PathBuf, bytes: Vec<u8>) -> Result<()> {
        self.files += 1;
        self.bytes += bytes.len() as u64;
        write(&path, &bytes)
    }
}

/// The UI-like text assets: scripts, styles, messages and icons.
fn write_text_assets(data: &mut PackageData, rng: &mut Rng) -> Result<()> {
    for i in 0..120 {
        let mut js = String::new();
        while js.len() < 12_000 + (i % 7) * 3_000 {
            js.push_str(&format!(
                "export function {}(a,b){{return a.{}+b.{}*{};}}\n",
                word(rng),
                word(rng),
                word(rng),
                rng.below(999)
            ));
        }
        data.put(
            data.dir.join(format!("assets/js/chunk-{i:03}.js")),
            js.into_bytes(),
        )?;
    }
    for i in 0..40 {
        let mut css = String::new();
        while css.len() < 8_000 {
            css.push_str(&format!(
                ".{}-{} {{ color: #{:06x}; margin: {}px; }}\n",
                word(rng),
                rng.below(100),
                rng.below(0xFFFFFF),
                rng.below(40)
            ));
        }
        data.put(
            data.dir.join(format!("assets/css/style-{i:02}.css")),
            css.into_bytes(),
        )?;
    }
    for i in 0..60 {
        let mut json = String::from("{");
        while json.len() < 6_000 {
            json.push_str(&format!("\"{}\": {}, ", word(rng), rng.below(100_000)));
        }
        json.push_str("\"end\": true}\n");
        data.put(
            data.dir.join(format!("locales/{i:02}/messages.json")),
            json.into_bytes(),
        )?;
    }
    for i in 0..30 {
        let mut svg = String::from("<svg xmlns=\"http://www.w3.org/2000/svg\">");
        while svg.len() < 4_000 {
            svg.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                rng.below(500),
                rng.below(500),
                rng.below(50)
            ));
        }
        svg.push_str("</svg>\n");
        data.put(
            data.dir.join(format!("icons/icon-{i:02}.svg")),
            svg.into_bytes(),
        )?;
    }
    Ok(())
}

/// Large binaries: incompressible weights, a font and an image.
fn write_binaries(data: &mut PackageData, rng: &mut Rng) -> Result<()> {
    let random = |rng: &mut Rng, n: usize| -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&rng.next().to_le_bytes());
        }
        v.truncate(n);
        v
    };
    let weights = random(rng, 2_500_000);
    data.put(data.dir.join("models/weights-a.bin"), weights)?;
    let weights = random(rng, 1_500_000);
    data.put(data.dir.join("models/weights-b.bin"), weights)?;
    let mut font = random(rng, 400_000);
    font.extend(std::iter::repeat_n(0u8, 200_000));
    data.put(data.dir.join("fonts/ui.woff2"), font)?;
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.extend(random(rng, 600_000));
    data.put(data.dir.join("images/splash.png"), image)?;
    Ok(())
}
