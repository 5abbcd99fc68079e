//! `cargo xtask dist` on its own: reproducible bytes, pinned golden bytes,
//! refusals of bad input, and its flags.

mod support;

#[path = "support/archives.rs"]
mod archives;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use archives::*;
use support::*;

fn fixture_dir(name: &str) -> PathBuf {
    repo_root().join("xtask/tests/fixtures/projects").join(name)
}

/// `xtask dist` with a clean environment for the things that matter.
fn dist(project: &Path, out: &Path) -> Command {
    let mut cmd = xtask();
    cmd.arg("dist")
        .arg("--project")
        .arg(project)
        .arg("--out")
        .arg(out)
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// Run a command under a given umask (through `sh`, arguments passed as
/// positional parameters, never interpolated).
fn with_umask(umask: &str, cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("GIT_AUTHOR_DATE", "2024-02-29T12:34:56Z")
        .env("GIT_COMMITTER_DATE", "2024-02-29T12:34:56Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir);
    cmd
}

/// Set every file's mtime under `dir` to a different pseudo-random time.
fn scramble_mtimes(dir: &Path, seed: u64) {
    let mut state = seed;
    for rel in listing(dir) {
        let path = dir.join(&rel);
        if path.is_file() && !rel.starts_with(".git") {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let secs = 1_000_000_000 + (state >> 35);
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(time).unwrap();
        }
    }
}

/// Two clones at different paths, checked out under different umasks, with
/// scrambled mtimes, built under different umask, TZ and locale: the same
/// sha256 for both artifacts, timestamps from the last commit.
#[test]
fn builds_are_reproducible_across_clones_and_environments() {
    let tmp = tempdir();
    let origin = tmp.path().join("origin");
    copy_tree(&fixture_dir("datadir"), &origin, &[]);
    run_ok(git(&origin).args(["init", "-q"]));
    run_ok(git(&origin).args(["add", "-A"]));
    run_ok(git(&origin).args(["commit", "-q", "-m", "fixture"]));

    let one = tmp.path().join("a/clone");
    let two = tmp.path().join("b/some/deeper/path/other-name");
    std::fs::create_dir_all(two.parent().unwrap()).unwrap();
    run_ok(&mut with_umask(
        "022",
        git(tmp.path()).args(["clone", "-q"]).arg(&origin).arg(&one),
    ));
    run_ok(&mut with_umask(
        "077",
        git(tmp.path()).args(["clone", "-q"]).arg(&origin).arg(&two),
    ));
    scramble_mtimes(&one, 1);
    scramble_mtimes(&two, 2);
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_ne!(
        mode(&one.join("README.md")),
        mode(&two.join("README.md")),
        "the clones should differ in modes"
    );

    let out_one = tmp.path().join("out-one");
    let out_two = tmp.path().join("out-two");
    let first = run_ok(&mut with_umask(
        "022",
        dist(&one, &out_one).env("TZ", "UTC").env("LC_ALL", "C"),
    ));
    let second = run_ok(&mut with_umask(
        "077",
        dist(&two, &out_two)
            .env("TZ", "Pacific/Chatham")
            .env("LC_ALL", "C.UTF-8")
            .env("LANG", "tr_TR.UTF-8"),
    ));
    for out in [&first, &second] {
        assert!(
            stderr(out)
                .contains("timestamp 1709210096 (2024-02-29T12:34:56Z) from the last commit"),
            "{}",
            stderr(out)
        );
    }
    for suffix in [".whl", ".tar.gz"] {
        let a = only(&out_one, suffix);
        let b = only(&out_two, suffix);
        assert_eq!(
            sha256_file(&a),
            sha256_file(&b),
            "{suffix} differs between builds"
        );
    }
    // Members carry the commit time and normalised modes.
    let sdist = read_tar_gz(&only(&out_one, ".tar.gz"));
    assert!(sdist.iter().all(|m| m.mtime == 1_709_210_096));
    let modes: Vec<(String, u32)> = sdist
        .iter()
        .filter(|m| !m.is_dir)
        .map(|m| (m.name.clone(), m.mode))
        .collect();
    for (name, mode) in &modes {
        let expected = if name.ends_with("bin/run.sh") {
            0o755
        } else {
            0o644
        };
        assert_eq!(*mode, expected, "{name}");
    }
    assert!(sdist.iter().filter(|m| m.is_dir).all(|m| m.mode == 0o755));
    let wheel = read_zip(&only(&out_one, ".whl"));
    // 2024-02-29 12:34:56 as a DOS date and time.
    let dos = ((((2024 - 1980) << 9) | (2 << 5) | 29) << 16) | ((12 << 11) | (34 << 5) | 28);
    assert!(wheel.iter().all(|m| m.mtime == dos), "zip times");
    // And stdout names the artifacts with their hashes.
    assert!(stdout(&first).contains(&format!("sha256:{}", sha256_file(&only(&out_one, ".whl")))));
}

/// SOURCE_DATE_EPOCH wins over the commit time; outside a repository without
/// it, the documented default (the zip epoch, 1980-01-01) is used and said.
#[test]
fn timestamp_sources() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    let out = run_ok(dist(&proj, &tmp.path().join("a")).env("SOURCE_DATE_EPOCH", "1700000000"));
    assert!(
        stderr(&out).contains("timestamp 1700000000 (2023-11-14T22:13:20Z) from SOURCE_DATE_EPOCH"),
        "{}",
        stderr(&out)
    );
    let sdist = read_tar_gz(&only(&tmp.path().join("a"), ".tar.gz"));
    assert!(sdist.iter().all(|m| m.mtime == 1_700_000_000));

    let out = run_ok(&mut dist(&proj, &tmp.path().join("b")));
    assert!(
        stderr(&out)
            .contains("timestamp 315532800 (1980-01-01T00:00:00Z) by default, the zip epoch"),
        "{}",
        stderr(&out)
    );
    // Before 1980 is clamped (zip cannot hold it).
    let out = run_ok(dist(&proj, &tmp.path().join("c")).env("SOURCE_DATE_EPOCH", "0"));
    assert!(
        stderr(&out).contains("timestamp 315532800 "),
        "{}",
        stderr(&out)
    );
    let bad = output(dist(&proj, &tmp.path().join("d")).env("SOURCE_DATE_EPOCH", "yesterday"));
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("SOURCE_DATE_EPOCH=\"yesterday\""),
        "{}",
        stderr(&bad)
    );
}

/// The exact bytes of the tiny fixture's wheel and sdist. If this fails, the
/// writer changed: fix the writer, do not update the hashes (unless the
/// change is deliberate: a new xtask version in WHEEL's Generator, a
/// different zlib-rs in Cargo.lock, a format fix).
#[test]
fn golden_bytes_of_the_tiny_project() {
    let tmp = tempdir();
    let proj = tmp.path().join("tiny");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    let out = tmp.path().join("out");
    run_ok(dist(&proj, &out).env("SOURCE_DATE_EPOCH", "1700000000"));
    let wheel = only(&out, ".whl");
    let sdist = only(&out, ".tar.gz");
    assert_eq!(
        wheel.file_name().unwrap(),
        "tiny_dist-1.0.0rc1-py3-none-any.whl"
    );
    assert_eq!(sdist.file_name().unwrap(), "tiny_dist-1.0.0rc1.tar.gz");
    assert_eq!(
        sha256_file(&wheel),
        "30aa38260583ee05becb2007e670bf39da1511e64cf3645b28585b1aade963b2",
        "wheel bytes changed"
    );
    assert_eq!(
        sha256_file(&sdist),
        "9ce4942de921f94fd323b17736a765676eed00c63e68cf5e0a1ed8f95f0ea1f9",
        "sdist bytes changed"
    );
}

/// A project that must be refused: one line on stderr naming the problem,
/// exit code 1, nothing written to --out, nothing left in the project.
/// Remove the lines of `p/pyproject.toml` that start with `prefix`.
fn drop_pyproject_lines(p: &Path, prefix: &str) {
    let path = p.join("pyproject.toml");
    let text: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(prefix))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, text).unwrap();
}

fn refused(mutate: impl FnOnce(&Path), expected: &[&str]) -> String {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    mutate(&proj);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "already here").unwrap();
    let before_out = listing(&out);
    let before_proj = listing(&proj);
    let result = output_within(&mut dist(&proj, &out), 60);
    let err = stderr(&result);
    assert_eq!(
        result.status.code(),
        Some(1),
        "expected a refusal, got:\n{err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "not one line:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for needle in expected {
        assert!(lines[0].contains(needle), "{needle:?} missing from:\n{err}");
    }
    assert_eq!(listing(&out), before_out, "something was written to --out");
    assert_eq!(
        listing(&proj),
        before_proj,
        "something was written to the project"
    );
    assert!(stdout(&result).is_empty());
    lines[0].to_owned()
}

/// Run a command, killed and failed if it takes more than `secs` seconds
/// (a read that blocks must fail the test, not hang it).
fn output_within(cmd: &mut Command, secs: u64) -> Output {
    use std::process::Stdio;
    let logs = tempdir();
    let (out_path, err_path) = (logs.path().join("out"), logs.path().join("err"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    }
}

fn edit(proj: &Path, from: &str, to: &str) {
    let path = proj.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in pyproject.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The 1-based line of `needle` in the fixture's pyproject.toml.
fn line_of(needle: &str) -> usize {
    let text = std::fs::read_to_string(fixture_dir("tiny").join("pyproject.toml")).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn refuses_malformed_toml_with_file_line_col() {
    let line = line_of("requires-python");
    refused(
        |p| {
            edit(
                p,
                "requires-python = \">=3.9\"",
                "requires-python = \">=3.9",
            )
        },
        &["pyproject.toml:", &format!(":{line}:"), "invalid TOML"],
    );
}

#[test]
fn refuses_a_missing_project_table() {
    refused(
        |p| {
            std::fs::write(
                p.join("pyproject.toml"),
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
            )
            .unwrap()
        },
        &["pyproject.toml", "no [project] table"],
    );
}

#[test]
fn refuses_an_invalid_name() {
    let line = line_of("name = ");
    refused(
        |p| edit(p, "name = \"tiny-dist\"", "name = \"tiny dist!\""),
        &[
            &format!("pyproject.toml:{line}:8:"),
            "invalid project name \"tiny dist!\"",
        ],
    );
}

#[test]
fn refuses_an_invalid_version() {
    let line = line_of("version = ");
    refused(
        |p| edit(p, "version = \"1.0.0RC1\"", "version = \"1.0.0-banana\""),
        &[
            &format!("pyproject.toml:{line}:11:"),
            "invalid version \"1.0.0-banana\"",
        ],
    );
}

#[test]
fn refuses_an_invalid_dependency() {
    refused(
        |p| {
            edit(
                p,
                "requires-python = \">=3.9\"",
                "requires-python = \">=3.9\"\ndependencies = [\"requests >= \"]",
            )
        },
        &["pyproject.toml:", "invalid dependency \"requests >= \""],
    );
}

#[test]
fn refuses_an_unknown_license() {
    refused(
        |p| {
            edit(
                p,
                "requires-python = \">=3.9\"",
                "requires-python = \">=3.9\"\nlicense = \"MIT AND Frobnicate-1.0\"",
            )
        },
        &["pyproject.toml:", "unknown license \"frobnicate-1.0\""],
    );
}

/// A malformed MANIFEST.in line is skipped with a warning naming it, as
/// setuptools skips it; the build goes on.
#[test]
fn a_malformed_manifest_line_is_skipped() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    std::fs::write(
        proj.join("MANIFEST.in"),
        "include README.txt\nfrobnicate *\n",
    )
    .unwrap();
    let out = run_ok(&mut dist(&proj, &tmp.path().join("out")));
    let err = stderr(&out);
    assert!(
        err.contains("MANIFEST.in, line 2: unknown action 'frobnicate'")
            && err.contains("the line is skipped"),
        "{err}"
    );
}

#[test]
fn refuses_unsupported_setuptools_keys() {
    refused(
        |p| {
            edit(
                p,
                "packages = [\"tiny_dist\"]",
                "packages = [\"tiny_dist\"]\nscript-files = [\"bin/tiny\"]",
            )
        },
        &[
            "pyproject.toml:",
            "tool.setuptools.script-files is not supported",
        ],
    );
    // Flat-layout discovery refuses several top-level packages, as
    // setuptools does (one is built: see flat_layout_discovery_as_setuptools).
    refused(
        |p| {
            edit(
                p,
                "[tool.setuptools]\npackages = [\"tiny_dist\"]",
                "[tool.setuptools]",
            );
            std::fs::create_dir(p.join("other_pkg")).unwrap();
            std::fs::write(p.join("other_pkg/__init__.py"), "").unwrap();
        },
        &["flat-layout discovery finds several top-level packages (other_pkg, tiny_dist)"],
    );
    refused(
        |p| {
            std::fs::write(
                p.join("setup.py"),
                "import os\nfrom setuptools import setup\nsetup()\n",
            )
            .unwrap()
        },
        &["setup.py", "not supported"],
    );
    refused(
        |p| {
            edit(
                p,
                "requires = [\"setuptools>=77\"]",
                "requires = [\"setuptools>=77\", \"setuptools-scm>=8\"]",
            )
        },
        &[
            "build-system.requires lists \"setuptools-scm>=8\"",
            "a setuptools plugin: takes the version",
        ],
    );
}

/// Build requirements that change nothing (pip, wheel, a pinned setuptools)
/// are accepted; an unknown one is refused with the way to vouch for it, and
/// a vouched-for build says so.
#[test]
fn build_requirements_follow_the_policy_table() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    edit(
        &proj,
        "requires = [\"setuptools>=77\"]",
        "requires = [\"setuptools==80.9.0\", \"wheel\", \"pip>=23\"]",
    );
    run_ok(&mut dist(&proj, &tmp.path().join("out")));

    let line = refused(
        |p| {
            edit(
                p,
                "requires = [\"setuptools>=77\"]",
                "requires = [\"setuptools>=77\", \"hatch-fancy-thing\"]",
            )
        },
        &["does not know", "--allow-build-requires hatch-fancy-thing"],
    );
    assert!(!line.contains("plugin"), "{line}");
    refused(
        |p| {
            edit(
                p,
                "requires = [\"setuptools>=77\"]",
                "requires = [\"setuptools>=77\", \"cython >= \"]",
            )
        },
        &["not a PEP 508 requirement"],
    );

    edit(&proj, "\"pip>=23\"]", "\"pip>=23\", \"Hatch_Fancy.Thing\"]");
    let out = run_ok(
        dist(&proj, &tmp.path().join("out2"))
            .arg("--allow-build-requires")
            .arg("hatch-fancy-thing"),
    );
    assert!(
        stderr(&out).contains(
            "build requirement hatch-fancy-thing accepted because --allow-build-requires vouched for it"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn refuses_a_dynamic_version_attr_that_is_not_there() {
    let line = refused(
        |p| {
            edit(p, "version = \"1.0.0RC1\"", "dynamic = [\"version\"]");
            edit(
                p,
                "packages = [\"tiny_dist\"]",
                "packages = [\"tiny_dist\"]\n\n[tool.setuptools.dynamic]\nversion = { attr = \"tiny_dist.VERSION\" }",
            );
        },
        &[
            "dynamic version attr \"tiny_dist.VERSION\" not found",
            "tiny_dist/__init__.py has no module-level `VERSION",
        ],
    );
    // Where the attr is written: file:line:col.
    let at = line.split("pyproject.toml:").nth(1).unwrap_or_default();
    assert!(at.starts_with(|c: char| c.is_ascii_digit()), "{line}");
}

#[test]
fn refuses_a_symlink_that_leaves_the_project() {
    let line = refused(
        |p| {
            let outside = p.parent().unwrap().join("outside.py");
            std::fs::write(&outside, "SECRET = 1\n").unwrap();
            std::os::unix::fs::symlink(&outside, p.join("tiny_dist/escape.py")).unwrap();
        },
        &[
            "tiny_dist/escape.py is a symlink to",
            "outside.py, outside the project",
        ],
    );
    assert!(!line.contains("SECRET"));
}

#[test]
fn refuses_a_file_name_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    refused(
        |p| {
            let name = std::ffi::OsStr::from_bytes(b"bad\xff.py");
            std::fs::write(p.join("tiny_dist").join(name), "x = 1\n").unwrap();
        },
        &["not valid UTF-8"],
    );
}

/// Symlinks inside the project are followed; compiled Python, caches and VCS
/// files never ship, even where setuptools' globs would take them.
#[test]
fn caches_and_vcs_files_never_ship_and_inner_links_are_followed() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("datadir"), &proj, &[]);
    let assets = proj.join("datadir_demo/assets");
    std::fs::create_dir_all(assets.join("__pycache__")).unwrap();
    std::fs::write(assets.join("__pycache__/m.cpython-311.pyc"), b"\0").unwrap();
    std::fs::write(assets.join("stale.pyc"), b"\0").unwrap();
    std::fs::create_dir_all(assets.join(".git")).unwrap();
    std::fs::write(assets.join(".git/HEAD"), "ref").unwrap();
    std::os::unix::fs::symlink("deep/er/x.json", assets.join("linked.json")).unwrap();
    let out = tmp.path().join("out");
    run_ok(&mut dist(&proj, &out));
    let wheel = files(&read_zip(&only(&out, ".whl")));
    let sdist = files(&read_tar_gz(&only(&out, ".tar.gz")));
    for name in wheel.keys().chain(sdist.keys()) {
        assert!(
            !name.contains("__pycache__") && !name.ends_with(".pyc") && !name.contains(".git/"),
            "{name} shipped"
        );
    }
    assert_eq!(
        wheel["datadir_demo/assets/linked.json"].data,
        b"{\"deep\": \"yes\"}\n"
    );
}

#[test]
fn list_prints_the_plan_and_writes_nothing() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    let out_dir = tmp.path().join("out");
    let out = run_ok(dist(&proj, &out_dir).arg("--list"));
    let text = stdout(&out);
    for line in [
        "tiny_dist-1.0.0rc1-py3-none-any.whl",
        "0644        114 tiny_dist/__init__.py",
        "tiny_dist-1.0.0rc1.dist-info/METADATA",
        "tiny_dist-1.0.0rc1.dist-info/RECORD",
        "tiny_dist-1.0.0rc1.tar.gz",
        "0755          - tiny_dist-1.0.0rc1/",
        "tiny_dist-1.0.0rc1/PKG-INFO",
        "tiny_dist-1.0.0rc1/pyproject.toml",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(!out_dir.exists(), "--list created the output folder");
}

/// Building one archive alone gives the same bytes as building both, with
/// files large enough to share their compressed form and an incompressible
/// one stored as is.
#[test]
fn one_archive_alone_has_the_same_bytes_as_with_the_other() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("datadir"), &proj, &[]);
    let assets = proj.join("datadir_demo/assets");
    std::fs::write(assets.join("big.txt"), "compressible text\n".repeat(10_000)).unwrap();
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(assets.join("noise.bin"), &noise).unwrap();
    let build = |dir: &str, flag: Option<&str>| {
        let out = tmp.path().join(dir);
        let mut cmd = dist(&proj, &out);
        cmd.env("SOURCE_DATE_EPOCH", "1700000000");
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        run_ok(&mut cmd);
        out
    };
    let both = build("both", None);
    let wheel = build("wheel", Some("--wheel"));
    let sdist = build("sdist", Some("--sdist"));
    assert_eq!(
        sha256_file(&only(&both, ".whl")),
        sha256_file(&only(&wheel, ".whl"))
    );
    assert_eq!(
        sha256_file(&only(&both, ".tar.gz")),
        sha256_file(&only(&sdist, ".tar.gz"))
    );
    let members = files(&read_zip(&only(&both, ".whl")));
    assert_eq!(members["datadir_demo/assets/noise.bin"].data, noise);
    let tar = files(&read_tar_gz(&only(&both, ".tar.gz")));
    assert_eq!(
        tar["datadir_demo-0.1.0/datadir_demo/assets/noise.bin"].data,
        noise
    );
    assert_eq!(
        tar["datadir_demo-0.1.0/datadir_demo/assets/big.txt"].data,
        members["datadir_demo/assets/big.txt"].data
    );
}

#[test]
fn sdist_or_wheel_alone_and_out_inside_the_project() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    let out = proj.join("dist");
    run_ok(dist(&proj, &out).arg("--wheel"));
    assert_eq!(listing(&out), ["tiny_dist-1.0.0rc1-py3-none-any.whl"]);
    run_ok(
        dist(&proj, &out)
            .arg("--sdist")
            .env("SOURCE_DATE_EPOCH", "1700000000"),
    );
    let first = sha256_file(&only(&out, ".tar.gz"));
    // The output folder inside the project is never shipped, so a second
    // build (with the first artifacts in it) gives the same bytes.
    run_ok(
        dist(&proj, &out)
            .arg("--sdist")
            .env("SOURCE_DATE_EPOCH", "1700000000"),
    );
    assert_eq!(sha256_file(&only(&out, ".tar.gz")), first);
    let sdist = read_tar_gz(&only(&out, ".tar.gz"));
    assert!(sdist.iter().all(|m| !m.name.contains("/dist/")));
    assert!(
        listing(&out).iter().all(|n| !n.contains(".tmp")),
        "temp files left"
    );
}

/// `dist` builds python/ by default into dist/; here only --help is checked
/// for that, the build itself is covered by the conformance tests.
#[test]
fn help_explains_the_flags() {
    let out: Output = run_ok(xtask().args(["dist", "--help"]));
    for flag in ["--project", "--out", "--sdist", "--wheel", "--list"] {
        assert!(stdout(&out).contains(flag), "dist --help lacks {flag}");
    }
}

/// An output folder inside a package would drop that package's code from
/// both archives: refused in one line, nothing written.
#[test]
fn refuses_an_output_folder_inside_a_package() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    let before = listing(&proj);
    let inside = proj.join("tiny_dist");
    let result = output(&mut dist(&proj, &inside));
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is inside what is packaged"), "{err}");
    assert!(err.contains("would ship from it"), "{err}");
    assert_eq!(listing(&proj), before, "something was written");
}

/// setup.cfg and [tool.distutils] are judged by what they say, not by their
/// section names: tool sections and harmless options pass, an option that
/// changes the build is refused by name.
#[test]
fn command_options_are_judged_by_content() {
    let line = refused(
        |p| {
            std::fs::write(
                p.join("setup.cfg"),
                "[flake8]\nmax-line-length = 99\n\n[bdist_wheel]\npython_tag = py38\n",
            )
            .unwrap()
        },
        &["setup.cfg:5:", "[bdist_wheel] python_tag"],
    );
    assert!(!line.contains("flake8"), "{line}");
    // setup.cfg metadata beside [project]: what setuptools lets through and
    // this builder does not reproduce is refused with its place and key.
    refused(
        |p| {
            std::fs::write(
                p.join("setup.cfg"),
                "[metadata]\nname = other\ndownload_url = https://example.org/dl\n",
            )
            .unwrap()
        },
        &["setup.cfg:3:1:", "[metadata] download_url"],
    );
    refused(
        |p| {
            drop_pyproject_lines(p, "requires-python");
            std::fs::write(p.join("setup.cfg"), "[options]\npython_requires = >=3.8\n").unwrap();
        },
        &[
            "setup.cfg:2:1:",
            "[options] python_requires",
            "setuptools 84 fails",
        ],
    );
    refused(
        |p| {
            std::fs::write(
                p.join("setup.cfg"),
                "[options]\npackages = find:\npy_modules = extra\n",
            )
            .unwrap()
        },
        &["setup.cfg:3:1:", "[options] py_modules"],
    );
    // Without [project], setup.cfg is the metadata: out of scope, said so.
    refused(
        |p| {
            std::fs::write(
                p.join("pyproject.toml"),
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
            )
            .unwrap();
            std::fs::write(p.join("setup.cfg"), "[metadata]\nname = tiny-dist\n").unwrap();
        },
        &["no [project] table", "setup.cfg:2:1: [metadata] name"],
    );
    refused(
        |p| {
            std::fs::write(
                p.join("setup.cfg"),
                "[options]\nsetup_requires = setuptools_scm\n",
            )
            .unwrap()
        },
        &[
            "setup.cfg:2:1:",
            "[options] setup_requires",
            "a setuptools plugin",
        ],
    );
    refused(
        |p| {
            let path = p.join("pyproject.toml");
            let mut text = std::fs::read_to_string(&path).unwrap();
            text.push_str("\n[tool.distutils.egg_info]\ntag_build = \".dev\"\n");
            std::fs::write(path, text).unwrap();
        },
        &["pyproject.toml:", "[egg_info] tag_build = \".dev\""],
    );
    // Tool sections, empty command tables and harmless options pass.
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    std::fs::write(
        proj.join("setup.cfg"),
        "[metadata]\nname = tiny-old\nversion = 0.1\n\n[tool:pytest]\naddopts = -q\n\n[egg_info]\ntag_build =\ntag_date = 0\n\n[bdist_wheel]\npython_tag = py3\n",
    )
    .unwrap();
    let path = proj.join("pyproject.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[tool.distutils.bdist_wheel]\n");
    std::fs::write(path, text).unwrap();
    run_ok(&mut dist(&proj, &tmp.path().join("out")));
    assert!(only(&tmp.path().join("out"), ".whl").ends_with("tiny_dist-1.0.0rc1-py3-none-any.whl"));
}

/// A dynamic field is taken from `[tool.setuptools.dynamic]` by `file`, or
/// from setup.cfg; one nothing gives, or given by `attr`, is refused.
#[test]
fn dynamic_fields_need_a_source_we_reproduce() {
    let add_dynamic = |p: &Path, fields: &str, tool: &str| {
        let path = p.join("pyproject.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replacen(
            "[project]\n",
            &format!("[project]\ndynamic = [{fields}]\n"),
            1,
        );
        std::fs::write(path, format!("{text}\n[tool.setuptools.dynamic]\n{tool}")).unwrap();
    };
    refused(
        |p| add_dynamic(p, "\"keywords\"", ""),
        &[
            "project.dynamic lists \"keywords\"",
            "neither [tool.setuptools.dynamic] nor setup.cfg gives it",
        ],
    );
    refused(
        |p| {
            drop_pyproject_lines(p, "readme");
            add_dynamic(p, "\"readme\"", "readme = { attr = \"tiny_dist.DOC\" }\n");
        },
        &["tool.setuptools.dynamic.readme = {attr = ...} is not reproduced"],
    );
    refused(
        |p| add_dynamic(p, "\"license\"", ""),
        &["project.dynamic lists \"license\": only version"],
    );
}

/// A setup.py that only calls setup() is read (never run) and shipped; one
/// that does more, or names another project, is refused with its line.
#[test]
fn only_a_bare_setup_py_passes() {
    refused(
        |p| {
            std::fs::write(
                p.join("setup.py"),
                "from setuptools import setup\nsetup(packages=['tiny_dist'])\n",
            )
            .unwrap()
        },
        &["setup.py: line 2:", "only `name=\"...\"` is accepted"],
    );
    refused(
        |p| {
            std::fs::write(
                p.join("setup.py"),
                "from setuptools import setup\nsetup(name=\"other\")\n",
            )
            .unwrap()
        },
        &["setup(name=\"other\") names another project"],
    );
}

/// src-layout discovery also takes src/'s top-level modules, as
/// setuptools' ModuleFinder does (names that are identifiers only).
#[test]
fn src_layout_discovery_takes_top_level_modules() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("srcauto"), &proj, &[]);
    std::fs::write(proj.join("src/helper.py"), "NAME = 'ok'\n").unwrap();
    std::fs::write(proj.join("src/not-a-module.py"), "").unwrap();
    let out = run_ok(dist(&proj, &tmp.path().join("out")).args(["--list", "--wheel"]));
    let listing = stdout(&out);
    assert!(listing.contains(" helper.py\n"), "{listing}");
    assert!(listing.contains(" autopkg/nsinner/mod.py\n"), "{listing}");
    assert!(!listing.contains("not-a-module"), "{listing}");
}

/// Flat-layout discovery as setuptools' FlatLayoutPackageFinder: the one
/// top-level package, its subfolders as PEP 420 packages, and the reserved
/// names (docs, tests, tools, ...) left out.
#[test]
fn flat_layout_discovery_as_setuptools() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    edit(
        &proj,
        "[tool.setuptools]\npackages = [\"tiny_dist\"]",
        "[tool.setuptools]",
    );
    for dir in [
        "docs",
        "tests",
        "tools/x",
        "tiny_dist/inner",
        "not-a-package",
    ] {
        std::fs::create_dir_all(proj.join(dir)).unwrap();
        std::fs::write(proj.join(dir).join("m.py"), "").unwrap();
    }
    std::fs::write(proj.join("setup_helpers.py"), "").unwrap();
    let out = run_ok(dist(&proj, &tmp.path().join("out")).args(["--list", "--wheel"]));
    let listing = stdout(&out);
    assert!(listing.contains(" tiny_dist/inner/m.py\n"), "{listing}");
    for absent in [
        "docs/",
        "tests/",
        "tools/",
        "not-a-package",
        "setup_helpers",
    ] {
        assert!(!listing.contains(absent), "{absent} in\n{listing}");
    }
}

/// A version attr that is not a literal is read by executing its module,
/// as setuptools does (said on stderr); a module that fails says why.
#[test]
fn a_computed_version_attr_is_evaluated_as_setuptools_does() {
    let (tmp, proj) = computed_version_project();
    std::fs::write(
        proj.join("tiny_dist/version.py"),
        "INFO = (2, 5, 0, 'rc', 3)\nVERSION = '%d.%d.%d%s%d' % INFO\n",
    )
    .unwrap();
    let out = run_ok(&mut dist(&proj, &tmp.path().join("out")));
    assert!(
        stderr(&out)
            .contains("tiny_dist.version.VERSION is computed: executing tiny_dist/version.py"),
        "{}",
        stderr(&out)
    );
    assert!(only(&tmp.path().join("out"), ".whl").ends_with("tiny_dist-2.5.0rc3-py3-none-any.whl"));
    std::fs::write(
        proj.join("tiny_dist/version.py"),
        "import not_installed_anywhere\nVERSION = not_installed_anywhere.V\n",
    )
    .unwrap();
    let out = output(&mut dist(&proj, &tmp.path().join("out2")));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("executing the module as setuptools does failed")
            && err.contains("No module named 'not_installed_anywhere'"),
        "{err}"
    );
}

/// A line break in a value never adds a header line: the description is cut
/// at its first line (setuptools' `single_line`, said on stderr), and the
/// values setuptools refuses, or would write raw into a header, are refused
/// with their place in pyproject.toml.
#[test]
fn line_breaks_in_header_values_never_add_a_line() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    edit(
        &proj,
        "description = \"The smallest project the builder is tested on.\"",
        "description = \"hello\\nRequires-Dist: evil\\rX-Evil: 1\"",
    );
    let out_dir = tmp.path().join("out");
    let out = run_ok(&mut dist(&proj, &out_dir));
    assert!(
        stderr(&out).contains("project.description spans several lines; Summary keeps the first"),
        "{}",
        stderr(&out)
    );
    let wheel = files(&read_zip(&only(&out_dir, ".whl")));
    let metadata =
        String::from_utf8(wheel["tiny_dist-1.0.0rc1.dist-info/METADATA"].data.clone()).unwrap();
    let sdist = files(&read_tar_gz(&only(&out_dir, ".tar.gz")));
    let pkg_info = String::from_utf8(sdist["tiny_dist-1.0.0rc1/PKG-INFO"].data.clone()).unwrap();
    for text in [&metadata, &pkg_info] {
        let headers = text.split("\n\n").next().unwrap();
        assert!(headers.contains("\nSummary: hello\n"), "{text}");
        assert!(
            !headers.contains("evil") && !headers.contains('\r'),
            "{text}"
        );
    }

    let script = |key: &'static str, value: &'static str| {
        move |p: &Path| {
            edit(
                p,
                "tiny-hello = \"tiny_dist:main\"",
                &format!("{key} = {value}"),
            )
        }
    };
    let line = line_of("tiny-hello");
    refused(
        script("\"tool\\nevil\"", "\"tiny_dist:main\""),
        &[
            &format!("pyproject.toml:{line}:"),
            "invalid entry point name \"tool\\nevil\" in project.scripts",
        ],
    );
    refused(
        script("tool", "\"tiny_dist:main\\n[evil]\""),
        &["invalid entry point \"tiny_dist:main\\n[evil]\" in project.scripts"],
    );
    refused(
        script("tool", "\"tiny_dist:main\\u2028evil = x:y\""),
        &["invalid entry point", "in project.scripts"],
    );
    let add = |text: &'static str| {
        move |p: &Path| {
            edit(
                p,
                "requires-python = \">=3.9\"",
                &format!("requires-python = \">=3.9\"\n{text}"),
            )
        }
    };
    refused(
        add("authors = [{ name = \"Ann\\nRequires-Dist: evil\" }]"),
        &["the name in project.authors \"Ann\\nRequires-Dist: evil\" holds a line break"],
    );
    refused(
        add("maintainers = [{ name = \"M\\rX: y\", email = \"m@example.org\" }]"),
        &["the name in project.maintainers"],
    );
    refused(
        add("keywords = [\"a\\nX: y\"]"),
        &["an entry of project.keywords \"a\\nX: y\" holds a line break"],
    );
    refused(
        add("classifiers = [\"Private :: a\\rX: y\"]"),
        &["an entry of project.classifiers"],
    );
    refused(
        add("urls = { \"Home\\nX: y\" = \"https://example.org\" }"),
        &["the label of project.urls \"Home\\nX: y\""],
    );
    refused(
        add("urls = { Home = \"https://example.org\\nX: y\" }"),
        &["project.urls.Home \"https://example.org\\nX: y\" holds a line break"],
    );
    refused(
        |p| {
            drop_pyproject_lines(p, "readme = ");
            add("readme = { text = \"hi\", content-type = \"text/plain\\nX: y\" }")(p)
        },
        &["project.readme.content-type \"text/plain\\nX: y\" holds a line break"],
    );
    refused(
        |p| {
            std::fs::write(
                p.join("pyproject.toml"),
                std::fs::read_to_string(p.join("pyproject.toml")).unwrap()
                    + "\n[project.entry-points.\"grp\\n[evil]\"]\nx = \"tiny_dist:main\"\n",
            )
            .unwrap()
        },
        &["invalid entry point group \"grp\\n[evil]\" in project.entry-points"],
    );
}

/// A readme, license or version file that is a FIFO or a device is refused
/// unread, naming it (setuptools' `read_files` skips what is not a regular
/// file: an empty description, no License, an empty version); one too
/// large is refused before it is read. A dynamic `{file}` list skips such a
/// file with a warning, as setuptools does.
#[test]
fn special_and_huge_files_are_never_read() {
    let fifo = |p: &Path, name: &str| {
        let _ = std::fs::remove_file(p.join(name));
        run_ok(Command::new("mkfifo").arg(p.join(name)));
    };
    refused(
        |p| fifo(p, "README.txt"),
        &["README.txt is a FIFO, not a regular file, and is not read"],
    );
    refused(
        |p| {
            fifo(p, "LICENSE.txt");
            edit(
                p,
                "readme = \"README.txt\"",
                "readme = \"README.txt\"\nlicense = { file = \"LICENSE.txt\" }",
            );
        },
        &["LICENSE.txt is a FIFO"],
    );
    refused(
        |p| {
            fifo(p, "VERSION");
            edit(p, "version = \"1.0.0RC1\"", "dynamic = [\"version\"]");
            edit(
                p,
                "packages = [\"tiny_dist\"]",
                "packages = [\"tiny_dist\"]\n\n[tool.setuptools.dynamic]\nversion = { file = \"VERSION\" }",
            );
        },
        &["VERSION is a FIFO"],
    );
    refused(|p| fifo(p, "MANIFEST.in"), &["MANIFEST.in is a FIFO"]);
    refused(
        |p| {
            let f = std::fs::File::create(p.join("README.txt")).unwrap();
            f.set_len(33 << 20).unwrap();
        },
        &["README.txt holds more than 32 MiB"],
    );
    // A device node, where the system lets us make one.
    let tmp = tempdir();
    let made = Command::new("mknod")
        .arg(tmp.path().join("zero"))
        .args(["c", "1", "5"])
        .status()
        .is_ok_and(|s| s.success());
    if made {
        refused(
            |p| {
                std::fs::remove_file(p.join("README.txt")).unwrap();
                run_ok(
                    Command::new("mknod")
                        .arg(p.join("README.txt"))
                        .args(["c", "1", "5"]),
                );
            },
            &["README.txt is a device"],
        );
    }
    // Dynamic {file} lists skip it, as setuptools does.
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    fifo(&proj, "EXTRA.txt");
    edit(&proj, "readme = \"README.txt\"", "dynamic = [\"readme\"]");
    edit(
        &proj,
        "packages = [\"tiny_dist\"]",
        "packages = [\"tiny_dist\"]\n\n[tool.setuptools.dynamic]\nreadme = { file = [\"README.txt\", \"EXTRA.txt\"] }",
    );
    let out = output_within(&mut dist(&proj, &tmp.path().join("out")), 60);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "\"EXTRA.txt\" is a FIFO, not a regular file, and is skipped (as setuptools does)"
        ),
        "{}",
        stderr(&out)
    );
}

/// pyproject.toml with a UTF-8 byte order mark: tomllib refuses it, and so
/// setuptools; so do we (an sdist keeping the BOM could not be built).
#[test]
fn refuses_a_pyproject_with_a_byte_order_mark() {
    refused(
        |p| {
            let path = p.join("pyproject.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        },
        &[
            "pyproject.toml:1:1: invalid TOML: the file starts with a UTF-8 byte order mark",
            "without a BOM",
        ],
    );
}

/// A computed version comes back through a channel of its own: what the
/// module prints is not taken for it, a background child the module starts
/// (holding stdout and stderr) is not waited for, a module that runs too
/// long is stopped, and the module's error is quoted cut short.
#[test]
fn a_computed_version_is_read_apart_from_what_the_module_does() {
    let (tmp, proj) = computed_version_project();
    let module = |body: &str| {
        std::fs::write(proj.join("tiny_dist/version.py"), body).unwrap();
    };
    let mut n = 0;
    let mut run = |env: &[(&str, &str)]| {
        n += 1;
        let out_dir = tmp.path().join(format!("out{n}"));
        let mut cmd = dist(&proj, &out_dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = std::time::Instant::now();
        let out = output_within(&mut cmd, 40);
        (out, out_dir, started.elapsed())
    };

    module("print('2.0.0')\nprint('x' * 4_000_000)\nVERSION = '3.1.' + str(4)\n");
    let (out, out_dir, _) = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(only(&out_dir, ".whl").ends_with("tiny_dist-3.1.4-py3-none-any.whl"));

    module(
        "import subprocess\nsubprocess.Popen(['sleep', '300'])\nVERSION = '.'.join(['4', '0'])\n",
    );
    let (out, out_dir, took) = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(only(&out_dir, ".whl").ends_with("tiny_dist-4.0-py3-none-any.whl"));
    assert!(
        took.as_secs() < 20,
        "waited {took:?} for the module's child"
    );

    module("raise ValueError('no version here ' * 100_000)\nVERSION = str(1)\n");
    let (out, _, _) = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        err.lines().count() == 2 && err.len() < 1500,
        "{} bytes of error: {}",
        err.len(),
        &err[..err.len().min(2000)]
    );
    assert!(
        last.contains("failed: ValueError: no version here"),
        "{err}"
    );

    module("import time\ntime.sleep(100)\nVERSION = str(1.0)\n");
    let (out, _, took) = run(&[("XTASK_DIST_ATTR_TIMEOUT", "2")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("tiny_dist/version.py was still running after 2 s and was stopped"),
        "{}",
        stderr(&out)
    );
    assert!(took.as_secs() < 20, "{took:?}");

    module("import os\nVERSION = '1.' + '0'\nos._exit(0)\n");
    let (out, _, _) = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ended the interpreter (exit code 0) before VERSION could be read"),
        "{}",
        stderr(&out)
    );
}

/// The tiny fixture with its version read from `tiny_dist.version.VERSION`
/// (the module is the test's to write): the temporary folder and the project.
fn computed_version_project() -> (tempfile::TempDir, std::path::PathBuf) {
    venv_python();
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(&fixture_dir("tiny"), &proj, &[]);
    edit(&proj, "version = \"1.0.0RC1\"", "dynamic = [\"version\"]");
    edit(
        &proj,
        "packages = [\"tiny_dist\"]",
        "packages = [\"tiny_dist\"]\n\n[tool.setuptools.dynamic]\nversion = { attr = \"tiny_dist.version.VERSION\" }",
    );
    (tmp, proj)
}
