//! The few git questions the release commands ask, through the `git` CLI.
//!
//! Every call names the repository with `git -C ROOT`, so a command can work
//! on another checkout (`--repo DIR`). Queries are quiet and change nothing:
//! `status` runs with `--no-optional-locks` so it does not even refresh the
//! index file. The only writes are `tag` and `push` of one tag, done by
//! tag-release; nothing here deletes or force-pushes a remote ref.
//!
//! Talking to a remote is bounded in time (a remote that accepts the
//! connection and never answers is given up on, saying so), never prompts
//! for credentials, and its URL is shown with any credentials masked.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::util::process::{self, Bounded};
use crate::util::redact;

/// The most of `git ls-remote` output read: a million tags.
const LS_REMOTE_CAP: usize = 64 << 20;
/// The most of `git push --porcelain` output read (one line per ref).
const PUSH_CAP: usize = 1 << 20;

/// A commit, for showing to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub subject: String,
}

impl Commit {
    pub fn short(&self) -> &str {
        &self.sha[..self.sha.len().min(10)]
    }

    /// `0123456789 (subject)`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.short(), self.subject)
    }
}

/// What a remote says about one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteTag {
    /// The remote has no such tag.
    Absent,
    /// The tag is there and points at this commit.
    At(String),
    /// The remote could not be asked; the reason says why.
    Unknown(String),
}

/// A tag and the commit it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    /// Without `refs/tags/`.
    pub name: String,
    pub commit: String,
    /// An annotated tag (a tag object), not a lightweight one.
    pub annotated: bool,
}

/// A remote's name, the URL a push goes to (credentials masked) and what
/// that repository says about the release tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub name: String,
    /// The (first) URL `git push NAME` pushes to.
    pub url: Option<String>,
    /// Every push URL, for showing (usually just `url`).
    pub urls: Vec<String>,
    pub tag: RemoteTag,
    /// Every tag the remote lists (empty when it could not be asked).
    pub tags: Vec<TagRef>,
}

impl Remote {
    /// Its push URLs for a person, `no URL` when there is none.
    pub fn shown_urls(&self) -> String {
        if self.urls.is_empty() {
            "no URL".to_owned()
        } else {
            self.urls.join(", ")
        }
    }
}

/// git in one repository.
pub struct Git<'a> {
    sh: &'a Shell,
    root: Utf8PathBuf,
}

impl<'a> Git<'a> {
    pub fn new(sh: &'a Shell, root: &Utf8Path) -> Self {
        Self {
            sh,
            root: root.to_path_buf(),
        }
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<Commit> {
        self.commit("HEAD").with_context(|| {
            format!(
                "cannot read HEAD in {}; is it a git repository with at least one commit?",
                self.root
            )
        })
    }

    /// The commit a revision names (tags are peeled).
    pub fn commit(&self, rev: &str) -> Result<Commit> {
        let root = &self.root;
        let peeled = format!("{rev}^{{commit}}");
        let sha = cmd!(self.sh, "git -C {root} rev-parse --verify --quiet {peeled}")
            .quiet()
            .read()
            .with_context(|| format!("`{rev}` is not a commit in {root}"))?;
        let subject = self
            .read_lossy(&["log", "-1", "--format=%s", &sha])
            .with_context(|| format!("cannot read the subject of {sha} in {root}"))?;
        Ok(Commit {
            subject: redact::one_line(subject.trim_end()),
            sha,
        })
    }

    /// The changes `git status` lists (untracked files included), one line each.
    pub fn dirty(&self) -> Result<Vec<String>> {
        let root = &self.root;
        let out = cmd!(
            self.sh,
            "git --no-optional-locks -C {root} status --porcelain --untracked-files=normal"
        )
        .quiet()
        .read()
        .with_context(|| format!("cannot run `git status` in {root}"))?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// Every local tag with the commit it points at and its kind.
    pub fn local_tags(&self) -> Result<Vec<TagRef>> {
        let root = &self.root;
        let out = cmd!(
            self.sh,
            "git -C {root} for-each-ref --format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname) refs/tags/"
        )
        .quiet()
        .read()
        .with_context(|| format!("cannot list the tags of {root}"))?;
        Ok(parse_tag_refs(&out))
    }

    /// Whether git accepts `refs/tags/{tag}` as a ref name.
    pub fn valid_tag_name(&self, tag: &str) -> bool {
        let refname = format!("refs/tags/{tag}");
        cmd!(self.sh, "git check-ref-format {refname}")
            .quiet()
            .ignore_stderr()
            .run()
            .is_ok()
    }

    /// A git command talking to a remote: no prompts, at most `limit`.
    fn remote_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(self.root.as_str())
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            // Nor an askpass program for ssh.
            .env("SSH_ASKPASS_REQUIRE", "never");
        command
    }

    /// The URLs `git push NAME` pushes to (`remote.NAME.pushurl` when set,
    /// else its `url`; `pushInsteadOf` applied), unmasked; empty when there
    /// is no such remote.
    fn push_urls(&self, name: &str) -> Vec<String> {
        let root = &self.root;
        cmd!(self.sh, "git -C {root} remote get-url --push --all {name}")
            .quiet()
            .ignore_stderr()
            .read()
            .map(|out| out.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// What the remote `name` says about `tag`, asked where `git push name`
    /// pushes to: a `remote.NAME.pushurl` other than its `url` is the
    /// repository the tag lands in, so that is the one asked (every one, if
    /// there are several). Never fails: a remote that cannot be asked
    /// within `limit` is `RemoteTag::Unknown` with the reason.
    pub fn remote(&self, name: &str, tag: &str, limit: Duration) -> Remote {
        let root = &self.root;
        let urls = self.push_urls(name);
        let shown: Vec<String> = urls
            .iter()
            .map(|url| redact::secrets(url).into_owned())
            .collect();
        let mut remote = Remote {
            name: name.to_owned(),
            url: shown.first().cloned(),
            urls: shown.clone(),
            tag: RemoteTag::Absent,
            tags: Vec::new(),
        };
        if urls.is_empty() {
            remote.tag = RemoteTag::Unknown(format!("{root} has no remote named `{name}`"));
            return remote;
        }
        let mut answers = Vec::new();
        for (url, shown) in urls.iter().zip(&shown) {
            let (answer, tags) = self.ls_remote_tags(name, url, shown, tag, limit);
            for found in tags {
                if !remote.tags.contains(&found) {
                    remote.tags.push(found);
                }
            }
            answers.push((shown.as_str(), answer));
        }
        remote.tag = agree(name, tag, answers);
        remote
    }

    /// `git ls-remote --tags URL`: the release tag's state and every tag.
    fn ls_remote_tags(
        &self,
        name: &str,
        url: &str,
        shown: &str,
        tag: &str,
        limit: Duration,
    ) -> (RemoteTag, Vec<TagRef>) {
        let what = format!("`git ls-remote --tags {shown}`");
        eprintln!(
            "asking {name} for its tags ({what}, the URL it pushes to; at most {} s)",
            limit.as_secs()
        );
        let mut command = self.remote_command(&["ls-remote", "--tags", url]);
        let unknown = |why: String| (RemoteTag::Unknown(why), Vec::new());
        match process::run_bounded(&mut command, limit, LS_REMOTE_CAP) {
            Ok(Bounded::TooLong { cap }) => unknown(format!(
                "{what} listed more than {} MiB of refs; not read",
                cap >> 20
            )),
            Err(err) => unknown(format!("cannot run {what}: {err}")),
            Ok(Bounded::TimedOut { .. }) => unknown(format!(
                "{what} got no answer within {} s (--timeout)",
                limit.as_secs()
            )),
            Ok(Bounded::Exited(out)) if !out.status.success() => unknown(format!(
                "{what} failed ({}){}",
                process::describe(out.status),
                show_stderr(&out.stderr)
            )),
            Ok(Bounded::Exited(out)) => {
                let tags = parse_ls_remote_tags(&String::from_utf8_lossy(&out.stdout));
                let state = match tags.iter().find(|t| t.name == tag) {
                    Some(found) => RemoteTag::At(found.commit.clone()),
                    None => RemoteTag::Absent,
                };
                (state, tags)
            }
        }
    }

    /// Push exactly one tag, whatever the user's git configuration says
    /// (`push.followTags` would add every annotated tag reachable from it),
    /// within `limit`.
    pub fn push_one_tag(&self, remote: &str, tag: &str, limit: Duration) -> Result<()> {
        let refspec = format!("refs/tags/{tag}:refs/tags/{tag}");
        let args = ["push", "--no-follow-tags", "--porcelain", remote, &refspec];
        println!("$ git {}", args.join(" "));
        eprintln!("pushing {tag} to {remote} (at most {} s)", limit.as_secs());
        let mut command = self.remote_command(&args);
        match process::run_bounded(&mut command, limit, PUSH_CAP)
            .with_context(|| format!("cannot run `git push` in {}", self.root))?
        {
            Bounded::TooLong { cap } => bail!(
                "`git push {remote}` wrote more than {} KiB; it was stopped",
                cap >> 10
            ),
            Bounded::TimedOut { stderr } => bail!(
                "`git push {remote}` got no answer within {} s (--timeout){}",
                limit.as_secs(),
                show_stderr(&stderr)
            ),
            Bounded::Exited(out) if !out.status.success() => bail!(
                "`git push {remote}` failed ({}){}",
                process::describe(out.status),
                show_stderr(&out.stderr)
            ),
            Bounded::Exited(_) => Ok(()),
        }
    }

    /// Version-like tags reachable from HEAD: `(name, commit)`.
    pub fn tags_merged_into_head(&self) -> Result<Vec<(String, String)>> {
        let root = &self.root;
        let out = cmd!(
            self.sh,
            "git -C {root} for-each-ref --merged HEAD --format=%(refname:strip=2)%00%(objectname)%00%(*objectname) refs/tags/"
        )
        .quiet()
        .read()
        .with_context(|| format!("cannot list the tags of {root}"))?;
        Ok(parse_for_each_ref(&out))
    }

    /// Run a git command that changes the repository, showing it first.
    pub fn run_visible(&self, args: &[&str]) -> Result<()> {
        let root = &self.root;
        cmd!(self.sh, "git -C {root} {args...}")
            .env("GIT_TERMINAL_PROMPT", "0")
            .run()
            .with_context(|| format!("`git {}` failed in {root}", args.join(" ")))
    }

    /// Read the output of a query that may quote commits: bytes that are not
    /// UTF-8 (a commit in Latin-1 without an encoding header) become U+FFFD,
    /// as `git log` shows them on a UTF-8 terminal.
    pub fn read_lossy(&self, args: &[&str]) -> Result<String> {
        let root = &self.root;
        let out = cmd!(self.sh, "git -C {root} {args...}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run `git {}` in {root}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "`git {}` failed in {root} ({}){}",
                args.join(" "),
                process::describe(out.status),
                show_stderr(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Read the output of a query.
    pub fn read(&self, args: &[&str]) -> Result<String> {
        let root = &self.root;
        cmd!(self.sh, "git -C {root} {args...}")
            .quiet()
            .read()
            .with_context(|| format!("`git {}` failed in {root}", args.join(" ")))
    }
}

/// One answer from the answers of every push URL of a remote (usually
/// one): the first that could not be asked, or the common answer, or, when
/// they disagree, an unknown state that says so. Pure.
pub fn agree(name: &str, tag: &str, answers: Vec<(&str, RemoteTag)>) -> RemoteTag {
    if let Some((_, unknown)) = answers
        .iter()
        .find(|(_, state)| matches!(state, RemoteTag::Unknown(_)))
    {
        return unknown.clone();
    }
    let first = answers.first().map(|(_, state)| state.clone());
    if answers
        .iter()
        .all(|(_, state)| Some(state) == first.as_ref())
    {
        return first.unwrap_or(RemoteTag::Absent);
    }
    let each: Vec<String> = answers
        .iter()
        .map(|(url, state)| match state {
            RemoteTag::At(sha) => format!("{url} has it at {}", &sha[..sha.len().min(10)]),
            _ => format!("{url} does not have it"),
        })
        .collect();
    RemoteTag::Unknown(format!(
        "the push URLs of {name} disagree about {tag} ({}); make them agree first",
        each.join("; ")
    ))
}

/// `: what git said`, credentials masked, or nothing.
fn show_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = process::tail(text.trim(), 5);
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", redact::shown(&text))
    }
}

/// Every tag in `git ls-remote --tags` output, with the commit it points at:
/// the peeled `^{}` line of an annotated tag gives its commit.
pub fn parse_ls_remote_tags(out: &str) -> Vec<TagRef> {
    let mut tags: Vec<TagRef> = Vec::new();
    for line in out.lines() {
        let Some((sha, refname)) = line.split_once('\t') else {
            continue;
        };
        let Some(name) = refname.strip_prefix("refs/tags/") else {
            continue;
        };
        if let Some(name) = name.strip_suffix("^{}") {
            match tags.iter_mut().find(|t| t.name == name) {
                Some(tag) => {
                    tag.commit = sha.to_owned();
                    tag.annotated = true;
                }
                None => tags.push(TagRef {
                    name: name.to_owned(),
                    commit: sha.to_owned(),
                    annotated: true,
                }),
            }
        } else if !tags.iter().any(|t| t.name == name) {
            tags.push(TagRef {
                name: name.to_owned(),
                commit: sha.to_owned(),
                annotated: false,
            });
        }
    }
    tags
}

/// `name\0type\0object\0peeled` lines of for-each-ref into tags.
pub fn parse_tag_refs(out: &str) -> Vec<TagRef> {
    out.lines()
        .filter_map(|line| {
            let mut parts = line.split('\0');
            let name = parts.next()?;
            let kind = parts.next()?;
            let object = parts.next()?;
            let peeled = parts.next().unwrap_or("");
            let commit = if peeled.is_empty() { object } else { peeled };
            (!name.is_empty()).then(|| TagRef {
                name: name.to_owned(),
                commit: commit.to_owned(),
                annotated: kind == "tag",
            })
        })
        .collect()
}

/// `name\0object\0peeled` lines into `(name, commit)`.
pub fn parse_for_each_ref(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|line| {
            let mut parts = line.split('\0');
            let name = parts.next()?;
            let object = parts.next()?;
            let peeled = parts.next().unwrap_or("");
            let commit = if peeled.is_empty() { object } else { peeled };
            (!name.is_empty()).then(|| (name.to_owned(), commit.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, commit: &str, annotated: bool) -> TagRef {
        TagRef {
            name: name.into(),
            commit: commit.into(),
            annotated,
        }
    }

    #[test]
    fn ls_remote_gives_every_tag_with_its_peeled_commit() {
        let out = "aaa\trefs/tags/v1.0\nbbb\trefs/tags/v1.0^{}\nccc\trefs/tags/v1.0.1\nddd\trefs/heads/main\n";
        assert_eq!(
            parse_ls_remote_tags(out),
            [tag("v1.0", "bbb", true), tag("v1.0.1", "ccc", false)]
        );
        assert_eq!(parse_ls_remote_tags(""), []);
    }

    #[test]
    fn for_each_ref_knows_annotated_from_lightweight() {
        let out = "v1.0\0tag\0tagobj\0commit1\nv0.9\0commit\0commit0\0\n";
        assert_eq!(
            parse_tag_refs(out),
            [tag("v1.0", "commit1", true), tag("v0.9", "commit0", false)]
        );
    }

    #[test]
    fn for_each_ref_peels_annotated_tags() {
        let out = "v1.0\0tagobj\0commit1\nv0.9\0commit0\0\n\n";
        assert_eq!(
            parse_for_each_ref(out),
            [
                ("v1.0".to_owned(), "commit1".to_owned()),
                ("v0.9".to_owned(), "commit0".to_owned())
            ]
        );
    }

    #[test]
    fn several_push_urls_must_agree() {
        let at = |sha: &str| RemoteTag::At(sha.into());
        assert_eq!(agree("o", "v1", vec![("a", at("c1"))]), at("c1"));
        assert_eq!(
            agree("o", "v1", vec![("a", at("c1")), ("b", at("c1"))]),
            at("c1")
        );
        assert_eq!(
            agree(
                "o",
                "v1",
                vec![("a", RemoteTag::Absent), ("b", RemoteTag::Absent)]
            ),
            RemoteTag::Absent
        );
        let unknown = RemoteTag::Unknown("down".into());
        assert_eq!(
            agree("o", "v1", vec![("a", at("c1")), ("b", unknown.clone())]),
            unknown
        );
        let RemoteTag::Unknown(why) =
            agree("o", "v1", vec![("a", at("c1")), ("b", RemoteTag::Absent)])
        else {
            panic!("disagreeing URLs must not be taken for an answer");
        };
        assert_eq!(
            why,
            "the push URLs of o disagree about v1 (a has it at c1; b does not have it); make them agree first"
        );
    }

    #[test]
    fn commits_describe_themselves_shortly() {
        let commit = Commit {
            sha: "0123456789abcdef".into(),
            subject: "Add it".into(),
        };
        assert_eq!(commit.describe(), "0123456789 (Add it)");
    }
}
