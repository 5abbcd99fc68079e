//! `cargo xtask release-notes` on a throwaway repository with a scripted
//! history, compared with golden Markdown.
//!
//! The history is fully pinned: file contents, author and committer names,
//! e-mails and dates (GIT_AUTHOR_DATE / GIT_COMMITTER_DATE), no global git
//! configuration (so no signing or hooks). Commit ids are a function of
//! exactly those, so the short hashes in the golden file are real and stable
//! on any machine; they change only when this script does. Refresh the golden
//! file (`snapshots/release-notes.snap`) with `cargo insta review` after a
//! failed run, or `INSTA_UPDATE=always cargo test -p xtask --test
//! release_notes` (never under CI, where it fails instead).

mod release_fixture;
mod support;

use std::path::Path;
use std::process::Command;

use release_fixture::{git, isolate};
use support::*;

const PYPROJECT: &str = "[project]\nname = \"InvokeAI\"\ndynamic = [\"version\"]\n";

struct Author {
    name: &'static str,
    email: &'static str,
}

const ANN: Author = Author {
    name: "Ann Maintainer",
    email: "ann@example.org",
};
const BOB: Author = Author {
    name: "Bob Newcomer",
    email: "bob@example.org",
};
const CYD: Author = Author {
    name: "Cyd Writer",
    email: "cyd@example.org",
};
const DEE: Author = Author {
    name: "Dee Releaser",
    email: "dee@example.org",
};

/// git as `who` on `day` of January 2024.
fn git_as(root: &Path, who: &Author, day: u32, args: &[&str]) {
    let date = format!("2024-01-{day:02}T12:00:00+00:00");
    let mut cmd = Command::new("git");
    isolate(&mut cmd)
        .arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_AUTHOR_NAME", who.name)
        .env("GIT_AUTHOR_EMAIL", who.email)
        .env("GIT_COMMITTER_NAME", who.name)
        .env("GIT_COMMITTER_EMAIL", who.email)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date);
    run_ok(&mut cmd);
}

fn commit(root: &Path, who: &Author, day: u32, file: &str, text: &str, message: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    git(root, &["add", file]);
    git_as(root, who, day, &["commit", "--quiet", "-m", message]);
}

/// The scripted history:
///
/// ```text
/// v0.9.0 v1.0.0  Start the project (Ann)
///   |\__ fix: a hotfix only on a branch (Ann)   v1.0.1, never merged
///   feat(ui): add a dark theme (Ann)
///   fix: crash when the gallery is empty (Bob, new)
///   perf: cache <img> thumbnails (Ann)
///   |\__ docs: explain the installer (Cyd, new)
///   Merge branch 'docs' (Ann)                   left out: a merge
///   Bump the version to 1.1.0 (Dee, new)       nightly
///   feat(api)!: drop the v1 endpoints (Bob)     v1.1.0 = HEAD
/// ```
fn scripted_repo() -> tempfile::TempDir {
    let dir = tempdir();
    let root = dir.path();
    let version = "python/invokeai/version/invokeai_version.py";
    git(root, &["init", "--quiet", "-b", "main"]);
    std::fs::create_dir_all(root.join("python")).unwrap();
    std::fs::write(root.join("python/pyproject.toml"), PYPROJECT).unwrap();
    git(root, &["add", "python/pyproject.toml"]);
    commit(
        root,
        &ANN,
        1,
        version,
        "__version__ = \"1.0.0\"\n",
        "Start the project",
    );
    git(root, &["tag", "v0.9.0"]);
    git_as(
        root,
        &ANN,
        1,
        &["tag", "-a", "-m", "InvokeAI 1.0.0", "v1.0.0"],
    );

    git(root, &["switch", "--quiet", "-c", "hotfix"]);
    commit(
        root,
        &ANN,
        2,
        "hotfix.txt",
        "hot\n",
        "fix: a hotfix only on a branch",
    );
    git_as(
        root,
        &ANN,
        2,
        &["tag", "-a", "-m", "InvokeAI 1.0.1", "v1.0.1"],
    );
    git(root, &["switch", "--quiet", "main"]);

    commit(
        root,
        &ANN,
        3,
        "ui.txt",
        "dark\n",
        "feat(ui): add a dark theme",
    );
    commit(
        root,
        &BOB,
        4,
        "gallery.txt",
        "empty ok\n",
        "fix: crash when the gallery is empty",
    );
    commit(
        root,
        &ANN,
        5,
        "thumbs.txt",
        "cached\n",
        "perf: cache <img> thumbnails",
    );
    git(root, &["switch", "--quiet", "-c", "docs"]);
    commit(
        root,
        &CYD,
        6,
        "INSTALL.md",
        "# Install\n",
        "docs: explain the installer",
    );
    git(root, &["switch", "--quiet", "main"]);
    git_as(
        root,
        &ANN,
        7,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "-m",
            "Merge branch 'docs'",
            "docs",
        ],
    );
    commit(
        root,
        &DEE,
        8,
        version,
        "__version__ = \"1.1.0\"\n",
        "Bump the version to 1.1.0",
    );
    git(root, &["tag", "nightly"]);
    commit(
        root,
        &BOB,
        9,
        "api.txt",
        "v2 only\n",
        "feat(api)!: drop the v1 endpoints",
    );
    git_as(
        root,
        &DEE,
        9,
        &["tag", "-a", "-m", "InvokeAI 1.1.0", "v1.1.0"],
    );
    dir
}

fn release_notes(root: &Path, args: &[&str]) -> Command {
    let mut cmd = xtask();
    cmd.arg("release-notes").args(args).arg("--repo").arg(root);
    isolate(&mut cmd);
    cmd
}

#[test]
fn golden_notes_since_the_previous_version_tag() {
    let repo = scripted_repo();
    let out = run_ok(&mut release_notes(repo.path(), &[]));
    let notes = stdout(&out);
    pinned(|| insta::assert_snapshot!("release-notes", notes));
}

/// The golden file's hashes are this history's real ones.
#[test]
fn the_short_hashes_are_the_commits_own() {
    let repo = scripted_repo();
    let notes = stdout(&run_ok(&mut release_notes(repo.path(), &[])));
    let log = git(
        repo.path(),
        &["log", "--no-merges", "--format=%h %s", "v1.0.0..HEAD"],
    );
    assert_eq!(log.lines().count(), 6, "{log}");
    for line in log.lines() {
        let (short, _) = line.split_once(' ').unwrap();
        assert!(
            notes.contains(&format!("(`{short}`)")),
            "{short} missing:\n{notes}"
        );
    }
    let merge = git(repo.path(), &["log", "--merges", "--format=%h"]);
    assert!(
        !notes.contains(&merge),
        "the merge commit is listed:\n{notes}"
    );
}

#[test]
fn since_and_out() {
    let repo = scripted_repo();
    let out_dir = tempdir();
    let file = out_dir.path().join("notes.md");
    let out = run_ok(&mut release_notes(
        repo.path(),
        &["--since", "nightly", "--out", file.to_str().unwrap()],
    ));
    assert_eq!(stdout(&out), "", "the notes went to stdout too");
    assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));
    let notes = std::fs::read_to_string(&file).unwrap();
    assert!(
        notes.starts_with("## InvokeAI 1.1.0\n\nChanges since nightly: 1 commit by 1 author.\n"),
        "{notes}"
    );
    assert!(
        notes.contains("- **breaking:** **api:** drop the v1 endpoints"),
        "{notes}"
    );
    // Bob committed before `nightly`: not new any more.
    assert!(!notes.contains("New contributors"), "{notes}");
    assert!(
        notes.ends_with("**Full changelog:** `nightly...v1.1.0`\n"),
        "{notes}"
    );
    let names: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.md"], "a temporary file was left behind");
}

#[test]
fn an_unknown_since_is_an_error_with_a_way_out() {
    let repo = scripted_repo();
    let out = output(&mut release_notes(repo.path(), &["--since", "v0.0.1"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("--since v0.0.1 names no commit"), "{err}");
    assert!(err.contains("git fetch --tags"), "{err}");
}

/// A history whose last commits carry hostile or unlucky bytes: a subject
/// and an author name with escape sequences (a screen clear, a window title,
/// colours, a bell, a carriage return), and a Latin-1 subject and author
/// with no encoding header.
#[test]
fn control_characters_and_latin1_bytes_are_shown_safely() {
    let repo = scripted_repo();
    let root = repo.path();
    std::fs::write(root.join("evil.txt"), "x\n").unwrap();
    git(root, &["add", "evil.txt"]);
    let mut cmd = Command::new("git");
    isolate(&mut cmd)
        .arg("-C")
        .arg(root)
        .args([
            "commit",
            "--quiet",
            "-m",
            "fix: \x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m\rcovered\x07",
        ])
        .env("GIT_AUTHOR_NAME", "Eve \x1b[5mBlink\x1b[0m");
    run_ok(&mut cmd);
    // git itself would re-encode a message that is not UTF-8 (as if it
    // were Latin-1), so the commit object is written by hand, as an older
    // git or another tool may have.
    let parent = git(root, &["rev-parse", "HEAD"]);
    let tree = git(root, &["rev-parse", "HEAD^{tree}"]);
    let mut object = format!("tree {tree}\nparent {parent}\n").into_bytes();
    for role in ["author", "committer"] {
        object.extend_from_slice(role.as_bytes());
        object.extend_from_slice(b" Jos\xe9 Mu\xf1oz <jose@example.org> 1704283200 +0000\n");
    }
    object.extend_from_slice(b"\nCaf\xe9 cr\xe8me\n");
    let file = root.join("commit.bin");
    std::fs::write(&file, &object).unwrap();
    let sha = git(
        root,
        &["hash-object", "-t", "commit", "-w", file.to_str().unwrap()],
    );
    std::fs::remove_file(&file).unwrap();
    git(root, &["update-ref", "HEAD", &sha]);
    let raw = output(isolate(
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["cat-file", "commit", "HEAD"]),
    ))
    .stdout;
    assert!(
        raw.windows(4).any(|w| w == b"Caf\xe9") && !raw.windows(9).any(|w| w == b"encoding "),
        "the commit must hold Latin-1 bytes and no encoding header"
    );

    let out = run_ok(&mut release_notes(root, &[]));
    let notes = stdout(&out);
    assert!(
        !notes.chars().any(|c| c.is_control() && c != '\n'),
        "control characters in the notes:\n{notes:?}"
    );
    assert!(notes.contains("- red covered (`"), "{notes}");
    assert!(notes.contains("by Eve Blink\n"), "{notes}");
    assert!(
        notes.contains("- Caf\u{fffd} cr\u{fffd}me (`")
            && notes.contains("by Jos\u{fffd} Mu\u{fffd}oz"),
        "{notes}"
    );
}

/// The version being released is after the tag at HEAD (the previous
/// release's): the notes start there, not at the first commit.
#[test]
fn an_older_release_tag_at_head_starts_the_range() {
    let repo = release_fixture::Repo::without_remote("1.0.0");
    repo.git(&["tag", "-a", "-m", "InvokeAI 1.0.0", "v1.0.0"]);
    repo.set_version("1.1.0.dev0");
    let notes = stdout(&run_ok(&mut release_notes(&repo.root, &[])));
    assert_eq!(
        notes, "## InvokeAI 1.1.0.dev0\n\nNo changes since v1.0.0.\n",
        "{notes}"
    );
}

/// More than GitHub takes in a release body: cut, with a link to the full
/// comparison on the repository origin names.
#[test]
fn notes_longer_than_a_github_release_are_cut_with_a_link() {
    let repo = scripted_repo();
    let root = repo.path();
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://github.com/invoke-ai/InvokeAI.git",
        ],
    );
    // 600 commits of 250-character subjects: about 170,000 characters.
    let filler = "x".repeat(230);
    for i in 0..600 {
        git(
            root,
            &[
                "commit",
                "--quiet",
                "--allow-empty",
                "-m",
                &format!("fix: change {i:04} {filler}"),
            ],
        );
    }
    let notes = stdout(&run_ok(&mut release_notes(root, &[])));
    let chars = notes.chars().count();
    assert!((120_000..=125_000).contains(&chars), "{chars} characters");
    assert!(notes.contains("- change 0000 "), "the start is kept");
    assert!(!notes.contains("- change 0599 "), "nothing was cut");
    assert!(
        notes.ends_with("\n**These notes were cut here: a GitHub release holds at most 125,000 characters.** All the changes: https://github.com/invoke-ai/InvokeAI/compare/v1.0.0...v1.1.0\n"),
        "{}",
        &notes[notes.len() - 300..]
    );
}
