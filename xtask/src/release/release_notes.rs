//! `cargo xtask release-notes [--since TAG] [--out FILE]`: Markdown notes from
//! the commits since the previous version tag.
//!
//! The range starts after `--since`, else after the previous version tag:
//! the highest version tag (`v<PEP 440>`) reachable from HEAD whose version
//! is lower than the one being released (so the release's own tag at HEAD is
//! not its start, and an older release's tag at HEAD still is). Merge
//! commits are left out.
//! Commits whose subjects follow Conventional Commits are grouped into
//! features, fixes, performance and other; when none does, they are one list.
//! Each entry carries its short hash. Authors (by e-mail) with no commit
//! before the range are listed as new contributors.
//!
//! Subjects and names are shown as git shows them: bytes that are not UTF-8
//! become U+FFFD, and escape sequences and control characters are removed.
//! Notes longer than a GitHub release body may be (125,000 characters) are
//! cut at a line, ending with a link to the full comparison.

use std::collections::HashSet;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use regex::Regex;
use xshell::Shell;

use crate::flags;
use crate::paths::Layout;
use crate::release::environments;
use crate::release::git::Git;
use crate::release::version::{self, Version};
use crate::util::redact;

/// The most characters GitHub takes as a release's body.
pub const GITHUB_LIMIT: usize = 125_000;

const LOG_FORMAT: &str = "--format=%H%x1f%h%x1f%an%x1f%ae%x1f%s%x1e";

impl flags::ReleaseNotes {
    pub fn run(self, sh: &Shell) -> Result<()> {
        if let Some(out) = &self.out {
            crate::archive::atomic::ensure_replaceable(out)?;
        }
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let app = version::read(&layout)?;
        let project = crate::release::identity::project_name(&layout)?;
        let git = Git::new(sh, &layout.root);
        let since = match self.since {
            Some(since) => {
                git.commit(&since).with_context(|| {
                    format!("--since {since} names no commit; give a tag or commit of this repository (after `git fetch --tags` in a shallow clone)")
                })?;
                Some(since)
            }
            None => previous_tag(&git.tags_merged_into_head()?, &app.version),
        };
        let range = match &since {
            Some(since) => format!("{since}..HEAD"),
            None => "HEAD".to_owned(),
        };
        let commits =
            parse_log(&git.read_lossy(&["log", "--no-merges", "--reverse", LOG_FORMAT, &range])?);
        let earlier_authors = match &since {
            Some(since) => git
                .read_lossy(&["log", "--format=%ae", since])?
                .lines()
                .map(|email| email.trim().to_lowercase())
                .collect(),
            None => HashSet::new(),
        };
        let count = commits.len();
        let tag = version::tag_name(&app.version);
        let full = full_changes(&git, since.as_deref(), &tag);
        let notes = render(&Input {
            title: format!("{project} {}", app.normalized()),
            tag,
            since: since.clone(),
            commits,
            earlier_authors,
        });
        let notes = fit(notes, GITHUB_LIMIT, &full);
        match &self.out {
            Some(out) => {
                crate::archive::atomic::write(out, notes.as_bytes())?;
                eprintln!(
                    "release-notes: wrote {out} ({} since {})",
                    plural(count, "commit"),
                    since.as_deref().unwrap_or("the first commit")
                );
            }
            None => print!("{notes}"),
        }
        Ok(())
    }
}

/// One commit of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCommit {
    pub sha: String,
    pub short: String,
    pub author: String,
    pub email: String,
    pub subject: String,
}

/// `git log` records (fields split by 0x1f, records ended by 0x1e).
pub fn parse_log(out: &str) -> Vec<LogCommit> {
    out.split('\u{1e}')
        .filter_map(|record| {
            let record = record.trim_start_matches(['\n', '\r']);
            let mut fields = record.split('\u{1f}');
            let commit = LogCommit {
                sha: fields.next()?.to_owned(),
                short: fields.next()?.to_owned(),
                author: redact::one_line(fields.next()?),
                email: redact::one_line(fields.next()?),
                subject: redact::one_line(fields.next()?),
            };
            (!commit.sha.is_empty()).then_some(commit)
        })
        .collect()
}

/// The highest version tag among `(name, commit)` below `release`: the
/// release before it, wherever its tag points (HEAD included).
pub fn previous_tag(tags: &[(String, String)], release: &Version) -> Option<String> {
    tags.iter()
        .filter(|(name, _)| name.starts_with(['v', 'V']))
        .filter_map(|(name, _)| {
            version::parse(version::strip_ref(name))
                .ok()
                .filter(|v| v < release)
                .map(|v| (v, name))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, name)| name.clone())
}

/// The sections of the notes, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Features,
    Fixes,
    Performance,
    Other,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Features => "Features",
            Section::Fixes => "Fixes",
            Section::Performance => "Performance",
            Section::Other => "Other",
        }
    }
}

/// A subject in Conventional Commits form: `type(scope)!: description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    pub section: Section,
    pub kind: String,
    pub scope: Option<String>,
    pub breaking: bool,
    pub description: String,
}

const TYPES: &[&str] = &[
    "feat", "feature", "fix", "bugfix", "hotfix", "perf", "build", "chore", "ci", "docs", "doc",
    "style", "refactor", "test", "tests", "revert", "deps",
];

/// Read a subject as a conventional commit, if it is one of the known types.
pub fn conventional(subject: &str) -> Option<Conventional> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?: +(?P<desc>.+)")
            .expect("the conventional-commit pattern is valid")
    });
    let caps = re.captures(subject.trim())?;
    let kind = caps["type"].to_ascii_lowercase();
    if !TYPES.contains(&kind.as_str()) {
        return None;
    }
    let section = match kind.as_str() {
        "feat" | "feature" => Section::Features,
        "fix" | "bugfix" | "hotfix" => Section::Fixes,
        "perf" => Section::Performance,
        _ => Section::Other,
    };
    Some(Conventional {
        section,
        kind,
        scope: caps
            .name("scope")
            .map(|s| s.as_str().trim().to_owned())
            .filter(|s| !s.is_empty()),
        breaking: caps.name("bang").is_some(),
        description: caps["desc"].to_owned(),
    })
}

/// Everything the notes are made of.
#[derive(Debug, Clone)]
pub struct Input {
    /// `InvokeAI 6.10.0rc1`.
    pub title: String,
    /// The tag being released, `v6.10.0rc1`.
    pub tag: String,
    /// Where the range starts (a tag or commit), `None` for the whole history.
    pub since: Option<String>,
    /// The range's commits, oldest first.
    pub commits: Vec<LogCommit>,
    /// Lowercased e-mails of everyone with a commit before the range.
    pub earlier_authors: HashSet<String>,
}

/// The Markdown. Pure.
pub fn render(input: &Input) -> String {
    let mut md = format!("## {}\n\n", input.title);
    let authors: HashSet<String> = input
        .commits
        .iter()
        .map(|c| c.email.to_lowercase())
        .collect();
    let count = format!(
        "{} by {}",
        plural(input.commits.len(), "commit"),
        plural(authors.len(), "author")
    );
    match &input.since {
        Some(since) if input.commits.is_empty() => {
            md.push_str(&format!("No changes since {since}.\n"));
            return md;
        }
        Some(since) => md.push_str(&format!("Changes since {since}: {count}.\n")),
        None => md.push_str(&format!(
            "Changes from the first commit (no earlier version tag): {count}.\n"
        )),
    }

    let parsed: Vec<(&LogCommit, Option<Conventional>)> = input
        .commits
        .iter()
        .map(|c| (c, conventional(&c.subject)))
        .collect();
    if parsed.iter().any(|(_, conv)| conv.is_some()) {
        for section in [
            Section::Features,
            Section::Fixes,
            Section::Performance,
            Section::Other,
        ] {
            let entries: Vec<String> = parsed
                .iter()
                .filter(|(_, conv)| conv.as_ref().map_or(Section::Other, |c| c.section) == section)
                .map(|(commit, conv)| entry(commit, conv.as_ref()))
                .collect();
            if !entries.is_empty() {
                md.push_str(&format!("\n### {}\n\n", section.title()));
                md.push_str(&entries.concat());
            }
        }
    } else {
        md.push_str("\n### Changes\n\n");
        for (commit, _) in &parsed {
            md.push_str(&entry(commit, None));
        }
    }

    let mut seen = HashSet::new();
    let newcomers: Vec<&LogCommit> = input
        .commits
        .iter()
        .filter(|c| {
            let email = c.email.to_lowercase();
            !input.earlier_authors.contains(&email) && seen.insert(email)
        })
        .collect();
    if !newcomers.is_empty() {
        md.push_str("\n### New contributors\n\n");
        for c in newcomers {
            md.push_str(&format!(
                "- {} made a first contribution in `{}`\n",
                escape(&c.author),
                c.short
            ));
        }
    }
    if let Some(since) = &input.since {
        md.push_str(&format!(
            "\n**Full changelog:** `{since}...{}`\n",
            input.tag
        ));
    }
    md
}

/// Where the whole list of changes can be seen: GitHub's compare view (the
/// repository from `$GITHUB_REPOSITORY` under Actions, else from origin's
/// URL), or the `git log` command that lists them.
fn full_changes(git: &Git, since: Option<&str>, tag: &str) -> String {
    let repo = std::env::var("GITHUB_REPOSITORY")
        .ok()
        .and_then(|r| environments::repo_from_env(&r))
        .or_else(|| {
            let url = git.read(&["remote", "get-url", "origin"]).ok()?;
            environments::github_repo(url.trim())
        });
    match (repo, since) {
        (Some(repo), Some(since)) => {
            format!("https://github.com/{repo}/compare/{since}...{tag}")
        }
        (Some(repo), None) => format!("https://github.com/{repo}/commits/{tag}"),
        (None, Some(since)) => format!("`git log --no-merges {since}..{tag}`"),
        (None, None) => format!("`git log --no-merges {tag}`"),
    }
}

/// `notes` within `limit` characters: whole when they fit, else cut after
/// the last line that leaves room for a last line saying so and linking to
/// `full`. Pure.
pub fn fit(notes: String, limit: usize, full: &str) -> String {
    if notes.chars().count() <= limit {
        return notes;
    }
    let tail = format!(
        "\n**These notes were cut here: a GitHub release holds at most {} characters.** All the changes: {full}\n",
        thousands(limit)
    );
    let budget = limit.saturating_sub(tail.chars().count());
    let mut kept = String::new();
    let mut used = 0;
    for line in notes.split_inclusive('\n') {
        let n = line.chars().count();
        if used + n > budget {
            break;
        }
        kept.push_str(line);
        used += n;
    }
    kept + &tail
}

/// `125,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn entry(commit: &LogCommit, conv: Option<&Conventional>) -> String {
    let text = match conv {
        Some(c) if c.section != Section::Other => {
            let breaking = if c.breaking { "**breaking:** " } else { "" };
            let scope = c
                .scope
                .as_deref()
                .map(|s| format!("**{}:** ", escape(s)))
                .unwrap_or_default();
            format!("{breaking}{scope}{}", escape(&c.description))
        }
        Some(c) if c.breaking => format!("**breaking:** {}", escape(commit.subject.trim())),
        _ => escape(commit.subject.trim()),
    };
    format!(
        "- {text} (`{}`) by {}\n",
        commit.short,
        escape(&commit.author)
    )
}

/// Keep subjects from turning into HTML.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(short: &str, author: &str, subject: &str) -> LogCommit {
        LogCommit {
            sha: format!("{short}000"),
            short: short.into(),
            author: author.into(),
            email: format!("{}@example.org", author.to_lowercase()),
            subject: subject.into(),
        }
    }

    fn tags(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn the_previous_tag_is_the_highest_version_below_the_release() {
        let list = tags(&[
            ("v1.0", "a"),
            ("v1.1rc1", "b"),
            ("v1.1", "head"),
            ("nightly", "c"),
            ("vbanana", "d"),
            ("v1.0.1", "e"),
        ]);
        let v = |s: &str| version::parse(s).unwrap();
        assert_eq!(previous_tag(&list, &v("1.1")).as_deref(), Some("v1.1rc1"));
        assert_eq!(previous_tag(&list, &v("1.2.dev0")).as_deref(), Some("v1.1"));
        // The release's own tag is not its start, under any spelling.
        let respelled = tags(&[("v1.0", "a"), ("V1.1.0", "head"), ("v1.1", "head")]);
        assert_eq!(previous_tag(&respelled, &v("1.1")).as_deref(), Some("v1.0"));
        // A tag of a later version (a typo, another line) is not either.
        let later = tags(&[("v1.0", "a"), ("v10.0", "b")]);
        assert_eq!(previous_tag(&later, &v("1.1")).as_deref(), Some("v1.0"));
        assert_eq!(previous_tag(&tags(&[("nightly", "c")]), &v("1.0")), None);
        assert_eq!(previous_tag(&tags(&[("v1.0", "head")]), &v("1.0")), None);
    }

    #[test]
    fn long_notes_are_cut_at_a_line_with_a_link() {
        let notes: String = (0..100).map(|i| format!("- change {i:03}\n")).collect();
        assert_eq!(fit(notes.clone(), 10_000, "L"), notes);
        let cut = fit(notes, 600, "https://github.com/o/r/compare/v1...v2");
        assert!(cut.chars().count() <= 600, "{}", cut.len());
        assert!(cut.starts_with("- change 000\n- change 001\n"), "{cut}");
        assert!(
            cut.ends_with("\n**These notes were cut here: a GitHub release holds at most 600 characters.** All the changes: https://github.com/o/r/compare/v1...v2\n"),
            "{cut}"
        );
        let last = cut.lines().rfind(|l| l.starts_with("- ")).unwrap();
        assert!(
            cut.contains(&format!("{last}\n\n**These")),
            "cut inside a line: {cut}"
        );
        // Characters, not bytes, are counted.
        let wide: String = (0..100).map(|_| "- éééé\n").collect();
        assert_eq!(fit(wide.clone(), 700, "L"), wide);
        assert_eq!(thousands(125_000), "125,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn subjects_and_names_lose_their_control_characters() {
        let out = "aaa\u{1f}a\u{1f}Eve\u{1b}]0;owned\u{7}\u{1f}eve@x\u{1f}fix: \u{1b}[2J\u{1b}[31mred\u{1b}[0m\rcover\u{7}\u{1e}";
        let commits = parse_log(out);
        assert_eq!(commits[0].author, "Eve");
        assert_eq!(commits[0].subject, "fix: red cover");
    }

    #[test]
    fn log_records_parse() {
        let out = "aaa\u{1f}a\u{1f}Ann\u{1f}ann@x\u{1f}feat: x\u{1e}\nbbb\u{1f}b\u{1f}Bob\u{1f}bob@x\u{1f}fix: y: z\u{1e}";
        let commits = parse_log(out);
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[1].subject, "fix: y: z");
        assert_eq!(commits[1].author, "Bob");
        assert!(parse_log("").is_empty());
    }

    #[test]
    fn conventional_subjects() {
        let c = conventional("feat(ui)!: add a dark theme").unwrap();
        assert_eq!(
            (
                c.section,
                c.scope.as_deref(),
                c.breaking,
                c.description.as_str()
            ),
            (Section::Features, Some("ui"), true, "add a dark theme")
        );
        assert_eq!(conventional("Fix: typo").unwrap().section, Section::Fixes);
        assert_eq!(
            conventional("perf: faster").unwrap().section,
            Section::Performance
        );
        assert_eq!(
            conventional("docs(readme): more").unwrap().section,
            Section::Other
        );
        assert_eq!(conventional("Update README"), None);
        assert_eq!(conventional("WIP: not a type"), None);
        assert_eq!(conventional("feat:missing space"), None);
    }

    #[test]
    fn grouped_notes_with_new_contributors() {
        let input = Input {
            title: "App 1.1".into(),
            tag: "v1.1".into(),
            since: Some("v1.0".into()),
            commits: vec![
                commit("1111111", "Ann", "feat(ui): add <b>bold</b> labels"),
                commit("2222222", "Bob", "fix: crash on start"),
                commit("3333333", "Cyd", "Tidy things"),
                commit("4444444", "Bob", "perf!: faster start"),
            ],
            earlier_authors: ["ann@example.org".to_owned()].into(),
        };
        let md = render(&input);
        assert_eq!(
            md,
            "## App 1.1\n\nChanges since v1.0: 4 commits by 3 authors.\n\n\
             ### Features\n\n- **ui:** add &lt;b&gt;bold&lt;/b&gt; labels (`1111111`) by Ann\n\n\
             ### Fixes\n\n- crash on start (`2222222`) by Bob\n\n\
             ### Performance\n\n- **breaking:** faster start (`4444444`) by Bob\n\n\
             ### Other\n\n- Tidy things (`3333333`) by Cyd\n\n\
             ### New contributors\n\n- Bob made a first contribution in `2222222`\n- Cyd made a first contribution in `3333333`\n\n\
             **Full changelog:** `v1.0...v1.1`\n"
        );
    }

    #[test]
    fn plain_subjects_make_one_list() {
        let input = Input {
            title: "App 1.0".into(),
            tag: "v1.0".into(),
            since: None,
            commits: vec![commit("1111111", "Ann", "Start")],
            earlier_authors: HashSet::new(),
        };
        let md = render(&input);
        assert!(
            md.contains("no earlier version tag): 1 commit by 1 author."),
            "{md}"
        );
        assert!(
            md.contains("### Changes\n\n- Start (`1111111`) by Ann\n"),
            "{md}"
        );
        assert!(!md.contains("Full changelog"));
        let empty = Input {
            since: Some("v0.9".into()),
            commits: vec![],
            ..input
        };
        assert_eq!(render(&empty), "## App 1.0\n\nNo changes since v0.9.\n");
    }
}
