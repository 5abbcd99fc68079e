//! The wheel's `.dist-info` files (PEP 427/491): WHEEL, entry_points.txt,
//! top_level.txt, and RECORD, computed from the members as they are written.

use std::io::Write;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::exec::Contents;
use super::plan::ArchivePlan;
use crate::archive::{ArchiveWriter, LargeMember, Member, ZipWriter};
use crate::util::hash::record_hash;

/// Write the wheel: the members in plan order (project files hashed and
/// compressed beforehand, large ones streamed from disk, generated ones
/// here), RECORD last.
pub fn write<W: Write>(
    plan: &ArchivePlan,
    record_name: &str,
    contents: &Contents,
    mtime: u64,
    out: W,
) -> Result<()> {
    let mut record = Record::default();
    let mut zip: Box<dyn ArchiveWriter + '_> = Box::new(ZipWriter::new(out, mtime));
    for entry in &plan.entries {
        if let Some(file) = contents.large(&entry.content)? {
            zip.append_large(&LargeMember {
                name: &entry.name,
                mode: entry.mode,
                file,
            })
            .with_context(|| format!("cannot write {} into {}", entry.name, plan.file_name))?;
            record.add(&entry.name, &file.sha256, file.size);
            continue;
        }
        let data = contents.bytes(&entry.content)?;
        let digest = match contents.digest(&entry.content)? {
            Some(d) => d,
            None => Sha256::digest(data).into(),
        };
        zip.append(&Member {
            name: &entry.name,
            mode: entry.mode,
            is_dir: false,
            data,
            deflated: contents.deflated(&entry.content)?,
        })
        .with_context(|| format!("cannot write {} into {}", entry.name, plan.file_name))?;
        record.add(&entry.name, &digest, data.len() as u64);
    }
    let text = record.render(record_name);
    zip.append(&Member {
        name: record_name,
        mode: 0o644,
        is_dir: false,
        data: text.as_bytes(),
        deflated: None,
    })
    .with_context(|| format!("cannot write {record_name}"))?;
    zip.finish()
        .with_context(|| format!("cannot finish {}", plan.file_name))
}

/// The generator named in WHEEL: this xtask and its version.
pub fn generator() -> String {
    format!("xtask ({})", env!("CARGO_PKG_VERSION"))
}

/// WHEEL for the (compressed) tag set `tag`, as setuptools lays it out: one
/// `Tag:` line per tag, then a blank line.
pub fn wheel_file(tag: &str) -> String {
    let tags: String = super::names::expand_tags(tag)
        .iter()
        .map(|t| format!("Tag: {t}\n"))
        .collect();
    format!(
        "Wheel-Version: 1.0\nGenerator: {}\nRoot-Is-Purelib: true\n{tags}\n",
        generator()
    )
}

/// entry_points.txt as setuptools renders it: groups sorted, entries sorted
/// by name then value, a blank line between groups. None when there are none.
pub fn entry_points_file(groups: &[(String, Vec<(String, String)>)]) -> Option<String> {
    let mut sorted: Vec<&(String, Vec<(String, String)>)> = groups
        .iter()
        .filter(|(_, items)| !items.is_empty())
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let blocks: Vec<String> = sorted
        .iter()
        .map(|(group, items)| {
            let mut items = items.clone();
            items.sort();
            let lines: Vec<String> = items.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            format!("[{group}]\n{}\n", lines.join("\n"))
        })
        .collect();
    Some(blocks.join("\n"))
}

/// top_level.txt: the top-level names, sorted, one a line.
pub fn top_level_file(names: &[String]) -> String {
    format!("{}\n", names.join("\n"))
}

/// RECORD rows, in member order, then RECORD itself without hash or size.
#[derive(Debug, Default)]
pub struct Record {
    rows: Vec<[String; 3]>,
}

impl Record {
    pub fn add(&mut self, name: &str, digest: &[u8], size: u64) {
        self.rows
            .push([name.to_owned(), record_hash(digest), size.to_string()]);
    }

    pub fn render(&self, record_name: &str) -> String {
        let mut out = String::new();
        for row in &self.rows {
            out.push_str(&csv_row(row));
        }
        out.push_str(&csv_row(&[
            record_name.to_owned(),
            String::new(),
            String::new(),
        ]));
        out
    }
}

/// One CSV line as Python's `csv.writer` writes it (minimal quoting, `\n`).
fn csv_row(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_are_rendered_like_setuptools() {
        let groups = vec![
            (
                "console_scripts".to_owned(),
                vec![
                    ("zeta".to_owned(), "p.m:z".to_owned()),
                    ("alpha".to_owned(), "p.m:a".to_owned()),
                ],
            ),
            (
                "acme.plugins".to_owned(),
                vec![("x".to_owned(), "p.x".to_owned())],
            ),
        ];
        assert_eq!(
            entry_points_file(&groups).unwrap(),
            "[acme.plugins]\nx = p.x\n\n[console_scripts]\nalpha = p.m:a\nzeta = p.m:z\n"
        );
        assert_eq!(entry_points_file(&[]), None);
        let one = vec![(
            "console_scripts".to_owned(),
            vec![(
                "invokeai-web".to_owned(),
                "invokeai.app.run_app:run_app".to_owned(),
            )],
        )];
        assert_eq!(entry_points_file(&one).unwrap().len(), 62);
    }

    #[test]
    fn record_rows() {
        let mut r = Record::default();
        r.add("pkg/__init__.py", &Sha256::digest(b""), 0);
        r.add("a,b.txt", &Sha256::digest(b"x"), 1);
        assert_eq!(
            r.render("pkg-1.0.dist-info/RECORD"),
            "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.txt\",sha256=LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE,1\npkg-1.0.dist-info/RECORD,,\n"
        );
    }

    #[test]
    fn wheel_file_names_the_generator() {
        let w = wheel_file(super::super::names::PURE_PYTHON_3);
        assert!(w.starts_with("Wheel-Version: 1.0\nGenerator: xtask ("));
        assert!(w.ends_with("Root-Is-Purelib: true\nTag: py3-none-any\n\n"));
        let u = wheel_file(super::super::names::UNIVERSAL);
        assert!(u.ends_with("Root-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n\n"));
    }
}
