//! The one way the gates read an archive (verify, smoke-test and the tests):
//! the zip and tar crates underneath, our limits on top.
//!
//! Every member is checked before its bytes are touched: a relative name
//! with no `..`, no root, drive or backslash, no NUL; a regular file or a
//! folder (no links, devices or FIFOs); no name twice. Sizes are bounded
//! three ways: the size a header declares, the ratio of that size to the
//! compressed size (a zip bomb inflates a thousandfold), and hard caps on
//! each member and on the whole archive, enforced on the bytes actually
//! read, whatever a header claims. Members are streamed through sha256; only
//! the ones asked for are kept in memory.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read};

use anyhow::{Context, Result, bail};
use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
// The iterable reader is in the crate's unstable API, hence the exact
// version in Cargo.toml.
use zip::unstable::read::ZipIterable;

/// How much an archive may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_members: usize,
    /// Uncompressed bytes of one member.
    pub max_member: u64,
    /// Uncompressed bytes of all members together.
    pub max_total: u64,
    /// Largest uncompressed-to-compressed ratio, for members above
    /// [`RATIO_FROM`] bytes.
    pub max_ratio: u64,
}

/// Small members may compress well (a file of spaces): the ratio limit
/// applies from this size on.
pub const RATIO_FROM: u64 = 1 << 20;

impl Limits {
    /// What a release artifact of this project may hold: far above the
    /// real ones (a few MB), far below what hurts a runner.
    pub const RELEASE: Limits = Limits {
        max_members: 100_000,
        max_member: 512 << 20,
        max_total: 2 << 30,
        max_ratio: 200,
    };
}

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// One member, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// As stored (a folder keeps its trailing `/` in a zip).
    pub name: String,
    pub kind: Kind,
    /// Permission bits (0o644, 0o755, ...) when the archive records them.
    pub mode: Option<u32>,
    /// Modification time: the DOS date and time as `date << 16 | time` for
    /// a zip, seconds since the epoch for a tar.
    pub mtime: u64,
    /// Uncompressed bytes read.
    pub size: u64,
    pub sha256: [u8; 32],
}

/// The members of an archive in archive order, with the bytes of those kept.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub members: Vec<Member>,
    pub kept: BTreeMap<String, Vec<u8>>,
}

impl Listing {
    /// The names of the files (not folders), in archive order.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(|m| m.kind == Kind::File)
            .map(|m| m.name.as_str())
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// The path a member name stands for: relative, no `..`, no root or drive,
/// no backslash or NUL, not empty. Pure.
pub fn safe_path(name: &str) -> Result<Utf8PathBuf, String> {
    if name.is_empty() || name.contains(['\0', '\\']) {
        return Err(format!("the member {name:?} has an unusable name"));
    }
    let mut clean = Utf8PathBuf::new();
    for component in Utf8Path::new(name).components() {
        match component {
            Utf8Component::Normal(part) if !part.contains(':') => clean.push(part),
            Utf8Component::CurDir => {}
            _ => {
                return Err(format!(
                    "the member {name:?} would land outside the folder it is unpacked into"
                ));
            }
        }
    }
    if clean.as_str().is_empty() {
        return Err(format!("the member {name:?} names no file"));
    }
    Ok(clean)
}

/// Tracks what has been read so far against the limits.
struct Budget {
    limits: Limits,
    what: String,
    members: usize,
    total: u64,
    seen: HashSet<String>,
}

impl Budget {
    fn new(limits: Limits, what: &str) -> Budget {
        Budget {
            limits,
            what: what.to_owned(),
            members: 0,
            total: 0,
            seen: HashSet::new(),
        }
    }

    /// Admit a member before reading it: name, count, declared size, ratio.
    fn admit(&mut self, name: &str, declared: u64, compressed: Option<u64>) -> Result<()> {
        let what = &self.what;
        safe_path(name).map_err(|why| anyhow::anyhow!("{what}: {why}; refused"))?;
        let key = name.trim_end_matches('/');
        if !self.seen.insert(key.to_owned()) {
            bail!("{what}: the member {name:?} appears twice; refused");
        }
        self.members += 1;
        if self.members > self.limits.max_members {
            bail!(
                "{what} holds more than {} members; refused",
                self.limits.max_members
            );
        }
        self.check_size(name, declared)?;
        if let Some(compressed) = compressed
            && declared >= RATIO_FROM
            && declared / compressed.max(1) > self.limits.max_ratio
        {
            bail!(
                "{what}: {name} would inflate from {compressed} to {declared} bytes (more than {}x); refused as a likely zip bomb",
                self.limits.max_ratio
            );
        }
        Ok(())
    }

    fn check_size(&self, name: &str, size: u64) -> Result<()> {
        let what = &self.what;
        if size > self.limits.max_member {
            bail!(
                "{what}: {name} is larger than {} bytes; refused",
                self.limits.max_member
            );
        }
        if self.total + size > self.limits.max_total {
            bail!(
                "{what} holds more than {} bytes in all; refused",
                self.limits.max_total
            );
        }
        Ok(())
    }

    /// Stream a member's bytes (at most what the limits allow, whatever its
    /// header said) through sha256, into `sink`.
    fn read(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        sink: &mut dyn io::Write,
    ) -> Result<(u64, [u8; 32])> {
        let allowed = self
            .limits
            .max_member
            .min(self.limits.max_total - self.total);
        let mut limited = reader.take(allowed + 1);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut size = 0u64;
        loop {
            let n = limited
                .read(&mut buf)
                .with_context(|| format!("{}: cannot read {name}", self.what))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            self.check_size(name, size)?;
            hasher.update(&buf[..n]);
            sink.write_all(&buf[..n])
                .with_context(|| format!("{}: cannot store {name}", self.what))?;
        }
        self.total += size;
        Ok((size, hasher.finalize().into()))
    }
}

/// What to do with a member's bytes.
pub enum Sink {
    /// Only hash them.
    Hash,
    /// Keep them in the listing.
    Keep,
    /// Write them somewhere (e.g. a file being unpacked).
    Write(Box<dyn io::Write>),
}

impl Budget {
    /// Read a member into its sink and add it to the listing (with its
    /// bytes, when kept).
    fn take(
        &mut self,
        listing: &mut Listing,
        mut member: Member,
        reader: &mut dyn Read,
        sink: Sink,
    ) -> Result<()> {
        let mut kept = Vec::new();
        if self.drain(&mut member, reader, sink, &mut kept)? {
            listing.kept.insert(member.name.clone(), kept);
        }
        listing.members.push(member);
        Ok(())
    }

    /// Read a member into its sink; true if its bytes are to be kept.
    fn drain(
        &mut self,
        member: &mut Member,
        reader: &mut dyn Read,
        sink: Sink,
        kept: &mut Vec<u8>,
    ) -> Result<bool> {
        let name = member.name.clone();
        let (keep, (size, sha256)) = match sink {
            Sink::Hash => (false, self.read(&name, reader, &mut io::sink())?),
            Sink::Keep => (true, self.read(&name, reader, kept)?),
            Sink::Write(mut out) => {
                let read = self.read(&name, reader, &mut out)?;
                out.flush()
                    .with_context(|| format!("{}: cannot store {name}", self.what))?;
                (false, read)
            }
        };
        member.size = size;
        member.sha256 = sha256;
        Ok(keep)
    }
}

/// Read a zip member by member: `choose` is told each checked member (its
/// size not yet read) and says what to do with its bytes.
///
/// The central directory is walked one entry at a time by the zip crate's
/// iterable reader, which keeps a name stored twice (its `ZipArchive` keys
/// members by name, so a twin would silently shadow the other) and tells the
/// member count from the end record before any entry is read.
pub fn zip<R: Read + io::Seek>(
    reader: R,
    what: &str,
    limits: Limits,
    mut choose: impl FnMut(&Member) -> Result<Sink>,
) -> Result<Listing> {
    let mut archive = ZipIterable::try_new(reader, zip::read::Config::default())
        .map_err(|why| anyhow::anyhow!("{what} is not a readable zip: {why}"))?;
    if archive.len() > limits.max_members {
        bail!(
            "{what} is not a readable zip: it lists {} members, more than {}",
            archive.len(),
            limits.max_members
        );
    }
    let entries = archive
        .files()
        .map_err(|why| anyhow::anyhow!("{what} is not a readable zip: {why}"))?;
    let mut budget = Budget::new(limits, what);
    let mut listing = Listing::default();
    let mut index = 0usize;
    while let Some(entry) = entries.next() {
        let entry = entry.with_context(|| format!("{what}: cannot read member {index}"))?;
        let name = entry
            .name()
            .with_context(|| format!("{what}: member {index} has a name that is not UTF-8"))?
            .into_owned();
        let file_type = entry.unix_mode().map(|m| m & 0o170000);
        if entry.is_symlink() || file_type == Some(0o120000) {
            bail!("{what}: the member {name:?} is a symbolic link; refused");
        }
        let kind = match file_type {
            _ if entry.is_dir() => Kind::Dir,
            None | Some(0) | Some(0o100000) => Kind::File,
            Some(0o040000) => Kind::Dir,
            Some(other) => bail!(
                "{what}: the member {name:?} is a special file (mode {other:o}), not a file or folder; refused"
            ),
        };
        budget.admit(&name, entry.size(), Some(entry.compressed_size()))?;
        let mtime = entry.last_modified().map_or(0, |t| {
            (u64::from(t.datepart()) << 16) | u64::from(t.timepart())
        });
        let member = Member {
            name,
            kind,
            mode: entry.unix_mode().map(|m| m & 0o7777),
            mtime,
            size: entry.size(),
            sha256: [0; 32],
        };
        let sink = choose(&member)?;
        let mut file = entry
            .with_reader(entries.reader_mut(), zip::ZipReadOptions::new())
            .with_context(|| format!("{what}: cannot read {}", member.name))?;
        budget.take(&mut listing, member, &mut file, sink)?;
        index += 1;
    }
    Ok(listing)
}

/// Read a tar.gz member by member, as [`zip`] does.
pub fn targz<R: Read>(
    reader: R,
    what: &str,
    limits: Limits,
    mut choose: impl FnMut(&Member) -> Result<Sink>,
) -> Result<Listing> {
    use tar::EntryType;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut budget = Budget::new(limits, what);
    let mut listing = Listing::default();
    for entry in archive
        .entries()
        .with_context(|| format!("{what} is not a readable tar.gz"))?
    {
        let mut entry = entry.with_context(|| format!("{what}: cannot read a member"))?;
        let raw = entry.path_bytes();
        let name = std::str::from_utf8(&raw)
            .with_context(|| format!("{what}: a member has a name that is not UTF-8"))?
            .to_owned();
        let header = entry.header();
        let kind = match header.entry_type() {
            EntryType::Regular | EntryType::Continuous => Kind::File,
            EntryType::Directory => Kind::Dir,
            EntryType::Symlink | EntryType::Link => {
                bail!("{what}: the member {name:?} is a link; refused")
            }
            other => bail!(
                "{what}: the member {name:?} is a special file ({other:?}), not a file or folder; refused"
            ),
        };
        let declared = header
            .size()
            .with_context(|| format!("{what}: {name} has a bad size field"))?;
        let mode = header.mode().ok().map(|m| m & 0o7777);
        let mtime = header.mtime().unwrap_or(0);
        budget.admit(&name, declared, None)?;
        let member = Member {
            name,
            kind,
            mode,
            mtime,
            size: declared,
            sha256: [0; 32],
        };
        let sink = choose(&member)?;
        budget.take(&mut listing, member, &mut entry, sink)?;
    }
    Ok(listing)
}

/// Open a file for reading only if it is a regular file (not a FIFO, a
/// device such as /dev/zero, or a folder), following links to one. A FIFO
/// is refused before it is opened (opening one waits for a writer), and the
/// file is opened without waiting, so one swapped in meanwhile cannot block.
pub fn open_regular(path: &Utf8Path) -> Result<std::fs::File> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open {path}"))?;
    if !meta.is_file() {
        bail!(
            "{path} is {}, not a regular file; refused",
            file_kind(&meta)
        );
    }
    let file = open_without_waiting(path).with_context(|| format!("cannot open {path}"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot inspect {path}"))?;
    if !meta.is_file() {
        bail!(
            "{path} is {}, not a regular file; refused",
            file_kind(&meta)
        );
    }
    Ok(file)
}

#[cfg(unix)]
fn open_without_waiting(path: &Utf8Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK changes nothing for a regular file's reads.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_waiting(path: &Utf8Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Read a small regular file whole, refusing one larger than `max` bytes.
pub fn read_small(path: &Utf8Path, max: u64) -> Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {path}"))?;
    if bytes.len() as u64 > max {
        bail!("{path} is larger than {max} bytes; refused");
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    /// Every limit holds at its exact value and refuses one past it.
    #[test]
    fn limits_admit_their_exact_value_and_refuse_one_more() {
        let limits = Limits {
            max_members: 2,
            max_member: 10,
            max_total: 15,
            max_ratio: 256,
        };
        let mut budget = Budget::new(limits, "t.zip");
        // A member of exactly max_member bytes, declared and read in full.
        budget.admit("a", 10, None).unwrap();
        let (size, sha) = budget
            .read("a", &mut Cursor::new(vec![7u8; 10]), &mut io::sink())
            .unwrap();
        assert_eq!(size, 10);
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest([7u8; 10])));
        // The total at exactly max_total.
        budget.admit("b", 5, None).unwrap();
        let err = budget
            .read("b", &mut Cursor::new(vec![0u8; 6]), &mut io::sink())
            .unwrap_err();
        assert!(
            err.to_string().contains("more than 15 bytes in all"),
            "{err:#}"
        );
        // The count: two members, not three.
        let err = budget.admit("c", 0, None).unwrap_err();
        assert!(err.to_string().contains("more than 2 members"), "{err:#}");

        // A member one byte over what it may hold, whatever it declared.
        let mut budget = Budget::new(limits, "t.zip");
        budget.admit("big", 3, None).unwrap();
        let err = budget
            .read("big", &mut Cursor::new(vec![0u8; 11]), &mut io::sink())
            .unwrap_err();
        assert!(err.to_string().contains("larger than 10 bytes"), "{err:#}");

        // The ratio: from RATIO_FROM bytes on, at most max_ratio, exactly.
        let big = Limits {
            max_member: 4 << 20,
            max_total: 8 << 20,
            ..limits
        };
        let mut budget = Budget::new(big, "t.zip");
        budget
            .admit("at", RATIO_FROM, Some(RATIO_FROM / 256))
            .unwrap();
        let err = budget
            .admit("over", RATIO_FROM, Some(RATIO_FROM / 1024))
            .unwrap_err();
        assert!(err.to_string().contains("zip bomb"), "{err:#}");
        // Below RATIO_FROM a member may compress as well as it likes.
        let mut budget = Budget::new(big, "t.zip");
        budget.admit("spaces", 1000, Some(1)).unwrap();
    }

    const SMALL: Limits = Limits {
        max_members: 10,
        max_member: 4 << 20,
        max_total: 6 << 20,
        max_ratio: 100,
    };

    /// A zip made by the zip crate (not by our writer), members given as
    /// (name, bytes, compressed).
    fn zip_of(build: impl FnOnce(&mut zip::ZipWriter<Cursor<Vec<u8>>>)) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        build(&mut writer);
        writer.finish().unwrap().into_inner()
    }

    fn stored() -> SimpleFileOptions {
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
    }

    fn deflated() -> SimpleFileOptions {
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
    }

    fn read_zip(bytes: Vec<u8>, limits: Limits) -> Result<Listing> {
        zip(Cursor::new(bytes), "t.zip", limits, |_| Ok(Sink::Keep))
    }

    fn err(result: Result<Listing>) -> String {
        format!("{:#}", result.unwrap_err())
    }

    #[test]
    fn safe_paths_stay_inside() {
        assert_eq!(
            safe_path("InvokeAI-Installer/lib/main.py").unwrap(),
            "InvokeAI-Installer/lib/main.py"
        );
        assert_eq!(safe_path("./a/b").unwrap(), "a/b");
        for bad in [
            "../evil",
            "a/../../evil",
            "a/../b",
            "/etc/passwd",
            "C:/evil",
            "a\\..\\b",
            "",
            ".",
            "a\0b",
        ] {
            assert!(safe_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_honest_zip_is_listed_with_hashes_and_kept_bytes() {
        let bytes = zip_of(|w| {
            w.add_directory("B/", stored()).unwrap();
            w.start_file("B/a.txt", deflated().unix_permissions(0o755))
                .unwrap();
            w.write_all(b"hello").unwrap();
        });
        let listing = zip(Cursor::new(bytes), "t.zip", SMALL, |m| {
            Ok(if m.kind == Kind::File {
                Sink::Keep
            } else {
                Sink::Hash
            })
        })
        .unwrap();
        assert_eq!(listing.members.len(), 2);
        let a = listing.member("B/a.txt").unwrap();
        assert_eq!((a.kind, a.mode, a.size), (Kind::File, Some(0o755), 5));
        assert_eq!(a.sha256, <[u8; 32]>::from(Sha256::digest(b"hello")));
        assert_eq!(listing.kept["B/a.txt"], b"hello");
        assert_eq!(listing.file_names().collect::<Vec<_>>(), ["B/a.txt"]);
    }

    #[test]
    fn traversal_absolute_and_odd_names_are_refused() {
        for name in ["B/../../evil.sh", "/tmp/evil.sh", "B\\evil.sh", "C:/evil"] {
            let bytes = zip_of(|w| {
                w.start_file(name, stored()).unwrap();
                w.write_all(b"x").unwrap();
            });
            let why = err(read_zip(bytes, SMALL));
            assert!(why.contains("refused"), "{name}: {why}");
        }
    }

    #[test]
    fn links_are_refused() {
        let bytes = zip_of(|w| {
            w.add_symlink("B/passwd", "/etc/passwd", stored()).unwrap();
        });
        assert!(err(read_zip(bytes, SMALL)).contains("is a symbolic link"));
    }

    #[test]
    fn a_name_twice_is_refused() {
        // The zip crate's writer will not write a name twice; a file and a
        // folder of the same name are as ambiguous once unpacked.
        let bytes = zip_of(|w| {
            w.start_file("B/x", stored()).unwrap();
            w.add_directory("B/x/", stored()).unwrap();
        });
        let why = err(read_zip(bytes, SMALL));
        assert!(why.contains("appears twice"), "{why}");
    }

    #[test]
    fn a_name_stored_twice_is_refused_though_the_zip_crate_would_hide_it() {
        let mut bytes = zip_of(|w| {
            for name in ["B/install.sh", "B/install.sX"] {
                w.start_file(name, stored()).unwrap();
                w.write_all(name.as_bytes()).unwrap();
            }
        });
        // Rename the second member to the first's name, in its local and
        // central headers: the zip crate then lists one member.
        let from = b"B/install.sX";
        let mut at = 0;
        while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
            bytes[at + i..at + i + from.len()].copy_from_slice(b"B/install.sh");
            at += i + from.len();
        }
        let why = err(read_zip(bytes, SMALL));
        assert!(why.contains("\"B/install.sh\" appears twice"), "{why}");
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_inflated() {
        // 16 MiB of zeros deflate to about 16 KiB: a ratio near 1000.
        let bytes = zip_of(|w| {
            w.start_file("B/zeros", deflated()).unwrap();
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..16 {
                w.write_all(&chunk).unwrap();
            }
        });
        assert!(bytes.len() < 1 << 20);
        let generous = Limits {
            max_member: 64 << 20,
            max_total: 64 << 20,
            ..SMALL
        };
        let why = err(read_zip(bytes.clone(), generous));
        assert!(why.contains("likely zip bomb"), "{why}");
        // Without the ratio rule, the size caps still hold.
        let no_ratio = Limits {
            max_ratio: u64::MAX,
            ..SMALL
        };
        let why = err(read_zip(bytes, no_ratio));
        assert!(why.contains("larger than 4194304 bytes"), "{why}");
    }

    #[test]
    fn a_header_that_lies_about_the_size_does_not_lift_the_caps() {
        let mut bytes = zip_of(|w| {
            w.start_file("B/zeros", deflated()).unwrap();
            w.write_all(&vec![0u8; 16 << 20]).unwrap();
        });
        // Claim 1000 bytes in the local and the central header.
        let patch = |bytes: &mut Vec<u8>, signature: &[u8; 4], offset: usize| {
            let at = bytes.windows(4).position(|w| w == signature).unwrap() + offset;
            bytes[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
        };
        patch(&mut bytes, b"PK\x03\x04", 22);
        patch(&mut bytes, b"PK\x01\x02", 24);
        let why = err(read_zip(bytes, SMALL));
        assert!(
            why.contains("larger than 4194304 bytes") || why.contains("cannot read B/zeros"),
            "{why}"
        );
    }

    #[test]
    fn the_total_is_capped_across_members() {
        let bytes = zip_of(|w| {
            for i in 0..3 {
                w.start_file(format!("B/{i}"), stored()).unwrap();
                w.write_all(&vec![7u8; 3 << 20]).unwrap();
            }
        });
        let why = err(read_zip(bytes, SMALL));
        assert!(why.contains("more than 6291456 bytes in all"), "{why}");
    }

    #[test]
    fn too_many_members_are_refused() {
        let bytes = zip_of(|w| {
            for i in 0..11 {
                w.start_file(format!("B/{i}"), stored()).unwrap();
            }
        });
        assert!(err(read_zip(bytes, SMALL)).contains("more than 10"));
    }

    #[test]
    fn the_member_count_is_refused_before_any_entry_is_read() {
        let mut bytes = zip_of(|w| {
            for i in 0..11 {
                w.start_file(format!("B/{i}"), stored()).unwrap();
            }
        });
        // Damage the first member's local header: the count, read from the
        // end record, is refused before any member is reached.
        let at = bytes.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
        bytes[at + 3] = 0;
        let why = err(read_zip(bytes.clone(), SMALL));
        assert!(why.contains("it lists 11 members, more than 10"), "{why}");
        let generous = Limits {
            max_members: 20,
            ..SMALL
        };
        let why = err(read_zip(bytes, generous));
        assert!(why.contains("t.zip: cannot read B/0"), "{why}");
    }

    /// A tar.gz with one member of the given type, built with the tar crate.
    fn targz_of(name: &str, kind: tar::EntryType, data: &[u8], size: u64) -> Vec<u8> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(size);
        header.set_mtime(1_700_000_000);
        if kind.is_symlink() || kind.is_hard_link() {
            header.set_link_name("/etc/passwd").unwrap();
        }
        // set_path refuses `..`; an attacker's archive would not.
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        {
            let mut builder = tar::Builder::new(&mut gz);
            builder.append(&header, data).unwrap();
            builder.finish().unwrap();
        }
        gz.finish().unwrap()
    }

    fn read_targz(bytes: Vec<u8>) -> Result<Listing> {
        targz(Cursor::new(bytes), "t.tar.gz", SMALL, |_| Ok(Sink::Keep))
    }

    #[test]
    fn tar_members_are_checked_alike() {
        use tar::EntryType;
        let ok = read_targz(targz_of("p-1/a.py", EntryType::Regular, b"x=1\n", 4)).unwrap();
        assert_eq!(ok.kept["p-1/a.py"], b"x=1\n");
        assert_eq!(ok.members[0].mtime, 1_700_000_000);
        for (name, kind, why) in [
            ("p-1/../../evil", EntryType::Regular, "outside"),
            ("/etc/evil", EntryType::Regular, "outside"),
            ("p-1/link", EntryType::Symlink, "is a link"),
            ("p-1/hard", EntryType::Link, "is a link"),
            ("p-1/dev", EntryType::Char, "special file"),
            ("p-1/fifo", EntryType::Fifo, "special file"),
        ] {
            let msg = err(read_targz(targz_of(name, kind, b"", 0)));
            assert!(msg.contains(why), "{name}: {msg}");
        }
        // A header declaring 2 GiB is refused before a byte is inflated.
        let big = targz_of("p-1/big", EntryType::Regular, b"", 0);
        let mut lying = tar::Header::new_ustar();
        lying.set_size(2 << 30);
        assert!(big.len() < 1000);
        let mut header = tar::Header::new_ustar();
        header.set_path("p-1/big").unwrap();
        header.set_size(2 << 30);
        header.set_cksum();
        let mut raw = header.as_bytes().to_vec();
        raw.extend(vec![0u8; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let msg = err(read_targz(gz.finish().unwrap()));
        assert!(msg.contains("larger than"), "{msg}");
    }

    #[test]
    fn only_regular_files_are_read() {
        let err = read_small(Utf8Path::new("/dev/zero"), 10).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let link = dir.join("SHA256SUMS");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read_small(&link, 10).is_err());
        std::fs::write(dir.join("big"), [b'a'; 11]).unwrap();
        let err = read_small(&dir.join("big"), 10).unwrap_err();
        assert!(err.to_string().contains("larger than 10 bytes"), "{err}");
        std::fs::write(dir.join("ok"), b"fine").unwrap();
        assert_eq!(read_small(&dir.join("ok"), 10).unwrap(), b"fine");
        let err = open_regular(dir).unwrap_err().to_string();
        assert!(err.contains("is a folder, not a regular file"), "{err}");
    }

    /// A FIFO with no writer: opening it for reading would wait for ever.
    /// It is refused at once, also through a link.
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        let fifo = dir.join("manifest.json");
        let c_path = std::ffi::CString::new(fifo.as_str()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let link = dir.join("SHA256SUMS");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let a = open_regular(&fifo).map(|_| ()).map_err(|e| e.to_string());
            let b = read_small(&link, 10).map(|_| ()).map_err(|e| e.to_string());
            let _ = send.send((a, b));
        });
        let (a, b) = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("opening a FIFO waited for a writer");
        for err in [a.unwrap_err(), b.unwrap_err()] {
            assert!(
                err.contains("is a FIFO (named pipe), not a regular file; refused"),
                "{err}"
            );
        }
        let err = open_regular(Utf8Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a character device"), "{err}");
    }
}
