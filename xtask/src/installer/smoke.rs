//! `cargo xtask smoke-test [ZIP]`: the release's "download the installer and
//! try it", automated.
//!
//! Steps, each reported with its result and time: unzip the installer into a
//! temporary folder, run its `install.sh --root <tmp>/root --yes` (on Windows
//! `install.bat`, through cmd.exe), start the installed app on a free loopback
//! port (in a process group of its own; on Windows, stopped as a process tree),
//! check its version endpoint against the version in the zip's name and that
//! it serves the UI page and the assets the page references, optionally load
//! the page in headless Chromium, stop the app, remove the folder.
//!
//! The pure parts (the zip's version, the startup line, the page's assets,
//! the default zip, member paths, the command lines of each platform) are kept
//! apart and unit-tested.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

use super::checksums::{Kind, Manifest, parse_sha256sums};
use super::checksums::{MANIFEST, SHA256SUMS};
use super::staging::BUNDLE;
use crate::archive::atomic::set_mode;
use crate::archive::read::{self, Limits, Sink};
use crate::browser;
use crate::flags;
use crate::paths::Layout;
use crate::release::identity;
use crate::release::version::{self, Version};
use crate::util::hash::sha256_hex_of;
use crate::util::process::{self, GroupChild, Stopped};
use crate::util::{html, http};

/// How long the app may take to print its address.
const START_LIMIT: Duration = Duration::from_secs(60);
/// How long the app gets to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Each HTTP request's bound (connect and answer together).
const HTTP_LIMIT: Duration = Duration::from_secs(10);
/// The most bytes read from one answer of the app (the UI's largest asset is far smaller).
const HTTP_MAX_BODY: u64 = 64 * 1024 * 1024;

/// The installer's flavour: its scripts and how they are started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and macOS: `install.sh` and `invoke.sh`, run by `sh` and directly.
    Unix,
    /// Windows: `install.bat` and `invoke.bat`, run by cmd.exe.
    Windows,
}

impl Platform {
    /// The platform this xtask runs on.
    pub const HOST: Platform = if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Unix
    };

    /// The install script in the bundle.
    pub fn install_script(self) -> &'static str {
        match self {
            Platform::Unix => "install.sh",
            Platform::Windows => "install.bat",
        }
    }

    /// The launcher the installer writes into the root.
    pub fn launcher(self) -> &'static str {
        match self {
            Platform::Unix => "invoke.sh",
            Platform::Windows => "invoke.bat",
        }
    }

    /// The command line that installs unattended into `root`, run from the folder
    /// the zip was unpacked into: program first. Pure.
    pub fn install_command(self, root: &Utf8Path) -> Vec<String> {
        let script = format!("{BUNDLE}/{}", self.install_script());
        let tail = ["--root", root.as_str(), "--yes"].map(str::to_owned);
        let mut line = match self {
            Platform::Unix => vec!["sh".to_owned(), script],
            // /d: no AutoRun commands from the registry; /c: run the script, then exit.
            Platform::Windows => ["cmd", "/d", "/c"]
                .map(str::to_owned)
                .into_iter()
                .chain([script.replace('/', "\\")])
                .collect(),
        };
        line.extend(tail);
        line
    }

    /// The command line that starts the installed app from `root` on a free
    /// loopback port: program first. Pure.
    pub fn start_command(self, root: &Utf8Path) -> Vec<String> {
        let launcher = root.join(self.launcher()).into_string();
        let tail = ["--port", "0", "--host", "127.0.0.1"].map(str::to_owned);
        let mut line = match self {
            Platform::Unix => vec![launcher],
            Platform::Windows => vec!["cmd".into(), "/d".into(), "/c".into(), launcher],
        };
        line.extend(tail);
        line
    }
}

/// A command from a command line built by [`Platform`]: program first.
fn command(line: &[String]) -> Command {
    let mut cmd = Command::new(&line[0]);
    cmd.args(&line[1..]);
    cmd
}

impl flags::SmokeTest {
    pub fn run(self, _sh: &Shell) -> Result<()> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        process::catch_interrupts()?;
        let zip = match &self.zip {
            Some(zip) => absolute(zip)?,
            None => {
                let dist = layout.dist();
                let manifest = std::fs::read_to_string(dist.join(MANIFEST)).ok();
                default_zip(&dist, manifest.as_deref())?
            }
        };
        let zip_name = zip
            .file_name()
            .with_context(|| format!("{zip} has no file name"))?;
        let version =
            identity::installer_version(zip_name).map_err(|why| anyhow!("{zip}: {why}"))?;
        eprintln!("smoke-test: {zip} (version {version})");

        let mut report = Report::default();
        let result = smoke(&layout, &zip, &version, &self, &mut report);
        print!("{}", report.render(result.as_ref().err()));
        result?;
        println!("smoke-test: passed: {zip_name} installs, starts and serves {version}");
        Ok(())
    }
}

/// A step ran out of time: what it waited for, and for how long.
#[derive(Debug)]
struct GaveUp(String);

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GaveUp {}

/// The steps done so far: name, time, note; the failed one is the error.
#[derive(Debug, Default)]
struct Report {
    rows: Vec<(&'static str, Duration, String)>,
    /// The step that failed, how long it ran, and whether it ran out of time.
    failed: Option<(&'static str, Duration, bool)>,
}

impl Report {
    /// Run one step, print its outcome on stderr as it ends and record it.
    fn step<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce() -> Result<(T, String)>,
    ) -> Result<T> {
        eprintln!("smoke-test: {name}: ...");
        let started = Instant::now();
        let outcome = if process::interrupted() {
            Err(anyhow!("interrupted (Ctrl-C or SIGTERM)"))
        } else {
            f()
        };
        match outcome {
            Ok((value, note)) => {
                let took = started.elapsed();
                eprintln!(
                    "smoke-test: {name}: ok: {note} ({:.2}s)",
                    took.as_secs_f64()
                );
                self.rows.push((name, took, note));
                Ok(value)
            }
            Err(err) => {
                let took = started.elapsed();
                let gave_up = err.downcast_ref::<GaveUp>().is_some();
                let (shown, context) = if gave_up {
                    ("GAVE UP", format!("step `{name}` gave up"))
                } else {
                    ("FAILED", format!("step `{name}` failed"))
                };
                eprintln!("smoke-test: {name}: {shown} ({:.2}s)", took.as_secs_f64());
                self.failed = Some((name, took, gave_up));
                Err(err.context(context))
            }
        }
    }

    /// The table printed at the end, on success and on failure alike.
    fn render(&self, error: Option<&anyhow::Error>) -> String {
        let mut out = format!("\n{:<8}  {:<7}  {:>8}  note\n", "step", "result", "time");
        for (name, took, note) in &self.rows {
            out.push_str(&format!(
                "{name:<8}  {:<7}  {:>7.2}s  {note}\n",
                "ok",
                took.as_secs_f64()
            ));
        }
        if let Some((name, took, gave_up)) = self.failed {
            let why = error
                .map(|e| {
                    e.chain()
                        .skip(1)
                        .map(|cause| cause.to_string())
                        .collect::<Vec<_>>()
                        .join(": ")
                })
                .unwrap_or_default();
            let why = why.lines().next().unwrap_or_default();
            out.push_str(&format!(
                "{name:<8}  {:<7}  {:>7.2}s  {why}\n",
                if gave_up { "GAVE UP" } else { "FAILED" },
                took.as_secs_f64()
            ));
        }
        let total: Duration = self.rows.iter().map(|r| r.1).sum::<Duration>()
            + self.failed.map(|f| f.1).unwrap_or_default();
        out.push_str(&format!(
            "{:<8}  {:<7}  {:>7.2}s\n",
            "total",
            "",
            total.as_secs_f64()
        ));
        out
    }
}

/// The temporary folder, when a step failed: removed unless kept.
struct Scratch {
    path: Utf8PathBuf,
    keep: bool,
    /// The `clean` step has dealt with it.
    done: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.keep {
            eprintln!("smoke-test: kept {} (--keep)", self.path);
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
            eprintln!(
                "smoke-test: removed {} (pass --keep to look at it after a failure)",
                self.path
            );
        }
    }
}

fn smoke(
    layout: &Layout,
    zip: &Utf8Path,
    version: &Version,
    opts: &flags::SmokeTest,
    report: &mut Report,
) -> Result<()> {
    let mut scratch = Scratch {
        path: scratch_dir()?,
        keep: opts.keep,
        done: false,
    };
    let tmp = scratch.path.clone();
    if opts.keep {
        eprintln!("smoke-test: working in {tmp} (kept: --keep)");
    }

    report.step("unzip", || {
        let checked = checksum(zip)?;
        let files = unzip(zip, &tmp)?;
        let name = Platform::HOST.install_script();
        if !tmp.join(BUNDLE).join(name).is_file() {
            bail!("the zip has no {BUNDLE}/{name}");
        }
        Ok(((), format!("{files} files into {tmp}; {checked}")))
    })?;

    let root = tmp.join("root");
    report.step("install", || {
        install(&tmp, &root, Duration::from_secs(opts.install_timeout))?;
        Ok((
            (),
            format!("{} --root {root} --yes", Platform::HOST.install_script()),
        ))
    })?;

    let log = tmp.join("app.log");
    let (mut app, base) = report.step("start", || {
        let (app, listening) = start(&root, &log)?;
        let base = format!("http://{}:{}", listening.host, listening.port);
        let note = format!("{base}/ (process group {})", app.pid);
        Ok(((app, base), note))
    })?;

    report.step("version", || {
        let url = format!("{base}/api/v1/app/version");
        let answer = get(&url)?;
        let found = check_version_answer(answer.status, &answer.text(), version)
            .map_err(|why| anyhow!("GET {url}: {why}"))?;
        Ok(((), format!("GET /api/v1/app/version: {found}")))
    })?;

    report.step("page", || {
        let url = format!("{base}/");
        let answer = get(&url)?;
        let assets = check_page(
            answer.status,
            answer.content_type.as_deref(),
            &answer.text(),
        )
        .map_err(|why| anyhow!("GET {url}: {why}"))?;
        for asset in &assets {
            let answer = get(&format!("{base}{asset}"))?;
            if answer.status != 200 || answer.body.is_empty() {
                bail!(
                    "the page references {asset}, but it answers {} with {} bytes",
                    answer.status,
                    answer.body.len()
                );
            }
        }
        Ok((
            (),
            format!("GET /: the InvokeAI page and {} assets", assets.len()),
        ))
    })?;

    if opts.browser {
        report.step("browser", || {
            let note = browser_check(layout, &tmp, &format!("{base}/"), version)?;
            Ok(((), note))
        })?;
    }

    report.step("stop", || {
        let note = app.stop()?;
        Ok(((), note))
    })?;
    drop(app);

    report.step("clean", || {
        let note = if opts.keep {
            format!("kept {tmp}")
        } else {
            remove_dir_all_patiently(&tmp).with_context(|| format!("cannot remove {tmp}"))?;
            format!("removed {tmp}")
        };
        Ok(((), note))
    })?;
    scratch.done = true;
    Ok(())
}

/// `remove_dir_all`, tried a few times: on Windows a file stays locked for a
/// moment after the process that held it has ended.
fn remove_dir_all_patiently(dir: &Utf8Path) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::remove_dir_all(dir) {
            Err(err) if tries < 4 && err.kind() != std::io::ErrorKind::NotFound => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

/// A fresh, empty folder under the system's temporary folder.
fn scratch_dir() -> Result<Utf8PathBuf> {
    let base = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|p| anyhow!("the temporary folder {} is not UTF-8", p.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = base.join(format!("invokeai-smoke-{}-{nanos:09}", std::process::id()));
    std::fs::create_dir(&dir).with_context(|| format!("cannot create {dir}"))?;
    Ok(dir)
}

fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    let abs = std::fs::canonicalize(path)
        .with_context(|| format!("cannot open the installer zip {path}"))?;
    Utf8PathBuf::from_path_buf(abs).map_err(|p| anyhow!("the path {} is not UTF-8", p.display()))
}

/// The installer named in `dist/manifest.json` (given as text, `None` when missing). Pure.
pub fn default_zip(dist: &Utf8Path, manifest: Option<&str>) -> Result<Utf8PathBuf> {
    let Some(text) = manifest else {
        bail!(
            "no installer to test: {dist}/{MANIFEST} is missing; run `cargo xtask build-installer` first, or give the zip's path"
        );
    };
    let manifest = Manifest::from_json(text).with_context(|| format!("{dist}/{MANIFEST}"))?;
    let installers: Vec<&str> = manifest
        .artifacts
        .iter()
        .filter(|a| a.kind == Kind::Installer)
        .map(|a| a.file.as_str())
        .collect();
    match installers.as_slice() {
        [one] => Ok(dist.join(one)),
        [] => bail!(
            "{dist}/{MANIFEST} lists no installer; run `cargo xtask build-installer` again, or give the zip's path"
        ),
        many => bail!(
            "{dist}/{MANIFEST} lists {} installers ({}); give the zip's path",
            many.len(),
            many.join(", ")
        ),
    }
}

/// When a `SHA256SUMS` lies beside the zip (as build-installer and a release
/// page put it), the zip must match its line there: a damaged download is not
/// worth installing.
fn checksum(zip: &Utf8Path) -> Result<String> {
    let sums_path = zip.with_file_name(SHA256SUMS);
    if !sums_path.exists() {
        return Ok(format!("no {SHA256SUMS} beside it to check"));
    }
    let sums = String::from_utf8(read::read_small(&sums_path, 1 << 20)?)
        .with_context(|| format!("{sums_path} is not UTF-8 text"))?;
    let (actual, _) =
        sha256_hex_of(read::open_regular(zip)?).with_context(|| format!("cannot read {zip}"))?;
    let name = zip.file_name().unwrap_or_default();
    checksum_verdict(&sums, name, &actual).map_err(|why| anyhow!("{sums_path}: {why}"))
}

/// The zip's sha256 against the text of `SHA256SUMS`. Pure.
pub fn checksum_verdict(sums: &str, name: &str, actual: &str) -> Result<String, String> {
    let entries = parse_sha256sums(sums).map_err(|e| e.to_string())?;
    match entries.iter().find(|(file, _)| file == name) {
        None => Ok(format!("{SHA256SUMS} beside it does not list it")),
        Some((_, want)) if want == actual => Ok(format!("sha256 matches {SHA256SUMS}")),
        Some((_, want)) => Err(format!(
            "{name} has sha256 {actual}, but {SHA256SUMS} says {want}; the file is damaged or not the one built (build it again, or download it again)"
        )),
    }
}

/// Unpack `zip` into `dest` through the safe reader (no `..`, absolute
/// names, links, devices or twice-named members; sizes bounded), restoring
/// Unix modes. Returns the number of files.
fn unzip(zip: &Utf8Path, dest: &Utf8Path) -> Result<usize> {
    let file = read::open_regular(zip)?;
    let listing = read::zip(
        std::io::BufReader::new(file),
        zip.as_str(),
        Limits::RELEASE,
        |m| {
            let relative = read::safe_path(&m.name).map_err(|why| anyhow!("{zip}: {why}"))?;
            let target = dest.join(&relative);
            if m.kind == read::Kind::Dir {
                std::fs::create_dir_all(&target)
                    .with_context(|| format!("cannot create {target}"))?;
                return Ok(Sink::Hash);
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {parent}"))?;
            }
            let out = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&target)
                .with_context(|| format!("cannot create {target}"))?;
            set_mode(&target, m.mode.unwrap_or(0o644) & 0o777)?;
            Ok(Sink::Write(Box::new(std::io::BufWriter::new(out))))
        },
    )?;
    Ok(listing.file_names().count())
}

/// `sh InvokeAI-Installer/install.sh --root ROOT --yes` (on Windows
/// `cmd /d /c InvokeAI-Installer\install.bat --root ROOT --yes`), stdin
/// closed, its output streamed to stderr; stopped (its whole process group)
/// after `limit`.
fn install(tmp: &Utf8Path, root: &Utf8Path, limit: Duration) -> Result<()> {
    let platform = Platform::HOST;
    let script = platform.install_script();
    let line = platform.install_command(root);
    eprintln!("$ {}", line.join(" "));
    let mut child = GroupChild::spawn(
        command(&line)
            .current_dir(tmp)
            .stdin(Stdio::null())
            .stdout(std::io::stderr()),
    )
    .with_context(|| format!("cannot start {} to run {script}", line[0]))?;
    let status = child
        .wait_for(limit)
        .with_context(|| format!("cannot wait for {script}"))?;
    match status {
        None => {
            drop(child);
            return Err(GaveUp(format!(
                "{script} did not finish within {}s (--install-timeout {0}); it and its process group were stopped",
                limit.as_secs()
            ))
            .into());
        }
        Some(status) if !status.success() => bail!(
            "{script} failed ({}); its output is above",
            process::describe(status)
        ),
        Some(_) => {}
    }
    let launcher = root.join(platform.launcher());
    if !launcher.is_file() {
        bail!("{script} succeeded but wrote no {launcher}");
    }
    Ok(())
}

/// The installed app, running in its own process group.
struct App {
    child: GroupChild,
    pid: u32,
    log: Utf8PathBuf,
}

impl App {
    fn stop(&mut self) -> Result<String> {
        if Platform::HOST == Platform::Windows {
            return self.stop_tree();
        }
        let started = Instant::now();
        let stopped = self.child.stop(STOP_GRACE).context("cannot stop the app")?;
        let took = started.elapsed().as_secs_f64();
        match stopped {
            Stopped::Terminated(status) => Ok(format!(
                "SIGTERM to its process group: it exited in {took:.2}s ({})",
                process::describe(status)
            )),
            Stopped::Killed(status) => bail!(
                "the app ignored SIGTERM for {}s and was killed ({}); its log: {}",
                STOP_GRACE.as_secs(),
                process::describe(status),
                self.log
            ),
            Stopped::AlreadyExited(status) => bail!(
                "the app had already exited ({}) before it was asked to stop. Its log:\n{}",
                process::describe(status),
                process::log_tail(&self.log, 20)
            ),
        }
    }
}

impl App {
    /// Windows has no process group to signal: `taskkill /T /F` ends the
    /// launcher (cmd.exe), the app it started and anything under them.
    fn stop_tree(&mut self) -> Result<String> {
        if let Some(status) = self.child.try_status().context("cannot check on the app")? {
            bail!(
                "the app had already exited ({}) before it was asked to stop. Its log:\n{}",
                process::describe(status),
                process::log_tail(&self.log, 20)
            );
        }
        let started = Instant::now();
        let pid = self.pid.to_string();
        let out = Command::new("taskkill")
            .args(["/PID", pid.as_str(), "/T", "/F"])
            .stdin(Stdio::null())
            .output()
            .context("cannot run taskkill to stop the app")?;
        let status = self
            .child
            .wait_for(STOP_GRACE)
            .context("cannot wait for the app")?;
        let took = started.elapsed().as_secs_f64();
        match status {
            Some(status) => Ok(format!(
                "taskkill /T /F on its process tree: it exited in {took:.2}s ({})",
                process::describe(status)
            )),
            None => bail!(
                "the app still runs {}s after `taskkill /PID {pid} /T /F` ({}: {}); its log: {}",
                STOP_GRACE.as_secs(),
                process::describe(out.status),
                String::from_utf8_lossy(&out.stderr).trim(),
                self.log
            ),
        }
    }
}

/// Where the app says it listens, from its first stdout line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    pub version: String,
    pub host: String,
    pub port: u16,
}

/// Parse `InvokeAI <version> listening on http://HOST:PORT/`. Pure.
pub fn parse_startup_line(line: &str) -> Result<Listening, String> {
    let line = line.trim();
    let bad = || {
        format!(
            "the app's first line {line:?} is not `InvokeAI <version> listening on http://HOST:PORT/`"
        )
    };
    let (who, url) = line.split_once(" listening on ").ok_or_else(bad)?;
    let version = who.strip_prefix("InvokeAI ").ok_or_else(bad)?.trim();
    let address = url
        .strip_prefix("http://")
        .ok_or_else(bad)?
        .trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 || version.is_empty() {
        return Err(bad());
    }
    Ok(Listening {
        version: version.to_owned(),
        host: host.to_owned(),
        port,
    })
}

/// `ROOT/invoke.sh --port 0 --host 127.0.0.1` (on Windows `cmd /d /c
/// ROOT\invoke.bat ...`), its stderr into `log`; waits for the first stdout line.
fn start(root: &Utf8Path, log: &Utf8Path) -> Result<(App, Listening)> {
    let line = Platform::HOST.start_command(root);
    let launcher = root.join(Platform::HOST.launcher());
    let log_file = std::fs::File::create(log).with_context(|| format!("cannot create {log}"))?;
    eprintln!("$ {}   (its log: {log})", line.join(" "));
    let mut child = GroupChild::spawn(
        command(&line)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file),
    )
    .with_context(|| format!("cannot start {launcher}"))?;
    let pid = child.child_mut().id();
    let stdout = child
        .child_mut()
        .stdout
        .take()
        .context("the app's stdout is not piped")?;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let first = reader.read_line(&mut line).map(|_| line);
        let _ = send.send(first);
        // Keep reading, so a later write to stdout never fails or blocks.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let app = App {
        child,
        pid,
        log: log.to_owned(),
    };
    let started = Instant::now();
    let first = loop {
        match receive.recv_timeout(Duration::from_millis(100)) {
            Err(mpsc::RecvTimeoutError::Timeout)
                if started.elapsed() < START_LIMIT && !process::interrupted() => {}
            other => break other,
        }
    };
    if process::interrupted() {
        bail!("interrupted (Ctrl-C or SIGTERM); the app was stopped");
    }
    let line = match first {
        Ok(Ok(line)) if !line.is_empty() => line,
        Ok(Ok(_)) | Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            let mut app = app;
            let status = app
                .child
                .wait_for(Duration::from_secs(5))
                .ok()
                .flatten()
                .map_or_else(|| "still running".to_owned(), process::describe);
            bail!(
                "the app closed its output before printing its address ({status}). Its log:\n{}",
                process::log_tail(log, 20)
            );
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(GaveUp(format!(
                "the app printed no address within {}s; it was stopped. Its log:\n{}",
                START_LIMIT.as_secs(),
                process::log_tail(log, 20)
            ))
            .into());
        }
    };
    let listening = parse_startup_line(&line).map_err(|why| anyhow!("{why}"))?;
    Ok((app, listening))
}

/// GET on loopback: plain HTTP, short time limit, no proxy, no redirect.
fn get(url: &str) -> Result<http::Response> {
    http::get(&http::Get {
        url,
        accept: None,
        timeout: HTTP_LIMIT,
        max_body: HTTP_MAX_BODY,
        truncate: false,
        redirects: 0,
        proxy_from_env: false,
    })
    .map_err(|err| anyhow!("GET {url} got no answer: {err}"))
}

/// The version endpoint's answer against the expected version (PEP 440
/// equality). Pure; the found version on success.
pub fn check_version_answer(status: u16, body: &str, expected: &Version) -> Result<String, String> {
    if status != 200 {
        return Err(format!("status {status}, expected 200"));
    }
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| format!("the answer is not JSON ({e}): {body:?}"))?;
    let found = value
        .get("version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("the answer has no \"version\" string: {body:?}"))?;
    let parsed = version::parse(found)
        .map_err(|why| format!("the app reports {found:?}, not a PEP 440 version: {why}"))?;
    if &parsed != expected {
        return Err(format!(
            "the app reports version {found}, but the installer is {expected}"
        ));
    }
    Ok(found.to_owned())
}

/// The UI page: 200, HTML, titled InvokeAI. Pure; the local assets it references.
pub fn check_page(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<Vec<String>, String> {
    if status != 200 {
        return Err(format!("status {status}, expected 200"));
    }
    let kind = content_type.unwrap_or_default();
    if !kind
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("text/html")
    {
        return Err(format!(
            "content type {kind:?}, expected text/html (is the UI built into the wheel?)"
        ));
    }
    match page_title(body).as_deref() {
        Some("InvokeAI") => {}
        Some(other) => {
            return Err(format!(
                "the page's title is {other:?}, expected \"InvokeAI\""
            ));
        }
        None => return Err("the page has no <title>".to_owned()),
    }
    let assets = html::asset_paths(body);
    if assets.is_empty() {
        return Err("the page references no script or stylesheet (is the UI built?)".to_owned());
    }
    Ok(assets)
}

/// The text of the page's `<title>`. Pure.
pub fn page_title(page: &str) -> Option<String> {
    let title = html::start_tags(page).find(|tag| tag.name == "title")?;
    Some(html::text_until_tag(page, title.end, "title"))
}

/// Load the page in headless Chromium: the version must render (state `ok`);
/// the DOM and a screenshot are saved under target/xtask/smoke/.
fn browser_check(layout: &Layout, tmp: &Utf8Path, url: &str, version: &Version) -> Result<String> {
    let dom = browser::dump_dom(&tmp.join("chromium-dom"), url)?;
    let out_dir = layout.smoke_dir();
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {out_dir}"))?;
    let dom_path = layout.smoke_dom();
    crate::archive::atomic::write(&dom_path, dom.as_bytes())?;
    let shot = layout.smoke_screenshot();
    let partial = out_dir.join(format!(".page-{}.png", std::process::id()));
    let taken = browser::screenshot(&tmp.join("chromium-shot"), url, &partial);
    if let Err(err) = taken {
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    std::fs::rename(&partial, &shot).with_context(|| format!("cannot move {partial} to {shot}"))?;

    let rendered = browser::rendered_version(&dom).with_context(|| {
        format!("the rendered page has no element with id=\"version\"; the DOM is in {dom_path}")
    })?;
    let shown = rendered.text.strip_prefix("Version ").unwrap_or_default();
    let agrees = version::parse(shown).is_ok_and(|v| &v == version);
    if rendered.state != "ok" || !agrees {
        bail!(
            "the page shows {:?} (data-state {:?}), expected \"Version {version}\" in state \"ok\"; see {dom_path} and {shot}",
            rendered.text,
            rendered.state
        );
    }
    Ok(format!(
        "Chromium renders {:?}; screenshot {shot}",
        rendered.text
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installer::checksums::{Commit, StampSource};

    fn v(text: &str) -> Version {
        version::parse(text).unwrap()
    }

    const PAGE: &str = r##"<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>InvokeAI</title>
    <script type="module" crossorigin src="/assets/index-B8rZQT0O.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/index-Bmyk1Lb8.css">
    <link rel="icon" href='favicon.svg'>
    <link rel="preconnect" href="https://fonts.example.com">
  </head>
  <body><a href="#top">top</a><img src="data:image/png;base64,AA"><main id="app"></main></body>
</html>"##;

    #[test]
    fn each_platform_runs_its_own_installer_and_launcher() {
        let root = Utf8Path::new("/tmp/smoke/root");
        assert_eq!(
            Platform::Unix.install_command(root),
            [
                "sh",
                "InvokeAI-Installer/install.sh",
                "--root",
                "/tmp/smoke/root",
                "--yes"
            ]
        );
        assert_eq!(
            Platform::Unix.start_command(root),
            [
                "/tmp/smoke/root/invoke.sh",
                "--port",
                "0",
                "--host",
                "127.0.0.1"
            ]
        );

        let root = Utf8Path::new(r"C:\Temp\smoke\root");
        assert_eq!(
            Platform::Windows.install_command(root),
            [
                "cmd",
                "/d",
                "/c",
                r"InvokeAI-Installer\install.bat",
                "--root",
                r"C:\Temp\smoke\root",
                "--yes"
            ]
        );
        let launcher = root.join("invoke.bat").into_string();
        assert_eq!(
            Platform::Windows.start_command(root),
            [
                "cmd",
                "/d",
                "/c",
                launcher.as_str(),
                "--port",
                "0",
                "--host",
                "127.0.0.1"
            ]
        );
        assert_eq!(
            (
                Platform::Windows.install_script(),
                Platform::Windows.launcher()
            ),
            ("install.bat", "invoke.bat")
        );
        // The bundle holds both scripts; the host picks its own.
        let expected = if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        };
        assert_eq!(Platform::HOST, expected);
    }

    #[test]
    fn the_startup_line_gives_the_address() {
        assert_eq!(
            parse_startup_line("InvokeAI 6.15.0rc1 listening on http://127.0.0.1:46089/\n"),
            Ok(Listening {
                version: "6.15.0rc1".into(),
                host: "127.0.0.1".into(),
                port: 46089
            })
        );
        assert_eq!(
            parse_startup_line("InvokeAI 1.0 listening on http://[::1]:9090/")
                .unwrap()
                .host,
            "[::1]"
        );
        for bad in [
            "",
            "Traceback (most recent call last):",
            "InvokeAI 1.0 listening on http://127.0.0.1/",
            "InvokeAI 1.0 listening on http://127.0.0.1:0/",
            "InvokeAI 1.0 listening on https://127.0.0.1:99/",
            "Other 1.0 listening on http://127.0.0.1:99/",
        ] {
            assert!(parse_startup_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_page_assets_are_its_local_scripts_and_styles() {
        assert_eq!(
            html::asset_paths(PAGE),
            vec![
                "/assets/index-B8rZQT0O.js",
                "/assets/index-Bmyk1Lb8.css",
                "/favicon.svg"
            ]
        );
        assert_eq!(html::asset_paths("<p>no links</p>"), Vec::<String>::new());
        assert_eq!(
            html::asset_paths("<script src=\"/a.js\"></script><script src=\"/a.js\"></script>"),
            vec!["/a.js"]
        );
    }

    #[test]
    fn the_page_must_be_the_titled_html_with_assets() {
        assert_eq!(page_title(PAGE).as_deref(), Some("InvokeAI"));
        assert_eq!(
            check_page(200, Some("text/html; charset=utf-8"), PAGE)
                .unwrap()
                .len(),
            3
        );
        assert!(
            check_page(404, Some("text/html"), PAGE)
                .unwrap_err()
                .contains("404")
        );
        assert!(
            check_page(200, Some("application/json"), PAGE)
                .unwrap_err()
                .contains("text/html")
        );
        let other = PAGE.replace("<title>InvokeAI</title>", "<title>Index of /</title>");
        assert!(
            check_page(200, Some("text/html"), &other)
                .unwrap_err()
                .contains("Index of /")
        );
        let bare = "<html><head><title>InvokeAI</title></head><body></body></html>";
        assert!(
            check_page(200, Some("text/html"), bare)
                .unwrap_err()
                .contains("no script")
        );
    }

    #[test]
    fn the_version_answer_is_compared_by_pep440() {
        let want = v("6.15.0rc1");
        assert_eq!(
            check_version_answer(200, r#"{"version": "6.15.0rc1"}"#, &want),
            Ok("6.15.0rc1".to_owned())
        );
        assert!(check_version_answer(200, r#"{"version": "6.15.0-RC1"}"#, &want).is_ok());
        assert!(
            check_version_answer(200, r#"{"version": "6.15.0"}"#, &want)
                .unwrap_err()
                .contains("reports version 6.15.0")
        );
        assert!(
            check_version_answer(500, "{}", &want)
                .unwrap_err()
                .contains("500")
        );
        assert!(
            check_version_answer(200, "<html>", &want)
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            check_version_answer(200, "{}", &want)
                .unwrap_err()
                .contains("no \"version\"")
        );
    }

    #[test]
    fn the_default_zip_is_the_installer_in_the_manifest() {
        let manifest = Manifest {
            version: "1.0".into(),
            commit: Commit::parse(&"ab".repeat(20)).unwrap(),
            timestamp: 0,
            timestamp_source: StampSource::SourceDateEpoch,
            dirty: Vec::new(),
            artifacts: vec![
                super::super::checksums::Artifact {
                    file: "invokeai-1.0-py3-none-any.whl".into(),
                    kind: Kind::Wheel,
                    size: 1,
                    sha256: "a".repeat(64),
                },
                super::super::checksums::Artifact {
                    file: "InvokeAI-installer-v1.0.zip".into(),
                    kind: Kind::Installer,
                    size: 1,
                    sha256: "b".repeat(64),
                },
            ],
        };
        let dist = Utf8Path::new("/r/dist");
        assert_eq!(
            default_zip(dist, Some(&manifest.to_json())).unwrap(),
            "/r/dist/InvokeAI-installer-v1.0.zip"
        );
        let missing = default_zip(dist, None).unwrap_err().to_string();
        assert!(missing.contains("cargo xtask build-installer"), "{missing}");
        let mut none = manifest.clone();
        none.artifacts.retain(|a| a.kind != Kind::Installer);
        assert!(
            default_zip(dist, Some(&none.to_json()))
                .unwrap_err()
                .to_string()
                .contains("no installer")
        );
        assert!(default_zip(dist, Some("not json")).is_err());
    }

    #[test]
    fn the_zip_is_checked_against_sha256sums_beside_it() {
        let sums = format!("{}  InvokeAI-installer-v1.0.zip\n", "a".repeat(64));
        let name = "InvokeAI-installer-v1.0.zip";
        assert!(
            checksum_verdict(&sums, name, &"a".repeat(64))
                .unwrap()
                .contains("matches")
        );
        let damaged = checksum_verdict(&sums, name, &"b".repeat(64)).unwrap_err();
        assert!(damaged.contains("damaged"), "{damaged}");
        assert!(
            checksum_verdict(&sums, "other.zip", &"b".repeat(64))
                .unwrap()
                .contains("does not list")
        );
        assert!(checksum_verdict("garbage\n", name, &"a".repeat(64)).is_err());
    }

    #[test]
    fn unzip_restores_modes_and_refuses_escaping_members() {
        use crate::archive::{ArchiveWriter, Member, ZipWriter};
        let dir = std::env::temp_dir().join(format!("xtask-unzip-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
        let write = |name: &str, members: &[(&str, u32)]| {
            let path = dir.join(name);
            let file = std::fs::File::create(&path).unwrap();
            let mut zip: Box<dyn ArchiveWriter> = Box::new(ZipWriter::new(file, 315_532_800));
            for (member, mode) in members {
                zip.append(&Member {
                    name: member,
                    mode: *mode,
                    is_dir: false,
                    data: b"#!/bin/sh\n",
                    deflated: None,
                })
                .unwrap();
            }
            zip.finish().unwrap();
            path
        };
        let good = write(
            "good.zip",
            &[("B/install.sh", 0o755), ("B/lib/a.py", 0o644)],
        );
        let out = dir.join("out");
        assert_eq!(unzip(&good, &out).unwrap(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &str| std::fs::metadata(out.join(p)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode("B/install.sh"), 0o755);
            assert_eq!(mode("B/lib/a.py"), 0o644);
        }
        let evil = write("evil.zip", &[("../escaped.sh", 0o755)]);
        let err = unzip(&evil, &dir.join("out2")).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
        assert!(!dir.join("escaped.sh").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_report_names_every_step_and_the_failure() {
        let mut report = Report::default();
        report
            .step("unzip", || Ok(((), "10 files".to_owned())))
            .unwrap();
        let err = report
            .step::<()>("install", || Err(anyhow!("no Python")))
            .unwrap_err();
        assert_eq!(format!("{err:#}"), "step `install` failed: no Python");
        let table = report.render(Some(&err));
        assert!(table.contains("unzip     ok"), "{table}");
        assert!(table.contains("install   FAILED"), "{table}");
        assert!(table.contains("no Python"), "{table}");
    }

    /// A step that ran out of time is named as the one that gave up, in the
    /// error, on stderr and in the table.
    #[test]
    fn a_step_out_of_time_is_reported_as_giving_up() {
        let mut report = Report::default();
        report
            .step("unzip", || Ok(((), "10 files".to_owned())))
            .unwrap();
        let err = report
            .step::<()>("install", || {
                Err(GaveUp("install.sh did not finish within 2s".into()).into())
            })
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "step `install` gave up: install.sh did not finish within 2s"
        );
        let table = report.render(Some(&err));
        assert!(
            table.contains("install   GAVE UP") && table.contains("did not finish within 2s"),
            "{table}"
        );
    }
}
