//! A child process in a group of its own (a process group on Unix, a job
//! object on Windows, both through `process-wrap`): waited for with a bound,
//! and stopped together with everything it started (a launcher script's app,
//! a browser's helper processes). Dropping one ends its group.
//!
//! A child in its own group does not get the terminal's Ctrl-C, nor the
//! SIGHUP of a closed terminal or SSH session, so a command that starts
//! them calls [`catch_interrupts`] first: the bounded waits then give up on
//! any of [`STOP_SIGNALS`] with an error, and unwinding ends the groups.

use std::ffi::c_int;
use std::io::{self, Read, Seek, SeekFrom};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use camino::Utf8Path;
use process_wrap::std::{StdChildWrapper, StdCommandWrap};

use crate::util::redact;

static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The signals that stop a run and everything it started: Ctrl-C (SIGINT),
/// SIGTERM, and SIGHUP (the terminal or SSH session was closed). Their
/// default would end the xtask alone and leave the children's groups
/// running. Windows has no SIGHUP.
#[cfg(unix)]
pub const STOP_SIGNALS: &[c_int] = &[
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];
#[cfg(not(unix))]
pub const STOP_SIGNALS: &[c_int] = &[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];

/// From now on, [`STOP_SIGNALS`] set a flag the waits below notice, instead
/// of ending the xtask at once (which would leave the groups running); a
/// second signal ends it at once (exit code 130).
pub fn catch_interrupts() -> Result<()> {
    if INTERRUPTED.get().is_some() {
        return Ok(());
    }
    let flag = Arc::new(AtomicBool::new(false));
    for &signal in STOP_SIGNALS {
        // Registered first, so it runs first: it sees the flag of an earlier signal.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))
            .context("cannot install the Ctrl-C handler")?;
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("cannot install the Ctrl-C handler")?;
    }
    let _ = INTERRUPTED.set(flag);
    Ok(())
}

/// Whether one of [`STOP_SIGNALS`] arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED
        .get()
        .is_some_and(|flag| flag.load(Ordering::SeqCst))
}

fn interrupted_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "interrupted (Ctrl-C, SIGTERM or SIGHUP)",
    )
}

/// How often a bounded wait looks at the child.
const POLL: Duration = Duration::from_millis(20);

/// A running child that leads a group of its own: a process group on Unix
/// (`setpgid`, signalled with `killpg`), a job object on Windows (ended with
/// `TerminateJobObject`).
pub struct GroupChild {
    child: Box<dyn StdChildWrapper>,
    status: Option<ExitStatus>,
}

/// How [`GroupChild::stop`] ended the child.
#[derive(Debug, Clone, Copy)]
pub enum Stopped {
    /// It had exited before it was asked to.
    AlreadyExited(ExitStatus),
    /// It exited within the grace period after SIGTERM.
    Terminated(ExitStatus),
    /// It ignored SIGTERM and was killed.
    Killed(ExitStatus),
}

impl GroupChild {
    /// Start `command` as the leader of a new group (`command` itself is
    /// left as it was given, for error messages).
    pub fn spawn(command: &mut Command) -> io::Result<Self> {
        let mut wrapped = StdCommandWrap::from(std::mem::replace(command, Command::new("")));
        #[cfg(unix)]
        wrapped.wrap(process_wrap::std::ProcessGroup::leader());
        #[cfg(windows)]
        wrapped.wrap(process_wrap::std::JobObject);
        let spawned = wrapped.spawn();
        *command = wrapped.into_command();
        Ok(Self {
            child: spawned?,
            status: None,
        })
    }

    /// The child, e.g. to take its piped stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        self.child.inner_mut()
    }

    /// Whether the main process has exited, giving its status (and ending what
    /// it left running in its group) if so. Does not wait, and never waits
    /// for what the main process started.
    pub fn try_status(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_some() {
            return Ok(self.status);
        }
        let Some(status) = self.child.try_wait()? else {
            return Ok(None);
        };
        // The main process is reaped, but while anything it started still
        // runs, the group (its id is the main process's) lives on and its
        // id is not handed out again: the signal reaches only that group.
        // An emptied group is gone, and the signal then reaches nothing.
        let _ = self.child.start_kill();
        self.status = Some(status);
        Ok(Some(status))
    }

    /// Wait up to `limit` for the main process to exit; `None` if it still
    /// runs; an error if interrupted (see [`catch_interrupts`]).
    pub fn wait_for(&mut self, limit: Duration) -> io::Result<Option<ExitStatus>> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.try_status()? {
                return Ok(Some(status));
            }
            if interrupted() {
                return Err(interrupted_error());
            }
            if started.elapsed() >= limit {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Ask the whole group to stop: SIGTERM to the process group on Unix;
    /// Windows has no such request, so there the job is ended at once.
    pub fn terminate(&mut self) {
        if self.status.is_some() {
            return;
        }
        #[cfg(unix)]
        let _ = self.child.signal(signal_hook::consts::SIGTERM);
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
    }

    /// End the whole group now (SIGKILL, or the job ended) and collect the
    /// main process's status; its status if it had exited already.
    pub fn kill(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let _ = self.child.start_kill();
        // The main process alone: the rest of the group was killed with it
        // and is not waited for.
        let status = self.child.inner_mut().wait()?;
        self.status = Some(status);
        Ok(status)
    }

    /// SIGTERM to the group, then SIGKILL if the main process has not exited
    /// after `grace`.
    pub fn stop(&mut self, grace: Duration) -> io::Result<Stopped> {
        if let Some(status) = self.try_status()? {
            return Ok(Stopped::AlreadyExited(status));
        }
        self.terminate();
        let started = Instant::now();
        while started.elapsed() < grace {
            if let Some(status) = self.try_status()? {
                return Ok(Stopped::Terminated(status));
            }
            std::thread::sleep(POLL);
        }
        Ok(Stopped::Killed(self.kill()?))
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Read a pipe to its end on a thread of its own (so a chatty child never
/// blocks on a full pipe while it is waited for).
pub fn drain<R: Read + Send + 'static>(mut pipe: R) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The variables `cargo run` sets for the program it runs (here, the xtask).
/// A cargo the xtask starts must not inherit them: build scripts that watch
/// one (ring's watches CARGO_MANIFEST_DIR) would then run again, and every
/// dependency above them be recompiled, each time the next cargo is started
/// from a shell instead.
pub fn cargo_run_vars() -> Vec<String> {
    const EXACT: [&str; 6] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| EXACT.contains(&key.as_str()) || key.starts_with("CARGO_PKG_"))
        .collect()
}

/// `cargo` (the one that runs the xtask, if any) without [`cargo_run_vars`].
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    for key in cargo_run_vars() {
        command.env_remove(key);
    }
    command
}

/// How a bounded run ended.
#[derive(Debug)]
pub enum Bounded {
    /// It exited in time.
    Exited(std::process::Output),
    /// It was still running at the limit and was stopped, with what it
    /// had written to stderr by then.
    TimedOut { stderr: Vec<u8> },
    /// It wrote more than `cap` bytes to stdout and was stopped there.
    TooLong { cap: usize },
}

/// The most of a bounded run's stderr that is kept (the rest is read and
/// dropped): enough for any error message.
const STDERR_CAP: usize = 256 * 1024;

/// Run `command` (stdin closed, stdout and stderr captured) for at most
/// `limit` and at most `cap` bytes of stdout; past either, its whole
/// process group is stopped (as it is on an interrupt, once
/// [`catch_interrupts`] was called). Of stderr the first 256 KiB are kept.
pub fn run_bounded(command: &mut Command, limit: Duration, cap: usize) -> io::Result<Bounded> {
    use std::process::Stdio;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = GroupChild::spawn(command)?;
    let over = Arc::new(AtomicBool::new(false));
    let stdout =
        (child.child_mut().stdout.take()).map(|p| drain_capped(p, cap, Some(over.clone())));
    let stderr = (child.child_mut().stderr.take()).map(|p| drain_capped(p, STDERR_CAP, None));
    let collect = |pipe: Option<JoinHandle<Vec<u8>>>| {
        pipe.and_then(|handle| handle.join().ok())
            .unwrap_or_default()
    };
    let started = Instant::now();
    loop {
        let status = child.wait_for(POLL)?;
        if over.load(Ordering::SeqCst) {
            child.stop(Duration::from_secs(1))?;
            let _ = (collect(stdout), collect(stderr));
            return Ok(Bounded::TooLong { cap });
        }
        if let Some(status) = status {
            return Ok(Bounded::Exited(std::process::Output {
                status,
                stdout: collect(stdout),
                stderr: collect(stderr),
            }));
        }
        if started.elapsed() >= limit {
            child.stop(Duration::from_secs(1))?;
            let _ = collect(stdout);
            return Ok(Bounded::TimedOut {
                stderr: collect(stderr),
            });
        }
    }
}

/// Read a pipe on a thread of its own, keeping its first `cap` bytes. Past
/// them: with `over`, set it and stop reading (the writer then gets EPIPE);
/// without, read on to the end and drop the rest (so the writer never
/// blocks on a full pipe).
pub fn drain_capped<R: Read + Send + 'static>(
    mut pipe: R,
    cap: usize,
    over: Option<Arc<AtomicBool>>,
) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let room = cap.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
            if n > room {
                if let Some(over) = &over {
                    over.store(true, Ordering::SeqCst);
                    break;
                }
            }
        }
        kept
    })
}

/// An exit status in words: `exit code 1`, `killed by signal 9`.
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            use signal_hook::consts::signal::*;
            let name = match signal {
                SIGHUP => ", SIGHUP",
                SIGINT => ", SIGINT",
                SIGKILL => ", SIGKILL",
                SIGSEGV => ", SIGSEGV",
                SIGPIPE => ", SIGPIPE",
                SIGTERM => ", SIGTERM",
                SIGABRT => ", SIGABRT",
                _ => "",
            };
            return format!("killed by signal {signal}{name}");
        }
    }
    status.to_string()
}

/// The last `n` lines of `text` (a child's output), for error messages:
/// made safe to show (no credentials, no terminal controls).
pub fn tail(text: &str, n: usize) -> String {
    let text = redact::shown(text);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// The last `n` lines of a log file, for error messages; only its last
/// 64 KiB are read, however large it grew.
pub fn log_tail(log: &Utf8Path, n: usize) -> String {
    const WINDOW: u64 = 64 * 1024;
    let read = || -> io::Result<String> {
        let mut file = std::fs::File::open(log)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(WINDOW)))?;
        let mut bytes = Vec::new();
        file.take(WINDOW).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => tail(&text, n),
        Err(err) => format!("(cannot read {log}: {err})"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 3), "");
        assert_eq!(
            tail(
                "one\n\x1b[31mfatal\x1b[0m: https://u:ghp_A1b2C3d4E5f6G7h8@h/r\n",
                1
            ),
            "fatal: https://***@h/r"
        );
    }

    #[test]
    fn a_bounded_wait_gives_up_and_stop_ends_the_whole_group() {
        // The shell starts a grandchild and ignores SIGTERM: only the group kill ends both.
        let mut child = GroupChild::spawn(
            Command::new("sh")
                .args(["-c", "trap '' TERM; sleep 30 & wait"])
                .stdout(std::process::Stdio::piped()),
        )
        .unwrap();
        let out = drain(child.child_mut().stdout.take().unwrap());
        assert!(child.wait_for(Duration::from_millis(50)).unwrap().is_none());
        let stopped = child.stop(Duration::from_millis(200)).unwrap();
        assert!(matches!(stopped, Stopped::Killed(_)), "{stopped:?}");
        // The grandchild held the pipe open: it ends only if the grandchild was killed too.
        assert!(out.join().unwrap().is_empty());
    }

    /// What the main process started is not waited for: its status comes
    /// when it exits, and what it left running in its group is ended then.
    #[test]
    fn the_main_process_exiting_ends_what_it_left_running() {
        let mut child = GroupChild::spawn(
            Command::new("sh")
                .args(["-c", "sleep 60 & exit 4"])
                .stdout(std::process::Stdio::piped()),
        )
        .unwrap();
        let out = drain(child.child_mut().stdout.take().unwrap());
        let started = Instant::now();
        let status = child.wait_for(Duration::from_secs(30)).unwrap().unwrap();
        assert_eq!(describe(status), "exit code 4");
        // The sleep holds the pipe open: its end comes only if the sleep was killed.
        assert!(out.join().unwrap().is_empty());
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn a_child_that_exits_reports_its_status() {
        let mut child = GroupChild::spawn(Command::new("sh").args(["-c", "exit 3"])).unwrap();
        let status = child.wait_for(Duration::from_secs(20)).unwrap().unwrap();
        assert_eq!(describe(status), "exit code 3");
        assert!(matches!(
            child.stop(Duration::from_millis(10)).unwrap(),
            Stopped::AlreadyExited(_)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_bounded_run_returns_output_or_gives_up() {
        let done = run_bounded(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            Duration::from_secs(10),
            1024,
        )
        .unwrap();
        let Bounded::Exited(out) = done else {
            panic!("{done:?}")
        };
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.as_slice()),
            (&b"out\n"[..], &b"err\n"[..])
        );
        let started = Instant::now();
        let hung = run_bounded(
            Command::new("sh").args(["-c", "echo waiting >&2; sleep 600 & wait"]),
            Duration::from_millis(300),
            1024,
        )
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(60));
        let Bounded::TimedOut { stderr } = hung else {
            panic!("{hung:?}")
        };
        assert_eq!(stderr, b"waiting\n");
    }

    /// A child that writes without end is stopped once it passed the cap,
    /// long before the time limit, having used no more memory than the cap.
    #[test]
    fn a_bounded_run_stops_a_child_that_writes_past_the_cap() {
        let started = Instant::now();
        let flood = run_bounded(
            Command::new("sh").args(["-c", "trap '' PIPE; cat /dev/zero; sleep 600"]),
            Duration::from_secs(120),
            1 << 20,
        )
        .unwrap();
        assert!(
            matches!(flood, Bounded::TooLong { cap: 1048576 }),
            "{flood:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        // stderr past its cap is dropped, and the child still runs to its end.
        let noisy = run_bounded(
            Command::new("sh").args(["-c", "head -c 3000000 /dev/zero >&2; echo done"]),
            Duration::from_secs(60),
            1024,
        )
        .unwrap();
        let Bounded::Exited(out) = noisy else {
            panic!("{noisy:?}")
        };
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.len()),
            (&b"done\n"[..], STDERR_CAP)
        );
    }

    /// cargo sets these for the tests as `cargo run` does for the xtask: a
    /// cargo started from here must not see them.
    #[test]
    fn a_cargo_started_here_does_not_inherit_cargo_runs_variables() {
        let vars = cargo_run_vars();
        assert!(vars.iter().any(|v| v == "CARGO_MANIFEST_DIR"), "{vars:?}");
        assert!(vars.iter().any(|v| v == "CARGO_PKG_NAME"), "{vars:?}");
        let command = cargo();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        for var in &vars {
            assert!(removed.contains(var), "{var} is inherited");
        }
        assert!(
            !removed
                .iter()
                .any(|v| v == "CARGO_HOME" || v == "CARGO_TARGET_DIR")
        );
    }
}
