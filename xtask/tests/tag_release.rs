//! `cargo xtask tag-release`: throwaway repositories with a bare remote.
//!
//! Every test records the remote's tags first and checks at the end that
//! none was deleted or moved (`assert_remote_tags_kept`).

mod release_fixture;
mod support;

use std::collections::BTreeMap;

use release_fixture::Repo;
use support::*;

/// Every tag the remote had is still there, pointing where it did.
fn assert_remote_tags_kept(before: &BTreeMap<String, String>, repo: &Repo) {
    let after = repo.remote_tags();
    for (tag, object) in before {
        assert_eq!(
            after.get(tag),
            Some(object),
            "the remote's {tag} was deleted or moved"
        );
    }
}

/// A repository with two commits whose remote already has an older release tag.
fn repo() -> Repo {
    let repo = Repo::new("1.1.0");
    repo.git(&["tag", "-a", "-m", "old release", "v1.1.0"]);
    repo.git(&["push", "--quiet", "origin", "refs/tags/v1.1.0"]);
    repo.set_version("1.2.0");
    repo.commit(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"1.2.0\"\n",
        "Bump the version to 1.2.0",
    );
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo
}

#[test]
fn a_clean_tree_is_tagged_and_only_that_tag_pushed() {
    let repo = repo();
    // A local tag that must not travel with the push.
    repo.git(&["tag", "experiment"]);
    let before = repo.remote_tags();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    let head = repo.head();
    assert!(
        text.contains("create the annotated tag v1.2.0 at HEAD"),
        "{text}"
    );
    assert!(
        text.contains("push refs/tags/v1.2.0 (only that tag) to origin"),
        "{text}"
    );
    assert!(text.contains("pushed v1.2.0 to origin"), "{text}");
    assert_eq!(repo.local_tag("v1.2.0").as_deref(), Some(head.as_str()));
    assert_eq!(
        repo.git(&["cat-file", "-t", "refs/tags/v1.2.0"]),
        "tag",
        "not annotated"
    );
    assert_eq!(
        repo.git(&["tag", "-l", "--format=%(contents:subject)", "v1.2.0"]),
        "InvokeAI 1.2.0"
    );
    let after = repo.remote_tags();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["refs/tags/v1.1.0", "refs/tags/v1.2.0"],
        "exactly one new tag on the remote"
    );
    assert_eq!(repo.remote_git(&["rev-parse", "v1.2.0^{commit}"]), head);
    assert_remote_tags_kept(&before, &repo);
}

#[test]
fn without_push_the_tag_stays_local() {
    let repo = repo();
    let before = repo.remote_tags();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--yes"]));
    assert!(repo.local_tag("v1.2.0").is_some());
    assert_eq!(repo.remote_tags(), before);
    assert!(
        stdout(&out).contains("re-run with --push to push it"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_dirty_tree_is_refused() {
    let repo = repo();
    let before_tags = repo.remote_tags();
    for (name, change) in [
        ("a modified file", "README.md"),
        ("an untracked file", "notes.txt"),
    ] {
        repo.write(change, "changed\n");
        let refs = repo.refs();
        let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        assert!(
            text.contains("the working tree has uncommitted changes"),
            "{name}: {text}"
        );
        assert!(text.contains(change), "{name}: {text}");
        assert!(text.contains("way out: commit them"), "{name}: {text}");
        assert!(text.contains("nothing was changed"), "{name}: {text}");
        assert_eq!(repo.refs(), refs, "{name}: refs changed");
        repo.git(&["checkout", "--quiet", "--", "."]);
        repo.git(&["clean", "--quiet", "-fd"]);
    }
    assert!(repo.local_tag("v1.2.0").is_none());
    assert_remote_tags_kept(&before_tags, &repo);
}

#[test]
fn a_local_tag_elsewhere_is_refused_and_force_moves_it() {
    let repo = repo();
    let old = repo.git(&["rev-parse", "HEAD~1"]);
    repo.git(&["tag", "-a", "-m", "premature", "v1.2.0", &old]);
    let before = repo.remote_tags();
    let refs = repo.refs();

    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the tag v1.2.0 already exists locally at"),
        "{text}"
    );
    assert!(text.contains("way out: bump __version__"), "{text}");
    assert!(text.contains("--force"), "{text}");
    assert_eq!(repo.refs(), refs);

    // --force shows both commits and moves only the local tag.
    let out = run_ok(&mut repo.xtask(&["tag-release", "--force", "--yes"]));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("move the local tag v1.2.0 from {}", &old[..10])),
        "{text}"
    );
    assert!(
        text.contains(&format!("to HEAD {}", &repo.head()[..10])),
        "{text}"
    );
    assert_eq!(repo.local_tag("v1.2.0"), Some(repo.head()));
    assert_eq!(repo.remote_tags(), before);
    assert_remote_tags_kept(&before, &repo);
}

#[test]
fn a_remote_tag_elsewhere_is_refused_and_never_replaced() {
    let repo = repo();
    let old = repo.git(&["rev-parse", "HEAD~1"]);
    // Someone pushed v1.2.0 on the older commit; this clone never fetched it.
    repo.git(&["tag", "-a", "-m", "elsewhere", "v1.2.0", &old]);
    repo.git(&["push", "--quiet", "origin", "refs/tags/v1.2.0"]);
    repo.git(&["tag", "-d", "v1.2.0"]);
    let before = repo.remote_tags();

    for args in [
        &["tag-release", "--push", "--yes"][..],
        &["tag-release", "--yes"],
        &["tag-release", "--push", "--force", "--yes"],
    ] {
        let refs = repo.refs();
        let out = output(&mut repo.xtask(args));
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains("already exists on origin at"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("way out: bump __version__"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("git push --force origin refs/tags/v1.2.0"),
            "{args:?}: the maintainer's command is not printed: {text}"
        );
        assert_eq!(repo.refs(), refs, "{args:?}");
    }

    // --force without --push tags locally and prints the command, nothing more.
    let out = run_ok(&mut repo.xtask(&["tag-release", "--force", "--yes"]));
    let text = stdout(&out);
    assert!(text.contains("never replaces a remote tag"), "{text}");
    assert!(
        text.contains("git push --force origin refs/tags/v1.2.0"),
        "{text}"
    );
    assert_eq!(repo.local_tag("v1.2.0"), Some(repo.head()));
    assert_eq!(repo.remote_tags(), before);
    assert_eq!(repo.remote_git(&["rev-parse", "v1.2.0^{commit}"]), old);
}

#[test]
fn the_same_commit_is_a_no_op() {
    let repo = repo();
    run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let before = repo.remote_tags();
    let refs = repo.refs();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert!(
        text.contains("the local tag v1.2.0 already points at HEAD"),
        "{text}"
    );
    assert!(text.contains("origin already has v1.2.0 at HEAD"), "{text}");
    assert!(text.contains("nothing to do"), "{text}");
    assert_eq!(repo.refs(), refs);

    // Only the remote has it (another clone): still nothing to do.
    repo.git(&["tag", "-d", "v1.2.0"]);
    let refs = repo.refs();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    assert!(stdout(&out).contains("nothing to do"), "{}", stdout(&out));
    assert_eq!(repo.refs(), refs);
    assert_remote_tags_kept(&before, &repo);
}

#[test]
fn no_input_on_a_non_terminal_refuses() {
    let repo = repo();
    let before = repo.remote_tags();
    let refs = repo.refs();
    // stdin is /dev/null: not a terminal, and nothing to read.
    let out = output(&mut repo.xtask(&["tag-release", "--push"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("stdin is not a terminal"), "{text}");
    assert!(text.contains("re-run with --yes"), "{text}");
    assert_eq!(repo.refs(), refs);
    assert_remote_tags_kept(&before, &repo);
}

#[test]
fn dry_run_changes_nothing() {
    let repo = repo();
    let before = repo.remote_tags();
    let snapshot = repo.snapshot();
    let refs = repo.refs();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--dry-run"]));
    let text = stdout(&out);
    assert!(
        text.contains("1. create the annotated tag v1.2.0"),
        "{text}"
    );
    assert!(text.contains("2. push refs/tags/v1.2.0"), "{text}");
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert_eq!(repo.refs(), refs);
    assert!(
        repo.snapshot() == snapshot,
        "files changed under the checkout or the remote"
    );
    assert_remote_tags_kept(&before, &repo);
}

#[test]
fn the_state_is_shown_first() {
    let repo = repo();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--dry-run"]));
    let text = stdout(&out);
    let head = repo.head();
    assert!(
        text.starts_with(
            "tag-release: InvokeAI 1.2.0 (python/invokeai/version/invokeai_version.py:1)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  HEAD     {} (Bump the version to 1.2.0)",
            &head[..10]
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("  remote   origin ({})", repo.remote.display())),
        "{text}"
    );
    assert!(
        text.contains("  tag      v1.2.0: not created yet"),
        "{text}"
    );
}

#[test]
fn an_invalid_version_is_refused() {
    let repo = repo();
    repo.commit(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"1.2.banana\"\n",
        "Break the version",
    );
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("`1.2.banana` is not a PEP 440 version"),
        "{err}"
    );
    assert!(err.contains("write a version such as"), "{err}");
    assert_eq!(repo.refs(), refs);
}

#[test]
fn an_unknown_remote_blocks_a_push_only() {
    let repo = repo();
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes", "--remote", "upstream"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot see the tags of the remote upstream"),
        "{text}"
    );
    assert!(text.contains("way out: check `git remote -v`"), "{text}");
    assert_eq!(repo.refs(), refs);
}

/// `push.followTags` would send every annotated tag reachable from the pushed
/// one; exactly one ref leaves, whatever the git config says.
#[test]
fn push_follow_tags_in_the_config_does_not_push_other_tags() {
    let repo = repo();
    repo.git(&["config", "push.followTags", "true"]);
    repo.git(&["tag", "-a", "-m", "not for the remote", "experiment"]);
    let before = repo.remote_tags();
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    assert!(
        stdout(&out).contains("pushed v1.2.0 to origin"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        repo.remote_tags().keys().collect::<Vec<_>>(),
        ["refs/tags/v1.1.0", "refs/tags/v1.2.0"],
        "exactly one new tag on the remote"
    );
    assert_remote_tags_kept(&before, &repo);
}

/// `v1.2.0` on the remote at another commit is this release already when the
/// version file says 1.2: no second tag `v1.2`; preflight agrees.
#[test]
fn a_tag_of_the_same_version_under_another_spelling_blocks() {
    let repo = repo();
    let old = repo.head();
    repo.git(&["tag", "-a", "-m", "1.2.0", "v1.2.0"]);
    repo.git(&["push", "--quiet", "origin", "refs/tags/v1.2.0"]);
    repo.git(&["tag", "-d", "v1.2.0"]);
    repo.commit(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"1.2\"\n",
        "Spell the version shorter",
    );
    repo.git(&["push", "--quiet", "origin", "main"]);
    let before = repo.remote_tags();
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "the tag v1.2.0 (on origin at {}) is the same version as v1.2 by PEP 440",
            &old[..10]
        )),
        "{text}"
    );
    assert_eq!(repo.refs(), refs, "nothing may change");
    assert_remote_tags_kept(&before, &repo);

    // A local tag spelled otherwise blocks too.
    repo.git(&["tag", "-a", "-m", "x", "V1.2.0.0"]);
    let out = output(&mut repo.xtask(&["tag-release", "--yes"]));
    assert!(
        stdout(&out).contains("the tag V1.2.0.0 (locally at"),
        "{}",
        stdout(&out)
    );
}

/// A remote that accepts the connection and never answers: the command
/// says what it waits for, gives up after --timeout, and changes nothing.
#[test]
fn a_remote_that_never_answers_is_given_up_on() {
    let repo = repo();
    let server = release_fixture::RawServer::start(release_fixture::Behaviour::Hang);
    let url = format!(
        "http://maintainer:s3cr3t-token@127.0.0.1:{}/repo.git",
        server.port
    );
    repo.git(&["remote", "set-url", "origin", &url]);
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes", "--timeout", "2"]));
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}\n{err}");
    assert!(
        err.contains("asking origin for its tags (`git ls-remote --tags http://***@127.0.0.1:")
            && err.contains("the URL it pushes to; at most 2 s)"),
        "{err}"
    );
    assert!(text.contains("got no answer within 2 s"), "{text}");
    // The credentials in the remote's URL are never shown.
    assert!(
        !text.contains("s3cr3t") && !err.contains("s3cr3t"),
        "{text}\n{err}"
    );
    assert!(text.contains("http://***@127.0.0.1:"), "{text}");
    assert_eq!(repo.refs(), refs);
}

/// The tags are listed, but the push never completes (the remote's
/// receive-pack hangs): the push is given up on too, and the tag stays local.
#[test]
fn a_push_that_never_completes_is_given_up_on() {
    let repo = repo();
    repo.git(&[
        "config",
        "remote.origin.receivepack",
        "sleep 60; git-receive-pack",
    ]);
    let before = repo.remote_tags();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes", "--timeout", "2"]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("pushing v1.2.0 to origin (at most 2 s)"),
        "{err}"
    );
    assert!(err.contains("got no answer within 2 s"), "{err}");
    assert!(err.contains("push it later with"), "{err}");
    assert_eq!(
        repo.local_tag("v1.2.0").as_deref(),
        Some(repo.head().as_str())
    );
    assert_eq!(repo.remote_tags(), before);
}

/// A second bare repository holding `main`, made the push URL of origin
/// (`remote.origin.pushurl`); origin's `url` stays the fixture's remote.
fn push_elsewhere(repo: &Repo) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempdir();
    let mirror = dir.path().join("push.git");
    release_fixture::git(
        dir.path(),
        &["init", "--quiet", "--bare", "-b", "main", "push.git"],
    );
    let url = mirror.to_str().unwrap();
    repo.git(&["push", "--quiet", url, "main"]);
    repo.git(&["remote", "set-url", "--push", "origin", url]);
    (dir, mirror)
}

/// The fetch URL has the tag at HEAD already, the push URL does not: the
/// repository the tag is pushed to is the one asked, so the tag is pushed.
#[test]
fn the_tag_is_checked_where_it_is_pushed_not_where_it_is_fetched() {
    let repo = repo();
    let (_dir, mirror) = push_elsewhere(&repo);
    repo.git(&["tag", "-a", "-m", "on the fetch side", "v1.2.0"]);
    repo.git(&[
        "push",
        "--quiet",
        repo.remote.to_str().unwrap(),
        "refs/tags/v1.2.0",
    ]);
    repo.git(&["tag", "-d", "v1.2.0"]);
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        text.contains(&format!(
            "  remote   origin ({}): no tag v1.2.0",
            mirror.display()
        )),
        "{text}"
    );
    assert!(
        err.contains(&format!("ls-remote --tags {}", mirror.display())),
        "{err}"
    );
    assert!(text.contains("pushed v1.2.0 to origin"), "{text}");
    assert_eq!(
        release_fixture::git(&mirror, &["rev-parse", "v1.2.0^{commit}"]),
        repo.head()
    );
}

/// The push URL has the tag at another commit, the fetch URL has no tag:
/// refused before anything is created, not a failed push after.
#[test]
fn a_tag_elsewhere_on_the_push_url_is_refused_before_anything_changes() {
    let repo = repo();
    let (_dir, mirror) = push_elsewhere(&repo);
    let old = repo.git(&["rev-parse", "HEAD~1"]);
    release_fixture::git(&mirror, &["tag", "-a", "-m", "elsewhere", "v1.2.0", &old]);
    let before = repo.remote_tags();
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "the tag v1.2.0 already exists on origin at {}",
            &old[..10]
        )),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");
    assert_eq!(repo.refs(), refs);
    assert_eq!(repo.remote_tags(), before);
    assert_eq!(
        release_fixture::git(&mirror, &["rev-parse", "v1.2.0^{commit}"]),
        old
    );
}

/// A lightweight tag at HEAD is not pushed as it is: refused, or replaced by
/// an annotated tag with --force.
#[test]
fn a_lightweight_tag_at_head_is_not_released_as_it_is() {
    let repo = repo();
    repo.git(&["tag", "v1.2.0"]);
    let before = repo.remote_tags();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("is a lightweight tag"), "{text}");
    assert_eq!(repo.remote_tags(), before);
    let out = run_ok(&mut repo.xtask(&["tag-release", "--push", "--yes", "--force"]));
    assert!(
        stdout(&out).contains("replace the lightweight tag v1.2.0 by an annotated tag at HEAD"),
        "{}",
        stdout(&out)
    );
    assert_eq!(repo.git(&["cat-file", "-t", "refs/tags/v1.2.0"]), "tag");
    assert_eq!(
        repo.remote_git(&["cat-file", "-t", "refs/tags/v1.2.0"]),
        "tag"
    );
    assert_remote_tags_kept(&before, &repo);
}

/// A local version segment cannot be published: refused before any plan,
/// with the real reason (not git's complaint about the tag name).
#[test]
fn a_local_version_is_refused_with_the_real_reason() {
    let repo = repo();
    repo.commit(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"1.2.0+a.lock\"\n",
        "A local version",
    );
    let refs = repo.refs();
    let out = output(&mut repo.xtask(&["tag-release", "--push", "--yes"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("has a local segment (+a.lock)"), "{text}");
    assert!(!text.contains("plan:"), "{text}");
    assert!(!stderr(&out).contains("user.name"), "{}", stderr(&out));
    assert_eq!(repo.refs(), refs);
}

/// HEAD's subject is shown as a line of text: its escape sequences (a window
/// title, a screen clear) and carriage returns never reach the terminal, and
/// a subject in Latin-1 without an encoding header is no error.
#[test]
fn heads_subject_is_shown_without_control_characters() {
    let repo = repo();
    repo.write("notes.txt", "x\n");
    repo.git(&["add", "notes.txt"]);
    repo.git(&[
        "commit",
        "--quiet",
        "-m",
        "Bump \x1b]0;owned\x07the \x1b[2Jversion\rnow",
    ]);
    let out = run_ok(&mut repo.xtask(&["tag-release", "--dry-run"]));
    let text = stdout(&out);
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    assert!(text.contains("(Bump the version now)"), "{text}");

    // A commit object written by hand (git itself would re-encode the
    // message): Latin-1 bytes, no encoding header.
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let parent = repo.head();
    let mut object = format!("tree {tree}\nparent {parent}\n").into_bytes();
    for role in ["author", "committer"] {
        object.extend_from_slice(
            format!("{role} Ann Maintainer <ann@example.org> 1704110400 +0000\n").as_bytes(),
        );
    }
    object.extend_from_slice(b"\nCaf\xe9 release\n");
    let file = repo.root.join("../commit.bin");
    std::fs::write(&file, &object).unwrap();
    let sha = repo.git(&["hash-object", "-t", "commit", "-w", file.to_str().unwrap()]);
    repo.git(&["update-ref", "HEAD", &sha]);
    let out = run_ok(&mut repo.xtask(&["tag-release", "--dry-run"]));
    assert!(
        stdout(&out).contains("(Caf\u{fffd} release)"),
        "{}",
        stdout(&out)
    );
}
