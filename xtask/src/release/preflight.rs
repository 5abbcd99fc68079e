//! `cargo xtask preflight`: everything a maintainer wants to know before
//! `tag-release`, changing nothing.
//!
//! It reads the version and the tag it gives, what the repository and the
//! remote say about that tag, whether the working tree is clean, and whether
//! TestPyPI and PyPI already have the version (check-published against both);
//! and, where the GitHub CLI is installed and logged in, whether the
//! `testpypi` and `pypi` environments exist with required reviewers; then it
//! lists the artifact names the build will produce and the steps the
//! release workflow will take. Each blocker comes with its way out; the exit
//! code is 0 only when a release could go ahead.
//!
//! Side effects: none. git is only asked (`status` without optional locks,
//! `rev-parse`, `ls-remote`), the indexes only get one GET each, GitHub only
//! reads (`gh api`, GETs).

use std::process::ExitCode;

use anyhow::Result;
use xshell::Shell;

use crate::flags;
use crate::paths::Layout;
use crate::release::check_published::{self, Outcome, Question};
use crate::release::environments::{self, Found};
use crate::release::git::{Git, RemoteTag};
use crate::release::identity;
use crate::release::index;
use crate::release::tag_release::{self, Blocker, BlockerKind, Decision, Observed, Options};
use crate::release::version::{self, AppVersion};

impl flags::Preflight {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let (app, project) = match (version::read(&layout), identity::project_name(&layout)) {
            (Ok(app), Ok(project)) => (app, project),
            (app, project) => {
                let blockers: Vec<Blocker> = [app.err(), project.err()]
                    .into_iter()
                    .flatten()
                    .map(|err| Blocker {
                        kind: BlockerKind::Project,
                        cause: format!("{err:#}"),
                        way_out: "fix the file named above; nothing else can be checked before"
                            .to_owned(),
                    })
                    .collect();
                print!("{}", verdict(&blockers, "the release"));
                return Ok(ExitCode::FAILURE);
            }
        };
        let git = Git::new(sh, &layout.root);
        let observed = tag_release::observe(
            &git,
            &app,
            &self.remote,
            std::time::Duration::from_secs(self.timeout),
        )?;
        let question = Question::new(
            project.clone(),
            app.version.clone(),
            format!("from {}", app.location()),
        );
        let indexes = [
            (
                "TestPyPI",
                self.testpypi.as_deref().unwrap_or(index::TESTPYPI),
            ),
            ("PyPI", self.pypi.as_deref().unwrap_or(index::PYPI)),
        ];
        let checked: Vec<IndexCheck> = indexes
            .into_iter()
            .map(|(label, url)| {
                let url = index::resolve_index(url);
                eprintln!("preflight: asking {label} ({})", index::shown(&url));
                let outcome = check_published::check(&url, &question, self.timeout);
                let url = index::shown(&url);
                IndexCheck {
                    label,
                    url,
                    outcome,
                }
            })
            .collect();
        eprintln!("preflight: asking GitHub about the testpypi and pypi environments (gh api)");
        let envs = environments::ask(
            "gh".as_ref(),
            observed.remote.url.as_deref(),
            std::env::var("GH_REPO").ok().as_deref(),
            std::time::Duration::from_secs(self.timeout),
        );
        let mut blockers = assess(&observed, &app, &question, &checked);
        blockers.extend(environment_blockers(&envs));
        print!(
            "{}",
            report(&project, &app, &observed, &question, &checked, &envs)
        );
        print!(
            "{}",
            verdict(
                &blockers,
                &format!("a release of {project} {}", app.normalized())
            )
        );
        Ok(if blockers.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// One index and its answer.
#[derive(Debug, Clone)]
pub struct IndexCheck {
    pub label: &'static str,
    pub url: String,
    pub outcome: Outcome,
}

/// Everything that stops a release now. Pure.
pub fn assess(
    observed: &Observed,
    app: &AppVersion,
    question: &Question,
    indexes: &[IndexCheck],
) -> Vec<Blocker> {
    let push = Options {
        push: true,
        force: false,
    };
    let mut blockers = match tag_release::decide(observed, push) {
        Decision::Refuse(blockers) => blockers,
        Decision::Go(plan) if plan.steps.is_empty() => vec![Blocker {
            kind: BlockerKind::AlreadyReleased,
            cause: format!(
                "the tag {} is already on {} at HEAD: its release workflow has started already",
                observed.tag, observed.remote.name
            ),
            way_out: format!(
                "follow that workflow run; for another release, bump __version__ in {}",
                app.file
            ),
        }],
        Decision::Go(_) => Vec::new(),
    };
    for check in indexes {
        match &check.outcome {
            Outcome::Free(_) => {}
            Outcome::Published(hits) => blockers.push(Blocker {
                kind: BlockerKind::Published,
                cause: format!(
                    "{} {} is already on {} ({})",
                    question.project,
                    question.version,
                    check.label,
                    hits.iter()
                        .map(|h| h.filename.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                way_out: format!(
                    "an index accepts a version only once: bump __version__ in {}",
                    app.file
                ),
            }),
            Outcome::Unknown(err) => blockers.push(Blocker {
                kind: BlockerKind::IndexUnknown,
                cause: format!(
                    "cannot tell whether {} is free on {}: {}",
                    question.version,
                    check.label,
                    err.cause()
                ),
                way_out: format!(
                    "{}; or point preflight at a reachable index with --{} URL",
                    err.way_out(),
                    check.label.to_ascii_lowercase()
                ),
            }),
        }
    }
    blockers
}

/// The environments that block a release. Pure.
pub fn environment_blockers(found: &Found) -> Vec<Blocker> {
    environments::assess(found)
        .1
        .into_iter()
        .map(|(cause, way_out)| Blocker {
            kind: BlockerKind::Environment,
            cause,
            way_out,
        })
        .collect()
}

/// The state, the artifacts and the workflow's steps. Pure.
pub fn report(
    project: &str,
    app: &AppVersion,
    observed: &Observed,
    question: &Question,
    indexes: &[IndexCheck],
    envs: &Found,
) -> String {
    let Observed {
        tag, head, remote, ..
    } = observed;
    let kind = if version::is_prerelease(&app.version) {
        "a pre-release"
    } else {
        "a final release"
    };
    let mut text = format!(
        "preflight: {project} {} ({})\n",
        app.normalized(),
        app.location()
    );
    text.push_str(&format!(
        "  version     {}, {kind}; tag {tag}\n",
        app.normalized()
    ));
    text.push_str(&format!("  HEAD        {}\n", head.describe()));
    text.push_str(&format!(
        "  tree        {}\n",
        crate::release::tag_release::tree_state(&observed.dirty)
    ));
    text.push_str(&format!(
        "  local tag   {}\n",
        match &observed.local_tag {
            None => format!("{tag} does not exist yet"),
            Some(c) if c.sha == head.sha => format!("{tag} exists at HEAD"),
            Some(c) => format!("{tag} exists at {}", c.describe()),
        }
    ));
    text.push_str(&format!(
        "  remote tag  {} ({}): {}\n",
        remote.name,
        remote.shown_urls(),
        match &remote.tag {
            RemoteTag::Absent => format!("no {tag}"),
            RemoteTag::At(sha) if *sha == head.sha => format!("{tag} at HEAD"),
            RemoteTag::At(sha) => format!("{tag} at {}", &sha[..sha.len().min(10)]),
            RemoteTag::Unknown(why) => format!("cannot tell: {why}"),
        }
    ));
    for check in indexes {
        let state = match &check.outcome {
            Outcome::Free(_) => "free".to_owned(),
            Outcome::Published(hits) => format!(
                "already published: {}",
                hits.iter()
                    .map(|h| h.filename.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Outcome::Unknown(err) => format!("cannot tell: {}", err.cause()),
        };
        text.push_str(&format!("  {:<11} {state} ({})\n", check.label, check.url));
    }
    let (env_lines, _) = environments::assess(envs);
    for (i, line) in env_lines.iter().enumerate() {
        let label = if i == 0 { "environment" } else { "" };
        text.push_str(&format!("  {label:<11} {line}\n"));
    }
    text.push_str("artifacts the build will produce:\n");
    let id = identity::Identity::new(project, app.version.clone());
    for name in question
        .artifacts
        .iter()
        .cloned()
        .chain([id.installer(), id.sbom()])
    {
        text.push_str(&format!("  {name}\n"));
    }
    let steps = [
        format!(
            "`cargo xtask tag-release --push` creates the annotated tag {tag} at HEAD and pushes it to {}",
            remote.name
        ),
        format!(
            "the tag push starts the release workflow; `cargo xtask check-version` compares {tag} with the version file"
        ),
        "the xtask is built once per OS (locked, release profile, no caches) and handed to every later job by its artifact id, which download-artifact checks against the upload's digest".to_owned(),
        "the code checks and the tests (Python, front end, xtask), verify-reproducible and release-notes run concurrently".to_owned(),
        "build: the sdist, the wheel and the installer zip, the UI's SBOM, with SHA256SUMS and manifest.json; then verify, and smoke-test of the zip on Linux, macOS and Windows".to_owned(),
        "TestPyPI (optional: its failure never stops PyPI): `check-published --index testpypi --dist` in an unprivileged job, then the upload (files already there are skipped) once a maintainer approves the `testpypi` environment; the upload job runs nothing of ours".to_owned(),
        "PyPI: `check-published --dist` in an unprivileged job (a version whose files there are all ours, byte for byte, counts as done), then the upload once a maintainer approves the `pypi` environment; the upload job runs nothing of ours".to_owned(),
        format!(
            "only after PyPI accepted it: a draft GitHub release for {tag} (marked a pre-release when the version is one) with every artifact (sdist, wheel, zip, SBOM, SHA256SUMS, manifest.json), each attested, and the notes of `cargo xtask release-notes`"
        ),
    ];
    text.push_str("then:\n");
    for (i, step) in steps.iter().enumerate() {
        text.push_str(&format!("  {}. {step}\n", i + 1));
    }
    text
}

/// The last lines: ready, or every blocker with its way out.
pub fn verdict(blockers: &[Blocker], what: &str) -> String {
    if blockers.is_empty() {
        return format!("ready: nothing blocks {what}\n");
    }
    let mut text = format!(
        "blocked: {} {} {what}:\n",
        blockers.len(),
        if blockers.len() == 1 {
            "thing blocks"
        } else {
            "things block"
        }
    );
    for (i, b) in blockers.iter().enumerate() {
        text.push_str(&format!(
            "  {}. {}; way out: {}\n",
            i + 1,
            b.cause,
            b.way_out
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::git::{Commit, Remote};
    use crate::release::index::{Format, Hit, IndexError, Listing};

    fn app() -> AppVersion {
        version::from_text("__version__ = \"1.0rc1\"\n", "ver.py".into()).unwrap()
    }

    fn observed() -> Observed {
        Observed {
            tag: "v1.0rc1".into(),
            version: version::parse("1.0rc1").unwrap(),
            tag_name_ok: true,
            local_annotated: true,
            same_version: vec![],
            head: Commit {
                sha: "head".into(),
                subject: "s".into(),
            },
            dirty: vec![],
            local_tag: None,
            remote: Remote {
                name: "origin".into(),
                url: Some("u".into()),
                urls: vec!["u".into()],
                tag: RemoteTag::Absent,
                tags: vec![],
            },
            version_file: "ver.py".into(),
        }
    }

    fn free(label: &'static str) -> IndexCheck {
        IndexCheck {
            label,
            url: "http://i/simple/".into(),
            outcome: Outcome::Free(Listing::Files {
                format: Format::Html,
                files: vec![],
                versions: vec![],
            }),
        }
    }

    fn question() -> Question {
        Question::new("InvokeAI".into(), app().version, "t".into())
    }

    fn kinds(blockers: &[Blocker]) -> Vec<BlockerKind> {
        blockers.iter().map(|b| b.kind).collect()
    }

    #[test]
    fn a_ready_repository_has_no_blockers() {
        let b = assess(
            &observed(),
            &app(),
            &question(),
            &[free("TestPyPI"), free("PyPI")],
        );
        assert_eq!(b, []);
        assert_eq!(verdict(&b, "it"), "ready: nothing blocks it\n");
    }

    #[test]
    fn every_blocker_is_listed_with_its_way_out() {
        let mut o = observed();
        o.dirty = vec!["?? x".into()];
        o.local_tag = Some(Commit {
            sha: "old".into(),
            subject: "old".into(),
        });
        let published = IndexCheck {
            outcome: Outcome::Published(vec![Hit {
                filename: "InvokeAI-1.0rc1.tar.gz".into(),
                why: "version 1.0rc1".into(),
            }]),
            ..free("TestPyPI")
        };
        let unknown = IndexCheck {
            outcome: Outcome::Unknown(IndexError::Network {
                url: "https://pypi.org/simple/invokeai/".into(),
                why: "dns".into(),
            }),
            ..free("PyPI")
        };
        let b = assess(&o, &app(), &question(), &[published, unknown]);
        assert_eq!(
            kinds(&b),
            [
                BlockerKind::DirtyTree,
                BlockerKind::LocalTagElsewhere,
                BlockerKind::Published,
                BlockerKind::IndexUnknown
            ]
        );
        let text = verdict(&b, "it");
        assert!(text.starts_with("blocked: 4 things block it:\n"), "{text}");
        assert_eq!(text.matches("; way out: ").count(), 4, "{text}");
        assert!(text.contains("--pypi URL"), "{text}");
    }

    #[test]
    fn a_tag_already_pushed_at_head_means_the_release_is_under_way() {
        let mut o = observed();
        o.remote.tag = RemoteTag::At("head".into());
        let b = assess(&o, &app(), &question(), &[]);
        assert_eq!(kinds(&b), [BlockerKind::AlreadyReleased]);
    }

    #[test]
    fn environments_without_reviewers_block_and_not_knowing_does_not() {
        let env = |name: &str, reviewers| environments::Environment {
            name: name.into(),
            reviewers,
            protected_branches_only: false,
            custom_rules: true,
        };
        let found = Found::Known {
            repo: "o/r".into(),
            envs: vec![
                ("testpypi", Some(env("testpypi", 0)), vec!["v*".into()]),
                ("pypi", None, vec![]),
            ],
        };
        let b = environment_blockers(&found);
        assert_eq!(
            kinds(&b),
            [BlockerKind::Environment, BlockerKind::Environment]
        );
        assert!(
            b[0].cause.contains("testpypi")
                && b[1].cause.contains("pypi environment does not exist")
        );
        assert!(environment_blockers(&Found::Unknown("no gh".into())).is_empty());
        let text = report("InvokeAI", &app(), &observed(), &question(), &[], &found);
        assert!(
            text.contains("  environment testpypi: 0 required reviewers; deploys from tags v*\n              pypi: missing in o/r\n"),
            "{text}"
        );
    }

    #[test]
    fn the_report_lists_artifacts_and_steps() {
        let text = report(
            "InvokeAI",
            &app(),
            &observed(),
            &question(),
            &[free("PyPI")],
            &Found::Unknown("the GitHub CLI (gh) is not installed".into()),
        );
        for line in [
            "  version     1.0rc1, a pre-release; tag v1.0rc1\n",
            "  invokeai-1.0rc1-py3-none-any.whl\n",
            "  invokeai-1.0rc1.tar.gz\n",
            "  InvokeAI-installer-v1.0rc1.zip\n",
            "  invokeai-1.0rc1-ui.cdx.json\n",
            "  PyPI        free (http://i/simple/)\n",
            "  environment cannot tell: the GitHub CLI (gh) is not installed\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert!(text.contains("8. only after PyPI accepted it: a draft GitHub release"));
    }
}
