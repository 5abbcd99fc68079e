//! The project's files, walked once into memory.
//!
//! Every later step (package discovery, package data globs, MANIFEST.in,
//! license patterns) looks at this tree instead of the file system, so the
//! selection is a pure function of it and the walk is the only place that
//! deals with symlinks, odd names and unreadable folders.
//!
//! What never ships is left out of the tree: version-control folders,
//! `__pycache__`, `*.pyc`/`*.pyo`, `*.egg-info` folders, and at the top level
//! the folders setuptools prunes (`build`, `.venv`, `.tox`, `.nox`) plus any
//! folder given in `skip` (the output folder when it lies inside the project).
//!
//! Entries that cannot be shipped safely are kept as [`Node::Blocked`]: a
//! symlink leaving the project, a name that is not UTF-8, a folder that cannot
//! be listed, a symlink loop. Selecting or walking into one is an error, so the
//! build never reads outside the project and never silently drops a file that
//! setuptools would have shipped.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// Folder names that are never part of a distribution, at any depth.
const VCS_AND_CACHE_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "CVS",
    "RCS",
    "_darcs",
    "__pycache__",
];

/// Folder names pruned at the top level only (setuptools' `prune_file_list`).
const TOP_LEVEL_PRUNED: &[&str] = &["build", ".venv", ".tox", ".nox"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Absolute path to read the bytes from (symlinks inside the project are
    /// read through).
    pub source: Utf8PathBuf,
    /// Any execute bit set on the file: shipped as 0755, else 0644.
    pub executable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// A symlink whose target is outside the project root.
    Escapes(String),
    /// A symlink whose target does not exist.
    Dangling,
    /// A symlink to one of its own parent folders.
    Loop,
    /// A name that is not valid UTF-8 (shown lossily).
    NonUtf8,
    /// A folder that could not be listed, or an entry whose type could not be read.
    Unreadable(String),
    /// Neither a file, a folder nor a symlink (a socket, a FIFO, a device).
    Special,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File(FileInfo),
    Dir(Dir),
    Blocked(Blocked),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dir {
    pub entries: BTreeMap<String, Node>,
    /// Set when the folder could not be listed; reported if the selection
    /// looks inside it.
    pub unreadable: Option<String>,
}

/// The walked project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub root: Dir,
}

impl Blocked {
    /// Why this entry cannot be shipped, as the end of a sentence naming it.
    pub fn reason(&self) -> String {
        match self {
            Blocked::Escapes(target) => format!(
                "is a symlink to {target}, outside the project; the build does not follow it (replace the link with a copy, or move it out of the selected files)"
            ),
            Blocked::Dangling => "is a symlink to a file that does not exist".to_owned(),
            Blocked::Loop => "is a symlink to one of its own parent folders".to_owned(),
            Blocked::NonUtf8 => {
                "has a name that is not valid UTF-8; archive member names must be UTF-8 (rename it)"
                    .to_owned()
            }
            Blocked::Unreadable(err) => format!("cannot be read: {err}"),
            Blocked::Special => {
                "is not a regular file (a socket, FIFO or device); only files can ship".to_owned()
            }
        }
    }
}

impl Tree {
    /// Walk `root` (a project folder). `skip` lists extra top-level-relative
    /// folders to leave out (such as the output folder).
    pub fn walk(root: &Utf8Path, skip: &[Utf8PathBuf]) -> Result<Tree> {
        let canonical = fs::canonicalize(root)
            .with_context(|| format!("cannot open the project folder {root}"))?;
        let mut walker = Walker {
            canonical_root: canonical.clone(),
            skip,
            stack: vec![canonical],
        };
        let dir = walker.dir(root.as_std_path(), Utf8Path::new(""), true)?;
        Ok(Tree { root: dir })
    }

    /// Build a tree from `(relative path, executable)` pairs; the sources are
    /// fake. For unit tests of the selection.
    #[cfg(test)]
    pub fn from_paths(paths: &[&str]) -> Tree {
        let mut root = Dir::default();
        for path in paths {
            let parts: Vec<&str> = path.split('/').collect();
            let mut dir = &mut root;
            for part in &parts[..parts.len() - 1] {
                let node = dir
                    .entries
                    .entry((*part).to_owned())
                    .or_insert_with(|| Node::Dir(Dir::default()));
                dir = match node {
                    Node::Dir(d) => d,
                    _ => panic!("{path}: {part} is not a folder"),
                };
            }
            let name = parts[parts.len() - 1];
            if !name.is_empty() {
                dir.entries.insert(
                    name.to_owned(),
                    Node::File(FileInfo {
                        source: Utf8PathBuf::from(format!("/fake/{path}")),
                        executable: false,
                    }),
                );
            }
        }
        Tree { root }
    }

    /// Insert a blocked entry (unit tests).
    #[cfg(test)]
    pub fn block(&mut self, path: &str, why: Blocked) {
        let parts: Vec<&str> = path.split('/').collect();
        let mut dir = &mut self.root;
        for part in &parts[..parts.len() - 1] {
            let node = dir
                .entries
                .entry((*part).to_owned())
                .or_insert_with(|| Node::Dir(Dir::default()));
            dir = match node {
                Node::Dir(d) => d,
                _ => panic!("not a folder"),
            };
        }
        dir.entries
            .insert(parts[parts.len() - 1].to_owned(), Node::Blocked(why));
    }

    /// The node at a `/`-separated relative path ("" is the root).
    pub fn get(&self, path: &str) -> Option<&Node> {
        let mut dir = &self.root;
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return None;
        }
        for (i, part) in parts.iter().enumerate() {
            let node = dir.entries.get(*part)?;
            if i + 1 == parts.len() {
                return Some(node);
            }
            match node {
                Node::Dir(d) => dir = d,
                _ => return None,
            }
        }
        None
    }

    /// The folder at a relative path ("" or "." is the root).
    pub fn dir(&self, path: &str) -> Option<&Dir> {
        if path.split('/').all(|p| p.is_empty() || p == ".") {
            return Some(&self.root);
        }
        match self.get(path) {
            Some(Node::Dir(d)) => Some(d),
            _ => None,
        }
    }

    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.get(path), Some(Node::File(_)))
    }

    pub fn is_dir(&self, path: &str) -> bool {
        self.dir(path).is_some()
    }

    pub fn file(&self, path: &str) -> Option<&FileInfo> {
        match self.get(path) {
            Some(Node::File(f)) => Some(f),
            _ => None,
        }
    }
}

struct Walker<'a> {
    canonical_root: PathBuf,
    skip: &'a [Utf8PathBuf],
    /// Canonical paths of the folders being walked, to catch symlink loops.
    stack: Vec<PathBuf>,
}

impl Walker<'_> {
    fn dir(&mut self, path: &Path, rel: &Utf8Path, top: bool) -> Result<Dir> {
        let mut dir = Dir::default();
        let reader = match fs::read_dir(path) {
            Ok(reader) => reader,
            Err(err) if top => {
                return Err(err).with_context(|| format!("cannot list {}", path.display()));
            }
            Err(err) => {
                // Reported only if the selection looks inside it.
                dir.unreadable = Some(err.to_string());
                return Ok(dir);
            }
        };
        for entry in reader {
            let entry = entry.with_context(|| format!("cannot list {}", path.display()))?;
            let os_name = entry.file_name();
            let Some(name) = os_name.to_str().map(str::to_owned) else {
                dir.entries.insert(
                    os_name.to_string_lossy().into_owned(),
                    Node::Blocked(Blocked::NonUtf8),
                );
                continue;
            };
            let child_rel = rel.join(&name);
            let full = entry.path();
            let meta = match fs::symlink_metadata(&full) {
                Ok(meta) => meta,
                Err(err) => {
                    // Vanished between listing and stat: nothing to ship.
                    if err.kind() == std::io::ErrorKind::NotFound {
                        continue;
                    }
                    dir.entries
                        .insert(name, Node::Blocked(Blocked::Unreadable(err.to_string())));
                    continue;
                }
            };
            let is_dir_like;
            let node = if meta.file_type().is_symlink() {
                match fs::canonicalize(&full) {
                    Err(_) => {
                        is_dir_like = false;
                        Node::Blocked(Blocked::Dangling)
                    }
                    Ok(target) if !target.starts_with(&self.canonical_root) => {
                        is_dir_like = false;
                        Node::Blocked(Blocked::Escapes(target.display().to_string()))
                    }
                    Ok(target) => match fs::metadata(&target) {
                        Ok(tmeta) if tmeta.is_dir() => {
                            is_dir_like = true;
                            if self.skipped_dir(&name, &child_rel, top) {
                                continue;
                            }
                            if self.stack.contains(&target) {
                                Node::Blocked(Blocked::Loop)
                            } else {
                                self.stack.push(target);
                                let d = self.dir(&full, &child_rel, false)?;
                                self.stack.pop();
                                Node::Dir(d)
                            }
                        }
                        Ok(tmeta) if tmeta.is_file() => {
                            is_dir_like = false;
                            file_node(&full, &tmeta)?
                        }
                        Ok(_) => {
                            is_dir_like = false;
                            Node::Blocked(Blocked::Special)
                        }
                        Err(err) => {
                            is_dir_like = false;
                            Node::Blocked(Blocked::Unreadable(err.to_string()))
                        }
                    },
                }
            } else if meta.is_dir() {
                is_dir_like = true;
                if self.skipped_dir(&name, &child_rel, top) {
                    continue;
                }
                Node::Dir(self.dir(&full, &child_rel, false)?)
            } else if meta.is_file() {
                is_dir_like = false;
                file_node(&full, &meta)?
            } else {
                is_dir_like = false;
                Node::Blocked(Blocked::Special)
            };
            if !is_dir_like && skipped_file(&name) {
                continue;
            }
            dir.entries.insert(name, node);
        }
        Ok(dir)
    }

    fn skipped_dir(&self, name: &str, rel: &Utf8Path, top: bool) -> bool {
        VCS_AND_CACHE_DIRS.contains(&name)
            || name.ends_with(".egg-info")
            || (top && TOP_LEVEL_PRUNED.contains(&name))
            || self.skip.iter().any(|s| s == rel)
    }
}

/// Files that never ship: compiled Python and VCS metadata files.
fn skipped_file(name: &str) -> bool {
    name.ends_with(".pyc") || name.ends_with(".pyo") || name == ".git"
}

fn file_node(full: &Path, meta: &fs::Metadata) -> Result<Node> {
    let source = Utf8PathBuf::from_path_buf(full.to_path_buf())
        .map_err(|p| anyhow::anyhow!("{} is not a UTF-8 path", p.display()))?;
    Ok(Node::File(FileInfo {
        source,
        executable: is_executable(meta),
    }))
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_follow_folders() {
        let tree = Tree::from_paths(&["a/b/c.py", "a/d.txt", "top.txt"]);
        assert!(tree.is_file("a/b/c.py"));
        assert!(tree.is_dir("a/b"));
        assert!(tree.is_dir(""));
        assert!(!tree.is_file("a/b"));
        assert!(tree.get("a/x").is_none());
        assert!(tree.get("top.txt/x").is_none());
    }

    #[test]
    fn skipped_names() {
        assert!(skipped_file("x.pyc"));
        assert!(skipped_file(".git"));
        assert!(!skipped_file(".gitignore"));
    }
}
