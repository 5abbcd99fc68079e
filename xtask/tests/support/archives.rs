//! Reading wheels and sdists back in tests through the zip and tar crates:
//! what our writers made is checked by readers we did not write.
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

/// The members of a zip, in archive order, read by the zip crate (not by our
/// own code, which wrote it). Panics on anything unexpected.
pub fn read_zip(path: &Path) -> Vec<Member> {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).expect("a readable zip");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("a zip member");
        let name = entry.name().expect("a UTF-8 name").into_owned();
        let mtime = entry.last_modified().map_or(0, |t| {
            (u64::from(t.datepart()) << 16) | u64::from(t.timepart())
        });
        let mode = entry.unix_mode().expect("Unix permissions") & 0o7777;
        let is_dir = entry.is_dir();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("member data");
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
