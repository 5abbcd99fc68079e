//! The command line itself: help text, root discovery from anywhere.

mod support;

use support::*;

/// `cargo xtask --help` is pinned so the CLI surface changes only on purpose.
/// Refresh with `UPDATE_SNAPSHOTS=1 cargo test -p xtask --test cli`.
#[test]
fn help_lists_every_command() {
    let out = run_ok(xtask().arg("--help"));
    let help = stdout(&out);
    let snapshot = repo_root().join("xtask/tests/snapshots/help.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &help).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        help,
        expected,
        "`cargo xtask --help` changed; see {}",
        snapshot.display()
    );
}

#[test]
fn every_command_explains_its_flags() {
    for args in [
        &["setup", "--help"][..],
        &["frontend", "--help"],
        &["frontend", "build", "--help"],
        &["test", "--help"],
        &["frontend", "typegen", "--help"],
        &["openapi", "--help"],
    ] {
        let out = run_ok(xtask().args(args));
        assert!(stdout(&out).contains("Usage: cargo xtask"), "{args:?}");
    }
    let out = run_ok(xtask().args(["test", "--help"]));
    for flag in ["--rust", "--python", "--frontend"] {
        assert!(stdout(&out).contains(flag), "test --help lacks {flag}");
    }
    let out = run_ok(xtask().args(["frontend", "typegen", "--help"]));
    for flag in ["--mode", "write", "check", "dry-run", "--root"] {
        assert!(
            stdout(&out).contains(flag),
            "frontend typegen --help lacks {flag}"
        );
    }
}

#[test]
fn unknown_command_is_an_error() {
    let out = output(xtask().arg("frobnicate"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unrecognized subcommand 'frobnicate'"));
}

/// The root comes from the crate's manifest dir, so the current directory
/// does not matter: from a temp dir outside the repository, setup still finds
/// (and leaves alone) the repository's environment.
#[test]
fn works_from_outside_the_repository() {
    venv_python();
    let dir = tempdir();
    let out = run_ok(xtask().args(["setup", "--python"]).current_dir(dir.path()));
    assert!(
        stderr(&out).contains("setup: nothing to do"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "setup wrote into the cwd"
    );
}
