//! The release build end to end: `build-installer` on this repository, then
//! `verify`, then `smoke-test` (the installer installs, and the installed app
//! starts and serves its version and page), the same in headless Chromium,
//! and `build-installer` failing cleanly on a broken front end and a broken
//! pyproject.toml in a copy of the repository.

#[path = "support/archives.rs"]
mod archives;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use archives::{read_tar_gz, read_zip};
use sha2::{Digest, Sha256};
use support::*;

/// A fixed time for builds in copies (their one commit is made at test time).
const SOURCE_DATE_EPOCH: &str = "1700000000";

/// What the one shared `build-installer` run of this repository wrote.
struct Build {
    out: PathBuf,
    zip: PathBuf,
}

/// `build-installer` on this repository, once per test binary, into a folder
/// of the test's scratch space (never the repository's dist/);
/// `--allow-dirty`: the checkout may hold a developer's uncommitted edits.
fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        node_modules();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release_build-dist");
        let _ = std::fs::remove_dir_all(&out);
        let result = run_ok(
            xtask()
                .args([
                    "build-installer",
                    "--allow-dirty",
                    "--skip-frontend-checks",
                    "--out",
                ])
                .arg(&out)
                .env_remove("GITHUB_OUTPUT"),
        );
        let summary = stdout(&result);
        let files = snapshot(&out);
        let names: Vec<&String> = files.keys().collect();
        assert_eq!(files.len(), 6, "{names:?}\n{summary}");
        for fixed in ["SHA256SUMS", "manifest.json"] {
            assert!(files.contains_key(fixed), "no {fixed} in {names:?}");
        }
        let zip = names
            .iter()
            .find(|n| n.starts_with("InvokeAI-installer-v") && n.ends_with(".zip"))
            .unwrap_or_else(|| panic!("no installer zip in {names:?}"));
        assert!(summary.contains(zip.as_str()), "{summary}");
        Build {
            zip: out.join(zip),
            out,
        }
    })
}

impl Build {
    /// The version in the installer's name (PEP 440 normalised).
    fn version(&self) -> String {
        let name = self.zip.file_name().unwrap().to_string_lossy();
        name["InvokeAI-installer-v".len()..name.len() - ".zip".len()].to_owned()
    }
}

/// Whether this build of the xtask has the `verify` command.
/// `cargo xtask verify DIR` accepts what build-installer wrote.
fn verify_accepts(dir: &Path) {
    run_ok(xtask().arg("verify").arg(dir));
}

/// The steps smoke-test reports, in order, without --browser.
const STEPS: &[&str] = &[
    "unzip", "install", "start", "version", "page", "stop", "clean",
];

#[test]
fn build_installer_then_verify_then_smoke_test() {
    let build = build();
    verify_accepts(&build.out);
    let out = run_ok(xtask().arg("smoke-test").arg(&build.zip));
    let table = stdout(&out);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("ok"))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(rows, STEPS, "{table}");
    assert!(table.contains("sha256 matches SHA256SUMS"), "{table}");
    let version = app_version();
    assert!(
        table.contains(&format!("GET /api/v1/app/version: {version}")),
        "{table}"
    );
    assert!(
        table.contains(&format!("serves {}", build.version())),
        "{table}"
    );
    for step in STEPS {
        assert!(
            stderr(&out).contains(&format!("smoke-test: {step}: ok")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn the_installed_app_renders_its_version_in_headless_chromium() {
    run_ok(xtask().args(["setup", "--browser"]));
    let build = build();
    let shots = repo_root().join("target/xtask/smoke");
    let (dom_path, png_path) = (shots.join("page.html"), shots.join("page.png"));
    let _ = std::fs::remove_file(&dom_path);
    let _ = std::fs::remove_file(&png_path);

    let out = run_ok(xtask().args(["smoke-test", "--browser"]).arg(&build.zip));
    assert!(stdout(&out).contains("browser   ok"), "{}", stdout(&out));

    let dom = std::fs::read_to_string(&dom_path)
        .unwrap_or_else(|e| panic!("no rendered DOM at {}: {e}", dom_path.display()));
    let element = version_element(&dom)
        .unwrap_or_else(|| panic!("no element with id=\"version\" in the DOM:\n{dom}"));
    let version = app_version();
    assert!(element.contains("data-state=\"ok\""), "{element}");
    assert!(
        element.ends_with(&format!(">Version {version}")),
        "{element}"
    );

    let png = std::fs::read(&png_path)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png_path.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 1000, "a {} byte screenshot is blank", png.len());
}

/// The opening tag of the element with `id="version"` and its text, e.g.
/// `<p id="version" data-state="ok">Version 1.0`.
fn version_element(dom: &str) -> Option<&str> {
    let at = dom.find("id=\"version\"")?;
    let open = dom[..at].rfind('<')?;
    let text_end = at + dom[at..].find("</")?;
    Some(dom[open..text_end].trim())
}

/// A copy of this checkout's git-tracked python/, frontend/ and installer/
/// and its .gitignore (the build's outputs stay ignored), committed, with
/// the front end's node modules linked in.
fn copy_checkout() -> tempfile::TempDir {
    let modules = node_modules();
    let tmp = tempdir();
    let listed = run_ok(Command::new("git").arg("-C").arg(repo_root()).args([
        "ls-files",
        "-z",
        "--",
        ".gitignore",
        "python",
        "frontend",
        "installer",
    ]));
    let mut copied = 0;
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("UTF-8 paths");
        let from = repo_root().join(name);
        if !from.is_file() {
            continue;
        }
        let to = tmp.path().join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        copied += 1;
    }
    assert!(copied > 20, "only {copied} tracked files copied");
    // A commit to build: the manifest records it.
    git(tmp.path(), &["init", "-q"]);
    commit_all(tmp.path(), "copy");
    std::os::unix::fs::symlink(&modules, tmp.path().join("frontend/node_modules")).unwrap();
    tmp
}

fn git(root: &Path, args: &[&str]) {
    run_ok(
        Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(root),
    );
}

/// Commit every change of the copy, so that it builds without --allow-dirty.
fn commit_all(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
}

/// `build-installer` on the copy at `root`, into `root/dist`.
fn build_copy(root: &Path) -> std::process::Output {
    build_copy_with(root, &[])
}

fn build_copy_with(root: &Path, flags: &[&str]) -> std::process::Output {
    output(
        xtask()
            .args(["build-installer", "--skip-frontend-checks"])
            .args(flags)
            .arg("--repo")
            .arg(root)
            .arg("--out")
            .arg(root.join("dist"))
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env_remove("GITHUB_OUTPUT"),
    )
}

/// Every file of a folder (flat) with its sha256.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                format!("{:x}", Sha256::digest(&bytes)),
            )
        })
        .collect()
}

/// Folders `build-installer-*` left under the copy's target/xtask/.
fn staging_left(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("target/xtask")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("build-installer-"))
        .collect()
}

/// Build once successfully, break the copy with `breakage` (committed, so
/// that the build gets past the clean-tree check), build again: the second
/// build fails naming `step`, and the first build's dist/ is untouched, with
/// no staging folder left.
fn a_failed_build_keeps_the_previous_dist(error: &str, breakage: impl FnOnce(&Path)) {
    let copy = copy_checkout();
    let root = copy.path();
    let good = build_copy(root);
    assert!(
        good.status.success(),
        "the first build of the copy failed:\n{}",
        stderr(&good)
    );
    let before = snapshot(&root.join("dist"));
    assert_eq!(before.len(), 6, "{before:?}");

    breakage(root);
    commit_all(root, "break it");
    let bad = build_copy(root);
    let err = stderr(&bad);
    assert!(!bad.status.success(), "the broken build succeeded:\n{err}");
    assert!(err.contains(error), "no {error:?} in:\n{err}");
    assert_eq!(
        snapshot(&root.join("dist")),
        before,
        "the failed build changed dist/"
    );
    assert_eq!(staging_left(root), Vec::<String>::new());
}

#[test]
fn a_front_end_syntax_error_fails_step_frontend_and_keeps_dist() {
    a_failed_build_keeps_the_previous_dist("error: step `frontend` failed", |root| {
        let main = root.join("frontend/src/main.ts");
        let mut text = std::fs::read_to_string(&main).unwrap();
        text.push_str("\nconst = ;\n");
        std::fs::write(&main, text).unwrap();
    });
}

/// The release's names come from pyproject.toml, so a broken one stops the
/// build before its first step, naming the file, line and column.
#[test]
fn a_bad_pyproject_fails_before_any_step_and_keeps_dist() {
    a_failed_build_keeps_the_previous_dist("error: python/pyproject.toml:", |root| {
        let pyproject = root.join("python/pyproject.toml");
        let text = std::fs::read_to_string(&pyproject).unwrap();
        std::fs::write(&pyproject, text.replacen("[project]", "[project", 1)).unwrap();
    });
}

#[test]
fn a_key_the_builder_refuses_fails_step_dist_and_keeps_dist() {
    a_failed_build_keeps_the_previous_dist("error: step `dist` failed", |root| {
        let pyproject = root.join("python/pyproject.toml");
        let text = std::fs::read_to_string(&pyproject).unwrap();
        std::fs::write(
            &pyproject,
            text.replacen("[project]\n", "[project]\nfrobnicate = 1\n", 1),
        )
        .unwrap();
    });
}

/// A copy with an edited tracked file, a staged new file and an untracked
/// module in the package is refused before any step, each file named (the
/// ignored `__pycache__` not); with --allow-dirty it builds, the untracked
/// module ships, manifest.json records the files and verify reports them.
#[test]
fn a_dirty_copy_is_refused_unless_allow_dirty_and_then_recorded() {
    let copy = copy_checkout();
    let root = copy.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let readme = std::fs::read_to_string(root.join("installer/readme.txt")).unwrap();
    write("installer/readme.txt", &format!("{readme}edited\n"));
    write("python/invokeai/stray.py", "print('not in any commit')\n");
    write("frontend/src/staged.ts", "export const x = 1;\n");
    git(root, &["add", "frontend/src/staged.ts"]);
    write("python/invokeai/__pycache__/stray.cpython-312.pyc", "");
    let named = [
        "frontend/src/staged.ts (added)",
        "installer/readme.txt (modified)",
        "python/invokeai/stray.py (untracked)",
    ];

    let refused = build_copy(root);
    let err = stderr(&refused);
    assert!(!refused.status.success(), "a dirty copy built:\n{err}");
    assert!(
        err.contains("differs from its commit") && err.contains("in 3 files the build reads"),
        "{err}"
    );
    assert!(err.contains(&named.join(", ")), "{err}");
    assert!(err.contains("--allow-dirty"), "{err}");
    assert!(!err.contains("__pycache__"), "{err}");
    assert!(!err.contains("step `"), "no step may run:\n{err}");
    assert!(!root.join("dist").exists());
    assert_eq!(staging_left(root), Vec::<String>::new());

    let built = build_copy_with(root, &["--allow-dirty"]);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(
        stderr(&built).contains(&format!(
            "(--allow-dirty; manifest.json records them): {}\n",
            named.join(", ")
        )),
        "{}",
        stderr(&built)
    );
    let dist = root.join("dist");
    let wheel = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .unwrap();
    assert!(
        read_zip(&wheel)
            .iter()
            .any(|m| m.name == "invokeai/stray.py"),
        "the untracked module ships: that is why the tree is checked"
    );
    let manifest = std::fs::read_to_string(dist.join("manifest.json")).unwrap();
    assert!(
        manifest.contains(
            "\"dirty\": true,\n  \"dirty_files\": [\n    \"frontend/src/staged.ts\",\n    \"installer/readme.txt\",\n    \"python/invokeai/stray.py\"\n  ],"
        ),
        "{manifest}"
    );

    let verified = run_ok(xtask().arg("verify").arg(&dist).arg("--repo").arg(root));
    let text = stdout(&verified);
    assert!(
        text.contains("dirty: manifest.json says the build ran with --allow-dirty on a checkout that differed from commit ")
            && text.contains("in 3 file(s): frontend/src/staged.ts, installer/readme.txt, python/invokeai/stray.py"),
        "{text}"
    );
    assert!(text.contains("built from a dirty checkout"), "{text}");
}

/// A time no zip member can carry (zip dates run from 1980 to 2107) is
/// refused before any step, with the reason, from SOURCE_DATE_EPOCH or from
/// the last commit; the last second a zip holds builds, every member dated so.
#[test]
fn a_time_no_zip_can_hold_is_refused_with_the_reason() {
    let copy = copy_checkout();
    let root = copy.path();
    let dry_run = |epoch: Option<&str>| {
        let mut cmd = xtask();
        cmd.args(["build-installer", "--dry-run", "--repo"])
            .arg(root)
            .env_remove("SOURCE_DATE_EPOCH");
        if let Some(epoch) = epoch {
            cmd.env("SOURCE_DATE_EPOCH", epoch);
        }
        output(&mut cmd)
    };
    for (epoch, why) in [
        (
            "4354819200",
            "SOURCE_DATE_EPOCH=4354819200: 4354819200 (2108-01-01T00:00:00Z) is after 2107-12-31, the latest date a zip member can hold",
        ),
        (
            "18446744073709551615",
            "SOURCE_DATE_EPOCH=18446744073709551615: 18446744073709551615 (",
        ),
        (
            "0",
            "SOURCE_DATE_EPOCH=0: 0 (1970-01-01T00:00:00Z) is before 1980-01-01, the earliest time a zip member can hold",
        ),
    ] {
        let out = dry_run(Some(epoch));
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{epoch} was accepted:\n{}",
            stdout(&out)
        );
        assert!(err.contains(why), "{epoch}: {err}");
        assert!(
            err.contains("Set SOURCE_DATE_EPOCH to a time from 315532800 to 4354819199"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(dry_run(None).status.success());

    run_ok(
        Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(["commit", "-q", "--amend", "--no-edit"])
            .env("GIT_COMMITTER_DATE", "@4354819300 +0000")
            .current_dir(root),
    );
    let err = stderr(&dry_run(None));
    assert!(
        err.contains("the last commit's time (git log -1 --format=%ct): 4354819300 (2108-01-01T00:01:40Z) is after 2107-12-31"),
        "{err}"
    );

    let built = output(
        xtask()
            .args(["build-installer", "--skip-frontend-checks", "--repo"])
            .arg(root)
            .arg("--out")
            .arg(root.join("dist"))
            .env("SOURCE_DATE_EPOCH", "4354819199")
            .env_remove("GITHUB_OUTPUT"),
    );
    assert!(built.status.success(), "{}", stderr(&built));
    // 2107-12-31 23:59:58 in MS-DOS form: date << 16 | time.
    let dos = (((127u64 << 9) | (12 << 5) | 31) << 16) | ((23 << 11) | (59 << 5) | 29);
    for entry in std::fs::read_dir(root.join("dist")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (members, want) = if name.ends_with(".zip") || name.ends_with(".whl") {
            (read_zip(&path), dos)
        } else if name.ends_with(".tar.gz") {
            (read_tar_gz(&path), 4354819199)
        } else {
            continue;
        };
        for m in members {
            assert_eq!(m.mtime, want, "{name}: {}", m.name);
        }
    }
}

/// An install.sh that hangs (and leaves a child of its own running) is
/// stopped after --install-timeout: the install step is named as the one
/// that gave up, and neither the script nor its child is left running.
#[test]
fn a_hanging_install_is_stopped_and_the_step_named() {
    let tmp = tempdir();
    let zip = tmp.path().join("InvokeAI-installer-v1.0.zip");
    let pids = tmp.path().join("pids");
    let script = r#"
import sys, zipfile
info = zipfile.ZipInfo("InvokeAI-Installer/install.sh", (2023, 11, 14, 22, 13, 20))
info.create_system = 3
info.external_attr = 0o100755 << 16
body = '#!/bin/sh\nsleep 300 &\necho "$$ $!" > "$SMOKE_PIDS"\nsleep 300\n'
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(info, body)
"#;
    run_ok(Command::new(venv_python()).args(["-c", script]).arg(&zip));
    let started = std::time::Instant::now();
    let out = output(
        xtask()
            .args(["smoke-test", "--install-timeout", "2"])
            .arg(&zip)
            .env("SMOKE_PIDS", &pids),
    );
    let took = started.elapsed();
    let (table, err) = (stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{table}\n{err}");
    assert!(took.as_secs() < 60, "took {took:?}");
    assert!(
        err.contains("error: step `install` gave up: install.sh did not finish within 2s (--install-timeout 2); it and its process group were stopped"),
        "{err}"
    );
    assert!(err.contains("smoke-test: install: GAVE UP"), "{err}");
    assert!(table.contains("install   GAVE UP"), "{table}");
    assert!(table.contains("unzip     ok"), "{table}");
    let pids = std::fs::read_to_string(&pids).unwrap();
    for pid in pids.split_whitespace() {
        // Reaped or a zombie of a reaped parent: no longer running.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = state
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        assert!(
            matches!(state, None | Some("Z")),
            "process {pid} still runs ({state:?})"
        );
    }

    let refused = output(
        xtask()
            .args(["smoke-test", "--install-timeout", "0"])
            .arg(&zip),
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--install-timeout"),
        "{}",
        stderr(&refused)
    );
}
