//! `cargo xtask tag-release [--push] [--remote NAME] [--yes] [--dry-run] [--force]`:
//! the annotated release tag `v<version>` on HEAD.
//!
//! First everything is observed (HEAD, the working tree, the tag locally and
//! on the remote), then a pure `decide` turns that into either refusals, each
//! with its way out, or a plan of at most three steps (create or move the
//! local tag, push that one tag). The plan is shown and confirmed (`--yes`, or
//! a `y` typed on a terminal) before it runs. Nothing here deletes a remote
//! tag or force-pushes: when a remote tag would have to be replaced, the exact
//! command a maintainer would run is printed instead.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use xshell::Shell;

use crate::flags;
use crate::paths::Layout;
use crate::release::git::{Commit, Git, Remote, RemoteTag, TagRef};
use crate::release::version::{self, AppVersion, Version};

impl flags::TagRelease {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let app = version::read(&layout)?;
        let project = crate::release::identity::project_name(&layout)?;
        let git = Git::new(sh, &layout.root);
        let limit = Duration::from_secs(self.timeout);
        let observed = observe(&git, &app, &self.remote, limit)?;
        let options = Options {
            push: self.push,
            force: self.force,
        };
        print!("{}", describe_state(&project, &app, &observed));
        let plan = match decide(&observed, options) {
            Decision::Refuse(blockers) => {
                print!("{}", describe_blockers(&blockers));
                return Ok(ExitCode::FAILURE);
            }
            Decision::Go(plan) => plan,
        };
        print!("{}", describe_plan(&observed, &plan));
        if plan.steps.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        if self.dry_run {
            println!("dry run: nothing was changed");
            return Ok(ExitCode::SUCCESS);
        }
        if !self.yes {
            match confirm(&observed, &plan)? {
                Confirmation::Yes => {}
                Confirmation::No => {
                    println!("not confirmed: nothing was changed");
                    return Ok(ExitCode::FAILURE);
                }
                Confirmation::NoTerminal => {
                    println!(
                        "refused: stdin is not a terminal, so there is nobody to confirm the plan; nothing was changed; way out: re-run with --yes to go ahead without asking"
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        execute(&git, &project, &app, &observed, &plan, limit)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Everything tag-release looks at before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// `v<version>`.
    pub tag: String,
    pub version: Version,
    /// Whether git accepts the tag as a ref name.
    pub tag_name_ok: bool,
    pub head: Commit,
    /// `git status --porcelain` lines.
    pub dirty: Vec<String>,
    /// The commit the local tag points at, if it exists.
    pub local_tag: Option<Commit>,
    /// Whether the local tag is annotated (meaningful when it exists).
    pub local_annotated: bool,
    pub remote: Remote,
    /// Other tags, local or on the remote, that name the same version by
    /// PEP 440 (`v1.0.0` for 1.0, `V1.0`, `v6.15.0-rc1` for 6.15.0rc1).
    pub same_version: Vec<SameVersion>,
    /// Where the version came from, for the ways out.
    pub version_file: String,
}

/// A tag under another name for the same version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameVersion {
    pub name: String,
    pub commit: String,
    /// `locally` or `on origin`.
    pub place: String,
}

/// Read the repository's state (no changes); the remote is given `limit`.
pub fn observe(git: &Git, app: &AppVersion, remote: &str, limit: Duration) -> Result<Observed> {
    let tag = version::tag_name(&app.version);
    let local_tags = git.local_tags()?;
    let remote = git.remote(remote, &tag, limit);
    let local = local_tags.iter().find(|t| t.name == tag);
    let local_tag = match local {
        Some(found) => Some(git.commit(&found.commit)?),
        None => None,
    };
    let mut same_version = same_version(&local_tags, &tag, &app.version, "locally");
    same_version.extend(same_version_of(&remote, &tag, &app.version));
    Ok(Observed {
        tag_name_ok: git.valid_tag_name(&tag),
        version: app.version.clone(),
        head: git.head()?,
        dirty: git.dirty()?,
        local_annotated: local.is_some_and(|t| t.annotated),
        local_tag,
        remote,
        same_version,
        version_file: app.file.to_string(),
        tag,
    })
}

fn same_version_of(remote: &Remote, tag: &str, version: &Version) -> Vec<SameVersion> {
    same_version(&remote.tags, tag, version, &format!("on {}", remote.name))
}

/// The tags other than `tag` whose name is `version` by PEP 440. Pure.
pub fn same_version(
    tags: &[TagRef],
    tag: &str,
    version: &Version,
    place: &str,
) -> Vec<SameVersion> {
    tags.iter()
        .filter(|t| t.name != tag)
        .filter(|t| version::parse(&t.name).is_ok_and(|v| &v == version))
        .map(|t| SameVersion {
            name: t.name.clone(),
            commit: t.commit.clone(),
            place: place.to_owned(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub push: bool,
    pub force: bool,
}

/// One change to the repository or the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the annotated tag at HEAD.
    Create,
    /// Move the local tag from this commit to HEAD (`--force`).
    Move { from: Commit },
    /// `git push <remote> refs/tags/<tag>`.
    Push,
}

/// What stops a release, with its way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub kind: BlockerKind,
    pub cause: String,
    pub way_out: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockerKind {
    /// The version cannot be released under its tag (a local segment, a
    /// name git refuses).
    Unreleasable,
    /// Another tag names the same version.
    SameVersionTag,
    /// The local tag is lightweight; releases use annotated tags.
    Lightweight,
    DirtyTree,
    LocalTagElsewhere,
    RemoteTagElsewhere,
    RemoteUnknown,
    /// Used by preflight: the tag is already on the remote at HEAD.
    AlreadyReleased,
    /// Used by preflight: the version is on a package index.
    Published,
    /// Used by preflight: a package index could not be asked.
    IndexUnknown,
    /// Used by preflight: the version file or pyproject.toml is unusable.
    Project,
    /// Used by preflight: a publish environment is missing or has no
    /// required reviewers.
    Environment,
}

/// The plan: steps in order, and what is worth saying about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Refuse(Vec<Blocker>),
    /// Go ahead; no steps means there is nothing to do.
    Go(Plan),
}

/// From what was observed to what to do. Pure.
pub fn decide(observed: &Observed, options: Options) -> Decision {
    let Observed {
        tag, head, remote, ..
    } = observed;
    let remote_name = &remote.name;
    let mut blockers = Vec::new();
    let mut plan = Plan::default();

    if let Some(local) = version_local_segment(&observed.version) {
        blockers.push(Blocker {
            kind: BlockerKind::Unreleasable,
            cause: format!(
                "the version {} has a local segment (+{local}); package indexes refuse local versions (PEP 440)",
                observed.version
            ),
            way_out: format!(
                "remove `+{local}` from __version__ in {}",
                observed.version_file
            ),
        });
    } else if !observed.tag_name_ok {
        blockers.push(Blocker {
            kind: BlockerKind::Unreleasable,
            cause: format!("git does not accept {tag} as a tag name"),
            way_out: format!("choose another version in {}", observed.version_file),
        });
    }
    for other in &observed.same_version {
        blockers.push(Blocker {
            kind: BlockerKind::SameVersionTag,
            cause: format!(
                "the tag {} ({} at {}) is the same version as {tag} by PEP 440: this version was tagged already",
                other.name,
                other.place,
                short(&other.commit)
            ),
            way_out: format!(
                "bump __version__ in {} and release the new version; if {} was a mistake that was never pushed or published, delete it yourself (git tag -d {})",
                observed.version_file, other.name, other.name
            ),
        });
    }
    if !observed.dirty.is_empty() {
        blockers.push(dirty_blocker(&observed.dirty));
    }

    let remote_at_head = matches!(&remote.tag, RemoteTag::At(sha) if *sha == head.sha);
    let lightweight = observed.local_tag.is_some() && !observed.local_annotated;
    match &observed.local_tag {
        Some(local) if lightweight && local.sha == head.sha && remote_at_head => {
            plan.notes.push(format!(
                "warning: {tag} is a lightweight tag, and {remote_name} has it already; it stays as it is"
            ));
        }
        Some(local) if lightweight && local.sha == head.sha && options.force => {
            plan.steps.push(Step::Move {
                from: local.clone(),
            });
        }
        Some(local) if lightweight && local.sha == head.sha => blockers.push(Blocker {
            kind: BlockerKind::Lightweight,
            cause: format!(
                "the local tag {tag} at {} is a lightweight tag; releases use annotated tags (with a tagger, a date and a message)",
                local.describe()
            ),
            way_out: format!(
                "re-run with --force to replace it by an annotated tag at HEAD, or delete it (git tag -d {tag}) and re-run"
            ),
        }),
        None if remote_at_head => plan.notes.push(format!(
            "{remote_name} already has {tag} at HEAD; nothing to do here (to have it locally too: git fetch {remote_name} tag {tag})"
        )),
        None => plan.steps.push(Step::Create),
        Some(local) if local.sha == head.sha => {
            plan.notes.push(format!("the local tag {tag} already points at HEAD"));
        }
        Some(local) if options.force => plan.steps.push(Step::Move {
            from: local.clone(),
        }),
        Some(local) => blockers.push(Blocker {
            kind: BlockerKind::LocalTagElsewhere,
            cause: format!(
                "the tag {tag} already exists locally at {}, not at HEAD {}",
                local.describe(),
                head.describe()
            ),
            way_out: format!(
                "bump __version__ in {} for a new release; or, if {tag} was never pushed or published, re-run with --force to move the local tag to HEAD",
                observed.version_file
            ),
        }),
    }

    let replace_cmd = format!("git push --force {remote_name} refs/tags/{tag}");
    match &remote.tag {
        RemoteTag::Absent if options.push => plan.steps.push(Step::Push),
        RemoteTag::Absent => {}
        RemoteTag::At(_) if remote_at_head => {
            if observed.local_tag.is_some() {
                plan.notes
                    .push(format!("{remote_name} already has {tag} at HEAD"));
            }
        }
        RemoteTag::At(sha) if options.force && !options.push => plan.notes.push(format!(
            "{remote_name} still has {tag} at {}; this command never replaces a remote tag. Only if nothing was published from it, a maintainer may replace it with: {replace_cmd}",
            short(sha)
        )),
        RemoteTag::At(sha) => blockers.push(Blocker {
            kind: BlockerKind::RemoteTagElsewhere,
            cause: format!(
                "the tag {tag} already exists on {remote_name} at {}, not at HEAD {}{}",
                short(sha),
                head.describe(),
                if options.force {
                    "; --push cannot replace it: this command never rewrites a remote tag"
                } else {
                    ""
                }
            ),
            way_out: format!(
                "bump __version__ in {} and release that (a pushed tag may already have been built and published); only if nothing was published from it, move the local tag with --force (without --push) and have a maintainer run: {replace_cmd}",
                observed.version_file
            ),
        }),
        RemoteTag::Unknown(why) if options.push => blockers.push(Blocker {
            kind: BlockerKind::RemoteUnknown,
            cause: format!("cannot see the tags of the remote {remote_name}: {why}"),
            way_out: "check `git remote -v` and the network, or name another remote with --remote NAME (tag-release without --push only creates the tag locally)".to_owned(),
        }),
        RemoteTag::Unknown(why) => plan.notes.push(format!(
            "warning: the remote {remote_name} was not checked ({why}); the tag is only created locally"
        )),
    }

    if !blockers.is_empty() {
        return Decision::Refuse(blockers);
    }
    if !options.push && remote.tag == RemoteTag::Absent {
        plan.notes.push(format!(
            "{remote_name} does not have {tag} yet: re-run with --push to push it (or: git push {remote_name} refs/tags/{tag})"
        ));
    }
    Decision::Go(plan)
}

/// The local segment of a version (`a.lock` in `1.0+a.lock`), if any.
fn version_local_segment(version: &Version) -> Option<String> {
    let text = version.to_string();
    text.split_once('+').map(|(_, local)| local.to_owned())
}

/// The dirty-tree blocker (shared with preflight).
pub fn dirty_blocker(dirty: &[String]) -> Blocker {
    const SHOWN: usize = 5;
    let mut files: Vec<&str> = dirty.iter().take(SHOWN).map(|l| l.trim()).collect();
    if dirty.len() > SHOWN {
        files.push("...");
    }
    Blocker {
        kind: BlockerKind::DirtyTree,
        cause: format!(
            "the working tree has uncommitted changes ({} {}: {})",
            dirty.len(),
            if dirty.len() == 1 { "path" } else { "paths" },
            files.join(", ")
        ),
        way_out:
            "commit them, or set them aside with `git stash --include-untracked`, then run it again"
                .to_owned(),
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

/// The state, as tag-release shows it before anything else.
pub fn describe_state(project: &str, app: &AppVersion, observed: &Observed) -> String {
    let Observed {
        tag, head, remote, ..
    } = observed;
    let url = remote.shown_urls();
    let remote_state = match &remote.tag {
        RemoteTag::Absent => format!("no tag {tag}"),
        RemoteTag::At(sha) if *sha == head.sha => format!("{tag} at HEAD"),
        RemoteTag::At(sha) => format!("{tag} at {}", short(sha)),
        RemoteTag::Unknown(why) => format!("not reachable: {why}"),
    };
    let local_state = match &observed.local_tag {
        None => "not created yet".to_owned(),
        Some(c) if c.sha == head.sha => "exists at HEAD".to_owned(),
        Some(c) => format!("exists at {}", c.describe()),
    };
    let tree = tree_state(&observed.dirty);
    format!(
        "tag-release: {project} {} ({})\n  HEAD     {}\n  tree     {tree}\n  tag      {tag}: {local_state}\n  remote   {} ({url}): {remote_state}\n",
        app.normalized(),
        app.location(),
        head.describe(),
        remote.name,
    )
}

/// Refusals, one per line with the way out.
pub fn describe_blockers(blockers: &[Blocker]) -> String {
    let mut text = format!(
        "refused ({} {}); nothing was changed:\n",
        blockers.len(),
        if blockers.len() == 1 {
            "reason"
        } else {
            "reasons"
        }
    );
    for b in blockers {
        text.push_str(&format!("  - {}; way out: {}\n", b.cause, b.way_out));
    }
    text
}

fn describe_plan(observed: &Observed, plan: &Plan) -> String {
    let Observed {
        tag, head, remote, ..
    } = observed;
    let mut text = String::new();
    for note in &plan.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    if plan.steps.is_empty() {
        text.push_str("nothing to do\n");
        return text;
    }
    text.push_str("plan:\n");
    for (i, step) in plan.steps.iter().enumerate() {
        let line = match step {
            Step::Create => format!("create the annotated tag {tag} at HEAD {}", head.describe()),
            Step::Move { from } if from.sha == head.sha => format!(
                "replace the lightweight tag {tag} by an annotated tag at HEAD {}",
                head.describe()
            ),
            Step::Move { from } => format!(
                "move the local tag {tag} from {} to HEAD {}",
                from.describe(),
                head.describe()
            ),
            Step::Push => format!("push refs/tags/{tag} (only that tag) to {}", remote.name),
        };
        text.push_str(&format!("  {}. {line}\n", i + 1));
    }
    text
}

enum Confirmation {
    Yes,
    No,
    NoTerminal,
}

/// Ask on the terminal; never wait for input that is not a terminal.
fn confirm(observed: &Observed, plan: &Plan) -> Result<Confirmation> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(Confirmation::NoTerminal);
    }
    let pushing = plan.steps.contains(&Step::Push);
    eprint!(
        "Tag HEAD as {}{}? [y/N] ",
        observed.tag,
        if pushing {
            format!(" and push it to {}", observed.remote.name)
        } else {
            String::new()
        }
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer from the terminal")?;
    Ok(match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Confirmation::Yes,
        _ => Confirmation::No,
    })
}

fn execute(
    git: &Git,
    project: &str,
    app: &AppVersion,
    observed: &Observed,
    plan: &Plan,
    limit: Duration,
) -> Result<()> {
    let tag = observed.tag.as_str();
    let head = observed.head.sha.as_str();
    let message = format!("{project} {}", app.normalized());
    for step in &plan.steps {
        match step {
            Step::Create => {
                git.run_visible(&["tag", "--annotate", "--message", &message, tag, head])
                    .with_context(|| {
                        format!("cannot create the tag {tag}; is user.name and user.email set?")
                    })?;
                println!("created the tag {tag} at {}", observed.head.describe());
            }
            Step::Move { from } => {
                git.run_visible(&[
                    "tag",
                    "--annotate",
                    "--force",
                    "--message",
                    &message,
                    tag,
                    head,
                ])
                .with_context(|| format!("cannot move the local tag {tag}"))?;
                println!(
                    "moved the local tag {tag} from {} to {}",
                    from.describe(),
                    observed.head.describe()
                );
            }
            Step::Push => {
                let remote = observed.remote.name.as_str();
                git.push_one_tag(remote, tag, limit).with_context(|| {
                    format!("cannot push {tag} to {remote}; the tag exists locally, push it later with: git push --no-follow-tags {remote} refs/tags/{tag}:refs/tags/{tag}")
                })?;
                println!("pushed {tag} to {remote}");
            }
        }
    }
    Ok(())
}

/// The working tree in a few words: `clean` or `N uncommitted change(s)`.
pub fn tree_state(dirty: &[String]) -> String {
    match dirty.len() {
        0 => "clean".to_owned(),
        1 => "1 uncommitted change".to_owned(),
        n => format!("{n} uncommitted changes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str) -> Commit {
        Commit {
            sha: sha.into(),
            subject: format!("subject of {sha}"),
        }
    }

    fn clean() -> Observed {
        Observed {
            tag: "v1.0".into(),
            version: version::parse("1.0").unwrap(),
            tag_name_ok: true,
            local_annotated: true,
            same_version: vec![],
            head: commit("head"),
            dirty: vec![],
            local_tag: None,
            remote: Remote {
                name: "origin".into(),
                url: Some("../remote.git".into()),
                urls: vec!["../remote.git".into()],
                tag: RemoteTag::Absent,
                tags: vec![],
            },
            version_file: "ver.py".into(),
        }
    }

    const PUSH: Options = Options {
        push: true,
        force: false,
    };
    const LOCAL: Options = Options {
        push: false,
        force: false,
    };
    const FORCE: Options = Options {
        push: false,
        force: true,
    };

    fn steps(decision: Decision) -> Vec<Step> {
        match decision {
            Decision::Go(plan) => plan.steps,
            Decision::Refuse(b) => panic!("refused: {b:?}"),
        }
    }

    fn kinds(decision: Decision) -> Vec<BlockerKind> {
        match decision {
            Decision::Refuse(b) => b.into_iter().map(|b| b.kind).collect(),
            Decision::Go(plan) => panic!("went ahead: {plan:?}"),
        }
    }

    fn with_remote(tag: RemoteTag) -> Observed {
        let mut o = clean();
        o.remote.tag = tag;
        o
    }

    #[test]
    fn clean_tree_creates_and_pushes() {
        assert_eq!(steps(decide(&clean(), PUSH)), [Step::Create, Step::Push]);
        assert_eq!(steps(decide(&clean(), LOCAL)), [Step::Create]);
    }

    #[test]
    fn dirty_tree_is_refused_with_its_paths() {
        let mut o = clean();
        o.dirty = vec![" M a.py".into(), "?? b.txt".into()];
        let Decision::Refuse(blockers) = decide(&o, PUSH) else {
            panic!()
        };
        assert_eq!(blockers[0].kind, BlockerKind::DirtyTree);
        assert!(blockers[0].cause.contains("2 paths: M a.py, ?? b.txt"));
        assert!(blockers[0].way_out.contains("git stash"));
    }

    #[test]
    fn a_tag_at_head_is_a_no_op() {
        let mut o = clean();
        o.local_tag = Some(commit("head"));
        o.remote.tag = RemoteTag::At("head".into());
        assert_eq!(steps(decide(&o, PUSH)), []);
        assert_eq!(steps(decide(&o, LOCAL)), []);
        // Only on the remote: still nothing to do, and nothing to push.
        assert_eq!(
            steps(decide(&with_remote(RemoteTag::At("head".into())), PUSH)),
            []
        );
        // Only local: push it when asked.
        let mut local_only = clean();
        local_only.local_tag = Some(commit("head"));
        assert_eq!(steps(decide(&local_only, PUSH)), [Step::Push]);
        assert_eq!(steps(decide(&local_only, LOCAL)), []);
    }

    #[test]
    fn a_tag_elsewhere_is_refused_unless_forced_locally() {
        let mut o = clean();
        o.local_tag = Some(commit("old"));
        assert_eq!(kinds(decide(&o, PUSH)), [BlockerKind::LocalTagElsewhere]);
        assert_eq!(
            steps(decide(&o, FORCE)),
            [Step::Move {
                from: commit("old")
            }]
        );
        let forced_push = Options {
            push: true,
            force: true,
        };
        assert_eq!(
            steps(decide(&o, forced_push)),
            [
                Step::Move {
                    from: commit("old")
                },
                Step::Push
            ]
        );
    }

    #[test]
    fn a_remote_tag_elsewhere_is_never_replaced() {
        let o = with_remote(RemoteTag::At("old".into()));
        assert_eq!(kinds(decide(&o, PUSH)), [BlockerKind::RemoteTagElsewhere]);
        assert_eq!(kinds(decide(&o, LOCAL)), [BlockerKind::RemoteTagElsewhere]);
        let forced_push = Options {
            push: true,
            force: true,
        };
        let Decision::Refuse(b) = decide(&o, forced_push) else {
            panic!()
        };
        assert!(b[0].cause.contains("never rewrites a remote tag"));
        assert!(
            b[0].way_out
                .contains("git push --force origin refs/tags/v1.0")
        );
        // --force alone moves or creates the local tag and prints the command.
        let Decision::Go(plan) = decide(&o, FORCE) else {
            panic!()
        };
        assert_eq!(plan.steps, [Step::Create]);
        assert!(plan.notes[0].contains("git push --force origin refs/tags/v1.0"));
    }

    #[test]
    fn an_unreachable_remote_blocks_only_a_push() {
        let o = with_remote(RemoteTag::Unknown("no remote named `origin`".into()));
        assert_eq!(kinds(decide(&o, PUSH)), [BlockerKind::RemoteUnknown]);
        let Decision::Go(plan) = decide(&o, LOCAL) else {
            panic!()
        };
        assert_eq!(plan.steps, [Step::Create]);
        assert!(plan.notes[0].starts_with("warning: the remote origin was not checked"));
    }

    #[test]
    fn every_blocker_is_listed_at_once() {
        let mut o = with_remote(RemoteTag::At("old".into()));
        o.dirty = vec!["?? x".into()];
        o.local_tag = Some(commit("old"));
        assert_eq!(
            kinds(decide(&o, PUSH)),
            [
                BlockerKind::DirtyTree,
                BlockerKind::LocalTagElsewhere,
                BlockerKind::RemoteTagElsewhere
            ]
        );
    }

    #[test]
    fn a_tag_of_the_same_version_under_another_name_blocks() {
        let tags = [
            TagRef {
                name: "v1.0.0".into(),
                commit: "old".into(),
                annotated: true,
            },
            TagRef {
                name: "V1.0".into(),
                commit: "old".into(),
                annotated: false,
            },
            TagRef {
                name: "v1.0".into(),
                commit: "head".into(),
                annotated: true,
            },
            TagRef {
                name: "v1.0.1".into(),
                commit: "x".into(),
                annotated: true,
            },
            TagRef {
                name: "release-1.0".into(),
                commit: "x".into(),
                annotated: true,
            },
        ];
        let v = version::parse("1.0").unwrap();
        let found = same_version(&tags, "v1.0", &v, "on origin");
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["v1.0.0", "V1.0"]);
        let rc = version::parse("6.15.0rc1").unwrap();
        let rc_tags = [TagRef {
            name: "v6.15.0-rc1".into(),
            commit: "c".into(),
            annotated: true,
        }];
        assert_eq!(
            same_version(&rc_tags, "v6.15.0rc1", &rc, "locally").len(),
            1
        );

        let mut o = clean();
        o.same_version = found;
        let Decision::Refuse(blockers) = decide(&o, PUSH) else {
            panic!()
        };
        assert_eq!(blockers.len(), 2);
        assert!(
            blockers[0]
                .cause
                .contains("v1.0.0 (on origin at old) is the same version as v1.0")
        );
        assert_eq!(blockers[0].kind, BlockerKind::SameVersionTag);
    }

    #[test]
    fn a_lightweight_tag_is_refused_unless_forced() {
        let mut o = clean();
        o.local_tag = Some(commit("head"));
        o.local_annotated = false;
        assert_eq!(kinds(decide(&o, PUSH)), [BlockerKind::Lightweight]);
        assert_eq!(
            steps(decide(
                &o,
                Options {
                    push: true,
                    force: true
                }
            )),
            [
                Step::Move {
                    from: commit("head")
                },
                Step::Push
            ]
        );
        // Already on the remote at HEAD: nothing can be changed any more.
        o.remote.tag = RemoteTag::At("head".into());
        let Decision::Go(plan) = decide(&o, PUSH) else {
            panic!()
        };
        assert!(plan.steps.is_empty());
        assert!(plan.notes[0].contains("lightweight"), "{:?}", plan.notes);
    }

    #[test]
    fn a_local_version_segment_is_refused_up_front() {
        let mut o = clean();
        o.version = version::parse("1.0+a.lock").unwrap();
        o.tag = "v1.0+a.lock".into();
        o.tag_name_ok = false;
        let Decision::Refuse(blockers) = decide(&o, PUSH) else {
            panic!()
        };
        assert_eq!(blockers[0].kind, BlockerKind::Unreleasable);
        assert!(
            blockers[0].cause.contains("local segment (+a.lock)"),
            "{:?}",
            blockers[0]
        );
        assert!(blockers[0].way_out.contains("remove `+a.lock`"));
    }
}
