//! `cargo xtask dist` against setuptools 84 (the reference): the app's
//! `python/` and every fixture under `fixtures/projects/` are built by both, in
//! copies in temp dirs, and compared:
//!
//! - the same wheel file list, identical bytes and modes for every file
//!   outside `.dist-info`, and for entry_points.txt, top_level.txt and the
//!   license files;
//! - METADATA equal field by field and in order (the one difference kept on
//!   purpose is listed in [`compare_metadata`]), PKG-INFO likewise;
//! - the same sdist file list, less setuptools' own build leftovers
//!   (listed in [`SETUPTOOLS_ONLY_IN_SDIST`]);
//!
//! and, on our artifacts only: `twine check --strict`, `check-wheel-contents`,
//! `pip wheel` on our sdists rebuilding the same file lists, and `pip install`
//! of our wheels into a fresh venv whose console scripts then run.

mod support;

#[path = "support/archives.rs"]
mod archives;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use archives::*;
use support::*;

/// A script a wheel installs: its name, arguments, and what it prints.
type Script = (&'static str, &'static [&'static str], &'static str);

/// Fixture projects under xtask/tests/fixtures/projects/, with the console and
/// GUI scripts their wheels install.
const FIXTURES: &[(&str, &[Script])] = &[
    ("tiny", &[("tiny-hello", &[], "tiny-dist 1.0.0rc1")]),
    (
        "srclayout",
        &[
            ("acme-widgets", &[], "acme-widgets ok"),
            ("acme-gui", &[], "acme-gui ok"),
        ],
    ),
    ("namespaced", &[("corp-alpha", &[], "corp-alpha ok")]),
    ("pkgdir", &[("alpha-tool", &[], "alpha-tool 1.2.0-dev3")]),
    (
        "datadir",
        &[("datadir-demo", &[], "datadir-demo {\"deep\": \"yes\"}")],
    ),
    ("manifest", &[("mdemo", &[], "mdemo data a")]),
    ("single-module", &[("solo", &[], "solo ok")]),
    ("oddities", &[("oddities", &[], "oddities ok")]),
    ("srcauto", &[("srcauto", &[], "srcauto ok")]),
    ("cfgmeta", &[("cfgmeta", &[], "cfgmeta ok")]),
    ("dynfiles", &[("dynfiles", &[], "dynfiles 1.4.0")]),
    ("cfgdynamic", &[("cfgdynamic", &[], "cfgdynamic ok")]),
    ("hostile", &[("hostile", &[], "hostile ok")]),
    (
        "python",
        &[("invokeai-web", &["--version"], "invokeai-web {app_version}")],
    ),
];

/// Files setuptools puts into every sdist that this builder leaves out, and
/// why: `<name>.egg-info/` is setuptools' own build cache (a rebuild
/// regenerates it), and `setup.cfg` only holds the `[egg_info]` tag settings
/// setuptools writes for itself.
const SETUPTOOLS_ONLY_IN_SDIST: &[&str] = &[".egg-info/", "/setup.cfg"];

fn fixture_dir(name: &str) -> PathBuf {
    repo_root().join("xtask/tests/fixtures/projects").join(name)
}

/// A copy of a project in `dest`. For `python`, the app's project without
/// caches, with a small fixed UI build in place of whatever is (or is not)
/// built in the checkout, so `dist/**` package data is exercised.
fn copy_project(name: &str, dest: &Path) {
    if name == "python" {
        copy_tree(
            &repo_root().join("python"),
            dest,
            &[
                "__pycache__",
                ".pytest_cache",
                ".mypy_cache",
                ".ruff_cache",
                "build",
                "dist",
                "InvokeAI.egg-info",
            ],
        );
        let ui = dest.join("invokeai/frontend/web/dist");
        let _ = std::fs::remove_dir_all(&ui);
        std::fs::create_dir_all(ui.join("assets/fonts")).unwrap();
        std::fs::write(
            ui.join("index.html"),
            "<!doctype html><title>InvokeAI</title><script src=\"/assets/app.js\"></script>\n",
        )
        .unwrap();
        std::fs::write(ui.join("assets/app.js"), "console.log('ui');\n").unwrap();
        std::fs::write(ui.join("assets/fonts/ui.woff2"), [0u8, 1, 2, 250, 251, 252]).unwrap();
        // The SBOM the UI build writes beside it (tool.xtask.dist.sbom-files).
        let sboms = dest.join("sboms");
        let _ = std::fs::remove_dir_all(&sboms);
        std::fs::create_dir_all(&sboms).unwrap();
        std::fs::write(
            sboms.join("invokeai-ui.cdx.json"),
            "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\"}\n",
        )
        .unwrap();
    } else {
        copy_tree(&fixture_dir(name), dest, &[]);
    }
}

/// Take the `.dist-info/sboms/` members out of `wheel` (a deliberate
/// difference: setuptools cannot ship PEP 770 SBOMs); returns their names.
fn only_ours_sboms<T>(wheel: &mut std::collections::BTreeMap<String, T>) -> Vec<String> {
    let names: Vec<String> = wheel
        .keys()
        .filter(|k| k.contains(".dist-info/sboms/"))
        .cloned()
        .collect();
    for n in &names {
        wheel.remove(n);
    }
    names
        .iter()
        .map(|n| n.rsplit('/').next().unwrap().to_owned())
        .collect()
}

/// Build with our builder; returns (wheel, sdist).
fn build_ours(project: &Path, out: &Path) -> (PathBuf, PathBuf) {
    run_ok(
        xtask()
            .arg("dist")
            .arg("--project")
            .arg(project)
            .arg("--out")
            .arg(out),
    );
    (only(out, ".whl"), only(out, ".tar.gz"))
}

/// Build with setuptools (`python -m build`, sdist then wheel from it).
fn build_setuptools(project: &Path, out: &Path) -> (PathBuf, PathBuf) {
    run_ok(
        Command::new(venv_python())
            .args(["-m", "build", "--no-isolation", "--outdir"])
            .arg(out)
            .arg(project)
            .current_dir(project),
    );
    (only(out, ".whl"), only(out, ".tar.gz"))
}

/// Split core metadata into its header fields (in order; continuation lines
/// joined) and its body.
fn parse_metadata(text: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let last = fields.last_mut().expect("continuation without a field");
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (k, v) = line.split_once(": ").unwrap_or((line, ""));
            fields.push((k.to_owned(), v.to_owned()));
        }
    }
    (fields, body.to_owned())
}

/// METADATA (or PKG-INFO) equal to setuptools', field by field, then byte
/// for byte.
///
/// The one difference kept on purpose: `Metadata-Version`. setuptools 84
/// always writes 2.4; this builder writes 2.4 when PEP 639 fields
/// (License-Expression, License-File) are present, and otherwise the lowest
/// version that holds the fields it writes (2.1 for a description body,
/// Description-Content-Type or Provides-Extra, 1.2 for Requires-Dist,
/// Requires-Python, Project-URL or Maintainer, ...).
fn compare_metadata(what: &str, ours: &str, theirs: &str) {
    let (mut of, ob) = parse_metadata(ours);
    let (tf, tb) = parse_metadata(theirs);
    assert_eq!(
        tf[0],
        ("Metadata-Version".into(), "2.4".into()),
        "{what}: setuptools' version"
    );
    assert_eq!(of[0].0, "Metadata-Version", "{what}");
    let pep639 = of
        .iter()
        .any(|(k, _)| k == "License-Expression" || k == "License-File");
    let ours_version = of[0].1.clone();
    if pep639 {
        assert_eq!(ours_version, "2.4", "{what}: PEP 639 fields need 2.4");
    } else {
        assert!(
            ["1.0", "1.1", "1.2", "2.1", "2.2"].contains(&ours_version.as_str()),
            "{what}: unexpected Metadata-Version {ours_version}"
        );
    }
    of[0].1 = "2.4".into();
    for (i, (o, t)) in of.iter().zip(&tf).enumerate() {
        assert_eq!(o, t, "{what}: field {i} differs");
    }
    assert_eq!(
        of.len(),
        tf.len(),
        "{what}: field count\nours: {of:#?}\ntheirs: {tf:#?}"
    );
    assert_eq!(ob, tb, "{what}: description body");
    let ours_as_24 = ours.replacen(
        &format!("Metadata-Version: {ours_version}\n"),
        "Metadata-Version: 2.4\n",
        1,
    );
    assert_eq!(ours_as_24, theirs, "{what}: bytes (Metadata-Version aside)");
}

fn text(m: &Member) -> String {
    String::from_utf8(m.data.clone()).expect("UTF-8 text")
}

fn dist_info_prefix(files: &BTreeMap<String, Member>) -> String {
    files
        .keys()
        .find_map(|k| {
            k.split_once(".dist-info/")
                .map(|(p, _)| format!("{p}.dist-info/"))
        })
        .expect("a .dist-info folder")
}

/// Run the independent RECORD check (Python's zipfile, csv and hashlib,
/// `fixtures/record/check_record.py`) on `wheels`: its output and whether
/// every line of every RECORD held.
fn record_check(wheels: &[&Path]) -> (bool, String) {
    let out = output(
        Command::new(venv_python())
            .arg(repo_root().join("xtask/tests/fixtures/record/check_record.py"))
            .args(wheels),
    );
    (
        out.status.success(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

fn conformance(name: &str) {
    let tmp = tempdir();
    let ours_src = tmp.path().join("ours");
    let ref_src = tmp.path().join("ref");
    copy_project(name, &ours_src);
    copy_project(name, &ref_src);
    let (our_whl, our_sdist) = build_ours(&ours_src, &tmp.path().join("out-ours"));
    let (ref_whl, ref_sdist) = build_setuptools(&ref_src, &tmp.path().join("out-ref"));
    assert_eq!(
        our_whl.file_name(),
        ref_whl.file_name(),
        "{name}: wheel file name"
    );
    assert_eq!(
        our_sdist.file_name(),
        ref_sdist.file_name(),
        "{name}: sdist file name"
    );

    // Every RECORD line recomputed from the bytes, by a reader we did not write.
    let (ok, report) = record_check(&[&our_whl, &ref_whl]);
    assert!(ok, "{name}: RECORD does not match the members:\n{report}");

    // Wheel: file list, bytes and modes.
    let mut ours = files(&read_zip(&our_whl));
    let theirs = files(&read_zip(&ref_whl));
    let sboms = only_ours_sboms(&mut ours);
    assert_eq!(
        sboms,
        if name == "python" {
            vec!["invokeai-ui.cdx.json".to_owned()]
        } else {
            vec![]
        },
        "{name}: the SBOMs of tool.xtask.dist.sbom-files"
    );
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{name}: wheel file lists differ"
    );
    let info = dist_info_prefix(&ours);
    for (path, o) in &ours {
        let t = &theirs[path];
        let inside = path.strip_prefix(&info);
        match inside {
            None => {
                assert!(o.data == t.data, "{name}: {path} bytes differ");
                assert_eq!(o.mode, t.mode, "{name}: {path} mode differs");
            }
            Some("METADATA") => compare_metadata(&format!("{name} METADATA"), &text(o), &text(t)),
            Some("WHEEL") => {
                let strip = |s: String| -> String {
                    s.lines()
                        .filter(|l| !l.starts_with("Generator: "))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                assert!(
                    text(o).contains("Generator: xtask ("),
                    "{name}: WHEEL generator"
                );
                assert_eq!(strip(text(o)), strip(text(t)), "{name}: WHEEL");
            }
            Some("RECORD") => {
                let paths = |s: String| -> Vec<String> {
                    let mut v: Vec<String> = s
                        .lines()
                        .map(|l| l.rsplitn(3, ',').last().unwrap_or_default().to_owned())
                        .filter(|p| !p.contains(".dist-info/sboms/"))
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(paths(text(o)), paths(text(t)), "{name}: RECORD paths");
                assert!(
                    text(o).ends_with(&format!("{info}RECORD,,\n")),
                    "{name}: RECORD last row"
                );
            }
            Some(_) => assert!(o.data == t.data, "{name}: {path} differs"),
        }
    }

    // sdist: file list (setuptools' own leftovers aside), bytes, PKG-INFO.
    let ours = files(&read_tar_gz(&our_sdist));
    // A project's own setup.cfg ships in both; setuptools only adds one when
    // there is none (and rewrites an existing one through configparser,
    // dropping its comments: the one sdist file whose bytes may differ).
    let own_setup_cfg = ours_src.join("setup.cfg").is_file();
    let theirs: BTreeMap<String, Member> = files(&read_tar_gz(&ref_sdist))
        .into_iter()
        .filter(|(k, _)| {
            !SETUPTOOLS_ONLY_IN_SDIST
                .iter()
                .any(|s| k.contains(s) && !(own_setup_cfg && *s == "/setup.cfg"))
        })
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{name}: sdist file lists differ"
    );
    for (path, o) in &ours {
        if path.ends_with("/PKG-INFO") && path.matches('/').count() == 1 {
            compare_metadata(&format!("{name} PKG-INFO"), &text(o), &text(&theirs[path]));
        } else if own_setup_cfg && path.ends_with("/setup.cfg") && path.matches('/').count() == 1 {
            continue;
        } else {
            assert!(o.data == theirs[path].data, "{name}: sdist {path} differs");
            assert_eq!(o.mode, theirs[path].mode, "{name}: sdist {path} mode");
        }
    }
}

#[test]
fn conformance_python_app() {
    conformance("python");
}

#[test]
fn conformance_tiny() {
    conformance("tiny");
}

#[test]
fn conformance_src_layout_find_include_exclude() {
    conformance("srclayout");
}

#[test]
fn conformance_namespace_packages_and_version_file() {
    conformance("namespaced");
}

#[test]
fn conformance_package_dir_and_version_attr() {
    conformance("pkgdir");
}

#[test]
fn conformance_package_data_globs() {
    conformance("datadir");
}

/// Every MANIFEST.in directive, and malformed lines (a directive without
/// its pattern), which setuptools skips with a warning.
#[test]
fn conformance_manifest_in_directives() {
    conformance("manifest");
}

/// Line breaks in the description, license and readme, a MANIFEST.in
/// `exclude` beside a nested file of the same name, a package folder with
/// no shipped file.
#[test]
fn conformance_hostile_values_and_nested_excludes() {
    conformance("hostile");
}

#[test]
fn conformance_single_module() {
    conformance("single-module");
}

/// Shapes seen on real projects that setuptools builds without a word: pip
/// among the build requirements, a `license = {file = ...}` naming a file
/// that is not there (no License field), dot files under
/// `recursive-include DIR *` (shipped in the sdist), MANIFEST.in paths with
/// a trailing `/` or a leading `./`, `platforms` and `zip-safe`, a dynamic
/// readme that project.dynamic does not list (ignored), and a setup.cfg of
/// tool sections plus `[bdist_wheel] universal = 1` (a py2.py3 wheel),
/// `[tool.distutils.egg_info] tag-svn-revision`, which setuptools keeps
/// and ignores.
#[test]
fn conformance_oddities() {
    conformance("oddities");
}

/// No packages setting and a src/ folder: setuptools' src-layout discovery
/// (PEP 420 packages, data folders as packages, top-level modules).
#[test]
fn conformance_src_layout_automatic_discovery() {
    conformance("srcauto");
}

/// A setup.cfg `[metadata]` and `[options]` beside `[project]`, as real
/// projects ship them (pycparser's `license_file`, old releases' metadata
/// left in place): what pyproject.toml overwrites or resets changes nothing,
/// what setuptools lets through (the author's name beside an address-only
/// project.authors, the maintainer's address, `url`, `platform`,
/// `license_file`, `zip_safe`, `include_package_data = False`, a `file:`
/// long_description shipped in the sdist) is reproduced.
#[test]
fn conformance_setup_cfg_beside_project() {
    conformance("cfgmeta");
}

/// The readme, dependencies and extras read from files by
/// `[tool.setuptools.dynamic]` (slack_sdk's shape), a missing file among
/// them skipped.
#[test]
fn conformance_dynamic_fields_from_files() {
    conformance("dynfiles");
}

/// Fields listed in project.dynamic that `[tool.setuptools.dynamic]` does
/// not give, taken from setup.cfg as setuptools takes them (slack_bolt's
/// authors, and every other field setup.cfg can fill).
#[test]
fn conformance_dynamic_fields_from_setup_cfg() {
    conformance("cfgdynamic");
}

/// `dist --compare` does the comparison above in one command: the same on a
/// project where only deliberate differences remain (exit 0), with the
/// differences named.
#[test]
fn dist_compare_names_only_deliberate_differences() {
    venv_python();
    for name in ["oddities", "srcauto"] {
        let tmp = tempdir();
        let project = tmp.path().join(name);
        copy_project(name, &project);
        let out = run_ok(
            xtask()
                .args(["dist", "--compare", "--project"])
                .arg(&project),
        );
        let text = stdout(&out);
        for expected in [
            "same        METADATA: byte for byte",
            "same        wheel file list:",
            "same        sdist file list:",
            "deliberate  WHEEL Generator",
            "dist --compare: the same, but for the deliberate differences named above",
        ] {
            assert!(
                text.contains(expected),
                "{name}: no {expected:?} in\n{text}"
            );
        }
        assert!(!text.contains("DIFFERS"), "{name}:\n{text}");
    }
}

/// The fixtures together cover every supported pyproject key; this guards
/// against a fixture losing one unnoticed.
#[test]
fn fixtures_cover_every_supported_key() {
    let mut all = String::new();
    for (name, _) in FIXTURES.iter().filter(|(n, _)| *n != "python") {
        all.push_str(&std::fs::read_to_string(fixture_dir(name).join("pyproject.toml")).unwrap());
    }
    all.push_str(&std::fs::read_to_string(repo_root().join("python/pyproject.toml")).unwrap());
    for needle in [
        "[tool.setuptools.packages.find]",
        "include = [",
        "exclude = [",
        "namespaces = false",
        "package-dir",
        "packages = [",
        "py-modules",
        "[tool.setuptools.package-data]",
        "\"*\" = [",
        "/**\"",
        "[tool.setuptools.exclude-package-data]",
        "include-package-data = false",
        "zip-safe",
        "attr = ",
        "file = \"VERSION\"",
        "readme = \"README.md\"",
        "readme = \"README.rst\"",
        "readme = \"README.txt\"",
        "content-type",
        "license = { text",
        "license = { file",
        "license = \"",
        "license-files",
        "authors",
        "maintainers",
        "keywords",
        "classifiers",
        "[project.urls]",
        "requires-python",
        "dependencies = [",
        "[project.optional-dependencies]",
        "python_version",
        "[project.scripts]",
        "[project.gui-scripts]",
        "[project.entry-points.",
    ] {
        assert!(all.contains(needle), "no fixture uses {needle}");
    }
    let manifest = std::fs::read_to_string(fixture_dir("manifest").join("MANIFEST.in")).unwrap();
    for directive in [
        "include ",
        "exclude ",
        "recursive-include ",
        "recursive-exclude ",
        "global-include ",
        "global-exclude ",
        "graft ",
        "prune ",
    ] {
        assert!(
            manifest.lines().any(|l| l.starts_with(directive)),
            "MANIFEST.in lacks {directive}"
        );
    }
}

/// Our artifacts pass `twine check --strict` and `check-wheel-contents`; our
/// sdists rebuild with `pip wheel` into the same file lists; our wheels
/// install with pip into a fresh venv and their scripts run.
#[test]
fn python_tools_accept_our_artifacts() {
    let python = venv_python();
    let bin = python.parent().unwrap().to_path_buf();
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let mut wheels = Vec::new();
    let mut sdists = Vec::new();
    for (name, _) in FIXTURES {
        let src = tmp.path().join("src").join(name);
        copy_project(name, &src);
        let (w, s) = build_ours(&src, &out.join(name));
        wheels.push(w);
        sdists.push(s);
    }

    run_ok(
        Command::new(bin.join("twine"))
            .args(["check", "--strict"])
            .args(&wheels)
            .args(&sdists),
    );
    run_ok(Command::new(bin.join("check-wheel-contents")).args(&wheels));

    // One pip run rebuilds every sdist.
    let rebuilt = tmp.path().join("rebuilt");
    run_ok(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-build-isolation",
                "--no-deps",
                "--no-index",
                "--disable-pip-version-check",
                "--wheel-dir",
            ])
            .arg(&rebuilt)
            .args(&sdists)
            .env("PIP_NO_CACHE_DIR", "1"),
    );
    for ours in &wheels {
        let again = rebuilt.join(ours.file_name().unwrap());
        assert!(
            again.is_file(),
            "pip wheel did not produce {}",
            again.display()
        );
        let names = |p: &Path| {
            let mut all = files(&read_zip(p));
            only_ours_sboms(&mut all);
            all.into_keys().collect::<Vec<_>>()
        };
        assert_eq!(
            names(ours),
            names(&again),
            "{}: rebuilt from our sdist",
            again.display()
        );
    }

    // One pip run installs every wheel into a fresh venv (without pip of its
    // own: the dev venv's pip installs into it).
    let venv = tmp.path().join("venv");
    run_ok(
        Command::new(&python)
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv),
    );
    run_ok(
        Command::new(&python)
            .args(["-m", "pip", "--python"])
            .arg(venv.join("bin/python"))
            .args([
                "install",
                "--quiet",
                "--no-deps",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .args(&wheels),
    );
    for (_, scripts) in FIXTURES {
        for (script, args, expected) in *scripts {
            let path = venv.join("bin").join(script);
            assert!(path.is_file(), "{script} was not installed");
            let out = run_ok(Command::new(&path).args(*args).current_dir(tmp.path()));
            let expected = expected.replace("{app_version}", &app_version());
            assert_eq!(stdout(&out).trim(), expected, "{script} printed");
        }
    }
}

/// The RECORD check catches a generated member whose bytes no longer match
/// its RECORD line (the wheel rewritten by Python's zipfile, RECORD kept),
/// which twine, check-wheel-contents and pip all accept.
#[test]
fn record_check_catches_a_wrong_hash_of_a_generated_member() {
    let tmp = tempdir();
    let src = tmp.path().join("tiny");
    copy_project("tiny", &src);
    let (wheel, _) = build_ours(&src, &tmp.path().join("out"));
    let (ok, report) = record_check(&[&wheel]);
    assert!(ok && report.contains(": ok "), "{report}");
    let bad = tmp.path().join("bad").join(wheel.file_name().unwrap());
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    run_ok(
        Command::new(venv_python())
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 src, dst = sys.argv[1:3]\n\
                 with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, 'w') as b:\n\
                 \x20   for i in a.infolist():\n\
                 \x20       data = a.read(i)\n\
                 \x20       if i.filename.endswith('.dist-info/METADATA'):\n\
                 \x20           data = data.replace(b'Version: 1.0.0rc1', b'Version: 1.0.0rc2')\n\
                 \x20       b.writestr(i, data)\n",
            )
            .arg(&wheel)
            .arg(&bad),
    );
    let (ok, report) = record_check(&[&bad]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("tiny_dist-1.0.0rc1.dist-info/METADATA: RECORD says sha256="),
        "{report}"
    );
}
