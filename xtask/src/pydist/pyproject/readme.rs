//! `project.readme`, or a readme `[tool.setuptools.dynamic]` gives: the
//! long description and its content type.

use anyhow::Result;
use camino::Utf8Path;

use super::super::project::Readme;
use super::super::textfile::{check_relative, read_text};
use super::Notes;
use super::dynamic::{self, Dynamic};
use crate::util::toml_spans::{Source, Tv, TvKind};

/// The readme, if `[project]` or `[tool.setuptools.dynamic]` gives one.
pub(super) fn read(
    src: &Source,
    root: &Utf8Path,
    project: &Tv,
    dynamic: &Dynamic,
    notes: &mut Notes,
) -> Result<Option<Readme>> {
    if let Some(spec) = dynamic.spec("readme") {
        let text = dynamic::file_text(src, root, spec, "tool.setuptools.dynamic.readme", notes)?;
        let content_type = match spec.get("content-type") {
            Some(ct) => {
                let what = "tool.setuptools.dynamic.readme.content-type";
                let value = src.str(ct, what)?;
                src.one_line(ct, value, what)?;
                value
            }
            None => "text/x-rst",
        };
        return Ok(Some(Readme {
            text,
            content_type: Some(content_type.to_owned()),
            file: None,
        }));
    }
    match project.get("readme") {
        None => Ok(None),
        Some(tv) => Ok(Some(read_readme(
            src,
            root,
            tv,
            &mut notes.referenced_files,
        )?)),
    }
}

fn content_type_for(file: &str) -> Result<Option<&'static str>, String> {
    let lower = file.to_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return Ok(None);
    };
    if stem.is_empty() {
        return Ok(None);
    }
    match ext {
        "md" => Ok(Some("text/markdown")),
        "rst" => Ok(Some("text/x-rst")),
        "txt" => Ok(Some("text/plain")),
        _ => Err(format!(
            "cannot tell the content type of the readme {file:?}: use .md, .rst or .txt, or the table form with `content-type`"
        )),
    }
}

fn read_readme(
    src: &Source,
    root: &Utf8Path,
    tv: &Tv,
    referenced: &mut Vec<String>,
) -> Result<Readme> {
    match &tv.kind {
        TvKind::Str(file) => {
            check_relative(file).map_err(|e| src.err(tv, e))?;
            let content_type = content_type_for(file).map_err(|e| src.err(tv, e))?;
            let text = read_text(root, file).map_err(|e| src.err(tv, e))?;
            referenced.push(file.clone());
            Ok(Readme {
                text,
                content_type: content_type.map(str::to_owned),
                file: Some(file.clone()),
            })
        }
        TvKind::Table(_) => {
            let ct = tv
                .get("content-type")
                .ok_or_else(|| src.err(tv, "project.readme as a table needs `content-type`"))?;
            let content_type = src.str(ct, "project.readme.content-type")?.to_owned();
            src.one_line(ct, &content_type, "project.readme.content-type")?;
            match (tv.get("file"), tv.get("text")) {
                (Some(f), None) => {
                    let file = src.str(f, "project.readme.file")?;
                    check_relative(file).map_err(|e| src.err(f, e))?;
                    let text = read_text(root, file).map_err(|e| src.err(f, e))?;
                    referenced.push(file.to_owned());
                    Ok(Readme {
                        text,
                        content_type: Some(content_type),
                        file: Some(file.to_owned()),
                    })
                }
                (None, Some(t)) => Ok(Readme {
                    text: src.str(t, "project.readme.text")?.to_owned(),
                    content_type: Some(content_type),
                    file: None,
                }),
                _ => Err(src.err(
                    tv,
                    "project.readme as a table needs exactly one of `file` or `text`",
                )),
            }
        }
        _ => Err(src.err(
            tv,
            format!(
                "project.readme must be a file name or a table, not {}",
                tv.type_name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            content_type_for("README.md").unwrap(),
            Some("text/markdown")
        );
        assert_eq!(
            content_type_for("docs/README.RST").unwrap(),
            Some("text/x-rst")
        );
        assert_eq!(content_type_for("README").unwrap(), None);
        assert!(content_type_for("README.adoc").is_err());
    }
}
