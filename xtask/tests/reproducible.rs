//! `cargo xtask verify-reproducible`: two clones of HEAD in different paths,
//! built one after the other under different umask, TZ, locale and file
//! mtimes, give identical artifacts and identical SHA256SUMS files.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::*;

/// The clone folders the command reports keeping (`build N kept in DIR (log ...)`).
fn kept_clones(stderr: &str) -> Vec<PathBuf> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("verify-reproducible: build "))
        .filter_map(|l| l.split_once(" kept in "))
        .filter_map(|(_, rest)| rest.split_once(" (log ").map(|(dir, _)| PathBuf::from(dir)))
        .collect()
}

fn mode_and_mtime(path: &Path) -> (u32, std::time::SystemTime) {
    let meta = std::fs::metadata(path).unwrap();
    (meta.permissions().mode() & 0o777, meta.modified().unwrap())
}

#[test]
fn two_clones_built_differently_give_identical_sha256sums() {
    node_modules();
    // The clones go under a temporary folder of the test's own.
    let tmp = tempdir();
    let out = run_ok(
        xtask()
            .args(["verify-reproducible", "--keep"])
            .env("TMPDIR", tmp.path())
            .env("SOURCE_DATE_EPOCH", "1"),
    );
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert!(
        stdout.starts_with("reproducible: 4 artifacts identical (sha256 of SHA256SUMS "),
        "{stdout}\n{stderr}"
    );
    // The builds ignored SOURCE_DATE_EPOCH: both took the commit's time.
    assert!(stdout.contains("(commit time)"), "{stdout}");

    let clones = kept_clones(&stderr);
    assert_eq!(clones.len(), 2, "{stderr}");
    let (a, b) = (&clones[0], &clones[1]);
    for clone in &clones {
        assert!(clone.starts_with(tmp.path()), "{}", clone.display());
    }
    assert_ne!(
        a.components().count(),
        b.components().count(),
        "the clones' paths differ in depth"
    );
    assert_ne!(a.file_name(), b.file_name());

    // The two builds really ran differently: umask 022 vs 077 (modes of the
    // checked-out files), touched mtimes, TZ and locale.
    let file = "python/pyproject.toml";
    let (mode_a, mtime_a) = mode_and_mtime(&a.join(file));
    let (mode_b, mtime_b) = mode_and_mtime(&b.join(file));
    assert_eq!((mode_a, mode_b), (0o644, 0o600));
    assert_ne!(mtime_a, mtime_b);
    assert!(stderr.contains("TZ=UTC LC_ALL=C LANG=C"), "{stderr}");
    assert!(
        stderr.contains("TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 LANG=de_DE.UTF-8"),
        "{stderr}"
    );

    // Identical SHA256SUMS over the sdist, the wheel, the installer zip and the SBOM,
    // listed in the command's output as they are in the files.
    let sums_a = std::fs::read_to_string(a.join("dist/SHA256SUMS")).unwrap();
    let sums_b = std::fs::read_to_string(b.join("dist/SHA256SUMS")).unwrap();
    assert_eq!(sums_a, sums_b);
    let version = app_version();
    let names: Vec<&str> = sums_a
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        names,
        [
            format!("InvokeAI-installer-v{version}.zip"),
            format!("invokeai-{version}-py3-none-any.whl"),
            format!("invokeai-{version}-ui.cdx.json"),
            format!("invokeai-{version}.tar.gz"),
        ]
    );
    for line in sums_a.lines() {
        assert!(stdout.contains(&format!("  {line}\n")), "{line}\n{stdout}");
    }
    for name in names {
        assert_eq!(
            std::fs::read(a.join("dist").join(name)).unwrap(),
            std::fs::read(b.join("dist").join(name)).unwrap(),
            "{name}"
        );
    }
}
