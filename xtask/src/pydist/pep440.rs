//! PEP 440 versions, read as the reference implementation reads them
//! (`packaging.version.Version`): surrounding whitespace in Python's sense,
//! at most one leading `v`, every spelling the spec normalises, letters in
//! any ASCII case, and nothing more. Equality is PEP 440's (trailing zeros
//! of the release do not count, local labels do); the text form is the
//! normal form (`1.0-RC.1` is `1.0rc1`). Differential tests run packaging
//! itself on thousands of generated versions and tags.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::util::python;

/// A pre-release phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pre {
    Alpha,
    Beta,
    Rc,
}

/// One dot-separated part of a local label: numbers compare as numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Local {
    Number(u64),
    Text(String),
}

/// A parsed, normalised PEP 440 version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(Pre, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<Local>,
}

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let space = format!("[{}]", python::SPACE_CLASS);
        let version = r"(?i-u:
            (?:(?P<epoch>[0-9]+)!)?
            (?P<release>[0-9]+(?:\.[0-9]+)*)
            (?:[._-]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[._-]?(?P<pre_n>[0-9]+)?)?
            (?:-(?P<post_n1>[0-9]+)|[._-]?(?P<post_l>post|rev|r)[._-]?(?P<post_n2>[0-9]+)?)?
            (?:[._-]?(?P<dev_l>dev)[._-]?(?P<dev_n>[0-9]+)?)?
            (?:\+(?P<local>[a-z0-9]+(?:[._-][a-z0-9]+)*))?
        )";
        Regex::new(&format!(r"(?x)\A{space}*[vV]?{version}{space}*\z"))
            .expect("the PEP 440 pattern is valid")
    })
}

fn number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("the number {text} is too large"))
}

fn optional_number(caps: &Captures<'_>, name: &str) -> Result<Option<u64>, String> {
    caps.name(name).map(|m| number(m.as_str())).transpose()
}

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Version, String> {
        let Some(caps) = pattern().captures(text) else {
            return Err(format!(
                "{text:?} does not follow PEP 440's version grammar"
            ));
        };
        let release = caps["release"]
            .split('.')
            .map(number)
            .collect::<Result<Vec<_>, _>>()?;
        let pre = match caps.name("pre_l") {
            None => None,
            Some(label) => {
                let phase = match label.as_str().to_ascii_lowercase().as_str() {
                    "a" | "alpha" => Pre::Alpha,
                    "b" | "beta" => Pre::Beta,
                    _ => Pre::Rc,
                };
                Some((phase, optional_number(&caps, "pre_n")?.unwrap_or(0)))
            }
        };
        let post = match (caps.name("post_n1"), caps.name("post_l")) {
            (Some(n), _) => Some(number(n.as_str())?),
            (None, Some(_)) => Some(optional_number(&caps, "post_n2")?.unwrap_or(0)),
            (None, None) => None,
        };
        let dev = match caps.name("dev_l") {
            Some(_) => Some(optional_number(&caps, "dev_n")?.unwrap_or(0)),
            None => None,
        };
        let local = match caps.name("local") {
            None => Vec::new(),
            Some(label) => label
                .as_str()
                .split(['.', '_', '-'])
                .map(|part| {
                    if part.bytes().all(|b| b.is_ascii_digit()) {
                        number(part).map(Local::Number)
                    } else {
                        Ok(Local::Text(part.to_ascii_lowercase()))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Version {
            epoch: optional_number(&caps, "epoch")?.unwrap_or(0),
            release,
            pre,
            post,
            dev,
            local,
        })
    }
}

impl Version {
    /// The release segment (`6.10.0` of `6.10.0rc1`).
    pub fn release(&self) -> &[u64] {
        &self.release
    }

    /// A dev release or a pre-release (alpha, beta, candidate).
    pub fn any_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The release without trailing zeros: what equality compares.
    fn trimmed_release(&self) -> &[u64] {
        let len = self
            .release
            .iter()
            .rposition(|&n| n != 0)
            .map_or(0, |i| i + 1);
        &self.release[..len]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.epoch == other.epoch
            && self.trimmed_release() == other.trimmed_release()
            && self.pre == other.pre
            && self.post == other.post
            && self.dev == other.dev
            && self.local == other.local
    }
}

impl Eq for Version {}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            self.epoch,
            self.trimmed_release(),
            self.pre,
            self.post,
            self.dev,
            &self.local,
        )
            .hash(state);
    }
}

/// The order of packaging's `_cmpkey`: a dev-only release sorts before
/// its pre-releases, a release without a pre-release after them, no post
/// before any post, no dev after any dev, no local label before any, and
/// within a label text before numbers.
impl Ord for Version {
    fn cmp(&self, other: &Version) -> std::cmp::Ordering {
        fn pre_key(v: &Version) -> (u8, u8, u64) {
            match (v.pre, v.post, v.dev) {
                (None, None, Some(_)) => (0, 0, 0),
                (None, _, _) => (2, 0, 0),
                (Some((phase, n)), _, _) => (1, phase as u8, n),
            }
        }
        fn post_key(v: &Version) -> (u8, u64) {
            v.post.map_or((0, 0), |n| (1, n))
        }
        fn dev_key(v: &Version) -> (u8, u64) {
            v.dev.map_or((1, 0), |n| (0, n))
        }
        fn local_key(v: &Version) -> Vec<(u8, u64, &str)> {
            v.local
                .iter()
                .map(|part| match part {
                    Local::Number(n) => (1, *n, ""),
                    Local::Text(t) => (0, 0, t.as_str()),
                })
                .collect()
        }
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.trimmed_release().cmp(other.trimmed_release()))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| post_key(self).cmp(&post_key(other)))
            .then_with(|| dev_key(self).cmp(&dev_key(other)))
            .then_with(|| {
                let (a, b) = (local_key(self), local_key(other));
                match (a.is_empty(), b.is_empty()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Less,
                    (false, true) => std::cmp::Ordering::Greater,
                    (false, false) => a.cmp(&b),
                }
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((phase, n)) = self.pre {
            let label = match phase {
                Pre::Alpha => "a",
                Pre::Beta => "b",
                Pre::Rc => "rc",
            };
            write!(f, "{label}{n}")?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if !self.local.is_empty() {
            let parts: Vec<String> = self
                .local
                .iter()
                .map(|part| match part {
                    Local::Number(n) => n.to_string(),
                    Local::Text(t) => t.clone(),
                })
                .collect();
            write!(f, "+{}", parts.join("."))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn normal_forms() {
        for (written, normal) in [
            ("1.0", "1.0"),
            ("v1.0-RC.1", "1.0rc1"),
            ("1.0c1", "1.0rc1"),
            ("1.0preview2", "1.0rc2"),
            ("1.0-alpha", "1.0a0"),
            ("1.0.post", "1.0.post0"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev3", "1.0.post3"),
            ("1.0.dev", "1.0.dev0"),
            ("0!1.0", "1.0"),
            ("2!01.002", "2!1.2"),
            ("1.0+Ubuntu-01_x", "1.0+ubuntu.1.x"),
            (" 1.0\t", "1.0"),
        ] {
            assert_eq!(v(written).to_string(), normal, "{written}");
        }
    }

    #[test]
    fn equality_is_pep_440s() {
        assert_eq!(v("1.0"), v("1.0.0.0"));
        assert_eq!(v("1.0+a.1"), v("1.0+A.01"));
        assert_ne!(v("1.0"), v("1.0+local"));
        assert_ne!(v("1.0"), v("1!1.0"));
        assert_ne!(v("1.0a1"), v("1.0b1"));
        assert!(v("1.0.dev0").any_prerelease() && !v("1.0.post1").any_prerelease());
    }

    #[test]
    fn hashing_agrees_with_equality() {
        use std::collections::HashSet;
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = |text: &str| BuildHasherDefault::<DefaultHasher>::default().hash_one(v(text));
        // Equal versions must hash alike (the trailing zeros and the local
        // label's case do not count)...
        assert_eq!(hash("1.0"), hash("1.0.0.0"));
        assert_eq!(hash("1.0+a.1"), hash("1.0+A.01"));
        // ...and the fields that tell versions apart must reach the hash, so a
        // set of many versions does not fall into one bucket.
        let distinct = [
            "1.0",
            "1.1",
            "1!1.0",
            "1.0a1",
            "1.0.post1",
            "1.0.dev1",
            "1.0+x",
        ];
        let hashes: HashSet<u64> = distinct.iter().map(|text| hash(text)).collect();
        assert_eq!(hashes.len(), distinct.len(), "{distinct:?}");
    }

    #[test]
    fn order_is_packagings() {
        let sorted = [
            "1.0.dev0",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+abc.1",
            "1.0+1",
            "1.0.post1.dev0",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for pair in sorted.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn refuses_what_packaging_refuses() {
        for bad in [
            "",
            "v",
            "vv1",
            "1..0",
            "1.0+",
            "1.0-",
            "a1",
            "1.0 a1",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
    }
}
