//! Reading wheels and sdists back in tests: a small zip reader (stored and
//! deflated members, no ZIP64) and a tar.gz reader.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One archive member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Permission bits (0o644, 0o755, ...), without the file type.
    pub mode: u32,
    pub data: Vec<u8>,
    /// Modification time as stored (DOS date/time for zip, seconds for tar).
    pub mtime: u64,
    pub is_dir: bool,
}

fn u16_at(b: &[u8], i: usize) -> usize {
    u16::from_le_bytes([b[i], b[i + 1]]) as usize
}

fn u32_at(b: &[u8], i: usize) -> usize {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize
}

/// The members of a zip, in archive order. Panics on anything unexpected.
pub fn read_zip(path: &Path) -> Vec<Member> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let eocd = (0..=b.len() - 22)
        .rev()
        .find(|&i| b[i..i + 4] == *b"PK\x05\x06")
        .expect("no end of central directory");
    let count = u16_at(&b, eocd + 10);
    let mut p = u32_at(&b, eocd + 16);
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&b[p..p + 4], b"PK\x01\x02", "bad central directory entry");
        let method = u16_at(&b, p + 10);
        let (time, date) = (u16_at(&b, p + 12), u16_at(&b, p + 14));
        let csize = u32_at(&b, p + 20);
        let name_len = u16_at(&b, p + 28);
        let extra_len = u16_at(&b, p + 30);
        let comment_len = u16_at(&b, p + 32);
        let attrs = u32_at(&b, p + 38) as u32;
        let local = u32_at(&b, p + 42);
        let name = String::from_utf8(b[p + 46..p + 46 + name_len].to_vec()).expect("UTF-8 name");
        p += 46 + name_len + extra_len + comment_len;
        let lname = u16_at(&b, local + 26);
        let lextra = u16_at(&b, local + 28);
        let start = local + 30 + lname + lextra;
        let raw = &b[start..start + csize];
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                let mut d = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut d)
                    .expect("inflate");
                d
            }
            m => panic!("unexpected compression method {m} for {name}"),
        };
        out.push(Member {
            name,
            mode: (attrs >> 16) & 0o7777,
            data,
            mtime: ((date as u64) << 16) | time as u64,
            is_dir: false,
        });
    }
    out
}

/// The members of a tar.gz, in archive order.
pub fn read_tar_gz(path: &Path) -> Vec<Member> {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let is_dir = entry.header().entry_type().is_dir();
        let mode = entry.header().mode().expect("mode");
        let mtime = entry.header().mtime().expect("mtime");
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("tar data");
        out.push(Member {
            name,
            mode,
            data,
            mtime,
            is_dir,
        });
    }
    out
}

/// Files only, by name.
pub fn files(members: &[Member]) -> BTreeMap<String, Member> {
    members
        .iter()
        .filter(|m| !m.is_dir)
        .map(|m| (m.name.clone(), m.clone()))
        .collect()
}

/// The single file in `dir` whose name ends with `suffix`.
pub fn only(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one *{suffix} in {}: {found:?}",
        dir.display()
    );
    found[0].clone()
}

/// Hex sha256 of a file.
pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    format!("{:x}", Sha256::digest(&bytes))
}

/// Every path (files and folders) under `dir`, relative, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            out.push(
                path.strip_prefix(base)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned(),
            );
            if path.is_dir() && !path.is_symlink() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
