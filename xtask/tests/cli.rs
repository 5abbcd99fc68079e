//! The command line itself: help text, root discovery from anywhere.

mod support;

use support::*;

/// `cargo xtask --help` is pinned (`snapshots/help.snap`) so the CLI surface
/// changes only on purpose. Refresh with `cargo insta review` after a failed
/// run, or `INSTA_UPDATE=always cargo test -p xtask --test cli` (never under
/// CI: there it fails instead).
#[test]
fn help_lists_every_command() {
    let out = run_ok(xtask().arg("--help"));
    let help = stdout(&out);
    pinned(|| insta::assert_snapshot!("help", help));
}

/// Every subcommand's `--help`, nested ones included, is pinned in one file
/// (`snapshots/subcommand-help.snap`), so a changed flag or wording shows up
/// in review. Refresh as `help_lists_every_command` says.
#[test]
fn every_subcommand_help_is_pinned() {
    let mut pending: Vec<Vec<String>> = subcommands(&stdout(&run_ok(xtask().arg("--help"))))
        .into_iter()
        .map(|c| vec![c])
        .collect();
    assert!(pending.len() > 10, "{pending:?}");
    let mut all = String::new();
    while let Some(path) = pending.pop() {
        let out = run_ok(xtask().args(&path).arg("--help"));
        let help = stdout(&out);
        assert!(help.contains("Usage: cargo xtask"), "{path:?}");
        for sub in subcommands(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            pending.push(deeper);
        }
        all.push_str(&format!(
            "==> cargo xtask {} --help\n{help}\n",
            path.join(" ")
        ));
    }
    // A stable order: by command path.
    let mut sections: Vec<&str> = all.split("==> ").filter(|s| !s.is_empty()).collect();
    sections.sort();
    let text: String = sections.iter().map(|s| format!("==> {s}")).collect();
    pinned(|| insta::assert_snapshot!("subcommand-help", text));
}

#[test]
fn snapshots_are_rewritten_on_request_and_never_under_ci() {
    use std::ffi::OsStr;
    let ci = Some(OsStr::new("true"));
    for harmless in [None, Some(""), Some("auto"), Some("no")] {
        let harmless = harmless.map(OsStr::new);
        assert_eq!(snapshot_writes_allowed(harmless, None), Ok(()));
        assert_eq!(snapshot_writes_allowed(harmless, ci), Ok(()));
    }
    for writes in ["always", "1", "new", "unseen", "force"] {
        let writes = Some(OsStr::new(writes));
        assert_eq!(snapshot_writes_allowed(writes, None), Ok(()));
        for off in ["", "0", "false", "FALSE", "no", "off"] {
            assert_eq!(
                snapshot_writes_allowed(writes, Some(OsStr::new(off))),
                Ok(()),
                "{off:?}"
            );
        }
        for on in ["true", "1", "yes", "True", "github-actions"] {
            let refused = snapshot_writes_allowed(writes, Some(OsStr::new(on))).unwrap_err();
            assert!(refused.contains("never rewritten in CI"), "{refused}");
        }
    }
}

/// The snapshot test itself, on a copy of the snapshots whose `--help` is
/// stale, under CI: it fails and writes nothing, whatever INSTA_UPDATE asks
/// (the stale file is not even rewritten with the same bytes, and no
/// `.snap.new` appears beside it). Outside CI the same run leaves the new
/// text beside it for review, so the copy is where the test looks.
#[test]
fn a_snapshot_test_under_ci_writes_nothing() {
    let root = tempdir();
    let dir = root.path().join("xtask/tests/snapshots");
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("help.snap");
    let pinned = std::fs::read_to_string(repo_root().join("xtask/tests/snapshots/help.snap"));
    let stale = pinned.unwrap().replace("Usage:", "Usage (stale):");
    std::fs::write(&snapshot, &stale).unwrap();
    let before = std::fs::metadata(&snapshot).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = |update: Option<&str>, ci: Option<&str>| {
        let mut test = std::process::Command::new(std::env::current_exe().unwrap());
        test.args(["--exact", "help_lists_every_command", "--test-threads=1"])
            .env("INSTA_WORKSPACE_ROOT", root.path())
            .env_remove("INSTA_UPDATE")
            .env_remove("CI")
            .env_remove("TF_BUILD");
        if let Some(update) = update {
            test.env("INSTA_UPDATE", update);
        }
        if let Some(ci) = ci {
            test.env("CI", ci);
        }
        output(&mut test)
    };
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for update in [
        None,
        Some("auto"),
        Some("always"),
        Some("new"),
        Some("force"),
    ] {
        let out = run(update, Some("true"));
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!out.status.success(), "{update:?}: {said}");
        assert!(
            said.contains("never rewritten in CI")
                || said.contains("snapshot assertion for 'help' failed"),
            "{update:?}: {said}"
        );
        assert_eq!(files(), ["help.snap"], "{update:?}: {said}");
        let after = std::fs::metadata(&snapshot).unwrap().modified().unwrap();
        assert_eq!(
            before, after,
            "the snapshot was written under CI ({update:?})"
        );
    }
    let out = run(None, None);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert_eq!(files(), ["help.snap", "help.snap.new"]);
    assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), stale);
}

/// A binary started for one checkout (cargo says so in CARGO_MANIFEST_DIR)
/// refuses to act on another checkout it is run from.
#[test]
fn a_binary_of_one_checkout_refuses_to_act_on_another() {
    let other = tempdir();
    std::fs::create_dir_all(other.path().join("xtask")).unwrap();
    std::fs::write(other.path().join("Cargo.toml"), "").unwrap();
    std::fs::write(other.path().join("xtask/Cargo.toml"), "").unwrap();
    let out = output(
        xtask()
            .args(["check-version", "--tag", "v1.0"])
            .env("CARGO_MANIFEST_DIR", repo_root().join("xtask"))
            .current_dir(other.path()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("this xtask was started for the checkout"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Run from the other checkout alone (no CARGO_MANIFEST_DIR), it acts there:
    // and that checkout has no version file.
    let out = output(
        xtask()
            .args(["check-version", "--tag", "v1.0"])
            .env_remove("CARGO_MANIFEST_DIR")
            .current_dir(other.path()),
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("cannot read the version file"),
        "{}",
        stderr(&out)
    );
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

/// A prebuilt binary outside any checkout (a CI job that downloaded it)
/// still builds a project given with --project and --out.
#[test]
fn dist_works_outside_any_checkout() {
    let tmp = tempdir();
    let project = repo_root().join("xtask/tests/fixtures/projects/tiny");
    let out = run_ok(
        xtask()
            .args(["dist", "--project"])
            .arg(&project)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .env_remove("CARGO_MANIFEST_DIR")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .current_dir(tmp.path()),
    );
    assert!(stdout(&out).contains("wheel "), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_dir(tmp.path().join("out")).unwrap().count(),
        2
    );
}
