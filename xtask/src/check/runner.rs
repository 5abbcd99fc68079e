//! Runs the checks' processes: at most `-j` at a time, each in its own process
//! group with its output streamed into a log file, stopping them all (and
//! everything they started) on Ctrl-C or on the first failure under
//! `--fail-fast`. Of a finished check's log only the end ([`KEPT`] bytes) is
//! read back into memory, however much the check wrote.
//!
//! Which job starts next is decided by [`to_start`], a pure function of the
//! jobs' states, so the scheduling is tested without starting anything.

use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

use crate::util::process::{GroupChild, describe};
use crate::util::redact;

/// How long stopped checks get to exit after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_millis(1500);
/// How often running children (and Ctrl-C) are looked at.
const POLL: Duration = Duration::from_millis(20);
/// The most of a log read back (its end): what the failure's excerpt and
/// GitHub's group and annotations are made from. The log file keeps it all.
pub const KEPT: u64 = 1 << 20;

/// The scheduling facts of a job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Jobs that must be finished (whatever their result) before this one starts.
    pub after: Vec<usize>,
    /// Heavier jobs start first among those ready.
    pub cost: u32,
}

/// One process to run.
#[derive(Debug)]
pub struct Job {
    pub name: String,
    pub node: Node,
    /// The program, its arguments, folder and environment (stdio and process
    /// group are set by the runner).
    pub command: Command,
    /// Where stdout and stderr go, both into one file in the order written.
    pub log: Utf8PathBuf,
    /// The first line of the log: the command, for people reading the log.
    pub header: String,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Waiting,
    Running,
    Passed,
    Failed,
    /// Was running when the run was stopped.
    Stopped,
    /// Never started because the run was stopped.
    Cancelled,
}

impl Status {
    pub fn is_finished(self) -> bool {
        !matches!(self, Status::Waiting | Status::Running)
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Running => "running",
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Stopped => "stopped",
            Status::Cancelled => "cancelled",
        }
    }
}

/// The end of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub duration: Option<Duration>,
    /// The captured stdout and stderr, interleaved as written: the last
    /// [`KEPT`] bytes of the log at most (a first line says when more is
    /// only in the log), made safe to show (no credentials, no terminal
    /// controls).
    pub output: String,
    /// How the process ended, in words, when it did not pass.
    pub exit: Option<String>,
}

impl Outcome {
    fn cancelled() -> Self {
        Outcome {
            status: Status::Cancelled,
            duration: None,
            output: String::new(),
            exit: None,
        }
    }
}

/// What the run tells its viewer as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    Started(usize),
    Finished(usize, &'a Outcome),
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// At most this many jobs at a time (at least 1).
    pub jobs: usize,
    /// Stop everything at the first failure.
    pub fail_fast: bool,
}

/// The result of a run: one outcome per job, in job order.
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Ctrl-C (or SIGTERM) stopped the run.
    pub interrupted: bool,
}

/// The jobs to start now: those waiting whose predecessors have all finished,
/// heaviest first and then in list order, while fewer than `limit` run.
pub fn to_start(nodes: &[Node], status: &[Status], limit: usize) -> Vec<usize> {
    let running = status.iter().filter(|s| **s == Status::Running).count();
    let free = limit.max(1).saturating_sub(running);
    let mut ready: Vec<usize> = (0..nodes.len())
        .filter(|&i| status[i] == Status::Waiting)
        .filter(|&i| {
            nodes[i]
                .after
                .iter()
                .all(|&j| status.get(j).is_none_or(|s| s.is_finished()))
        })
        .collect();
    ready.sort_by_key(|&i| (std::cmp::Reverse(nodes[i].cost), i));
    ready.truncate(free);
    ready
}

struct Running {
    index: usize,
    child: GroupChild,
    started: Instant,
}

/// The jobs' states and outcomes, told to the viewer as they change.
struct Board<F> {
    status: Vec<Status>,
    outcomes: Vec<Option<Outcome>>,
    on_event: F,
}

impl<F: FnMut(Event<'_>)> Board<F> {
    fn start(&mut self, index: usize) {
        self.status[index] = Status::Running;
        (self.on_event)(Event::Started(index));
    }

    fn finish(&mut self, index: usize, outcome: Outcome) {
        self.status[index] = outcome.status;
        (self.on_event)(Event::Finished(index, &outcome));
        self.outcomes[index] = Some(outcome);
    }
}

/// Run the jobs; `interrupt` is set by the Ctrl-C handler.
pub fn run(
    jobs: Vec<Job>,
    settings: Settings,
    interrupt: &AtomicBool,
    on_event: impl FnMut(Event<'_>),
) -> Result<Report> {
    let nodes: Vec<Node> = jobs.iter().map(|job| job.node.clone()).collect();
    let logs: Vec<Utf8PathBuf> = jobs.iter().map(|job| job.log.clone()).collect();
    let mut pending: Vec<Option<Job>> = jobs.into_iter().map(Some).collect();
    let mut board = Board {
        status: vec![Status::Waiting; nodes.len()],
        outcomes: vec![None; nodes.len()],
        on_event,
    };
    let mut running: Vec<Running> = Vec::new();
    let mut interrupted = false;

    // Whatever happens in the loop, the children are stopped before returning.
    let result = (|| -> Result<()> {
        loop {
            if interrupt.load(Ordering::SeqCst) {
                interrupted = true;
                return Ok(());
            }
            for index in to_start(&nodes, &board.status, settings.jobs) {
                let Some(job) = pending[index].take() else {
                    continue;
                };
                board.start(index);
                match start(job) {
                    Ok(child) => running.push(Running {
                        index,
                        child,
                        started: Instant::now(),
                    }),
                    Err(err) => board.finish(
                        index,
                        Outcome {
                            status: Status::Failed,
                            duration: Some(Duration::ZERO),
                            output: format!("{err:#}\n"),
                            exit: Some("could not start".to_owned()),
                        },
                    ),
                }
            }

            let mut index = 0;
            while index < running.len() {
                if running[index].child.try_status()?.is_some() {
                    let mut job = running.remove(index);
                    let log = &logs[job.index];
                    let outcome = finish(&mut job, log, false)?;
                    board.finish(job.index, outcome);
                } else {
                    index += 1;
                }
            }

            if settings.fail_fast && board.status.contains(&Status::Failed) {
                return Ok(());
            }
            if running.is_empty() && to_start(&nodes, &board.status, settings.jobs).is_empty() {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
    })();

    // Whatever still runs is stopped, whatever waits is cancelled.
    for (index, outcome) in stop_all(running, &logs) {
        board.finish(index, outcome);
    }
    for index in 0..nodes.len() {
        if !board.status[index].is_finished() {
            board.finish(index, Outcome::cancelled());
        }
    }
    result?;
    Ok(Report {
        outcomes: board
            .outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(Outcome::cancelled))
            .collect(),
        interrupted,
    })
}

/// Start a job in its own process group, its stdout and stderr into its log.
fn start(mut job: Job) -> Result<GroupChild> {
    let mut log = File::create(&job.log)
        .with_context(|| format!("cannot create the log {} of {}", job.log, job.name))?;
    writeln!(log, "{}", job.header).with_context(|| format!("cannot write {}", job.log))?;
    let stderr = log
        .try_clone()
        .with_context(|| format!("cannot share the log {} of {}", job.log, job.name))?;
    job.command
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(stderr));
    GroupChild::spawn(&mut job.command).with_context(|| {
        format!(
            "cannot start {} for {}",
            job.command.get_program().to_string_lossy(),
            job.name
        )
    })
}

/// Collect a job whose main process has exited (or been stopped): end what
/// it left behind in its group, reap it, and read its log.
fn finish(job: &mut Running, log: &Utf8PathBuf, stopped: bool) -> Result<Outcome> {
    let duration = job.started.elapsed();
    let exit = job
        .child
        .kill()
        .with_context(|| format!("cannot wait for the check behind {log}"))?;
    let status = match (stopped, exit.success()) {
        (true, _) => Status::Stopped,
        (false, true) => Status::Passed,
        (false, false) => Status::Failed,
    };
    Ok(Outcome {
        status,
        duration: Some(duration),
        output: read_log(log),
        exit: (!exit.success()).then(|| describe(exit)),
    })
}

/// Stop running jobs: SIGTERM to each group, a short grace for the main
/// processes to exit, then SIGKILL to each group so no descendant survives.
fn stop_all(mut running: Vec<Running>, logs: &[Utf8PathBuf]) -> Vec<(usize, Outcome)> {
    if running.is_empty() {
        return Vec::new();
    }
    for job in &mut running {
        job.child.terminate();
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline
        && !running
            .iter_mut()
            .all(|job| job.child.try_status().map_or(true, |s| s.is_some()))
    {
        std::thread::sleep(POLL);
    }
    running
        .iter_mut()
        .map(|job| {
            let log = &logs[job.index];
            let outcome = finish(job, log, true).unwrap_or_else(|err| Outcome {
                status: Status::Stopped,
                duration: Some(job.started.elapsed()),
                output: format!("{err:#}\n"),
                exit: None,
            });
            (job.index, outcome)
        })
        .collect()
}

/// The log without its header line, or its last [`KEPT`] bytes from a line
/// start, after a line saying how much came before.
fn read_log(log: &Utf8PathBuf) -> String {
    match read_end(log, KEPT) {
        Ok((skipped, bytes)) => {
            // The header line, or the line the window starts inside of
            // (unless that one line fills the whole window).
            let start = match bytes.iter().position(|b| *b == b'\n') {
                Some(i) => i + 1,
                None if skipped > 0 => 0,
                None => bytes.len(),
            };
            let rest = redact::shown(&String::from_utf8_lossy(&bytes[start..]));
            if skipped == 0 {
                rest
            } else {
                format!(
                    "[... {} before this are only in the log {log}]\n{rest}",
                    size(skipped + start as u64)
                )
            }
        }
        Err(err) => format!("(cannot read the log {log}: {err})\n"),
    }
}

/// A size in bytes for people: `512 bytes`, `64 KiB`, `100.0 MiB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{} KiB", bytes / 1024),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

/// The last `window` bytes of a file and how many came before them.
fn read_end(path: &Utf8PathBuf, window: u64) -> std::io::Result<(u64, Vec<u8>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let skipped = len.saturating_sub(window);
    file.seek(SeekFrom::Start(skipped))?;
    let mut bytes = Vec::new();
    file.take(window).read_to_end(&mut bytes)?;
    Ok((skipped, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(65_536), "64 KiB");
        assert_eq!(size(104_857_600), "100.0 MiB");
    }

    fn nodes(costs: &[u32]) -> Vec<Node> {
        costs
            .iter()
            .map(|&cost| Node {
                after: Vec::new(),
                cost,
            })
            .collect()
    }

    #[test]
    fn starts_at_most_the_limit_heaviest_first_then_in_order() {
        let nodes = nodes(&[1, 4, 1, 7, 4]);
        let waiting = vec![Status::Waiting; 5];
        assert_eq!(to_start(&nodes, &waiting, 2), [3, 1]);
        assert_eq!(to_start(&nodes, &waiting, 3), [3, 1, 4]);
        assert_eq!(to_start(&nodes, &waiting, 9), [3, 1, 4, 0, 2]);
    }

    #[test]
    fn running_jobs_take_their_slots() {
        let nodes = nodes(&[1, 1, 1, 1]);
        let status = [
            Status::Running,
            Status::Passed,
            Status::Waiting,
            Status::Waiting,
        ];
        assert_eq!(to_start(&nodes, &status, 2), [2]);
        let full = [
            Status::Running,
            Status::Running,
            Status::Waiting,
            Status::Waiting,
        ];
        assert!(to_start(&nodes, &full, 2).is_empty());
    }

    #[test]
    fn a_limit_of_zero_still_runs_one_at_a_time() {
        let nodes = nodes(&[1, 1]);
        assert_eq!(to_start(&nodes, &[Status::Waiting; 2], 0), [0]);
    }

    #[test]
    fn a_job_waits_until_its_predecessors_finished_whatever_their_result() {
        let nodes = vec![
            Node::default(),
            Node {
                after: vec![0],
                cost: 9,
            },
            Node {
                after: vec![0, 1],
                cost: 0,
            },
        ];
        let mut status = vec![Status::Waiting; 3];
        assert_eq!(to_start(&nodes, &status, 4), [0]);
        status[0] = Status::Running;
        assert!(to_start(&nodes, &status, 4).is_empty());
        status[0] = Status::Failed;
        assert_eq!(to_start(&nodes, &status, 4), [1]);
        status[1] = Status::Passed;
        assert_eq!(to_start(&nodes, &status, 4), [2]);
        status[2] = Status::Passed;
        assert!(to_start(&nodes, &status, 4).is_empty());
    }

    #[test]
    fn the_order_is_stable_for_equal_weights() {
        let nodes = nodes(&[2, 2, 2, 2, 2]);
        let status = vec![Status::Waiting; 5];
        for _ in 0..3 {
            assert_eq!(to_start(&nodes, &status, 3), [0, 1, 2]);
        }
    }

    /// A job running `sh -c script`, logging into `dir`.
    #[cfg(unix)]
    fn sh(dir: &camino::Utf8Path, name: &str, script: &str, cost: u32) -> Job {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Job {
            name: name.to_owned(),
            node: Node {
                after: Vec::new(),
                cost,
            },
            command,
            log: dir.join(format!("{name}.log")),
            header: format!("$ sh -c '{script}'"),
        }
    }

    #[cfg(unix)]
    fn logs_dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        (dir, path)
    }

    /// 20 MB of output: all of it in the log file, only the end in memory,
    /// after a line saying where the rest is.
    #[cfg(unix)]
    #[test]
    fn a_flood_of_output_stays_in_the_log_and_only_its_end_is_kept() {
        let (_dir, logs) = logs_dir();
        let script = "yes 'a line of output, again and again' | head -c 20000000; echo; printf 'token ghp_A1b2C3d4E5f6G7h8I9j0 \\033[31mlast line\\033[0m\\n'; exit 1";
        let jobs = vec![sh(&logs, "flood", script, 0)];
        let settings = Settings {
            jobs: 1,
            fail_fast: false,
        };
        let report = run(jobs, settings, &AtomicBool::new(false), |_| {}).unwrap();
        let flood = &report.outcomes[0];
        assert_eq!(flood.status, Status::Failed);
        let log = logs.join("flood.log");
        assert!(std::fs::metadata(&log).unwrap().len() > 20_000_000);
        assert!(
            flood.output.len() <= KEPT as usize + 200,
            "{}",
            flood.output.len()
        );
        let first = flood.output.lines().next().unwrap();
        assert!(
            first.starts_with("[... 18.")
                && first.ends_with(&format!(" MiB before this are only in the log {log}]")),
            "{first}"
        );
        assert!(
            flood.output.lines().nth(1) == Some("a line of output, again and again"),
            "the excerpt starts inside a line"
        );
        assert!(
            flood.output.ends_with("\ntoken ghp_*** last line\n"),
            "{:?}",
            &flood.output[flood.output.len() - 100..]
        );
    }

    /// One line of 3 MB and no line break: its end is kept, not nothing.
    #[cfg(unix)]
    #[test]
    fn one_endless_line_keeps_its_end() {
        let (_dir, logs) = logs_dir();
        let script = "head -c 3000000 /dev/zero | tr '\\0' x; printf END; exit 1";
        let jobs = vec![sh(&logs, "line", script, 0)];
        let settings = Settings {
            jobs: 1,
            fail_fast: false,
        };
        let report = run(jobs, settings, &AtomicBool::new(false), |_| {}).unwrap();
        let output = &report.outcomes[0].output;
        assert!(output.ends_with("xxxxEND"), "{}", &output[..100]);
        assert!(output.len() > KEPT as usize - 10 && output.len() < KEPT as usize + 200);
    }

    #[cfg(unix)]
    #[test]
    fn output_and_exit_are_captured_and_logged() {
        let (_dir, logs) = logs_dir();
        let jobs = vec![
            sh(&logs, "noisy", "echo out; echo err >&2; exit 3", 0),
            sh(&logs, "quiet", "true", 0),
        ];
        let settings = Settings {
            jobs: 2,
            fail_fast: false,
        };
        let mut events = Vec::new();
        let report = run(jobs, settings, &AtomicBool::new(false), |event| {
            events.push(match event {
                Event::Started(i) => format!("start {i}"),
                Event::Finished(i, outcome) => format!("finish {i} {}", outcome.status.word()),
            })
        })
        .unwrap();
        assert!(!report.interrupted);
        let noisy = &report.outcomes[0];
        assert_eq!(noisy.status, Status::Failed);
        assert_eq!(noisy.output, "out\nerr\n");
        assert_eq!(noisy.exit.as_deref(), Some("exit code 3"));
        assert_eq!(report.outcomes[1].status, Status::Passed);
        let log = std::fs::read_to_string(logs.join("noisy.log")).unwrap();
        assert_eq!(log, "$ sh -c 'echo out; echo err >&2; exit 3'\nout\nerr\n");
        events.sort();
        assert_eq!(
            events,
            ["finish 0 failed", "finish 1 passed", "start 0", "start 1"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn fail_fast_stops_the_running_and_cancels_the_waiting() {
        let (_dir, logs) = logs_dir();
        let jobs = vec![
            sh(&logs, "fails", "sleep 0.2; exit 1", 9),
            sh(&logs, "slow", "sleep 60", 5),
            sh(&logs, "later", "true", 0),
        ];
        let settings = Settings {
            jobs: 2,
            fail_fast: true,
        };
        let report = run(jobs, settings, &AtomicBool::new(false), |_| {}).unwrap();
        let status: Vec<Status> = report.outcomes.iter().map(|o| o.status).collect();
        assert_eq!(status, [Status::Failed, Status::Stopped, Status::Cancelled]);
        assert_eq!(
            report.outcomes[1].exit.as_deref(),
            Some("killed by signal 15, SIGTERM")
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_interrupt_stops_everything() {
        let (_dir, logs) = logs_dir();
        let jobs = vec![sh(&logs, "slow", "sleep 60", 0)];
        let settings = Settings {
            jobs: 1,
            fail_fast: false,
        };
        let interrupt = AtomicBool::new(false);
        let report = run(jobs, settings, &interrupt, |event| {
            if let Event::Started(_) = event {
                interrupt.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
        assert!(report.interrupted);
        assert_eq!(report.outcomes[0].status, Status::Stopped);
    }

    #[cfg(unix)]
    #[test]
    fn a_program_that_cannot_start_fails_its_job_only() {
        let (_dir, logs) = logs_dir();
        let mut missing = sh(&logs, "missing", "", 0);
        missing.command = Command::new(logs.join("no-such-program"));
        let jobs = vec![missing, sh(&logs, "fine", "true", 0)];
        let settings = Settings {
            jobs: 1,
            fail_fast: false,
        };
        let report = run(jobs, settings, &AtomicBool::new(false), |_| {}).unwrap();
        assert_eq!(report.outcomes[0].status, Status::Failed);
        assert!(
            report.outcomes[0].output.contains("cannot start"),
            "{}",
            report.outcomes[0].output
        );
        assert_eq!(report.outcomes[1].status, Status::Passed);
    }
}
