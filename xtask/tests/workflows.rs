//! The GitHub Actions workflows (`.github/workflows/`) and the local actions they use
//! (`.github/actions/`), checked by tests:
//! - actionlint, pinned in the dev environment, reports nothing;
//! - the release's job graph: each publish job needs the version check, every code
//!   check, the tests and the build, and its condition is evaluated for the ways a
//!   release can run (tag push, manual run with or without the code checks, a failure);
//! - every `cargo xtask ...` line of a `run:` script is a real command whose flags parse;
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
const CODE_CHECKS: [(&str, &str); 4] = [
    ("python-checks", "python-checks.yml"),
    ("python-tests", "python-tests.yml"),
    ("frontend-checks", "frontend-checks.yml"),
    ("frontend-tests", "frontend-tests.yml"),
];

const PUBLISH_JOBS: [&str; 2] = ["publish-testpypi", "publish-pypi"];

/// What every publish job (and the release draft) must need.
fn publish_prerequisites() -> Vec<&'static str> {
    let mut all = vec!["check-version"];
    all.extend(CODE_CHECKS.iter().map(|(job, _)| *job));
    all.push("build");
    all
}

#[test]
fn release_calls_each_check_workflow_and_the_build_with_always_run() {
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
        assert_eq!(
            scalar(&release.job(id)["with"]["always_run"]).as_deref(),
            Some("true"),
            "release job {id} must pass always_run: true"
        );
    }
}

#[test]
fn each_publish_job_needs_the_version_check_every_code_check_and_the_build() {
    let release = workflow("release.yml");
    for job in PUBLISH_JOBS.iter().chain(&["draft-release"]) {
        let has = needs(release.job(job));
        let missing: Vec<_> = publish_prerequisites()
            .into_iter()
            .filter(|need| !has.iter().any(|h| h == need))
            .collect();
        assert!(
            missing.is_empty(),
            "release.yml: job {job} does not need {missing:?} (it needs {has:?})"
        );
    }
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

/// What each job of `workflow` ends as in `run` (`success`, `failure`, `skipped`),
/// following GitHub's rules: a job's `if:` without a status function is implicitly
/// `success() && (...)`, and `success()` holds when every job it needs succeeded.
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
            let ctx = JobContext {
                run,
                needs: &job_needs,
                results: &results,
            };
            let all_succeeded = job_needs.iter().all(|n| results[n] == "success");
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
        let all_succeeded = self.needs.iter().all(|n| self.results[n] == "success");
        match function {
            "success" => all_succeeded,
            "always" => true,
            "failure" => self.needs.iter().any(|n| self.results[n] == "failure"),
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
fn publish_jobs_run_only_when_the_version_check_every_code_check_and_the_build_succeeded() {
    let release = workflow("release.yml");
    let checks: Vec<&str> = CODE_CHECKS.iter().map(|(job, _)| *job).collect();

    // A tag push: there are no inputs, so the checks run, and everything runs.
    let run = Run::tag_push();
    let results = simulate(&release, &run);
    for (job, result) in &results {
        assert_eq!(
            *result, "success",
            "release.yml, tag push: {job} does not run ({results:?})"
        );
    }

    // A manual run that skips the code checks: the build still runs (that is how to
    // get an installer without tagging) but nothing is published or drafted, even
    // from a ref whose version matches.
    let run = Run::manual(true);
    let results = simulate(&release, &run);
    let mut expected = vec![
        ("check-version", "success"),
        ("build", "success"),
        ("publish-testpypi", "skipped"),
        ("publish-pypi", "skipped"),
        ("draft-release", "skipped"),
    ];
    expected.extend(checks.iter().map(|c| (*c, "skipped")));
    assert_outcomes(&results, &run, &expected);

    // A manual run with the checks: they run and the publish jobs can be approved;
    // only a tag push drafts the GitHub release.
    let run = Run::manual(false);
    let results = simulate(&release, &run);
    let mut expected = vec![
        ("build", "success"),
        ("publish-testpypi", "success"),
        ("publish-pypi", "success"),
        ("draft-release", "skipped"),
    ];
    expected.extend(checks.iter().map(|c| (*c, "success")));
    assert_outcomes(&results, &run, &expected);

    // Any one prerequisite failing (a check, a test, the build, or a tag that does not
    // match the version) skips both publish jobs and the draft.
    for failing in publish_prerequisites() {
        let run = Run {
            what: "tag push with a failing job",
            failing: vec![failing],
            ..Run::tag_push()
        };
        let results = simulate(&release, &run);
        assert_outcomes(
            &results,
            &run,
            &[
                (failing, "failure"),
                ("publish-testpypi", "skipped"),
                ("publish-pypi", "skipped"),
                ("draft-release", "skipped"),
            ],
        );
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
            ("publish-testpypi", "skipped"),
            ("publish-pypi", "skipped"),
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
        "check-version must run `cargo xtask check-version --tag <ref>`"
    );
}

#[test]
fn publish_jobs_check_their_index_then_publish_with_trusted_publishing() {
    let release = workflow("release.yml");
    for (job, environment, index, repository_url) in [
        (
            "publish-testpypi",
            "testpypi",
            "https://test.pypi.org/simple/",
            Some("https://test.pypi.org/legacy/"),
        ),
        ("publish-pypi", "pypi", "https://pypi.org/simple/", None),
    ] {
        let y = release.job(job);
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
        let check_at = steps
            .iter()
            .position(|s| {
                scalar(&s["run"]).is_some_and(|r| {
                    xtask_lines_in_script(&r).iter().any(|args| {
                        args[0] == "check-published"
                            && args.windows(2).any(|w| w == ["--index", index])
                    })
                })
            })
            .unwrap_or_else(|| panic!("{job} does not run `check-published --index {index}`"));
        let (download_at, download) = step_using(steps, "actions/download-artifact")
            .unwrap_or_else(|| panic!("{job} does not download the dist artifact"));
        assert_eq!(scalar(&download["with"]["name"]).as_deref(), Some("dist"));
        let (publish_at, publish) = step_using(steps, "pypa/gh-action-pypi-publish")
            .unwrap_or_else(|| panic!("{job} does not use the PyPA publish action"));
        assert!(
            check_at < publish_at && download_at < publish_at,
            "{job}: check the index and download before publishing"
        );
        assert_eq!(
            scalar(&publish["with"]["repository-url"]).as_deref(),
            repository_url,
            "{job}: repository-url"
        );
        assert_eq!(
            scalar(&publish["with"]["attestations"]).as_deref(),
            Some("true"),
            "{job}: attestations on"
        );
    }
}

#[test]
fn draft_release_attests_the_installer_and_drafts_a_prerelease_with_notes() {
    let release = workflow("release.yml");
    let job = release.job("draft-release");
    let steps = job["steps"].as_vec().expect("steps");
    let lines = xtask_lines(&release);
    assert!(
        lines
            .iter()
            .any(|l| l.job == "draft-release" && l.args[0] == "release-notes"),
        "draft-release writes the notes with `cargo xtask release-notes`"
    );
    let (attest_at, attest) = step_using(steps, "actions/attest-build-provenance")
        .expect("a provenance attestation of the installer");
    assert!(
        scalar(&attest["with"]["subject-path"]).is_some_and(|p| p.contains("INSTALLER_FILENAME"))
    );
    let (draft_at, draft) =
        step_using(steps, "softprops/action-gh-release").expect("the release draft");
    assert!(attest_at < draft_at);
    let with = &draft["with"];
    assert_eq!(scalar(&with["draft"]).as_deref(), Some("true"));
    assert_eq!(
        scalar(&with["prerelease"]).as_deref(),
        Some("${{ needs.check-version.outputs.IS_PRERELEASE == 'true' }}")
    );
    let files = scalar(&with["files"]).unwrap_or_default();
    assert!(files.contains("INSTALLER_FILENAME") && files.contains("SHA256SUMS"));
    assert!(scalar(&with["body_path"]).is_some_and(|p| p.contains("release-notes.md")));
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
    for key in ["INSTALLER_FILENAME", "INSTALLER_PATH", "DIST_PATH"] {
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
    assert!(
        scalar(&build_step["run"])
            .is_some_and(|r| r.contains("cargo xtask build-installer --skip-frontend-checks"))
    );
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
// `cargo xtask` lines

/// One `cargo xtask ...` command line found in a step's `run:` script.
#[derive(Debug)]
struct XtaskLine {
    file: String,
    job: String,
    step: String,
    args: Vec<String>,
}

impl std::fmt::Display for XtaskLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {} / {}: cargo xtask {}",
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
            for args in xtask_lines_in_script(&script) {
                lines.push(XtaskLine {
                    file: doc.name.clone(),
                    job: job.clone(),
                    step: name.clone(),
                    args,
                });
            }
        }
    }
    lines
}

/// The arguments of every `cargo xtask` command in a shell script: continuation lines
/// joined, comments dropped, each command ending at the first shell operator.
fn xtask_lines_in_script(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let tokens = shell_tokens(line);
        let mut i = 0;
        while i + 1 < tokens.len() {
            if tokens[i] == Token::Word("cargo".into())
                && tokens[i + 1] == Token::Word("xtask".into())
            {
                let args: Vec<String> = tokens[i + 2..]
                    .iter()
                    .map_while(|t| match t {
                        Token::Word(w) => Some(w.clone()),
                        Token::Op => None,
                    })
                    .collect();
                i += 2 + args.len();
                found.push(args);
            } else {
                i += 1;
            }
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
    let (count, problems) = parse_problems(&workflows_and_actions());
    assert!(count >= 12, "only {count} `cargo xtask` lines found");
    assert!(
        problems.is_empty(),
        "{} of {count} `cargo xtask` lines in the workflows do not parse:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_xtask_line_check_reports_unknown_commands_flags_and_values() {
    let doc = fixture("xtask-lines.yml");
    let lines: Vec<Vec<String>> = xtask_lines(&doc).into_iter().map(|l| l.args).collect();
    assert_eq!(
        lines,
        [
            vec!["test", "--rust", "--python"],
            vec!["frobnicate", "--now"],
            vec!["test", "--rust", "--no-such-flag"],
            vec!["frontend", "typegen", "--mode", "sideways"],
        ],
        "the lines found in the fixture (comments and redirections left out)"
    );
    let (count, problems) = parse_problems(std::slice::from_ref(&doc));
    assert_eq!(count, 4);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for (problem, culprit) in problems
        .iter()
        .zip(["frobnicate", "--no-such-flag", "sideways"])
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
            vec![("contents", "read"), ("id-token", "write")],
        ),
        (
            ("release.yml", "publish-pypi"),
            vec![("contents", "read"), ("id-token", "write")],
        ),
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
fn permissions_are_read_only_unless_a_release_job_needs_more() {
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
        assert_eq!(
            top,
            [("contents".to_owned(), "read".to_owned())],
            "{file}: top-level permissions must be exactly `contents: read`"
        );
        for (job, y) in doc.jobs() {
            let Some(perms) = y["permissions"].as_hash() else {
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
