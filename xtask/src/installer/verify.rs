//! `cargo xtask verify [DIR]`: check what build-installer wrote, from the
//! bytes on disk, without trusting anything the build said.
//!
//! In order: every file against SHA256SUMS and manifest.json (each a
//! regular file: a FIFO or a device is refused, not read); every wheel's
//! RECORD; the installer zip carries the very same wheel; the wheel carries
//! the built UI (its page and the assets the page references) and an SBOM of
//! it that the installer and the release asset repeat; the version agrees
//! everywhere (the version file, METADATA, PKG-INFO, the file names, the
//! filled install scripts, the manifest), by PEP 440 equality; the installer
//! holds exactly the folder build-installer plans from this checkout (no
//! other member, the same bytes, install.sh executable); every archive
//! member is dated with the manifest's timestamp. The first mismatch ends
//! the run with an error naming it. A build made with `--allow-dirty` is
//! reported as such.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use camino::Utf8Path;
use xshell::Shell;

use super::checksums::{self, Kind, Manifest};
use super::checksums::{MANIFEST, SHA256SUMS};
use super::staging::{self, BUNDLE, Staged};
use crate::archive;
use crate::archive::read::{self, Limits, Listing, Sink};
use crate::flags;
use crate::paths::Layout;
use crate::pydist::names;
use crate::release::identity::{self, Identity};
use crate::release::version;
use crate::sbom;
use crate::util::hash::{hex, record_hash, sha256, sha256_hex_of};

impl flags::Verify {
    pub fn run(self, _sh: &Shell) -> Result<()> {
        let layout = Layout::for_repo(self.repo.repo.as_deref())?;
        let dir = self.dir.clone().unwrap_or_else(|| layout.dist());
        let (identity, _) = Identity::read(&layout)?;
        let report =
            verify(&dir, &layout, &identity).with_context(|| format!("verify: {dir} failed"))?;
        for line in &report.checks {
            println!("ok: {line}");
        }
        let Some(dirty) = &report.dirty else {
            println!(
                "verify: every check passed for {dir} (version {})",
                identity.version()
            );
            return Ok(());
        };
        println!("dirty: {dirty}");
        eprintln!("verify: warning: {dirty}");
        println!(
            "verify: every check passed for {dir} (version {}), but it was built from a dirty checkout",
            identity.version()
        );
        Ok(())
    }
}

/// The checksum files are small; anything larger is not ours.
const MAX_SUMS: u64 = 1 << 20;

/// What verify found: the checks that passed, one line each, and whether
/// the build says it was made from a checkout that differed from its commit.
#[derive(Debug)]
pub struct Verified {
    pub checks: Vec<String>,
    /// The manifest's `"dirty": true` in words, with the files.
    pub dirty: Option<String>,
}

/// Run every check over `dir` for the release `identity`.
pub fn verify(dir: &Utf8Path, layout: &Layout, identity: &Identity) -> Result<Verified> {
    let mut done = Vec::new();
    let (sums, manifest) = read_checksum_files(dir)?;

    // 1. Exactly the release's files, listed in both checksum files, and
    //    nothing else that an upload would pick up.
    done.push(check_files(dir, &sums, &manifest, identity)?);

    let [wheel_name, sdist_name, zip_name, sbom_name] = names_by_kind(&manifest, identity)?;
    let release = Release {
        dir,
        sums: &sums,
        wheel_name,
        zip_name,
        members: Members::of(identity, layout)?,
    };

    // 2. The wheel's RECORD.
    let wheel = release.read_wheel()?;
    done.push(format!(
        "{wheel_name}: RECORD lists every member with its sha256 and size"
    ));

    // 3. The installer carries the same wheel; it is read with the same
    //    limits and refusals (links, `..`, twice-named members) as the wheel.
    let scripts = install_scripts();
    let installer = read_installer(dir, zip_name, &scripts)?;
    done.push(release.check_bundled_wheel(&installer)?);

    // 4. The UI in the wheel.
    done.push(check_ui(&wheel, wheel_name, &release.members.ui_prefix)?);

    // 5. The SBOM of the npm packages in the UI.
    let (sbom_text, line) = release.check_sboms(&wheel, &installer, sbom_name)?;
    done.push(line);

    // 6. The version everywhere.
    let sdist = read_sdist(dir, sdist_name, &release.members.sdist_base)?;
    let versions = release.versions(
        &manifest,
        &wheel,
        (sdist_name, &sdist),
        &installer,
        &scripts,
    )?;
    done.push(versions_agree(&versions, identity.version())?);

    // 7. The installer is the folder build-installer plans for this version
    //    from this checkout: those members, bytes and modes, nothing else.
    done.push(check_planned(
        layout,
        identity,
        &dir.join(wheel_name),
        sbom_text,
        (zip_name, &installer),
    )?);

    // 8. Every member of every archive is dated with the manifest's timestamp.
    check_times(
        manifest.timestamp,
        &[(wheel_name, &wheel), (zip_name, &installer)],
        &[(sdist_name, &sdist)],
    )?;
    done.push(format!(
        "every member of {wheel_name}, {zip_name} and {sdist_name} is dated {} ({MANIFEST}'s timestamp)",
        archive::iso8601(manifest.timestamp)
    ));

    Ok(Verified {
        checks: done,
        dirty: dirty_note(&manifest),
    })
}

/// SHA256SUMS and manifest.json of `dir`, parsed.
fn read_checksum_files(dir: &Utf8Path) -> Result<(Vec<(String, String)>, Manifest)> {
    let sums_path = dir.join(SHA256SUMS);
    let sums_bytes = read::read_small(&sums_path, MAX_SUMS).with_context(|| {
        format!("cannot read {sums_path}; run `cargo xtask build-installer` first")
    })?;
    let sums_text =
        String::from_utf8(sums_bytes).with_context(|| format!("{sums_path} is not UTF-8 text"))?;
    let sums = checksums::parse_sha256sums(&sums_text)
        .with_context(|| format!("{sums_path} is malformed"))?;
    let manifest_path = dir.join(MANIFEST);
    let manifest_text = String::from_utf8(read::read_small(&manifest_path, MAX_SUMS)?)
        .with_context(|| format!("{manifest_path} is not UTF-8 text"))?;
    let manifest = Manifest::from_json(&manifest_text)
        .with_context(|| format!("{manifest_path} is malformed"))?;
    Ok((sums, manifest))
}

/// The filled install scripts of the installer, with the text that opens
/// the line setting the version in each.
fn install_scripts() -> [(String, &'static str); 2] {
    [
        (format!("{BUNDLE}/install.sh"), "version='"),
        (format!("{BUNDLE}/install.bat"), "set \"VERSION="),
    ]
}

/// The names of the members verify reads in the release's archives.
struct Members {
    /// `<name>-<version>.dist-info` in the wheel.
    dist_info: String,
    record: String,
    metadata: String,
    /// The UI's page in the wheel.
    index: String,
    /// The SBOM in the wheel's dist-info.
    sbom: String,
    /// `<name>-<version>`, the sdist's top folder.
    sdist_base: String,
    /// Where the wheel holds the built UI, ending in `/`.
    ui_prefix: String,
}

impl Members {
    fn of(identity: &Identity, layout: &Layout) -> Result<Members> {
        let base = names::stem(&identity.project, &identity.version().to_string());
        let dist_info = format!("{base}.dist-info");
        let ui = &layout.config.ui.dist;
        let ui_prefix = layout
            .in_python(ui)
            .map(|p| format!("{p}/"))
            .with_context(|| {
                format!(
                    "the UI build's folder {ui} is outside the Python project, so no wheel ships it"
                )
            })?;
        Ok(Members {
            record: format!("{dist_info}/RECORD"),
            metadata: format!("{dist_info}/METADATA"),
            index: format!("{ui_prefix}index.html"),
            sbom: format!("{dist_info}/sboms/{}", sbom::FILE_NAME),
            dist_info,
            sdist_base: base,
            ui_prefix,
        })
    }
}

/// What the checks after the first share: the folder, the release, its
/// checksums (already checked to list every file) and its files' names.
struct Release<'a> {
    dir: &'a Utf8Path,
    sums: &'a [(String, String)],
    wheel_name: &'a str,
    zip_name: &'a str,
    members: Members,
}

impl Release<'_> {
    /// The sha256 SHA256SUMS gives a file of the release.
    fn listed_sha(&self, name: &str) -> &str {
        &self
            .sums
            .iter()
            .find(|(n, _)| n == name)
            .expect("check_files saw every file listed")
            .1
    }

    /// The wheel, its RECORD checked, keeping the members later checks read.
    fn read_wheel(&self) -> Result<Listing> {
        let m = &self.members;
        let keep = [&m.record, &m.metadata, &m.index, &m.sbom];
        let wheel = read::zip(
            read::open_regular(&self.dir.join(self.wheel_name))?,
            self.wheel_name,
            Limits::RELEASE,
            |member| {
                Ok(if keep.contains(&&member.name) {
                    Sink::Keep
                } else {
                    Sink::Hash
                })
            },
        )?;
        check_record(&wheel, &m.record)
            .with_context(|| format!("{}: RECORD does not match the wheel", self.wheel_name))?;
        Ok(wheel)
    }

    /// The installer carries the release's wheel, byte for byte.
    fn check_bundled_wheel(&self, installer: &Listing) -> Result<String> {
        let (wheel_name, zip_name) = (self.wheel_name, self.zip_name);
        let bundled = format!("{BUNDLE}/{wheel_name}");
        let inner = installer
            .member(&bundled)
            .with_context(|| format!("{zip_name} has no {bundled}"))?;
        let inner_sha = hex(&inner.sha256);
        let wheel_sha = self.listed_sha(wheel_name);
        ensure!(
            inner_sha == wheel_sha,
            "{zip_name}: {bundled} differs from {wheel_name} (sha256 {inner_sha} vs {wheel_sha})"
        );
        Ok(format!("{zip_name} carries {wheel_name} byte for byte"))
    }

    /// The wheel's SBOM describes the UI files in the wheel, byte for byte;
    /// the installer and the release asset carry the same document. Returns
    /// the document and the check's line.
    fn check_sboms<'w>(
        &self,
        wheel: &'w Listing,
        installer: &Listing,
        sbom_name: &str,
    ) -> Result<(&'w [u8], String)> {
        let (wheel_name, zip_name) = (self.wheel_name, self.zip_name);
        let wheel_sbom = &self.members.sbom;
        let (sbom_text, checked) = check_sbom(
            wheel,
            wheel_name,
            &self.members.dist_info,
            &self.members.ui_prefix,
        )?;
        let sbom_sha = crate::util::hash::sha256_hex(sbom_text);
        ensure!(
            sbom_sha == self.listed_sha(sbom_name),
            "{sbom_name} differs from the {wheel_sbom} of {wheel_name}"
        );
        let in_installer = format!("{BUNDLE}/{}", staging::sbom_member());
        let bundled_sbom = installer
            .member(&in_installer)
            .with_context(|| format!("{zip_name} has no {in_installer}"))?;
        ensure!(
            hex(&bundled_sbom.sha256) == sbom_sha,
            "{zip_name}: {in_installer} differs from the {wheel_sbom} of {wheel_name}"
        );
        let line = format!(
            "{wheel_name} carries an SBOM of the {} UI files and the {} npm package(s) bundled in them ({}); {zip_name} and {sbom_name} hold the same document",
            checked.files,
            checked.packages.len(),
            if checked.packages.is_empty() {
                "none".to_owned()
            } else {
                checked.packages.join(", ")
            }
        );
        Ok((sbom_text, line))
    }

    /// The version each place of the release states, named by the place:
    /// the manifest, METADATA, PKG-INFO, the installer's file name and its
    /// filled install scripts.
    fn versions(
        &self,
        manifest: &Manifest,
        wheel: &Listing,
        (sdist_name, sdist): (&str, &Listing),
        installer: &Listing,
        scripts: &[(String, &str)],
    ) -> Result<Vec<(String, String)>> {
        let (wheel_name, zip_name) = (self.wheel_name, self.zip_name);
        let metadata_name = &self.members.metadata;
        let mut versions: Vec<(String, String)> =
            vec![(MANIFEST.to_owned(), manifest.version.clone())];
        let metadata = wheel
            .kept
            .get(metadata_name)
            .with_context(|| format!("{wheel_name} has no {metadata_name}"))?;
        versions.push((
            format!("{wheel_name}:{metadata_name}"),
            header_field(metadata, "Version")
                .with_context(|| format!("{metadata_name} has no Version"))?,
        ));
        let pkg_info_name = format!("{}/PKG-INFO", self.members.sdist_base);
        let pkg_info = sdist
            .kept
            .get(&pkg_info_name)
            .with_context(|| format!("{sdist_name} has no {pkg_info_name}"))?;
        versions.push((
            format!("{sdist_name}:PKG-INFO"),
            header_field(pkg_info, "Version").context("PKG-INFO has no Version")?,
        ));
        versions.push((
            format!("file name {zip_name}"),
            identity::installer_version(zip_name)
                .map_err(|why| anyhow::anyhow!(why))?
                .to_string(),
        ));
        for (member, key) in scripts {
            let text = installer
                .kept
                .get(member)
                .with_context(|| format!("{zip_name} has no {member}"))?;
            let value = script_value(&String::from_utf8_lossy(text), key)
                .with_context(|| format!("{zip_name}:{member} sets no version ({key}...)"))?;
            versions.push((format!("{zip_name}:{member}"), value));
        }
        Ok(versions)
    }
}

/// The manifest's `"dirty": true` in words, with the files.
fn dirty_note(manifest: &Manifest) -> Option<String> {
    (!manifest.dirty.is_empty()).then(|| {
        format!(
            "{MANIFEST} says the build ran with --allow-dirty on a checkout that differed from commit {} in {} file(s): {}",
            manifest.commit,
            manifest.dirty.len(),
            manifest
                .dirty
                .iter()
                .map(|f| super::tree::printable(f))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Exactly the release's files in `dir`, listed in both checksum files
/// with the same sha256 and size as on disk, and nothing else an upload
/// would pick up.
fn check_files(
    dir: &Utf8Path,
    sums: &[(String, String)],
    manifest: &Manifest,
    identity: &Identity,
) -> Result<String> {
    let expected = identity.version();
    let mut listed: Vec<&str> = sums.iter().map(|(n, _)| n.as_str()).collect();
    let mut in_manifest: Vec<&str> = manifest.artifacts.iter().map(|a| a.file.as_str()).collect();
    listed.sort();
    in_manifest.sort();
    ensure!(
        listed == in_manifest,
        "{SHA256SUMS} lists {listed:?} but {MANIFEST} lists {in_manifest:?}"
    );
    let predicted = identity.artifacts();
    ensure!(
        listed == predicted,
        "{SHA256SUMS} lists {listed:?}, but the release {} {} is made of {predicted:?}",
        identity.project,
        expected
    );
    let mut unlisted = Vec::new();
    for entry in dir
        .read_dir_utf8()
        .with_context(|| format!("cannot list {dir}"))?
    {
        let entry = entry.with_context(|| format!("cannot list {dir}"))?;
        let name = entry.file_name();
        if checksums::is_upload_name(name) && !listed.contains(&name) {
            unlisted.push(name.to_owned());
        }
    }
    unlisted.sort();
    ensure!(
        unlisted.is_empty(),
        "{} {} in {dir} but not in {SHA256SUMS}: an upload of {dir}/*.whl, *.tar.gz or *.zip would ship {}; move {} away, or run `cargo xtask build-installer` (it moves earlier builds' artifacts to {dir}/stale/)",
        unlisted.join(", "),
        if unlisted.len() == 1 { "is" } else { "are" },
        if unlisted.len() == 1 { "it" } else { "them" },
        if unlisted.len() == 1 { "it" } else { "them" },
    );
    for (name, hex) in sums {
        let path = dir.join(name);
        let file = read::open_regular(&path)
            .with_context(|| format!("{name} is listed in {SHA256SUMS} but cannot be read"))?;
        let (actual, size) = sha256_hex_of(file).with_context(|| format!("cannot read {path}"))?;
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
            entry.size == size,
            "{name}: {MANIFEST} says {} bytes, the file has {size}",
            entry.size
        );
    }
    Ok(format!(
        "{} files match {SHA256SUMS} and {MANIFEST}; no other artifact in {dir}",
        sums.len()
    ))
}

/// The wheel's one SBOM, `{dist_info}/sboms/invokeai-ui.cdx.json`, and that
/// it describes the UI files the wheel ships, byte for byte.
fn check_sbom<'w>(
    wheel: &'w Listing,
    wheel_name: &str,
    dist_info: &str,
    ui_prefix: &str,
) -> Result<(&'w [u8], sbom::Checked)> {
    let wheel_sbom = format!("{dist_info}/sboms/{}", sbom::FILE_NAME);
    let sbom_text = wheel.kept.get(&wheel_sbom).with_context(|| {
        format!("{wheel_name} has no {wheel_sbom}: python/pyproject.toml must keep it in [tool.xtask.dist] sbom-files")
    })?;
    let sboms_dir = format!("{dist_info}/sboms/");
    if let Some(other) = wheel
        .members
        .iter()
        .find(|m| m.name.starts_with(&sboms_dir) && m.name != wheel_sbom)
    {
        bail!(
            "{wheel_name}: {} is an SBOM this build does not write; the wheel's only SBOM is {wheel_sbom}",
            other.name
        );
    }
    let ui_files: Vec<(String, String)> = wheel
        .members
        .iter()
        .filter(|m| m.kind == read::Kind::File)
        .filter_map(|m| {
            m.name
                .strip_prefix(ui_prefix)
                .map(|rel| (rel.to_owned(), hex(&m.sha256)))
        })
        .collect();
    let checked = sbom::check(&String::from_utf8_lossy(sbom_text), &ui_files)
        .with_context(|| format!("{wheel_name}: {wheel_sbom} does not describe the UI it ships"))?;
    Ok((sbom_text, checked))
}

/// Every `(place, version)` is `expected` by PEP 440 equality.
fn versions_agree(versions: &[(String, String)], expected: &version::Version) -> Result<String> {
    for (place, raw) in versions {
        let parsed = version::parse(raw)
            .map_err(|e| anyhow::anyhow!("{place}: {raw:?} is not a PEP 440 version: {e}"))?;
        ensure!(
            &parsed == expected,
            "{place} says {raw}, but the version file says {expected}"
        );
    }
    Ok(format!(
        "version {expected} agrees in {} places, the file names and the version file",
        versions.len()
    ))
}

/// The sdist's members, its PKG-INFO kept; every member under `{base}/`.
fn read_sdist(dir: &Utf8Path, sdist_name: &str, base: &str) -> Result<Listing> {
    let pkg_info_name = format!("{base}/PKG-INFO");
    let sdist = read::targz(
        read::open_regular(&dir.join(sdist_name))?,
        sdist_name,
        Limits::RELEASE,
        |m| {
            Ok(if m.name == pkg_info_name {
                Sink::Keep
            } else {
                Sink::Hash
            })
        },
    )?;
    if let Some(stray) = sdist
        .members
        .iter()
        .find(|m| m.name != base && !m.name.starts_with(&format!("{base}/")))
    {
        bail!("{sdist_name}: {} is outside {base}/", stray.name);
    }
    Ok(sdist)
}

/// The installer's members, its scripts kept; every member under `{BUNDLE}/`.
fn read_installer(dir: &Utf8Path, zip_name: &str, scripts: &[(String, &str)]) -> Result<Listing> {
    let installer = read::zip(
        read::open_regular(&dir.join(zip_name))?,
        zip_name,
        Limits::RELEASE,
        |m| {
            Ok(if scripts.iter().any(|(s, _)| *s == m.name) {
                Sink::Keep
            } else {
                Sink::Hash
            })
        },
    )?;
    if let Some(stray) = installer
        .members
        .iter()
        .find(|m| !m.name.starts_with(&format!("{BUNDLE}/")))
    {
        bail!("{zip_name}: {} is outside {BUNDLE}/", stray.name);
    }
    Ok(installer)
}

/// The wheel carries the built UI: its page and every asset the page references.
fn check_ui(wheel: &Listing, wheel_name: &str, ui_prefix: &str) -> Result<String> {
    let index_name = format!("{ui_prefix}index.html");
    let index = wheel.kept.get(&index_name).with_context(|| {
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
        let member = format!("{ui_prefix}{}", asset.trim_start_matches('/'));
        ensure!(
            wheel.member(&member).is_some(),
            "{wheel_name}: {index_name} references {asset}, but {member} is not in the wheel"
        );
    }
    Ok(format!(
        "{wheel_name} carries the UI: index.html and the {} assets it references",
        assets.len()
    ))
}

/// The file names the manifest gives the wheel, the sdist, the installer
/// and the SBOM: one of each, the release's own names.
fn names_by_kind<'m>(manifest: &'m Manifest, identity: &Identity) -> Result<[&'m str; 4]> {
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
    let sbom_name = of_kind(Kind::Sbom)?;
    ensure!(
        sbom_name == identity.sbom(),
        "{MANIFEST} gives the kind sbom to {sbom_name}; the release's SBOM is {}",
        identity.sbom()
    );
    ensure!(
        (wheel_name, sdist_name, zip_name)
            == (
                identity.wheel().as_str(),
                identity.sdist().as_str(),
                identity.installer().as_str()
            ),
        "{MANIFEST} gives the wrong kind to a file: wheel {wheel_name}, sdist {sdist_name}, installer {zip_name}"
    );
    Ok([wheel_name, sdist_name, zip_name, sbom_name])
}

/// The installer is the folder build-installer plans for `identity` from
/// the checkout at `layout`, with this wheel and SBOM.
fn check_planned(
    layout: &Layout,
    identity: &Identity,
    wheel: &Utf8Path,
    sbom_text: &[u8],
    (zip_name, installer): (&str, &Listing),
) -> Result<String> {
    let expected = identity.version();
    let (planned, _) =
        staging::plan_release(layout, identity, wheel, sbom_text).with_context(|| {
            format!("cannot plan the installer of {expected} to compare {zip_name} with")
        })?;
    check_installer(installer, &planned).with_context(|| {
        format!(
            "{zip_name} is not the installer build-installer makes of {expected} from {}",
            layout.installer()
        )
    })?;
    let runnable: Vec<&str> = planned
        .iter()
        .filter(|s| s.mode & 0o111 != 0)
        .map(|s| s.path.as_str())
        .collect();
    Ok(format!(
        "{zip_name} holds exactly the {} files build-installer plans, byte for byte, {} executable",
        planned.len(),
        runnable.join(", ")
    ))
}

/// The most problems one error names.
const SHOWN: usize = 10;

/// Check the installer's members against the folder build-installer plans:
/// every planned file, with its bytes and mode (the scripts run directly
/// executable), and no other member. Every difference is named.
pub fn check_installer(installer: &Listing, planned: &[Staged]) -> Result<()> {
    let want: BTreeMap<String, &Staged> = planned
        .iter()
        .map(|s| (format!("{BUNDLE}/{}", s.path), s))
        .collect();
    let mut problems = Vec::new();
    for member in &installer.members {
        let Some(staged) = want.get(&member.name) else {
            problems.push(format!("{} is not part of the installer", member.name));
            continue;
        };
        if member.sha256 != sha256(&staged.bytes) {
            problems.push(format!(
                "{} differs from the build's (sha256 {}, the build's {})",
                member.name,
                hex(&member.sha256),
                hex(&sha256(&staged.bytes))
            ));
        }
        if member.mode != Some(staged.mode) {
            problems.push(mode_problem(&member.name, member.mode, staged.mode));
        }
    }
    for name in want.keys() {
        if installer.member(name).is_none() {
            problems.push(format!("{name} is missing"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(SHOWN);
    problems.truncate(SHOWN);
    if more > 0 {
        problems.push(format!("and {more} more"));
    }
    bail!("{}", problems.join("; "))
}

/// A member whose mode is not the planned one, in words.
fn mode_problem(name: &str, found: Option<u32>, planned: u32) -> String {
    let found_text = found.map_or("no Unix mode".to_owned(), |m| format!("mode {m:o}"));
    let runnable = |m: u32| m & 0o111 == 0o111;
    if runnable(planned) && !found.is_some_and(runnable) {
        let file = name.rsplit('/').next().unwrap_or(name);
        format!(
            "{name} is not executable ({found_text}; the build writes {planned:o}): `./{file}` would not run once unzipped"
        )
    } else {
        format!("{name} has {found_text}; the build writes {planned:o}")
    }
}

/// Every member of the zips (MS-DOS date and time) and of the tars
/// (seconds) carries the manifest's `timestamp`; the first that does not is
/// named.
pub fn check_times(
    timestamp: u64,
    zips: &[(&str, &Listing)],
    tars: &[(&str, &Listing)],
) -> Result<()> {
    let (date, time) = archive::dos_datetime(timestamp)
        .map_err(|why| anyhow::anyhow!("{MANIFEST}'s timestamp {why}"))?;
    let dos = (u64::from(date) << 16) | u64::from(time);
    let stamp = archive::iso8601(timestamp);
    for (name, listing) in zips {
        if let Some(m) = listing.members.iter().find(|m| m.mtime != dos) {
            bail!(
                "{name}: {} is dated {}, but {MANIFEST} says {timestamp} ({stamp}): every member carries the build's timestamp",
                m.name,
                dos_text(m.mtime)
            );
        }
    }
    for (name, listing) in tars {
        if let Some(m) = listing.members.iter().find(|m| m.mtime != timestamp) {
            bail!(
                "{name}: {} is dated {} ({}), but {MANIFEST} says {timestamp} ({stamp}): every member carries the build's timestamp",
                m.name,
                m.mtime,
                archive::iso8601(m.mtime)
            );
        }
    }
    Ok(())
}

/// A zip member's `date << 16 | time` as `YYYY-MM-DD hh:mm:ss`. Pure.
fn dos_text(dos: u64) -> String {
    let (date, time) = ((dos >> 16) & 0xffff, dos & 0xffff);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        1980 + (date >> 9),
        (date >> 5) & 0xf,
        date & 0x1f,
        time >> 11,
        (time >> 5) & 0x3f,
        (time & 0x1f) * 2
    )
}

/// Check a wheel's RECORD: every file listed once with its urlsafe-base64
/// sha256 and size, RECORD itself listed without hash, nothing else listed.
pub fn check_record(wheel: &Listing, record_name: &str) -> Result<()> {
    let record = wheel
        .kept
        .get(record_name)
        .with_context(|| format!("no {record_name}"))?;
    let record = std::str::from_utf8(record).context("RECORD is not UTF-8")?;
    let rows = csv_rows(record).map_err(|why| anyhow::anyhow!("RECORD: {why}"))?;
    let mut seen = BTreeMap::new();
    for (n, fields) in rows.iter().enumerate() {
        let [path, hash, size] = fields.as_slice() else {
            bail!(
                "RECORD row {} has {} fields, not 3: {fields:?}",
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
        let member = wheel
            .member(path)
            .filter(|m| m.kind == read::Kind::File)
            .with_context(|| format!("RECORD lists {path}, which the wheel does not hold"))?;
        let digest = record_hash(&member.sha256);
        ensure!(
            *hash == digest,
            "RECORD says {path} has {hash}, its bytes have {digest}"
        );
        ensure!(
            *size == member.size.to_string(),
            "RECORD says {path} has {size} bytes, it has {}",
            member.size
        );
    }
    for name in wheel.file_names() {
        ensure!(
            seen.contains_key(name),
            "{name} is in the wheel but not in RECORD"
        );
    }
    Ok(())
}

/// RECORD as CSV (RFC 4180, as Python's csv module writes it): rows end at a
/// line break outside quotes; a quoted field may hold commas, `""` and line
/// breaks. Blank lines are skipped. A CSV writer quotes every field holding a
/// quote and doubles the quote, so an odd number of quotes is refused: a
/// quoted field left open (which the csv crate would read to the end of the
/// text as one field) or a stray quote.
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, String> {
    if text.matches('"').count() % 2 == 1 {
        return Err("a quoted field is not closed (an odd number of quote characters)".to_owned());
    }
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|row| {
            row.map(|row| row.iter().map(str::to_owned).collect())
                .map_err(|err| err.to_string())
        })
        .collect()
}

/// The `/assets/...` files a page references in `src` and `href`, sorted.
pub fn ui_assets(page: &str) -> Vec<String> {
    let mut assets: Vec<String> = crate::util::html::asset_paths(page)
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

    /// A wheel written by Python's zipfile with a RECORD written by Python's
    /// csv, hashlib and base64 (neither our writer nor our hash), after
    /// `tamper` (Python, run on `rows`, the RECORD rows, and `files`), read
    /// back through the safe reader.
    fn python_wheel(files: &[(&str, &[u8])], tamper: &str) -> Listing {
        let script = format!(
            r#"
import base64, csv, hashlib, io, json, sys, zipfile
files = [(name, bytes.fromhex(data)) for name, data in json.load(sys.stdin)]
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
rows = [[name, digest(data), str(len(data))] for name, data in files]
rows.append(["x-1.dist-info/RECORD", "", ""])
{tamper}
record = io.StringIO()
csv.writer(record, lineterminator="\n").writerows(rows)
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
    for name, data in files:
        wheel.writestr(name, data)
    wheel.writestr("x-1.dist-info/RECORD", record.getvalue())
sys.stdout.buffer.write(out.getvalue())
"#
        );
        let input: Vec<(&str, String)> = files.iter().map(|(n, d)| (*n, hex(d))).collect();
        let bytes = python(&script, serde_json::to_string(&input).unwrap().as_bytes());
        read::zip(
            std::io::Cursor::new(bytes),
            "w.whl",
            Limits::RELEASE,
            |_| Ok(Sink::Keep),
        )
        .unwrap()
    }

    /// `python3 -c script` with `input` on its standard input: its output.
    fn python(script: &str, input: &[u8]) -> Vec<u8> {
        crate::util::python::run("python3", script, input.to_vec())
    }

    const RECORD: &str = "x-1.dist-info/RECORD";

    #[test]
    fn record_that_tells_the_truth_passes_and_every_lie_is_caught() {
        let files: &[(&str, &[u8])] = &[("a/b.py", b"print(1)\n"), ("a/c.txt", b"")];
        check_record(&python_wheel(files, ""), RECORD).unwrap();
        for (tamper, why) in [
            (
                "rows[0][1] = digest(b'print(2)\\n')",
                "RECORD says a/b.py has sha256=",
            ),
            (
                "rows[0][2] = '10'",
                "RECORD says a/b.py has 10 bytes, it has 9",
            ),
            ("del rows[1]", "a/c.txt is in the wheel but not in RECORD"),
            (
                "rows.insert(0, ['ghost.py', digest(b''), '0'])",
                "RECORD lists ghost.py, which the wheel does not hold",
            ),
            ("rows.append(rows[0])", "RECORD lists a/b.py twice"),
            (
                "rows[-1][1] = digest(b'')",
                "RECORD lists itself with a hash or size",
            ),
            ("rows[0].append('x')", "RECORD row 1 has 4 fields, not 3"),
            // The bytes changed after RECORD was written.
            (
                "files[0] = ('a/b.py', b'print(2)\\n')",
                "RECORD says a/b.py has sha256=",
            ),
        ] {
            let err = check_record(&python_wheel(files, tamper), RECORD)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{tamper}: {err}");
        }
    }

    #[test]
    fn record_is_read_as_csv_not_as_lines() {
        assert_eq!(
            csv_rows("\"a,b.py\",sha256=x,3\r\np,,\n\n").unwrap(),
            [vec!["a,b.py", "sha256=x", "3"], vec!["p", "", ""]]
        );
        // A name holding a line break and a quote, as csv.writer quotes it.
        assert_eq!(
            csv_rows("\"odd\nna\"\"me.txt\",sha256=y,1\n").unwrap(),
            [vec!["odd\nna\"me.txt", "sha256=y", "1"]]
        );
        assert!(csv_rows("\"open,,\n").is_err());
    }

    /// Names with a comma, a quote and a line break, quoted by Python's csv.
    #[test]
    fn members_with_odd_names_pass_when_record_quotes_them() {
        let w = python_wheel(
            &[
                ("pkg/odd\nname.txt", b"z"),
                ("pkg/a,b.txt", b"y"),
                ("pkg/say \"hi\".txt", b"x"),
            ],
            "",
        );
        let record = String::from_utf8(w.kept[RECORD].clone()).unwrap();
        assert!(record.contains("\"pkg/odd\nname.txt\""), "{record}");
        check_record(&w, RECORD).unwrap();
    }

    fn staged(path: &str, mode: u32, bytes: &[u8]) -> Staged {
        Staged {
            path: path.into(),
            mode,
            bytes: bytes.to_vec(),
        }
    }

    /// An installer zip written by Python's zipfile: `(name, mode, bytes)`.
    fn python_zip(members: &[(&str, u32, &[u8])]) -> Listing {
        let script = r#"
import json, sys, zipfile, io
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, mode, data in json.load(sys.stdin):
        info = zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20))
        info.create_system = 3
        info.external_attr = (0o100000 | mode) << 16
        z.writestr(info, bytes.fromhex(data))
sys.stdout.buffer.write(out.getvalue())
"#;
        let input: Vec<(&str, u32, String)> =
            members.iter().map(|(n, m, d)| (*n, *m, hex(d))).collect();
        let bytes = python(script, serde_json::to_string(&input).unwrap().as_bytes());
        read::zip(
            std::io::Cursor::new(bytes),
            "i.zip",
            Limits::RELEASE,
            |_| Ok(Sink::Hash),
        )
        .unwrap()
    }

    #[test]
    fn the_installer_must_be_the_planned_folder() {
        let planned = [
            staged("install.sh", 0o755, b"#!/bin/sh\n"),
            staged("lib/main.py", 0o644, b"main\n"),
        ];
        let sh = "InvokeAI-Installer/install.sh";
        let main = "InvokeAI-Installer/lib/main.py";
        let exact = python_zip(&[(sh, 0o755, b"#!/bin/sh\n"), (main, 0o644, b"main\n")]);
        check_installer(&exact, &planned).unwrap();
        for (members, why) in [
            (
                vec![(sh, 0o644, &b"#!/bin/sh\n"[..]), (main, 0o644, b"main\n")],
                "InvokeAI-Installer/install.sh is not executable (mode 644; the build writes 755): `./install.sh` would not run once unzipped",
            ),
            (
                vec![(sh, 0o755, &b"#!/bin/sh\n"[..]), (main, 0o755, b"main\n")],
                "InvokeAI-Installer/lib/main.py has mode 755; the build writes 644",
            ),
            (
                vec![(sh, 0o755, &b"#!/bin/sh\n"[..]), (main, 0o600, b"main\n")],
                "InvokeAI-Installer/lib/main.py has mode 600; the build writes 644",
            ),
            (
                vec![(sh, 0o755, &b"#!/bin/sh\n"[..]), (main, 0o644, b"evil\n")],
                "InvokeAI-Installer/lib/main.py differs from the build's (sha256 ",
            ),
            (
                vec![(sh, 0o755, &b"#!/bin/sh\n"[..])],
                "InvokeAI-Installer/lib/main.py is missing",
            ),
            (
                vec![
                    (sh, 0o755, &b"#!/bin/sh\n"[..]),
                    (main, 0o644, b"main\n"),
                    ("InvokeAI-Installer/lib/", 0o755, b""),
                ],
                "InvokeAI-Installer/lib/ is not part of the installer",
            ),
        ] {
            let err = check_installer(&python_zip(&members), &planned)
                .unwrap_err()
                .to_string();
            // One problem, named alone: no count of others.
            assert!(err.starts_with(why) && !err.contains(" more"), "{err}");
        }
        // Many problems: the first ten, then a count.
        let many: Vec<String> = (0..13)
            .map(|n| format!("InvokeAI-Installer/x{n:02}"))
            .collect();
        let mut members: Vec<(&str, u32, &[u8])> =
            vec![(sh, 0o755, b"#!/bin/sh\n"), (main, 0o644, b"main\n")];
        members.extend(many.iter().map(|n| (n.as_str(), 0o644, &b""[..])));
        let err = check_installer(&python_zip(&members), &planned)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("x09 is not part of the installer; and 3 more"),
            "{err}"
        );
    }

    #[test]
    fn every_member_must_carry_the_manifests_timestamp() {
        // 2023-11-14T22:13:20Z, the time python_zip dates its members with.
        let zip = python_zip(&[("InvokeAI-Installer/a", 0o644, b"a")]);
        check_times(1_700_000_000, &[("i.zip", &zip)], &[]).unwrap();
        // One second later is the same DOS time (two-second steps).
        check_times(1_700_000_001, &[("i.zip", &zip)], &[]).unwrap();
        let err = check_times(1_700_000_002, &[("i.zip", &zip)], &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "i.zip: InvokeAI-Installer/a is dated 2023-11-14 22:13:20, but manifest.json says 1700000002 (2023-11-14T22:13:22Z): every member carries the build's timestamp"
        );
        let tar = Listing {
            members: vec![read::Member {
                name: "p-1/PKG-INFO".into(),
                kind: read::Kind::File,
                mode: Some(0o644),
                mtime: 1_700_000_001,
                size: 0,
                sha256: sha256(b""),
            }],
            kept: BTreeMap::new(),
        };
        let err = check_times(1_700_000_000, &[], &[("p.tar.gz", &tar)])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.tar.gz: p-1/PKG-INFO is dated 1700000001 (2023-11-14T22:13:21Z), but manifest.json says 1700000000"), "{err}");
        let err = check_times(4_354_819_200, &[], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "manifest.json's timestamp 4354819200 (2108-01-01T00:00:00Z) is after 2107-12-31"
            ),
            "{err}"
        );
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
