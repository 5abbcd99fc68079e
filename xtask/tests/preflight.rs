//! `cargo xtask preflight` on throwaway repositories with a bare remote,
//! against local indexes standing in for TestPyPI (pypiserver) and PyPI (a
//! static PEP 503 tree). Every run is checked to change nothing: the refs of
//! the checkout and the remote, and every file under both, `.git` included.

mod release_fixture;
mod support;

use release_fixture::{Repo, Server, free_port, write_dists};
use support::*;

/// TestPyPI and PyPI stand-ins, both holding InvokeAI 1.1.0 only.
struct Indexes {
    _dir: tempfile::TempDir,
    testpypi: Server,
    pypi: Server,
}

impl Indexes {
    fn start() -> Self {
        let dir = tempdir();
        let packages = dir.path().join("packages");
        write_dists(
            &packages,
            "invokeai-1.1.0.tar.gz",
            "invokeai-1.1.0-py3-none-any.whl",
            "1.1.0",
        );
        let page = dir.path().join("site/simple/invokeai/index.html");
        std::fs::create_dir_all(page.parent().unwrap()).unwrap();
        std::fs::write(
            &page,
            "<!DOCTYPE html><html><body>\n<a href=\"/f/InvokeAI-1.1.0.tar.gz\">InvokeAI-1.1.0.tar.gz</a>\n</body></html>\n",
        )
        .unwrap();
        let testpypi = Server::pypiserver(&packages);
        let pypi = Server::static_tree(&dir.path().join("site"));
        Indexes {
            _dir: dir,
            testpypi,
            pypi,
        }
    }
}

/// Run preflight; assert it changed nothing; return (exit code, stdout).
fn preflight(repo: &Repo, testpypi: &str, pypi: &str) -> (Option<i32>, String) {
    preflight_with(repo, testpypi, pypi, &[], "20")
}

/// [`preflight`] with extra environment variables and a timeout.
fn preflight_with(
    repo: &Repo,
    testpypi: &str,
    pypi: &str,
    env: &[(&str, String)],
    timeout: &str,
) -> (Option<i32>, String) {
    let refs = repo.refs();
    let files = repo.snapshot();
    let mut cmd = repo.xtask(&[
        "preflight",
        "--testpypi",
        testpypi,
        "--pypi",
        pypi,
        "--timeout",
        timeout,
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = output(&mut cmd);
    assert_eq!(repo.refs(), refs, "preflight changed a ref");
    assert!(repo.snapshot() == files, "preflight changed a file");
    (out.status.code(), stdout(&out) + &stderr(&out))
}

fn blocker_lines(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.starts_with("blocked: "))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

/// 1.2.0 on a clean tree whose remote has no v1.2.0 yet.
fn ready_repo() -> Repo {
    let repo = Repo::new("1.1.0");
    repo.commit(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"1.2.0\"\n",
        "Bump the version to 1.2.0",
    );
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo
}

#[test]
fn a_ready_repository_passes() {
    let indexes = Indexes::start();
    let repo = ready_repo();
    let (code, text) = preflight(&repo, &indexes.testpypi.index, &indexes.pypi.index);
    assert_eq!(code, Some(0), "{text}");
    let head = repo.head();
    for expected in [
        "preflight: InvokeAI 1.2.0 (python/invokeai/version/invokeai_version.py:1)\n",
        "  version     1.2.0, a final release; tag v1.2.0\n",
        &format!(
            "  HEAD        {} (Bump the version to 1.2.0)\n",
            &head[..10]
        ),
        "  tree        clean\n",
        "  local tag   v1.2.0 does not exist yet\n",
        "): no v1.2.0\n",
        &format!("  TestPyPI    free ({})\n", indexes.testpypi.index),
        &format!("  PyPI        free ({})\n", indexes.pypi.index),
        "  invokeai-1.2.0-py3-none-any.whl\n",
        "  invokeai-1.2.0.tar.gz\n",
        "  InvokeAI-installer-v1.2.0.zip\n",
        "1. `cargo xtask tag-release --push` creates the annotated tag v1.2.0",
        "approves the `testpypi` environment",
        "approves the `pypi` environment",
        "a draft GitHub release for v1.2.0 (marked a pre-release when the version is one)",
        "ready: nothing blocks a release of InvokeAI 1.2.0\n",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

/// Dirty tree, a tag already there, the version already on both indexes:
/// each listed with its way out, and nothing changed.
#[test]
fn every_blocker_is_listed_and_nothing_changes() {
    let indexes = Indexes::start();
    let repo = Repo::new("1.1.0");
    let start = repo.head();
    repo.commit("README.md", "more\n", "Touch the readme");
    repo.git(&["tag", "-a", "-m", "early", "v1.1.0", &start]);
    repo.write("python/invokeai/app.py", "print('wip')\n");

    let (code, text) = preflight(&repo, &indexes.testpypi.index, &indexes.pypi.index);
    assert_eq!(code, Some(1), "{text}");
    let blockers = blocker_lines(&text);
    assert!(
        text.contains("blocked: 4 things block a release of InvokeAI 1.1.0:"),
        "{text}"
    );
    assert_eq!(blockers.len(), 4, "{text}");
    for (line, cause) in blockers.iter().zip([
        "1. the working tree has uncommitted changes (1 path: ?? python/invokeai/app.py)",
        "2. the tag v1.1.0 already exists locally at",
        "3. InvokeAI 1.1.0 is already on TestPyPI (invokeai-1.1.0-py3-none-any.whl, invokeai-1.1.0.tar.gz)",
        "4. InvokeAI 1.1.0 is already on PyPI (InvokeAI-1.1.0.tar.gz)",
    ]) {
        assert!(line.trim_start().starts_with(cause), "{cause:?} vs {line:?}\n{text}");
        assert!(line.contains("; way out: "), "no way out: {line}");
    }
}

/// Each blocker alone is enough to stop the release.
#[test]
fn each_blocker_alone_blocks() {
    let indexes = Indexes::start();
    let (testpypi, pypi) = (indexes.testpypi.index.as_str(), indexes.pypi.index.as_str());

    let dirty = ready_repo();
    dirty.write("README.md", "edited\n");
    let (code, text) = preflight(&dirty, testpypi, pypi);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(blocker_lines(&text).len(), 1, "{text}");
    assert!(
        text.contains("uncommitted changes (1 path: M README.md); way out: commit them"),
        "{text}"
    );

    // The tag is on the remote, at an older commit.
    let tagged = ready_repo();
    let older = tagged.git(&["rev-parse", "HEAD~1"]);
    tagged.git(&["tag", "-a", "-m", "x", "v1.2.0", &older]);
    tagged.git(&["push", "--quiet", "origin", "refs/tags/v1.2.0"]);
    tagged.git(&["tag", "-d", "v1.2.0"]);
    let (code, text) = preflight(&tagged, testpypi, pypi);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(blocker_lines(&text).len(), 1, "{text}");
    assert!(
        text.contains("the tag v1.2.0 already exists on origin at"),
        "{text}"
    );
    assert!(text.contains("way out: bump __version__"), "{text}");

    // The version is on the (test) index.
    let published = Repo::new("1.1.0");
    let (code, text) = preflight(&published, testpypi, pypi);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("InvokeAI 1.1.0 is already on TestPyPI"),
        "{text}"
    );
    assert!(
        text.contains("an index accepts a version only once"),
        "{text}"
    );

    // An index that cannot be asked is a blocker too.
    let down = format!("http://127.0.0.1:{}/simple/", free_port());
    let ready = ready_repo();
    let (code, text) = preflight(&ready, &down, pypi);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(blocker_lines(&text).len(), 1, "{text}");
    assert!(
        text.contains("cannot tell whether 1.2.0 is free on TestPyPI: network error"),
        "{text}"
    );
    assert!(text.contains("--testpypi URL"), "{text}");
}

/// Unusable project files stop it early, still naming the file.
#[test]
fn a_broken_version_file_is_a_blocker() {
    let repo = ready_repo();
    repo.write(
        "python/invokeai/version/invokeai_version.py",
        "__version__ = \"one\"\n",
    );
    let unused = format!("http://127.0.0.1:{}/simple/", free_port());
    let (code, text) = preflight(&repo, &unused, &unused);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("`one` is not a PEP 440 version"), "{text}");
    assert!(text.contains("way out: "), "{text}");
}

/// A stand-in `gh` on PATH that answers `gh api` from canned files, logs its
/// arguments, and is told which repository to ask about by GH_REPO.
struct FakeGh {
    dir: tempfile::TempDir,
}

impl FakeGh {
    /// `script` is the body of the shell script (`$4` is the API path).
    fn new(script: &str) -> FakeGh {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempdir();
        let gh = dir.path().join("gh");
        std::fs::write(
            &gh,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\n{script}\n",
                dir.path().join("calls.log").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeGh { dir }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![("PATH", path), ("GH_REPO", "invoke-ai/InvokeAI".to_owned())]
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default()
    }
}

#[test]
fn environments_are_asked_of_github_through_gh_and_a_missing_reviewer_blocks() {
    let indexes = Indexes::start();
    let repo = ready_repo();
    let (t, p) = (&indexes.testpypi.index, &indexes.pypi.index);

    // testpypi with a reviewer and a v* tag rule; pypi without reviewers.
    let gh = FakeGh::new(
        r#"case "$4" in
  */environments) echo '{"total_count": 2, "environments": [
    {"name": "testpypi", "protection_rules": [{"type": "required_reviewers", "reviewers": [{"type": "User", "reviewer": {"login": "ann"}}]}],
     "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}},
    {"name": "pypi", "protection_rules": [], "deployment_branch_policy": null}]}' ;;
  */deployment-branch-policies) echo '{"total_count": 1, "branch_policies": [{"name": "v*", "type": "tag"}]}' ;;
  *) echo "unexpected $4" >&2; exit 1 ;;
esac"#,
    );
    let (code, text) = preflight_with(&repo, t, p, &gh.env(), "20");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("  environment testpypi: 1 required reviewer; deploys from tags v*\n              pypi: 0 required reviewers; deploys from any branch or tag\n"),
        "{text}"
    );
    let blockers = blocker_lines(&text);
    assert_eq!(blockers.len(), 1, "{text}");
    assert!(
        blockers[0]
            .contains("the pypi environment of invoke-ai/InvokeAI has no required reviewers"),
        "{text}"
    );
    // Only reads: `gh api` GETs of the two endpoints, nothing else.
    let calls = gh.calls();
    assert_eq!(
        calls
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect::<Vec<_>>(),
        [
            "repos/invoke-ai/InvokeAI/environments",
            "repos/invoke-ai/InvokeAI/environments/testpypi/deployment-branch-policies"
        ],
        "{calls}"
    );
    assert!(
        calls
            .lines()
            .all(|l| l.starts_with("api ") && !l.contains("-X")),
        "{calls}"
    );

    // Not logged in: preflight cannot tell, and that alone does not block.
    let gh = FakeGh::new(
        "echo 'To get started with GitHub CLI, please run:  gh auth login' >&2\nexit 4",
    );
    let (code, text) = preflight_with(&repo, t, p, &gh.env(), "20");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  environment cannot tell: gh is not logged in (`gh auth login`)\n"),
        "{text}"
    );

    // A gh that hangs is stopped at the timeout.
    let gh = FakeGh::new("exec sleep 60");
    let (code, text) = preflight_with(&repo, t, p, &gh.env(), "3");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("did not answer within 3s"), "{text}");

    // A remote that is not on GitHub, and no GH_REPO: gh is not asked.
    let gh = FakeGh::new("exit 1");
    let mut env = gh.env();
    env.retain(|(k, _)| *k != "GH_REPO");
    let (code, text) = preflight_with(&repo, t, p, &env, "20");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("is not on github.com"), "{text}");
    assert_eq!(gh.calls(), "");
}
