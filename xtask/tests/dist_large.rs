//! `cargo xtask dist` on large package data: files above the streaming
//! threshold (16 MiB) go into both archives without being held whole, and
//! read back intact through the zip and tar crates, with RECORD right.

mod support;

#[path = "support/archives.rs"]
mod archives;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use archives::*;
use support::*;

fn dist(project: &Path, out: &Path) -> Command {
    let mut cmd = xtask();
    cmd.arg("dist")
        .arg("--project")
        .arg(project)
        .arg("--out")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

/// Write `size` bytes to `path` in 1 MiB blocks: pseudo-random in the
/// first `random` bytes, zeros after. Returns the sha256.
fn generate(path: &Path, size: usize, random: usize, seed: u64) -> [u8; 32] {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hasher = Sha256::new();
    let mut x = seed;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < size {
        let n = block.len().min(size - written);
        for (i, word) in block[..n].chunks_mut(8).enumerate() {
            if written + i * 8 < random {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
            } else {
                word.fill(0);
            }
        }
        file.write_all(&block[..n]).unwrap();
        hasher.update(&block[..n]);
        written += n;
    }
    file.flush().unwrap();
    hasher.finalize().into()
}

fn record_hash(digest: &[u8]) -> String {
    use base64::Engine;
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

#[test]
fn large_package_data_is_streamed_into_both_archives() {
    let tmp = tempdir();
    let proj = tmp.path().join("proj");
    copy_tree(
        &repo_root().join("xtask/tests/fixtures/projects/datadir"),
        &proj,
        &[],
    );
    let assets = proj.join("datadir_demo/assets");
    // Half random, half zeros: compressed. All random: stored.
    let model_size = 40 << 20;
    let model = generate(&assets.join("model.bin"), model_size, model_size / 2, 7);
    let noise_size = (20 << 20) + 12_345;
    let noise = generate(&assets.join("noise.bin"), noise_size, noise_size, 11);

    let both = tmp.path().join("both");
    run_ok(&mut dist(&proj, &both));
    let names: Vec<String> = listing(&both);
    assert_eq!(
        names,
        [
            "datadir_demo-0.1.0-py3-none-any.whl",
            "datadir_demo-0.1.0.tar.gz"
        ],
        "no temporary file is left beside the archives"
    );
    let wheel_path = only(&both, ".whl");
    let sdist_path = only(&both, ".tar.gz");
    let wheel = files(&read_zip(&wheel_path));
    let sdist = files(&read_tar_gz(&sdist_path));
    let record =
        String::from_utf8(wheel["datadir_demo-0.1.0.dist-info/RECORD"].data.clone()).unwrap();
    for (name, digest, size) in [
        ("model.bin", model, model_size),
        ("noise.bin", noise, noise_size),
    ] {
        let in_wheel = &wheel[&format!("datadir_demo/assets/{name}")];
        let in_sdist = &sdist[&format!("datadir_demo-0.1.0/datadir_demo/assets/{name}")];
        for member in [in_wheel, in_sdist] {
            assert_eq!(member.data.len(), size, "{name}");
            assert_eq!(
                <[u8; 32]>::from(Sha256::digest(&member.data)),
                digest,
                "{name}"
            );
            assert_eq!(member.mode, 0o644);
        }
        let row = format!(
            "datadir_demo/assets/{name},{},{size}\n",
            record_hash(&digest)
        );
        assert!(record.contains(&row), "{row:?} not in RECORD:\n{record}");
    }
    // The small files are still there, and the compressible file compressed.
    assert!(wheel.contains_key("datadir_demo/assets/logo.png"));
    let archive_size = |p: &Path| std::fs::metadata(p).unwrap().len() as usize;
    assert!(archive_size(&wheel_path) < model_size / 2 + noise_size + (1 << 20));
    assert!(archive_size(&sdist_path) < model_size / 2 + noise_size + (1 << 20));

    // Each archive alone has the same bytes: nothing depends on the other
    // or on the run.
    let wheel_only = tmp.path().join("wheel");
    run_ok(dist(&proj, &wheel_only).arg("--wheel"));
    let sdist_only = tmp.path().join("sdist");
    run_ok(dist(&proj, &sdist_only).arg("--sdist"));
    assert_eq!(
        sha256_file(&wheel_path),
        sha256_file(&only(&wheel_only, ".whl"))
    );
    assert_eq!(
        sha256_file(&sdist_path),
        sha256_file(&only(&sdist_only, ".tar.gz"))
    );
    assert_eq!(listing(&wheel_only).len(), 1);
    assert_eq!(listing(&sdist_only).len(), 1);

    // --list reads sizes without writing anything.
    let listed = tmp.path().join("listed");
    let out = run_ok(dist(&proj, &listed).arg("--list"));
    let text = stdout(&out);
    let line = format!("0644 {noise_size:>10} datadir_demo/assets/noise.bin");
    assert!(text.contains(&line), "{line:?} missing from:\n{text}");
    assert!(!listed.exists());
}
