//! The three pattern languages setuptools uses, reproduced exactly:
//!
//! - [`fnmatch`]: Python's `fnmatch.fnmatchcase` (package names in
//!   `packages.find`, `exclude-package-data`): `*` matches anything, `/` too.
//! - [`glob`]: Python's `glob.glob(pattern, recursive=True|False)` over the
//!   walked [`Tree`] (package data, license files): wildcards never match
//!   names starting with a dot unless the pattern component does, and `**`
//!   alone in a component matches any depth of non-hidden folders.
//!   [`setuptools_glob`] is setuptools' own copy of it (MANIFEST.in
//!   `include`, `recursive-include`, `graft`), which has no hidden rule.
//! - [`PathPattern`]: setuptools' `translate_pattern` (MANIFEST.in `exclude`,
//!   `recursive-exclude`, `global-*`, `prune`): `*` stops at `/`, a `**`
//!   component spans folders, and hidden names are matched like any other.
//!
//! Walking into or selecting a [`Blocked`](super::tree::Blocked) entry is an
//! error naming it.

use anyhow::{Result, bail};

use super::tree::{Dir, Node, Tree};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// fnmatch `*`: any run of characters.
    Star,
    /// fnmatch `?`: any one character.
    One,
    /// `[...]`: one character of (or, negated, not of) the items.
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
    /// translate_pattern `*`: any run of characters but `/`.
    StarNoSep,
    /// translate_pattern `?`: one character but `/`.
    OneNoSep,
    /// translate_pattern `**/` in the middle: zero or more `name/` segments.
    DirStar,
}

fn match_toks(toks: &[Tok], text: &[char]) -> bool {
    let Some((first, rest)) = toks.split_first() else {
        return text.is_empty();
    };
    match first {
        Tok::Lit(c) => text.first() == Some(c) && match_toks(rest, &text[1..]),
        Tok::One => !text.is_empty() && match_toks(rest, &text[1..]),
        Tok::OneNoSep => text.first().is_some_and(|c| *c != '/') && match_toks(rest, &text[1..]),
        Tok::Class { negated, items } => match text.first() {
            Some(c) => {
                let inside = items.iter().any(|(lo, hi)| lo <= c && c <= hi);
                inside != *negated && match_toks(rest, &text[1..])
            }
            None => false,
        },
        Tok::Star => (0..=text.len()).any(|n| match_toks(rest, &text[n..])),
        Tok::StarNoSep => {
            let limit = text.iter().position(|c| *c == '/').unwrap_or(text.len());
            (0..=limit).any(|n| match_toks(rest, &text[n..]))
        }
        Tok::DirStar => {
            if match_toks(rest, text) {
                return true;
            }
            // Consume one `[^/]+/` segment and try again.
            match text.iter().position(|c| *c == '/') {
                Some(0) | None => false,
                Some(slash) => match_toks(toks, &text[slash + 1..]),
            }
        }
    }
}

/// Parse a `[...]` class starting at `chars[i] == '['`, fnmatch style.
/// Returns the token and the index after `]`, or None for a literal `[`.
fn fnmatch_class(chars: &[char], i: usize) -> Option<(Tok, usize)> {
    let mut j = i + 1;
    if j < chars.len() && chars[j] == '!' {
        j += 1;
    }
    if j < chars.len() && chars[j] == ']' {
        j += 1;
    }
    while j < chars.len() && chars[j] != ']' {
        j += 1;
    }
    if j >= chars.len() {
        return None;
    }
    let mut stuff = &chars[i + 1..j];
    let negated = stuff.first() == Some(&'!');
    if negated {
        stuff = &stuff[1..];
    }
    let mut items = Vec::new();
    let mut k = 0;
    while k < stuff.len() {
        if k + 2 < stuff.len() && stuff[k + 1] == '-' {
            let (lo, hi) = (stuff[k], stuff[k + 2]);
            if lo <= hi {
                items.push((lo, hi));
            }
            k += 3;
        } else {
            items.push((stuff[k], stuff[k]));
            k += 1;
        }
    }
    Some((Tok::Class { negated, items }, j + 1))
}

fn fnmatch_toks(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                toks.push(Tok::One);
                i += 1;
            }
            '[' => match fnmatch_class(&chars, i) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                }
                None => {
                    toks.push(Tok::Lit('['));
                    i += 1;
                }
            },
            c => {
                toks.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    toks
}

/// Python's `fnmatch.fnmatchcase(name, pattern)`.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let text: Vec<char> = name.chars().collect();
    match_toks(&fnmatch_toks(pattern), &text)
}

/// Whether a pattern has glob magic (`*`, `?` or `[`), as Python's `glob.has_magic`.
pub fn has_magic(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// setuptools' `translate_pattern`: a whole-path pattern.
#[derive(Debug, Clone)]
pub struct PathPattern {
    toks: Vec<Tok>,
}

impl PathPattern {
    pub fn new(glob: &str) -> Self {
        let mut toks = Vec::new();
        let chunks: Vec<&str> = glob.split('/').collect();
        for (c, chunk) in chunks.iter().enumerate() {
            let last = c + 1 == chunks.len();
            if *chunk == "**" {
                toks.push(if last { Tok::Star } else { Tok::DirStar });
                continue;
            }
            let chars: Vec<char> = chunk.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                match chars[i] {
                    '*' => toks.push(Tok::StarNoSep),
                    '?' => toks.push(Tok::OneNoSep),
                    '[' => {
                        // setuptools escapes the class body, so ranges are
                        // literal characters; a negated class can match `/`.
                        let mut j = i + 1;
                        if j < chars.len() && chars[j] == '!' {
                            j += 1;
                        }
                        if j < chars.len() && chars[j] == ']' {
                            j += 1;
                        }
                        while j < chars.len() && chars[j] != ']' {
                            j += 1;
                        }
                        if j >= chars.len() {
                            toks.push(Tok::Lit('['));
                        } else {
                            let mut inner = &chars[i + 1..j];
                            let negated = inner.first() == Some(&'!');
                            if negated {
                                inner = &inner[1..];
                            }
                            let items = inner.iter().map(|c| (*c, *c)).collect();
                            toks.push(Tok::Class { negated, items });
                            i = j;
                        }
                    }
                    c => toks.push(Tok::Lit(c)),
                }
                i += 1;
            }
            if !last {
                toks.push(Tok::Lit('/'));
            }
        }
        PathPattern { toks }
    }

    pub fn matches(&self, path: &str) -> bool {
        let text: Vec<char> = path.chars().collect();
        match_toks(&self.toks, &text)
    }
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// Python's `os.path.split` for `/`-separated paths.
pub fn psplit(p: &str) -> (&str, &str) {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = (&p[..i], &p[i..]);
    let trimmed = head.trim_end_matches('/');
    if trimmed.is_empty() {
        (head, tail)
    } else {
        (trimmed, tail)
    }
}

/// Python's `os.path.join(a, b)` for a relative `b`.
pub fn pjoin(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// The tree path of a path as Python spells it: without empty or `.`
/// components. `..` and absolute paths are errors: nothing outside the
/// project ships.
pub fn norm(raw: &str) -> Result<String> {
    if raw.starts_with('/') {
        bail!("{raw:?} is an absolute path; paths and patterns are relative to the project");
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                bail!("{raw:?} leaves its folder with `..`; only files inside the project can ship")
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Python's `glob.escape`: wrap magic characters so they match literally.
pub fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// The node at a tree path, erroring when the way there crosses a blocked entry.
fn lookup<'t>(tree: &'t Tree, path: &str) -> Result<Option<&'t Node>> {
    let (parent, name) = match path.rsplit_once('/') {
        Some((p, n)) => (p, n),
        None => ("", path),
    };
    if name.is_empty() {
        return Ok(None);
    }
    let Some(dir) = lookup_dir(tree, parent)? else {
        return Ok(None);
    };
    Ok(dir.entries.get(name))
}

/// The folder at a tree path, erroring when the way there crosses a blocked entry.
fn lookup_dir<'t>(tree: &'t Tree, path: &str) -> Result<Option<&'t Dir>> {
    let mut dir = &tree.root;
    let mut walked = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        walked = pjoin(&walked, part);
        match dir.entries.get(part) {
            None | Some(Node::File(_)) => return Ok(None),
            Some(Node::Dir(d)) => dir = d,
            Some(Node::Blocked(b)) => bail!("{walked} {}", b.reason()),
        }
    }
    Ok(Some(dir))
}

fn listable<'t>(tree: &'t Tree, path: &str) -> Result<Option<&'t Dir>> {
    let dir = lookup_dir(tree, path)?;
    if let Some(err) = dir.and_then(|d| d.unreadable.as_ref()) {
        let shown = if path.is_empty() {
            "the project folder"
        } else {
            path
        };
        bail!("{shown} cannot be listed: {err}");
    }
    Ok(dir)
}

/// Python's `glob.glob(pattern, recursive=...)` on the tree. Paths are
/// spelled as Python builds them (a `./` in the pattern stays), names within
/// a folder come sorted; a `**` also yields its own folder, with a trailing
/// `/` (callers keep files only).
pub fn glob(tree: &Tree, pattern: &str, recursive: bool) -> Result<Vec<String>> {
    norm(pattern)?;
    let mut out = Vec::new();
    iglob(tree, pattern, recursive, false, true, &mut out)?;
    Ok(out)
}

/// `setuptools.glob.glob` (MANIFEST.in `include`, `recursive-include`,
/// `graft`): Python's glob without its hidden-name rule, so `*` and `**`
/// also match names that start with a dot.
pub fn setuptools_glob(tree: &Tree, pattern: &str, recursive: bool) -> Result<Vec<String>> {
    norm(pattern)?;
    let mut out = Vec::new();
    iglob(tree, pattern, recursive, false, false, &mut out)?;
    Ok(out)
}

fn iglob(
    tree: &Tree,
    pathname: &str,
    recursive: bool,
    dironly: bool,
    hides: bool,
    out: &mut Vec<String>,
) -> Result<()> {
    let (dirname, basename) = psplit(pathname);
    if !has_magic(pathname) {
        if !basename.is_empty() {
            match lookup(tree, &norm(pathname)?)? {
                None => {}
                Some(Node::Blocked(b)) => bail!("{pathname} {}", b.reason()),
                Some(node) if !dironly || matches!(node, Node::Dir(_)) => {
                    out.push(pathname.to_owned());
                }
                Some(_) => {}
            }
        } else if lookup_dir(tree, &norm(dirname)?)?.is_some() {
            out.push(pathname.to_owned());
        }
        return Ok(());
    }
    if dirname.is_empty() {
        if recursive && basename == "**" {
            glob2(tree, "", dironly, hides, out)?;
        } else {
            glob1(tree, "", basename, dironly, hides, out)?;
        }
        return Ok(());
    }
    let mut dirs = Vec::new();
    if dirname != pathname && has_magic(dirname) {
        iglob(tree, dirname, recursive, true, hides, &mut dirs)?;
    } else {
        dirs.push(dirname.to_owned());
    }
    for dir in dirs {
        let mut names = Vec::new();
        if has_magic(basename) {
            if recursive && basename == "**" {
                glob2(tree, &dir, dironly, hides, &mut names)?;
            } else {
                glob1(tree, &dir, basename, dironly, hides, &mut names)?;
            }
        } else {
            let path = pjoin(&dir, basename);
            match lookup(tree, &norm(&path)?)? {
                None => {}
                Some(Node::Blocked(b)) => bail!("{path} {}", b.reason()),
                Some(node) if !dironly || matches!(node, Node::Dir(_)) => {
                    names.push(basename.to_owned());
                }
                Some(_) => {}
            }
        }
        for name in names {
            out.push(pjoin(&dir, &name));
        }
    }
    Ok(())
}

fn glob1(
    tree: &Tree,
    dir: &str,
    pattern: &str,
    dironly: bool,
    hides: bool,
    out: &mut Vec<String>,
) -> Result<()> {
    let Some(d) = listable(tree, &norm(dir)?)? else {
        return Ok(());
    };
    let toks = fnmatch_toks(pattern);
    for (name, node) in &d.entries {
        if hides && is_hidden(name) && !is_hidden(pattern) {
            continue;
        }
        let chars: Vec<char> = name.chars().collect();
        if !match_toks(&toks, &chars) {
            continue;
        }
        match node {
            Node::Blocked(b) => bail!("{} {}", pjoin(dir, name), b.reason()),
            Node::File(_) if dironly => {}
            _ => out.push(name.clone()),
        }
    }
    Ok(())
}

fn glob2(tree: &Tree, dir: &str, dironly: bool, hides: bool, out: &mut Vec<String>) -> Result<()> {
    let Some(d) = listable(tree, &norm(dir)?)? else {
        return Ok(());
    };
    out.push(String::new());
    rlistdir(d, dir, "", dironly, hides, out)
}

fn rlistdir(
    d: &Dir,
    base: &str,
    rel: &str,
    dironly: bool,
    hides: bool,
    out: &mut Vec<String>,
) -> Result<()> {
    if let Some(err) = &d.unreadable {
        bail!("{} cannot be listed: {err}", pjoin(base, rel));
    }
    for (name, node) in &d.entries {
        if hides && is_hidden(name) {
            continue;
        }
        let path = pjoin(rel, name);
        match node {
            Node::Blocked(b) => bail!("{} {}", pjoin(base, &path), b.reason()),
            Node::File(_) => {
                if !dironly {
                    out.push(path);
                }
            }
            Node::Dir(sub) => {
                out.push(path.clone());
                rlistdir(sub, base, &path, dironly, hides, out)?;
            }
        }
    }
    Ok(())
}

/// distutils' `findall(dir)`: every file under `dir`, hidden ones too, spelled
/// `dir/...` (no prefix for `.`). Blocked entries are errors.
pub fn findall(tree: &Tree, dir: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let Some(d) = listable(tree, &norm(dir)?)? else {
        return Ok(out);
    };
    fn walk(d: &Dir, prefix: &str, out: &mut Vec<String>) -> Result<()> {
        if let Some(err) = &d.unreadable {
            bail!("{prefix} cannot be listed: {err}");
        }
        for (name, node) in &d.entries {
            let path = pjoin(prefix, name);
            match node {
                Node::File(_) => out.push(path),
                Node::Dir(sub) => walk(sub, &path, out)?,
                Node::Blocked(b) => bail!("{path} {}", b.reason()),
            }
        }
        Ok(())
    }
    let prefix = if dir == "." || dir.is_empty() {
        ""
    } else {
        dir
    };
    walk(d, prefix, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tree::Blocked;
    use super::*;

    #[test]
    fn fnmatch_is_pythons() {
        assert!(fnmatch("invokeai", "invokeai*"));
        assert!(fnmatch("invokeai.app", "invokeai.*"));
        assert!(!fnmatch("invokeai", "invokeai.*"));
        assert!(fnmatch("a/b/c.txt", "a/*.txt"), "fnmatch's * crosses /");
        assert!(fnmatch("x1", "x[0-9]"));
        assert!(!fnmatch("xa", "x[0-9]"));
        assert!(fnmatch("xa", "x[!0-9]"));
        assert!(fnmatch("x[", "x["), "an unclosed [ is literal");
        assert!(fnmatch("]", "[]]"));
        assert!(fnmatch("a?c", "a[?]c"));
        assert!(!fnmatch("Abc", "abc"), "case-sensitive");
        assert!(fnmatch(".hidden", "*"), "fnmatch itself has no hidden rule");
    }

    #[test]
    fn translate_pattern_is_setuptools() {
        let p = PathPattern::new("*.txt");
        assert!(p.matches("a.txt"));
        assert!(p.matches(".a.txt"), "no hidden rule");
        assert!(!p.matches("d/a.txt"), "* stops at /");
        let p = PathPattern::new("**/*.txt");
        assert!(p.matches("a.txt"));
        assert!(p.matches("d/e/a.txt"));
        let p = PathPattern::new("docs/**");
        assert!(p.matches("docs/a/b"));
        assert!(!p.matches("docsx/a"));
        let p = PathPattern::new("tests/**/*.py");
        assert!(p.matches("tests/a.py"));
        assert!(p.matches("tests/x/y/a.py"));
        assert!(!p.matches("tests//a.py"));
        let p = PathPattern::new("x[a-c]");
        assert!(
            p.matches("x-"),
            "ranges are literal characters in setuptools"
        );
        assert!(!p.matches("xb"));
    }

    fn paths(hits: Vec<String>) -> Vec<String> {
        hits
    }

    fn sample() -> Tree {
        Tree::from_paths(&[
            "pkg/__init__.py",
            "pkg/.hidden.py",
            "pkg/data/a.json",
            "pkg/data/sub/b.json",
            "pkg/data/.secret/c.json",
            "pkg/.cfg/d.json",
            "README.md",
        ])
    }

    #[test]
    fn setuptools_glob_has_no_hidden_rule() {
        let tree = sample();
        assert_eq!(
            paths(setuptools_glob(&tree, "pkg/*.py", false).unwrap()),
            ["pkg/.hidden.py", "pkg/__init__.py"]
        );
    }

    #[test]
    fn glob_hides_dot_names_from_wildcards() {
        let tree = sample();
        assert_eq!(
            paths(glob(&tree, "pkg/*.py", false).unwrap()),
            ["pkg/__init__.py"]
        );
        assert_eq!(
            paths(glob(&tree, "pkg/.*.py", false).unwrap()),
            ["pkg/.hidden.py"]
        );
        assert_eq!(
            paths(glob(&tree, "pkg/data/**", true).unwrap()),
            [
                "pkg/data/",
                "pkg/data/a.json",
                "pkg/data/sub",
                "pkg/data/sub/b.json"
            ]
        );
        assert_eq!(
            paths(glob(&tree, "pkg/**/*.json", true).unwrap()),
            ["pkg/data/a.json", "pkg/data/sub/b.json"]
        );
        // Without recursive, ** is a plain *.
        assert_eq!(
            paths(glob(&tree, "pkg/**/*.json", false).unwrap()),
            ["pkg/data/a.json"]
        );
        assert_eq!(
            paths(glob(&tree, "pkg/.cfg/d.json", false).unwrap()),
            ["pkg/.cfg/d.json"]
        );
        assert_eq!(
            paths(glob(&tree, "./README.md", false).unwrap()),
            ["./README.md"]
        );
        assert_eq!(
            paths(glob(&tree, "./*.md", false).unwrap()),
            ["./README.md"]
        );
        assert_eq!(paths(glob(&tree, "*.md", false).unwrap()), ["README.md"]);
        assert!(glob(&tree, "missing/*", true).unwrap().is_empty());
    }

    #[test]
    fn glob_refuses_to_leave_the_project() {
        let tree = sample();
        assert!(glob(&tree, "../x", false).is_err());
        assert!(glob(&tree, "/etc/passwd", false).is_err());
    }

    #[test]
    fn blocked_entries_are_errors_only_when_touched() {
        let mut tree = sample();
        tree.block("pkg/data/link", Blocked::Escapes("/etc".into()));
        tree.block("other/link", Blocked::Escapes("/etc".into()));
        let err = glob(&tree, "pkg/data/**", true).unwrap_err().to_string();
        assert!(err.contains("pkg/data/link is a symlink to /etc"), "{err}");
        assert!(glob(&tree, "pkg/data/*.json", true).is_ok());
        // `**` would walk into the linked folder: refused too.
        assert!(glob(&tree, "pkg/**/*.py", true).is_err());
        assert!(glob(&tree, "pkg/*.py", true).is_ok());
        assert!(findall(&tree, "other").is_err());
        assert!(findall(&tree, "pkg").is_err());
        assert_eq!(
            findall(&tree, "pkg/data/sub").unwrap(),
            ["pkg/data/sub/b.json"]
        );
    }

    #[test]
    fn findall_includes_hidden_files() {
        let tree = sample();
        let all = findall(&tree, "pkg/data").unwrap();
        assert_eq!(
            all,
            [
                "pkg/data/.secret/c.json",
                "pkg/data/a.json",
                "pkg/data/sub/b.json"
            ]
        );
    }
}
