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

pub use crate::pydist::pep440::Version;
use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
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

/// Parse a PEP 440 version, accepting exactly what the reference
/// implementation accepts (leading `v`, surrounding whitespace, every
/// spelling the spec normalises) and nothing more.
pub fn parse(text: &str) -> Result<Version, String> {
    text.parse::<Version>()
}

/// A git ref or tag reduced to the version it names: `refs/tags/` is
/// stripped, as is done before handing the rest to the PEP 440 parser (which
/// allows one leading `v`).
pub fn strip_ref(reference: &str) -> &str {
    reference.strip_prefix("refs/tags/").unwrap_or(reference)
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
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
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

/// `path` relative to `root` when it is under it.
pub fn relative(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    path.strip_prefix(root)
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;

    trait Chance {
        /// True with probability `num / den`.
        fn chance(&mut self, num: u64, den: u64) -> bool;
    }

    impl Chance for Rng {
        fn chance(&mut self, num: u64, den: u64) -> bool {
            self.below(den) < num
        }
    }

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
    fn refs_lose_their_prefix_and_at_most_one_v() {
        assert_eq!(strip_ref("refs/tags/v3.5.0rc2"), "v3.5.0rc2");
        assert_eq!(strip_ref("v3.5.0"), "v3.5.0");
        assert_eq!(strip_ref("refs/tags/refs/tags/1"), "refs/tags/1");
        for (text, ok) in [
            ("v3.5.0", true),
            ("V1", true),
            (" v1.0\t", true),
            ("\u{a0}1.0\u{1f}", true),
            ("1.0-RC1.POST2.DEV3+Ab.1", true),
            ("vv1", false),
            ("vV1", false),
            ("v 1.0", false),
            ("v", false),
            ("", false),
            ("1..0", false),
            ("1.0+", false),
            ("1.0\u{200b}", false),
            ("\u{212a}1", false),
        ] {
            assert_eq!(parse(text).is_ok(), ok, "{text:?}");
        }
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
    fn the_tag_is_v_and_the_normalised_version() {
        assert_eq!(tag_name(&v("6.10.0RC1")), "v6.10.0rc1");
    }

    /// A tag as a careless or hostile hand might write it: every PEP 440
    /// part in odd cases and separators, prefixes doubled, junk around.
    fn random_tag(rng: &mut Rng, core: &str) -> String {
        const REFS: &[&str] = &[
            "",
            "",
            "",
            "",
            "",
            "refs/tags/",
            "refs/tags/",
            "refs/tags/",
            "refs/heads/",
            " refs/tags/",
            "refs/tags/refs/tags/",
            "tags/",
        ];
        const VS: &[&str] = &[
            "", "", "", "v", "v", "v", "V", "vv", "vV", "v ", " v", "\tv", "v.", "v-", "\u{a0}v",
        ];
        const JUNK: &[&str] = &[
            "", "", "", "", " ", "\n", "\t", "x", ".", "-", "_", "\u{a0}", "\u{1f}", "\u{200b}",
            "!", ".*", "+", "\u{3000}", "\r\n",
        ];
        let junk = |rng: &mut Rng| if rng.chance(1, 4) { rng.pick(JUNK) } else { "" };
        let (before, after) = (junk(rng), junk(rng));
        format!("{}{}{before}{core}{after}", rng.pick(REFS), rng.pick(VS))
    }

    /// A version core: epoch, release, pre, post, dev, local, each spelled
    /// in one of the ways PEP 440 normalises (or nearly).
    fn random_core(rng: &mut Rng) -> String {
        const NUMS: &[&str] = &["0", "1", "2", "6", "10", "15", "00", "007", "2024"];
        const SEPS: &[&str] = &["", "", "", ".", ".", "-", "-", "_", "_", "..", "+", "~"];
        const PRE: &[&str] = &[
            "a", "A", "alpha", "Alpha", "b", "beta", "BETA", "c", "rc", "RC", "Rc", "pre",
            "preview", "al",
        ];
        const POST: &[&str] = &["post", "POST", "rev", "r", "R", "Post", "pst"];
        const DEV: &[&str] = &["dev", "DEV", "Dev", "devel"];
        const LOCAL: &[&str] = &[
            "+abc",
            "+1.2",
            "+Ab-01_x",
            "+",
            "+a..b",
            "+ubuntu.1",
            "+01",
            "+1",
            "+a+b",
            "+é",
        ];
        let mut core = String::new();
        if rng.chance(1, 8) {
            core.push_str(rng.pick(&["0!", "1!", "01!", "!", "2!"]));
        }
        let parts = 1 + rng.below(4);
        for i in 0..parts {
            if i > 0 {
                core.push('.');
            }
            core.push_str(rng.pick(NUMS));
        }
        if rng.chance(1, 2) {
            core.push_str(rng.pick(SEPS));
            core.push_str(rng.pick(PRE));
            core.push_str(rng.pick(SEPS));
            if rng.chance(3, 4) {
                core.push_str(rng.pick(NUMS));
            }
        }
        if rng.chance(1, 4) {
            if rng.chance(1, 3) {
                core.push('-');
                core.push_str(rng.pick(NUMS));
            } else {
                core.push_str(rng.pick(SEPS));
                core.push_str(rng.pick(POST));
                core.push_str(rng.pick(SEPS));
                if rng.chance(1, 2) {
                    core.push_str(rng.pick(NUMS));
                }
            }
        }
        if rng.chance(1, 4) {
            core.push_str(rng.pick(SEPS));
            core.push_str(rng.pick(DEV));
            if rng.chance(1, 2) {
                core.push_str(rng.pick(NUMS));
            }
        }
        if rng.chance(1, 6) {
            core.push_str(rng.pick(LOCAL));
        }
        core
    }

    /// Our verdict on (tag, version): the tag's validity, the version's,
    /// PEP 440 equality, the tag's normal form, and whether it sorts first.
    fn ours(tag: &str, app: &str) -> (bool, bool, bool, String, bool) {
        let app = parse(app);
        let tag_version = match strip_ref(tag) {
            name if tag.starts_with("refs/heads/") => Err(name.to_owned()),
            name => parse(name),
        };
        let (equal, less) = match (&app, &tag_version) {
            (Ok(app), Ok(t)) => (matches!(check_tag(app, tag), TagCheck::Match(_)), t < app),
            _ => (false, false),
        };
        let normal = tag_version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        (tag_version.is_ok(), app.is_ok(), equal, normal, less)
    }

    const ORACLE: &str = r#"
import json, sys
from packaging.version import InvalidVersion, Version

def parse(text):
    try:
        return Version(text)
    except InvalidVersion:
        return None

for line in sys.stdin:
    tag, app = json.loads(line)
    if tag.startswith("refs/heads/"):
        t = None
    else:
        t = parse(tag[len("refs/tags/"):] if tag.startswith("refs/tags/") else tag)
    a = parse(app)
    both = t is not None and a is not None
    print(json.dumps([t is not None, a is not None, both and t == a, str(t) if t is not None else "", both and t < a]))
"#;

    /// Differential test against `packaging.version.Version`, the reference
    /// implementation, from the development venv: the same verdict on every
    /// one of thousands of generated (tag, version) pairs.
    #[test]
    fn agrees_with_packaging_on_generated_tags() {
        const PAIRS: usize = 6000;
        let mut rng = Rng::new(0x0005_EED4_4000);
        let mut pairs = Vec::with_capacity(PAIRS);
        for _ in 0..PAIRS {
            let core = random_core(&mut rng);
            // Half the tags spell the app's own version, so that matches are common.
            let app = if rng.chance(1, 2) {
                core.clone()
            } else {
                random_core(&mut rng)
            };
            let tag = random_tag(&mut rng, &core);
            pairs.push((tag, app));
        }
        let json: Vec<String> = pairs
            .iter()
            .map(|(t, a)| serde_json::to_string(&[t, a]).unwrap())
            .collect();
        let verdicts: Vec<(bool, bool, bool, String, bool)> =
            crate::util::python::oracle(ORACLE, &json)
                .iter()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        let mut disagreements = Vec::new();
        let (mut matches, mut valid_tags) = (0, 0);
        for ((tag, app), theirs) in pairs.iter().zip(&verdicts) {
            let mine = ours(tag, app);
            matches += usize::from(theirs.2);
            valid_tags += usize::from(theirs.0);
            if mine != *theirs {
                disagreements.push(format!(
                    "tag {tag:?} version {app:?}: packaging {theirs:?}, ours {mine:?}"
                ));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} of {PAIRS} verdicts differ from packaging (tag valid, version valid, equal, normal form, tag < version):\n{}",
            disagreements.len(),
            disagreements[..disagreements.len().min(30)].join("\n")
        );
        // The generator must exercise every verdict, not only rejections.
        assert!(matches > PAIRS / 20, "only {matches} matches");
        assert!(
            valid_tags > PAIRS / 5 && valid_tags < PAIRS * 4 / 5,
            "{valid_tags} valid tags"
        );
    }
}
