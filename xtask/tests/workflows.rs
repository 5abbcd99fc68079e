//! The GitHub Actions workflows (`.github/workflows/`) and the local actions they use
//! (`.github/actions/`), checked by tests:
//! - actionlint and zizmor (offline, nothing above low), pinned in the dev
//!   environment, report nothing;
//! - the release's job graph: each publish job needs every gate (the xtask's build, the
//!   version check, every code check and test, verify-reproducible, the build, verify,
//!   the smoke test on three OSes, the release notes) and its own index check, run in
//!   an unprivileged job right before it; PyPI comes after TestPyPI but never depends
//!   on how TestPyPI went, the draft follows PyPI whatever started the run, and the
//!   conditions are evaluated for the ways a release can run;
//! - the release run, step by step (called workflows and local actions expanded): no
//!   step restores a cache, the xtask is compiled once per OS with the Rust of
//!   rust-toolchain.toml, every artifact is downloaded by the id its upload output
//!   (its digest checked), and the jobs holding `id-token: write` or `contents: write`
//!   run nothing of ours: no checkout, no xtask, no cargo, pip or npm;
//! - the jobs that touch an index or the release share a concurrency group named after
//!   the normalised version, and the release's tag and title come from it;
//! - Dependabot keeps the pins current and CODEOWNERS covers the release automation;
//! - every xtask line of a `run:` script is a real command whose flags parse;
//! - every third-party action is pinned to a full commit SHA, its version in a comment;
//! - permissions are read-only unless a job widens them, every job has a timeout;
//! - everyday CI decides from the changed files whether a job's steps run.

mod gha_expr;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;
use yaml_rust2::{Yaml, YamlLoader};

// ---------------------------------------------------------------------------
// Loading

/// A parsed YAML file: its name for messages, its raw text (for comments), its tree.
struct Doc {
    name: String,
    text: String,
    yaml: Yaml,
}

impl Doc {
    fn load(path: &Path) -> Doc {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut docs = YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
        assert_eq!(docs.len(), 1, "{} holds one YAML document", path.display());
        let name = path
            .strip_prefix(repo_root())
            .unwrap_or(path)
            .display()
            .to_string();
        Doc {
            name,
            text,
            yaml: docs.remove(0),
        }
    }

    /// The jobs of a workflow, in file order.
    fn jobs(&self) -> Vec<(String, &Yaml)> {
        let jobs = self.yaml["jobs"]
            .as_hash()
            .unwrap_or_else(|| panic!("{} has no jobs", self.name));
        jobs.iter()
            .map(|(k, v)| (k.as_str().expect("job ids are strings").to_owned(), v))
            .collect()
    }

    fn job(&self, id: &str) -> &Yaml {
        let job = &self.yaml["jobs"][id];
        assert!(!job.is_badvalue(), "{} has no job {id}", self.name);
        job
    }

    /// Every list of steps: each job's in a workflow, `runs.steps` in an action.
    fn step_lists(&self) -> Vec<(String, &[Yaml])> {
        if let Some(steps) = self.yaml["runs"]["steps"].as_vec() {
            return vec![("runs".to_owned(), steps.as_slice())];
        }
        self.jobs()
            .into_iter()
            .filter_map(|(id, job)| job["steps"].as_vec().map(|s| (id, s.as_slice())))
            .collect()
    }
}

fn workflows_dir() -> PathBuf {
    repo_root().join(".github/workflows")
}

/// A document written in the test itself, named `name` in messages.
fn fixture_text(name: &str, text: &str) -> Doc {
    let mut docs =
        YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
    Doc {
        name: name.to_owned(),
        text: text.to_owned(),
        yaml: docs.remove(0),
    }
}

fn fixture(name: &str) -> Doc {
    Doc::load(
        &repo_root()
            .join("xtask/tests/fixtures/workflows")
            .join(name),
    )
}

fn yaml_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect();
    files.sort();
    files
}

/// Every workflow file.
fn workflows() -> Vec<Doc> {
    let files = yaml_files_in(&workflows_dir());
    assert!(!files.is_empty(), "no workflow in .github/workflows");
    files.iter().map(|p| Doc::load(p)).collect()
}

/// Every local action's metadata (`.github/actions/<name>/action.yml`).
fn actions() -> Vec<Doc> {
    let dir = repo_root().join(".github/actions");
    let mut docs = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    dirs.sort();
    for action in dirs {
        for name in ["action.yml", "action.yaml"] {
            if action.join(name).is_file() {
                docs.push(Doc::load(&action.join(name)));
            }
        }
    }
    docs
}

/// Workflows and actions: everything that holds steps.
fn workflows_and_actions() -> Vec<Doc> {
    let mut docs = workflows();
    docs.extend(actions());
    docs
}

fn workflow(name: &str) -> Doc {
    Doc::load(&workflows_dir().join(name))
}

/// A scalar as text (`true`, `20` and `'3.10'` alike).
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A job's `needs`, which may be one name or a list.
fn needs(job: &Yaml) -> Vec<String> {
    match &job["needs"] {
        Yaml::String(one) => vec![one.clone()],
        Yaml::Array(many) => many.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| v.iter().filter_map(scalar).collect())
        .unwrap_or_default()
}

/// The step whose `uses:` starts with `action` (e.g. `pypa/gh-action-pypi-publish@`).
fn step_using<'a>(steps: &'a [Yaml], action: &str) -> Option<(usize, &'a Yaml)> {
    steps.iter().enumerate().find(|(_, s)| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("{action}@")) || u == action)
    })
}

// ---------------------------------------------------------------------------
// The release workflow's job graph

/// The release jobs that call a code-check or test workflow.
const CODE_CHECKS: [(&str, &str); 5] = [
    ("python-checks", "python-checks.yml"),
    ("python-tests", "python-tests.yml"),
    ("frontend-checks", "frontend-checks.yml"),
    ("frontend-tests", "frontend-tests.yml"),
    ("xtask-tests", "xtask-tests.yml"),
];

/// The jobs a manual run with `skip_code_checks` leaves out: the code checks, the
/// tests and the reproducibility check.
fn skippable() -> Vec<&'static str> {
    let mut all: Vec<&str> = CODE_CHECKS.iter().map(|(job, _)| *job).collect();
    all.push("verify-reproducible");
    all
}

/// The job that compiles the xtask, once per runner OS.
const XTASK_JOB: &str = "xtask";

/// What both publish jobs must need: every gate that runs before the approval pause.
fn publish_prerequisites() -> Vec<&'static str> {
    let mut all = vec![XTASK_JOB, "check-version"];
    all.extend(skippable());
    all.extend(["build", "verify", "smoke-test", "release-notes"]);
    all
}

/// Each publish job, the unprivileged job that asks its index right before it, the
/// index's simple API and its upload URL (`None`: the PyPA action's default, PyPI).
const PUBLISH: [(&str, &str, &str, Option<&str>); 2] = [
    (
        "publish-testpypi",
        "check-testpypi",
        "https://test.pypi.org/simple/",
        Some("https://test.pypi.org/legacy/"),
    ),
    (
        "publish-pypi",
        "check-pypi",
        "https://pypi.org/simple/",
        None,
    ),
];

/// The jobs that ask an index, upload to it or draft the release: one concurrency
/// group per version.
const VERSION_GROUP_JOBS: [&str; 5] = [
    "check-testpypi",
    "publish-testpypi",
    "check-pypi",
    "publish-pypi",
    "draft-release",
];

/// How the release's jobs pass the xtask job's outputs (each OS's artifact id) on.
const XTASK_ARTIFACTS: &str = "${{ toJSON(needs.xtask.outputs) }}";

#[test]
fn release_calls_each_check_workflow_and_the_build_with_always_run_and_the_prebuilt_xtask() {
    let release = workflow("release.yml");
    let called: BTreeMap<String, String> = release
        .jobs()
        .into_iter()
        .filter_map(|(id, job)| job["uses"].as_str().map(|u| (id, u.to_owned())))
        .collect();
    let mut expected: BTreeMap<String, String> = CODE_CHECKS
        .iter()
        .map(|(job, file)| (job.to_string(), format!("./.github/workflows/{file}")))
        .collect();
    expected.insert(
        "build".into(),
        "./.github/workflows/build-installer.yml".into(),
    );
    assert_eq!(
        called, expected,
        "the release calls exactly the code checks, the tests and the build"
    );
    for id in called.keys() {
        let job = release.job(id);
        for input in ["always_run", "prebuilt_xtask"] {
            assert_eq!(
                scalar(&job["with"][input]).as_deref(),
                Some("true"),
                "release job {id} must pass {input}: true"
            );
        }
        assert_eq!(
            scalar(&job["with"]["xtask_artifacts"]).as_deref(),
            Some(XTASK_ARTIFACTS),
            "release job {id} must pass the xtask job's artifact ids"
        );
        assert!(
            needs(job).iter().any(|n| n == XTASK_JOB),
            "release job {id} must need the {XTASK_JOB} job, whose binary it runs"
        );
    }
}

#[test]
fn publish_needs_every_gate_its_own_index_check_and_testpypi_comes_first() {
    let release = workflow("release.yml");
    for (job, check, _, _) in PUBLISH {
        for id in [job, check] {
            let has = needs(release.job(id));
            let missing: Vec<_> = publish_prerequisites()
                .into_iter()
                .filter(|need| !has.iter().any(|h| h == need))
                .collect();
            assert!(
                missing.is_empty(),
                "release.yml: job {id} does not need {missing:?} (it needs {has:?})"
            );
        }
        assert!(
            needs(release.job(job)).iter().any(|n| n == check),
            "{job} needs {check}, its own index check"
        );
    }
    // The release notes are a gate: written before anything is uploaded.
    for (job, ..) in PUBLISH {
        assert!(
            needs(release.job(job)).iter().any(|n| n == "release-notes"),
            "{job} must need release-notes"
        );
    }
    // The smoke test that gates publishing runs on every OS users install on.
    let smoke = release.job("smoke-test");
    assert_eq!(
        strings(&smoke["strategy"]["matrix"]["os"]),
        ["ubuntu-latest", "macos-latest", "windows-latest"],
        "smoke-test runs on Linux, macOS and Windows"
    );
    assert_eq!(
        scalar(&smoke["runs-on"]).as_deref(),
        Some("${{ matrix.os }}")
    );
    // TestPyPI first: PyPI's check waits for the TestPyPI upload to be over; PyPI's
    // upload needs its check only, not the TestPyPI upload's success.
    assert!(
        needs(release.job("check-pypi"))
            .iter()
            .any(|n| n == "publish-testpypi"),
        "check-pypi runs after publish-testpypi"
    );
    assert!(
        needs(release.job("draft-release"))
            .iter()
            .any(|n| n == "publish-pypi"),
        "draft-release runs only after publish-pypi"
    );
}

/// One way a release run can go.
struct Run {
    what: &'static str,
    event: &'static str,
    git_ref: &'static str,
    /// The manual run's checkbox; `None` on a tag push, which has no inputs.
    skip_code_checks: Option<bool>,
    /// Jobs that fail when they run.
    failing: Vec<&'static str>,
}

impl Run {
    fn tag_push() -> Run {
        Run {
            what: "tag push",
            event: "push",
            git_ref: "refs/tags/v3.5.0rc2",
            skip_code_checks: None,
            failing: vec![],
        }
    }

    fn manual(skip_code_checks: bool) -> Run {
        Run {
            what: if skip_code_checks {
                "manual run, skip_code_checks: true"
            } else {
                "manual run, skip_code_checks: false"
            },
            event: "workflow_dispatch",
            git_ref: "refs/tags/v3.5.0rc2",
            skip_code_checks: Some(skip_code_checks),
            failing: vec![],
        }
    }
}

/// Every job `id` needs, directly or through the jobs it needs.
fn ancestors(jobs: &[(String, &Yaml)], id: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo = vec![id.to_owned()];
    while let Some(next) = todo.pop() {
        let Some((_, job)) = jobs.iter().find(|(j, _)| *j == next) else {
            continue;
        };
        for need in needs(job) {
            if found.insert(need.clone()) {
                todo.push(need);
            }
        }
    }
    found
}

/// What each job of `workflow` ends as in `run` (`success`, `failure`, `skipped`),
/// following GitHub's rules: a job's `if:` without a status function is implicitly
/// `success() && (...)`, and `success()` holds when every job it needs, directly or
/// through the jobs those need, succeeded (a failed or skipped job far up the graph
/// skips it unless its condition says otherwise, e.g. with `!cancelled()`).
fn simulate(workflow: &Doc, run: &Run) -> BTreeMap<String, &'static str> {
    let jobs = workflow.jobs();
    let mut results: BTreeMap<String, &'static str> = BTreeMap::new();
    while results.len() < jobs.len() {
        let before = results.len();
        for (id, job) in &jobs {
            if results.contains_key(id) {
                continue;
            }
            let job_needs = needs(job);
            if !job_needs.iter().all(|n| results.contains_key(n)) {
                continue;
            }
            let above = ancestors(&jobs, id);
            let ctx = JobContext {
                run,
                needs: &job_needs,
                ancestors: &above,
                results: &results,
            };
            let all_succeeded = above.iter().all(|n| results[n] == "success");
            let runs = match scalar(&job["if"]) {
                None => all_succeeded,
                Some(cond) => {
                    let value = gha_expr::eval(&cond, &ctx).truthy();
                    if gha_expr::has_status_function(&cond) {
                        value
                    } else {
                        all_succeeded && value
                    }
                }
            };
            let result = if !runs {
                "skipped"
            } else if run.failing.contains(&id.as_str()) {
                "failure"
            } else {
                "success"
            };
            results.insert(id.clone(), result);
        }
        assert!(
            results.len() > before,
            "{}: the jobs' needs form a cycle or name a missing job",
            workflow.name
        );
    }
    results
}

struct JobContext<'a> {
    run: &'a Run,
    needs: &'a [String],
    ancestors: &'a BTreeSet<String>,
    results: &'a BTreeMap<String, &'static str>,
}

impl gha_expr::Context for JobContext<'_> {
    fn get(&self, path: &str) -> gha_expr::Value {
        use gha_expr::Value;
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["github", "event_name"] => Value::Str(self.run.event.into()),
            ["github", "ref"] => Value::Str(self.run.git_ref.into()),
            ["inputs", "skip_code_checks"] => match self.run.skip_code_checks {
                Some(b) => Value::Bool(b),
                None => Value::Null,
            },
            ["inputs", _] => Value::Null,
            // A job not listed in `needs` is not in the context: null.
            ["needs", job, "result"] => match self.needs.iter().any(|n| n == job) {
                true => Value::Str(self.results[*job].into()),
                false => Value::Null,
            },
            _ => panic!("the job-graph test does not model `{path}`; teach JobContext about it"),
        }
    }

    fn status(&self, function: &str) -> bool {
        let all_succeeded = self.ancestors.iter().all(|n| self.results[n] == "success");
        match function {
            "success" => all_succeeded,
            "always" => true,
            "failure" => self.ancestors.iter().any(|n| self.results[n] == "failure"),
            "cancelled" => false,
            other => panic!("unknown status function {other}()"),
        }
    }
}

fn assert_outcomes(results: &BTreeMap<String, &str>, run: &Run, expected: &[(&str, &str)]) {
    for (job, outcome) in expected {
        assert_eq!(
            results.get(*job).copied(),
            Some(*outcome),
            "release.yml, {}: job {job} should end as {outcome}; all: {results:?}",
            run.what
        );
    }
}

#[test]
fn publish_jobs_run_only_when_every_gate_succeeded() {
    let release = workflow("release.yml");

    // A tag push: there are no inputs, so the checks run, and everything runs.
    let run = Run::tag_push();
    let results = simulate(&release, &run);
    for (job, result) in &results {
        assert_eq!(
            *result, "success",
            "release.yml, tag push: {job} does not run ({results:?})"
        );
    }

    // A manual run that skips the code checks: the build and its smoke test still run
    // (that is how to get an installer without tagging) but nothing is published or
    // drafted, even from a ref whose version matches.
    let run = Run::manual(true);
    let results = simulate(&release, &run);
    let mut expected = vec![
        ("xtask", "success"),
        ("check-version", "success"),
        ("build", "success"),
        ("verify", "success"),
        ("smoke-test", "success"),
        ("check-testpypi", "skipped"),
        ("publish-testpypi", "skipped"),
        ("check-pypi", "skipped"),
        ("publish-pypi", "skipped"),
        ("draft-release", "skipped"),
    ];
    expected.extend(skippable().into_iter().map(|c| (c, "skipped")));
    assert_outcomes(&results, &run, &expected);

    // A manual run with the checks, on the tag: it publishes, and it drafts the
    // GitHub release too (the draft follows the upload, whatever started the run).
    let run = Run::manual(false);
    let results = simulate(&release, &run);
    let mut expected = vec![
        ("build", "success"),
        ("publish-testpypi", "success"),
        ("publish-pypi", "success"),
        ("draft-release", "success"),
    ];
    expected.extend(skippable().into_iter().map(|c| (c, "success")));
    assert_outcomes(&results, &run, &expected);

    // Any one gate failing (the xtask's build, a check, a test, the build, verify, a
    // smoke test, the release notes, or a tag that does not match the version) skips
    // both index checks, both publish jobs and the draft.
    for failing in publish_prerequisites() {
        let run = Run {
            what: "tag push with a failing gate",
            failing: vec![failing],
            ..Run::tag_push()
        };
        let results = simulate(&release, &run);
        assert_outcomes(
            &results,
            &run,
            &[
                (failing, "failure"),
                ("check-testpypi", "skipped"),
                ("publish-testpypi", "skipped"),
                ("check-pypi", "skipped"),
                ("publish-pypi", "skipped"),
                ("draft-release", "skipped"),
            ],
        );
    }

    // TestPyPI is optional: its check failing (the version there with other bytes, or
    // TestPyPI down) or its upload failing (or refused by a maintainer) skips nothing
    // on PyPI's side.
    for (failing, skipped) in [
        ("check-testpypi", &["publish-testpypi"][..]),
        ("publish-testpypi", &[][..]),
    ] {
        let run = Run {
            what: "tag push, TestPyPI failing",
            failing: vec![failing],
            ..Run::tag_push()
        };
        let results = simulate(&release, &run);
        let mut expected = vec![
            (failing, "failure"),
            ("check-pypi", "success"),
            ("publish-pypi", "success"),
            ("draft-release", "success"),
        ];
        expected.extend(skipped.iter().map(|job| (*job, "skipped")));
        assert_outcomes(&results, &run, &expected);
    }

    // PyPI's own check or upload failing stops everything after it.
    for (failing, skipped) in [
        ("check-pypi", &["publish-pypi", "draft-release"][..]),
        ("publish-pypi", &["draft-release"][..]),
    ] {
        let run = Run {
            what: "tag push with a failing PyPI job",
            failing: vec![failing],
            ..Run::tag_push()
        };
        let results = simulate(&release, &run);
        let mut expected = vec![(failing, "failure")];
        expected.extend(skipped.iter().map(|job| (*job, "skipped")));
        assert_outcomes(&results, &run, &expected);
    }

    // A tag push that does not start with v... never triggers, but a manual run from a
    // branch does: check-version fails on the ref, so nothing is published.
    let run = Run {
        what: "manual run from a branch",
        git_ref: "refs/heads/main",
        failing: vec!["check-version"],
        ..Run::manual(false)
    };
    let results = simulate(&release, &run);
    assert_outcomes(
        &results,
        &run,
        &[
            ("build", "success"),
            ("smoke-test", "success"),
            ("publish-testpypi", "skipped"),
            ("publish-pypi", "skipped"),
            ("draft-release", "skipped"),
        ],
    );
}

/// The simulation follows GitHub's rule that a job is skipped when a job it needs
/// only indirectly failed, unless its condition says otherwise.
#[test]
fn the_job_graph_simulation_skips_on_an_indirect_failure() {
    let doc = fixture_text(
        "graph.yml",
        "name: graph\non: push\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n  \
         b: {needs: [a], if: always(), runs-on: x, steps: [{run: x}]}\n  \
         c: {needs: [b], runs-on: x, steps: [{run: x}]}\n  \
         d: {needs: [b], if: \"!cancelled() && needs.b.result == 'success'\", runs-on: x, steps: [{run: x}]}\n",
    );
    let run = Run {
        what: "a fails",
        failing: vec!["a"],
        ..Run::tag_push()
    };
    let results = simulate(&doc, &run);
    assert_outcomes(
        &results,
        &run,
        &[
            ("a", "failure"),
            ("b", "success"),
            ("c", "skipped"),
            ("d", "success"),
        ],
    );
}

#[test]
fn release_triggers_on_version_tags_and_manual_runs() {
    let release = workflow("release.yml");
    assert_eq!(strings(&release.yaml["on"]["push"]["tags"]), ["v*"]);
    let skip = &release.yaml["on"]["workflow_dispatch"]["inputs"]["skip_code_checks"];
    assert_eq!(scalar(&skip["type"]).as_deref(), Some("boolean"));
    assert_eq!(scalar(&skip["default"]).as_deref(), Some("false"));
    // The check-version job turns the ref into the outputs the later jobs use.
    let check_version = release.job("check-version");
    for output in ["VERSION", "IS_PRERELEASE", "VERSION_MAJOR_MINOR"] {
        assert_eq!(
            scalar(&check_version["outputs"][output]),
            Some(format!("${{{{ steps.version.outputs.{output} }}}}")),
            "check-version must expose {output}"
        );
    }
    let lines = xtask_lines(&release);
    assert!(
        lines
            .iter()
            .any(|l| l.job == "check-version" && l.args[..2] == ["check-version", "--tag"]),
        "check-version must run `xtask check-version --tag <ref>`"
    );
}

#[test]
fn the_xtask_is_compiled_once_per_os_and_its_artifact_id_and_digest_are_outputs() {
    let release = workflow("release.yml");
    let job = release.job(XTASK_JOB);
    assert_eq!(
        strings(&job["strategy"]["matrix"]["os"]),
        ["ubuntu-latest", "macos-latest", "windows-latest"]
    );
    let steps = job["steps"].as_vec().expect("steps");
    let scripts: Vec<String> = steps.iter().filter_map(|s| scalar(&s["run"])).collect();
    let builds: Vec<&String> = scripts.iter().filter(|s| s.contains("cargo")).collect();
    assert_eq!(
        builds,
        [&"cargo build --locked --release -p xtask".to_owned()],
        "the xtask job compiles the xtask once, from the lockfile, and nothing else"
    );
    // No checksum file travels inside the artifact it would vouch for.
    assert!(
        !release.text.contains("xtask.sha256"),
        "the xtask's artifact is checked by its digest, not by a file inside it"
    );
    let (_, upload) =
        step_using(steps, "actions/upload-artifact").expect("the xtask job uploads the binary");
    assert_eq!(
        scalar(&upload["with"]["name"]).as_deref(),
        Some("xtask-${{ runner.os }}")
    );
    assert_eq!(upload["id"].as_str(), Some("upload"));
    let record = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("artifact"))
        .expect("a step that records the artifact's id and digest");
    assert_eq!(
        scalar(&record["env"]["ARTIFACT_ID"]).as_deref(),
        Some("${{ steps.upload.outputs.artifact-id }}")
    );
    assert_eq!(
        scalar(&record["env"]["ARTIFACT_DIGEST"]).as_deref(),
        Some("${{ steps.upload.outputs.artifact-digest }}")
    );
    let script = scalar(&record["run"]).unwrap_or_default();
    for line in [
        "echo \"id-$RUNNER_OS=$ARTIFACT_ID\" >> \"$GITHUB_OUTPUT\"",
        "echo \"digest-$RUNNER_OS=$ARTIFACT_DIGEST\" >> \"$GITHUB_OUTPUT\"",
    ] {
        assert!(script.contains(line), "{script}");
    }
    // One output per OS: the legs of the matrix do not overwrite each other.
    for os in ["Linux", "macOS", "Windows"] {
        for what in ["id", "digest"] {
            assert_eq!(
                scalar(&job["outputs"][format!("{what}-{os}").as_str()]),
                Some(format!("${{{{ steps.artifact.outputs.{what}-{os} }}}}")),
                "the xtask job outputs {what}-{os}"
            );
        }
    }
}

/// The downloads of the release run: each by the id its upload output, never by
/// name, with download-artifact's digest check failing the step on a mismatch.
#[test]
fn every_artifact_is_downloaded_by_the_id_its_upload_output() {
    let release = workflow("release.yml");
    // Where each id comes from.
    let build = workflow("build-installer.yml");
    let build_job = build.job("build");
    for (artifact, step) in [("DIST", "upload-dist"), ("INSTALLER", "upload-installer")] {
        for (what, output) in [("ID", "artifact-id"), ("DIGEST", "artifact-digest")] {
            let key = format!("{artifact}_ARTIFACT_{what}");
            assert_eq!(
                scalar(&build_job["outputs"][key.as_str()]),
                Some(format!("${{{{ steps.{step}.outputs.{output} }}}}")),
                "build-installer's build job outputs {key}"
            );
            assert_eq!(
                scalar(&build.yaml["on"]["workflow_call"]["outputs"][key.as_str()]["value"]),
                Some(format!("${{{{ jobs.build.outputs.{key} }}}}")),
                "build-installer.yml exposes {key} to the release"
            );
        }
    }
    let notes = release.job("release-notes");
    assert_eq!(
        scalar(&notes["outputs"]["NOTES_ARTIFACT_ID"]).as_deref(),
        Some("${{ steps.upload.outputs.artifact-id }}")
    );

    // Every download, in every job and action: by id, digest checked.
    let mut downloads = Vec::new();
    for doc in workflows_and_actions() {
        for (job, steps) in doc.step_lists() {
            for step in steps {
                if !step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/download-artifact@"))
                {
                    continue;
                }
                let at = format!("{}/{job}", doc.name);
                let with = &step["with"];
                assert!(
                    with["name"].is_badvalue() && with["pattern"].is_badvalue(),
                    "{at}: downloads an artifact by name; download it by its id"
                );
                assert_eq!(
                    scalar(&with["digest-mismatch"]).as_deref(),
                    Some("error"),
                    "{at}: a digest mismatch must fail the download"
                );
                let ids = scalar(&with["artifact-ids"])
                    .unwrap_or_else(|| panic!("{at}: a download without artifact-ids"));
                downloads.push((at, ids));
            }
        }
    }
    // The bytes verify and the smoke test passed are the bytes the index checks see
    // and the publish jobs upload: one id each.
    let dist = "${{ needs.build.outputs.DIST_ARTIFACT_ID }}";
    let installer = "${{ needs.build.outputs.INSTALLER_ARTIFACT_ID }}";
    let notes = "${{ needs.release-notes.outputs.NOTES_ARTIFACT_ID }}";
    let of = |job: &str| -> Vec<&str> {
        downloads
            .iter()
            .filter(|(at, _)| at == &format!(".github/workflows/release.yml/{job}"))
            .map(|(_, ids)| ids.as_str())
            .collect()
    };
    assert_eq!(of("verify"), [dist, installer]);
    assert_eq!(of("smoke-test"), [installer]);
    for (job, check, ..) in PUBLISH {
        assert_eq!(of(check), [dist], "{check}");
        assert_eq!(of(job), [dist], "{job}");
    }
    assert_eq!(of("draft-release"), [dist, installer, notes]);
    // The xtask: the id of this OS's artifact, from the xtask job's outputs.
    let action = Doc::load(&repo_root().join(".github/actions/prebuilt-xtask/action.yml"));
    let steps = action.yaml["runs"]["steps"].as_vec().expect("steps");
    let pick = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("pick"))
        .expect("prebuilt-xtask picks this OS's artifact id");
    assert_eq!(
        scalar(&pick["env"]["ARTIFACT_ID"]).as_deref(),
        Some("${{ fromJSON(inputs.artifacts)[format('id-{0}', runner.os)] }}")
    );
    assert!(
        scalar(&pick["run"]).is_some_and(|r| r.contains("if [ -z \"$ARTIFACT_ID\" ]")),
        "an empty id would download every artifact of the run: it must fail"
    );
    let (_, download) = step_using(steps, "actions/download-artifact").expect("a download");
    assert_eq!(
        scalar(&download["with"]["artifact-ids"]).as_deref(),
        Some("${{ steps.pick.outputs.id }}")
    );
    for (_, job) in release.jobs() {
        for step in job["steps"].as_vec().map(Vec::as_slice).unwrap_or_default() {
            if step["uses"].as_str() == Some("./.github/actions/prebuilt-xtask") {
                assert_eq!(
                    scalar(&step["with"]["artifacts"]).as_deref(),
                    Some(XTASK_ARTIFACTS)
                );
            }
            if step["uses"].as_str() == Some("./.github/actions/setup-tools") {
                assert_eq!(
                    scalar(&step["with"]["xtask-artifacts"]).as_deref(),
                    Some(XTASK_ARTIFACTS)
                );
            }
        }
    }
}

#[test]
fn each_index_is_checked_by_an_unprivileged_job_then_published_by_a_job_that_runs_nothing_of_ours()
{
    let release = workflow("release.yml");
    for (job, check, index, repository_url) in PUBLISH {
        // The check: contents: read only, the prebuilt xtask, our files' sha256.
        let c = release.job(check);
        assert_eq!(
            scalar(&c["permissions"]["contents"]).as_deref(),
            Some("read"),
            "{check}"
        );
        assert!(c["permissions"]["id-token"].is_badvalue(), "{check}");
        let lines = xtask_lines(&release);
        assert!(
            lines.iter().any(|l| l.job == check
                && l.via == Via::Prebuilt
                && l.args
                    == [
                        "check-published",
                        "--index",
                        index,
                        "--version",
                        "$VERSION",
                        "--dist",
                        "$RUNNER_TEMP/dist",
                    ]),
            "{check} does not run `xtask check-published --index {index} --version $VERSION --dist $RUNNER_TEMP/dist`"
        );
        assert!(
            !lines.iter().any(|l| l.job == job),
            "{job} runs the xtask; its index check belongs in {check}"
        );

        // The upload: approved environment, the OIDC token, a download and the action.
        let y = release.job(job);
        let environment = if job == "publish-pypi" {
            "pypi"
        } else {
            "testpypi"
        };
        assert_eq!(
            scalar(&y["environment"]["name"]).as_deref(),
            Some(environment),
            "{job} runs in the {environment} environment, which maintainers approve"
        );
        assert_eq!(
            scalar(&y["permissions"]["id-token"]).as_deref(),
            Some("write"),
            "{job}: trusted publishing needs the OIDC token"
        );
        let steps = y["steps"].as_vec().expect("steps");
        let uses: Vec<&str> = steps
            .iter()
            .map(|s| s["uses"].as_str().unwrap_or("(a run step)"))
            .map(|u| u.split('@').next().unwrap_or(u))
            .collect();
        assert_eq!(
            uses,
            ["actions/download-artifact", "pypa/gh-action-pypi-publish"],
            "{job} only downloads the dist artifact and hands it to the PyPA action"
        );
        let publish = &steps[1]["with"];
        assert_eq!(scalar(&publish["packages-dir"]).as_deref(), Some("dist/"));
        assert_eq!(
            scalar(&steps[0]["with"]["path"]).as_deref(),
            Some("dist/"),
            "{job}"
        );
        assert_eq!(
            scalar(&publish["repository-url"]).as_deref(),
            repository_url,
            "{job}: repository-url"
        );
        assert_eq!(
            scalar(&publish["attestations"]).as_deref(),
            Some("true"),
            "{job}: attestations on"
        );
        // TestPyPI may hold files from an earlier try: skip them. PyPI takes a
        // re-sent identical file as a no-op and must refuse anything else loudly.
        let skip = scalar(&publish["skip-existing"]);
        if job == "publish-testpypi" {
            assert_eq!(skip.as_deref(), Some("true"), "{job}: skip-existing");
        } else {
            assert_eq!(skip, None, "{job}: no skip-existing on PyPI");
        }
    }
}

/// Every artifact of a release, as the draft names them.
const RELEASE_ASSETS: [&str; 6] = [
    "release-assets/*.tar.gz",
    "release-assets/*.whl",
    "release-assets/${{ needs.build.outputs.INSTALLER_FILENAME }}",
    "release-assets/${{ needs.build.outputs.SBOM_FILENAME }}",
    "release-assets/SHA256SUMS",
    "release-assets/manifest.json",
];

fn lines_of(y: &Yaml) -> Vec<String> {
    scalar(y)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn draft_release_attests_every_artifact_and_drafts_a_prerelease_with_notes() {
    let release = workflow("release.yml");
    let lines = xtask_lines(&release);
    assert!(
        lines
            .iter()
            .any(|l| l.job == "release-notes" && l.args[0] == "release-notes"),
        "the release-notes job writes the notes with `xtask release-notes`"
    );
    let job = release.job("draft-release");
    let steps = job["steps"].as_vec().expect("steps");
    // The downloads (by id) are checked in every_artifact_is_downloaded_by_...
    let check_at = steps
        .iter()
        .position(|s| scalar(&s["run"]).is_some_and(|r| r.contains("sha256sum -c SHA256SUMS")))
        .expect("draft-release checks the downloaded files against SHA256SUMS");
    let (attest_at, attest) = step_using(steps, "actions/attest-build-provenance")
        .expect("a provenance attestation of the artifacts");
    assert_eq!(
        lines_of(&attest["with"]["subject-path"]),
        RELEASE_ASSETS,
        "every artifact is attested"
    );
    let (draft_at, draft) =
        step_using(steps, "softprops/action-gh-release").expect("the release draft");
    assert!(check_at < attest_at && attest_at < draft_at);
    let with = &draft["with"];
    assert_eq!(scalar(&with["draft"]).as_deref(), Some("true"));
    // The tag and title come from the version (v5.0 and v5.0.0 both release 5.0),
    // at the commit the run built.
    for key in ["tag_name", "name"] {
        assert_eq!(
            scalar(&with[key]).as_deref(),
            Some("v${{ needs.check-version.outputs.VERSION }}"),
            "draft-release: {key} comes from the normalised version"
        );
    }
    assert_eq!(
        scalar(&with["target_commitish"]).as_deref(),
        Some("${{ github.sha }}")
    );
    // Drafted whatever started the run: a manual run on the tag drafts too.
    let condition = scalar(&job["if"]).unwrap_or_default();
    assert!(
        !condition.contains("github.event_name"),
        "draft-release must not depend on the event: {condition}"
    );
    assert_eq!(
        scalar(&with["prerelease"]).as_deref(),
        Some("${{ needs.check-version.outputs.IS_PRERELEASE == 'true' }}")
    );
    assert_eq!(
        lines_of(&with["files"]),
        RELEASE_ASSETS,
        "every artifact is a release asset"
    );
    assert_eq!(
        scalar(&with["fail_on_unmatched_files"]).as_deref(),
        Some("true")
    );
    assert!(scalar(&with["body_path"]).is_some_and(|p| p.contains("release-notes.md")));
}

// ---------------------------------------------------------------------------
// The release run, step by step: what runs, from what, with what privileges

/// One step that runs in a release run.
struct RunStep {
    /// The job on a runner it runs in: a release job (`smoke-test`), or a called
    /// workflow's job (`build/build`).
    job: String,
    /// Where the step is written: the job, then each local action on the way
    /// (`smoke-test/setup-tools/prebuilt-xtask`).
    origin: String,
    step: Yaml,
    /// Why the step restores a cache, when it does (evaluated with its inputs).
    cache: Option<String>,
}

/// The values an `if:` or `with:` can read while a release runs: the inputs of the
/// workflow or action, with the raw values they were given; a value that is an
/// expression is evaluated in the caller's context.
struct StepContext<'a> {
    inputs: BTreeMap<String, Yaml>,
    parent: Option<&'a StepContext<'a>>,
    /// Composite actions' inputs are strings.
    strings: bool,
}

impl StepContext<'_> {
    fn top() -> StepContext<'static> {
        StepContext {
            inputs: BTreeMap::new(),
            parent: None,
            strings: false,
        }
    }

    /// An input's value: `raw` as the caller wrote it, evaluated where it was written.
    fn value(&self, raw: &Yaml) -> gha_expr::Value {
        self.value_in(raw, self.parent.unwrap_or(self))
    }

    /// A value written in this context (a step's `with:`), evaluated here.
    fn here(&self, raw: &Yaml) -> gha_expr::Value {
        self.value_in(raw, self)
    }

    fn value_in(&self, raw: &Yaml, scope: &dyn gha_expr::Context) -> gha_expr::Value {
        use gha_expr::Value;
        let value = match raw {
            Yaml::Boolean(b) => Value::Bool(*b),
            Yaml::Integer(i) => Value::Num(*i as f64),
            Yaml::Null | Yaml::BadValue => Value::Null,
            other => {
                let text = scalar(other).unwrap_or_default();
                let t = text.trim();
                if t.starts_with("${{") && t.ends_with("}}") && t.matches("${{").count() == 1 {
                    gha_expr::eval(t, scope)
                } else {
                    Value::Str(text)
                }
            }
        };
        match (self.strings, value) {
            (true, Value::Bool(b)) => Value::Str(b.to_string()),
            (_, v) => v,
        }
    }
}

impl gha_expr::Context for StepContext<'_> {
    fn get(&self, path: &str) -> gha_expr::Value {
        if let Some(name) = path.strip_prefix("inputs.") {
            return match self.inputs.get(name) {
                Some(raw) => self.value(raw),
                None => gha_expr::Value::Null,
            };
        }
        match path {
            // A release passes always_run: true, so the should-run action says run.
            "steps.changes.outputs.run" => gha_expr::Value::Str("true".into()),
            _ => panic!("the release-run test does not model `{path}`; teach StepContext"),
        }
    }

    fn status(&self, function: &str) -> bool {
        function != "failure" && function != "cancelled"
    }
}

/// The inputs a workflow or action declares, with their defaults, then those given.
fn inputs_with_defaults(declared: &Yaml, given: &Yaml) -> BTreeMap<String, Yaml> {
    let mut inputs = BTreeMap::new();
    for (source, default) in [(declared, true), (given, false)] {
        for (k, v) in source.as_hash().into_iter().flatten() {
            if let Some(name) = k.as_str() {
                let value = if default {
                    v["default"].clone()
                } else {
                    v.clone()
                };
                inputs.insert(name.to_owned(), value);
            }
        }
    }
    inputs
}

/// Whether the step runs in `ctx` (no `if:` means it does).
fn step_runs(step: &Yaml, ctx: &StepContext) -> bool {
    match scalar(&step["if"]) {
        None => true,
        Some(cond) => gha_expr::eval(&cond, ctx).truthy(),
    }
}

/// Why a step restores a cache, if it does.
fn cache_use(step: &Yaml, ctx: &StepContext) -> Option<String> {
    let uses = step["uses"].as_str()?;
    let action = uses.split('@').next().unwrap_or(uses);
    if action.starts_with("actions/cache") || action == "Swatinem/rust-cache" {
        return Some(format!("uses {action}"));
    }
    // setup-python, setup-node, setup-go, ... cache when their `cache` input is set.
    let cache = &step["with"]["cache"];
    if action.starts_with("actions/setup-") && !cache.is_badvalue() && ctx.here(cache).truthy() {
        return Some(format!(
            "{action} with cache: {}",
            scalar(cache).unwrap_or_default()
        ));
    }
    None
}

/// The steps of `steps` that run in `ctx`, local actions expanded into theirs.
fn expand_steps(
    steps: &[Yaml],
    job: &str,
    origin: &str,
    ctx: &StepContext,
    out: &mut Vec<RunStep>,
) {
    for step in steps {
        if !step_runs(step, ctx) {
            continue;
        }
        out.push(RunStep {
            job: job.to_owned(),
            origin: origin.to_owned(),
            step: step.clone(),
            cache: cache_use(step, ctx),
        });
        if let Some(local) = step["uses"].as_str().and_then(|u| u.strip_prefix("./")) {
            let action = Doc::load(&repo_root().join(local).join("action.yml"));
            let inner = StepContext {
                inputs: inputs_with_defaults(&action.yaml["inputs"], &step["with"]),
                parent: Some(ctx),
                strings: true,
            };
            let name = local.rsplit('/').next().unwrap_or(local);
            let steps = action.yaml["runs"]["steps"].as_vec().expect("steps");
            expand_steps(steps, job, &format!("{origin}/{name}"), &inner, out);
        }
    }
}

/// Every step of `doc`'s jobs that runs when it is called with `with` (or, for
/// release.yml, run by a tag push), called workflows and local actions expanded.
fn run_of(doc: &Doc, with: &Yaml, prefix: &str, out: &mut Vec<RunStep>) {
    let top = StepContext::top();
    let ctx = StepContext {
        inputs: inputs_with_defaults(&doc.yaml["on"]["workflow_call"]["inputs"], with),
        parent: Some(&top),
        strings: false,
    };
    for (id, job) in doc.jobs() {
        let name = format!("{prefix}{id}");
        if let Some(called) = job["uses"].as_str() {
            let file = called
                .strip_prefix("./.github/workflows/")
                .expect("a local workflow");
            run_of(&workflow(file), &job["with"], &format!("{name}/"), out);
        } else {
            let steps = job["steps"].as_vec().expect("steps");
            expand_steps(steps, &name, &name, &ctx, out);
        }
    }
}

fn release_run() -> Vec<RunStep> {
    let mut out = Vec::new();
    run_of(&workflow("release.yml"), &Yaml::Null, "", &mut out);
    out
}

#[test]
fn the_release_run_restores_no_cache() {
    let run = release_run();
    assert!(
        run.len() > 60,
        "only {} steps found in a release run",
        run.len()
    );
    let caches: Vec<String> = run
        .iter()
        .filter_map(|s| Some(format!("{}: {}", s.origin, s.cache.as_ref()?)))
        .collect();
    assert!(
        caches.is_empty(),
        "a release run restores caches:\n{}",
        caches.join("\n")
    );

    // The same walk over everyday CI finds its caches: the check sees them.
    let mut everyday = Vec::new();
    run_of(
        &workflow("frontend-tests.yml"),
        &Yaml::Null,
        "",
        &mut everyday,
    );
    let found: Vec<String> = everyday.iter().filter_map(|s| s.cache.clone()).collect();
    let joined = found.join("\n");
    for cache in ["Swatinem/rust-cache", "actions/cache", "actions/setup-node"] {
        assert!(
            joined.contains(cache),
            "everyday CI should cache with {cache}; found:\n{joined}"
        );
    }
}

/// The commands a script runs: the first word of each simple command.
fn commands_in_script(script: &str) -> Vec<String> {
    let joined = script.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines() {
        let mut at_start = true;
        for token in shell_tokens(line) {
            match token {
                Token::Op => at_start = true,
                // `VAR=value cmd` runs cmd.
                Token::Word(w) if at_start && !is_assignment(&w) => {
                    commands.push(w);
                    at_start = false;
                }
                Token::Word(_) => {}
            }
        }
    }
    commands
}

/// `NAME=value`, a variable set for the command after it.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[test]
fn every_job_after_the_xtask_build_runs_the_prebuilt_xtask_and_no_compiler() {
    let run = release_run();
    let mut jobs: BTreeMap<&str, Vec<&RunStep>> = BTreeMap::new();
    for step in &run {
        jobs.entry(&step.job).or_default().push(step);
    }
    let mut without_xtask = Vec::new();
    for (job, steps) in &jobs {
        let mut downloaded = false;
        let mut runs_xtask = false;
        for step in steps {
            let uses = step.step["uses"].as_str().unwrap_or("");
            // prebuilt-xtask's download: by the id of this OS's artifact, digest checked.
            if uses.starts_with("actions/download-artifact@")
                && step.origin.ends_with("/prebuilt-xtask")
                && scalar(&step.step["with"]["artifact-ids"]).is_some()
                && scalar(&step.step["with"]["path"]).as_deref() == Some("${{ runner.temp }}/xtask")
            {
                downloaded = true;
            }
            let Some(script) = scalar(&step.step["run"]) else {
                continue;
            };
            if *job != XTASK_JOB {
                let commands = commands_in_script(&script);
                assert!(
                    !commands.iter().any(|c| c == "cargo" || c == "rustc"),
                    "release run, job {job} ({}): runs a compiler:\n{script}",
                    step.origin
                );
            }
            for (args, via) in xtask_lines_in_script(&script) {
                assert_eq!(
                    via,
                    Via::Prebuilt,
                    "release run, job {job}: `cargo xtask {}` compiles the xtask; run {PREBUILT_XTASK}",
                    args.join(" ")
                );
                assert!(
                    downloaded,
                    "release run, job {job}: runs the xtask before downloading it by id"
                );
                runs_xtask = true;
            }
        }
        if !runs_xtask && *job != XTASK_JOB {
            without_xtask.push(*job);
        }
    }
    // Only the privileged jobs run no xtask at all: they work on downloaded files alone.
    assert_eq!(
        without_xtask,
        ["draft-release", "publish-pypi", "publish-testpypi"],
        "jobs that run no xtask"
    );
    assert!(
        jobs.len() >= 16,
        "only {} jobs found: {:?}",
        jobs.len(),
        jobs.keys()
    );
}

/// The only commands a job holding `id-token: write` or `contents: write` may run
/// in a `run:` step: a checksum check of what it downloaded. Nothing of ours.
const PRIVILEGED_COMMANDS: [&str; 2] = ["cd", "sha256sum"];

/// What a job holding `id-token: write` or `contents: write` must not do: run a
/// called workflow or a local action (both are checked-out code), check out the
/// repository at all, or run any program but the checksum tools (not even the
/// prebuilt xtask: the index checks run in unprivileged jobs before).
fn privileged_problems(doc: &Doc) -> Vec<String> {
    let mut problems = Vec::new();
    let top_level = &doc.yaml["permissions"];
    for (id, job) in doc.jobs() {
        let perms = if job["permissions"].is_badvalue() {
            top_level
        } else {
            &job["permissions"]
        };
        let privileged = scalar(&perms["id-token"]).as_deref() == Some("write")
            || scalar(&perms["contents"]).as_deref() == Some("write")
            || scalar(perms).as_deref() == Some("write-all");
        if !privileged {
            continue;
        }
        let at = format!("{}/{id}", doc.name);
        if let Some(called) = job["uses"].as_str() {
            problems.push(format!("{at}: calls the workflow {called}"));
        }
        for step in job["steps"].as_vec().map(Vec::as_slice).unwrap_or_default() {
            if let Some(uses) = step["uses"].as_str() {
                if uses.starts_with("./") {
                    problems.push(format!("{at}: runs the local action {uses}"));
                }
                if uses.starts_with("actions/checkout@") {
                    problems.push(format!(
                        "{at}: checks out the repository (it runs nothing of ours, so it needs no checkout)"
                    ));
                }
            }
            if let Some(script) = scalar(&step["run"]) {
                for command in commands_in_script(&script) {
                    if !PRIVILEGED_COMMANDS.contains(&command.as_str()) {
                        problems.push(format!("{at}: runs `{command}`"));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn jobs_with_id_token_or_contents_write_run_no_cargo_pip_npm_or_checked_out_code() {
    let release = workflow("release.yml");
    let problems = privileged_problems(&release);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // They exist: the check above looked at them.
    for job in ["publish-testpypi", "publish-pypi", "draft-release"] {
        assert!(
            release.job(job)["steps"]
                .as_vec()
                .is_some_and(|s| !s.is_empty())
        );
    }
    for doc in workflows()
        .iter()
        .filter(|d| !d.name.ends_with("release.yml"))
    {
        let problems = privileged_problems(doc);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[test]
fn the_privileged_job_check_reports_compilers_installers_scripts_and_checkouts() {
    let doc = fixture("privileged.yml");
    let problems = privileged_problems(&doc);
    let expected = [
        "publish: checks out the repository",
        "publish: runs the local action ./.github/actions/setup-tools",
        "publish: runs `cargo`",
        "publish: runs `pip`",
        "publish: runs `npm`",
        "publish: runs `./scripts/upload.sh`",
        "publish: runs `$RUNNER_TEMP/xtask/xtask`",
        "draft: calls the workflow ./.github/workflows/build-installer.yml",
        "everything: checks out the repository",
        "everything: runs `bash`",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, want) in problems.iter().zip(expected) {
        assert!(problem.contains(want), "{problem:?} should say {want:?}");
    }
}

// ---------------------------------------------------------------------------
// Everyday CI

/// The workflows everyday CI runs (all callable by the release), and the `cargo xtask`
/// lines each must run.
const EVERYDAY: [(&str, &[&[&str]]); 6] = [
    (
        "python-checks.yml",
        &[&["check", "--python", "--skip", "pytest"]],
    ),
    ("python-tests.yml", &[&["check", "--only", "pytest"]]),
    (
        "frontend-checks.yml",
        &[&["check", "--frontend", "--skip", "vitest"]],
    ),
    ("frontend-tests.yml", &[&["check", "--only", "vitest"]]),
    ("xtask-tests.yml", &[&["test", "--rust"]]),
    (
        "build-installer.yml",
        &[
            &["build-installer", "--skip-frontend-checks"],
            &["verify", "$DIST_PATH"],
        ],
    ),
];

#[test]
fn the_workflow_files_are_the_release_and_the_everyday_ones() {
    let found: BTreeSet<String> = yaml_files_in(&workflows_dir())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut expected: BTreeSet<String> = EVERYDAY.iter().map(|(f, _)| f.to_string()).collect();
    expected.insert("release.yml".into());
    assert_eq!(
        found, expected,
        "a new workflow must be added to these tests"
    );
}

#[test]
fn everyday_workflows_run_their_command_when_their_inputs_changed_or_always_run_is_set() {
    for (file, commands) in EVERYDAY {
        let doc = workflow(file);
        let on = &doc.yaml["on"];
        assert_eq!(strings(&on["push"]["branches"]), ["main"], "{file}: push");
        for trigger in ["pull_request", "merge_group"] {
            assert!(
                on.as_hash()
                    .is_some_and(|h| h.contains_key(&Yaml::String(trigger.into()))),
                "{file}: no {trigger} trigger"
            );
        }
        for trigger in ["workflow_dispatch", "workflow_call"] {
            let input = &on[trigger]["inputs"]["always_run"];
            assert_eq!(
                scalar(&input["type"]).as_deref(),
                Some("boolean"),
                "{file}: {trigger}"
            );
            assert_eq!(
                scalar(&input["default"]).as_deref(),
                Some("true"),
                "{file}: {trigger}"
            );
        }
        // A release passes prebuilt_xtask: true; everyday CI compiles the xtask.
        let prebuilt = &on["workflow_call"]["inputs"]["prebuilt_xtask"];
        assert_eq!(
            scalar(&prebuilt["type"]).as_deref(),
            Some("boolean"),
            "{file}"
        );
        assert_eq!(
            scalar(&prebuilt["default"]).as_deref(),
            Some("false"),
            "{file}"
        );
        // With it, the xtask job's outputs: the id of each OS's artifact.
        let ids = &on["workflow_call"]["inputs"]["xtask_artifacts"];
        assert_eq!(scalar(&ids["type"]).as_deref(), Some("string"), "{file}");
        assert_eq!(scalar(&ids["default"]).as_deref(), Some(""), "{file}");
        let group = scalar(&doc.yaml["concurrency"]["group"]).unwrap_or_default();
        assert!(
            group.starts_with(file.trim_end_matches(".yml")),
            "{file}: the concurrency group is named after the workflow, so the workflows \
             one release calls never share one: {group:?}"
        );

        for (job, y) in doc.jobs() {
            let steps = y["steps"].as_vec().expect("steps");
            let checkout = &steps[0];
            assert!(
                checkout["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@")),
                "{file}/{job}: checkout first"
            );
            assert_eq!(
                scalar(&checkout["with"]["fetch-depth"]).as_deref(),
                Some("0"),
                "{file}/{job}: the change decision needs the history"
            );
            let decide = &steps[1];
            assert_eq!(
                decide["uses"].as_str(),
                Some("./.github/actions/should-run")
            );
            assert_eq!(decide["id"].as_str(), Some("changes"));
            assert_eq!(
                scalar(&decide["with"]["always-run"]).as_deref(),
                Some("${{ inputs.always_run }}"),
                "{file}/{job}"
            );
            let setup = step_using(steps, "./.github/actions/setup-tools")
                .unwrap_or_else(|| panic!("{file}/{job}: no setup-tools step"))
                .1;
            assert_eq!(
                scalar(&setup["with"]["prebuilt-xtask"]).as_deref(),
                Some("${{ inputs.prebuilt_xtask }}"),
                "{file}/{job}: setup-tools must take the prebuilt xtask when the release asks"
            );
            assert_eq!(
                scalar(&setup["with"]["xtask-artifacts"]).as_deref(),
                Some("${{ inputs.xtask_artifacts }}"),
                "{file}/{job}: setup-tools must get the xtask's artifact ids"
            );
            for (i, step) in steps.iter().enumerate().skip(2) {
                assert_eq!(
                    scalar(&step["if"]).as_deref(),
                    Some("steps.changes.outputs.run == 'true'"),
                    "{file}/{job}: step {i} must run only when the job's inputs changed"
                );
            }
        }

        let lines = xtask_lines(&doc);
        for command in commands {
            assert!(
                lines.iter().any(|l| l.args == *command),
                "{file} does not run `cargo xtask {}`; it runs {:?}",
                command.join(" "),
                lines.iter().map(|l| l.args.join(" ")).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn pytest_runs_on_every_platform_and_supported_python() {
    let doc = workflow("python-tests.yml");
    let strategy = &doc.job("pytest")["strategy"];
    assert_eq!(scalar(&strategy["fail-fast"]).as_deref(), Some("false"));
    assert_eq!(
        strings(&strategy["matrix"]["os"]),
        ["ubuntu-latest", "macos-latest", "windows-latest"]
    );
    assert_eq!(
        strings(&strategy["matrix"]["python"]),
        ["3.10", "3.11", "3.12", "3.13"]
    );
}

#[test]
fn build_uploads_the_pypi_files_and_the_installer_as_two_artifacts() {
    let doc = workflow("build-installer.yml");
    let job = doc.job("build");
    for key in [
        "INSTALLER_FILENAME",
        "INSTALLER_PATH",
        "DIST_PATH",
        "SBOM_FILENAME",
    ] {
        assert_eq!(
            scalar(&job["outputs"][key]),
            Some(format!("${{{{ steps.build.outputs.{key} }}}}")),
            "the job exposes the build step's {key}"
        );
        assert_eq!(
            scalar(&doc.yaml["on"]["workflow_call"]["outputs"][key]["value"]),
            Some(format!("${{{{ jobs.build.outputs.{key} }}}}")),
            "the workflow exposes {key} to its callers"
        );
    }
    let steps = job["steps"].as_vec().expect("steps");
    let build_step = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("build"))
        .expect("a step with id build");
    assert!(scalar(&build_step["run"]).is_some_and(|r| {
        xtask_lines_in_script(&r)
            .iter()
            .any(|(args, _)| args == &["build-installer", "--skip-frontend-checks"])
    }));
    let upload_paths = |name: &str| -> Vec<String> {
        let step = steps
            .iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
                    && s["with"]["name"].as_str() == Some(name)
            })
            .unwrap_or_else(|| panic!("no upload of the {name} artifact"));
        scalar(&step["with"]["path"])
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // The publish action uploads every file of its folder: sdist and wheel only.
    let dist = upload_paths("dist");
    assert_eq!(
        dist,
        [
            "${{ steps.build.outputs.DIST_PATH }}/*.whl",
            "${{ steps.build.outputs.DIST_PATH }}/*.tar.gz"
        ]
    );
    let installer = upload_paths("installer");
    assert_eq!(
        installer,
        [
            "${{ steps.build.outputs.INSTALLER_PATH }}",
            "${{ steps.build.outputs.SBOM_PATH }}",
            "${{ steps.build.outputs.DIST_PATH }}/SHA256SUMS",
            "${{ steps.build.outputs.DIST_PATH }}/manifest.json"
        ]
    );
}

/// The decision script of `.github/actions/should-run`, run with bash in a throwaway
/// repository: a change under the job's paths runs it, anything else skips it, and
/// always_run or an unknown base runs it regardless.
#[test]
fn should_run_compares_the_changed_files_with_the_job_paths() {
    let action = Doc::load(&repo_root().join(".github/actions/should-run/action.yml"));
    let step = &action.yaml["runs"]["steps"][0];
    let script = scalar(&step["run"]).expect("the decision script");
    let shell = scalar(&step["shell"]).expect("a shell");
    assert_eq!(shell, "bash");

    let dir = tempdir();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("python")).unwrap();
    std::fs::create_dir_all(repo.join("frontend")).unwrap();
    let git = |args: &[&str]| {
        run_ok(
            Command::new("git")
                .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
                .args([
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "init.defaultBranch=main",
                ])
                .args(args)
                .current_dir(&repo),
        )
    };
    let head = || stdout(&git(&["rev-parse", "HEAD"])).trim().to_owned();
    git(&["init", "-q"]);
    std::fs::write(repo.join("python/app.py"), "print(1)\n").unwrap();
    std::fs::write(repo.join("frontend/main.ts"), "export {};\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let first = head();
    std::fs::write(repo.join("frontend/main.ts"), "export const a = 1;\n").unwrap();
    git(&["commit", "-q", "-am", "front end only"]);
    let second = head();

    let script_file = dir.path().join("decide.sh");
    std::fs::write(&script_file, &script).unwrap();
    let decide = |always_run: &str, base: &str, paths: &str| -> String {
        let output_file = dir.path().join("github-output");
        std::fs::write(&output_file, "").unwrap();
        let out = run_ok(
            // How GitHub runs a `shell: bash` step.
            Command::new("bash")
                .args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .env("ALWAYS_RUN", always_run)
                .env("BASE", base)
                .env("PATHS", paths)
                .env("GITHUB_OUTPUT", &output_file)
                .current_dir(&repo),
        );
        let written = std::fs::read_to_string(&output_file).unwrap();
        assert!(
            written == "run=true\n" || written == "run=false\n",
            "unexpected output {written:?}; stderr: {}",
            stderr(&out)
        );
        written.trim_end().trim_start_matches("run=").to_owned()
    };

    let zeros = "0".repeat(40);
    let unknown = "1234567890abcdef1234567890abcdef12345678";
    for (always_run, base, paths, expected) in [
        ("", first.as_str(), "python/", "false"),
        (
            "false",
            first.as_str(),
            "python/ .github/workflows/x.yml",
            "false",
        ),
        ("", first.as_str(), "frontend/", "true"),
        ("", first.as_str(), "python/ frontend/", "true"),
        ("", second.as_str(), "frontend/", "false"),
        ("true", second.as_str(), "python/", "true"),
        ("", zeros.as_str(), "python/", "true"),
        ("", "", "python/", "true"),
        ("", unknown, "python/", "true"),
    ] {
        assert_eq!(
            decide(always_run, base, paths),
            expected,
            "always_run={always_run:?} base={base:?} paths={paths:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// actionlint

fn actionlint() -> PathBuf {
    let python = venv_python();
    let bin = python.with_file_name(if cfg!(windows) {
        "actionlint.exe"
    } else {
        "actionlint"
    });
    assert!(
        bin.is_file(),
        "{} is missing: actionlint is pinned in python/requirements-dev.txt; run `cargo xtask setup --python --force`",
        bin.display()
    );
    bin
}

#[test]
fn actionlint_reports_nothing_on_the_workflows() {
    let files = yaml_files_in(&workflows_dir());
    let out = output(
        Command::new(actionlint())
            .arg("-no-color")
            .args(&files)
            .current_dir(repo_root()),
    );
    assert!(
        out.status.success(),
        "actionlint found problems ({}):\n{}{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
}

/// The clean result above means something: on a workflow with known mistakes the same
/// binary reports each of them.
#[test]
fn actionlint_reports_deprecated_runtimes_and_broken_graphs() {
    let doc = repo_root().join("xtask/tests/fixtures/workflows/actionlint-finds.yml");
    let out = output(
        Command::new(actionlint())
            .args(["-no-color", "-oneline", "-shellcheck=", "-pyflakes="])
            .arg(&doc)
            .current_dir(repo_root()),
    );
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}{}", stderr(&out));
    for expected in [
        "deprecated",
        "no-such-job",
        "github.event.pull_request.title",
    ] {
        assert!(
            report.contains(expected),
            "actionlint did not report {expected:?}:\n{report}"
        );
    }
}

// ---------------------------------------------------------------------------
// zizmor

fn zizmor() -> PathBuf {
    let python = venv_python();
    let bin = python.with_file_name(if cfg!(windows) {
        "zizmor.exe"
    } else {
        "zizmor"
    });
    assert!(
        bin.is_file(),
        "{} is missing: zizmor is pinned in python/requirements-dev.txt; run `cargo xtask setup --python --force`",
        bin.display()
    );
    bin
}

/// zizmor over `paths`, offline (no GitHub API), ignoring any configuration file,
/// reporting findings of medium severity or more.
fn zizmor_medium_and_above(paths: &[PathBuf]) -> std::process::Output {
    output(
        Command::new(zizmor())
            .args([
                "--offline",
                "--no-config",
                "--no-progress",
                "--color=never",
                "--min-severity=medium",
            ])
            .args(paths)
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env_remove("ZIZMOR_GITHUB_TOKEN")
            .current_dir(repo_root()),
    )
}

#[test]
fn zizmor_finds_nothing_above_low_in_the_workflows_and_actions() {
    let out = zizmor_medium_and_above(&[
        repo_root().join(".github/workflows"),
        repo_root().join(".github/actions"),
        repo_root().join(".github/dependabot.yml"),
    ]);
    assert!(
        out.status.success(),
        "zizmor found problems of medium severity or more ({}):\n{}{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
}

/// The clean result above means something: on a workflow with known mistakes the same
/// binary, with the same options, reports them.
#[test]
fn zizmor_reports_template_injection_and_dangerous_triggers() {
    let out = zizmor_medium_and_above(&[
        repo_root().join("xtask/tests/fixtures/workflows/zizmor-finds.yml")
    ]);
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{report}");
    for expected in ["template-injection", "dangerous-triggers"] {
        assert!(
            report.contains(expected),
            "zizmor did not report {expected:?}:\n{report}"
        );
    }
}

// ---------------------------------------------------------------------------
// xtask lines

/// How the workflows run the xtask that `setup-tools` (or `prebuilt-xtask`) put
/// there: compiled by everyday CI, or the release's prebuilt binary.
const PREBUILT_XTASK: &str = "$RUNNER_TEMP/xtask/xtask";

/// How a line calls the xtask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `cargo xtask ...`: compiles it first.
    Cargo,
    /// `"$RUNNER_TEMP/xtask/xtask" ...`: the binary already there.
    Prebuilt,
}

/// One xtask command line found in a step's `run:` script.
#[derive(Debug)]
struct XtaskLine {
    file: String,
    job: String,
    step: String,
    args: Vec<String>,
    via: Via,
}

impl std::fmt::Display for XtaskLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let program = match self.via {
            Via::Cargo => "cargo xtask".to_owned(),
            Via::Prebuilt => format!("\"{PREBUILT_XTASK}\""),
        };
        write!(
            f,
            "{} / {} / {}: {program} {}",
            self.file,
            self.job,
            self.step,
            self.args.join(" ")
        )
    }
}

fn xtask_lines(doc: &Doc) -> Vec<XtaskLine> {
    let mut lines = Vec::new();
    for (job, steps) in doc.step_lists() {
        for (i, step) in steps.iter().enumerate() {
            let Some(script) = scalar(&step["run"]) else {
                continue;
            };
            let name = scalar(&step["name"]).unwrap_or_else(|| format!("step {}", i + 1));
            for (args, via) in xtask_lines_in_script(&script) {
                lines.push(XtaskLine {
                    file: doc.name.clone(),
                    job: job.clone(),
                    step: name.clone(),
                    args,
                    via,
                });
            }
        }
    }
    lines
}

/// The arguments of every xtask command in a shell script (`cargo xtask ...` or
/// `"$RUNNER_TEMP/xtask/xtask" ...`): continuation lines joined, comments dropped,
/// each command ending at the first shell operator.
fn xtask_lines_in_script(script: &str) -> Vec<(Vec<String>, Via)> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let tokens = shell_tokens(line);
        let mut i = 0;
        while i < tokens.len() {
            let word = |k: usize| match tokens.get(k) {
                Some(Token::Word(w)) => Some(w.as_str()),
                _ => None,
            };
            let (via, skip) = match (word(i), word(i + 1)) {
                (Some("cargo"), Some("xtask")) => (Via::Cargo, 2),
                (Some(PREBUILT_XTASK), _) => (Via::Prebuilt, 1),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let args: Vec<String> = tokens[i + skip..]
                .iter()
                .map_while(|t| match t {
                    Token::Word(w) => Some(w.clone()),
                    Token::Op => None,
                })
                .collect();
            i += skip + args.len();
            found.push((args, via));
        }
    }
    found
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    /// `;`, `&&`, `||`, `|`, `&`, redirections, parentheses: the command ends here.
    Op,
}

/// Split one shell line into words (quotes removed, variables left as written) and
/// operators; a `#` at the start of a word ends the line.
fn shell_tokens(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(next) = chars.next() {
                                word.push(next);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
                if in_word {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                    in_word = false;
                }
                tokens.push(Token::Op);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        tokens.push(Token::Word(word));
    }
    tokens
}

/// Why `cargo xtask <args>` would not parse, asking the real binary: the line with
/// `--help` appended must succeed (clap validates everything before `--help`: the
/// subcommand, each flag and each value), and the same line with an unknown flag
/// before `--help` must fail, which shows the first answer was not help swallowing
/// the rest.
fn parse_problem(args: &[String]) -> Option<String> {
    let out = output(xtask().args(args).arg("--help"));
    if !out.status.success() {
        let err = stderr(&out);
        let first = err.lines().next().unwrap_or("").trim();
        return Some(format!("does not parse ({}): {first}", out.status));
    }
    let out = output(
        xtask()
            .args(args)
            .args(["--no-such-flag-anywhere", "--help"]),
    );
    if out.status.success() {
        return Some("accepts an unknown flag, so its `--help` check proves nothing".into());
    }
    None
}

fn parse_problems(docs: &[Doc]) -> (usize, Vec<String>) {
    let lines: Vec<XtaskLine> = docs.iter().flat_map(xtask_lines).collect();
    let problems = lines
        .iter()
        .filter_map(|line| parse_problem(&line.args).map(|p| format!("{line}\n    {p}")))
        .collect();
    (lines.len(), problems)
}

#[test]
fn every_xtask_line_of_the_workflows_is_a_real_command_whose_flags_parse() {
    let docs = workflows_and_actions();
    let (count, problems) = parse_problems(&docs);
    assert!(count >= 20, "only {count} xtask lines found");
    assert!(
        problems.is_empty(),
        "{} of {count} xtask lines in the workflows do not parse:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Each job runs the binary setup-tools put there (compiled once by everyday CI,
    // downloaded in a release); none compiles it again through `cargo xtask`.
    let compiling: Vec<String> = docs
        .iter()
        .flat_map(xtask_lines)
        .filter(|l| l.via == Via::Cargo)
        .map(|l| l.to_string())
        .collect();
    assert!(compiling.is_empty(), "{}", compiling.join("\n"));
}

#[test]
fn the_xtask_line_check_reports_unknown_commands_flags_and_values() {
    let doc = fixture("xtask-lines.yml");
    let lines: Vec<(Vec<String>, Via)> = xtask_lines(&doc)
        .into_iter()
        .map(|l| (l.args, l.via))
        .collect();
    let expected: Vec<(Vec<String>, Via)> = [
        (&["test", "--rust", "--python"][..], Via::Cargo),
        (&["frobnicate", "--now"][..], Via::Cargo),
        (&["test", "--rust", "--no-such-flag"][..], Via::Cargo),
        (
            &["frontend", "typegen", "--mode", "sideways"][..],
            Via::Cargo,
        ),
        (&["verify", "$DIST_PATH"][..], Via::Prebuilt),
        (&["smoke-test", "--no-browser"][..], Via::Prebuilt),
    ]
    .into_iter()
    .map(|(args, via)| (args.iter().map(|a| a.to_string()).collect(), via))
    .collect();
    assert_eq!(
        lines, expected,
        "the lines found in the fixture (comments and redirections left out)"
    );
    let (count, problems) = parse_problems(std::slice::from_ref(&doc));
    assert_eq!(count, 6);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    for (problem, culprit) in
        problems
            .iter()
            .zip(["frobnicate", "--no-such-flag", "sideways", "--no-browser"])
    {
        assert!(
            problem.contains("does not parse") && problem.contains(culprit),
            "{problem}"
        );
    }
}

// ---------------------------------------------------------------------------
// Pinned actions

/// One `uses:` of a third-party action, as written on its line.
#[derive(Debug)]
struct UsesLine {
    at: String,
    action: String,
    reference: String,
    comment: String,
}

/// Every `uses:` line of a raw YAML text except local actions (`./...`).
fn uses_lines(name: &str, text: &str) -> (usize, Vec<UsesLine>) {
    let mut all = 0;
    let mut third_party = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
        let Some(rest) = t.strip_prefix("uses:") else {
            continue;
        };
        all += 1;
        let (value, comment) = match rest.split_once(" #") {
            Some((v, c)) => (v, c.trim()),
            None => (rest, ""),
        };
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if value.starts_with("./") {
            continue;
        }
        let (action, reference) = value.split_once('@').unwrap_or((value, ""));
        third_party.push(UsesLine {
            at: format!("{name}:{}", i + 1),
            action: action.to_owned(),
            reference: reference.to_owned(),
            comment: comment.to_owned(),
        });
    }
    (all, third_party)
}

/// What is wrong with each `uses:` line: the reference must be a full commit SHA and
/// the comment must name the version it is (`# v1.2.3`), or the branch for an action
/// that publishes no versions (`# master`).
fn pin_problems(lines: &[UsesLine]) -> Vec<String> {
    let mut problems = Vec::new();
    for line in lines {
        let is_sha = line.reference.len() == 40
            && line
                .reference
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        if !is_sha {
            problems.push(format!(
                "{}: {} is not pinned to a full commit SHA (@{})",
                line.at, line.action, line.reference
            ));
            continue;
        }
        let names_version = line
            .comment
            .strip_prefix('v')
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()));
        if !names_version && !matches!(line.comment.as_str(), "master" | "main") {
            problems.push(format!(
                "{}: {} has no `# v<version>` comment after its SHA",
                line.at, line.action
            ));
        }
    }
    problems
}

/// Every `uses:` key in the parsed tree (steps and jobs that call a workflow).
fn count_uses_keys(y: &Yaml) -> usize {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| usize::from(k.as_str() == Some("uses")) + count_uses_keys(v))
            .sum(),
        Yaml::Array(a) => a.iter().map(count_uses_keys).sum(),
        _ => 0,
    }
}

#[test]
fn every_third_party_action_is_pinned_to_a_commit_with_its_version() {
    let mut all_lines = Vec::new();
    for doc in workflows_and_actions() {
        let (count, lines) = uses_lines(&doc.name, &doc.text);
        assert_eq!(
            count,
            count_uses_keys(&doc.yaml),
            "{}: a `uses:` is written in a form this check does not read; \
             write each on its own `uses: owner/repo@sha # vX` line",
            doc.name
        );
        all_lines.extend(lines);
    }
    assert!(
        all_lines.len() >= 10,
        "only {} action uses",
        all_lines.len()
    );
    let problems = pin_problems(&all_lines);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // One action, one pin: the same SHA and version comment everywhere.
    let mut pins: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for line in &all_lines {
        pins.entry(&line.action)
            .or_default()
            .insert((&line.reference, &line.comment));
    }
    for (action, versions) in pins {
        assert_eq!(
            versions.len(),
            1,
            "{action} is pinned differently in different places: {versions:?}"
        );
    }
}

#[test]
fn the_pin_check_refuses_tags_short_shas_and_missing_versions() {
    let doc = fixture("unpinned.yml");
    let (count, lines) = uses_lines(&doc.name, &doc.text);
    assert_eq!(count, 6);
    assert_eq!(count, count_uses_keys(&doc.yaml));
    let problems = pin_problems(&lines);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("actions/checkout is not pinned"));
    assert!(problems[1].contains("actions/setup-python has no `# v<version>` comment"));
    assert!(problems[2].contains("actions/cache is not pinned"));
}

// ---------------------------------------------------------------------------
// Permissions, timeouts, credentials

/// The only widened permissions: (workflow, job) -> permission -> level.
fn widened_permissions() -> BTreeMap<(&'static str, &'static str), Vec<(&'static str, &'static str)>>
{
    BTreeMap::from([
        (
            ("release.yml", "publish-testpypi"),
            vec![("id-token", "write")],
        ),
        (("release.yml", "publish-pypi"), vec![("id-token", "write")]),
        (
            ("release.yml", "draft-release"),
            vec![
                ("contents", "write"),
                ("id-token", "write"),
                ("attestations", "write"),
            ],
        ),
    ])
}

#[test]
fn permissions_are_read_only_unless_a_publish_job_needs_more() {
    let widened = widened_permissions();
    let mut seen = BTreeSet::new();
    for doc in workflows() {
        let file = doc.name.trim_start_matches(".github/workflows/").to_owned();
        let top: Vec<(String, String)> = doc.yaml["permissions"]
            .as_hash()
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        // The release grants nothing by default, so each job names what it needs.
        let release = file == "release.yml";
        if release {
            assert!(
                doc.yaml["permissions"].as_hash().is_some() && top.is_empty(),
                "{file}: top-level permissions must be `{{}}`"
            );
        } else {
            assert_eq!(
                top,
                [("contents".to_owned(), "read".to_owned())],
                "{file}: top-level permissions must be exactly `contents: read`"
            );
        }
        for (job, y) in doc.jobs() {
            let Some(perms) = y["permissions"].as_hash() else {
                assert!(!release, "{file}/{job}: no permissions of its own");
                continue;
            };
            let perms: Vec<(String, String)> = perms
                .iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect();
            let allowed = widened
                .iter()
                .find(|((f, j), _)| *f == file && *j == job)
                .map(|(key, allowed)| {
                    seen.insert(*key);
                    allowed
                });
            let expected: Vec<(String, String)> = allowed
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                allowed.is_some() || perms.iter().all(|(_, level)| level != "write"),
                "{file}/{job} widens its permissions: {perms:?}"
            );
            if allowed.is_some() {
                assert_eq!(perms, expected, "{file}/{job}: permissions");
            } else if release {
                assert_eq!(
                    perms,
                    [("contents".to_owned(), "read".to_owned())],
                    "{file}/{job}: permissions"
                );
            }
        }
    }
    assert_eq!(
        seen.len(),
        widened.len(),
        "a job that should hold its permissions has none"
    );
}

#[test]
fn every_job_has_a_timeout_and_every_checkout_drops_its_credentials() {
    for doc in workflows() {
        for (job, y) in doc.jobs() {
            if y["uses"].as_str().is_some() {
                // A job that calls a workflow cannot have a timeout: the called
                // workflow's jobs have theirs (checked in their own file).
                assert!(y["timeout-minutes"].is_badvalue());
                continue;
            }
            let minutes = y["timeout-minutes"].as_i64();
            assert!(
                minutes.is_some_and(|m| m > 0 && m <= 60),
                "{}/{job}: timeout-minutes must be set (at most 60), found {minutes:?}",
                doc.name
            );
        }
    }
    for doc in workflows_and_actions() {
        for (job, steps) in doc.step_lists() {
            for step in steps {
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    assert_eq!(
                        scalar(&step["with"]["persist-credentials"]).as_deref(),
                        Some("false"),
                        "{}/{job}: the checkout must not leave the token in .git/config",
                        doc.name
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The Rust toolchain

/// The `channel` of rust-toolchain.toml.
fn pinned_rust() -> String {
    let path = repo_root().join("rust-toolchain.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the Rust toolchain must be pinned there",
            path.display()
        )
    });
    let doc: toml_edit::DocumentMut = text.parse().expect("rust-toolchain.toml is TOML");
    doc["toolchain"]["channel"]
        .as_str()
        .expect("rust-toolchain.toml: [toolchain] channel")
        .to_owned()
}

#[test]
fn the_rust_toolchain_is_pinned_in_rust_toolchain_toml_and_used_everywhere() {
    let channel = pinned_rust();
    let parts: Vec<&str> = channel.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "rust-toolchain.toml: channel {channel:?} must be an exact release (1.95.0), not \
         a moving channel: a new Rust could fail a release or the clippy gate"
    );
    let mut installs = 0;
    for doc in workflows_and_actions() {
        for (job, steps) in doc.step_lists() {
            for step in steps {
                if !step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("dtolnay/rust-toolchain@"))
                {
                    continue;
                }
                installs += 1;
                assert_eq!(
                    scalar(&step["with"]["toolchain"]).as_deref(),
                    Some(channel.as_str()),
                    "{}/{job}: install the Rust of rust-toolchain.toml",
                    doc.name
                );
            }
        }
        for (i, line) in doc.text.lines().enumerate() {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .collect();
            assert!(
                !words
                    .iter()
                    .any(|w| ["stable", "beta", "nightly"].contains(w)),
                "{}:{}: names a moving Rust channel: {line}",
                doc.name,
                i + 1
            );
        }
    }
    // The release's compile of the xtask, and everyday CI's (setup-tools).
    assert!(installs >= 2, "only {installs} Rust installs found");
}

// ---------------------------------------------------------------------------
// Concurrency and the release's name

#[test]
fn one_concurrency_group_per_normalised_version_for_the_jobs_that_publish() {
    let release = workflow("release.yml");
    // The ref does not name the release: v5.0 and v5.0.0 both pass check-version for
    // 5.0, so no run-wide group is keyed on it.
    let run_wide = scalar(&release.yaml["concurrency"]["group"]).unwrap_or_default();
    assert!(
        !run_wide.contains("github.ref"),
        "release.yml: the concurrency group is keyed on the ref: {run_wide:?}"
    );
    for job in VERSION_GROUP_JOBS {
        let y = release.job(job);
        assert!(
            needs(y).iter().any(|n| n == "check-version"),
            "{job} needs check-version, whose VERSION names its group"
        );
        assert_eq!(
            scalar(&y["concurrency"]["group"]).as_deref(),
            Some("release-${{ needs.check-version.outputs.VERSION }}"),
            "{job}: the group is the normalised version"
        );
        assert_eq!(
            scalar(&y["concurrency"]["cancel-in-progress"]).as_deref(),
            Some("false"),
            "{job}: never cancelled half-way through a publish"
        );
    }
    // Nothing of the release is named after the ref.
    let draft = release.job("draft-release");
    let with = &draft["steps"];
    let text = format!("{with:?}");
    assert!(
        !text.contains("github.ref_name"),
        "draft-release names the release after the ref"
    );
}

// ---------------------------------------------------------------------------
// Keeping the pins current; who reviews the release automation

#[test]
fn dependabot_keeps_actions_and_lockfiles_current() {
    let doc = Doc::load(&repo_root().join(".github/dependabot.yml"));
    assert_eq!(scalar(&doc.yaml["version"]).as_deref(), Some("2"));
    let updates = doc.yaml["updates"].as_vec().expect("updates");
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for update in updates {
        let ecosystem = scalar(&update["package-ecosystem"]).expect("package-ecosystem");
        let mut dirs = strings(&update["directories"]);
        dirs.extend(scalar(&update["directory"]));
        assert!(
            scalar(&update["schedule"]["interval"]).is_some(),
            "{ecosystem}: a schedule"
        );
        assert!(
            update["cooldown"]["default-days"]
                .as_i64()
                .is_some_and(|d| d > 0),
            "{ecosystem}: a cooldown, so a release that is soon yanked is not proposed"
        );
        found.insert(ecosystem, dirs);
    }
    let expected: BTreeMap<String, Vec<String>> = [
        ("github-actions", vec!["/", "/.github/actions/*"]),
        ("cargo", vec!["/"]),
        ("npm", vec!["/frontend"]),
        ("pip", vec!["/python"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(found, expected);
    // Each directory holds what its ecosystem updates.
    for lockfile in [
        "Cargo.lock",
        "frontend/package-lock.json",
        "python/requirements-dev.txt",
        "python/requirements-dev.in",
    ] {
        assert!(
            repo_root().join(lockfile).is_file(),
            "{lockfile} is missing"
        );
    }
    assert!(!actions().is_empty(), "the local actions Dependabot reads");
}

#[test]
fn codeowners_cover_the_workflows_and_the_release_gates() {
    let path = repo_root().join(".github/CODEOWNERS");
    let text = std::fs::read_to_string(&path).expect(".github/CODEOWNERS");
    let rules: Vec<(&str, Vec<&str>)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            (words.next().unwrap_or(""), words.collect())
        })
        .collect();
    for path in ["/.github/", "/xtask/src/release/"] {
        // The last matching rule wins: the last rule for this path must name owners.
        let owners = rules
            .iter()
            .rev()
            .find(|(pattern, _)| *pattern == path)
            .map(|(_, owners)| owners.clone())
            .unwrap_or_else(|| panic!("CODEOWNERS has no rule for {path}"));
        assert!(
            !owners.is_empty() && owners.iter().all(|o| o.starts_with('@')),
            "CODEOWNERS: {path} must name its owners: {owners:?}"
        );
        assert!(
            repo_root().join(path.trim_start_matches('/')).is_dir(),
            "{path} is not a directory of the repository"
        );
    }
}

// ---------------------------------------------------------------------------
// What the build writes to $GITHUB_OUTPUT, as the comments say it

/// The names build-installer appends to $GITHUB_OUTPUT, read from its source.
fn build_outputs() -> Vec<String> {
    let source = std::fs::read_to_string(repo_root().join("xtask/src/installer/build.rs")).unwrap();
    let start = source
        .find("let lines = [")
        .expect("build.rs lists its GitHub outputs in `let lines = [`");
    let end = start + source[start..].find("];").expect("the end of the list");
    source[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_comments_name_every_output_the_build_writes() {
    let outputs = build_outputs();
    assert_eq!(outputs.len(), 5, "{outputs:?}");
    // The workflow's comment on the build step.
    let doc = workflow("build-installer.yml");
    let comment: String = doc
        .text
        .lines()
        .skip_while(|l| !l.contains("The command appends"))
        .take_while(|l| l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    // The --github-output flag's help.
    let help = stdout(&output(xtask().args(["build-installer", "--help"])));
    let flag: String = help
        .lines()
        .skip_while(|l| !l.contains("--github-output"))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    for name in &outputs {
        assert!(
            comment.contains(name.as_str()),
            "build-installer.yml's comment on the build step does not name {name}: {comment}"
        );
        assert!(
            flag.contains(name.as_str()),
            "build-installer --help does not name {name} for --github-output: {flag}"
        );
    }
}
