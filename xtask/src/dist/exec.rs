//! Carrying out a [`Plan`]: read every project file once (in parallel),
//! write the wheel and the sdist at the same time into temporary files in
//! the output folder, and rename them to their final names only when both
//! are complete.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};
use camino::{Utf8Path, Utf8PathBuf};

use super::archive::{ArchiveWriter, HashingWriter, ListingWriter, Member};
use super::plan::{ArchivePlan, Content, Plan};
use super::{sdist, wheel};

/// A written artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: Utf8PathBuf,
    /// Hex sha256 of the file.
    pub sha256: String,
    pub size: u64,
}

/// The number of worker threads: the machine's cores.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Apply `f` to every item on `threads` workers, keeping the items' order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let results: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            break;
                        }
                        mine.push((i, f(&items[i])));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (i, r) in results.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().flatten().collect()
}

/// The bytes of every member, each project file read once.
pub struct Contents {
    files: HashMap<Utf8PathBuf, Arc<Vec<u8>>>,
}

impl Contents {
    /// Read the project files the archives need, in parallel.
    pub fn read(archives: &[&ArchivePlan]) -> Result<Contents> {
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
        let read = par_map(&paths, threads(), |p| {
            read_file(p).map(|b| (p.to_path_buf(), Arc::new(b)))
        });
        let mut files = HashMap::with_capacity(read.len());
        for r in read {
            let (p, b) = r?;
            files.insert(p, b);
        }
        Ok(Contents { files })
    }

    pub fn bytes<'a>(&'a self, content: &'a Content) -> Result<&'a [u8]> {
        match content {
            Content::File(p) => self
                .files
                .get(p)
                .map(|b| b.as_slice())
                .ok_or_else(|| anyhow!("{p} was not read")),
            Content::Bytes(b) => Ok(b.as_slice()),
            Content::Dir => Ok(&[]),
        }
    }

    pub fn is_dir(&self, content: &Content) -> bool {
        matches!(content, Content::Dir)
    }
}

/// Read one file, naming what went wrong in a way a person can act on.
pub fn read_file(path: &Utf8Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "{path} vanished during the build (it was listed, then could not be opened); build again once the tree is stable"
        ),
        std::io::ErrorKind::PermissionDenied => {
            anyhow!("{path} cannot be read: permission denied; fix its permissions or exclude it")
        }
        _ => anyhow!("cannot read {path}: {err}"),
    })
}

/// A file being written under a temporary name; removed unless kept.
struct TempFile {
    temp: Utf8PathBuf,
    fin: Utf8PathBuf,
    kept: bool,
}

impl TempFile {
    fn create(dir: &Utf8Path, name: &str) -> Result<(TempFile, File)> {
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| format!("cannot create {temp}"))?;
        Ok((
            TempFile {
                temp,
                fin: dir.join(name),
                kept: false,
            },
            file,
        ))
    }

    fn keep(mut self) -> Result<Utf8PathBuf> {
        std::fs::rename(&self.temp, &self.fin)
            .with_context(|| format!("cannot rename {} to {}", self.temp, self.fin))?;
        self.kept = true;
        Ok(self.fin.clone())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.temp);
        }
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
        .with_context(|| format!("cannot write {}", temp.temp))?;
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
    let contents = Contents::read(&archives)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the output folder {out_dir}"))?;
    let (sdist, wheel) = std::thread::scope(|s| {
        let sdist = want_sdist.then(|| {
            s.spawn(|| {
                write_archive(out_dir, &plan.sdist, |out| {
                    sdist::write(&plan.sdist, &contents, plan.mtime, out)
                })
            })
        });
        let wheel = want_wheel.then(|| {
            write_archive(out_dir, &plan.wheel, |out| {
                wheel::write(
                    &plan.wheel,
                    &plan.record_name,
                    &contents,
                    plan.mtime,
                    out,
                    threads(),
                )
            })
        });
        let sdist = sdist.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (sdist, wheel)
    });
    // Both complete (or neither is kept): only now take the final names.
    let sdist = sdist.transpose()?;
    let wheel = wheel.transpose()?;
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
    let contents = Contents::read(&archives)?;
    for archive in archives {
        writeln!(out, "{}", archive.file_name)?;
        let mut w: Box<dyn ArchiveWriter + '_> = Box::new(ListingWriter::new(&mut *out));
        for e in &archive.entries {
            w.append(&Member {
                name: &e.name,
                mode: e.mode,
                is_dir: contents.is_dir(&e.content),
                data: contents.bytes(&e.content)?,
                deflated: None,
            })?;
        }
        w.finish()?;
        if std::ptr::eq(archive, &plan.wheel) {
            writeln!(out, "{:04o} {:>10} {}", 0o644, "-", plan.record_name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        let out = par_map(&items, 4, |x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(par_map(&Vec::<u32>::new(), 4, |x| *x).is_empty());
    }

    #[test]
    fn missing_files_are_named_as_vanished() {
        let err = read_file(Utf8Path::new("/nonexistent/xtask-dist-file")).unwrap_err();
        assert!(
            err.to_string().contains("vanished during the build"),
            "{err}"
        );
    }
}
