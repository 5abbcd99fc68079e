//! Whether the checkout still is the commit build-installer names: the files
//! the build reads (the Python project, the UI's sources, the installer's
//! templates) compared with HEAD, in one `git status` call.
//!
//! Tracked files edited or staged, and untracked files that git does not
//! ignore, count. Ignored files do not: they are build outputs (the built UI,
//! `__pycache__`) or tools (`frontend/node_modules`, excluded by name because
//! a linked one is a file to git, which `node_modules/` does not match).

use anyhow::{Context, Result, bail};
use camino::Utf8Path;
use xshell::{Shell, cmd};

/// One file that differs from HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `/`-separated, relative to the checkout.
    pub path: String,
    pub how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Modified,
    Added,
    Deleted,
    Untracked,
    /// Both sides changed in a merge that is not finished.
    Unmerged,
    /// A change of type (file to link) or anything else git reports.
    Other,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Modified => "modified",
            How::Added => "added",
            How::Deleted => "deleted",
            How::Untracked => "untracked",
            How::Unmerged => "unmerged",
            How::Other => "changed",
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", printable(&self.path), self.how.as_str())
    }
}

/// A path as it may be printed: control characters (a line break, ESC, BEL)
/// escaped as `\n`, `\u{1b}`, so that a file's name cannot add a line to
/// the output or drive the terminal. Pure.
pub fn printable(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The files under `read` (folders the build reads, from
/// [`Layout::read_paths`](crate::paths::Layout::read_paths)) of the checkout
/// at `root` that differ from HEAD, sorted by path. `node_modules` and
/// cargo's `target/` are never counted.
pub fn changes(sh: &Shell, root: &Utf8Path, read: &[String]) -> Result<Vec<Change>> {
    // --no-optional-locks: a status must not rewrite the index of the checkout.
    // core.excludesFile cleared: what the user's own ignore file hides (a
    // `*.local.py`, say) still ships; only the checkout's .gitignore counts.
    let out = cmd!(
        sh,
        "git --no-optional-locks -c core.excludesFile= -C {root} status --porcelain=v1 -z --untracked-files=all --no-renames --ignore-submodules=none -- {read...} :(exclude,glob)**/node_modules :(exclude,glob)**/node_modules/** :(exclude)target"
    )
    .quiet()
    .ignore_stderr()
    .output()
    .with_context(|| format!("cannot run git status in {root}"))?;
    if !out.status.success() {
        bail!(
            "git status failed in {root}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_porcelain(&out.stdout)
}

/// `git status --porcelain=v1 -z --no-renames`: `XY path` entries, each
/// ended by NUL. Pure.
pub fn parse_porcelain(bytes: &[u8]) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for entry in bytes.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let (Some(code), Some(b' ')) = (entry.get(..2), entry.get(2)) else {
            bail!(
                "git status printed {:?}, not `XY path`",
                String::from_utf8_lossy(entry)
            );
        };
        let path = std::str::from_utf8(&entry[3..])
            .with_context(|| {
                format!(
                    "{:?} is not a UTF-8 path; the build cannot ship it",
                    String::from_utf8_lossy(&entry[3..])
                )
            })?
            .to_owned();
        let how = match (code[0], code[1]) {
            (b'?', b'?') => How::Untracked,
            (b'U', _) | (_, b'U') | (b'A', b'A') | (b'D', b'D') => How::Unmerged,
            (b'D', _) | (_, b'D') => How::Deleted,
            (b'A', _) => How::Added,
            (b'M', _) | (_, b'M') => How::Modified,
            _ => How::Other,
        };
        changes.push(Change { path, how });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// The error when the checkout differs from `commit` and `--allow-dirty`
/// was not given: every file by name (the first 20, then a count).
pub fn refusal(root: &Utf8Path, commit: &str, changes: &[Change]) -> String {
    const SHOWN: usize = 20;
    let mut names: Vec<String> = changes.iter().take(SHOWN).map(|c| c.to_string()).collect();
    if changes.len() > SHOWN {
        names.push(format!("and {} more", changes.len() - SHOWN));
    }
    format!(
        "{root} differs from its commit {commit} in {} file{} the build reads: {}; the artifacts would not be what that commit names. Commit them (or `git stash --include-untracked`), or pass --allow-dirty to build them anyway (manifest.json then records \"dirty\": true and these files)",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_entries_become_named_changes() {
        let out = b" M python/invokeai/app.py\0?? installer/lib/new.py\0A  frontend/src/x.ts\0D  installer/readme.txt\0 D python/old.py\0UU python/both.py\0T  installer/link\0MM python/pyproject.toml\0";
        let changes = parse_porcelain(out).unwrap();
        let shown: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            shown,
            [
                "frontend/src/x.ts (added)",
                "installer/lib/new.py (untracked)",
                "installer/link (changed)",
                "installer/readme.txt (deleted)",
                "python/both.py (unmerged)",
                "python/invokeai/app.py (modified)",
                "python/old.py (deleted)",
                "python/pyproject.toml (modified)",
            ]
        );
        assert_eq!(parse_porcelain(b"").unwrap(), []);
        // Spaces and line breaks in names are kept: -z quotes nothing. They
        // are printed escaped.
        let odd = parse_porcelain(b"?? python/a b\nc\x1b[2J.py\0").unwrap();
        assert_eq!(odd[0].path, "python/a b\nc\x1b[2J.py");
        assert_eq!(
            odd[0].to_string(),
            "python/a b\\nc\\u{1b}[2J.py (untracked)"
        );
        assert_eq!(printable("python/é ü.py"), "python/é ü.py");
        assert!(parse_porcelain(b"garbage\0").is_err());
        assert!(parse_porcelain(b"?? python/\xff.py\0").is_err());
    }

    #[test]
    fn the_refusal_names_the_files_and_the_way_out() {
        let changes: Vec<Change> = (0..23)
            .map(|n| Change {
                path: format!("python/f{n:02}.py"),
                how: How::Modified,
            })
            .collect();
        let text = refusal(Utf8Path::new("/r"), "abc", &changes);
        assert!(
            text.starts_with("/r differs from its commit abc in 23 files the build reads: python/f00.py (modified), "),
            "{text}"
        );
        assert!(
            text.contains("python/f19.py (modified), and 3 more;"),
            "{text}"
        );
        assert!(!text.contains("f20"), "{text}");
        assert!(text.contains("--allow-dirty"), "{text}");
        assert!(!text.contains('\n'), "{text}");
        let one = refusal(Utf8Path::new("/r"), "abc", &changes[..1]);
        assert!(one.contains("in 1 file the build reads"), "{one}");
    }

    /// A real checkout: edits, staged files and untracked files under the
    /// folders the build reads count; ignored files, a linked node_modules
    /// and files outside those folders do not.
    #[test]
    fn a_checkout_reports_what_the_build_would_read_differently() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let sh = Shell::new().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            ".gitignore",
            "node_modules/\n__pycache__/\n/python/build/\n",
        );
        write("python/pkg/__init__.py", "");
        write("installer/readme.txt", "hi");
        write("frontend/src/main.ts", "");
        write("README.md", "docs");
        let git = |args: &[&str]| {
            cmd!(sh, "git -C {root} -c user.name=T -c user.email=t@example.com -c commit.gpgsign=false {args...}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .unwrap();
        };
        let read: Vec<String> = ["python", "frontend", "installer"].map(String::from).into();
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "one"]);
        assert_eq!(changes(&sh, root, &read).unwrap(), []);

        write("README.md", "other docs");
        write("python/pkg/__pycache__/x.pyc", "");
        write("python/build/lib/x.py", "");
        std::os::unix::fs::symlink("/tmp", root.join("frontend/node_modules")).unwrap();
        assert_eq!(
            changes(&sh, root, &read).unwrap(),
            [],
            "none of these is read"
        );

        // A user's global ignore file does not hide a file the build reads.
        write("home/ignore", "*.local.py\n");
        write(
            "home/gitconfig",
            &format!("[core]\n\texcludesFile = {root}/home/ignore\n"),
        );
        sh.set_var("GIT_CONFIG_GLOBAL", root.join("home/gitconfig"));
        write("python/pkg/settings.local.py", "");
        write("python/pkg/__init__.py", "x = 1\n");
        write("installer/lib/new.py", "");
        write("frontend/src/staged.ts", "");
        git(&["add", "frontend/src/staged.ts"]);
        std::fs::remove_file(root.join("installer/readme.txt")).unwrap();
        let shown: Vec<String> = changes(&sh, root, &read)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "frontend/src/staged.ts (added)",
                "installer/lib/new.py (untracked)",
                "installer/readme.txt (deleted)",
                "python/pkg/__init__.py (modified)",
                "python/pkg/settings.local.py (untracked)",
            ]
        );
    }
}
