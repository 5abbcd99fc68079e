//! `cargo xtask check` on copies of the repository's python/ and frontend/
//! trees (`--root`), clean or with one of the fixtures of
//! `fixtures/check/` laid over them, using the tools of the development
//! environment.
#![cfg(unix)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::*;

/// Every check, in the order of the summary.
const ALL: [&str; 10] = [
    "ruff-lint",
    "ruff-format",
    "mypy",
    "pytest",
    "prettier",
    "eslint",
    "circular",
    "tsc",
    "vitest",
    "typegen",
];
const PYTHON: [&str; 4] = ["ruff-lint", "ruff-format", "mypy", "pytest"];
const FRONTEND: [&str; 6] = ["prettier", "eslint", "circular", "tsc", "vitest", "typegen"];

/// A copy of the repository's python/ and frontend/ (the files git knows,
/// without node_modules, caches or builds), with the front end's
/// node_modules linked to the development environment's, and the named
/// fixtures laid over it.
fn checkout(fixtures: &[&str]) -> tempfile::TempDir {
    venv_python();
    let node_modules = node_modules();
    let dir = tempdir();
    let root = repo_root();
    let listed = run_ok(
        Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .args(["--", "python", "frontend"])
            .current_dir(&root),
    );
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).expect("UTF-8 path"));
        let source = root.join(relative);
        if !source.is_file() {
            continue;
        }
        let target = dir.path().join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&source, &target).unwrap();
    }
    std::os::unix::fs::symlink(&node_modules, dir.path().join("frontend/node_modules")).unwrap();
    for fixture in fixtures {
        let from = root.join("xtask/tests/fixtures/check").join(fixture);
        assert!(from.is_dir(), "no fixture {}", from.display());
        copy_tree(&from, dir.path());
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `cargo xtask check --root DIR ARGS...`, outside any CI or GitHub setting.
fn check(root: &Path, args: &[&str]) -> Command {
    let mut cmd = xtask();
    cmd.arg("check")
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// The summary table on stdout: check name to result.
fn summary(out: &Output) -> BTreeMap<String, String> {
    let text = stdout(out);
    let mut rows = BTreeMap::new();
    let mut in_table = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"check") && words.get(1) == Some(&"result") {
            in_table = true;
            continue;
        }
        if in_table {
            if words.len() < 3 {
                break;
            }
            rows.insert(words[0].to_owned(), words[1].to_owned());
        }
    }
    assert!(!rows.is_empty(), "no summary table in:\n{text}");
    rows
}

/// Assert that exactly `failed` failed and every other check of `ran` passed.
fn assert_only_failed(out: &Output, ran: &[&str], failed: &[&str]) {
    let rows = summary(out);
    let names: Vec<&str> = rows.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = ran.to_vec();
    expected.sort();
    assert_eq!(names, expected, "{}", stdout(out));
    for (name, result) in &rows {
        let wanted = if failed.contains(&name.as_str()) {
            "failed"
        } else {
            "passed"
        };
        assert_eq!(
            result,
            wanted,
            "{name}\n--- stdout\n{}\n--- stderr\n{}",
            stdout(out),
            stderr(out)
        );
    }
    assert_eq!(
        out.status.code(),
        Some(if failed.is_empty() { 0 } else { 1 }),
        "{}",
        stderr(out)
    );
}

#[test]
fn the_repository_passes_every_check() {
    let tree = checkout(&[]);
    let out = output(&mut check(tree.path(), &[]));
    assert_only_failed(&out, &ALL, &[]);
    assert!(stdout(&out).contains("check: all 10 checks passed"));
    // Without a terminal: plain start and finish lines, and a log per check.
    for name in ALL {
        assert!(
            stderr(&out).contains(&format!("check: start {name}\n")),
            "{}",
            stderr(&out)
        );
        let log = tree.path().join(format!("target/xtask/checks/{name}.log"));
        assert!(log.is_file(), "{}", log.display());
    }
}

#[test]
fn a_ruff_error_fails_ruff_lint_alone() {
    let tree = checkout(&["ruff-error"]);
    let out = output(&mut check(tree.path(), &[]));
    assert_only_failed(&out, &ALL, &["ruff-lint"]);
    let text = stdout(&out);
    // The failure's output follows the summary.
    assert!(
        text.contains("--- ruff-lint failed (exit code 1)"),
        "{text}"
    );
    assert!(text.contains("F401"), "{text}");
    assert!(
        text.contains("check: 1 of 10 checks failed: ruff-lint"),
        "{text}"
    );
    let log =
        std::fs::read_to_string(tree.path().join("target/xtask/checks/ruff-lint.log")).unwrap();
    assert!(log.contains("unused_import.py"), "{log}");
}

#[test]
fn a_type_error_fails_mypy_alone() {
    let tree = checkout(&["type-error"]);
    let out = output(&mut check(tree.path(), &["--python"]));
    assert_only_failed(&out, &PYTHON, &["mypy"]);
    assert!(
        stdout(&out).contains("wrong_type.py:5: error"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_failing_test_fails_pytest_alone() {
    let tree = checkout(&["failing-test"]);
    let out = output(&mut check(tree.path(), &["--python"]));
    assert_only_failed(&out, &PYTHON, &["pytest"]);
    assert!(
        stdout(&out).contains("test_arithmetic_is_wrong_here"),
        "{}",
        stdout(&out)
    );
}

/// Megabytes of output: all of it in the log, a bounded end of it after the
/// summary with the log's path; under GitHub Actions it is not shown whole
/// twice either.
#[test]
fn a_flood_of_output_is_logged_whole_and_shown_as_its_end() {
    let tree = checkout(&["noisy-test"]);
    let log = tree.path().join("target/xtask/checks/pytest.log");
    let out = output(&mut check(tree.path(), &["--only", "pytest"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.len() < 32 * 1024, "{} bytes on stdout", text.len());
    assert!(
        text.contains(&format!(
            "--- pytest failed (exit code 1); log: {}",
            log.display()
        )),
        "{text}"
    );
    assert!(text.contains(" earlier lines in the log]\n"), "{text}");
    assert!(
        text.contains("FAILED tests/test_noisy.py::test_noisy_output_then_a_failure"),
        "{text}"
    );
    assert!(std::fs::metadata(&log).unwrap().len() > 3_000_000);

    let out = output(
        check(tree.path(), &["--only", "pytest"])
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true"),
    );
    let text = stdout(&out);
    assert!(
        text.contains("::group::pytest: failed"),
        "{}",
        &text[..2000.min(text.len())]
    );
    assert!(
        text.len() < 1_200_000,
        "{} bytes on stdout under GitHub Actions",
        text.len()
    );
    assert!(
        text.contains(" before this are only in the log "),
        "no note in the group"
    );
}

#[test]
fn a_prettier_diff_fails_prettier_alone() {
    let tree = checkout(&["prettier-diff"]);
    let out = output(&mut check(tree.path(), &["--frontend"]));
    assert_only_failed(&out, &FRONTEND, &["prettier"]);
    assert!(
        stdout(&out).contains("src/unformatted.ts"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn stale_api_types_fail_typegen_alone() {
    let tree = checkout(&[]);
    // The committed types with one line more than the app's document gives:
    // still formatted and still compiling, so only typegen can tell.
    let types = tree.path().join("frontend/src/generated/openapi.ts");
    let current = std::fs::read_to_string(&types).unwrap();
    std::fs::write(
        &types,
        format!("// An API type that the app no longer serves.\n{current}"),
    )
    .unwrap();
    let out = output(&mut check(tree.path(), &["--frontend"]));
    assert_only_failed(&out, &FRONTEND, &["typegen"]);
    let text = stdout(&out);
    assert!(text.contains("src/generated/openapi.ts"), "{text}");
    assert!(
        text.contains("cargo xtask frontend typegen --mode write"),
        "{text}"
    );
}

/// typegen on another tree takes its Python from the development
/// environment, as every check does: it sets up no environment in the tree,
/// even when the xtask runs as a plain binary (no CARGO_MANIFEST_DIR) and the
/// tree is no checkout of its own.
#[test]
fn typegen_on_another_tree_uses_the_development_environment() {
    let tree = checkout(&[]);
    let out = output(
        check(tree.path(), &["--only", "typegen"])
            .env_remove("CARGO_MANIFEST_DIR")
            .current_dir(repo_root()),
    );
    assert_only_failed(&out, &["typegen"], &[]);
    for venv in [
        tree.path().join(".venv"),
        tree.path().join("frontend/.venv"),
    ] {
        assert!(!venv.exists(), "{} was created", venv.display());
    }
    let log = std::fs::read_to_string(tree.path().join("target/xtask/checks/typegen.log")).unwrap();
    assert!(
        log.lines().next().unwrap().contains(&format!(
            "--dev-env {}",
            repo_root().canonicalize().unwrap().display()
        )),
        "{log}"
    );
}

#[test]
fn fix_repairs_what_the_fixers_can() {
    let tree = checkout(&["fixable"]);
    let python_file = tree.path().join("python/invokeai/fixable.py");
    let ts_file = tree.path().join("frontend/src/fixable.ts");
    assert!(
        std::fs::read_to_string(&ts_file)
            .unwrap()
            .contains("let doubled = value*2;")
    );
    let fixers = "ruff-lint,ruff-format,prettier,eslint";
    let out = output(&mut check(tree.path(), &["--fix", "--only", fixers]));
    let rows = summary(&out);
    for name in [
        "ruff-lint:fix",
        "ruff-format:fix",
        "prettier:fix",
        "eslint:fix",
    ] {
        assert_eq!(
            rows.get(name).map(String::as_str),
            Some("passed"),
            "{}",
            stdout(&out)
        );
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let python = std::fs::read_to_string(&python_file).unwrap();
    assert!(python.contains("import os\nimport sys\n"), "{python}");
    assert!(python.contains("return os.sep + sys.platform"), "{python}");
    let ts = std::fs::read_to_string(&ts_file).unwrap();
    assert!(ts.contains("  const doubled = value * 2;\n"), "{ts}");
}

#[test]
fn github_actions_get_groups_and_annotations() {
    let tree = checkout(&["type-error", "fixable"]);
    let out = output(
        check(
            tree.path(),
            &["--only", "ruff-lint,mypy,prettier,eslint,tsc"],
        )
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "::group::mypy: failed",
        "::group::tsc: passed",
        "::endgroup::",
        // ruff annotates by itself.
        "::error title=ruff (I001),file=",
        // mypy, prettier and eslint are read by the xtask.
        "::error file=python/invokeai/wrong_type.py,line=5,title=mypy::Incompatible return value type",
        "::error file=frontend/src/fixable.ts,title=prettier::",
        "::error file=frontend/src/fixable.ts,line=2,col=7,endLine=2,endColumn=14,title=eslint (prefer-const)::",
        // Output shown again at the end is not annotated twice.
        "::stop-commands::",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
}

#[test]
fn list_shows_every_check_with_its_command() {
    let out = run_ok(xtask().args(["check", "--list"]));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 10, "{text}");
    for (name, command) in [
        ("ruff-lint", ".venv/bin/ruff check"),
        ("ruff-format", ".venv/bin/ruff format --check"),
        ("mypy", ".venv/bin/mypy"),
        ("pytest", ".venv/bin/pytest"),
        ("prettier", "node_modules/.bin/prettier --check ."),
        ("eslint", "node_modules/.bin/eslint --max-warnings=0 ."),
        ("circular", "node_modules/.bin/madge --circular"),
        ("tsc", "node_modules/.bin/tsc --noEmit"),
        ("vitest", "node_modules/.bin/vitest run"),
        ("typegen", "xtask frontend typegen --mode check --root .."),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
        assert!(line.contains(command), "{line}");
    }
    let out = run_ok(xtask().args(["check", "--list", "--fix", "--unsafe-fixes", "--python"]));
    let text = stdout(&out);
    assert!(text.contains("ruff check --fix --unsafe-fixes"), "{text}");
    assert!(
        text.contains("ruff format   (after ruff-lint:fix)"),
        "{text}"
    );
    assert!(!text.contains("prettier"), "{text}");
}

#[test]
fn check_help_explains_every_flag() {
    let out = run_ok(xtask().args(["check", "--help"]));
    let help = stdout(&out);
    for flag in [
        "--python",
        "--frontend",
        "--only",
        "--skip",
        "--jobs",
        "--fix",
        "--unsafe-fixes",
        "--fail-fast",
        "--list",
        "--root",
        "--dev-env",
    ] {
        assert!(help.contains(flag), "check --help lacks {flag}");
    }
    let out = run_ok(xtask().args(["bench", "check", "--help"]));
    assert!(stdout(&out).contains("Usage: cargo xtask bench check"));
}

#[test]
fn unknown_names_are_an_error_listing_the_known_ones() {
    for flag in ["--only", "--skip"] {
        let out = output(xtask().args(["check", flag, "mypy,pylint"]));
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = stderr(&out);
        assert!(err.contains("unknown check pylint"), "{err}");
        for name in ALL {
            assert!(err.contains(name), "{flag}: {name} missing in {err}");
        }
    }
    let out = output(xtask().args(["check", "--unsafe-fixes"]));
    assert_eq!(out.status.code(), Some(2), "--unsafe-fixes needs --fix");
}

#[test]
fn a_missing_tool_runs_setup_and_says_how_to_install_it() {
    // A development environment that lacks its .venv, where setup cannot run
    // (no python3 on PATH).
    let env = tempdir();
    std::fs::create_dir_all(env.path().join("python")).unwrap();
    std::fs::copy(
        repo_root().join("python/requirements-dev.txt"),
        env.path().join("python/requirements-dev.txt"),
    )
    .unwrap();
    let empty = tempdir();
    let out = output(
        xtask()
            .args(["check", "--python", "--dev-env"])
            .arg(env.path())
            .env("PATH", empty.path()),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("running setup"), "{err}");
    assert!(
        err.contains("setup: create .venv"),
        "setup did not start: {err}"
    );
    for tool in ["ruff", "mypy", "pytest"] {
        assert!(
            err.contains(&format!("{tool} (")),
            "{tool} not named: {err}"
        );
    }
    assert!(err.contains("`cargo xtask setup --python`"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
}

#[test]
fn another_root_needs_its_node_modules_linked() {
    let tree = checkout(&[]);
    std::fs::remove_file(tree.path().join("frontend/node_modules")).unwrap();
    let out = output(&mut check(tree.path(), &["--only", "tsc"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("node_modules is missing"),
        "{}",
        stderr(&out)
    );
}

/// The processes (not zombies) whose environment holds `mark`.
#[cfg(target_os = "linux")]
fn marked_processes(mark: &str) -> Vec<u32> {
    let needle = mark.as_bytes();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|var| var == needle) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
        if state != Some(Some('Z')) {
            found.push(pid);
        }
    }
    found
}

/// Assert that no process marked with `mark` is alive (killing any found,
/// so a failing test leaves nothing behind). Processes just killed may take
/// a moment to disappear from the process table.
#[cfg(target_os = "linux")]
fn assert_no_survivors(mark: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = marked_processes(mark);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = marked_processes(mark);
    }
    if !left.is_empty() {
        for pid in &left {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        panic!("processes of the run survived it: {left:?}");
    }
}

/// An environment variable that every process of one run inherits.
fn mark(test: &str) -> (String, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let value = format!("{test}-{}-{nanos}", std::process::id());
    ("XTASK_CHECK_TEST_MARK".to_owned(), value)
}

/// Wait for a child (whose output is small), killing it if it takes
/// unreasonably long.
fn wait_output(mut child: std::process::Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().expect("cannot wait for xtask").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("cannot wait for xtask")
}

#[cfg(target_os = "linux")]
#[test]
fn fail_fast_stops_the_others_and_leaves_no_process() {
    let tree = checkout(&["type-error", "sleeping-test"]);
    let ready = tree.path().join("sleeping-test-ready");
    let (key, value) = mark("fail-fast");
    // On a loaded machine mypy may fail before pytest's test has started
    // its child, and then the run proves nothing: try again, a few times.
    let mut out;
    let mut tries = 0;
    loop {
        tries += 1;
        let _ = std::fs::remove_file(&ready);
        out = output(
            check(
                tree.path(),
                &["--only", "mypy,pytest", "--fail-fast", "-j", "2"],
            )
            .env(&key, &value)
            .env("XTASK_CHECK_TEST_READY", &ready),
        );
        if ready.is_file() || tries == 3 {
            break;
        }
    }
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = summary(&out);
    assert_eq!(rows["mypy"], "failed", "{}", stdout(&out));
    assert_eq!(rows["pytest"], "stopped", "{}", stdout(&out));
    // The sleeping test had started its own child before mypy failed.
    assert!(
        ready.is_file(),
        "pytest was stopped before its test started a child; nothing to prove"
    );
    assert_no_survivors(&format!("{key}={value}"));
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_ends_every_check_and_what_it_started() {
    a_signal_ends_every_check_and_what_it_started("INT");
}

/// A closed terminal or SSH session: SIGHUP is an interrupt too.
#[cfg(target_os = "linux")]
#[test]
fn a_hangup_ends_every_check_and_what_it_started() {
    a_signal_ends_every_check_and_what_it_started("HUP");
}

#[cfg(target_os = "linux")]
fn a_signal_ends_every_check_and_what_it_started(signal: &str) {
    let tree = checkout(&["sleeping-test"]);
    let ready: PathBuf = tree.path().join("sleeping-test-ready");
    let (key, value) = mark(&format!("sig{signal}"));
    let child = check(tree.path(), &["--only", "pytest,ruff-lint", "-j", "2"])
        .env(&key, &value)
        .env("XTASK_CHECK_TEST_READY", &ready)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cannot start xtask");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready.is_file() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ready.is_file(), "the sleeping test never started");
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = wait_output(child);
    // First, so a failing run leaves nothing behind.
    assert_no_survivors(&format!("{key}={value}"));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let rows = summary(&out);
    assert_eq!(rows["pytest"], "stopped", "{}", stdout(&out));
    assert_eq!(rows["ruff-lint"], "passed", "{}", stdout(&out));
    assert!(
        stdout(&out).contains("check: interrupted"),
        "{}",
        stdout(&out)
    );
}
