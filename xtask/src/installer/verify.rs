//! `cargo xtask verify [DIR]`: check what build-installer wrote, from the
//! bytes on disk, without trusting anything the build said.
//!
//! In order: every file against SHA256SUMS and manifest.json; every wheel's
//! RECORD; the installer zip carries the very same wheel; the wheel carries
//! the built UI (its page and the assets the page references); and the
//! version agrees everywhere (the version file, METADATA, PKG-INFO, the file
//! names, the filled install scripts, the manifest), by PEP 440 equality.
//! The first mismatch ends the run with an error naming it.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use anyhow::{Context, Result, bail, ensure};
use camino::Utf8Path;
use pep440_rs::Version;
use xshell::Shell;

use super::build::{MANIFEST, SHA256SUMS};
use super::checksums::{self, Kind, Manifest};
use super::staging::BUNDLE;
use crate::flags;
use crate::paths::Layout;
use crate::release::version;
use crate::util::hash::{record_hash, sha256, sha256_hex};

/// Where the built UI sits inside the wheel.
const UI_PREFIX: &str = "invokeai/frontend/web/dist/";

impl flags::Verify {
    pub fn run(self, _sh: &Shell) -> Result<()> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let dir = self.dir.clone().unwrap_or_else(|| layout.dist());
        let app = version::read(&layout)?;
        let report = verify(&dir, &app.version).with_context(|| format!("verify: {dir} failed"))?;
        for line in report {
            println!("ok: {line}");
        }
        println!(
            "verify: every check passed for {dir} (version {})",
            app.version
        );
        Ok(())
    }
}

/// An archive read into memory: member name to bytes, in archive order.
pub struct Members {
    pub names: Vec<String>,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Read every member of a zip.
pub fn read_zip(bytes: &[u8], what: &str) -> Result<Members> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .with_context(|| format!("{what} is not a readable zip"))?;
    let mut names = Vec::new();
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .with_context(|| format!("{what}: cannot read member {i}"))?;
        let name = entry
            .name()
            .with_context(|| format!("{what}: member {i} has a name that is not UTF-8"))?
            .into_owned();
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut data)
            .with_context(|| format!("{what}: cannot read {name}"))?;
        names.push(name.clone());
        files.insert(name, data);
    }
    Ok(Members { names, files })
}

/// One file of the sdist, read from its tar.gz.
fn read_targz_member(bytes: &[u8], wanted: &str, what: &str) -> Result<Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive
        .entries()
        .with_context(|| format!("{what} is not a readable tar.gz"))?
    {
        let mut entry = entry.with_context(|| format!("{what}: cannot read a member"))?;
        let path = entry
            .path()
            .with_context(|| format!("{what}: a member has a bad name"))?;
        if path.to_str() == Some(wanted) {
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .with_context(|| format!("{what}: cannot read {wanted}"))?;
            return Ok(data);
        }
    }
    bail!("{what} has no {wanted}")
}

/// Run every check over `dir`; returns what was checked, one line each.
pub fn verify(dir: &Utf8Path, expected: &Version) -> Result<Vec<String>> {
    let mut done = Vec::new();
    let sums_path = dir.join(SHA256SUMS);
    let sums_text = std::fs::read_to_string(&sums_path).with_context(|| {
        format!("cannot read {sums_path}; run `cargo xtask build-installer` first")
    })?;
    let sums = checksums::parse_sha256sums(&sums_text)
        .with_context(|| format!("{sums_path} is malformed"))?;
    let manifest_path = dir.join(MANIFEST);
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {manifest_path}"))?;
    let manifest = Manifest::from_json(&manifest_text)
        .with_context(|| format!("{manifest_path} is malformed"))?;

    // 1. Bytes against both checksum files.
    let mut listed: Vec<&str> = sums.iter().map(|(n, _)| n.as_str()).collect();
    let mut in_manifest: Vec<&str> = manifest.artifacts.iter().map(|a| a.file.as_str()).collect();
    listed.sort();
    in_manifest.sort();
    ensure!(
        listed == in_manifest,
        "{SHA256SUMS} lists {listed:?} but {MANIFEST} lists {in_manifest:?}"
    );
    let mut bytes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, hex) in &sums {
        let path = dir.join(name);
        let data = std::fs::read(&path)
            .with_context(|| format!("{name} is listed in {SHA256SUMS} but cannot be read"))?;
        let actual = sha256_hex(&data);
        ensure!(
            &actual == hex,
            "{name}: sha256 is {actual}, {SHA256SUMS} says {hex}"
        );
        let entry = manifest
            .artifacts
            .iter()
            .find(|a| &a.file == name)
            .with_context(|| format!("{MANIFEST} has no {name}"))?;
        ensure!(
            entry.sha256 == *hex,
            "{name}: {MANIFEST} says sha256 {}, {SHA256SUMS} says {hex}",
            entry.sha256
        );
        ensure!(
            entry.size == data.len() as u64,
            "{name}: {MANIFEST} says {} bytes, the file has {}",
            entry.size,
            data.len()
        );
        bytes.insert(name.clone(), data);
    }
    done.push(format!(
        "{} files match {SHA256SUMS} and {MANIFEST}",
        sums.len()
    ));

    let of_kind = |kind: Kind| -> Result<&str> {
        let found: Vec<&str> = manifest
            .artifacts
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.file.as_str())
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            _ => bail!(
                "{MANIFEST} lists {} {} artifacts; expected exactly one",
                found.len(),
                kind.as_str()
            ),
        }
    };
    let wheel_name = of_kind(Kind::Wheel)?;
    let sdist_name = of_kind(Kind::Sdist)?;
    let zip_name = of_kind(Kind::Installer)?;
    let wheel_bytes = &bytes[wheel_name];

    // 2. The wheel's RECORD.
    let wheel = read_zip(wheel_bytes, wheel_name)?;
    let record_name = wheel
        .names
        .iter()
        .find(|n| n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1)
        .with_context(|| format!("{wheel_name} has no .dist-info/RECORD"))?
        .clone();
    check_record(&wheel, &record_name)
        .with_context(|| format!("{wheel_name}: RECORD does not match the wheel"))?;
    done.push(format!(
        "{wheel_name}: RECORD lists every member with its sha256 and size"
    ));

    // 3. The installer carries the same wheel.
    let installer = read_zip(&bytes[zip_name], zip_name)?;
    let bundled = format!("{BUNDLE}/{wheel_name}");
    let inner = installer
        .files
        .get(&bundled)
        .with_context(|| format!("{zip_name} has no {bundled}"))?;
    ensure!(
        inner == wheel_bytes,
        "{zip_name}: {bundled} differs from {wheel_name} (sha256 {} vs {})",
        sha256_hex(inner),
        sha256_hex(wheel_bytes)
    );
    done.push(format!("{zip_name} carries {wheel_name} byte for byte"));

    // 4. The UI in the wheel.
    let index_name = format!("{UI_PREFIX}index.html");
    let index = wheel.files.get(&index_name).with_context(|| {
        format!(
            "{wheel_name} has no {index_name}: was the UI built (`cargo xtask frontend build`)?"
        )
    })?;
    let assets = ui_assets(&String::from_utf8_lossy(index));
    ensure!(
        !assets.is_empty(),
        "{wheel_name}: {index_name} references no /assets/ file"
    );
    for asset in &assets {
        let member = format!("{UI_PREFIX}{}", asset.trim_start_matches('/'));
        ensure!(
            wheel.files.contains_key(&member),
            "{wheel_name}: {index_name} references {asset}, but {member} is not in the wheel"
        );
    }
    done.push(format!(
        "{wheel_name} carries the UI: index.html and the {} assets it references",
        assets.len()
    ));

    // 5. The version everywhere.
    let mut versions: Vec<(String, String)> = vec![(MANIFEST.to_owned(), manifest.version.clone())];
    let metadata_name = record_name.replace("/RECORD", "/METADATA");
    let metadata = wheel
        .files
        .get(&metadata_name)
        .with_context(|| format!("{wheel_name} has no {metadata_name}"))?;
    versions.push((
        format!("{wheel_name}:{metadata_name}"),
        header_field(metadata, "Version")
            .with_context(|| format!("{metadata_name} has no Version"))?,
    ));
    let sdist_base = sdist_name
        .strip_suffix(".tar.gz")
        .with_context(|| format!("{sdist_name} is not a .tar.gz"))?;
    let pkg_info = read_targz_member(
        &bytes[sdist_name],
        &format!("{sdist_base}/PKG-INFO"),
        sdist_name,
    )?;
    versions.push((
        format!("{sdist_name}:PKG-INFO"),
        header_field(&pkg_info, "Version").context("PKG-INFO has no Version")?,
    ));
    versions.push((
        format!("file name {wheel_name}"),
        wheel_name.split('-').nth(1).unwrap_or_default().to_owned(),
    ));
    versions.push((
        format!("file name {sdist_name}"),
        sdist_base
            .rsplit_once('-')
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default(),
    ));
    versions.push((
        format!("file name {zip_name}"),
        zip_name
            .trim_start_matches("InvokeAI-installer-v")
            .trim_end_matches(".zip")
            .to_owned(),
    ));
    for (script, key) in [
        ("install.sh", "version='"),
        ("install.bat", "set \"VERSION="),
    ] {
        let member = format!("{BUNDLE}/{script}");
        let text = installer
            .files
            .get(&member)
            .with_context(|| format!("{zip_name} has no {member}"))?;
        let value = script_value(&String::from_utf8_lossy(text), key)
            .with_context(|| format!("{zip_name}:{member} sets no version ({key}...)"))?;
        versions.push((format!("{zip_name}:{member}"), value));
    }
    for (place, raw) in &versions {
        let parsed = version::parse(raw)
            .map_err(|e| anyhow::anyhow!("{place}: {raw:?} is not a PEP 440 version: {e}"))?;
        ensure!(
            &parsed == expected,
            "{place} says {raw}, but the version file says {expected}"
        );
    }
    done.push(format!(
        "version {expected} agrees in {} places and the version file",
        versions.len()
    ));
    Ok(done)
}

/// Check a wheel's RECORD: every member listed once with its urlsafe-base64
/// sha256 and size, RECORD itself listed without hash, nothing else listed.
pub fn check_record(wheel: &Members, record_name: &str) -> Result<()> {
    let record = String::from_utf8_lossy(&wheel.files[record_name]).into_owned();
    let mut seen = BTreeMap::new();
    for (n, line) in record.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let fields = csv_fields(line);
        let [path, hash, size] = fields.as_slice() else {
            bail!(
                "RECORD line {} has {} fields, not 3: {line:?}",
                n + 1,
                fields.len()
            );
        };
        ensure!(
            seen.insert(path.clone(), ()).is_none(),
            "RECORD lists {path} twice"
        );
        if path == record_name {
            ensure!(
                hash.is_empty() && size.is_empty(),
                "RECORD lists itself with a hash or size"
            );
            continue;
        }
        let data = wheel
            .files
            .get(path)
            .with_context(|| format!("RECORD lists {path}, which the wheel does not hold"))?;
        let digest = record_hash(&sha256(data));
        ensure!(
            *hash == digest,
            "RECORD says {path} has {hash}, its bytes have {digest}"
        );
        ensure!(
            *size == data.len().to_string(),
            "RECORD says {path} has {size} bytes, it has {}",
            data.len()
        );
    }
    for name in &wheel.names {
        ensure!(
            seen.contains_key(name),
            "{name} is in the wheel but not in RECORD"
        );
    }
    Ok(())
}

/// The fields of one CSV line (commas, double-quoted fields with `""`).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The `/assets/...` files a page references in `src` and `href`, sorted.
pub fn ui_assets(page: &str) -> Vec<String> {
    let mut assets: Vec<String> = super::smoke::asset_paths(page)
        .into_iter()
        .filter(|path| path.starts_with("/assets/"))
        .collect();
    assets.sort();
    assets
}

/// A `Key: value` header of core metadata (before the first blank line).
fn header_field(text: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    let prefix = format!("{key}: ");
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_owned())
}

/// The value after `key` up to the closing quote, in a filled install script.
fn script_value(text: &str, key: &str) -> Option<String> {
    let close = if key.ends_with('\'') { '\'' } else { '"' };
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(key))
        .and_then(|rest| rest.split(close).next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(files: &[(&str, &[u8])]) -> Members {
        Members {
            names: files.iter().map(|(n, _)| n.to_string()).collect(),
            files: files
                .iter()
                .map(|(n, d)| (n.to_string(), d.to_vec()))
                .collect(),
        }
    }

    fn record_line(name: &str, data: &[u8]) -> String {
        format!("{name},{},{}\n", record_hash(&sha256(data)), data.len())
    }

    #[test]
    fn record_that_tells_the_truth_passes_and_every_lie_is_caught() {
        let good = format!(
            "{}{}",
            record_line("a/b.py", b"print(1)\n"),
            "x-1.dist-info/RECORD,,\n"
        );
        let wheel = |record: &str| {
            members(&[
                ("a/b.py", b"print(1)\n"),
                ("x-1.dist-info/RECORD", record.as_bytes()),
            ])
        };
        check_record(&wheel(&good), "x-1.dist-info/RECORD").unwrap();

        let wrong_hash = good.replace("sha256=", "sha256=A");
        let err = check_record(&wheel(&wrong_hash), "x-1.dist-info/RECORD")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a/b.py"), "{err}");
        let wrong_size = format!(
            "{}x-1.dist-info/RECORD,,\n",
            record_line("a/b.py", b"print(1)\n").replace(",9\n", ",10\n")
        );
        assert!(check_record(&wheel(&wrong_size), "x-1.dist-info/RECORD").is_err());
        let missing = "x-1.dist-info/RECORD,,\n";
        let err = check_record(&wheel(missing), "x-1.dist-info/RECORD")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a/b.py is in the wheel but not in RECORD"),
            "{err}"
        );
        let extra = format!("{good}{}", record_line("ghost.py", b""));
        assert!(check_record(&wheel(&extra), "x-1.dist-info/RECORD").is_err());
    }

    #[test]
    fn csv_handles_quotes() {
        assert_eq!(
            csv_fields(r#""a,b.py",sha256=x,3"#),
            ["a,b.py", "sha256=x", "3"]
        );
        assert_eq!(csv_fields("p,,"), ["p", "", ""]);
    }

    #[test]
    fn ui_assets_are_the_pages_asset_references() {
        let html = r#"<script type="module" crossorigin src="/assets/index-B8.js"></script><link rel="stylesheet" href="/assets/index-Bm.css"><link rel="icon" href="/favicon.ico">"#;
        assert_eq!(
            ui_assets(html),
            ["/assets/index-B8.js", "/assets/index-Bm.css"]
        );
    }

    #[test]
    fn versions_are_read_from_metadata_and_scripts() {
        assert_eq!(
            header_field(
                b"Metadata-Version: 2.4\nName: x\nVersion: 1.0rc1\n\nVersion: no\n",
                "Version"
            )
            .as_deref(),
            Some("1.0rc1")
        );
        assert_eq!(
            script_value("a\nversion='6.1.0'\n", "version='").as_deref(),
            Some("6.1.0")
        );
        assert_eq!(
            script_value("set \"VERSION=6.1.0\"\r\n", "set \"VERSION=").as_deref(),
            Some("6.1.0")
        );
    }
}
