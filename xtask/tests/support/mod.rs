//! Shared helpers of the xtask's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root (the parent of the xtask crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent")
        .to_path_buf()
}

/// The xtask binary under test.
pub fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

/// Run a command, returning its output; panics only if it cannot start.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
}

/// Run a command and assert it succeeded, showing its output otherwise.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Make sure the development environment exists (once per test binary) and
/// return the venv's Python.
pub fn venv_python() -> PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        run_ok(xtask().args(["setup", "--python"]));
    });
    repo_root().join(".venv/bin/python")
}

/// Make sure the front end's node modules exist (once per test binary).
pub fn node_modules() -> PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        run_ok(xtask().args(["setup", "--frontend"]));
    });
    repo_root().join("frontend/node_modules")
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("xtask-test-")
        .tempdir()
        .expect("cannot create a temp dir")
}

/// A child process killed (and reaped) when dropped, so no test leaves one behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `invokeai-web`-like `cmd` (which must bind `--port 0` and print
/// `... listening on http://HOST:PORT/` as its first stdout line) and return
/// the guard and the port it bound.
pub fn start_app(cmd: &mut Command) -> (ChildGuard, u16) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = ChildGuard(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the startup line");
    let port = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the startup line {line:?}"));
    (guard, port)
}

/// A minimal HTTP/1.0 GET on loopback: (status, body).
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the app");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response head {head:?}"));
    (status, body.to_owned())
}

/// The app's version, read from the version file the way a maintainer reads it.
pub fn app_version() -> String {
    let text =
        std::fs::read_to_string(repo_root().join("python/invokeai/version/invokeai_version.py"))
            .expect("read the version file");
    text.lines()
        .find_map(|l| l.strip_prefix("__version__ = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a __version__ line")
        .to_owned()
}

/// Whether `CI` holds a true value: set, and not empty, `0`, `false`, `no`
/// or `off` (in any case).
pub fn truthy(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| {
        let v = v.to_string_lossy().trim().to_ascii_lowercase();
        !matches!(v.as_str(), "" | "0" | "false" | "no" | "off")
    })
}

/// Whether a snapshot test may run with this `INSTA_UPDATE` and `CI`: under
/// CI a run must check the pinned text, never write it, so a value that
/// writes (`always`, `new`, `unseen`, `force`, anything but `auto` or `no`)
/// is an error there. With `auto` (the default) insta itself writes nothing
/// under CI.
pub fn snapshot_writes_allowed(
    update: Option<&std::ffi::OsStr>,
    ci: Option<&std::ffi::OsStr>,
) -> Result<(), String> {
    let update = update.map(|v| v.to_string_lossy().into_owned());
    match update.as_deref() {
        None | Some("" | "auto" | "no") => Ok(()),
        Some(_) if !truthy(ci) => Ok(()),
        Some(value) => Err(format!(
            "INSTA_UPDATE={value} under CI={:?}: snapshots are never rewritten in CI; refresh them locally and commit them",
            ci.unwrap_or_default()
        )),
    }
}

/// Run insta assertions on the snapshots in `xtask/tests/snapshots/`, named
/// `NAME.snap` after the name given to `insta::assert_snapshot!`. A changed
/// text fails the test; outside CI insta leaves the new text beside the
/// snapshot as `NAME.snap.new` for `cargo insta review` (or
/// `INSTA_UPDATE=always` rewrites it in place). Under CI nothing is written.
pub fn pinned(assertions: impl FnOnce()) {
    snapshot_writes_allowed(
        std::env::var_os("INSTA_UPDATE").as_deref(),
        std::env::var_os("CI").as_deref(),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(assertions);
}

/// The subcommands a help text lists under `Commands:`, in its order
/// (without `help`).
pub fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Copy a directory tree (files and folders only), skipping `skip` names.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, skip);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
