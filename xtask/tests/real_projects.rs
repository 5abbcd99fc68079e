//! The native builder on real projects from the package index: each sdist,
//! pinned by version and sha256, is downloaded with pip into a cache under
//! target/, unpacked, and built both ways with `cargo xtask dist --compare`,
//! which must find nothing but the deliberate differences.
//!
//! Chosen for variety: src and flat layouts (found by automatic discovery
//! or configured), namespace packages, MANIFEST.in graft/prune/
//! recursive-include, package data, attr and file versions, old and PEP 639
//! license styles, entry points, extras with markers, and two published
//! InvokeAI sdists. Projects refused by policy (setuptools-scm and other
//! plugins, extension modules, a setup.py that does more than call setup())
//! are listed in the README's builder section with the reason.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use support::*;

/// `name==version`, the sdist's file name and its sha256.
const PROJECTS: &[(&str, &str, &str)] = &[
    (
        "alembic==1.20.1",
        "alembic-1.20.1.tar.gz",
        "83490def1f723413db5096591f7609ac52544805be93849170088ed04f5a2e0b",
    ),
    (
        "autopep8==2.3.2",
        "autopep8-2.3.2.tar.gz",
        "89440a4f969197b69a995e4ce0661b031f455a9f776d2c5ba3dbd83466931758",
    ),
    (
        "compel==2.5.1",
        "compel-2.5.1.tar.gz",
        "72754a4efd71f093e97f905b73e4ba4df6616f8dc2231072a01f25b418501e1a",
    ),
    (
        "Flask-SocketIO==5.7.0",
        "flask_socketio-5.7.0.tar.gz",
        "aa01e50106962808dadc245407c3b6354295b1526e888bd154dc7ff4801a7c88",
    ),
    (
        "h2==4.4.1",
        "h2-4.4.1.tar.gz",
        "4e866ffb1a869ae14dd9b5e6beb5c24a13da0495ad72b65925ded182521c1516",
    ),
    (
        "hpack==4.2.0",
        "hpack-4.2.0.tar.gz",
        "0895cfa3b5531fc65fe439c05eb65144f123bf7a394fcaa56aa423548d8e45c0",
    ),
    (
        "hyperframe==6.1.0",
        "hyperframe-6.1.0.tar.gz",
        "f630908a00854a7adeabd6382b43923a4c4cd4b821fcb527e6ab9e15382a3b08",
    ),
    (
        "Markdown==3.11.3",
        "markdown-3.11.3.tar.gz",
        "81eb91631dc97ad1efbc76019ef0f80fe90ca49ddf81546752d79989c3bfff3e",
    ),
    (
        "Mako==1.4.3",
        "mako-1.4.3.tar.gz",
        "cd6537fe88d5fec315c55c2f8529bc4ce7a9a352ad7db3eeaa6a66e2dd4ec37a",
    ),
    (
        "networkx==3.6.1",
        "networkx-3.6.1.tar.gz",
        "26b7c357accc0c8cde558ad486283728b65b6a95d85ee1cd66bafab4c8168509",
    ),
    (
        "parse==1.22.4",
        "parse-1.22.4.tar.gz",
        "706d458feed5a81b02768d3156e8070baf6cee7d150a3a3c0cd43101a875c3b5",
    ),
    (
        "PyJWT==2.15.1",
        "pyjwt-2.15.1.tar.gz",
        "4f259e80cdfb6b3fc18a7de51fd1ef9ec79652f25019bae68975ca2468a34df8",
    ),
    (
        "pyperclip==1.11.0",
        "pyperclip-1.11.0.tar.gz",
        "244035963e4428530d9e3a6101a1ef97209c6825edab1567beac148ccc1db1b6",
    ),
    (
        "python-engineio==4.15.1",
        "python_engineio-4.15.1.tar.gz",
        "1a412e798a90c64fabe7b20798939ae6d4a03f34da8a33d5a21a25a8bbbc3612",
    ),
    (
        "python-json-logger==4.2.0",
        "python_json_logger-4.2.0.tar.gz",
        "e371ebe22ec01e289850102091a2b1f6fc9e655c7f1f5f29073936756c290afa",
    ),
    (
        "python-socketio==5.18.1",
        "python_socketio-5.18.1.tar.gz",
        "07ab0e7c94a52833a67af1dc05958ad6fb0de69adc87de9198a61b22588c40d4",
    ),
    (
        "Send2Trash==2.2.0",
        "send2trash-2.2.0.tar.gz",
        "e0ac412073f7984288908d9d8b8d13c82be69a615bb513d948fa2f053447970a",
    ),
    (
        "simple-websocket==1.1.0",
        "simple_websocket-1.1.0.tar.gz",
        "7939234e7aa067c534abdab3a9ed933ec9ce4691b0713c78acb195560aa52ae4",
    ),
    (
        "spandrel==0.4.2",
        "spandrel-0.4.2.tar.gz",
        "fefa4ea966c6a5b7721dcf24f3e2062a5a96a395c8bedcb570fb55971fdcbccb",
    ),
    (
        "trio==0.35.0",
        "trio-0.35.0.tar.gz",
        "7efb295c78a0ecd1235c5759e620b5da564ca80d2efcb0055423588547248b96",
    ),
    (
        "tzlocal==5.4.5",
        "tzlocal-5.4.5.tar.gz",
        "ba976898bad27945178c9ca25c222c19e322b30c10342b9f40b46714f70d2d5f",
    ),
    (
        "validators==0.36.0",
        "validators-0.36.0.tar.gz",
        "92ad9ed00bbed320b784cec0ea90b213cf08904cf605b3d0852cfa4108e32a2c",
    ),
    (
        "xmltodict==1.0.4",
        "xmltodict-1.0.4.tar.gz",
        "6d94c9f834dd9e44514162799d344d815a3a4faec913717a9ecbfa5be1bb8e61",
    ),
    (
        "InvokeAI==5.6.2",
        "invokeai-5.6.2.tar.gz",
        "d77160c065aacb2f97c50e33cc166dc16ca4130668a62e9a12a6480ed19c6112",
    ),
    (
        "InvokeAI==5.9.1",
        "invokeai-5.9.1.tar.gz",
        "aac61bff5c2982a170249ea81573a750a3e0f20a601b26c1a8d72476085a0b65",
    ),
];

fn sha256_of(path: &Path) -> String {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    format!("{:x}", hasher.finalize())
}

/// The sdist in the cache, downloaded with pip when missing or not the
/// pinned bytes.
fn sdist(cache: &Path, spec: &str, file: &str, sha256: &str) -> PathBuf {
    let path = cache.join(file);
    if path.is_file() && sha256_of(&path) == sha256 {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    run_ok(
        Command::new(venv_python())
            .args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .args(["--no-binary", ":all:", "--no-build-isolation", "--dest"])
            .arg(cache)
            .arg(spec),
    );
    let got = sha256_of(&path);
    assert_eq!(
        got, sha256,
        "{file} from the package index is not the pinned sdist"
    );
    path
}

fn unpack(archive: &Path, into: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(into);
    std::fs::create_dir_all(into).unwrap();
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    tar::Archive::new(gz).unpack(into).unwrap();
    let mut top: Vec<PathBuf> = std::fs::read_dir(into)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(top.len(), 1, "{} has one top folder", archive.display());
    top.pop().unwrap()
}

#[test]
fn real_projects_build_as_setuptools_builds_them() {
    venv_python();
    let base = repo_root().join("target/xtask/real-projects");
    let cache = base.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let mut failed = Vec::new();
    for (spec, file, sha256) in PROJECTS {
        let archive = sdist(&cache, spec, file, sha256);
        let project = unpack(&archive, &base.join("src").join(file));
        let out = output(
            xtask()
                .args(["dist", "--compare", "--project"])
                .arg(&project),
        );
        let text = stdout(&out);
        let ok = out.status.success() && !text.contains("DIFFERS");
        eprintln!("{spec}: {}", if ok { "the same" } else { "DIFFERS" });
        if !ok {
            failed.push(format!("{spec}:\n{text}{}", stderr(&out)));
        }
    }
    assert!(
        PROJECTS.len() >= 22,
        "at least 20 projects and two InvokeAI sdists"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
