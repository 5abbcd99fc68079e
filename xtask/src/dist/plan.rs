//! The pure plan of a build: the two archives' names and their ordered
//! members (name, mode, and where the bytes come from), before anything is
//! read or written. `--list` prints it.

use std::sync::Arc;

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

use super::files::Selection;
use super::metadata::Metadata;
use super::pyproject::Project;
use super::tree::Tree;
use super::wheel;

/// Where a member's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A project file, read once when the plan is carried out.
    File(Utf8PathBuf),
    /// Generated text (metadata).
    Bytes(Arc<Vec<u8>>),
    /// A folder entry (sdist only).
    Dir,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The member name inside the archive.
    pub name: String,
    /// 0o644 or 0o755 for files, 0o755 for folders.
    pub mode: u32,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePlan {
    /// The archive's file name.
    pub file_name: String,
    /// Members in archive order. For the wheel, RECORD is not listed: it is
    /// computed while writing and goes last.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The name as written in pyproject.toml.
    pub name: String,
    /// The normalised version.
    pub version: String,
    /// Fixed timestamp of every member (seconds since the epoch, >= 1980).
    pub mtime: u64,
    pub wheel: ArchivePlan,
    /// `{name}-{version}.dist-info/RECORD`.
    pub record_name: String,
    pub sdist: ArchivePlan,
}

/// The escaped name for file names: normalised, `-` as `_` (PEP 427/625).
pub fn filename_name(canonical: &str) -> String {
    canonical.replace('-', "_")
}

fn mode_of(tree: &Tree, rel: &str) -> u32 {
    match tree.file(rel) {
        Some(f) if f.executable => 0o755,
        _ => 0o644,
    }
}

fn file_entry(tree: &Tree, name: String, rel: &str) -> Result<Entry> {
    let info = tree
        .file(rel)
        .with_context(|| format!("{rel} was selected but is not a file of the project"))?;
    Ok(Entry {
        name,
        mode: mode_of(tree, rel),
        content: Content::File(info.source.clone()),
    })
}

fn text_entry(name: String, text: String) -> Entry {
    Entry {
        name,
        mode: 0o644,
        content: Content::Bytes(Arc::new(text.into_bytes())),
    }
}

/// Build the plan.
pub fn plan(
    project: &Project,
    selection: &Selection,
    version: &str,
    tree: &Tree,
    mtime: u64,
) -> Result<Plan> {
    let stem = format!("{}-{}", filename_name(&project.canonical_name), version);
    let metadata = Metadata {
        project,
        version,
        license_files: &selection.license_files,
    }
    .render();

    // Wheel: the members sorted, then .dist-info (sorted, RECORD last).
    let mut wheel_entries = Vec::new();
    for (target, source) in &selection.wheel {
        wheel_entries.push(file_entry(tree, target.clone(), source)?);
    }
    let dist_info = format!("{stem}.dist-info");
    let mut info: Vec<Entry> = vec![
        text_entry(format!("{dist_info}/METADATA"), metadata.clone()),
        text_entry(format!("{dist_info}/WHEEL"), wheel::wheel_file()),
        text_entry(
            format!("{dist_info}/top_level.txt"),
            wheel::top_level_file(&selection.top_level),
        ),
    ];
    if let Some(eps) = wheel::entry_points_file(&project.entry_points) {
        info.push(text_entry(format!("{dist_info}/entry_points.txt"), eps));
    }
    for lf in &selection.license_files {
        info.push(file_entry(tree, format!("{dist_info}/licenses/{lf}"), lf)?);
    }
    info.sort_by(|a, b| a.name.cmp(&b.name));
    wheel_entries.extend(info);

    // sdist: `{stem}/` with PKG-INFO, the selected files and their folders.
    let mut sdist_entries: Vec<Entry> = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    dirs.insert(format!("{stem}/"));
    for rel in &selection.sdist {
        let mut prefix = stem.clone();
        let parts: Vec<&str> = rel.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            prefix = format!("{prefix}/{part}");
            dirs.insert(format!("{prefix}/"));
        }
        sdist_entries.push(file_entry(tree, format!("{stem}/{rel}"), rel)?);
    }
    sdist_entries.push(text_entry(format!("{stem}/PKG-INFO"), metadata));
    for d in dirs {
        sdist_entries.push(Entry {
            name: d,
            mode: 0o755,
            content: Content::Dir,
        });
    }
    sdist_entries.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(Plan {
        name: project.name.clone(),
        version: version.to_owned(),
        mtime,
        wheel: ArchivePlan {
            file_name: format!("{stem}-py3-none-any.whl"),
            entries: wheel_entries,
        },
        record_name: format!("{dist_info}/RECORD"),
        sdist: ArchivePlan {
            file_name: format!("{stem}.tar.gz"),
            entries: sdist_entries,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_escaped() {
        assert_eq!(filename_name("my-pkg"), "my_pkg");
        assert_eq!(filename_name("invokeai"), "invokeai");
    }
}
