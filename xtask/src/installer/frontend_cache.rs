//! Skipping the front-end build when nothing it reads has changed.
//!
//! The inputs are every file of `frontend/` but its installed modules and
//! outputs (sources, configs, lockfile), hashed by path and content. The record
//! of the last build also holds the hash of what it wrote, so a deleted or
//! edited output forces a rebuild.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::util::hash::hex;

/// Folders of `frontend/` that are not inputs of the build.
const NOT_INPUTS: &[&str] = &["node_modules", "dist", "coverage", ".vite"];

/// The last build's input and output hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub inputs: String,
    pub output: String,
}

impl Record {
    pub fn parse(text: &str) -> Option<Self> {
        let mut inputs = None;
        let mut output = None;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("inputs", v)) => inputs = Some(v.to_owned()),
                Some(("output", v)) => output = Some(v.to_owned()),
                _ => {}
            }
        }
        Some(Record {
            inputs: inputs?,
            output: output?,
        })
    }

    pub fn render(&self) -> String {
        format!("inputs={}\noutput={}\n", self.inputs, self.output)
    }
}

/// Why the build runs, or that it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Skip,
    Build(&'static str),
}

/// Pure: build unless the last build saw the same inputs and its output is intact.
pub fn decide(last: Option<&Record>, inputs: &str, output: Option<&str>, force: bool) -> Decision {
    if force {
        return Decision::Build("--rebuild-frontend");
    }
    let Some(last) = last else {
        return Decision::Build("no record of an earlier build");
    };
    if last.inputs != inputs {
        return Decision::Build("its inputs changed");
    }
    match output {
        None => Decision::Build("its output is missing"),
        Some(out) if out != last.output => Decision::Build("its output changed since it was built"),
        Some(_) => Decision::Skip,
    }
}

/// The hash of the front end's inputs.
pub fn hash_inputs(frontend: &Utf8Path) -> Result<String> {
    hash_tree(frontend, NOT_INPUTS)
}

/// The hash of the built UI and of the SBOM written with it, or `None` when
/// the UI has no `index.html` or the SBOM is missing.
pub fn hash_output(ui_dist: &Utf8Path, sbom: &Utf8Path) -> Result<Option<String>> {
    if !ui_dist.join("index.html").is_file() {
        return Ok(None);
    }
    let Ok(sbom_bytes) = std::fs::read(sbom) else {
        return Ok(None);
    };
    let tree = hash_tree(ui_dist, &[])?;
    let mut hasher = Sha256::new();
    hasher.update(tree.as_bytes());
    hasher.update(&sbom_bytes);
    Ok(Some(hex(&hasher.finalize())))
}

/// sha256 over (relative path, size, content) of every file, in sorted order.
fn hash_tree(root: &Utf8Path, skip: &[&str]) -> Result<String> {
    let mut files = Vec::new();
    collect(root, root, skip, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for rel in files {
        let path = root.join(&rel);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {path}"))?;
        hasher.update(rel.as_str().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex(&hasher.finalize()))
}

fn collect(
    root: &Utf8Path,
    dir: &Utf8Path,
    skip: &[&str],
    out: &mut Vec<Utf8PathBuf>,
) -> Result<()> {
    for entry in dir
        .read_dir_utf8()
        .with_context(|| format!("cannot list {dir}"))?
    {
        let entry = entry.with_context(|| format!("cannot list {dir}"))?;
        let name = entry.file_name();
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot stat {}", entry.path()))?;
        if kind.is_dir() {
            if dir == root && skip.contains(&name) {
                continue;
            }
            collect(root, entry.path(), skip, out)?;
        } else if kind.is_file() {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            inputs: "in".into(),
            output: "out".into(),
        }
    }

    #[test]
    fn skips_only_when_inputs_match_and_output_is_intact() {
        assert_eq!(
            decide(Some(&record()), "in", Some("out"), false),
            Decision::Skip
        );
        assert_eq!(
            decide(Some(&record()), "in2", Some("out"), false),
            Decision::Build("its inputs changed")
        );
        assert_eq!(
            decide(Some(&record()), "in", None, false),
            Decision::Build("its output is missing")
        );
        assert!(matches!(
            decide(Some(&record()), "in", Some("other"), false),
            Decision::Build(_)
        ));
        assert!(matches!(
            decide(None, "in", Some("out"), false),
            Decision::Build(_)
        ));
        assert_eq!(
            decide(Some(&record()), "in", Some("out"), true),
            Decision::Build("--rebuild-frontend")
        );
    }

    #[test]
    fn record_round_trips() {
        assert_eq!(Record::parse(&record().render()), Some(record()));
        assert_eq!(Record::parse("inputs=x\n"), None);
    }

    #[test]
    fn tree_hash_sees_content_and_names_but_not_skipped_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
        std::fs::write(root.join("src/a.ts"), "a").unwrap();
        let first = hash_inputs(root).unwrap();
        std::fs::write(root.join("node_modules/x/b.js"), "b").unwrap();
        assert_eq!(
            first,
            hash_inputs(root).unwrap(),
            "node_modules is not an input"
        );
        std::fs::write(root.join("src/a.ts"), "a2").unwrap();
        let second = hash_inputs(root).unwrap();
        assert_ne!(first, second);
        std::fs::rename(root.join("src/a.ts"), root.join("src/b.ts")).unwrap();
        assert_ne!(
            second,
            hash_inputs(root).unwrap(),
            "a rename changes the hash"
        );
        let sbom = root.join("ui.cdx.json");
        assert_eq!(
            hash_output(&root.join("src"), &sbom).unwrap(),
            None,
            "no index.html, no output"
        );
        std::fs::write(root.join("src/index.html"), "<!doctype html>").unwrap();
        assert_eq!(
            hash_output(&root.join("src"), &sbom).unwrap(),
            None,
            "no SBOM, no output"
        );
        std::fs::write(&sbom, "{}").unwrap();
        let with_sbom = hash_output(&root.join("src"), &sbom).unwrap().unwrap();
        std::fs::write(&sbom, "{ }").unwrap();
        assert_ne!(
            Some(with_sbom),
            hash_output(&root.join("src"), &sbom).unwrap(),
            "an edited SBOM is another output"
        );
    }
}
