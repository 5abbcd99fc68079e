//! The SBOM of the npm packages bundled into the UI: `cargo xtask frontend
//! build` writes it from the bundler's module graph and the lockfile; it
//! validates against the CycloneDX 1.6 JSON schema (cyclonedx-python-lib,
//! pinned in the dev tools); a dependency added to the UI appears in it,
//! and one that is installed but not imported does not.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::*;

/// Validate `sbom` with the pinned CycloneDX library's strict JSON validator:
/// `None` when valid, else the validator's complaint.
fn schema_errors(sbom: &Path) -> Option<String> {
    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1], encoding="utf-8").read())
print("valid" if errors is None else f"invalid: {errors!r}")
"#;
    let out = run_ok(Command::new(venv_python()).args(["-c", script]).arg(sbom));
    let said = stdout(&out);
    match said.trim() {
        "valid" => None,
        other => Some(other.to_owned()),
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `name@version` of every library component.
fn libraries(sbom: &Value) -> Vec<String> {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_uis_sbom_validates_against_the_cyclonedx_schema_and_a_broken_one_does_not() {
    node_modules();
    run_ok(xtask().args(["frontend", "build"]));
    let sbom = repo_root().join("python/sboms/invokeai-ui.cdx.json");
    assert_eq!(schema_errors(&sbom), None);
    let doc = read_json(&sbom);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    // Vite injects its module-preload polyfill into the bundle: its code ships.
    let libs = libraries(&doc);
    assert!(libs.iter().any(|l| l.starts_with("vite@")), "{libs:?}");
    // Only what is bundled: no test runner, linter or compiler.
    for tool in ["vitest@", "eslint@", "typescript@", "prettier@"] {
        assert!(!libs.iter().any(|l| l.starts_with(tool)), "{libs:?}");
    }
    // The validator is not a rubber stamp.
    let tmp = tempdir();
    let mut broken = doc.clone();
    broken["components"][0]["type"] = Value::String("gadget".into());
    let broken_path = tmp.path().join("broken.cdx.json");
    std::fs::write(&broken_path, serde_json::to_string(&broken).unwrap()).unwrap();
    let said = schema_errors(&broken_path).expect("an unknown component type is invalid");
    assert!(said.starts_with("invalid"), "{said}");
}

/// A package folder `name` at `dir` with an entry module.
fn write_package(dir: &Path, name: &str, version: &str, code: &str) -> PathBuf {
    let pkg = dir.join(name);
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        format!(
            r#"{{"name": "{name}", "version": "{version}", "license": "MIT", "type": "module", "main": "index.js"}}"#
        ),
    )
    .unwrap();
    std::fs::write(pkg.join("index.js"), code).unwrap();
    pkg
}

fn npm(dir: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir).args(["--no-audit", "--no-fund"]);
    cmd
}

#[test]
fn an_npm_dependency_added_to_the_ui_appears_in_its_sbom_and_an_unused_one_does_not() {
    node_modules();
    let tmp = tempdir();
    let root = tmp.path().join("checkout");
    // A checkout of the project as far as the UI build needs one.
    copy_tree(
        &repo_root().join("frontend"),
        &root.join("frontend"),
        &["node_modules", "dist", "coverage", ".vite"],
    );
    std::fs::create_dir_all(root.join("python/invokeai/frontend/web")).unwrap();
    std::fs::create_dir_all(root.join("xtask")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "").unwrap();
    std::fs::write(root.join("xtask/Cargo.toml"), "").unwrap();

    // Two packages as the registry would serve them: tarballs with an integrity hash.
    let sources = tmp.path().join("sources");
    let vendor = root.join("frontend/vendor");
    std::fs::create_dir_all(&vendor).unwrap();
    for pkg in [
        write_package(
            &sources,
            "sbom-probe-widget",
            "1.2.3",
            "export function widget() { return 'sbom-probe-widget:' + Math.random(); }\n",
        ),
        write_package(
            &sources,
            "sbom-probe-unused",
            "0.1.0",
            "export const unused = 'never imported';\n",
        ),
    ] {
        run_ok(
            npm(&sources)
                .args(["pack", "--pack-destination"])
                .arg(&vendor)
                .arg(&pkg),
        );
    }
    run_ok(npm(&root.join("frontend")).args([
        "install",
        "--package-lock-only",
        "--prefer-offline",
        "./vendor/sbom-probe-widget-1.2.3.tgz",
        "./vendor/sbom-probe-unused-0.1.0.tgz",
    ]));
    let main = root.join("frontend/src/main.ts");
    let code = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("import {{ widget }} from 'sbom-probe-widget';\n{code}console.info(widget());\n"),
    )
    .unwrap();

    // The build installs the changed lockfile (npm ci), then builds and writes the SBOM.
    let out = run_ok(
        xtask()
            .args(["frontend", "build"])
            .current_dir(&root)
            .env_remove("CARGO_MANIFEST_DIR"),
    );
    assert!(
        stderr(&out).contains("sbom-probe-widget@1.2.3"),
        "{}",
        stderr(&out)
    );
    let sbom_path = root.join("python/sboms/invokeai-ui.cdx.json");
    assert_eq!(schema_errors(&sbom_path), None);
    let sbom = read_json(&sbom_path);
    let libs = libraries(&sbom);
    assert!(
        libs.contains(&"sbom-probe-widget@1.2.3".to_owned()),
        "{libs:?}"
    );
    assert!(
        !libs.iter().any(|l| l.starts_with("sbom-probe-unused@")),
        "installed but not imported: {libs:?}"
    );
    let widget = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sbom-probe-widget")
        .unwrap();
    assert_eq!(widget["purl"], "pkg:npm/sbom-probe-widget@1.2.3");
    assert_eq!(widget["licenses"][0]["expression"], "MIT");
    assert_eq!(widget["hashes"][0]["alg"], "SHA-512");
    // The file it is said to be in is a file of the build, and holds its code.
    let file = widget["properties"][0]["value"].as_str().unwrap();
    assert!(file.ends_with(".js"), "{file}");
    let built =
        std::fs::read_to_string(root.join("python/invokeai/frontend/web/dist").join(file)).unwrap();
    assert!(built.contains("sbom-probe-widget:"), "{built}");
}
