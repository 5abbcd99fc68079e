//! Deterministic archive writers behind one small trait: a zip writer for
//! the wheel, a tar.gz writer for the sdist, and a listing writer for
//! `--list`.
//!
//! Everything that could vary between machines is fixed: member order is the
//! caller's (sorted by the plan), every timestamp is the plan's, modes are
//! 0644/0755, uid/gid 0 with empty owner names, no extra fields, gzip header
//! without name and with mtime 0, compression level [`LEVEL`].
//!
//! Each file is compressed once ([`deflate`], on worker threads) into a
//! deflate *segment*: blocks ending on a byte boundary without the final-block
//! mark. A zip member is that segment plus an empty final block; in the
//! sdist's gzip stream the same segment sits between the compressed tar
//! headers (for files of [`SHARE_FROM`] bytes or more; smaller ones compress
//! better with their neighbours' context), so both archives share the work
//! and never depend on each other: the sdist's bytes are the same whether or
//! not the wheel is built. That is why the zip writer is written here rather
//! than taken from the `zip` crate, which compresses inside its writer, one
//! member at a time.
//!
//! Files of [`STREAM_FROM`] bytes or more are never held whole
//! ([`deflate_file`]): they are read, hashed and compressed in fixed-size
//! chunks into a segment in a temporary file, and both writers stream that
//! segment (or the file itself, when stored) from disk, so memory does not
//! grow with a file's size.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use camino::{Utf8Path, Utf8PathBuf};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};

use super::atomic::TempFile;

/// The compression level of both archives (zlib's default).
pub const LEVEL: u32 = 6;

/// The earliest time a zip can hold: 1980-01-01T00:00:00Z.
pub const ZIP_EPOCH: u64 = 315_532_800;

/// The latest time a zip can hold: 2107-12-31T23:59:59Z (stored as :58).
pub const ZIP_LATEST: u64 = 4_354_819_199;

/// One archive member.
pub struct Member<'a> {
    pub name: &'a str,
    pub mode: u32,
    pub is_dir: bool,
    pub data: &'a [u8],
    /// The member already compressed by [`deflate`]; else the writer
    /// compresses it itself.
    pub deflated: Option<&'a Deflated>,
}

/// A file's bytes compressed ahead of assembly.
#[derive(Debug, Clone)]
pub struct Deflated {
    /// A deflate segment (sync flush, no final block), or None when the bytes
    /// are better stored as they are. Shared, so the sdist writer can keep
    /// it until it finishes without copying.
    pub segment: Option<Arc<[u8]>>,
    /// CRC-32 of the uncompressed bytes.
    pub crc: u32,
}

/// A member too large to hold in memory, streamed from disk.
pub struct LargeMember<'a> {
    pub name: &'a str,
    pub mode: u32,
    pub file: &'a Arc<LargeFile>,
}

/// A file of [`STREAM_FROM`] bytes or more, read once by [`deflate_file`]:
/// its size and hashes, and its compressed form in a temporary file.
#[derive(Debug)]
pub struct LargeFile {
    /// The file itself, read again when its bytes are stored (and checked
    /// against `size` and `crc` then).
    pub source: Utf8PathBuf,
    pub size: u64,
    /// CRC-32 of the bytes (kept whole: the sdist combines it with its own).
    pub crc: flate2::Crc,
    pub sha256: [u8; 32],
    /// A deflate segment (sync flushes, no final block) in a temporary file
    /// removed with this value, and its length; None when the bytes are
    /// better stored as they are.
    pub segment: Option<(TempFile, u64)>,
}

/// An empty final block with fixed codes: ends a stream of segments.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Members at least this large are first sampled: incompressible data
/// (weights, images, archives) is stored rather than deflated for nothing.
const SAMPLE_FROM: usize = 64 * 1024;
const SAMPLE: usize = 8 * 1024;

/// Whether `data` looks incompressible: three samples (start, middle, end)
/// each shrink by less than 3% at the fastest level. A pure function of the
/// bytes, so the output stays reproducible.
pub fn incompressible(data: &[u8]) -> bool {
    if data.len() < SAMPLE_FROM {
        return false;
    }
    sample_offsets(data.len() as u64).iter().all(|&start| {
        let start = start as usize;
        sample_incompressible(&data[start..start + SAMPLE])
    })
}

/// Where the three samples of `len` bytes start (`len` >= [`SAMPLE_FROM`]).
fn sample_offsets(len: u64) -> [u64; 3] {
    let sample = SAMPLE as u64;
    [0, len / 2 - sample / 2, len - sample]
}

/// Whether one sample shrinks by less than 3% at the fastest level.
fn sample_incompressible(sample: &[u8]) -> bool {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(SAMPLE + 64), Compression::fast());
    let small = enc
        .write_all(sample)
        .and_then(|()| enc.finish())
        .map(|out| out.len() * 100 >= sample.len() * 97);
    small.unwrap_or(false)
}

/// [`incompressible`] for a file of `len` bytes, reading only its samples.
fn file_incompressible(file: &mut File, len: u64) -> io::Result<bool> {
    if len < SAMPLE_FROM as u64 {
        return Ok(false);
    }
    let mut sample = vec![0u8; SAMPLE];
    for start in sample_offsets(len) {
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut sample)?;
        if !sample_incompressible(&sample) {
            return Ok(false);
        }
    }
    Ok(true)
}

thread_local! {
    /// One compressor per worker thread, reset between members: setting up
    /// a deflate stream costs more than compressing a small file.
    static COMPRESSOR: std::cell::RefCell<Option<flate2::Compress>> =
        const { std::cell::RefCell::new(None) };
}

/// Raw deflate of `input` at [`LEVEL`] (or stored blocks when `store`),
/// primed with `dictionary`, ending with a sync flush (`last == false`:
/// more chunks follow) or the final block.
fn raw_deflate(input: &[u8], dictionary: &[u8], store: bool, last: bool) -> io::Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let c = match slot.as_mut() {
            Some(c) => {
                c.reset();
                c
            }
            None => slot.insert(flate2::Compress::new(Compression::new(LEVEL), false)),
        };
        let level = if store {
            Compression::none()
        } else {
            Compression::new(LEVEL)
        };
        c.set_level(level).map_err(io::Error::other)?;
        if !dictionary.is_empty() {
            c.set_dictionary(dictionary).map_err(io::Error::other)?;
        }
        let flush = if last {
            flate2::FlushCompress::Finish
        } else {
            flate2::FlushCompress::Sync
        };
        let mut out: Vec<u8> = Vec::with_capacity(input.len() / 2 + 1024);
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.capacity().max(4096));
            }
            let consumed = c.total_in() as usize;
            let status = c
                .compress_vec(&input[consumed..], &mut out, flush)
                .map_err(io::Error::other)?;
            let done_input = c.total_in() as usize == input.len();
            let room_left = out.len() < out.capacity();
            match status {
                flate2::Status::StreamEnd => break,
                _ if !last && done_input && room_left => break,
                _ => {}
            }
        }
        Ok(out)
    })
}

/// Compress one file into a segment (used from worker threads).
pub fn deflate(data: &[u8]) -> io::Result<Deflated> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let segment = if incompressible(data) {
        None
    } else {
        let segment = raw_deflate(data, &[], false, false)?;
        (segment.len() + FINAL_BLOCK.len() < data.len()).then(|| Arc::from(segment))
    };
    Ok(Deflated {
        segment,
        crc: crc.sum(),
    })
}

/// Files of this many bytes or more are never held whole: see
/// [`deflate_file`]. A constant, so the bytes stay a pure function of the
/// inputs.
pub const STREAM_FROM: u64 = 16 << 20;

/// A large file is compressed in chunks of this many bytes (each primed
/// with the 32 KiB before it, so the bytes never depend on the number of
/// threads), this many chunks at a time: what bounds the memory it takes.
const FILE_CHUNK: usize = RUN_CHUNK;
const FILE_BATCH: usize = 16;

/// The largest stored deflate block; a large file is stored in blocks of
/// this size (the last one shorter), read this many at a time.
const STORED_BLOCK: usize = 65_535;
const STORED_BATCH: usize = 16;

/// Fill `buf` from `reader` unless it ends first: how many bytes were read.
/// Chunk boundaries are then fixed offsets of the file, whatever sizes the
/// reads return.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// A name for a segment's temporary file, unique in this process.
fn segment_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("segment-{}.deflate", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Read a large file (`file`, opened from `source`) once, in chunks: its
/// size, CRC-32 and sha256 and, when `segment_dir` is given, its deflate
/// segment, written to a temporary file there (removed when the result is
/// dropped). Incompressible files (judged by the same samples as
/// [`incompressible`], read by seeking) and files that would not shrink
/// are stored instead. The chunks are compressed on `threads` workers
/// while the bytes are hashed; at most [`FILE_BATCH`] chunks are in memory
/// at once. Without `segment_dir`, the file is only hashed.
pub fn deflate_file(
    source: &Utf8Path,
    mut file: File,
    segment_dir: Option<&Utf8Path>,
    threads: usize,
) -> anyhow::Result<LargeFile> {
    use anyhow::Context;
    let cannot_read = || format!("cannot read {source}");
    let len = file.metadata().with_context(cannot_read)?.len();
    let mut segment = match segment_dir {
        Some(dir) if !file_incompressible(&mut file, len).with_context(cannot_read)? => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
            let (temp, out) = TempFile::create(dir, &segment_name())?;
            Some((temp, io::BufWriter::with_capacity(1 << 20, out), 0u64))
        }
        _ => None,
    };
    file.seek(SeekFrom::Start(0)).with_context(cannot_read)?;
    let mut sha = Sha256::new();
    let mut crc = flate2::Crc::new();
    let mut size = 0u64;
    // The last WINDOW bytes of the previous batch, then the batch.
    let mut buf = vec![0u8; WINDOW + FILE_CHUNK * FILE_BATCH];
    let mut dictionary = 0;
    loop {
        let n = read_full(&mut file, &mut buf[WINDOW..]).with_context(cannot_read)?;
        let data = &buf[WINDOW..WINDOW + n];
        match &mut segment {
            None => {
                sha.update(data);
                crc.update(data);
            }
            Some((temp, out, written)) => {
                let starts: Vec<usize> = (WINDOW..WINDOW + n).step_by(FILE_CHUNK).collect();
                let buf = &buf;
                let compressed = std::thread::scope(|s| {
                    let hashing = s.spawn(|| {
                        sha.update(data);
                        crc.update(data);
                    });
                    let compressed = crate::util::par::par_map(&starts, threads, |&start| {
                        let end = (start + FILE_CHUNK).min(WINDOW + n);
                        let from = if start == WINDOW {
                            WINDOW - dictionary
                        } else {
                            start - WINDOW
                        };
                        raw_deflate(&buf[start..end], &buf[from..start], false, false)
                    });
                    hashing
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e));
                    compressed
                });
                for chunk in compressed {
                    let chunk = chunk.with_context(|| format!("cannot compress {source}"))?;
                    out.write_all(&chunk)
                        .with_context(|| format!("cannot write {}", temp.path()))?;
                    *written += chunk.len() as u64;
                }
            }
        }
        size += n as u64;
        if n < FILE_CHUNK * FILE_BATCH {
            break;
        }
        let tail = buf.len() - WINDOW;
        buf.copy_within(tail.., 0);
        dictionary = WINDOW;
    }
    let segment = match segment {
        Some((temp, mut out, written)) => {
            out.flush()
                .with_context(|| format!("cannot write {}", temp.path()))?;
            drop(out);
            // Dropping the temporary file removes it.
            (written + (FINAL_BLOCK.len() as u64) < size).then_some((temp, written))
        }
        None => None,
    };
    Ok(LargeFile {
        source: source.to_owned(),
        size,
        crc,
        sha256: sha.finalize().into(),
        segment,
    })
}

impl LargeFile {
    /// The file's bytes again, in pieces of `piece` bytes (the last one
    /// shorter), checked against the size and CRC-32 read the first time.
    fn stream_source(
        &self,
        piece: usize,
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let changed = || {
            io::Error::other(format!(
                "{} changed during the build; build again once the tree is stable",
                self.source
            ))
        };
        let mut file = File::open(&self.source).map_err(|err| {
            io::Error::new(err.kind(), format!("cannot read {}: {err}", self.source))
        })?;
        let mut buf = vec![0u8; piece];
        let mut crc = flate2::Crc::new();
        let mut total = 0u64;
        loop {
            let n = read_full(&mut file, &mut buf)?;
            total += n as u64;
            if total > self.size {
                return Err(changed());
            }
            crc.update(&buf[..n]);
            if n > 0 {
                sink(&buf[..n])?;
            }
            if n < piece {
                break;
            }
        }
        if total != self.size || crc.sum() != self.crc.sum() {
            return Err(changed());
        }
        Ok(())
    }

    /// The segment's bytes, from its temporary file.
    fn stream_segment(
        &self,
        (temp, len): &(TempFile, u64),
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = temp.path();
        let mut file = File::open(path)
            .map_err(|err| io::Error::new(err.kind(), format!("cannot read {path}: {err}")))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = read_full(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            sink(&buf[..n])?;
        }
        if total != *len {
            return Err(io::Error::other(format!(
                "{path} holds {total} bytes, not the {len} written"
            )));
        }
        Ok(())
    }

    /// The file as stored deflate blocks (byte-aligned, none final).
    fn stream_stored_blocks(&self, out: &mut impl Write) -> io::Result<()> {
        self.stream_source(STORED_BLOCK * STORED_BATCH, |bytes| {
            for block in bytes.chunks(STORED_BLOCK) {
                let len = block.len() as u16;
                let mut head = [0u8; 5];
                head[1..3].copy_from_slice(&len.to_le_bytes());
                head[3..5].copy_from_slice(&(!len).to_le_bytes());
                out.write_all(&head)?;
                out.write_all(block)?;
            }
            Ok(())
        })
    }
}

/// Runs of tar bytes (headers, padding, generated files) are compressed in
/// pieces of at most this many bytes, in parallel, each primed with the
/// 32 KiB of tar before it. The size is fixed, so the bytes never depend on
/// the number of threads.
const RUN_CHUNK: usize = 1 << 20;

/// Files at least this large reuse their segment in the sdist; smaller
/// ones are compressed again within the tar stream, where their neighbours'
/// context shrinks them better than on their own.
pub const SHARE_FROM: usize = 4096;
const WINDOW: usize = 32 * 1024;

/// What every archive writer does.
pub trait ArchiveWriter {
    fn append(&mut self, member: &Member<'_>) -> io::Result<()>;
    /// Append a file streamed from disk (see [`deflate_file`]).
    fn append_large(&mut self, member: &LargeMember<'_>) -> io::Result<()>;
    /// Write the trailer (central directory, end blocks, gzip footer).
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// A writer that hashes and counts what goes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The sha256 (hex) and size of everything written.
    pub fn summary(&self) -> (String, u64) {
        (format!("{:x}", self.hasher.clone().finalize()), self.count)
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seconds since the epoch (UTC) as a civil date and time.
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-from-civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

/// A timestamp as `1970-01-01T00:00:00Z`.
pub fn iso8601(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Whether a zip member can carry `secs`: its MS-DOS date holds the years
/// 1980 to 2107 only. The reason when it cannot. Pure.
pub fn check_zip_time(secs: u64) -> Result<(), String> {
    if secs < ZIP_EPOCH {
        return Err(format!(
            "{secs} ({}) is before 1980-01-01, the earliest time a zip member can hold",
            iso8601(secs)
        ));
    }
    if secs > ZIP_LATEST {
        return Err(format!(
            "{secs} ({}) is after 2107-12-31, the latest date a zip member can hold",
            iso8601(secs)
        ));
    }
    Ok(())
}

/// MS-DOS date and time of a (UTC) timestamp (seconds rounded down to even);
/// a time outside 1980..=2107 is refused with the reason, never clamped.
pub fn dos_datetime(secs: u64) -> Result<(u16, u16), String> {
    check_zip_time(secs)?;
    let (y, m, d, hh, mm, ss) = civil(secs);
    let date = (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16;
    let time = ((hh as u16) << 11) | ((mm as u16) << 5) | (ss as u16 / 2);
    Ok((date, time))
}

/// The largest mtime a ustar header holds in its 11 octal digits (year
/// 2242); beyond it only a GNU extension could, which not every reader knows.
pub const USTAR_LATEST: u64 = 0o77_777_777_777;

struct CentralEntry {
    name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u32,
    usize: u32,
    mode: u32,
    offset: u32,
}

/// The wheel's zip writer.
pub struct ZipWriter<W: Write> {
    out: W,
    offset: u64,
    /// The members' DOS date and time, or why the time given has none.
    when: Result<(u16, u16), String>,
    central: Vec<CentralEntry>,
}

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} is too large for a zip without ZIP64 (4 GiB / 65535 members)"
    ))
}

fn u32_of(v: u64, what: &str) -> io::Result<u32> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v != u32::MAX)
        .ok_or_else(|| too_big(what))
}

impl<W: Write> ZipWriter<W> {
    /// A writer stamping every member with `mtime`; a time no zip can hold
    /// fails the first member written.
    pub fn new(out: W, mtime: u64) -> Self {
        Self {
            out,
            offset: 0,
            when: dos_datetime(mtime),
            central: Vec::new(),
        }
    }

    /// The members' DOS date and time.
    fn when(&self) -> io::Result<(u16, u16)> {
        self.when.clone().map_err(|why| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the member time {why}"),
            )
        })
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Write a member's local header and record its central entry; its
    /// `csize` bytes of payload follow.
    fn local_header(
        &mut self,
        name: &str,
        mode: u32,
        method: u16,
        crc: u32,
        csize: u64,
        usize: u64,
    ) -> io::Result<()> {
        let (date, time) = self.when()?;
        let flags: u16 = if name.is_ascii() { 0 } else { 0x0800 };
        let entry = CentralEntry {
            flags,
            method,
            crc,
            csize: u32_of(csize, name)?,
            usize: u32_of(usize, name)?,
            mode,
            offset: u32_of(self.offset, "the wheel")?,
            name: name.as_bytes().to_vec(),
        };
        let mut h = Vec::with_capacity(30 + entry.name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&entry.flags.to_le_bytes());
        h.extend_from_slice(&entry.method.to_le_bytes());
        h.extend_from_slice(&time.to_le_bytes());
        h.extend_from_slice(&date.to_le_bytes());
        h.extend_from_slice(&entry.crc.to_le_bytes());
        h.extend_from_slice(&entry.csize.to_le_bytes());
        h.extend_from_slice(&entry.usize.to_le_bytes());
        h.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&entry.name);
        self.put(&h)?;
        self.central.push(entry);
        Ok(())
    }
}

impl<W: Write> ArchiveWriter for ZipWriter<W> {
    fn append(&mut self, m: &Member<'_>) -> io::Result<()> {
        if m.is_dir {
            return Ok(());
        }
        let owned;
        let deflated = match m.deflated {
            Some(d) => d,
            None => {
                owned = deflate(m.data)?;
                &owned
            }
        };
        // A segment plus the final block, or the bytes stored.
        let (method, payload, tail): (u16, &[u8], &[u8]) = match &deflated.segment {
            Some(seg) => (8, seg, &FINAL_BLOCK),
            None => (0, m.data, &[]),
        };
        self.local_header(
            m.name,
            m.mode,
            method,
            deflated.crc,
            (payload.len() + tail.len()) as u64,
            m.data.len() as u64,
        )?;
        self.put(payload)?;
        self.put(tail)
    }

    fn append_large(&mut self, m: &LargeMember<'_>) -> io::Result<()> {
        let file = m.file;
        let crc = file.crc.sum();
        match &file.segment {
            Some(segment) => {
                let csize = segment.1 + FINAL_BLOCK.len() as u64;
                self.local_header(m.name, m.mode, 8, crc, csize, file.size)?;
                file.stream_segment(segment, |bytes| self.put(bytes))?;
                self.put(&FINAL_BLOCK)
            }
            None => {
                self.local_header(m.name, m.mode, 0, crc, file.size, file.size)?;
                file.stream_source(1 << 20, |bytes| self.put(bytes))
            }
        }
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        if self.central.len() >= 0xFFFF {
            return Err(too_big("the number of members"));
        }
        let cd_start = u32_of(self.offset, "the wheel")?;
        let central = std::mem::take(&mut self.central);
        let (date, time) = if central.is_empty() {
            (0, 0)
        } else {
            self.when()?
        };
        for e in &central {
            let mut h = Vec::with_capacity(46 + e.name.len());
            h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            h.extend_from_slice(&0x0314u16.to_le_bytes()); // made by: Unix, 2.0
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&e.flags.to_le_bytes());
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&e.csize.to_le_bytes());
            h.extend_from_slice(&e.usize.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            h.extend_from_slice(&0u16.to_le_bytes()); // comment
            h.extend_from_slice(&0u16.to_le_bytes()); // disk
            h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            h.extend_from_slice(&((0o100000 | e.mode) << 16).to_le_bytes());
            h.extend_from_slice(&e.offset.to_le_bytes());
            h.extend_from_slice(&e.name);
            self.put(&h)?;
        }
        let cd_size = u32_of(self.offset - u64::from(cd_start), "the central directory")?;
        let n = central.len() as u16;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        end.extend_from_slice(&n.to_le_bytes());
        end.extend_from_slice(&n.to_le_bytes());
        end.extend_from_slice(&cd_size.to_le_bytes());
        end.extend_from_slice(&cd_start.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.put(&end)?;
        self.out.flush()
    }
}

/// The sdist's tar.gz writer: ustar headers, a pax `path` record for names
/// that do not fit ustar or are not ASCII. The tar is laid out in memory,
/// except the bytes of large files, which stay on disk; when finished, the
/// runs of bytes between precompressed files are compressed on `threads`
/// workers and everything is joined into one gzip member, large files
/// streamed in their place.
pub struct TarGzWriter<W: Write> {
    out: W,
    /// The tar, without the bytes of large files.
    tar: Vec<u8>,
    /// Files whose compressed form is reused, in tar order.
    marks: Vec<Mark>,
    /// The bytes of large files (in the tar, not in `tar`).
    external: u64,
    mtime: u64,
    threads: usize,
}

impl<W: Write> TarGzWriter<W> {
    /// A writer compressing on all cores ([`threads`](Self::threads) to choose).
    pub fn new(out: W, mtime: u64) -> Self {
        Self {
            out,
            tar: Vec::new(),
            marks: Vec::new(),
            external: 0,
            mtime,
            threads: crate::util::par::threads(),
        }
    }

    /// Compress on this many threads (the bytes do not depend on it).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    fn put(&mut self, bytes: &[u8]) {
        self.tar.extend_from_slice(bytes);
    }

    /// Zeros up to the next 512-byte block of the whole tar.
    fn pad(&mut self) {
        let rem = ((self.tar.len() as u64 + self.external) % 512) as usize;
        if rem != 0 {
            self.tar.resize(self.tar.len() + 512 - rem, 0);
        }
    }

    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        h.set_mtime(self.mtime);
        // Empty owner names; zeroed device numbers are written as octal.
        let _ = h.set_username("");
        let _ = h.set_groupname("");
        let _ = h.set_device_major(0);
        let _ = h.set_device_minor(0);
        h
    }

    /// A member's header (after a pax record when its name needs one).
    fn put_header(&mut self, name: &str, mode: u32, is_dir: bool, size: u64) -> io::Result<()> {
        if self.mtime > USTAR_LATEST {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the member time {} ({}) is after {}, the latest a ustar header can hold",
                    self.mtime,
                    iso8601(self.mtime),
                    iso8601(USTAR_LATEST)
                ),
            ));
        }
        let kind = if is_dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        };
        let mut h = self.header(kind, mode, size);
        let fits = name.is_ascii() && h.set_path(name).is_ok();
        if !fits {
            let record = pax_record("path", name);
            let mut ph = self.header(tar::EntryType::XHeader, 0o644, record.len() as u64);
            ph.set_path("././@PaxHeader")?;
            ph.set_cksum();
            self.put(ph.as_bytes());
            self.put(&record);
            self.pad();
            let short: String = name
                .chars()
                .map(|c| if c.is_ascii() { c } else { '_' })
                .take(99)
                .collect();
            h.set_path(short.trim_end_matches('/'))?;
        }
        h.set_cksum();
        self.put(h.as_bytes());
        Ok(())
    }
}

/// Where the tar held in memory is not compressed as one run.
enum Mark {
    /// A file whose compressed form is reused: its byte range and segment
    /// (None: stored as is).
    Shared(usize, usize, Option<Arc<[u8]>>),
    /// A large file, whose bytes come at this offset (they are not held).
    External(usize, Arc<LargeFile>),
}

/// One piece of the sdist's deflate stream.
enum Piece {
    /// Tar bytes to compress here: `(start, end, from)`, primed with the
    /// bytes from `from` to `start` (the 32 KiB before them, or fewer after
    /// a large file, whose bytes are not at hand).
    Run(usize, usize, usize),
    /// Tar bytes to store as they are (incompressible file contents).
    Stored(usize, usize),
    /// A file's segment, compressed beforehand.
    Shared(Arc<[u8]>),
    /// A large file, streamed from disk.
    External(Arc<LargeFile>),
}

/// The pieces of a tar of `len` bytes in memory with `marks`: runs between
/// them cut into [`RUN_CHUNK`]s, files as their segment, stored, or
/// streamed.
fn pieces(len: usize, marks: &[Mark]) -> Vec<Piece> {
    let mut out = Vec::new();
    let runs = |from: usize, to: usize, floor: usize, out: &mut Vec<Piece>| {
        let mut start = from;
        while start < to {
            let end = (start + RUN_CHUNK).min(to);
            out.push(Piece::Run(
                start,
                end,
                start.saturating_sub(WINDOW).max(floor),
            ));
            start = end;
        }
    };
    let mut at = 0;
    // The bytes before this offset are not what precedes the ones after it.
    let mut floor = 0;
    for mark in marks {
        match mark {
            Mark::Shared(start, end, segment) => {
                runs(at, *start, floor, &mut out);
                match segment {
                    Some(seg) => out.push(Piece::Shared(Arc::clone(seg))),
                    None => out.push(Piece::Stored(*start, *end)),
                }
                at = *end;
            }
            Mark::External(offset, file) => {
                runs(at, *offset, floor, &mut out);
                out.push(Piece::External(Arc::clone(file)));
                at = *offset;
                floor = *offset;
            }
        }
    }
    runs(at, len, floor, &mut out);
    out
}

/// One pax record: `"<len> key=value\n"`, the length counting itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

impl<W: Write> ArchiveWriter for TarGzWriter<W> {
    fn append(&mut self, m: &Member<'_>) -> io::Result<()> {
        let size = if m.is_dir { 0 } else { m.data.len() as u64 };
        self.put_header(m.name, m.mode, m.is_dir, size)?;
        if !m.is_dir {
            let start = self.tar.len();
            self.put(m.data);
            if let Some(d) = m.deflated.filter(|_| m.data.len() >= SHARE_FROM) {
                self.marks
                    .push(Mark::Shared(start, self.tar.len(), d.segment.clone()));
            }
            self.pad();
        }
        Ok(())
    }

    fn append_large(&mut self, m: &LargeMember<'_>) -> io::Result<()> {
        self.put_header(m.name, m.mode, false, m.file.size)?;
        self.marks
            .push(Mark::External(self.tar.len(), Arc::clone(m.file)));
        self.external += m.file.size;
        self.pad();
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        // Two zero blocks, then zeros up to a whole 10 KiB record (as tar does).
        self.tar.resize(self.tar.len() + 1024, 0);
        let rem = ((self.tar.len() as u64 + self.external) % 10_240) as usize;
        if rem != 0 {
            self.tar.resize(self.tar.len() + 10_240 - rem, 0);
        }
        let tar = &self.tar;
        let pieces = pieces(tar.len(), &self.marks);
        let compressed = crate::util::par::par_map(&pieces, self.threads, |piece| match piece {
            Piece::Run(start, end, from) => {
                raw_deflate(&tar[*start..*end], &tar[*from..*start], false, false).map(Some)
            }
            Piece::Stored(start, end) => {
                raw_deflate(&tar[*start..*end], &[], true, false).map(Some)
            }
            Piece::Shared(_) | Piece::External(_) => Ok(None),
        });
        // Magic, deflate, no flags, mtime 0, no extra flags, OS unknown.
        self.out
            .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])?;
        for (piece, bytes) in pieces.iter().zip(compressed) {
            match (piece, bytes?) {
                (_, Some(bytes)) => self.out.write_all(&bytes)?,
                (Piece::Shared(segment), None) => self.out.write_all(segment)?,
                (Piece::External(file), None) => match &file.segment {
                    Some(segment) => {
                        let out = &mut self.out;
                        file.stream_segment(segment, |bytes| out.write_all(bytes))?
                    }
                    None => file.stream_stored_blocks(&mut self.out)?,
                },
                _ => {}
            }
        }
        self.out.write_all(&FINAL_BLOCK)?;
        // CRC-32 of the whole tar: the bytes held, and those of large files
        // combined in their places.
        let mut crc = flate2::Crc::new();
        let mut at = 0;
        for mark in &self.marks {
            if let Mark::External(offset, file) = mark {
                crc.update(&tar[at..*offset]);
                crc.combine(&file.crc);
                at = *offset;
            }
        }
        crc.update(&tar[at..]);
        let size = tar.len() as u64 + self.external;
        self.out.write_all(&crc.sum().to_le_bytes())?;
        // ISIZE: the size modulo 2^32.
        self.out.write_all(&(size as u32).to_le_bytes())?;
        self.out.flush()
    }
}

/// `--list`: one line per member: mode, size, name.
pub struct ListingWriter<W: Write> {
    out: W,
}

impl<W: Write> ListingWriter<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> ArchiveWriter for ListingWriter<W> {
    fn append(&mut self, m: &Member<'_>) -> io::Result<()> {
        if m.is_dir {
            writeln!(self.out, "{:04o} {:>10} {}", m.mode, "-", m.name)
        } else {
            writeln!(self.out, "{:04o} {:>10} {}", m.mode, m.data.len(), m.name)
        }
    }
    fn append_large(&mut self, m: &LargeMember<'_>) -> io::Result<()> {
        writeln!(self.out, "{:04o} {:>10} {}", m.mode, m.file.size, m.name)
    }
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_764_078_507), (2025, 11, 25, 13, 48, 27));
        assert_eq!(dos_datetime(ZIP_EPOCH), Ok(((1 << 5) | 1, 0)));
        let (date, time) = dos_datetime(1_764_078_507).unwrap();
        assert_eq!(date >> 9, 45);
        assert_eq!(time >> 11, 13);
        assert_eq!(time & 0x1f, 13);
        // The last second a zip holds: 2107-12-31 23:59:58.
        assert_eq!(iso8601(ZIP_LATEST), "2107-12-31T23:59:59Z");
        assert_eq!(
            dos_datetime(ZIP_LATEST),
            Ok(((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29))
        );
    }

    /// Outside 1980..=2107 a zip cannot date its members: refused with the
    /// reason, never clamped (2108-01-01 once became 2107-01-01).
    #[test]
    fn zip_times_outside_1980_to_2107_are_refused() {
        for (secs, why) in [
            (0, "0 (1970-01-01T00:00:00Z) is before 1980-01-01"),
            (ZIP_EPOCH - 1, "is before 1980-01-01"),
            (
                ZIP_LATEST + 1,
                "4354819200 (2108-01-01T00:00:00Z) is after 2107-12-31",
            ),
            (u64::MAX, "18446744073709551615 ("),
        ] {
            let err = dos_datetime(secs).unwrap_err();
            assert!(err.contains(why), "{secs}: {err}");
        }
        let mut out = Vec::new();
        let mut w = ZipWriter::new(&mut out, ZIP_LATEST + 1);
        let err = ArchiveWriter::append(
            &mut w,
            &Member {
                name: "a.txt",
                mode: 0o644,
                is_dir: false,
                data: b"a",
                deflated: None,
            },
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("after 2107-12-31"), "{err}");
        assert!(out.is_empty(), "nothing is written");
    }

    #[test]
    fn tar_times_a_ustar_header_cannot_hold_are_refused() {
        for (secs, ok) in [
            (USTAR_LATEST, true),
            (USTAR_LATEST + 1, false),
            (u64::MAX, false),
        ] {
            let mut out = Vec::new();
            let mut w: Box<dyn ArchiveWriter> =
                Box::new(TarGzWriter::new(&mut out, secs).threads(1));
            let result = w.append(&Member {
                name: "p-1/a.txt",
                mode: 0o644,
                is_dir: false,
                data: b"a",
                deflated: None,
            });
            assert_eq!(result.is_ok(), ok, "{secs}: {result:?}");
            if let Err(err) = result {
                assert!(
                    err.to_string()
                        .contains("the latest a ustar header can hold"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn pax_records_count_their_own_length() {
        assert_eq!(pax_record("path", "a"), b"9 path=a\n");
        assert_eq!(pax_record("path", "abc"), b"12 path=abc\n");
        let long = "x".repeat(95);
        let r = pax_record("path", &long);
        let text = String::from_utf8(r.clone()).unwrap();
        let len: usize = text.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(len, r.len());
    }

    /// Text, then incompressible bytes, then text again.
    fn mixed_data() -> Vec<u8> {
        let mut data = Vec::new();
        while data.len() < RUN_CHUNK + 300_000 {
            data.extend_from_slice(format!("line {} of some text\n", data.len()).as_bytes());
        }
        let mut x: u64 = 88172645463325252;
        for _ in 0..(RUN_CHUNK + 10_000) / 8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        data.extend_from_slice(&b"tail text ".repeat(5000));
        data
    }

    /// A tar.gz of three members: `(name, data)`, precompressed or not.
    fn tar_gz(members: &[(&str, &[u8])], precompressed: bool, threads: usize) -> Vec<u8> {
        let deflated: Vec<Deflated> = members.iter().map(|(_, d)| deflate(d).unwrap()).collect();
        let mut buf = Vec::new();
        let mut w: Box<dyn ArchiveWriter> =
            Box::new(TarGzWriter::new(&mut buf, ZIP_EPOCH).threads(threads));
        for ((name, data), d) in members.iter().zip(&deflated) {
            w.append(&Member {
                name,
                mode: 0o644,
                is_dir: false,
                data,
                deflated: precompressed.then_some(d),
            })
            .unwrap();
        }
        w.finish().unwrap();
        buf
    }

    #[test]
    fn sdist_stream_joins_segments_into_one_valid_gzip_member() {
        let data = mixed_data();
        let (text, rest) = data.split_at(RUN_CHUNK / 2);
        let members: Vec<(&str, &[u8])> =
            vec![("p/a.txt", text), ("p/b.bin", rest), ("p/empty", b"")];
        let shared = tar_gz(&members, true, 1);
        assert_eq!(
            shared,
            tar_gz(&members, true, 4),
            "bytes must not depend on threads"
        );
        let plain = tar_gz(&members, false, 2);
        assert_eq!(
            plain,
            tar_gz(&members, false, 1),
            "bytes must not depend on threads"
        );
        for gz in [&shared, &plain] {
            assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
            let got: Vec<(String, Vec<u8>)> = archive
                .entries()
                .unwrap()
                .map(|e| {
                    let mut e = e.unwrap();
                    let mut v = Vec::new();
                    io::Read::read_to_end(&mut e, &mut v).unwrap();
                    (e.path().unwrap().to_string_lossy().into_owned(), v)
                })
                .collect();
            assert_eq!(got.len(), 3);
            assert_eq!(got[0], ("p/a.txt".to_owned(), text.to_vec()));
            assert_eq!(got[1].1, rest);
            assert!(gz.len() < data.len(), "the text is compressed");
        }
    }

    #[test]
    fn incompressible_members_are_stored() {
        let data = mixed_data();
        let random = &data[RUN_CHUNK + 400_000..RUN_CHUNK + 600_000];
        assert!(incompressible(random));
        assert!(deflate(random).unwrap().segment.is_none());
        let text = &data[..200_000];
        assert!(!incompressible(text));
        assert!(deflate(text).unwrap().segment.is_some());
        assert!(!incompressible(b"short"), "small data is simply compressed");
    }

    fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w: Box<dyn ArchiveWriter> = Box::new(ZipWriter::new(&mut buf, ZIP_EPOCH));
        for (name, data) in members {
            w.append(&Member {
                name,
                mode: 0o644,
                is_dir: false,
                data,
                deflated: None,
            })
            .unwrap();
        }
        w.finish().unwrap();
        buf
    }

    #[test]
    fn zip_layout_and_round_trip() {
        let text = b"hello hello hello hello hello hello".as_slice();
        let buf = zip_bytes(&[("a.txt", text), ("empty", b"")]);
        // First local header: deflated, fixed time, no extra field.
        assert_eq!(&buf[0..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([buf[8], buf[9]]), 8);
        assert_eq!(u16::from_le_bytes([buf[28], buf[29]]), 0);
        let csize = u32::from_le_bytes(buf[18..22].try_into().unwrap()) as usize;
        let data = &buf[30 + 5..30 + 5 + csize];
        let mut dec = flate2::read::DeflateDecoder::new(data);
        let mut out = Vec::new();
        io::Read::read_to_end(&mut dec, &mut out).unwrap();
        assert_eq!(out, text);
        // The end record counts two members.
        let end = &buf[buf.len() - 22..];
        assert_eq!(&end[0..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        // Same input, same bytes.
        assert_eq!(buf, zip_bytes(&[("a.txt", text), ("empty", b"")]));
    }

    /// Pseudo-random bytes (incompressible).
    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.truncate(n);
        out
    }

    fn large(dir: &Utf8Path, name: &str, data: &[u8], spill: bool, threads: usize) -> LargeFile {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(&path, data).unwrap();
        }
        let file = File::open(&path).unwrap();
        deflate_file(&path, file, spill.then_some(dir), threads).unwrap()
    }

    /// A zip and a tar.gz of a small member, the large file, and a small one
    /// again (the runs after a large file are primed without its bytes).
    fn archives_with(file: &Arc<LargeFile>, threads: usize) -> (Vec<u8>, Vec<u8>) {
        let before = b"before the large file\n".repeat(300);
        let after = b"after the large file\n".repeat(3000);
        let mut zip = Vec::new();
        let mut tgz = Vec::new();
        {
            let mut writers: Vec<Box<dyn ArchiveWriter + '_>> = vec![
                Box::new(ZipWriter::new(&mut zip, ZIP_EPOCH)),
                Box::new(TarGzWriter::new(&mut tgz, ZIP_EPOCH).threads(threads)),
            ];
            for w in &mut writers {
                w.append(&Member {
                    name: "p/a.txt",
                    mode: 0o644,
                    is_dir: false,
                    data: &before,
                    deflated: None,
                })
                .unwrap();
                w.append_large(&LargeMember {
                    name: "p/weights.bin",
                    mode: 0o644,
                    file,
                })
                .unwrap();
                w.append(&Member {
                    name: "p/z.txt",
                    mode: 0o755,
                    is_dir: false,
                    data: &after,
                    deflated: None,
                })
                .unwrap();
            }
            for w in writers {
                w.finish().unwrap();
            }
        }
        (zip, tgz)
    }

    /// The members of a zip (read by the zip crate) and a tar.gz (by the
    /// tar crate, through a gzip decoder that checks the CRC and size).
    type Files = Vec<(String, Vec<u8>)>;

    fn read_back(zip: &[u8], tgz: &[u8]) -> (Files, Files) {
        let mut archive = zip::ZipArchive::new(io::Cursor::new(zip)).unwrap();
        let zipped = (0..archive.len())
            .map(|i| {
                let mut e = archive.by_index(i).unwrap();
                let mut v = Vec::new();
                io::Read::read_to_end(&mut e, &mut v).unwrap();
                (e.name().unwrap().into_owned(), v)
            })
            .collect();
        let mut decoder = flate2::read::GzDecoder::new(tgz);
        let mut tar_bytes = Vec::new();
        io::Read::read_to_end(&mut decoder, &mut tar_bytes).unwrap();
        assert_eq!(tar_bytes.len() % 10_240, 0);
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let tarred = archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut v = Vec::new();
                io::Read::read_to_end(&mut e, &mut v).unwrap();
                (e.path().unwrap().to_string_lossy().into_owned(), v)
            })
            .collect();
        (zipped, tarred)
    }

    #[test]
    fn large_files_are_streamed_into_both_archives() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        // Text, noise and zeros: compressible overall, several batches of
        // chunks, and not a whole number of chunks or blocks.
        let mut data = mixed_data();
        data.resize(data.len() + FILE_CHUNK * FILE_BATCH, 0);
        data.extend(mixed_data());
        data.resize(data.len() + 3 * FILE_CHUNK + 12_345, 0);
        let one = Arc::new(large(dir, "w.bin", &data, true, 1));
        let four = large(dir, "w.bin", &data, true, 4);
        assert_eq!(one.size, data.len() as u64);
        assert_eq!(one.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        assert_eq!(one.crc.sum(), crc.sum());
        let (temp, len) = one.segment.as_ref().expect("compressed");
        let (temp4, _) = four.segment.as_ref().expect("compressed");
        let segment = std::fs::read(temp.path()).unwrap();
        assert_eq!(segment.len() as u64, *len);
        assert!(segment.len() < data.len() / 2, "{}", segment.len());
        assert_eq!(
            segment,
            std::fs::read(temp4.path()).unwrap(),
            "the segment must not depend on threads"
        );
        // The segment is a valid deflate stream once ended.
        let mut whole = segment.clone();
        whole.extend_from_slice(&FINAL_BLOCK);
        let mut inflated = Vec::new();
        io::Read::read_to_end(
            &mut flate2::read::DeflateDecoder::new(whole.as_slice()),
            &mut inflated,
        )
        .unwrap();
        assert!(inflated == data, "the segment inflates to the file");
        drop(four);

        let (zip, tgz) = archives_with(&one, 1);
        assert_eq!(
            (zip.clone(), tgz.clone()),
            archives_with(&one, 4),
            "bytes must not depend on threads"
        );
        let (zipped, tarred) = read_back(&zip, &tgz);
        for members in [&zipped, &tarred] {
            assert_eq!(members.len(), 3);
            assert_eq!(members[1].0, "p/weights.bin");
            assert!(members[1].1 == data, "the large member reads back");
            assert_eq!(members[2].1, b"after the large file\n".repeat(3000));
        }
        assert!(tgz.len() < data.len() / 2 && zip.len() < data.len() / 2);
        // The segment's temporary file goes with the value.
        let temp_path = temp.path().to_owned();
        drop(one);
        assert!(!temp_path.exists());
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert_eq!(left.len(), 1, "only w.bin is left");
    }

    #[test]
    fn incompressible_large_files_are_stored_and_checked_when_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let data = noise(FILE_CHUNK * 3 + 100, 11);
        let file = Arc::new(large(dir, "n.bin", &data, true, 2));
        assert!(file.segment.is_none(), "stored, not deflated");
        let (zip, tgz) = archives_with(&file, 2);
        assert_eq!((zip.clone(), tgz.clone()), archives_with(&file, 1));
        let (zipped, tarred) = read_back(&zip, &tgz);
        assert!(zipped[1].1 == data && tarred[1].1 == data);
        // Method 0 in the zip: the bytes as they are.
        let mut archive = zip::ZipArchive::new(io::Cursor::new(&zip)).unwrap();
        assert_eq!(
            archive.by_index(1).unwrap().compression(),
            zip::CompressionMethod::Stored
        );
        // Only hashed, without a folder for segments.
        let hashed = large(dir, "n.bin", &data, false, 2);
        assert!(hashed.segment.is_none());
        assert_eq!(hashed.sha256, file.sha256);
        // A file that changes between reading and writing is refused.
        let mut changed = data.clone();
        changed[FILE_CHUNK] ^= 1;
        std::fs::write(dir.join("n.bin"), &changed).unwrap();
        let mut out = Vec::new();
        let mut w: Box<dyn ArchiveWriter> = Box::new(ZipWriter::new(&mut out, ZIP_EPOCH));
        let err = w
            .append_large(&LargeMember {
                name: "n.bin",
                mode: 0o644,
                file: &file,
            })
            .unwrap_err();
        assert!(
            err.to_string().contains("changed during the build"),
            "{err}"
        );
        let mut listing = Vec::new();
        let mut w: Box<dyn ArchiveWriter + '_> = Box::new(ListingWriter::new(&mut listing));
        w.append_large(&LargeMember {
            name: "n.bin",
            mode: 0o644,
            file: &file,
        })
        .unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(listing).unwrap(),
            format!("0644 {:>10} n.bin\n", data.len())
        );
    }

    #[test]
    fn tar_gz_is_deterministic_and_readable() {
        let build = || {
            let mut buf = Vec::new();
            let mut w: Box<dyn ArchiveWriter> =
                Box::new(TarGzWriter::new(&mut buf, ZIP_EPOCH).threads(2));
            let long = format!("p-1.0/{}/file.txt", "d".repeat(120));
            for (name, is_dir, data) in [
                ("p-1.0/", true, b"".as_slice()),
                ("p-1.0/PKG-INFO", false, b"Name: p\n".as_slice()),
                (long.as_str(), false, b"long".as_slice()),
                ("p-1.0/caf\u{e9}.txt", false, b"x".as_slice()),
            ] {
                w.append(&Member {
                    name,
                    mode: if is_dir { 0o755 } else { 0o644 },
                    is_dir,
                    data,
                    deflated: None,
                })
                .unwrap();
            }
            w.finish().unwrap();
            buf
        };
        let a = build();
        assert_eq!(a, build());
        // gzip header: no name, mtime 0.
        assert_eq!(&a[0..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&a[4..8], &[0, 0, 0, 0]);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(a.as_slice()));
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.header().uid().unwrap(), 0);
                assert_eq!(e.header().mtime().unwrap(), ZIP_EPOCH);
                e.path().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(names.len(), 4);
        assert!(
            names[2].ends_with("/file.txt") && names[2].len() > 130,
            "{names:?}"
        );
        assert_eq!(names[3], "p-1.0/caf\u{e9}.txt");
    }
}
