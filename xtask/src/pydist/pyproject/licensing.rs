//! `project.license` (a PEP 639 SPDX expression, or the older table) and
//! the license files: `project.license-files` or
//! `[tool.setuptools] license-files`.

use anyhow::Result;
use camino::Utf8Path;

use super::super::license;
use super::super::project::License;
use super::super::textfile::{check_relative, read_text};
use super::Notes;
use crate::util::toml_spans::{Source, Tv, TvKind};

/// The license, the license file patterns (None: setuptools' defaults),
/// and whether those come from `project.license-files` (PEP 639).
pub(super) struct Licensing {
    pub license: License,
    pub files: Option<Vec<String>>,
    pub pep639: bool,
}

/// Read the license and its files; `classifiers` are [project]'s, which an
/// SPDX expression forbids license classifiers among.
pub(super) fn read(
    src: &Source,
    root: &Utf8Path,
    project: &Tv,
    st: Option<&Tv>,
    classifiers: &[String],
    notes: &mut Notes,
) -> Result<Licensing> {
    let license = match project.get("license") {
        None => License::None,
        Some(tv) => license_field(src, root, tv, classifiers, notes)?,
    };
    let project_files = project.get("license-files");
    let tool_files = st.and_then(|t| t.get("license-files"));
    let files = match (project_files, tool_files) {
        (Some(_), Some(t)) => {
            return Err(src.err(
                t,
                "project.license-files is given already; remove tool.setuptools.license-files",
            ));
        }
        (Some(tv), None) => Some(src.relative_list(tv, "project.license-files")?),
        (None, Some(tv)) => Some(src.relative_list(tv, "tool.setuptools.license-files")?),
        (None, None) => None,
    };
    if let Some(tv) = project_files.filter(|_| matches!(license, License::Text(_))) {
        return Err(src.err(
            tv,
            "project.license-files needs project.license to be an SPDX expression string (PEP 639), not a table",
        ));
    }
    Ok(Licensing {
        license,
        files,
        pep639: project_files.is_some(),
    })
}

/// `project.license`: an SPDX expression (normalised), `{text = ...}`, or
/// `{file = ...}` (read; a missing file writes no License field, with a
/// warning, as setuptools does).
fn license_field(
    src: &Source,
    root: &Utf8Path,
    tv: &Tv,
    classifiers: &[String],
    notes: &mut Notes,
) -> Result<License> {
    match &tv.kind {
        TvKind::Str(expr) => {
            let normal = license::canonicalize(expr).map_err(|e| src.err(tv, e))?;
            if let Some(c) = classifiers.iter().find(|c| c.starts_with("License :: ")) {
                return Err(src.err(
                    tv,
                    format!("a license expression replaces license classifiers (PEP 639): remove the classifier {c:?}"),
                ));
            }
            Ok(License::Expression(normal))
        }
        TvKind::Table(_) => match (tv.get("text"), tv.get("file")) {
            (Some(t), None) => Ok(License::Text(
                src.str(t, "project.license.text")?.to_owned(),
            )),
            (None, Some(f)) => {
                let file = src.str(f, "project.license.file")?;
                check_relative(file).map_err(|e| src.err(f, e))?;
                if root.join(file).symlink_metadata().is_err() {
                    // setuptools warns and writes no License field.
                    notes.warnings.push(format!(
                        "{}: project.license.file {file:?} cannot be found; no License field is written (as setuptools does)",
                        src.at(f)
                    ));
                    return Ok(License::None);
                }
                let text = read_text(root, file).map_err(|e| src.err(f, e))?;
                notes.referenced_files.push(file.to_owned());
                Ok(License::Text(text))
            }
            _ => Err(src.err(
                tv,
                "project.license as a table needs exactly one of `text` or `file`",
            )),
        },
        _ => Err(src.err(
            tv,
            format!(
                "project.license must be a string (an SPDX expression) or a table, not {}",
                tv.type_name()
            ),
        )),
    }
}
