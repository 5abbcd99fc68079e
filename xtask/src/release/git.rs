//! The few git questions the release commands ask, through the `git` CLI.
//!
//! Every call names the repository with `git -C ROOT`, so a command can work
//! on another checkout (`--repo DIR`). Queries are quiet and change nothing:
//! `status` runs with `--no-optional-locks` so it does not even refresh the
//! index file. The only writes are `tag` and `push` of one tag, done by
//! tag-release; nothing here deletes or force-pushes a remote ref.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

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

/// A remote's name, URL and what it says about the release tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub name: String,
    pub url: Option<String>,
    pub tag: RemoteTag,
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
        let subject = cmd!(self.sh, "git -C {root} log -1 --format=%s {sha}")
            .quiet()
            .read()
            .with_context(|| format!("cannot read the subject of {sha} in {root}"))?;
        Ok(Commit { sha, subject })
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

    /// The commit a local tag points at, if the tag exists.
    pub fn local_tag(&self, tag: &str) -> Result<Option<Commit>> {
        let root = &self.root;
        let peeled = format!("refs/tags/{tag}^{{commit}}");
        let out = cmd!(self.sh, "git -C {root} rev-parse --verify --quiet {peeled}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run `git rev-parse` in {root}"))?;
        if !out.status.success() {
            return Ok(None);
        }
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        self.commit(&sha).map(Some)
    }

    /// A remote's URL and what it says about `tag`. Never fails: a remote that
    /// cannot be asked is `RemoteTag::Unknown` with the reason.
    pub fn remote(&self, name: &str, tag: &str) -> Remote {
        let root = &self.root;
        let url = cmd!(self.sh, "git -C {root} remote get-url {name}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok();
        let tag = match &url {
            None => RemoteTag::Unknown(format!("{root} has no remote named `{name}`")),
            Some(_) => self.ls_remote_tag(name, tag),
        };
        Remote {
            name: name.to_owned(),
            url,
            tag,
        }
    }

    fn ls_remote_tag(&self, remote: &str, tag: &str) -> RemoteTag {
        let root = &self.root;
        let direct = format!("refs/tags/{tag}");
        let peeled = format!("refs/tags/{tag}^{{}}");
        // No credential prompt: a remote that wants one is reported instead.
        let out = cmd!(
            self.sh,
            "git -C {root} ls-remote --tags {remote} {direct} {peeled}"
        )
        .env("GIT_TERMINAL_PROMPT", "0")
        .quiet()
        .ignore_status()
        .output();
        match out {
            Err(err) => RemoteTag::Unknown(format!("cannot run `git ls-remote`: {err}")),
            Ok(out) if !out.status.success() => RemoteTag::Unknown(format!(
                "`git ls-remote {remote}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Ok(out) => match parse_ls_remote(&String::from_utf8_lossy(&out.stdout), tag) {
                Some(sha) => RemoteTag::At(sha),
                None => RemoteTag::Absent,
            },
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

    /// Read the output of a query.
    pub fn read(&self, args: &[&str]) -> Result<String> {
        let root = &self.root;
        cmd!(self.sh, "git -C {root} {args...}")
            .quiet()
            .read()
            .with_context(|| format!("`git {}` failed in {root}", args.join(" ")))
    }
}

/// The commit `refs/tags/TAG` points at in `git ls-remote` output: the peeled
/// `^{}` line of an annotated tag wins over the tag object's own line.
pub fn parse_ls_remote(out: &str, tag: &str) -> Option<String> {
    let direct = format!("refs/tags/{tag}");
    let peeled = format!("refs/tags/{tag}^{{}}");
    let mut found = None;
    for line in out.lines() {
        let Some((sha, name)) = line.split_once('\t') else {
            continue;
        };
        if name == peeled {
            return Some(sha.to_owned());
        }
        if name == direct {
            found = Some(sha.to_owned());
        }
    }
    found
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

    #[test]
    fn ls_remote_prefers_the_peeled_commit() {
        let out = "aaa\trefs/tags/v1.0\nbbb\trefs/tags/v1.0^{}\n";
        assert_eq!(parse_ls_remote(out, "v1.0").as_deref(), Some("bbb"));
        let light = "ccc\trefs/tags/v1.0\n";
        assert_eq!(parse_ls_remote(light, "v1.0").as_deref(), Some("ccc"));
        // A longer tag sharing the prefix is another tag.
        assert_eq!(parse_ls_remote("ddd\trefs/tags/v1.0.1\n", "v1.0"), None);
        assert_eq!(parse_ls_remote("", "v1.0"), None);
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
    fn commits_describe_themselves_shortly() {
        let commit = Commit {
            sha: "0123456789abcdef".into(),
            subject: "Add it".into(),
        };
        assert_eq!(commit.describe(), "0123456789 (Add it)");
    }
}
