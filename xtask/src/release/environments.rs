//! Are the `testpypi` and `pypi` deployment environments set up? Asked of
//! GitHub by preflight through the GitHub CLI (`gh api`), when it is
//! installed and logged in; otherwise preflight says it could not tell.
//!
//! Without required reviewers an environment does not pause the run: the
//! release workflow would publish without anyone approving. Without a tag
//! rule, any branch of the repository could deploy to it. Both are one-time
//! settings (docs/RELEASE.md, "One-time setup").
//!
//! [`github_repo`], [`parse_environments`], [`parse_policies`] and
//! [`assess`] are pure; [`ask`] runs `gh`, bounded by a timeout, with
//! prompts and update checks off.

use std::ffi::OsStr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::util::process::{Bounded, describe, run_bounded};
use crate::util::redact;

/// The environments the release workflow publishes from.
pub const NAMES: [&str; 2] = ["testpypi", "pypi"];

/// `owner/repo` of a GitHub remote URL (https, ssh or scp-like), if it is one.
pub fn github_repo(url: &str) -> Option<String> {
    let scp = ["git@github.com:", "git@ssh.github.com:"];
    let rest = if let Some(r) = scp.iter().find_map(|p| url.strip_prefix(p)) {
        r
    } else {
        let after_scheme = url.split_once("://")?.1;
        let host_and_path = after_scheme
            .rsplit_once('@')
            .map_or(after_scheme, |(_, h)| h);
        let (host, path) = host_and_path.split_once('/')?;
        let host = host.split(':').next().unwrap_or(host);
        // ssh.github.com is GitHub's SSH over port 443.
        if !["github.com", "www.github.com", "ssh.github.com"]
            .iter()
            .any(|h| host.eq_ignore_ascii_case(h))
        {
            return None;
        }
        path
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let mut parts = rest.split('/');
    let (owner, repo) = (parts.next()?, parts.next()?);
    let valid = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (parts.next().is_none() && valid(owner) && valid(repo)).then(|| format!("{owner}/{repo}"))
}

/// One environment as GitHub describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// How many users or teams must approve (0: no required reviewers).
    pub reviewers: usize,
    /// Deployments limited to protected branches.
    pub protected_branches_only: bool,
    /// Deployments limited to the custom branch and tag rules.
    pub custom_rules: bool,
}

/// The answer of `GET /repos/{owner}/{repo}/environments`.
pub fn parse_environments(text: &str) -> Result<Vec<Environment>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = doc
        .get("environments")
        .and_then(Value::as_array)
        .ok_or("no \"environments\" list")?;
    let mut out = Vec::new();
    for env in list {
        let name = env
            .get("name")
            .and_then(Value::as_str)
            .ok_or("an environment without a name")?;
        let reviewers = env
            .get("protection_rules")
            .and_then(Value::as_array)
            .map(|rules| {
                rules
                    .iter()
                    .filter(|r| r.get("type").and_then(Value::as_str) == Some("required_reviewers"))
                    .filter_map(|r| r.get("reviewers").and_then(Value::as_array))
                    .map(Vec::len)
                    .sum()
            })
            .unwrap_or(0);
        let policy = env.get("deployment_branch_policy");
        let flag = |k: &str| {
            policy
                .and_then(|p| p.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        out.push(Environment {
            name: name.to_owned(),
            reviewers,
            protected_branches_only: flag("protected_branches"),
            custom_rules: flag("custom_branch_policies"),
        });
    }
    Ok(out)
}

/// The answer of `GET .../environments/{name}/deployment-branch-policies`:
/// the tag rules (`v*`, ...) among them.
pub fn parse_policies(text: &str) -> Result<Vec<String>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = doc
        .get("branch_policies")
        .and_then(Value::as_array)
        .ok_or("no \"branch_policies\" list")?;
    Ok(list
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("tag"))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(redact::one_line))
        .collect())
}

/// What preflight learnt about the environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Not asked, or the answer was unusable: why.
    Unknown(String),
    /// `owner/repo` and, for each of [`NAMES`], the environment (if it
    /// exists) and its tag rules.
    Known {
        repo: String,
        envs: Vec<(&'static str, Option<Environment>, Vec<String>)>,
    },
}

/// One line per environment for the report, and the problems that block a
/// release (a missing environment, or one without required reviewers) with
/// the way out. Pure.
pub fn assess(found: &Found) -> (Vec<String>, Vec<(String, String)>) {
    let setup = "create it as docs/RELEASE.md (One-time setup) says: Settings → Environments, required reviewers, deployment only from tags v*";
    let (repo, envs) = match found {
        Found::Unknown(why) => return (vec![format!("cannot tell: {why}")], Vec::new()),
        Found::Known { repo, envs } => (repo, envs),
    };
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (name, env, tags) in envs {
        let Some(env) = env else {
            lines.push(format!("{name}: missing in {repo}"));
            problems.push((
                format!("the {name} environment does not exist in {repo}: the first publish would create it without reviewers, so the release would not pause for approval"),
                setup.to_owned(),
            ));
            continue;
        };
        let rule = if env.custom_rules {
            if tags.is_empty() {
                "deploys from branch rules only, no tag rule".to_owned()
            } else {
                format!("deploys from tags {}", tags.join(", "))
            }
        } else if env.protected_branches_only {
            "deploys from protected branches only (a tag push cannot deploy)".to_owned()
        } else {
            "deploys from any branch or tag".to_owned()
        };
        lines.push(format!(
            "{name}: {} required reviewer{}; {rule}",
            env.reviewers,
            if env.reviewers == 1 { "" } else { "s" }
        ));
        if env.reviewers == 0 {
            problems.push((
                format!("the {name} environment of {repo} has no required reviewers: the release would publish without pausing for approval"),
                format!("add required reviewers to {name} (Settings → Environments → {name})"),
            ));
        }
    }
    (lines, problems)
}

/// `$GH_REPO` as gh reads it (`[HOST/]OWNER/REPO`): `owner/repo` on github.com.
pub fn repo_from_env(value: &str) -> Option<String> {
    let value = value.trim();
    let path = match value.split('/').count() {
        2 => value,
        3 => value
            .strip_prefix("github.com/")
            .or_else(|| value.strip_prefix("www.github.com/"))?,
        _ => return None,
    };
    github_repo(&format!("https://github.com/{path}"))
}

/// The most of gh's standard output read: GitHub's answers here are a few
/// KiB.
const GH_STDOUT_CAP: usize = 8 << 20;

/// Ask GitHub through `gh` (the program: `gh` on PATH), each call bounded by
/// `timeout`, about the repository `$GH_REPO` names (as for gh itself), else
/// the remote's.
pub fn ask(
    gh: &OsStr,
    remote_url: Option<&str>,
    gh_repo: Option<&str>,
    timeout: Duration,
) -> Found {
    let repo = match (gh_repo.filter(|v| !v.trim().is_empty()), remote_url) {
        (Some(value), _) => match repo_from_env(value) {
            Some(repo) => repo,
            None => {
                return Found::Unknown(format!(
                    "GH_REPO={value:?} is not OWNER/REPO on github.com"
                ));
            }
        },
        (None, None) => return Found::Unknown("the remote has no URL".to_owned()),
        (None, Some(url)) => match github_repo(url) {
            Some(repo) => repo,
            None => {
                return Found::Unknown(format!(
                    "the remote {} is not on github.com (set GH_REPO=OWNER/REPO to ask about another repository)",
                    redact::secrets(url)
                ));
            }
        },
    };
    let list = match gh_api(gh, &format!("repos/{repo}/environments"), timeout) {
        Ok(text) => text,
        Err(why) => return Found::Unknown(why),
    };
    let all = match parse_environments(&list) {
        Ok(all) => all,
        Err(why) => return Found::Unknown(format!("GitHub's answer is unusable: {why}")),
    };
    let mut envs = Vec::new();
    for name in NAMES {
        // GitHub's environment names ignore case (`PyPI` is `pypi`).
        let env = all
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .cloned();
        let tags = match &env {
            Some(e) if e.custom_rules => {
                let path = format!(
                    "repos/{repo}/environments/{}/deployment-branch-policies",
                    e.name
                );
                match gh_api(gh, &path, timeout).and_then(|t| parse_policies(&t)) {
                    Ok(tags) => tags,
                    Err(why) => return Found::Unknown(why),
                }
            }
            _ => Vec::new(),
        };
        envs.push((name, env, tags));
    }
    Found::Known { repo, envs }
}

/// `gh api PATH`: its stdout, or why it could not answer (what gh said
/// made safe to show: no token, no terminal controls).
fn gh_api(gh: &OsStr, path: &str, timeout: Duration) -> Result<String, String> {
    let mut cmd = Command::new(gh);
    cmd.args(["api", "-H", "Accept: application/vnd.github+json", path])
        .env("GH_PROMPT_DISABLED", "1")
        .env("GH_NO_UPDATE_NOTIFIER", "1")
        .env("NO_COLOR", "1");
    match run_bounded(&mut cmd, timeout, GH_STDOUT_CAP) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("the GitHub CLI (gh) is not installed".to_owned())
        }
        Err(e) => Err(format!("cannot run gh: {e}")),
        Ok(Bounded::TimedOut { .. }) => Err(format!(
            "gh api {path} did not answer within {}s",
            timeout.as_secs()
        )),
        Ok(Bounded::TooLong { cap }) => Err(format!(
            "gh api {path} answered with more than {} MiB; not read",
            cap >> 20
        )),
        Ok(Bounded::Exited(out)) if out.status.success() => {
            String::from_utf8(out.stdout).map_err(|_| "gh answered with non-UTF-8 text".to_owned())
        }
        Ok(Bounded::Exited(out)) => {
            let err = redact::shown(&String::from_utf8_lossy(&out.stderr));
            let first = err.lines().map(str::trim).find(|l| !l.is_empty());
            if out.status.code() == Some(4) || first.is_some_and(|l| l.contains("gh auth login")) {
                return Err("gh is not logged in (`gh auth login`)".to_owned());
            }
            let status = describe(out.status);
            Err(match first {
                Some(first) => format!("gh api {path} failed ({status}): {first}"),
                None => format!("gh api {path} failed ({status}) without a message"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in `gh`: a shell script in a temp dir.
    fn fake_gh(script: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let gh = dir.path().join("gh");
        std::fs::write(&gh, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, gh)
    }

    fn ask_fake(script: &str) -> Found {
        let (_dir, gh) = fake_gh(script);
        ask(
            gh.as_os_str(),
            Some("ssh://git@ssh.github.com:443/o/r.git"),
            None,
            Duration::from_secs(30),
        )
    }

    fn unknown(found: Found) -> String {
        match found {
            Found::Unknown(why) => why,
            known => panic!("{known:?}"),
        }
    }

    #[test]
    fn what_gh_says_is_shown_without_tokens_or_terminal_controls() {
        let why = unknown(ask_fake(
            "printf '\\033]0;owned\\007\\033[31mHTTP 401: Bad credentials (ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8)\\033[0m\\n> Authorization: token gho_abcdefghijklmnop\\n' >&2; exit 1",
        ));
        assert_eq!(
            why,
            "gh api repos/o/r/environments failed (exit code 1): HTTP 401: Bad credentials (ghp_***)"
        );
        let why = unknown(ask_fake(
            "echo 'error connecting to https://x:github_pat_11ABCDEFG0_abcdefghijkl@api.github.com' >&2; exit 1",
        ));
        assert!(!why.contains("abcdefghijkl"), "{why}");
        assert!(
            why.ends_with("error connecting to https://***@api.github.com"),
            "{why}"
        );
    }

    #[test]
    fn a_gh_killed_by_a_signal_says_so() {
        let why = unknown(ask_fake("kill -KILL $$"));
        assert_eq!(
            why,
            "gh api repos/o/r/environments failed (killed by signal 9, SIGKILL) without a message"
        );
        let why = unknown(ask_fake("exit 1"));
        assert_eq!(
            why,
            "gh api repos/o/r/environments failed (exit code 1) without a message"
        );
    }

    #[test]
    fn environment_names_match_whatever_their_case() {
        let found = ask_fake(
            r#"case "$4" in
  */environments) echo '{"environments": [
    {"name": "TestPyPI", "protection_rules": [], "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}},
    {"name": "PyPI", "protection_rules": []}]}' ;;
  repos/o/r/environments/TestPyPI/deployment-branch-policies) printf '{"branch_policies": [{"name": "v*\\u001b[2J", "type": "tag"}]}' ;;
  *) echo "unexpected $4" >&2; exit 1 ;;
esac"#,
        );
        let Found::Known { repo, envs } = &found else {
            panic!("{found:?}");
        };
        assert_eq!(repo, "o/r");
        let names: Vec<_> = envs
            .iter()
            .map(|(want, env, tags)| (*want, env.as_ref().map(|e| e.name.as_str()), tags.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("testpypi", Some("TestPyPI"), vec!["v*".to_owned()]),
                ("pypi", Some("PyPI"), vec![])
            ]
        );
    }

    #[test]
    fn gh_output_is_read_up_to_a_cap() {
        let why = unknown(ask_fake("cat /dev/zero"));
        assert_eq!(
            why,
            "gh api repos/o/r/environments answered with more than 8 MiB; not read"
        );
    }

    #[test]
    fn gh_repo_is_read_as_gh_reads_it() {
        assert_eq!(repo_from_env("o/r").as_deref(), Some("o/r"));
        assert_eq!(repo_from_env("github.com/o/r").as_deref(), Some("o/r"));
        assert_eq!(repo_from_env("ghe.example.com/o/r"), None);
        assert_eq!(repo_from_env("o"), None);
        assert_eq!(repo_from_env("o/r/x/y"), None);
    }

    #[test]
    fn github_remotes_give_owner_and_repo_and_others_none() {
        for (url, want) in [
            (
                "https://github.com/invoke-ai/InvokeAI.git",
                Some("invoke-ai/InvokeAI"),
            ),
            (
                "https://github.com/invoke-ai/InvokeAI",
                Some("invoke-ai/InvokeAI"),
            ),
            (
                "https://x-access-token:ghs_secret@github.com/o/r.git/",
                Some("o/r"),
            ),
            ("https://***@github.com/o/r", Some("o/r")),
            ("git@github.com:o/r.git", Some("o/r")),
            ("ssh://git@github.com:22/o/r.git", Some("o/r")),
            ("ssh://git@ssh.github.com:443/o/r.git", Some("o/r")),
            ("git@ssh.github.com:o/r.git", Some("o/r")),
            ("ssh://git@ssh.github.com.evil.example:443/o/r.git", None),
            ("https://GitHub.com/o/r", Some("o/r")),
            ("https://gitlab.com/o/r.git", None),
            ("https://github.com.evil.example/o/r", None),
            ("https://evil.example/github.com/o/r", None),
            ("https://github.com/o", None),
            ("https://github.com/o/r/extra", None),
            ("https://github.com/../r", None),
            ("/srv/git/repo.git", None),
            ("git@gitlab.com:o/r.git", None),
        ] {
            assert_eq!(github_repo(url).as_deref(), want, "{url}");
        }
    }

    const ENVS: &str = r#"{"total_count": 3, "environments": [
      {"name": "pypi", "protection_rules": [
         {"id": 1, "type": "required_reviewers", "prevent_self_review": false,
          "reviewers": [{"type": "User", "reviewer": {"login": "a"}}, {"type": "Team", "reviewer": {"slug": "t"}}]},
         {"id": 2, "type": "branch_policy"}],
       "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}},
      {"name": "testpypi", "protection_rules": [], "deployment_branch_policy": null},
      {"name": "github-pages", "protection_rules": []}
    ]}"#;

    #[test]
    fn environments_are_read_with_their_reviewers_and_rules() {
        let envs = parse_environments(ENVS).unwrap();
        assert_eq!(
            envs[0],
            Environment {
                name: "pypi".into(),
                reviewers: 2,
                protected_branches_only: false,
                custom_rules: true
            }
        );
        assert_eq!(envs[1].reviewers, 0);
        assert!(!envs[1].custom_rules);
        assert_eq!(
            parse_policies(r#"{"total_count": 2, "branch_policies": [{"name": "v*", "type": "tag"}, {"name": "main", "type": "branch"}]}"#)
                .unwrap(),
            ["v*"]
        );
        assert!(parse_environments("{}").is_err());
        assert!(parse_environments("<html>").is_err());
    }

    #[test]
    fn a_missing_environment_or_one_without_reviewers_blocks() {
        let envs = parse_environments(ENVS).unwrap();
        let found = Found::Known {
            repo: "o/r".into(),
            envs: vec![
                ("testpypi", Some(envs[1].clone()), vec![]),
                ("pypi", Some(envs[0].clone()), vec!["v*".into()]),
            ],
        };
        let (lines, problems) = assess(&found);
        assert_eq!(
            lines,
            [
                "testpypi: 0 required reviewers; deploys from any branch or tag",
                "pypi: 2 required reviewers; deploys from tags v*"
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].0.contains("testpypi") && problems[0].0.contains("no required reviewers")
        );

        let missing = Found::Known {
            repo: "o/r".into(),
            envs: vec![
                ("testpypi", Some(envs[0].clone()), vec!["v*".into()]),
                ("pypi", None, vec![]),
            ],
        };
        let (lines, problems) = assess(&missing);
        assert_eq!(lines[1], "pypi: missing in o/r");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("docs/RELEASE.md"));

        let (lines, problems) = assess(&Found::Unknown("gh is not logged in".into()));
        assert_eq!(lines, ["cannot tell: gh is not logged in"]);
        assert!(problems.is_empty(), "not knowing does not block");
    }
}
