//! The app's version, from its one source of truth, and the names a release
//! takes from it.
//!
//! The version lives in `python/invokeai/version/invokeai_version.py` as
//! `__version__ = "..."`. It is found with the rule the widely used
//! version-check action applies (the first line matching
//! `(?i)^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2`) and parsed as
//! PEP 440. Everything else here is pure: ref stripping, PEP 440 equality,
//! pre-release detection, `major.minor`, the tag name and the artifact file
//! names.

use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
pub use pep440_rs::Version;
use regex::Regex;

use crate::paths::Layout;

/// The version read from the version file, with where it was found.
#[derive(Debug, Clone)]
pub struct AppVersion {
    /// As written in the file (without quotes and leading `v`).
    pub raw: String,
    pub version: Version,
    /// The version file, relative to the repository root when possible.
    pub file: Utf8PathBuf,
    /// 1-based line of the assignment.
    pub line: usize,
}

impl AppVersion {
    /// The normalised version, e.g. `6.10.0rc1`.
    pub fn normalized(&self) -> String {
        self.version.to_string()
    }

    /// `file:line`, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Read and parse the app's version from `layout`'s version file.
pub fn read(layout: &Layout) -> Result<AppVersion> {
    let path = layout.version_file();
    let shown = relative(&layout.root, &path);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the version file {path}; is --repo pointing at a checkout of this project?"
        )
    })?;
    from_text(&text, shown)
}

/// Find and parse the version in the version file's text (`file` names it in errors).
pub fn from_text(text: &str, file: Utf8PathBuf) -> Result<AppVersion> {
    let Some((line, raw)) = find_assignment(text) else {
        bail!(
            "{file}: no line like `__version__ = \"1.2.3\"`; put the app's version there, e.g. `__version__ = \"6.10.0\"`"
        );
    };
    let version = parse(raw).map_err(|why| {
        anyhow::anyhow!(
            "{file}:{line}: `{raw}` is not a PEP 440 version ({why}); write a version such as 6.10.0, 6.10.0rc1 or 6.10.0.post1"
        )
    })?;
    Ok(AppVersion {
        raw: raw.to_owned(),
        version,
        file,
        line,
    })
}

fn version_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Rust's regex has no back-references, so `(['"])...\2` is spelled as two
    // alternatives with the same lazy body; the case-insensitive parts are
    // ASCII-only, which is all they need to be.
    RE.get_or_init(|| {
        Regex::new(
            r#"^(?i-u:__version__|version) *= *(?:'[vV]?(?P<single>.+?)'|"[vV]?(?P<double>.+?)")"#,
        )
        .expect("the version-line pattern is valid")
    })
}

/// The first line assigning `__version__` (or `VERSION`): its 1-based number
/// and the quoted value without a leading `v`.
pub fn find_assignment(text: &str) -> Option<(usize, &str)> {
    text.lines().enumerate().find_map(|(index, line)| {
        let caps = version_line().captures(line)?;
        let value = caps.name("single").or_else(|| caps.name("double"))?;
        Some((index + 1, value.as_str()))
    })
}

/// Parse a PEP 440 version, accepting every spelling the spec normalises.
pub fn parse(text: &str) -> Result<Version, String> {
    text.parse::<Version>().map_err(|err| err.to_string())
}

/// A git ref or tag reduced to the version it names: `refs/tags/` and then
/// one leading `v` are stripped (`refs/tags/v1.2.3` and `v1.2.3` give `1.2.3`).
pub fn strip_ref(reference: &str) -> &str {
    let name = reference.trim();
    let name = name.strip_prefix("refs/tags/").unwrap_or(name);
    name.strip_prefix(['v', 'V']).unwrap_or(name)
}

/// How a release ref compares with the app's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagCheck {
    /// PEP 440 equal.
    Match(Version),
    /// A version, but another one.
    Mismatch(Version),
    /// Not a version at all; the reason says why.
    NotAVersion(String),
}

/// Compare a ref (`refs/tags/v1.2.3`, `v1.2.3`, `1.2.3`) with the app's
/// version by PEP 440 equality.
pub fn check_tag(app: &Version, reference: &str) -> TagCheck {
    if let Some(branch) = reference.trim().strip_prefix("refs/heads/") {
        return TagCheck::NotAVersion(format!(
            "it is the branch `{branch}`, not a tag; release runs start from a tag v<version>"
        ));
    }
    match parse(strip_ref(reference)) {
        Ok(tag) if &tag == app => TagCheck::Match(tag),
        Ok(tag) => TagCheck::Mismatch(tag),
        Err(why) => TagCheck::NotAVersion(why),
    }
}

/// Dev, alpha, beta and release-candidate versions are pre-releases.
pub fn is_prerelease(version: &Version) -> bool {
    version.any_prerelease()
}

/// `major.minor` of the release segment (the epoch is left out; a missing
/// minor is 0): `6.10.0rc1` gives `6.10`.
pub fn major_minor(version: &Version) -> String {
    let release = version.release();
    let major = release.first().copied().unwrap_or(0);
    let minor = release.get(1).copied().unwrap_or(0);
    format!("{major}.{minor}")
}

/// The release tag for a version: `v` and the normalised version.
pub fn tag_name(version: &Version) -> String {
    format!("v{version}")
}

/// The version file and the dist builder must agree on the version: the
/// builder writes it into the artifacts, the file is what the tag is checked
/// against.
#[allow(dead_code)]
pub fn ensure_agrees(version_file: &AppVersion, builder: &Version) -> Result<()> {
    if &version_file.version == builder {
        return Ok(());
    }
    bail!(
        "the version file {} says {} but the dist builder reads {builder} from pyproject.toml; make the dynamic version in python/pyproject.toml point at the version file, or fix whichever is wrong",
        version_file.location(),
        version_file.version
    )
}

/// The project's name, from `[project] name` in `layout`'s pyproject.toml.
pub fn project_name(layout: &Layout) -> Result<String> {
    let path = layout.pyproject();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path} (for the project's name)"))?;
    project_name_from(&text, &relative(&layout.root, &path))
}

/// `[project] name` of a pyproject.toml's text (`file` names it in errors).
pub fn project_name_from(text: &str, file: &Utf8Path) -> Result<String> {
    let doc = toml_edit::Document::parse(text).map_err(|err| {
        let (line, col) = err
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or((1, 1));
        anyhow::anyhow!("{file}:{line}:{col}: {}", err.message().trim_end())
    })?;
    let name = doc
        .as_table()
        .get("project")
        .and_then(|project| project.get("name"))
        .with_context(|| format!("{file}: no `name` in [project]; add `name = \"InvokeAI\"`"))?;
    let name = name
        .as_str()
        .with_context(|| format!("{file}: [project] name must be a string"))?;
    if !is_valid_project_name(name) {
        bail!(
            "{file}: [project] name `{name}` is not a valid distribution name (letters, digits, `-`, `_`, `.`; starting and ending with a letter or digit)"
        );
    }
    Ok(name.to_owned())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn is_valid_project_name(name: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ends_ok(name.chars().next())
        && ends_ok(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` become one `-`
/// (`InvokeAI` and `invoke_ai` are `invokeai` and `invoke-ai`).
pub fn normalize_name(name: &str) -> String {
    collapse_separators(name, '-')
}

/// The name as it appears in wheel and sdist file names: PEP 503 normalised,
/// with `_` for the separators.
pub fn escape_dist_name(name: &str) -> String {
    collapse_separators(name, '_')
}

fn collapse_separators(name: &str, with: char) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push(with);
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// The file names the build uploads to a package index: the wheel and the sdist.
pub fn artifact_names(project: &str, version: &Version) -> Vec<String> {
    let name = escape_dist_name(project);
    vec![
        format!("{name}-{version}-py3-none-any.whl"),
        format!("{name}-{version}.tar.gz"),
    ]
}

/// The installer zip the build attaches to the GitHub release.
pub fn installer_zip_name(version: &Version) -> String {
    format!("InvokeAI-installer-{}.zip", tag_name(version))
}

/// `path` relative to `root` when it is under it.
pub fn relative(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    path.strip_prefix(root)
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        parse(text).unwrap()
    }

    #[test]
    fn finds_the_assignment_like_the_version_check_action() {
        assert_eq!(
            find_assignment("__version__ = \"6.10.0rc1\"\n"),
            Some((1, "6.10.0rc1"))
        );
        assert_eq!(
            find_assignment("# comment\n__version__='v1.2'\n"),
            Some((2, "1.2"))
        );
        assert_eq!(find_assignment("VERSION  =  \"2.0\""), Some((1, "2.0")));
        assert_eq!(find_assignment("__VERSION__ = 'V3.0'"), Some((1, "3.0")));
        // The closing quote must be the opening one; the match is lazy.
        assert_eq!(
            find_assignment("__version__ = \"1.0\" # 'x'"),
            Some((1, "1.0"))
        );
        assert_eq!(
            find_assignment("__version__ = '1.0\"x'"),
            Some((1, "1.0\"x"))
        );
        // Only at the start of a line, and the first one wins.
        assert_eq!(find_assignment("    __version__ = \"9\"\n"), None);
        assert_eq!(
            find_assignment("__version__ = \"1\"\n__version__ = \"2\"\n"),
            Some((1, "1"))
        );
        assert_eq!(find_assignment("__version__ = \"\"\n"), None);
        assert_eq!(find_assignment("__version__ = 1.0\n"), None);
        assert_eq!(find_assignment("my__version__ = \"1\"\n"), None);
        // `v` alone is the value itself (the optional `v` gives way).
        assert_eq!(find_assignment("__version__ = \"v\""), Some((1, "v")));
    }

    #[test]
    fn a_bad_version_file_names_the_file_and_the_way_out() {
        let err = from_text("__version__ = \"banana\"\n", "ver.py".into()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("ver.py:1"), "{msg}");
        assert!(msg.contains("not a PEP 440 version"), "{msg}");
        let err = from_text("x = 1\n", "ver.py".into()).unwrap_err();
        assert!(format!("{err:#}").contains("no line like"));
        let ok = from_text("__version__ = \"6.10.0RC1\"\n", "ver.py".into()).unwrap();
        assert_eq!(ok.normalized(), "6.10.0rc1");
        assert_eq!(ok.raw, "6.10.0RC1");
        assert_eq!(ok.location(), "ver.py:1");
    }

    #[test]
    fn refs_lose_their_prefix_and_one_v() {
        assert_eq!(strip_ref("refs/tags/v3.5.0rc2"), "3.5.0rc2");
        assert_eq!(strip_ref("v3.5.0"), "3.5.0");
        assert_eq!(strip_ref("3.5.0"), "3.5.0");
        assert_eq!(strip_ref("V1"), "1");
        assert_eq!(strip_ref("vv1"), "v1");
        assert_eq!(strip_ref(" refs/tags/1.0 "), "1.0");
    }

    #[test]
    fn tags_compare_by_pep440_equality() {
        let app = v("3.5.0rc2");
        for same in [
            "v3.5.0rc2",
            "3.5.0rc2",
            "v3.5.0RC2",
            "3.5.0-rc2",
            "refs/tags/v3.5.0.rc2",
            "v3.5.0c2",
        ] {
            assert_eq!(
                check_tag(&app, same),
                TagCheck::Match(app.clone()),
                "{same}"
            );
        }
        assert_eq!(
            check_tag(&app, "v3.5.0rc3"),
            TagCheck::Mismatch(v("3.5.0rc3"))
        );
        assert!(matches!(
            check_tag(&app, "banana-sushi"),
            TagCheck::NotAVersion(_)
        ));
        let branch = check_tag(&app, "refs/heads/main");
        assert!(
            matches!(&branch, TagCheck::NotAVersion(why) if why.contains("branch `main`")),
            "{branch:?}"
        );
        // Trailing zeros do not matter to PEP 440; local labels do.
        assert_eq!(check_tag(&v("1.0"), "v1.0.0"), TagCheck::Match(v("1.0")));
        assert_eq!(
            check_tag(&v("1.0"), "v1.0+local"),
            TagCheck::Mismatch(v("1.0+local"))
        );
    }

    #[test]
    fn prereleases_are_dev_alpha_beta_rc() {
        for pre in [
            "1.0.dev0",
            "1.0a1",
            "1.0b2",
            "1.0rc1",
            "1.0.post1.dev2",
            "1.0rc1.post1",
        ] {
            assert!(is_prerelease(&v(pre)), "{pre}");
        }
        for stable in ["1.0", "1.0.post1", "1!1.0", "1.0+local"] {
            assert!(!is_prerelease(&v(stable)), "{stable}");
        }
    }

    #[test]
    fn major_minor_takes_the_release_segment() {
        assert_eq!(major_minor(&v("6.10.0rc1")), "6.10");
        assert_eq!(major_minor(&v("7")), "7.0");
        assert_eq!(major_minor(&v("1!2.3.4")), "2.3");
        assert_eq!(major_minor(&v("2024.1.post3")), "2024.1");
    }

    #[test]
    fn tag_and_artifact_names_use_the_normalised_version() {
        let ver = v("6.10.0RC1");
        assert_eq!(tag_name(&ver), "v6.10.0rc1");
        assert_eq!(
            artifact_names("InvokeAI", &ver),
            [
                "invokeai-6.10.0rc1-py3-none-any.whl",
                "invokeai-6.10.0rc1.tar.gz"
            ]
        );
        assert_eq!(
            artifact_names("Invoke.-AI", &v("1.0")),
            ["invoke_ai-1.0-py3-none-any.whl", "invoke_ai-1.0.tar.gz"]
        );
        assert_eq!(
            installer_zip_name(&ver),
            "InvokeAI-installer-v6.10.0rc1.zip"
        );
    }

    #[test]
    fn names_normalise_per_pep503() {
        assert_eq!(normalize_name("InvokeAI"), "invokeai");
        assert_eq!(normalize_name("Invoke_AI"), "invoke-ai");
        assert_eq!(normalize_name("invoke.-_ai"), "invoke-ai");
        assert_eq!(escape_dist_name("Invoke-AI"), "invoke_ai");
    }

    #[test]
    fn the_version_file_and_the_builder_must_agree() {
        let file = from_text("__version__ = \"6.10.0rc1\"\n", "ver.py".into()).unwrap();
        ensure_agrees(&file, &v("6.10.0RC1")).unwrap();
        ensure_agrees(&file, &v("6.10.0.0rc1")).unwrap();
        let err = ensure_agrees(&file, &v("6.10.0rc2")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("ver.py:1 says 6.10.0rc1"), "{msg}");
        assert!(msg.contains("reads 6.10.0rc2"), "{msg}");
    }

    #[test]
    fn project_name_comes_from_pyproject() {
        let file = Utf8Path::new("python/pyproject.toml");
        assert_eq!(
            project_name_from("[project]\nname = \"InvokeAI\"\n", file).unwrap(),
            "InvokeAI"
        );
        let err = project_name_from("[project]\nversion = \"1\"\n", file).unwrap_err();
        assert!(format!("{err:#}").contains("no `name` in [project]"));
        let err = project_name_from("[project]\nname = \"a b\"\n", file).unwrap_err();
        assert!(format!("{err:#}").contains("not a valid distribution name"));
        let err = project_name_from("[project]\nname = \n", file).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.starts_with("python/pyproject.toml:2:"), "{msg}");
    }
}
