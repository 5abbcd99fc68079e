//! Carrying out a [`Plan`]: read every project file once (in parallel),
//! write the wheel and the sdist at the same time into temporary files in
//! the output folder, and rename them to their final names only when both
//! are complete. Files of [`STREAM_FROM`] bytes or more are never held
//! whole: read in chunks, compressed into a temporary file in the output
//! folder, and streamed from there into both archives.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use camino::{Utf8Path, Utf8PathBuf};

use super::plan::{ArchivePlan, Content, Plan};
use super::record::RecordWriter;
use crate::archive::atomic::{self, TempFile};
use crate::archive::{
    ArchiveWriter, Deflated, HashingWriter, LargeFile, LargeMember, ListingWriter, Member,
    SHARE_FROM, STREAM_FROM, TarGzWriter, ZipWriter, deflate, deflate_file,
};
use crate::util::par::{par_map, threads};

/// A written artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: Utf8PathBuf,
    /// Hex sha256 of the file.
    pub sha256: String,
    pub size: u64,
}

/// Below this many files, one thread reads and compresses them all.
const PARALLEL_FROM: usize = 64;

/// A project file, read once.
enum FileData {
    /// Held whole: its bytes and compressed segment.
    Whole {
        bytes: Vec<u8>,
        /// Compressed only when an archive will use it.
        deflated: Option<Deflated>,
    },
    /// Too large to hold ([`STREAM_FROM`] bytes or more): streamed.
    Large(Arc<LargeFile>),
}

/// The bytes of every member: each project file read and compressed once,
/// for both archives (the wheel's RECORD hashes them as they are written).
struct Contents {
    files: HashMap<Utf8PathBuf, FileData>,
}

impl Contents {
    /// Read and compress the project files the archives need, on all
    /// cores (one thread for small projects, where starting threads costs
    /// more than it saves).
    /// `compress(path, size)` says which files to compress; the compressed
    /// form of large files goes to temporary files in `spill` (created if
    /// missing; without it, large files are only hashed).
    fn read(
        archives: &[&ArchivePlan],
        compress: &(dyn Fn(&Utf8Path, usize) -> bool + Sync),
        spill: Option<&Utf8Path>,
    ) -> Result<Contents> {
        let mut paths: Vec<&Utf8Path> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for archive in archives {
            for entry in &archive.entries {
                if let Content::File(p) = &entry.content {
                    if seen.insert(p.as_path()) {
                        paths.push(p);
                    }
                }
            }
        }
        let workers = if paths.len() < PARALLEL_FROM {
            1
        } else {
            threads()
        };
        // Small files on all cores; large ones afterwards, one at a time,
        // each on all cores.
        let done = par_map(&paths, workers, |p| -> Result<Option<FileData>> {
            let Some(bytes) = read_small(p)? else {
                return Ok(None);
            };
            let deflated = if compress(p, bytes.len()) {
                Some(deflate(&bytes).with_context(|| format!("cannot compress {p}"))?)
            } else {
                None
            };
            Ok(Some(FileData::Whole { bytes, deflated }))
        });
        let mut files = HashMap::with_capacity(done.len());
        for (p, r) in paths.iter().zip(done) {
            let data = match r? {
                Some(data) => data,
                None => {
                    let file = open_file(p)?;
                    let len = file.metadata().map_err(|err| read_error(p, err))?.len();
                    let size = usize::try_from(len).unwrap_or(usize::MAX);
                    let dir = spill.filter(|_| compress(p, size));
                    FileData::Large(Arc::new(deflate_file(p, file, dir, threads())?))
                }
            };
            files.insert(p.to_path_buf(), data);
        }
        Ok(Contents { files })
    }

    fn file<'a>(&'a self, path: &Utf8Path) -> Result<&'a FileData> {
        self.files
            .get(path)
            .ok_or_else(|| anyhow!("{path} was not read"))
    }

    /// The bytes of a member held in memory (not of a [`large`](Self::large) file).
    fn bytes<'a>(&'a self, content: &'a Content) -> Result<&'a [u8]> {
        match content {
            Content::File(p) => match self.file(p)? {
                FileData::Whole { bytes, .. } => Ok(bytes),
                FileData::Large(_) => Err(anyhow!("{p} is streamed, not held in memory")),
            },
            Content::Bytes(b) => Ok(b.as_slice()),
            Content::Dir => Ok(&[]),
        }
    }

    /// A project file too large to hold, streamed from disk.
    fn large(&self, content: &Content) -> Result<Option<&Arc<LargeFile>>> {
        match content {
            Content::File(p) => match self.file(p)? {
                FileData::Large(file) => Ok(Some(file)),
                FileData::Whole { .. } => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The compressed segment of a project file held in memory (None for
    /// generated content and large files).
    fn deflated(&self, content: &Content) -> Result<Option<&Deflated>> {
        match content {
            Content::File(p) => match self.file(p)? {
                FileData::Whole { deflated, .. } => Ok(deflated.as_ref()),
                FileData::Large(_) => Ok(None),
            },
            _ => Ok(None),
        }
    }

    fn is_dir(&self, content: &Content) -> bool {
        matches!(content, Content::Dir)
    }
}

/// Open one file, naming what went wrong in a way a person can act on.
fn open_file(path: &Utf8Path) -> Result<File> {
    File::open(path).map_err(|err| read_error(path, err))
}

/// Read one file whole if it is smaller than [`STREAM_FROM`] (None: it is
/// not, and is left to be streamed).
fn read_small(path: &Utf8Path) -> Result<Option<Vec<u8>>> {
    let mut file = open_file(path)?;
    let len = file.metadata().map_err(|err| read_error(path, err))?.len();
    if len >= STREAM_FROM {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes)
        .map_err(|err| read_error(path, err))?;
    Ok(Some(bytes))
}

/// An error reading `path`, worded for the person building.
fn read_error(path: &Utf8Path, err: std::io::Error) -> anyhow::Error {
    match err.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "{path} vanished during the build (it was listed, then could not be opened); build again once the tree is stable"
        ),
        std::io::ErrorKind::PermissionDenied => {
            anyhow!("{path} cannot be read: permission denied; fix its permissions or exclude it")
        }
        _ => anyhow!("cannot read {path}: {err}"),
    }
}

type Written = (TempFile, String, u64);

fn write_archive(
    dir: &Utf8Path,
    archive: &ArchivePlan,
    write: impl FnOnce(&mut HashingWriter<BufWriter<File>>) -> Result<()>,
) -> Result<Written> {
    let (temp, file) = TempFile::create(dir, &archive.file_name)?;
    let mut out = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
    write(&mut out)?;
    let (sha, size) = out.summary();
    let mut buf = out.into_inner();
    buf.flush()
        .with_context(|| format!("cannot write {}", temp.path()))?;
    Ok((temp, sha, size))
}

/// Write the selected archives into `out_dir`.
pub fn execute(
    plan: &Plan,
    out_dir: &Utf8Path,
    want_sdist: bool,
    want_wheel: bool,
) -> Result<(Option<Artifact>, Option<Artifact>)> {
    let mut archives = Vec::new();
    if want_sdist {
        archives.push(&plan.sdist);
    }
    if want_wheel {
        archives.push(&plan.wheel);
    }
    // Wheel members are compressed once for both archives; sdist-only files
    // only when the sdist reuses the result (see archive::SHARE_FROM).
    let in_wheel: std::collections::HashSet<&Utf8Path> = plan
        .wheel
        .entries
        .iter()
        .filter(|_| want_wheel)
        .filter_map(|e| match &e.content {
            Content::File(p) => Some(p.as_path()),
            _ => None,
        })
        .collect();
    let compress = |p: &Utf8Path, size: usize| in_wheel.contains(p) || size >= SHARE_FROM;
    // Large files are compressed into temporary files beside the archives.
    let contents = Contents::read(&archives, &compress, Some(out_dir))?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the output folder {out_dir}"))?;
    // Left by a killed run: nothing else ever removes them.
    atomic::remove_stale(out_dir);
    // The heavy work is done: the writers assemble the precompressed files.
    let sdist = want_sdist
        .then(|| {
            write_archive(out_dir, &plan.sdist, |out| {
                let tar = TarGzWriter::new(out, plan.mtime).threads(threads());
                let into = &plan.sdist.file_name;
                write_members(&plan.sdist, &contents, Box::new(tar), into)
            })
        })
        .transpose()?;
    let wheel = want_wheel
        .then(|| {
            write_archive(out_dir, &plan.wheel, |out| {
                let zip = Box::new(ZipWriter::new(out, plan.mtime));
                let recorded = RecordWriter::new(zip, &plan.record_name);
                let into = &plan.wheel.file_name;
                write_members(&plan.wheel, &contents, Box::new(recorded), into)
            })
        })
        .transpose()?;
    // Both complete (or neither is kept): only now take the final names.
    let finish = |w: Option<Written>| -> Result<Option<Artifact>> {
        w.map(|(temp, sha256, size)| temp.keep().map(|path| Artifact { path, sha256, size }))
            .transpose()
    };
    Ok((finish(sdist)?, finish(wheel)?))
}

/// `--list`: print each archive's members (RECORD as computed at write time).
pub fn list(plan: &Plan, want_sdist: bool, want_wheel: bool, out: &mut dyn Write) -> Result<()> {
    let mut archives = Vec::new();
    if want_wheel {
        archives.push(&plan.wheel);
    }
    if want_sdist {
        archives.push(&plan.sdist);
    }
    let contents = Contents::read(&archives, &|_, _| false, None)?;
    for archive in archives {
        writeln!(out, "{}", archive.file_name)?;
        let listing = Box::new(ListingWriter::new(&mut *out));
        write_members(archive, &contents, listing, "the listing")?;
        if std::ptr::eq(archive, &plan.wheel) {
            writeln!(out, "{:04o} {:>10} {}", 0o644, "-", plan.record_name)?;
        }
    }
    Ok(())
}

/// The one loop over an archive's members: each goes to `writer` in plan
/// order (large files streamed from disk, the others from memory with their
/// compressed form if they have one), then `writer` finishes. `into` names
/// what is written, for errors.
fn write_members(
    archive: &ArchivePlan,
    contents: &Contents,
    mut writer: Box<dyn ArchiveWriter + '_>,
    into: &str,
) -> Result<()> {
    for entry in &archive.entries {
        let what = || format!("cannot write {} into {into}", entry.name);
        if let Some(file) = contents.large(&entry.content)? {
            let member = LargeMember {
                name: &entry.name,
                mode: entry.mode,
                file,
            };
            writer.append_large(&member).with_context(what)?;
            continue;
        }
        let member = Member {
            name: &entry.name,
            mode: entry.mode,
            is_dir: contents.is_dir(&entry.content),
            data: contents.bytes(&entry.content)?,
            deflated: contents.deflated(&entry.content)?,
        };
        writer.append(&member).with_context(what)?;
    }
    writer
        .finish()
        .with_context(|| format!("cannot finish {into}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named_as_vanished() {
        let err = read_small(Utf8Path::new("/nonexistent/xtask-dist-file")).unwrap_err();
        assert!(
            err.to_string().contains("vanished during the build"),
            "{err}"
        );
    }
}
