//! `cargo xtask dist --compare`: build a project natively and with the
//! reference (`python -m build --no-isolation`, setuptools), then compare,
//! field by field: the file names, METADATA and PKG-INFO, WHEEL, the entry
//! points and top-level names, the wheel's files and their bytes, the
//! sdist's file list. What differs on purpose is named as such; the exit
//! code is 0 only when nothing else differs. This is what the maintainer of
//! another project runs before switching.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::archive::read::{self, Kind, Limits, Listing, Sink};

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Same(String),
    /// Differs on purpose; the reason is part of the text.
    Deliberate(String),
    Differs(String),
}

impl Line {
    pub fn render(&self) -> String {
        match self {
            Line::Same(t) => format!("  same        {t}"),
            Line::Deliberate(t) => format!("  deliberate  {t}"),
            Line::Differs(t) => format!("  DIFFERS     {t}"),
        }
    }
}

/// A wheel and an sdist, read back.
pub struct Built {
    pub wheel_name: String,
    pub wheel: Listing,
    pub sdist_name: String,
    pub sdist: Listing,
}

/// Files of the wheel's .dist-info whose text is compared.
const DIST_INFO_TEXTS: [&str; 4] = ["METADATA", "WHEEL", "entry_points.txt", "top_level.txt"];

/// Read a wheel and an sdist from `dir` (exactly one of each).
pub fn read_built(dir: &Utf8Path) -> Result<Built> {
    let only = |suffix: &str| -> Result<Utf8PathBuf> {
        let found: Vec<Utf8PathBuf> = dir
            .read_dir_utf8()
            .with_context(|| format!("cannot list {dir}"))?
            .filter_map(|e| e.ok())
            .map(|e| e.path().to_path_buf())
            .filter(|p| p.as_str().ends_with(suffix))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            _ => bail!("{dir} holds {} *{suffix} files, not one", found.len()),
        }
    };
    let wheel_path = only(".whl")?;
    let sdist_path = only(".tar.gz")?;
    let wheel = read::zip(
        read::open_regular(&wheel_path)?,
        wheel_path.as_str(),
        Limits::RELEASE,
        |m| {
            let keep = m
                .name
                .split_once(".dist-info/")
                .is_some_and(|(_, f)| DIST_INFO_TEXTS.contains(&f));
            Ok(if keep { Sink::Keep } else { Sink::Hash })
        },
    )?;
    let sdist = read::targz(
        read::open_regular(&sdist_path)?,
        sdist_path.as_str(),
        Limits::RELEASE,
        |m| {
            let keep = m.name.matches('/').count() == 1 && m.name.ends_with("/PKG-INFO");
            Ok(if keep { Sink::Keep } else { Sink::Hash })
        },
    )?;
    let name = |p: &Utf8Path| p.file_name().unwrap_or_default().to_owned();
    Ok(Built {
        wheel_name: name(&wheel_path),
        wheel,
        sdist_name: name(&sdist_path),
        sdist,
    })
}

/// Core metadata as (field, value) pairs in order, then the body.
fn metadata_fields(text: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if let Some(more) = line
            .strip_prefix("        ")
            .or_else(|| line.strip_prefix('\t'))
        {
            if let Some(last) = fields.last_mut() {
                last.1.push('\n');
                last.1.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(": ") {
            fields.push((k.to_owned(), v.to_owned()));
        } else if let Some(k) = line.strip_suffix(':') {
            fields.push((k.to_owned(), String::new()));
        }
    }
    (fields, body.to_owned())
}

/// Compare two core metadata texts field by field (`what`: METADATA or PKG-INFO).
fn compare_metadata(what: &str, ours: &str, theirs: &str, out: &mut Vec<Line>) {
    if ours == theirs {
        out.push(Line::Same(format!("{what}: byte for byte")));
        return;
    }
    // setuptools 84 always writes 2.4; this builder writes the lowest
    // version that holds the fields it writes (2.4 with PEP 639 fields).
    let version = |text: &str| {
        text.lines()
            .next()
            .and_then(|l| l.strip_prefix("Metadata-Version: "))
            .map(str::to_owned)
    };
    if let (Some(o), Some(t)) = (version(ours), version(theirs))
        && o != t
        && t == "2.4"
        && ["1.0", "1.1", "1.2", "2.1", "2.2"].contains(&o.as_str())
    {
        let aligned = ours.replacen(
            &format!("Metadata-Version: {o}\n"),
            &format!("Metadata-Version: {t}\n"),
            1,
        );
        out.push(Line::Deliberate(format!(
            "{what} Metadata-Version: ours {o}, the lowest that holds the fields written; setuptools always writes {t}"
        )));
        return compare_metadata(what, &aligned, theirs, out);
    }
    let (of, ob) = metadata_fields(ours);
    let (tf, tb) = metadata_fields(theirs);
    let keys: BTreeSet<&str> = of.iter().chain(&tf).map(|(k, _)| k.as_str()).collect();
    for key in keys {
        let values = |f: &[(String, String)]| -> Vec<String> {
            f.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let (o, t) = (values(&of), values(&tf));
        if o != t {
            out.push(Line::Differs(format!(
                "{what} {key}: ours {o:?}, setuptools {t:?}"
            )));
        }
    }
    let order = |f: &[(String, String)]| f.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    if order(&of) != order(&tf)
        && out
            .iter()
            .all(|l| !matches!(l, Line::Differs(t) if t.starts_with(what)))
    {
        out.push(Line::Differs(format!(
            "{what}: the same fields in another order"
        )));
    }
    if ob != tb {
        out.push(Line::Differs(format!(
            "{what} description: {} bytes against setuptools' {}",
            ob.len(),
            tb.len()
        )));
    }
}

fn text_of(listing: &Listing, name: &str) -> Option<String> {
    listing
        .kept
        .get(name)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

/// The file names in an sdist that setuptools writes for itself, and why.
fn setuptools_own(name: &str, has_own_setup_cfg: bool) -> Option<&'static str> {
    if name.contains(".egg-info/") || name.ends_with(".egg-info") {
        return Some("setuptools' egg-info build cache, regenerated by any rebuild");
    }
    let top_level = name.matches('/').count() == 1;
    if top_level && name.ends_with("/setup.cfg") && !has_own_setup_cfg {
        return Some("the setup.cfg setuptools writes to hold its [egg_info] tags");
    }
    None
}

/// Compare our artifacts with setuptools'. Pure.
pub fn compare(ours: &Built, theirs: &Built, has_own_setup_cfg: bool) -> Vec<Line> {
    let mut out = Vec::new();
    compare_file_names(ours, theirs, &mut out);
    compare_wheel_files(&ours.wheel, &theirs.wheel, &mut out);
    compare_dist_info(&ours.wheel, &theirs.wheel, &mut out);
    compare_sdist(&ours.sdist, &theirs.sdist, has_own_setup_cfg, &mut out);
    out
}

/// The wheel's and the sdist's file names.
fn compare_file_names(ours: &Built, theirs: &Built, out: &mut Vec<Line>) {
    for (what, o, t) in [
        ("wheel file name", &ours.wheel_name, &theirs.wheel_name),
        ("sdist file name", &ours.sdist_name, &theirs.sdist_name),
    ] {
        if o == t {
            out.push(Line::Same(format!("{what}: {o}")));
        } else {
            out.push(Line::Differs(format!("{what}: ours {o}, setuptools {t}")));
        }
    }
}

/// The wheel's files (RECORD aside) and the bytes of those outside
/// `.dist-info`; our PEP 770 SBOMs are named as deliberate.
fn compare_wheel_files(ours: &Listing, theirs: &Listing, out: &mut Vec<Line>) {
    let files = |l: &Listing| -> BTreeMap<String, [u8; 32]> {
        l.members
            .iter()
            .filter(|m| m.kind == Kind::File)
            .filter(|m| !m.name.ends_with(".dist-info/RECORD"))
            .map(|m| (m.name.clone(), m.sha256))
            .collect()
    };
    let (mut ow, tw) = (files(ours), files(theirs));
    // PEP 770 SBOMs from [tool.xtask.dist] sbom-files: setuptools has no way to ship one.
    let sboms: Vec<String> = ow
        .keys()
        .filter(|k| k.split_once(".dist-info/sboms/").is_some() && !tw.contains_key(k.as_str()))
        .cloned()
        .collect();
    if !sboms.is_empty() {
        for k in &sboms {
            ow.remove(k);
        }
        out.push(Line::Deliberate(format!(
            "wheel: {} SBOM(s) only in ours, from tool.xtask.dist.sbom-files (PEP 770; setuptools cannot ship one): {sboms:?}",
            sboms.len()
        )));
    }
    let only_ours: Vec<&String> = ow.keys().filter(|k| !tw.contains_key(*k)).collect();
    let only_theirs: Vec<&String> = tw.keys().filter(|k| !ow.contains_key(*k)).collect();
    if only_ours.is_empty() && only_theirs.is_empty() {
        out.push(Line::Same(format!("wheel file list: {} files", ow.len())));
    } else {
        out.push(Line::Differs(format!(
            "wheel file list: only ours {only_ours:?}; only setuptools' {only_theirs:?}"
        )));
    }
    let mut differing = Vec::new();
    for (name, sha) in &ow {
        if name.contains(".dist-info/") {
            continue;
        }
        if tw.get(name).is_some_and(|t| t != sha) {
            differing.push(name.clone());
        }
    }
    if differing.is_empty() {
        out.push(Line::Same(
            "wheel files outside .dist-info: byte for byte".to_owned(),
        ));
    } else {
        out.push(Line::Differs(format!(
            "wheel files with other bytes: {differing:?}"
        )));
    }
}

/// The wheel's `.dist-info` texts ([`DIST_INFO_TEXTS`]), and why RECORD is
/// not compared.
fn compare_dist_info(ours: &Listing, theirs: &Listing, out: &mut Vec<Line>) {
    let dist_info = |l: &Listing, file: &str| -> Option<String> {
        let name = l
            .kept
            .keys()
            .find(|k| k.split_once(".dist-info/").is_some_and(|(_, f)| f == file))?;
        text_of(l, name)
    };
    for file in DIST_INFO_TEXTS {
        let (o, t) = (dist_info(ours, file), dist_info(theirs, file));
        match (file, o, t) {
            (_, None, None) => {}
            ("METADATA", Some(o), Some(t)) => compare_metadata("METADATA", &o, &t, out),
            ("WHEEL", Some(o), Some(t)) => compare_wheel_texts(&o, &t, out),
            (_, Some(o), Some(t)) if o == t => {
                out.push(Line::Same(format!("{file}: byte for byte")))
            }
            (_, o, t) => out.push(Line::Differs(format!(
                "{file}: ours {}, setuptools {}",
                o.map_or("absent".to_owned(), |s| format!("{s:?}")),
                t.map_or("absent".to_owned(), |s| format!("{s:?}"))
            ))),
        }
    }
    out.push(Line::Deliberate(
        "RECORD: not compared line by line; it lists the files compared above, with hashes that follow from their bytes".to_owned(),
    ));
}

/// WHEEL, but for its Generator line, which names the builder.
fn compare_wheel_texts(ours: &str, theirs: &str, out: &mut Vec<Line>) {
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("Generator: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if strip(ours) == strip(theirs) {
        out.push(Line::Same("WHEEL: the same tags and fields".to_owned()));
        out.push(Line::Deliberate(
            "WHEEL Generator: it names the builder that made the wheel".to_owned(),
        ));
    } else {
        out.push(Line::Differs(format!(
            "WHEEL: ours {:?}, setuptools {:?}",
            strip(ours),
            strip(theirs)
        )));
    }
}

/// The sdist's file list (less what setuptools writes for itself, named as
/// deliberate) and its PKG-INFO.
fn compare_sdist(ours: &Listing, theirs: &Listing, has_own_setup_cfg: bool, out: &mut Vec<Line>) {
    let names = |l: &Listing| -> BTreeSet<String> {
        l.members
            .iter()
            .filter(|m| m.kind == Kind::File)
            .map(|m| m.name.clone())
            .collect()
    };
    let (os, ts) = (names(ours), names(theirs));
    let mut own: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut theirs_kept = BTreeSet::new();
    for name in &ts {
        match setuptools_own(name, has_own_setup_cfg) {
            Some(why) => *own.entry(why).or_default() += 1,
            None => {
                theirs_kept.insert(name.clone());
            }
        }
    }
    let only_ours: Vec<&String> = os.difference(&theirs_kept).collect();
    let only_theirs: Vec<&String> = theirs_kept.difference(&os).collect();
    if only_ours.is_empty() && only_theirs.is_empty() {
        out.push(Line::Same(format!("sdist file list: {} files", os.len())));
    } else {
        out.push(Line::Differs(format!(
            "sdist file list: only ours {only_ours:?}; only setuptools' {only_theirs:?}"
        )));
    }
    for (why, n) in own {
        out.push(Line::Deliberate(format!(
            "sdist: {n} file(s) only in setuptools' sdist: {why}"
        )));
    }
    let pkg_info = |l: &Listing| -> Option<String> {
        let name = l.kept.keys().find(|k| k.ends_with("/PKG-INFO"))?;
        text_of(l, name)
    };
    match (pkg_info(ours), pkg_info(theirs)) {
        (Some(o), Some(t)) => compare_metadata("PKG-INFO", &o, &t, out),
        _ => out.push(Line::Differs("PKG-INFO: missing from one sdist".to_owned())),
    }
}

/// Copy a project for setuptools, which writes its egg-info into it;
/// version-control folders and `skip` (the output folder) are left out.
fn copy_project(from: &Utf8Path, to: &Utf8Path, skip: &[Utf8PathBuf]) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {to}"))?;
    for entry in from
        .read_dir_utf8()
        .with_context(|| format!("cannot list {from}"))?
    {
        let entry = entry.with_context(|| format!("cannot list {from}"))?;
        let path = entry.path();
        let name = entry.file_name();
        if matches!(name, ".git" | ".hg" | ".svn" | ".venv" | "node_modules")
            || skip.iter().any(|s| s == path)
        {
            continue;
        }
        let target = to.join(name);
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot inspect {path}"))?;
        if kind.is_symlink() {
            let link = std::fs::read_link(path).with_context(|| format!("cannot read {path}"))?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&link, &target)
                .with_context(|| format!("cannot link {target}"))?;
        } else if kind.is_dir() {
            copy_project(path, &target, skip)?;
        } else if kind.is_file() {
            std::fs::copy(path, &target).with_context(|| format!("cannot copy {path}"))?;
        }
    }
    Ok(())
}

/// Build `project` with setuptools (`python -m build --no-isolation
/// --skip-dependency-check`) into `out`, from a copy under `work`.
pub fn build_reference(
    python: &Utf8Path,
    project: &Utf8Path,
    work: &Utf8Path,
    out: &Utf8Path,
    skip: &[Utf8PathBuf],
    source_date_epoch: &str,
) -> Result<()> {
    let copy = work.join("project");
    let _ = std::fs::remove_dir_all(&copy);
    copy_project(project, &copy, skip)?;
    eprintln!("dist: building {project} with setuptools ({python} -m build --no-isolation)");
    let output = Command::new(python)
        .args([
            "-m",
            "build",
            "--no-isolation",
            "--skip-dependency-check",
            "--outdir",
        ])
        .arg(out.as_str())
        .arg(copy.as_str())
        .env("SOURCE_DATE_EPOCH", source_date_epoch)
        .output()
        .with_context(|| format!("cannot run {python} -m build"))?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        bail!(
            "setuptools could not build {project}: {}",
            crate::util::process::tail(text.trim(), 8)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_compared_field_by_field() {
        let mut out = Vec::new();
        compare_metadata(
            "METADATA",
            "Metadata-Version: 2.4\nName: a\nVersion: 1.0\nClassifier: X\n\nbody\n",
            "Metadata-Version: 2.4\nName: a\nVersion: 1.0\nClassifier: X\nClassifier: Y\n\nbody\n",
            &mut out,
        );
        assert_eq!(
            out,
            [Line::Differs(
                "METADATA Classifier: ours [\"X\"], setuptools [\"X\", \"Y\"]".to_owned()
            )]
        );
        let mut same = Vec::new();
        compare_metadata("PKG-INFO", "A: 1\n", "A: 1\n", &mut same);
        assert!(matches!(&same[0], Line::Same(_)));
    }

    #[test]
    fn setuptools_own_files_are_named() {
        assert!(setuptools_own("p-1/p.egg-info/SOURCES.txt", false).is_some());
        assert!(setuptools_own("p-1/setup.cfg", false).is_some());
        assert!(setuptools_own("p-1/setup.cfg", true).is_none());
        assert!(setuptools_own("p-1/pkg/setup.cfg", false).is_none());
    }
}
