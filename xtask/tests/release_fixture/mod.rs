//! Throwaway repositories and package indexes for the release commands' tests.
//!
//! - `Repo`: the `fixtures/release` checkout copied into a temp dir, made a
//!   git repository with a bare remote, with git isolated from the machine's
//!   configuration and identities and dates pinned.
//! - `Server`: a child process (pypiserver, `python -m http.server`) on a free
//!   loopback port, killed and reaped on drop.
//! - `RawServer`: a loopback HTTP answerer in a thread, for answers no real
//!   server gives (PEP 691 JSON from a handful of bytes, garbage, silence).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{self, output, run_ok, stdout};

/// The environment every git (and xtask) process of these tests gets: no
/// global or system configuration, fixed identities and dates.
pub fn isolate(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ann Maintainer")
        .env("GIT_AUTHOR_EMAIL", "ann@example.org")
        .env("GIT_COMMITTER_NAME", "Ann Maintainer")
        .env("GIT_COMMITTER_EMAIL", "ann@example.org")
        .env("GIT_AUTHOR_DATE", "2024-01-01T12:00:00+00:00")
        .env("GIT_COMMITTER_DATE", "2024-01-01T12:00:00+00:00")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GITHUB_REF")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GH_REPO")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
}

/// git in `dir`, isolated.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = run_ok(isolate(Command::new("git").arg("-C").arg(dir).args(args)));
    stdout(&out).trim_end().to_owned()
}

/// A checkout of the release fixture with a bare remote `origin`.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub remote: PathBuf,
}

impl Repo {
    /// The fixture at `version`, one commit on `main`, pushed to `origin`.
    pub fn new(version: &str) -> Self {
        let repo = Self::without_remote(version);
        let remote = repo.remote.clone();
        run_ok(isolate(
            Command::new("git")
                .args(["init", "--quiet", "--bare", "-b", "main"])
                .arg(&remote),
        ));
        git(
            &repo.root,
            &["remote", "add", "origin", remote.to_str().unwrap()],
        );
        git(&repo.root, &["push", "--quiet", "origin", "main"]);
        repo
    }

    /// The fixture as a repository with no remote at all.
    pub fn without_remote(version: &str) -> Self {
        let dir = support::tempdir();
        let root = dir.path().join("work");
        copy_dir(
            &support::repo_root().join("xtask/tests/fixtures/release"),
            &root,
        );
        let repo = Self {
            root,
            remote: dir.path().join("remote.git"),
            _dir: dir,
        };
        repo.set_version(version);
        git(&repo.root, &["init", "--quiet", "-b", "main"]);
        git(&repo.root, &["add", "."]);
        git(
            &repo.root,
            &["commit", "--quiet", "-m", "Start the project"],
        );
        repo
    }

    pub fn set_version(&self, version: &str) {
        self.write(
            "python/invokeai/version/invokeai_version.py",
            &format!("__version__ = \"{version}\"\n"),
        );
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Write a file and commit it.
    pub fn commit(&self, rel: &str, text: &str, message: &str) -> String {
        self.write(rel, text);
        git(&self.root, &["add", rel]);
        git(&self.root, &["commit", "--quiet", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        git(&self.root, &["rev-parse", "HEAD"])
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.root, args)
    }

    /// The remote's git.
    pub fn remote_git(&self, args: &[&str]) -> String {
        git(&self.remote, args)
    }

    /// Every ref of the checkout and of the remote, with what it points at.
    pub fn refs(&self) -> String {
        let fmt = "--format=%(refname) %(objectname)";
        let local = git(&self.root, &["for-each-ref", fmt]);
        let remote = if self.remote.exists() {
            git(&self.remote, &["for-each-ref", fmt])
        } else {
            String::new()
        };
        format!("local:\n{local}\nremote:\n{remote}\n")
    }

    /// The remote's tags: name -> object.
    pub fn remote_tags(&self) -> BTreeMap<String, String> {
        git(
            &self.remote,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/tags",
            ],
        )
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, o)| (r.to_owned(), o.to_owned()))
        .collect()
    }

    /// The commit a tag of the checkout points at, if any.
    pub fn local_tag(&self, tag: &str) -> Option<String> {
        let out = output(isolate(
            Command::new("git")
                .arg("-C")
                .arg(&self.root)
                .args(["rev-parse", "--verify", "--quiet"])
                .arg(format!("refs/tags/{tag}^{{commit}}")),
        ));
        out.status.success().then(|| stdout(&out).trim().to_owned())
    }

    /// Every file under the checkout and the remote (`.git` included) with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for base in [&self.root, &self.remote] {
            if base.exists() {
                walk(base, &mut files);
            }
        }
        files
    }

    /// `cargo xtask ARGS --repo ROOT`, isolated, stdin closed.
    pub fn xtask(&self, args: &[&str]) -> Command {
        let mut cmd = support::xtask();
        cmd.args(args).arg("--repo").arg(&self.root);
        isolate(&mut cmd).stdin(Stdio::null());
        cmd
    }
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            walk(&path, files);
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A loopback port nobody listens on (right now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server child process, killed and reaped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    /// The simple API root, `http://127.0.0.1:PORT/simple/`.
    pub index: String,
    _log: tempfile::NamedTempFile,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start `args` (with `{port}` replaced) until one free port works.
    fn start(program: &Path, args: &[&str]) -> Self {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().unwrap();
            let args: Vec<String> = args
                .iter()
                .map(|a| a.replace("{port}", &port.to_string()))
                .collect();
            let child = Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(log.reopen().unwrap())
                .stderr(log.reopen().unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {program:?}: {e}"));
            let mut server = Server {
                child,
                port,
                index: format!("http://127.0.0.1:{port}/simple/"),
                _log: log,
            };
            if server.wait_until_listening() {
                return server;
            }
            last_log = std::fs::read_to_string(server._log.path()).unwrap_or_default();
        }
        panic!("{program:?} {args:?} did not start listening:\n{last_log}");
    }

    /// Poll the port; false if the process exits first (port taken, ...).
    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// pypiserver (from the dev venv) serving the wheels and sdists in `packages`.
    pub fn pypiserver(packages: &Path) -> Self {
        let python = support::venv_python();
        Self::start(
            &python,
            &[
                "-m",
                "pypiserver",
                "run",
                "--port",
                "{port}",
                "--interface",
                "127.0.0.1",
                "--disable-fallback",
                packages.to_str().unwrap(),
            ],
        )
    }

    /// A static file tree (`root/simple/<project>/index.html`) over HTTP.
    pub fn static_tree(root: &Path) -> Self {
        let python = support::venv_python();
        Self::start(
            &python,
            &[
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                root.to_str().unwrap(),
                "{port}",
            ],
        )
    }
}

/// Tiny but real distribution files for `name` `version` in `dir`: a wheel
/// (a zip with METADATA) and an sdist (a gzipped tar with PKG-INFO), made by
/// Python's zipfile and tarfile. Their names are what matters to an index.
pub fn write_dists(dir: &Path, sdist: &str, wheel: &str, version: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let python = support::venv_python();
    let script = r#"
import io, sys, tarfile, zipfile
d, sdist, wheel, version = sys.argv[1:]
meta = f"Metadata-Version: 2.1\nName: InvokeAI\nVersion: {version}\n".encode()
with zipfile.ZipFile(f"{d}/{wheel}", "w") as z:
    z.writestr(f"invokeai-{version}.dist-info/METADATA", meta)
with tarfile.open(f"{d}/{sdist}", "w:gz") as t:
    info = tarfile.TarInfo(f"invokeai-{version}/PKG-INFO")
    info.size = len(meta)
    t.addfile(info, io.BytesIO(meta))
"#;
    run_ok(
        Command::new(python)
            .args(["-c", script])
            .arg(dir)
            .args([sdist, wheel, version]),
    );
}

/// Bytes to answer a request path with.
pub type Answerer = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// What a `RawServer` does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Answer with these bytes for a request path (a full HTTP response, or not).
    Answer(Answerer),
    /// Read the request, then say nothing until stopped.
    Hang,
}

/// An HTTP-ish server in a thread on a loopback port; stopped on drop.
pub struct RawServer {
    pub port: u16,
    pub index: String,
    /// Every request head received.
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let head = read_head(&mut stream);
                    requests.lock().unwrap().push(head.clone());
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    match &behaviour {
                        Behaviour::Answer(answer) => {
                            let _ = stream.write_all(&answer(&path));
                        }
                        Behaviour::Hang => held.push(stream),
                    }
                }
            })
        };
        RawServer {
            port,
            index: format!("http://127.0.0.1:{port}/simple/"),
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// Answer every request with the same bytes.
    pub fn fixed(bytes: &'static [u8]) -> Self {
        Self::start(Behaviour::Answer(Arc::new(move |_| bytes.to_vec())))
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A complete HTTP/1.1 response.
pub fn http_response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
