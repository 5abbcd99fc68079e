//! `SHA256SUMS` and `manifest.json`: what was built, in forms `sha256sum -c`
//! and programs read. Both are pure functions of the artifact list, with a
//! stable order, so they are themselves reproducible.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::pydist::TimeSource;

/// The file names of the checksum files beside the artifacts.
pub const SHA256SUMS: &str = "SHA256SUMS";
pub const MANIFEST: &str = "manifest.json";

/// Whether a file name is one a release upload picks up (`dist/*.whl`,
/// `dist/*.tar.gz`, `dist/*.zip`).
pub fn is_upload_name(name: &str) -> bool {
    name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip")
}

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Sdist,
    Wheel,
    Installer,
    /// The SBOM of the npm packages in the UI, as in the wheel.
    Sbom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sdist => "sdist",
            Kind::Wheel => "wheel",
            Kind::Installer => "installer",
            Kind::Sbom => "sbom",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Kind::Sdist, Kind::Wheel, Kind::Installer, Kind::Sbom]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One built file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub file: String,
    pub kind: Kind,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// Where the build's timestamp came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampSource {
    SourceDateEpoch,
    CommitTime,
    /// Neither: 1980-01-01, the zip epoch.
    Default,
}

impl StampSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StampSource::SourceDateEpoch => "SOURCE_DATE_EPOCH",
            StampSource::CommitTime => "commit time",
            StampSource::Default => "1980-01-01 default",
        }
    }

    pub fn of(source: &TimeSource) -> StampSource {
        match source {
            TimeSource::SourceDateEpoch => StampSource::SourceDateEpoch,
            TimeSource::LastCommit => StampSource::CommitTime,
            TimeSource::Default(_) => StampSource::Default,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            StampSource::SourceDateEpoch,
            StampSource::CommitTime,
            StampSource::Default,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A git commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit(String);

impl Commit {
    pub fn parse(text: &str) -> Result<Commit> {
        let ok = matches!(text.len(), 40 | 64)
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            bail!("{text:?} is not a git commit id (40 or 64 lower-case hex digits)");
        }
        Ok(Commit(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Commit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a build made, from which commit, stamped with which time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub version: String,
    pub commit: Commit,
    pub timestamp: u64,
    pub timestamp_source: StampSource,
    /// The files the build read that differed from `commit` (`--allow-dirty`),
    /// by path; empty for a clean checkout.
    pub dirty: Vec<String>,
    pub artifacts: Vec<Artifact>,
}

/// `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <name>`, sorted by name.
pub fn sha256sums(artifacts: &[Artifact]) -> String {
    let mut sorted: Vec<&Artifact> = artifacts.iter().collect();
    sorted.sort_by(|a, b| a.file.cmp(&b.file));
    let mut out = String::new();
    for a in sorted {
        let _ = writeln!(out, "{}  {}", a.sha256, a.file);
    }
    out
}

/// Parse `SHA256SUMS` back into (name, hex) pairs.
pub fn parse_sha256sums(text: &str) -> Result<Vec<(String, String)>> {
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some((hex, name)) = line.split_once("  ").or_else(|| line.split_once(" *")) else {
            bail!(
                "SHA256SUMS line {} is not `<sha256>  <file>`: {line:?}",
                n + 1
            );
        };
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("SHA256SUMS line {} has no sha256: {line:?}", n + 1);
        }
        entries.push((name.to_owned(), hex.to_ascii_lowercase()));
    }
    Ok(entries)
}

impl Manifest {
    /// Pretty JSON with keys in a fixed (sorted) order and artifacts sorted by
    /// file name, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut artifacts: Vec<&Artifact> = self.artifacts.iter().collect();
        artifacts.sort_by(|a, b| a.file.cmp(&b.file));
        let value = json!({
            "version": self.version,
            "commit": self.commit.as_str(),
            "timestamp": self.timestamp,
            "timestamp_source": self.timestamp_source.as_str(),
            "dirty": !self.dirty.is_empty(),
            "dirty_files": self.dirty,
            "artifacts": artifacts.iter().map(|a| json!({
                "file": a.file,
                "kind": a.kind.as_str(),
                "size": a.size,
                "sha256": a.sha256,
            })).collect::<Vec<_>>(),
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).context("manifest.json is not JSON")?;
        let field = |v: &serde_json::Value, key: &str| -> Result<String> {
            v.get(key)
                .and_then(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .or_else(|| x.as_u64().map(|n| n.to_string()))
                })
                .with_context(|| format!("manifest.json has no {key:?}"))
        };
        let mut artifacts = Vec::new();
        for a in value
            .get("artifacts")
            .and_then(|a| a.as_array())
            .context("manifest.json has no artifacts list")?
        {
            let kind = field(a, "kind")?;
            artifacts.push(Artifact {
                file: field(a, "file")?,
                kind: Kind::parse(&kind)
                    .with_context(|| format!("manifest.json: unknown artifact kind {kind:?}"))?,
                size: field(a, "size")?
                    .parse()
                    .context("manifest.json: size is not a number")?,
                sha256: field(a, "sha256")?,
            });
        }
        let source = field(&value, "timestamp_source")?;
        let dirty = dirty_files(&value)?;
        Ok(Manifest {
            version: field(&value, "version")?,
            commit: Commit::parse(&field(&value, "commit")?)
                .context("manifest.json: bad \"commit\"")?,
            timestamp: field(&value, "timestamp")?
                .parse()
                .context("manifest.json: timestamp is not a number")?,
            timestamp_source: StampSource::parse(&source)
                .with_context(|| format!("manifest.json: unknown timestamp_source {source:?}"))?,
            dirty,
            artifacts,
        })
    }
}

/// `"dirty"` and `"dirty_files"`, which must agree: true with the files, or
/// false with none.
fn dirty_files(value: &serde_json::Value) -> Result<Vec<String>> {
    let dirty = value
        .get("dirty")
        .and_then(|d| d.as_bool())
        .context("manifest.json has no \"dirty\" (true or false); build-installer writes it")?;
    let files: Vec<String> = value
        .get("dirty_files")
        .and_then(|f| f.as_array())
        .context("manifest.json has no \"dirty_files\" list")?
        .iter()
        .map(|f| f.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .context("manifest.json: \"dirty_files\" holds something other than paths")?;
    if dirty == files.is_empty() {
        bail!(
            "manifest.json says \"dirty\": {dirty} but lists {} dirty file(s)",
            files.len()
        );
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifacts() -> Vec<Artifact> {
        vec![
            Artifact {
                file: "invokeai-1.0.tar.gz".into(),
                kind: Kind::Sdist,
                size: 10,
                sha256: "b".repeat(64),
            },
            Artifact {
                file: "InvokeAI-installer-v1.0.zip".into(),
                kind: Kind::Installer,
                size: 30,
                sha256: "c".repeat(64),
            },
            Artifact {
                file: "invokeai-1.0-py3-none-any.whl".into(),
                kind: Kind::Wheel,
                size: 20,
                sha256: "a".repeat(64),
            },
        ]
    }

    #[test]
    fn sha256sums_is_sorted_and_in_sha256sum_format() {
        let text = sha256sums(&artifacts());
        let expected = format!(
            "{}  InvokeAI-installer-v1.0.zip\n{}  invokeai-1.0-py3-none-any.whl\n{}  invokeai-1.0.tar.gz\n",
            "c".repeat(64),
            "a".repeat(64),
            "b".repeat(64)
        );
        assert_eq!(text, expected);
        let parsed = parse_sha256sums(&text).unwrap();
        assert_eq!(
            parsed[1],
            ("invokeai-1.0-py3-none-any.whl".to_owned(), "a".repeat(64))
        );
        assert!(parse_sha256sums("nonsense\n").is_err());
    }

    #[test]
    fn manifest_is_stable_and_round_trips() {
        let manifest = Manifest {
            version: "1.0".into(),
            commit: Commit::parse(&"ab".repeat(20)).unwrap(),
            timestamp: 1_700_000_000,
            timestamp_source: StampSource::SourceDateEpoch,
            dirty: Vec::new(),
            artifacts: artifacts(),
        };
        let mut shuffled = manifest.clone();
        shuffled.artifacts.reverse();
        assert_eq!(manifest.to_json(), shuffled.to_json());
        let text = manifest.to_json();
        assert!(
            text.starts_with(
                "{\n  \"artifacts\": [\n    {\n      \"file\": \"InvokeAI-installer-v1.0.zip\""
            ),
            "{text}"
        );
        let back = Manifest::from_json(&text).unwrap();
        assert_eq!(back.version, "1.0");
        assert_eq!(back.artifacts.len(), 3);
        assert_eq!(back.timestamp, 1_700_000_000);
        assert!(
            text.contains("\"dirty\": false,\n  \"dirty_files\": [],"),
            "{text}"
        );
        assert_eq!(back.dirty, Vec::<String>::new());
    }

    #[test]
    fn a_dirty_build_records_its_files_and_the_two_fields_must_agree() {
        let manifest = Manifest {
            version: "1.0".into(),
            commit: Commit::parse(&"ab".repeat(20)).unwrap(),
            timestamp: 1_700_000_000,
            timestamp_source: StampSource::CommitTime,
            dirty: vec!["installer/lib/new.py".into(), "python/a.py".into()],
            artifacts: artifacts(),
        };
        let text = manifest.to_json();
        assert!(
            text.contains("\"dirty\": true,\n  \"dirty_files\": [\n    \"installer/lib/new.py\",\n    \"python/a.py\"\n  ],"),
            "{text}"
        );
        let back = Manifest::from_json(&text).unwrap();
        assert_eq!(back.dirty, manifest.dirty);
        assert_eq!(back.to_json(), text);
        for (from, to, why) in [
            (
                "\"dirty\": true",
                "\"dirty\": false",
                "says \"dirty\": false but lists 2",
            ),
            ("\"dirty\": true,", "", "has no \"dirty\""),
            ("\"installer/lib/new.py\"", "7", "other than paths"),
        ] {
            let err = Manifest::from_json(&text.replacen(from, to, 1))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{from} -> {to}: {err}");
        }
        let clean_but_listed = text.replacen("\"dirty\": true", "\"dirty\": false", 1);
        assert!(Manifest::from_json(&clean_but_listed).is_err());
    }
}
