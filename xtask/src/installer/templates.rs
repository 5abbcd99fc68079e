//! Filling the install scripts' templates: `install.sh.in` and `install.bat.in`.
//!
//! A template holds upper-case names between at-signs. Every name must be one
//! we know, every occurrence is replaced, and nothing else changes (line
//! endings included), so the filled script is the template's bytes plus values.

use std::collections::BTreeSet;

use crate::pydist::pep440::Version;
use crate::pydist::pep508;
use anyhow::{Result, bail};

/// The values the install scripts are built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptValues {
    /// The app version, e.g. `6.10.0rc1`.
    pub version: String,
    /// The file name of the wheel bundled beside the scripts.
    pub wheel: String,
    /// The oldest supported Python, `MAJOR.MINOR`.
    pub python_min: String,
    /// The first unsupported Python, `MAJOR.MINOR`.
    pub python_max_exclusive: String,
}

impl ScriptValues {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "VERSION" => &self.version,
            "WHEEL" => &self.wheel,
            "PYTHON_MIN" => &self.python_min,
            "PYTHON_MAX_EXCLUSIVE" => &self.python_max_exclusive,
            _ => return None,
        })
    }

    fn check(&self) -> Result<()> {
        for (name, value) in [
            ("VERSION", &self.version),
            ("WHEEL", &self.wheel),
            ("PYTHON_MIN", &self.python_min),
            ("PYTHON_MAX_EXCLUSIVE", &self.python_max_exclusive),
        ] {
            if value.is_empty() || value.contains(['\'', '"', '%', '\n', '\r', '@']) {
                bail!(
                    "the value of {name}, {value:?}, cannot go into an install script (empty, or it holds a quote, %, @ or a line break)"
                );
            }
        }
        Ok(())
    }
}

/// The `@NAME@` placeholders of a template, in order of first appearance.
pub fn placeholders(template: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut rest = template;
    while let Some(start) = rest.iter().position(|&b| b == b'@') {
        let after = &rest[start + 1..];
        match placeholder_at(after) {
            Some(len) => {
                let name = String::from_utf8_lossy(&after[..len]).into_owned();
                if seen.insert(name.clone()) {
                    found.push(name);
                }
                rest = &after[len + 1..];
            }
            None => rest = after,
        }
    }
    found
}

/// If `bytes` starts with `NAME@` (NAME = `[A-Z][A-Z_]*`), the length of NAME.
fn placeholder_at(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.first()?;
    if !first.is_ascii_uppercase() {
        return None;
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || **b == b'_')
        .count();
    (bytes.get(len) == Some(&b'@')).then_some(len)
}

/// Fill `template` (named `name` in errors) with `values`.
pub fn fill(name: &str, template: &[u8], values: &ScriptValues) -> Result<Vec<u8>> {
    values.check()?;
    let names = placeholders(template);
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| values.get(n).is_none())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{name} has placeholders the builder does not know: @{}@; the known ones are @VERSION@, @WHEEL@, @PYTHON_MIN@ and @PYTHON_MAX_EXCLUSIVE@",
            unknown.join("@, @")
        );
    }
    let mut out = Vec::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.iter().position(|&b| b == b'@') {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 1..];
        match placeholder_at(after) {
            Some(len) => {
                let key = std::str::from_utf8(&after[..len]).unwrap_or_default();
                out.extend_from_slice(values.get(key).unwrap_or_default().as_bytes());
                rest = &after[len + 1..];
            }
            None => {
                out.push(b'@');
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// The Python range of the install scripts: the lower bound of
/// `requires-python` and, as the exclusive upper bound, its `<` bound if it
/// has one, else one past the newest `Programming Language :: Python :: 3.X`
/// classifier.
pub fn python_range(requires_python: &str, classifiers: &[String]) -> Result<(String, String)> {
    let specifiers = pep508::specifier_set(requires_python).map_err(|e| {
        anyhow::anyhow!("requires-python {requires_python:?} is not a PEP 440 specifier: {e}")
    })?;
    let mut min: Option<(u64, u64)> = None;
    let mut max: Option<(u64, u64)> = None;
    for spec in &specifiers {
        if !matches!(spec.op, ">=" | "~=" | "<") {
            continue;
        }
        let version: Version = spec
            .version
            .parse()
            .map_err(|e| anyhow::anyhow!("requires-python {requires_python:?}: {e}"))?;
        let release = major_minor(&version);
        match spec.op {
            "<" => max = Some(release),
            _ => min = Some(release),
        }
    }
    let Some(min) = min else {
        bail!(
            "requires-python {requires_python:?} has no lower bound (>=3.X); the installer needs one"
        );
    };
    let max = match max {
        Some(max) => max,
        None => {
            let newest = classifiers
                .iter()
                .filter_map(|c| c.strip_prefix("Programming Language :: Python :: "))
                .filter_map(|v| v.split_once('.'))
                .filter_map(|(major, minor)| {
                    Some((major.parse::<u64>().ok()?, minor.parse::<u64>().ok()?))
                })
                .max();
            let Some((major, minor)) = newest else {
                bail!(
                    "requires-python {requires_python:?} has no upper bound and no `Programming Language :: Python :: 3.X` classifier says which Pythons are supported"
                );
            };
            (major, minor + 1)
        }
    };
    if min.0 != max.0 || min >= max {
        bail!(
            "the supported Python range {}.{} to {}.{} (exclusive) is empty or spans major versions",
            min.0,
            min.1,
            max.0,
            max.1
        );
    }
    Ok((
        format!("{}.{}", min.0, min.1),
        format!("{}.{}", max.0, max.1),
    ))
}

fn major_minor(version: &Version) -> (u64, u64) {
    let release = version.release();
    (
        release.first().copied().unwrap_or(0),
        release.get(1).copied().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> ScriptValues {
        ScriptValues {
            version: "6.10.0rc1".into(),
            wheel: "invokeai-6.10.0rc1-py3-none-any.whl".into(),
            python_min: "3.10".into(),
            python_max_exclusive: "3.14".into(),
        }
    }

    #[test]
    fn fills_every_occurrence_and_keeps_other_bytes() {
        let template = b"v='@VERSION@'\r\nw=@WHEEL@ @VERSION@\r\nmail: a@b.c @ x@y@\n";
        let filled = fill("t", template, &values()).unwrap();
        assert_eq!(
            filled,
            b"v='6.10.0rc1'\r\nw=invokeai-6.10.0rc1-py3-none-any.whl 6.10.0rc1\r\nmail: a@b.c @ x@y@\n"
        );
    }

    #[test]
    fn unknown_placeholder_is_an_error_naming_it() {
        let err = fill("install.sh.in", b"@VERSION@ @ROOT@", &values())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("install.sh.in") && err.contains("@ROOT@"),
            "{err}"
        );
    }

    #[test]
    fn values_that_would_break_a_script_are_refused() {
        let bad = ScriptValues {
            version: "1'; rm -rf /".into(),
            ..values()
        };
        assert!(fill("t", b"@VERSION@", &bad).is_err());
        let pct = ScriptValues {
            wheel: "a%PATH%.whl".into(),
            ..values()
        };
        assert!(fill("t", b"@WHEEL@", &pct).is_err());
    }

    #[test]
    fn placeholders_are_listed_once_in_order() {
        assert_eq!(
            placeholders(b"@B@ @A_B@ @B@ @lower@ @@ @9@"),
            vec!["B", "A_B"]
        );
    }

    #[test]
    fn python_range_from_requires_python_and_classifiers() {
        let classifiers: Vec<String> = [
            "Programming Language :: Python :: 3",
            "Programming Language :: Python :: 3.10",
            "Programming Language :: Python :: 3.13",
            "Programming Language :: Python :: 3 :: Only",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            python_range(">=3.10", &classifiers).unwrap(),
            ("3.10".into(), "3.14".into())
        );
        assert_eq!(
            python_range(">=3.10,<3.12", &classifiers).unwrap(),
            ("3.10".into(), "3.12".into())
        );
        assert!(python_range(">=3.10", &[]).is_err());
        assert!(python_range("<3.12", &classifiers).is_err());
        assert!(python_range(">=3.14", &classifiers).is_err());
        assert!(python_range("banana", &classifiers).is_err());
    }
}
