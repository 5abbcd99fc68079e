//! `cargo xtask verify` on real artifacts from `build-installer`, intact and
//! tampered with.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use support::*;

/// One build of the repository's artifacts, shared by the tests (each works
/// on a copy); `--allow-dirty`: the checkout may hold uncommitted edits.
fn built() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        node_modules();
        let dir = tempdir();
        run_ok(
            xtask()
                .args([
                    "build-installer",
                    "--allow-dirty",
                    "--skip-frontend-checks",
                    "--out",
                ])
                .arg(dir.path())
                .env_remove("GITHUB_OUTPUT"),
        );
        dir
    })
    .path()
}

fn copy_of_build() -> tempfile::TempDir {
    let dir = tempdir();
    copy_tree(built(), dir.path(), &[]);
    dir
}

fn find(dir: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no *{suffix} in {}", dir.display()))
}

fn verify(dir: &Path) -> std::process::Output {
    output(xtask().arg("verify").arg(dir))
}

#[test]
fn intact_artifacts_pass_every_check() {
    let out = verify(built());
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for expected in [
        "match SHA256SUMS and manifest.json",
        "RECORD lists every member",
        "byte for byte",
        "carries the UI",
        "carries an SBOM of the",
        "hold the same document",
        "agrees in 6 places",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
    // Each check says what it checked, by name.
    let version = app_version();
    let carries = format!(
        "InvokeAI-installer-v{version}.zip carries invokeai-{version}-py3-none-any.whl byte for byte"
    );
    assert!(text.contains(&carries), "no {carries:?} in\n{text}");
    // install.sh alone is run directly; the rest are read or run through it.
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok: InvokeAI-installer-")
                && l.ends_with(
                    " files build-installer plans, byte for byte, install.sh executable"
                )),
        "no planned-installer line naming install.sh alone as executable in\n{text}"
    );
}

#[test]
fn a_flipped_byte_in_any_artifact_is_caught_and_named() {
    for suffix in [".whl", ".tar.gz", ".zip", ".cdx.json"] {
        let dir = copy_of_build();
        let path = find(dir.path(), suffix);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let out = verify(dir.path());
        assert!(
            !out.status.success(),
            "a flipped byte in {} passed",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let err = stderr(&out);
        assert!(err.contains(&name) && err.contains("sha256"), "{err}");
    }
}

#[test]
fn a_missing_checksum_file_is_an_error_saying_what_to_run() {
    let dir = copy_of_build();
    std::fs::remove_file(dir.path().join("SHA256SUMS")).unwrap();
    let out = verify(dir.path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cargo xtask build-installer"),
        "{}",
        stderr(&out)
    );
}

/// A wheel whose RECORD lies, with checksum files updated to match it, so
/// only the RECORD check can catch it.
#[test]
fn a_wheel_whose_record_lies_is_caught() {
    let dir = copy_of_build();
    let wheel = find(dir.path(), ".whl");
    let old = std::fs::read(&wheel).unwrap();
    let script = r#"
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename.endswith(".dist-info/RECORD"):
            lines = data.decode().splitlines(keepends=True)
            path, _, size = lines[0].rstrip("\n").split(",")
            lines[0] = f"{path},sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,{size}\n"
            data = "".join(lines).encode()
        zout.writestr(info, data)
"#;
    let forged = dir.path().join("forged.whl");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-c", script])
            .arg(&wheel)
            .arg(&forged),
    );
    std::fs::rename(&forged, &wheel).unwrap();
    resum(dir.path(), &old, &std::fs::read(&wheel).unwrap());
    let out = verify(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("RECORD") && err.contains("sha256="), "{err}");
}

/// Rewrite the wheel as an attacker who can write every artifact would:
/// `edit` is Python defining `edit(members)`, which takes and returns a list
/// of `(name, bytes)`; RECORD is then written anew to tell the truth about the
/// result, the installer's copy of the wheel is replaced, and the checksum
/// files are made to vouch for both. Only checks of the content can catch it.
fn forge_wheel_everywhere(dir: &Path, edit: &str) {
    let wheel = find(dir, ".whl");
    let old = std::fs::read(&wheel).unwrap();
    let script = format!(
        r#"
import base64, hashlib, json, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
{edit}
def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
with zipfile.ZipFile(src) as zin:
    members = [(i.filename, zin.read(i)) for i in zin.infolist()]
record = next(n for n, _ in members if n.endswith(".dist-info/RECORD"))
members = [(n, d) for n, d in edit(members) if n != record]
lines = [f"{{n}},{{record_hash(d)}},{{len(d)}}" for n, d in members] + [f"{{record}},,"]
members.append((record, ("\n".join(lines) + "\n").encode()))
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for n, d in members:
        zout.writestr(n, d)
"#
    );
    let forged = dir.join("forged.whl");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-c", &script])
            .arg(&wheel)
            .arg(&forged),
    );
    std::fs::rename(&forged, &wheel).unwrap();
    resum(dir, &old, &std::fs::read(&wheel).unwrap());
    let repack = r#"
import sys, zipfile
zip_path, wheel_path, out_path = sys.argv[1:4]
wheel_name = wheel_path.rsplit("/", 1)[1]
with zipfile.ZipFile(zip_path) as zin, zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename.endswith("/" + wheel_name):
            data = open(wheel_path, "rb").read()
        zout.writestr(info, data)
"#;
    let zip = find(dir, ".zip");
    let old_zip = std::fs::read(&zip).unwrap();
    let forged_zip = dir.join("forged.zip");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-c", repack])
            .arg(&zip)
            .arg(&wheel)
            .arg(&forged_zip),
    );
    std::fs::rename(&forged_zip, &zip).unwrap();
    resum(dir, &old_zip, &std::fs::read(&zip).unwrap());
}

/// The wheel's SBOM claims another hash for a UI file.
#[test]
fn a_wheel_whose_sbom_does_not_describe_its_ui_is_caught() {
    let dir = copy_of_build();
    forge_wheel_everywhere(
        dir.path(),
        r#"
def edit(members):
    out = []
    for name, data in members:
        if "/sboms/" in name:
            doc = json.loads(data)
            next(c for c in doc["components"] if c["type"] == "file")["hashes"][0]["content"] = "0" * 64
            data = json.dumps(doc, indent=2).encode()
        out.append((name, data))
    return out
"#,
    );
    let out = verify(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("does not describe the UI it ships") && err.contains("another build"),
        "{err}"
    );
}

/// A second SBOM slipped into the wheel's `.dist-info/sboms/`.
#[test]
fn a_wheel_with_an_sbom_of_its_own_is_caught() {
    let dir = copy_of_build();
    forge_wheel_everywhere(
        dir.path(),
        r#"
def edit(members):
    info = next(n for n, _ in members if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    return members + [(info + "/sboms/extra.cdx.json", b'{"bomFormat": "CycloneDX"}')]
"#,
    );
    let out = verify(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("sboms/extra.cdx.json is an SBOM this build does not write"),
        "{err}"
    );
}

/// The release's SBOM asset swapped for another document (checksums kept in
/// step): it must be the very document the wheel carries.
#[test]
fn a_release_sbom_other_than_the_wheels_is_caught() {
    let dir = copy_of_build();
    let path = find(dir.path(), ".cdx.json");
    let old = std::fs::read(&path).unwrap();
    let new = String::from_utf8(old.clone())
        .unwrap()
        .replacen("\"version\": 1", "\"version\": 2", 1)
        .into_bytes();
    assert_ne!(old, new);
    std::fs::write(&path, &new).unwrap();
    resum(dir.path(), &old, &new);
    let out = verify(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&format!("{name} differs from the")), "{err}");
}

#[test]
fn a_version_that_disagrees_is_named() {
    let dir = copy_of_build();
    // The manifest is not an archive, so changing it only needs its checksums kept.
    let path = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let version = app_version();
    std::fs::write(
        &path,
        text.replacen(
            &format!("\"version\": \"{version}\""),
            "\"version\": \"0.0.1\"",
            1,
        ),
    )
    .unwrap();
    let out = verify(dir.path());
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("manifest.json says 0.0.1"), "{err}");
}

/// Make SHA256SUMS and manifest.json vouch for `new` instead of `old`, as an
/// attacker who can write the release folder would.
fn resum(dir: &Path, old: &[u8], new: &[u8]) {
    let (old_sha, new_sha) = (sha256(old), sha256(new));
    for file in ["SHA256SUMS", "manifest.json"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(&old_sha, &new_sha).replace(
            &format!("\"size\": {}", old.len()),
            &format!("\"size\": {}", new.len()),
        );
        std::fs::write(&path, text).unwrap();
    }
}

/// An artifact the checksum files do not list would still be uploaded by
/// `dist/*.whl`: verify names it and fails.
#[test]
fn an_unlisted_artifact_in_the_folder_is_refused() {
    for stray in [
        "invokeai-0.0.1-py3-none-any.whl",
        "invokeai-0.0.1.tar.gz",
        "other.zip",
    ] {
        let dir = copy_of_build();
        std::fs::write(dir.path().join(stray), "old").unwrap();
        let out = verify(dir.path());
        assert!(!out.status.success(), "{stray} passed");
        let err = stderr(&out);
        assert!(err.contains(&format!("{stray} is in")), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Other files are none of verify's business.
    let dir = copy_of_build();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    std::fs::create_dir(dir.path().join("stale")).unwrap();
    std::fs::write(dir.path().join("stale/old.whl"), "old").unwrap();
    let out = verify(dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
}

/// An installer with a member that escapes its folder or is a link, with
/// the checksum files forged to match, is refused by name.
#[test]
fn an_installer_with_hostile_members_is_refused() {
    let script = r##"
import sys, zipfile
src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        zout.writestr(info, zin.read(info))
    if kind == "link":
        link = zipfile.ZipInfo("InvokeAI-Installer/passwd")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zout.writestr(link, "/etc/passwd")
    else:
        zout.writestr(zipfile.ZipInfo(kind), "#!/bin/sh\necho evil\n")
"##;
    for (kind, why) in [
        ("InvokeAI-Installer/../../evil.sh", "outside"),
        ("/tmp/evil.sh", "outside"),
        ("link", "symbolic link"),
        ("InvokeAI-Installer/install.sh", "twice"),
    ] {
        let dir = copy_of_build();
        let zip = find(dir.path(), ".zip");
        let old = std::fs::read(&zip).unwrap();
        let forged = dir.path().join("forged.bin");
        run_ok(
            std::process::Command::new(venv_python())
                .args(["-W", "ignore", "-c", script])
                .arg(&zip)
                .arg(&forged)
                .arg(kind),
        );
        std::fs::rename(&forged, &zip).unwrap();
        resum(dir.path(), &old, &std::fs::read(&zip).unwrap());
        let out = verify(dir.path());
        assert!(!out.status.success(), "{kind} passed");
        let err = stderr(&out);
        assert!(
            err.contains(why) && err.contains("refused"),
            "{kind}: {err}"
        );
    }
}

fn sha256(bytes: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Rewrite the installer zip with Python's zipfile: `edit` is Python
/// defining `edit(infos)`, which takes and returns a list of `(ZipInfo,
/// bytes)`; the checksum files are made to vouch for the result.
fn forge_installer(dir: &Path, edit: &str) {
    let script = format!(
        r#"
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
{edit}
with zipfile.ZipFile(src) as zin:
    members = [(i, zin.read(i)) for i in zin.infolist()]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info, data in edit(members):
        zout.writestr(info, data)
"#
    );
    let zip = find(dir, ".zip");
    let old = std::fs::read(&zip).unwrap();
    let forged = dir.join("forged.bin");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-c", &script])
            .arg(&zip)
            .arg(&forged),
    );
    std::fs::rename(&forged, &zip).unwrap();
    resum(dir, &old, &std::fs::read(&zip).unwrap());
}

/// The installer must be exactly the folder build-installer plans: an extra
/// member, a changed one, or an install.sh that lost its executable bit
/// (each dated and moded like the real members, checksums forged) is named.
#[test]
fn an_installer_other_than_the_planned_folder_is_caught() {
    for (edit, why) in [
        (
            r#"
def edit(members):
    info = zipfile.ZipInfo("InvokeAI-Installer/lib/extra.py", members[0][0].date_time)
    info.external_attr = 0o100644 << 16
    return members + [(info, b"import os\n")]
"#,
            "InvokeAI-Installer/lib/extra.py is not part of the installer",
        ),
        (
            r#"
def edit(members):
    return [(i, d + b"\n# changed\n" if i.filename.endswith("/lib/main.py") else d) for i, d in members]
"#,
            "InvokeAI-Installer/lib/main.py differs from the build's (sha256 ",
        ),
        (
            r#"
def edit(members):
    for info, _ in members:
        if info.filename.endswith("/install.sh"):
            info.external_attr = 0o100644 << 16
    return members
"#,
            "InvokeAI-Installer/install.sh is not executable (mode 644; the build writes 755): `./install.sh` would not run once unzipped",
        ),
        (
            r#"
def edit(members):
    return [(i, d) for i, d in members if not i.filename.endswith("/readme.txt")]
"#,
            "InvokeAI-Installer/readme.txt is missing",
        ),
    ] {
        let dir = copy_of_build();
        forge_installer(dir.path(), edit);
        let out = verify(dir.path());
        let err = stderr(&out);
        assert!(!out.status.success(), "{why}: passed\n{}", stdout(&out));
        assert!(
            err.contains("is not the installer build-installer makes of") && err.contains(why),
            "{why}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// Members dated otherwise than the manifest's timestamp: the installer's
/// (all of them), one of the sdist's, or a manifest whose timestamp moved.
#[test]
fn member_times_other_than_the_manifests_are_caught() {
    let dir = copy_of_build();
    forge_installer(
        dir.path(),
        r#"
def edit(members):
    for info, _ in members:
        info.date_time = (2030, 1, 2, 3, 4, 6)
    return members
"#,
    );
    let err = stderr(&verify(dir.path()));
    assert!(
        err.contains("InvokeAI-Installer/")
            && err.contains("is dated 2030-01-02 03:04:06, but manifest.json says"),
        "{err}"
    );

    let dir = copy_of_build();
    let sdist = find(dir.path(), ".tar.gz");
    let old = std::fs::read(&sdist).unwrap();
    let script = r#"
import sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as tin, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as tout:
    for info in tin.getmembers():
        data = tin.extractfile(info) if info.isfile() else None
        if info.name.endswith("/PKG-INFO"):
            info.mtime += 1
        tout.addfile(info, data)
"#;
    let forged = dir.path().join("forged.bin");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-c", script])
            .arg(&sdist)
            .arg(&forged),
    );
    std::fs::rename(&forged, &sdist).unwrap();
    resum(dir.path(), &old, &std::fs::read(&sdist).unwrap());
    let err = stderr(&verify(dir.path()));
    assert!(
        err.contains("/PKG-INFO is dated ") && err.contains("but manifest.json says"),
        "{err}"
    );

    let dir = copy_of_build();
    let path = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\"timestamp\": ").unwrap() + "\"timestamp\": ".len();
    let end = at + text[at..].find(',').unwrap();
    let stamp: u64 = text[at..end].parse().unwrap();
    std::fs::write(
        &path,
        format!("{}{}{}", &text[..at], stamp + 2, &text[end..]),
    )
    .unwrap();
    let out = verify(dir.path());
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("but manifest.json says {}", stamp + 2)),
        "{err}"
    );
}

/// A FIFO (or a device) in place of SHA256SUMS, manifest.json or an
/// artifact is refused at once; verify once waited for a writer for ever.
#[test]
fn a_fifo_or_device_in_place_of_a_file_is_refused_at_once() {
    for (name, kind) in [
        ("SHA256SUMS", "fifo"),
        ("manifest.json", "fifo"),
        (".whl", "fifo"),
        ("manifest.json", "/dev/zero"),
        (".zip", "/dev/zero"),
    ] {
        let dir = copy_of_build();
        let path = if name.starts_with('.') {
            find(dir.path(), name)
        } else {
            dir.path().join(name)
        };
        std::fs::remove_file(&path).unwrap();
        let why = if kind == "fifo" {
            run_ok(std::process::Command::new("mkfifo").arg(&path));
            "is a FIFO (named pipe), not a regular file; refused"
        } else {
            std::os::unix::fs::symlink(kind, &path).unwrap();
            "is a character device, not a regular file; refused"
        };
        let mut child = xtask()
            .arg("verify")
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                panic!("verify hung on a {kind} as {name}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{kind} as {name} passed");
        let err = stderr(&out);
        assert!(err.contains(why), "{kind} as {name}: {err}");
    }
}

/// A build made with --allow-dirty passes, and is reported with its files;
/// a file name holding terminal control sequences is printed escaped.
#[test]
fn a_dirty_build_is_reported_with_its_files_escaped() {
    let dir = copy_of_build();
    let path = dir.path().join("manifest.json");
    // Whether or not this checkout was clean when it was built.
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["dirty"] = true.into();
    manifest["dirty_files"] =
        serde_json::json!(["python/invokeai/a.py", "python/\u{1b}]0;owned\u{7}b.py"]);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let out = verify(dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("in 2 file(s): python/invokeai/a.py, python/\\u{1b}]0;owned\\u{7}b.py\n"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !stderr(&out).contains('\u{1b}'),
        "{text}"
    );
    assert!(
        text.ends_with("but it was built from a dirty checkout\n"),
        "{text}"
    );
}

/// An sdist member outside its `name-version/` folder would be unpacked
/// beside the project: refused, named.
#[test]
fn an_sdist_member_outside_its_folder_is_refused() {
    let script = r##"
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as tout:
    for info in tin.getmembers():
        tout.addfile(info, tin.extractfile(info) if info.isfile() else None)
    stray = tarfile.TarInfo("stray.txt")
    stray.size = 5
    stray.mtime = info.mtime
    tout.addfile(stray, io.BytesIO(b"stray"))
"##;
    let dir = copy_of_build();
    let sdist = find(dir.path(), ".tar.gz");
    let old = std::fs::read(&sdist).unwrap();
    let forged = dir.path().join("forged.bin");
    run_ok(
        std::process::Command::new(venv_python())
            .args(["-W", "ignore", "-c", script])
            .arg(&sdist)
            .arg(&forged),
    );
    std::fs::rename(&forged, &sdist).unwrap();
    resum(dir.path(), &old, &std::fs::read(&sdist).unwrap());
    let out = verify(dir.path());
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("stray.txt is outside invokeai-"), "{err}");
}
