//! `cargo xtask check-version`: the release ref against the version file, run
//! as the real binary on throwaway checkouts.

mod release_fixture;
mod support;

use std::path::Path;
use std::process::Command;

use release_fixture::isolate;
use support::*;

/// A checkout holding only the version file (all check-version reads).
fn checkout(version_line: &str) -> tempfile::TempDir {
    let dir = tempdir();
    let file = dir
        .path()
        .join("python/invokeai/version/invokeai_version.py");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, format!("{version_line}\n")).unwrap();
    dir
}

fn check_version(repo: &Path) -> Command {
    let mut cmd = xtask();
    cmd.arg("check-version").arg("--repo").arg(repo);
    isolate(&mut cmd);
    cmd
}

/// What a row expects: exit code, verdict word, and the three outputs.
struct Row {
    file: &'static str,
    tag: &'static str,
    exit: i32,
    version: &'static str,
    prerelease: bool,
    major_minor: &'static str,
}

const fn row(
    file: &'static str,
    tag: &'static str,
    exit: i32,
    version: &'static str,
    prerelease: bool,
    major_minor: &'static str,
) -> Row {
    Row {
        file,
        tag,
        exit,
        version,
        prerelease,
        major_minor,
    }
}

const MATCH: i32 = 0;
const MISMATCH: i32 = 1;
const NOT_A_VERSION: i32 = 2;

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // The spelling of the same version does not matter (PEP 440 normalisation).
    row("3.5.0rc2", "v3.5.0rc2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "refs/tags/v3.5.0rc2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "3.5.0rc2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "v3.5.0RC2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "3.5.0-rc2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "refs/tags/3.5.0_rc.2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "v3.5.0c2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "V3.5.0preview2", MATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0RC2", "v3.5.0rc2", MATCH, "3.5.0rc2", true, "3.5"),
    // Another version.
    row("3.5.0rc2", "v3.5.0rc3", MISMATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "v3.5.0", MISMATCH, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "refs/tags/v3.5.0rc2.post1", MISMATCH, "3.5.0rc2", true, "3.5"),
    // Not a version at all.
    row("3.5.0rc2", "banana-sushi", NOT_A_VERSION, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "refs/heads/main", NOT_A_VERSION, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "refs/tags/release-3.5.0rc2", NOT_A_VERSION, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "v3.5.0rc2.", NOT_A_VERSION, "3.5.0rc2", true, "3.5"),
    row("3.5.0rc2", "v3..5", NOT_A_VERSION, "3.5.0rc2", true, "3.5"),
    // At most one `v`, right before the version, as packaging.version reads it.
    row("6.15.0rc1", "vv6.15.0rc1", NOT_A_VERSION, "6.15.0rc1", true, "6.15"),
    row("6.15.0rc1", "vV6.15.0rc1", NOT_A_VERSION, "6.15.0rc1", true, "6.15"),
    row("6.15.0rc1", "v 6.15.0rc1", NOT_A_VERSION, "6.15.0rc1", true, "6.15"),
    row("6.15.0rc1", "refs/tags/refs/tags/v6.15.0rc1", NOT_A_VERSION, "6.15.0rc1", true, "6.15"),
    // Trailing zeros are equal in PEP 440.
    row("1.0", "v1.0.0", MATCH, "1.0", false, "1.0"),
    row("1.0.0", "v1", MATCH, "1.0.0", false, "1.0"),
    row("7", "v7.0", MATCH, "7", false, "7.0"),
    // Epochs.
    row("1!2.0", "v1!2.0", MATCH, "1!2.0", false, "2.0"),
    row("1!2.0", "v2.0", MISMATCH, "1!2.0", false, "2.0"),
    row("2.0", "v0!2.0", MATCH, "2.0", false, "2.0"),
    // Post-releases.
    row("1.0.post1", "v1.0.post1", MATCH, "1.0.post1", false, "1.0"),
    row("1.0.post1", "v1.0-1", MATCH, "1.0.post1", false, "1.0"),
    row("1.0.post1", "v1.0.rev1", MATCH, "1.0.post1", false, "1.0"),
    row("1.0.post1", "v1.0", MISMATCH, "1.0.post1", false, "1.0"),
    // Dev releases are pre-releases.
    row("1.0.dev3", "v1.0.dev3", MATCH, "1.0.dev3", true, "1.0"),
    row("1.0.dev3", "v1.0dev3", MATCH, "1.0.dev3", true, "1.0"),
    row("1.0.dev3", "v1.0", MISMATCH, "1.0.dev3", true, "1.0"),
    row("1.0.post2.dev1", "v1.0.post2.dev1", MATCH, "1.0.post2.dev1", true, "1.0"),
    // Alpha and beta spelled out.
    row("1.0a1", "v1.0alpha1", MATCH, "1.0a1", true, "1.0"),
    row("1.0b2", "v1.0beta2", MATCH, "1.0b2", true, "1.0"),
    row("1.0b2", "v1.0b", MISMATCH, "1.0b2", true, "1.0"),
    // Local versions: equal only with the same (normalised) label.
    row("1.0+local.7", "v1.0+local.7", MATCH, "1.0+local.7", false, "1.0"),
    row("1.0+local.7", "v1.0", MISMATCH, "1.0+local.7", false, "1.0"),
    row("1.0", "v1.0+local", MISMATCH, "1.0", false, "1.0"),
    row("1.0+Ubuntu-1", "v1.0+ubuntu.1", MATCH, "1.0+ubuntu.1", false, "1.0"),
    // The real version.
    row("6.10.0rc1", "refs/tags/v6.10.0rc1", MATCH, "6.10.0rc1", true, "6.10"),
    row("6.10.0", "refs/tags/v6.10.0", MATCH, "6.10.0", false, "6.10"),
];

/// Every row through the real binary: exit code, printed versions and
/// verdict, and the output file. Even rows pass the ref and the output file as
/// flags, odd rows through GITHUB_REF and GITHUB_OUTPUT.
#[test]
fn table_of_tags_and_versions() {
    assert!(ROWS.len() >= 30);
    let mut failures = Vec::new();
    for (i, r) in ROWS.iter().enumerate() {
        let dir = checkout(&format!("__version__ = \"{}\"", r.file));
        let out_file = dir.path().join("github-output");
        let mut cmd = check_version(dir.path());
        if i % 2 == 0 {
            cmd.arg("--tag")
                .arg(r.tag)
                .arg("--github-output")
                .arg(&out_file);
        } else {
            cmd.env("GITHUB_REF", r.tag).env("GITHUB_OUTPUT", &out_file);
        }
        let out = output(&mut cmd);
        let text = stdout(&out);
        let verdict = match r.exit {
            MATCH => "verdict:      match",
            MISMATCH => "verdict:      mismatch",
            _ => "verdict:      not a version",
        };
        let source = if i % 2 == 0 {
            "given by --tag"
        } else {
            "from GITHUB_REF"
        };
        let expected_outputs = format!(
            "VERSION={}\nIS_PRERELEASE={}\nVERSION_MAJOR_MINOR={}\n",
            r.version, r.prerelease, r.major_minor
        );
        let written = std::fs::read_to_string(&out_file).unwrap_or_default();
        let problems: Vec<&str> = [
            (out.status.code() != Some(r.exit)).then_some("exit code"),
            (!text.contains(verdict)).then_some("verdict"),
            (!text.contains(&format!("version file: {} (", r.version))).then_some("version line"),
            (!text.contains(source)).then_some("ref source"),
            (written != expected_outputs).then_some("outputs"),
            (r.exit != MATCH && !text.contains("; way out: ")).then_some("way out"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "row {i} file {:?} tag {:?}: wrong {problems:?}; exit {:?}, want {}\n{text}{}\noutputs: {written:?}",
                r.file,
                r.tag,
                out.status.code(),
                r.exit,
                stderr(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tag's version is printed too, normalised.
#[test]
fn both_versions_and_the_verdict_are_printed() {
    let dir = checkout("__version__ = \"3.5.0rc2\"");
    let out = output(check_version(dir.path()).args(["--tag", "v3.5.0rc3"]));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("version file: 3.5.0rc2 (python/invokeai/version/invokeai_version.py:1)"),
        "{text}"
    );
    assert!(
        text.contains("tag:          3.5.0rc3 (`v3.5.0rc3`, given by --tag)"),
        "{text}"
    );
    assert!(text.contains("the tag says 3.5.0rc3 but"), "{text}");
}

/// The output file gets exactly the three keys, appended after what the
/// workflow's earlier steps wrote there.
#[test]
fn github_output_gets_exactly_the_three_keys() {
    let dir = checkout("__version__ = \"6.10.0rc1\"");
    let out_file = dir.path().join("github-output");
    std::fs::write(&out_file, "EARLIER=step\n").unwrap();
    let out = run_ok(
        check_version(dir.path())
            .env("GITHUB_REF", "refs/tags/v6.10.0rc1")
            .env("GITHUB_OUTPUT", &out_file),
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    let added: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .map(|l| l.split_once('=').expect("KEY=value"))
        .collect();
    assert!(text.starts_with("EARLIER=step\n"), "{text}");
    assert_eq!(
        added,
        [
            ("VERSION", "6.10.0rc1"),
            ("IS_PRERELEASE", "true"),
            ("VERSION_MAJOR_MINOR", "6.10")
        ]
    );
    assert!(stdout(&out).contains("appended to"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("(from GITHUB_OUTPUT)"),
        "{}",
        stdout(&out)
    );
}

/// An output file whose last line lacks its newline (a hand-written step)
/// still gets whole lines: the first key never glues onto that line.
#[test]
fn github_output_without_a_final_newline_gets_one() {
    let dir = checkout("__version__ = \"6.10.0rc1\"");
    let out_file = dir.path().join("github-output");
    std::fs::write(&out_file, "EXISTING=1").unwrap();
    run_ok(
        check_version(dir.path())
            .arg("--tag")
            .arg("v6.10.0rc1")
            .arg("--github-output")
            .arg(&out_file),
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.starts_with("EXISTING=1\nVERSION=6.10.0rc1\n"),
        "{text:?}"
    );
}

#[test]
fn without_a_ref_the_check_is_skipped() {
    let dir = checkout("__version__ = \"6.10.0rc1\"");
    let out = run_ok(&mut check_version(dir.path()));
    let text = stdout(&out);
    assert!(text.contains("verdict:      skipped"), "{text}");
    assert!(
        text.contains("no --tag and GITHUB_REF is not set"),
        "{text}"
    );
    assert!(text.contains("outputs:      none"), "{text}");
    // An empty GITHUB_REF is no ref either.
    let out = run_ok(check_version(dir.path()).env("GITHUB_REF", ""));
    assert!(stdout(&out).contains("skipped"));
}

#[test]
fn the_flag_wins_over_github_ref() {
    let dir = checkout("__version__ = \"6.10.0rc1\"");
    let out = run_ok(
        check_version(dir.path())
            .args(["--tag", "v6.10.0rc1"])
            .env("GITHUB_REF", "refs/tags/v9.9.9"),
    );
    assert!(stdout(&out).contains("given by --tag"));
}

/// The version file is read with the version-check action's rule.
#[test]
fn version_file_spellings() {
    for (line, version) in [
        ("VERSION = 'v2.1'", "2.1"),
        ("__version__='V2.1rc1'", "2.1rc1"),
        ("__version__  =  \"2.1\"  # the release", "2.1"),
    ] {
        let dir = checkout(line);
        let out = run_ok(check_version(dir.path()).args(["--tag", &format!("v{version}")]));
        assert!(
            stdout(&out).contains(&format!("version file: {version} (")),
            "{line}: {}",
            stdout(&out)
        );
    }
}

/// A broken version file is an error (exit 1) naming the file and the way
/// out, and writes no outputs.
#[test]
fn a_bad_version_file_is_an_error() {
    for (line, expected) in [
        (
            "__version__ = \"banana\"",
            "`banana` is not a PEP 440 version",
        ),
        ("version_is = 1", "no line like `__version__ = \"1.2.3\"`"),
    ] {
        let dir = checkout(line);
        let out_file = dir.path().join("github-output");
        let out = output(
            check_version(dir.path())
                .args(["--tag", "v1.0"])
                .env("GITHUB_OUTPUT", &out_file),
        );
        assert_eq!(out.status.code(), Some(1), "{line}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{line}: {err}");
        assert!(
            err.contains("python/invokeai/version/invokeai_version.py"),
            "{err}"
        );
        assert!(
            !out_file.exists(),
            "outputs were written for a bad version file"
        );
    }
    let missing = tempdir();
    let out = output(&mut check_version(missing.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read the version file"),
        "{}",
        stderr(&out)
    );
}

/// The release commands document their flags, `--repo` included.
#[test]
fn release_commands_explain_their_flags() {
    for (command, flags) in [
        ("check-version", &["--tag", "--github-output", "--repo"][..]),
        (
            "tag-release",
            &[
                "--push",
                "--remote",
                "--yes",
                "--dry-run",
                "--force",
                "--repo",
            ],
        ),
        (
            "check-published",
            &["--index", "--version", "--timeout", "--repo"],
        ),
        ("release-notes", &["--since", "--out", "--repo"]),
        (
            "preflight",
            &["--remote", "--pypi", "--testpypi", "--timeout", "--repo"],
        ),
    ] {
        let out = run_ok(xtask().args([command, "--help"]));
        let help = stdout(&out);
        assert!(
            help.contains(&format!("Usage: cargo xtask {command}")),
            "{help}"
        );
        for flag in flags {
            assert!(help.contains(flag), "{command} --help lacks {flag}");
        }
    }
}
