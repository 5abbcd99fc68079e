//! The pure plan of a build: the two archives' names and their ordered
//! members (name, mode, and where the bytes come from), before anything is
//! read or written. `--list` prints it.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use camino::Utf8PathBuf;

use super::files::Selection;
use super::metadata::{self, Metadata};
use super::names;
use super::pyproject::Project;
use super::tree::Tree;

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
    let stem = names::stem(&project.canonical_name, version);
    let wheel_tag = if project.universal_wheel {
        names::UNIVERSAL
    } else {
        names::PURE_PYTHON_3
    };
    let core_metadata = Metadata {
        project,
        version,
        license_files: &selection.license_files,
    }
    .render()?;

    // Wheel: the members sorted, then .dist-info (sorted, RECORD last).
    let mut wheel_entries = Vec::new();
    for (target, source) in &selection.wheel {
        wheel_entries.push(file_entry(tree, target.clone(), source)?);
    }
    let dist_info = format!("{stem}.dist-info");
    let mut info: Vec<Entry> = vec![
        text_entry(format!("{dist_info}/METADATA"), core_metadata.clone()),
        text_entry(
            format!("{dist_info}/WHEEL"),
            metadata::wheel_file(wheel_tag),
        ),
        text_entry(
            format!("{dist_info}/top_level.txt"),
            metadata::top_level_file(&selection.top_level),
        ),
    ];
    if let Some(eps) = metadata::entry_points_file(&project.entry_points) {
        info.push(text_entry(format!("{dist_info}/entry_points.txt"), eps));
    }
    if project.setuptools.zip_safe == Some(true) {
        // setuptools copies egg-info's `zip-safe` marker (one empty line).
        info.push(text_entry(format!("{dist_info}/zip-safe"), "\n".to_owned()));
    }
    for lf in &selection.license_files {
        info.push(file_entry(tree, format!("{dist_info}/licenses/{lf}"), lf)?);
    }
    for sbom in &project.sbom_files {
        let base = sbom.rsplit('/').next().unwrap_or(sbom);
        if tree.file(sbom).is_none() {
            bail!(
                "{}: tool.xtask.dist.sbom-files names {sbom}, which is not a file of the project (for the app: `cargo xtask frontend build` writes it)",
                project.root.join("pyproject.toml")
            );
        }
        info.push(file_entry(tree, format!("{dist_info}/sboms/{base}"), sbom)?);
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
    sdist_entries.push(text_entry(format!("{stem}/PKG-INFO"), core_metadata));
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
            file_name: names::wheel_file(&project.canonical_name, version, wheel_tag),
            entries: wheel_entries,
        },
        record_name: format!("{dist_info}/RECORD"),
        sdist: ArchivePlan {
            file_name: names::sdist_file(&project.canonical_name, version),
            entries: sdist_entries,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::files;
    use super::super::pyproject::{Packages, Setuptools};
    use super::*;

    fn sample_plan() -> Plan {
        let tree = Tree::from_paths(&[
            "demo/__init__.py",
            "demo/z_last.py",
            "demo/data/a.txt",
            "LICENSE",
            "pyproject.toml",
            "zzz_top.py",
        ]);
        let mut project = Project::sample(Setuptools {
            packages: Packages::List(vec!["demo".into()]),
            py_modules: vec!["zzz_top".into()],
            package_dir: vec![],
            package_data: vec![("demo".into(), vec!["data/*".into()])],
            exclude_package_data: vec![],
            include_package_data: true,
            platforms: vec![],
            zip_safe: None,
        });
        project.entry_points = vec![(
            "console_scripts".into(),
            vec![("demo".into(), "demo:main".into())],
        )];
        let layout = files::layout(&project, &tree).unwrap();
        let selection = files::select(&project, &tree, &layout, "demo-1.0", None, None).unwrap();
        plan(&project, &selection, "1.0", &tree, 315_532_800).unwrap()
    }

    #[test]
    fn wheel_members_are_sorted_with_dist_info_last() {
        let p = sample_plan();
        assert_eq!(p.wheel.file_name, "demo-1.0-py3-none-any.whl");
        let names: Vec<&str> = p.wheel.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "demo/__init__.py",
                "demo/data/a.txt",
                "demo/z_last.py",
                "zzz_top.py",
                "demo-1.0.dist-info/METADATA",
                "demo-1.0.dist-info/WHEEL",
                "demo-1.0.dist-info/entry_points.txt",
                "demo-1.0.dist-info/licenses/LICENSE",
                "demo-1.0.dist-info/top_level.txt",
            ]
        );
        assert_eq!(p.record_name, "demo-1.0.dist-info/RECORD");
        assert!(p.wheel.entries.iter().all(|e| e.mode == 0o644));
        let Content::Bytes(top) = &p.wheel.entries[8].content else {
            panic!("top_level.txt is generated")
        };
        assert_eq!(top.as_slice(), b"demo\nzzz_top\n");
    }

    #[test]
    fn sdist_has_its_folders_and_pkg_info() {
        let p = sample_plan();
        assert_eq!(p.sdist.file_name, "demo-1.0.tar.gz");
        let names: Vec<&str> = p.sdist.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "demo-1.0/",
                "demo-1.0/LICENSE",
                "demo-1.0/PKG-INFO",
                "demo-1.0/demo/",
                "demo-1.0/demo/__init__.py",
                "demo-1.0/demo/data/",
                "demo-1.0/demo/data/a.txt",
                "demo-1.0/demo/z_last.py",
                "demo-1.0/pyproject.toml",
                "demo-1.0/zzz_top.py",
            ]
        );
        for e in &p.sdist.entries {
            let dir = e.name.ends_with('/');
            assert_eq!(dir, e.content == Content::Dir, "{}", e.name);
            assert_eq!(e.mode, if dir { 0o755 } else { 0o644 }, "{}", e.name);
        }
    }
}
