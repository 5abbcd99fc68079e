//! `cargo xtask verify-reproducible`: build every release artifact twice, in
//! two fresh clones of HEAD that differ in everything a build must not depend
//! on, and compare the results byte for byte.
//!
//! The two builds differ in: the clone's path (name and depth); the umask
//! (022 and 077, the checkout included, so the files on disk have different
//! modes); TZ (UTC and Pacific/Kiritimati, UTC+14); the locale (C, and
//! C.UTF-8 with LANG=de_DE.UTF-8); every file's mtime (pseudo-random, from a
//! seed per clone); and the time they run (one after the other, their starts
//! at least [`GAP`] apart).
//! SOURCE_DATE_EPOCH is removed from both, so both take the commit's time.
//! The front end's node modules are the repository's (a symbolic link) when
//! HEAD's lockfile is the one they were installed from; they are not an input
//! of anything hashed.
//!
//! The plan (folders, environments, mtimes, arguments) and the comparison are
//! pure; the clones, the builds and the reading of their output are the side
//! effects around them.

use crate::util::rng::splitmix64;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

use super::checksums::{self, Manifest};
use super::checksums::{MANIFEST, SHA256SUMS};
use crate::archive::diff as archive_diff;
use crate::flags;
use crate::paths::Layout;
use crate::release::git::{Commit, Git};
use crate::setup;
use crate::util::hash::sha256_hex;
use crate::util::process;

/// How one of the two builds runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildEnv {
    /// `1` or `2`, for messages.
    pub number: u8,
    /// The clone's folder.
    pub dir: Utf8PathBuf,
    /// The umask of the checkout and the build.
    pub umask: u32,
    /// Variables set in the build's environment (after [`REMOVED`]).
    pub set: Vec<(&'static str, &'static str)>,
    /// The seed of the clone's file mtimes.
    pub seed: u64,
}

/// The least time between the starts of the two builds, so a timestamp taken
/// from the clock differs between them even at the zip's two-second resolution.
pub const GAP: Duration = Duration::from_secs(3);

/// Variables removed from both builds' environments: the build's timestamp
/// must come from the commit, the build must not write to a CI output file,
/// git must see the clone only, and the locale and zone are set per build.
pub const REMOVED: &[&str] = &[
    "SOURCE_DATE_EPOCH",
    // The clone is found from the working directory, not from this checkout.
    "CARGO_MANIFEST_DIR",
    "GITHUB_OUTPUT",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "TZ",
    "LC_ALL",
    "LC_CTYPE",
    "LC_COLLATE",
    "LC_TIME",
    "LC_NUMERIC",
    "LC_MESSAGES",
    "LANG",
    "LANGUAGE",
];

/// The two builds, under `base`, with mtime seeds derived from `salt`.
pub fn plan(base: &Utf8Path, salt: u64) -> [BuildEnv; 2] {
    [
        BuildEnv {
            number: 1,
            dir: base.join("a"),
            umask: 0o022,
            set: vec![("TZ", "UTC"), ("LC_ALL", "C"), ("LANG", "C")],
            seed: splitmix64(salt ^ 0x1111),
        },
        BuildEnv {
            number: 2,
            dir: base.join("second-build/of/InvokeAI-checkout"),
            umask: 0o077,
            set: vec![
                ("TZ", "Pacific/Kiritimati"),
                ("LC_ALL", "C.UTF-8"),
                ("LANG", "de_DE.UTF-8"),
            ],
            seed: splitmix64(salt ^ 0x2222),
        },
    ]
}

impl BuildEnv {
    /// `umask 022, TZ=UTC LC_ALL=C LANG=C`.
    pub fn describe(&self) -> String {
        let vars: Vec<String> = self.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "umask {:03o}, {}, mtimes from seed {:016x}",
            self.umask,
            vars.join(" "),
            self.seed
        )
    }

    /// Where the build writes its artifacts.
    pub fn out(&self) -> Utf8PathBuf {
        self.dir.join("dist")
    }

    /// The log of the clone's git commands and its build.
    pub fn log(&self, base: &Utf8Path) -> Utf8PathBuf {
        base.join(format!("build-{}.log", self.number))
    }
}

/// The arguments of the xtask binary for one build.
pub fn build_args(env: &BuildEnv) -> Vec<String> {
    vec![
        "build-installer".into(),
        "--repo".into(),
        env.dir.to_string(),
        "--out".into(),
        env.out().to_string(),
        "--skip-frontend-checks".into(),
        "--rebuild-frontend".into(),
    ]
}

/// The mtime given to the `n`th file of a clone: seconds since the epoch,
/// between 2000-01-01 and 2033-05-18, different per seed and per file.
pub fn mtime_for(seed: u64, n: u64) -> u64 {
    const FROM: u64 = 946_684_800;
    const TO: u64 = 2_000_000_000;
    FROM + splitmix64(seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93)) % (TO - FROM)
}

/// What the two output folders say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every file identical: the SHA256SUMS entries, that file's own sha256,
    /// and the manifest both builds wrote.
    Identical {
        sums: Vec<(String, String)>,
        sums_sha256: String,
        files: usize,
        manifest: Manifest,
    },
    /// One line per differing (or missing) file.
    Different(Vec<String>),
}

/// Compare the files of the two output folders (name to bytes). Artifacts
/// come first, then SHA256SUMS and manifest.json, which follow from them.
pub fn compare(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Outcome {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort_by_key(|n| {
        (
            n.as_str() == SHA256SUMS || n.as_str() == MANIFEST,
            n.as_str(),
        )
    });
    names.dedup();
    let mut differences = Vec::new();
    for name in names {
        match (a.get(name), b.get(name)) {
            (Some(x), Some(y)) => differences.extend(archive_diff::diff_artifact(name, x, y)),
            (Some(_), None) => differences.push(format!("{name} was written by build 1 only")),
            (None, Some(_)) => differences.push(format!("{name} was written by build 2 only")),
            (None, None) => {}
        }
    }
    if !differences.is_empty() {
        return Outcome::Different(differences);
    }
    let (Some(sums), Some(manifest)) = (a.get(SHA256SUMS), a.get(MANIFEST)) else {
        return Outcome::Different(vec![format!(
            "the builds wrote no {SHA256SUMS} or no {MANIFEST}"
        )]);
    };
    let sums_text = String::from_utf8_lossy(sums);
    match (
        checksums::parse_sha256sums(&sums_text),
        Manifest::from_json(&String::from_utf8_lossy(manifest)),
    ) {
        (Ok(entries), Ok(manifest)) => Outcome::Identical {
            sums: entries,
            sums_sha256: sha256_hex(sums),
            files: a.len(),
            manifest,
        },
        (Err(e), _) | (_, Err(e)) => Outcome::Different(vec![format!(
            "both builds wrote the same, unreadable: {e:#}"
        )]),
    }
}

/// The result lines for stdout.
pub fn report(outcome: &Outcome, head: &str, took: &[Duration]) -> String {
    let times: Vec<String> = took
        .iter()
        .map(|d| format!("{:.1}s", d.as_secs_f64()))
        .collect();
    match outcome {
        Outcome::Identical {
            sums,
            sums_sha256,
            files,
            manifest,
        } => {
            let mut out = format!(
                "reproducible: {} artifacts identical (sha256 of {SHA256SUMS} {sums_sha256})\n  {files} files compared; two builds of {head} ({}), version {}, timestamp {} ({})\n",
                sums.len(),
                times.join(" and "),
                manifest.version,
                manifest.timestamp,
                manifest.timestamp_source.as_str(),
            );
            for (name, sha) in sums {
                out.push_str(&format!("  {sha}  {name}\n"));
            }
            out
        }
        Outcome::Different(lines) => {
            let mut out = format!(
                "not reproducible: {} file(s) differ between the two builds of {head}\n",
                lines.len()
            );
            for line in lines {
                out.push_str(&format!("  {line}\n"));
            }
            out
        }
    }
}

impl flags::VerifyReproducible {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let layout = Layout::new();
        let git = Git::new(sh, &layout.root);
        let head = git.head()?;
        let dirty = git.dirty()?;
        if !dirty.is_empty() {
            eprintln!(
                "verify-reproducible: note: {} uncommitted change(s) in {} are not part of this check; it builds HEAD, {}",
                dirty.len(),
                layout.root,
                head.describe()
            );
        }
        setup::ensure_frontend(sh)?;
        let exe = std::env::current_exe()
            .context("cannot find the xtask's own executable to run the builds with")?;
        let (base, salt) = new_base()?;
        let envs = plan(&base, salt);
        let result = build_both(&layout, &head, &envs, &exe, &base);
        let ok = matches!(result, Ok((Outcome::Identical { .. }, _)));
        if let Ok((outcome, took)) = &result {
            print!("{}", report(outcome, head.short(), took));
        }
        if self.keep || !ok {
            for env in &envs {
                eprintln!(
                    "verify-reproducible: build {} kept in {} (log {})",
                    env.number,
                    env.dir,
                    env.log(&base)
                );
            }
            eprintln!("verify-reproducible: remove {base} when done");
        } else if let Err(e) = std::fs::remove_dir_all(&base) {
            eprintln!("verify-reproducible: warning: cannot remove {base}: {e}");
        }
        result?;
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// A new folder for both clones under the system's temporary folder, and a
/// salt for their mtimes (the process id and the clock).
fn new_base() -> Result<(Utf8PathBuf, u64)> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let pid = u64::from(std::process::id());
    let tmp = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|p| anyhow::anyhow!("the temporary folder {} is not UTF-8", p.display()))?;
    let base = tmp.join(format!(
        "xtask-reproducible-{pid}-{:x}",
        nanos & 0xFFFF_FFFF
    ));
    // create_dir, not create_dir_all: the folder must be new, never another run's.
    std::fs::create_dir(&base)
        .with_context(|| format!("cannot create the folder for the two clones, {base}"))?;
    Ok((base, (pid << 32) ^ nanos))
}

/// Clone, prepare and build both, then read and compare their output.
fn build_both(
    layout: &Layout,
    head: &Commit,
    envs: &[BuildEnv; 2],
    exe: &std::path::Path,
    base: &Utf8Path,
) -> Result<(Outcome, Vec<Duration>)> {
    let mut took = Vec::new();
    let mut outputs = Vec::new();
    let mut first_started: Option<Instant> = None;
    for env in envs {
        eprintln!(
            "verify-reproducible: build {} of {} in {} ({})",
            env.number,
            head.short(),
            env.dir,
            env.describe()
        );
        let t = Instant::now();
        let log = env.log(base);
        clone(layout, head, env, &log)?;
        let modules = link_node_modules(layout, env)?;
        let touched = touch_all(&env.dir, env.seed)?;
        eprintln!(
            "verify-reproducible: build {}: cloned, {modules}, {touched} mtimes changed",
            env.number
        );
        let mut waited = Duration::ZERO;
        if let Some(wait) = first_started.and_then(|t| GAP.checked_sub(t.elapsed())) {
            std::thread::sleep(wait);
            waited = wait;
        }
        first_started.get_or_insert_with(Instant::now);
        let args = build_args(env);
        run_logged(env, exe.as_os_str(), &args, &env.dir, &log)
            .with_context(|| format!("build {} (`build-installer`) failed", env.number))?;
        let elapsed = t.elapsed().saturating_sub(waited);
        took.push(elapsed);
        eprintln!(
            "verify-reproducible: build {}: done in {:.1}s",
            env.number,
            elapsed.as_secs_f64()
        );
        outputs.push(read_files(&env.out())?);
    }
    Ok((compare(&outputs[0], &outputs[1]), took))
}

/// A plain clone of the repository holding HEAD's commit, checked out at it
/// (detached) under the build's umask.
fn clone(layout: &Layout, head: &Commit, env: &BuildEnv, log: &Utf8Path) -> Result<()> {
    let parent = env
        .dir
        .parent()
        .with_context(|| format!("{} has no parent folder", env.dir))?;
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
    let root = layout.root.as_str();
    let dir = env.dir.as_str();
    let git = std::ffi::OsStr::new("git");
    let steps: [&[&str]; 3] = [
        &[
            "clone",
            "--no-local",
            "--no-hardlinks",
            "--no-checkout",
            "-q",
            root,
            dir,
        ],
        // HEAD itself, in case it is on no branch (a detached checkout in CI).
        &["-C", dir, "fetch", "-q", "--no-tags", root, "HEAD"],
        &["-C", dir, "checkout", "-q", "--detach", &head.sha],
    ];
    for args in steps {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run_logged(env, git, &args, parent, log).with_context(|| {
            format!(
                "cannot clone {} at {} into {}",
                layout.root,
                head.short(),
                env.dir
            )
        })?;
    }
    Ok(())
}

/// Give the clone the repository's node modules when HEAD's lockfile is the
/// one they were installed from; otherwise the build installs its own.
fn link_node_modules(layout: &Layout, env: &BuildEnv) -> Result<String> {
    let clone = Layout::load(&env.dir)?;
    let ours = std::fs::read(layout.frontend_lock())
        .with_context(|| format!("cannot read {}", layout.frontend_lock()))?;
    let theirs = std::fs::read(clone.frontend_lock())
        .with_context(|| format!("cannot read {}", clone.frontend_lock()))?;
    if ours != theirs {
        return Ok("HEAD's package-lock.json is not the working tree's, so the build installs its own node modules (npm ci)".to_owned());
    }
    symlink_dir(&layout.node_modules(), &clone.node_modules())?;
    Ok(format!("node modules linked to {}", layout.node_modules()))
}

#[cfg(unix)]
fn symlink_dir(target: &Utf8Path, link: &Utf8Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("cannot link {link} to {target}"))
}

#[cfg(not(unix))]
fn symlink_dir(_target: &Utf8Path, _link: &Utf8Path) -> Result<()> {
    bail!("verify-reproducible needs a Unix system")
}

/// Give every file and folder of the clone (not `.git`, not symbolic links)
/// its own mtime from `seed`; returns how many were changed.
fn touch_all(dir: &Utf8Path, seed: u64) -> Result<u64> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    for (n, path) in paths.iter().enumerate() {
        let when = UNIX_EPOCH + Duration::from_secs(mtime_for(seed, n as u64));
        std::fs::File::open(path)
            .and_then(|f| f.set_modified(when))
            .with_context(|| format!("cannot change the mtime of {path}"))?;
    }
    Ok(paths.len() as u64)
}

fn collect(dir: &Utf8Path, into: &mut Vec<Utf8PathBuf>) -> Result<()> {
    let entries = dir
        .read_dir_utf8()
        .with_context(|| format!("cannot list {dir}"))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {dir}"))?;
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot stat {}", entry.path()))?;
        if kind.is_symlink() || entry.file_name() == ".git" {
            continue;
        }
        if kind.is_dir() {
            collect(entry.path(), into)?;
        }
        into.push(entry.path().to_path_buf());
    }
    Ok(())
}

/// Every regular file of a build's output folder, by name.
fn read_files(dir: &Utf8Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let entries = dir
        .read_dir_utf8()
        .with_context(|| format!("cannot list the build's output {dir}"))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {dir}"))?;
        if entry.file_type().is_ok_and(|k| k.is_file()) {
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("cannot read {}", entry.path()))?;
            files.insert(entry.file_name().to_owned(), bytes);
        }
    }
    Ok(files)
}

/// Run one command of a build with its environment and umask, its output
/// appended to `log`. std's `Command` rather than xshell's: the child's umask
/// can only be set between fork and exec.
fn run_logged(
    env: &BuildEnv,
    program: &std::ffi::OsStr,
    args: &[String],
    cwd: &Utf8Path,
    log: &Utf8Path,
) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open the log {log}"))?;
    writeln!(file, "$ {} {}", program.to_string_lossy(), args.join(" "))
        .with_context(|| format!("cannot write to {log}"))?;
    let stderr = file
        .try_clone()
        .with_context(|| format!("cannot write to {log}"))?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(file)
        .stderr(stderr);
    for var in REMOVED {
        cmd.env_remove(var);
    }
    for (key, value) in &env.set {
        cmd.env(key, value);
    }
    set_umask(&mut cmd, env.umask)?;
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", program.to_string_lossy()))?;
    if !status.success() {
        bail!(
            "`{} {}` failed ({status}); the end of its log {log}:\n{}",
            program.to_string_lossy(),
            args.join(" "),
            tail(log, 30)
        );
    }
    Ok(())
}

#[cfg(unix)]
fn set_umask(cmd: &mut std::process::Command, mask: u32) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let mask = mask as libc::mode_t;
    // SAFETY: umask(2) is async-signal-safe and changes only the child's own state.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_umask(_cmd: &mut std::process::Command, _mask: u32) -> Result<()> {
    bail!("verify-reproducible needs a Unix system (it sets each build's umask)")
}

/// The last `lines` lines of a log, indented.
fn tail(log: &Utf8Path, lines: usize) -> String {
    process::log_tail(log, lines)
        .lines()
        .map(|l| format!("  | {l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installer::checksums::{Commit, StampSource};

    #[test]
    fn the_two_builds_differ_in_everything_but_the_commit() {
        let [a, b] = plan(Utf8Path::new("/tmp/base"), 42);
        assert_ne!(a.dir.file_name(), b.dir.file_name());
        assert_ne!(
            a.dir.components().count(),
            b.dir.components().count(),
            "the clones differ in depth"
        );
        assert!(a.dir.starts_with("/tmp/base") && b.dir.starts_with("/tmp/base"));
        assert_ne!(a.umask, b.umask);
        for key in ["TZ", "LC_ALL", "LANG"] {
            let get = |e: &BuildEnv| e.set.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            assert!(get(&a).is_some(), "{key} is set");
            assert_ne!(get(&a), get(&b), "{key} differs");
        }
        assert_ne!(a.seed, b.seed);
        // Another run gets other seeds.
        assert_ne!(plan(Utf8Path::new("/tmp/base"), 43)[0].seed, a.seed);
        // What is set is also cleared first, and the timestamp comes from the commit.
        for (key, _) in a.set.iter().chain(&b.set) {
            assert!(REMOVED.contains(key), "{key}");
        }
        assert!(REMOVED.contains(&"SOURCE_DATE_EPOCH"));
        assert!(REMOVED.contains(&"GITHUB_OUTPUT"));
        assert!(
            a.describe()
                .starts_with("umask 022, TZ=UTC LC_ALL=C LANG=C")
        );
        assert!(b.describe().starts_with("umask 077, TZ=Pacific/Kiritimati"));
    }

    #[test]
    fn mtimes_are_spread_and_differ_per_seed_and_file() {
        let a: Vec<u64> = (0..100).map(|n| mtime_for(1, n)).collect();
        let b: Vec<u64> = (0..100).map(|n| mtime_for(2, n)).collect();
        assert!(
            a.iter()
                .chain(&b)
                .all(|t| (946_684_800..2_000_000_000).contains(t))
        );
        assert!(a.iter().zip(&b).all(|(x, y)| x != y));
        let mut distinct = a.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 100);
    }

    #[test]
    fn each_build_writes_into_its_own_clone_from_scratch() {
        let [a, _] = plan(Utf8Path::new("/t"), 0);
        assert_eq!(
            build_args(&a),
            [
                "build-installer",
                "--repo",
                "/t/a",
                "--out",
                "/t/a/dist",
                "--skip-frontend-checks",
                "--rebuild-frontend"
            ]
        );
        assert_eq!(a.log(Utf8Path::new("/t")), "/t/build-1.log");
    }

    fn files(entries: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect()
    }

    #[test]
    fn identical_outputs_are_reported_with_their_checksums() {
        let sums = format!("{}  x-1.0.tar.gz\n", "a".repeat(64));
        let manifest = Manifest {
            version: "1.0".into(),
            commit: Commit::parse(&"0123456789abcdef".repeat(4)[..40]).unwrap(),
            timestamp: 1_700_000_000,
            timestamp_source: StampSource::CommitTime,
            dirty: Vec::new(),
            artifacts: Vec::new(),
        }
        .to_json();
        let a = files(&[
            ("x-1.0.tar.gz", b"sdist"),
            (SHA256SUMS, sums.as_bytes()),
            (MANIFEST, manifest.as_bytes()),
        ]);
        let outcome = compare(&a, &a.clone());
        let Outcome::Identical {
            sums: entries,
            sums_sha256,
            files,
            ..
        } = &outcome
        else {
            panic!("{outcome:?}");
        };
        assert_eq!(entries, &[("x-1.0.tar.gz".to_owned(), "a".repeat(64))]);
        assert_eq!(sums_sha256, &sha256_hex(sums.as_bytes()));
        assert_eq!(*files, 3);
        let text = report(
            &outcome,
            "0123456789",
            &[Duration::from_secs(2), Duration::from_secs(3)],
        );
        assert!(
            text.starts_with("reproducible: 1 artifacts identical (sha256 of SHA256SUMS "),
            "{text}"
        );
        assert!(text.contains(&format!("  {}  x-1.0.tar.gz\n", "a".repeat(64))));
        assert!(
            text.contains("version 1.0, timestamp 1700000000 (commit time)"),
            "{text}"
        );
        // Identical but without a readable manifest is not a success.
        let mut b = a.clone();
        b.insert(MANIFEST.to_owned(), b"{}".to_vec());
        assert!(matches!(compare(&b, &b.clone()), Outcome::Different(_)));
    }

    #[test]
    fn differences_name_each_file_artifacts_first() {
        let a = files(&[
            (SHA256SUMS, b"aaa  z.whl\n"),
            ("z.whl", b"one"),
            ("only-1.txt", b""),
        ]);
        let b = files(&[(SHA256SUMS, b"aab  z.whl\n"), ("z.whl", b"two")]);
        let Outcome::Different(lines) = compare(&a, &b) else {
            panic!("no difference found");
        };
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0], "only-1.txt was written by build 1 only");
        assert!(lines[1].starts_with("z.whl differs: the first is not a readable zip"));
        assert_eq!(
            lines[2],
            "SHA256SUMS differs: line 1: \"aaa  z.whl\" vs \"aab  z.whl\""
        );
        let text = report(&Outcome::Different(lines), "0123456789", &[]);
        assert!(
            text.starts_with("not reproducible: 3 file(s) differ"),
            "{text}"
        );
        // Nothing written at all is not a success.
        assert!(matches!(
            compare(&BTreeMap::new(), &BTreeMap::new()),
            Outcome::Different(_)
        ));
    }
}
