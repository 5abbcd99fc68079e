//! The build-requirement policy: which of `[build-system] requires` (and
//! setup.cfg's `setup_requires`) leave what setuptools builds unchanged,
//! which change it in a way this builder does not reproduce, and which a
//! maintainer vouched for with `--allow-build-requires`.

use super::names;

/// What this builder makes of a build requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Its presence does not change what setuptools builds.
    Harmless,
    /// It changes what gets built in a way this builder does not reproduce.
    Refused,
}

/// The build-requirement policy, one row per package (PEP 503 name) with
/// the reason. A requirement not listed here is refused as unknown unless a
/// maintainer vouches for it with `--allow-build-requires NAME`.
pub const BUILD_REQUIRES: &[(&str, Verdict, &str)] = &[
    (
        "setuptools",
        Verdict::Harmless,
        "the backend this builder reproduces",
    ),
    (
        "wheel",
        Verdict::Harmless,
        "setuptools' wheel support before 70.1; builds nothing by itself",
    ),
    (
        "pip",
        Verdict::Harmless,
        "an installer; setuptools never uses it while building",
    ),
    (
        "setuptools-scm",
        Verdict::Refused,
        "a setuptools plugin: takes the version and the sdist's file list from git",
    ),
    (
        "setuptools-git-versioning",
        Verdict::Refused,
        "a setuptools plugin: takes the version from git",
    ),
    (
        "setuptools-rust",
        Verdict::Refused,
        "builds Rust extension modules",
    ),
    (
        "versioneer",
        Verdict::Refused,
        "writes the version into the build from git",
    ),
    ("cython", Verdict::Refused, "builds extension modules"),
    ("cffi", Verdict::Refused, "builds extension modules"),
    ("pybind11", Verdict::Refused, "builds extension modules"),
    (
        "numpy",
        Verdict::Refused,
        "its headers serve extension modules",
    ),
];

/// What becomes of one build requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Judgement {
    Harmless,
    /// Accepted because `--allow-build-requires` names it (PEP 503 name).
    Vouched(String),
    /// Refused, with the policy's reason.
    Refused(&'static str),
    /// Not in the policy, nor vouched for (PEP 503 name).
    Unknown(String),
}

/// Judge a requirement (`name[extras] spec ; marker`) by its name: the
/// policy's harmless rows pass, a name vouched for passes, and the rest is
/// refused, as known or unknown.
pub(super) fn judge(requirement: &str, allowed: &[String]) -> Judgement {
    let name: String = requirement
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    let canonical = names::canonicalize(&name);
    let row = BUILD_REQUIRES.iter().find(|(n, _, _)| *n == canonical);
    match row {
        Some((_, Verdict::Harmless, _)) => Judgement::Harmless,
        _ if allowed.iter().any(|a| names::canonicalize(a) == canonical) => {
            Judgement::Vouched(canonical)
        }
        Some((_, Verdict::Refused, why)) => Judgement::Refused(why),
        None => Judgement::Unknown(canonical),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_are_judged_by_their_name() {
        let allowed = ["My_Plugin".to_owned(), "cython".to_owned()];
        assert_eq!(judge(" wheel>=0.40", &allowed), Judgement::Harmless);
        assert_eq!(
            judge("my.plugin[x] ; python_version>'3'", &allowed),
            Judgement::Vouched("my-plugin".into())
        );
        assert_eq!(
            judge("Cython>=3", &allowed),
            Judgement::Vouched("cython".into())
        );
        assert_eq!(
            judge("setuptools_scm>=8", &[]),
            Judgement::Refused(
                "a setuptools plugin: takes the version and the sdist's file list from git"
            )
        );
        assert_eq!(
            judge("hatchling", &[]),
            Judgement::Unknown("hatchling".into())
        );
    }
}
