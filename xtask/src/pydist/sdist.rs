//! Writing the sdist (PEP 625 name, the sdist format spec): one tar.gz
//! stream of the plan's members under `{name}-{version}/`.

use std::io::Write;

use anyhow::{Context, Result};

use super::exec::Contents;
use super::plan::ArchivePlan;
use crate::archive::{ArchiveWriter, LargeMember, Member, TarGzWriter};

/// Write the sdist's members to `out` (a temp file), in plan order.
pub fn write<W: Write>(
    plan: &ArchivePlan,
    contents: &Contents,
    mtime: u64,
    out: W,
    threads: usize,
) -> Result<()> {
    let mut writer: Box<dyn ArchiveWriter + '_> =
        Box::new(TarGzWriter::new(out, mtime).threads(threads));
    for entry in &plan.entries {
        let what = || format!("cannot write {} into {}", entry.name, plan.file_name);
        if let Some(file) = contents.large(&entry.content)? {
            writer
                .append_large(&LargeMember {
                    name: &entry.name,
                    mode: entry.mode,
                    file,
                })
                .with_context(what)?;
            continue;
        }
        let data = contents.bytes(&entry.content)?;
        writer
            .append(&Member {
                name: &entry.name,
                mode: entry.mode,
                is_dir: contents.is_dir(&entry.content),
                data,
                deflated: contents.deflated(&entry.content)?,
            })
            .with_context(what)?;
    }
    writer
        .finish()
        .with_context(|| format!("cannot finish {}", plan.file_name))
}
