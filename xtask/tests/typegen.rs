//! `cargo xtask openapi` and `cargo xtask frontend typegen`: the committed API
//! types follow the app, and drift is caught with a diff and the fix.

mod support;

use std::path::{Path, PathBuf};

use support::*;

const TYPES: &str = "frontend/src/generated/openapi.ts";

/// A copy of the repository's python/ and frontend/ sources in a temp dir,
/// sharing the repository's node modules through a symlink.
fn checkout_copy() -> (tempfile::TempDir, PathBuf) {
    venv_python();
    let node_modules = node_modules();
    let tmp = tempdir();
    let root = tmp.path().join("checkout");
    let repo = repo_root();
    copy_tree(
        &repo.join("python"),
        &root.join("python"),
        &[
            "dist",
            "build",
            "__pycache__",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
        ],
    );
    copy_tree(
        &repo.join("frontend"),
        &root.join("frontend"),
        &["node_modules", "dist", "coverage"],
    );
    symlink_dir(&node_modules, &root.join("frontend/node_modules"));
    (tmp, root)
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink node_modules");
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) {
    std::os::windows::fs::symlink_dir(target, link).expect("symlink node_modules");
}

fn typegen(root: &Path, mode: &str) -> std::process::Command {
    let mut cmd = xtask();
    cmd.args(["frontend", "typegen", "--mode", mode, "--root"])
        .arg(root);
    cmd
}

/// Replace the one occurrence of `needle` in the file at `path`.
fn edit(path: &Path, needle: &str, replacement: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(needle).count(),
        1,
        "{} no longer holds {needle:?} once; update this test",
        path.display()
    );
    std::fs::write(path, text.replace(needle, replacement)).unwrap();
}

/// After `change` to the app in a copy: check fails naming the file, with a
/// diff showing `expected`; write fixes it; check then passes.
fn drift_is_caught_and_fixed(change: impl FnOnce(&Path), expected: &str) {
    let (_tmp, root) = checkout_copy();
    let types = root.join(TYPES);
    let before = std::fs::read_to_string(&types).unwrap();
    change(&root);

    let stale = output(&mut typegen(&root, "check"));
    assert_eq!(
        stale.status.code(),
        Some(1),
        "check passed after the API changed\n{}",
        stderr(&stale)
    );
    let err = stderr(&stale);
    assert!(
        err.contains(TYPES),
        "the error does not name the file: {err}"
    );
    assert!(err.contains("is stale"), "{err}");
    let fix = format!(
        "cargo xtask frontend typegen --mode write --root {}",
        root.display()
    );
    assert!(
        err.contains(&fix),
        "the error does not say to run `{fix}`: {err}"
    );
    let diff = stdout(&stale);
    assert!(
        diff.contains(&format!("--- {} (committed)", types.display())),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains(expected)),
        "the diff does not add {expected:?}:\n{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&types).unwrap(),
        before,
        "check changed the file"
    );

    let write = run_ok(&mut typegen(&root, "write"));
    assert!(
        stderr(&write).contains("typegen: wrote"),
        "{}",
        stderr(&write)
    );
    let after = std::fs::read_to_string(&types).unwrap();
    assert!(after.contains(expected), "{after}");
    let leftovers: Vec<_> = std::fs::read_dir(types.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != "openapi.ts")
        .collect();
    assert!(leftovers.is_empty(), "write left {leftovers:?} behind");

    let fresh = run_ok(&mut typegen(&root, "check"));
    assert!(
        stderr(&fresh).contains("is up to date"),
        "{}",
        stderr(&fresh)
    );
    // The file is formatted as the project's prettier wants it.
    run_ok(
        std::process::Command::new(root.join("frontend/node_modules/.bin/prettier"))
            .arg("--check")
            .arg(&types)
            .current_dir(root.join("frontend")),
    );
}

#[test]
fn a_new_field_makes_the_types_stale_until_written() {
    drift_is_caught_and_fixed(
        |root| {
            edit(
                &root.join("python/invokeai/app/routes.py"),
                "        \"required\": [\"version\"],\n",
                "        \"required\": [\"version\", \"commit\"],\n",
            );
            edit(
                &root.join("python/invokeai/app/routes.py"),
                "        \"properties\": {\n            \"version\": {",
                "        \"properties\": {\n            \"commit\": {\"type\": \"string\"},\n            \"version\": {",
            );
        },
        "commit: string;",
    );
}

#[test]
fn a_new_endpoint_makes_the_types_stale_until_written() {
    drift_is_caught_and_fixed(
        |root| {
            edit(
                &root.join("python/invokeai/app/routes.py"),
                "ROUTES: Final[tuple[Route, ...]] = (\n",
                "ROUTES: Final[tuple[Route, ...]] = (\n    Route(\n        path=\"/api/v1/app/health\",\n        operation_id=\"get_health\",\n        tag=\"app\",\n        summary=\"Health\",\n        description=\"Is the server up.\",\n        response_schema=\"AppVersion\",\n        response_description=\"It is.\",\n    ),\n",
            );
            edit(
                &root.join("python/invokeai/app/server.py"),
                "    \"get_openapi\": build_document,\n",
                "    \"get_openapi\": build_document,\n    \"get_health\": _get_app_version,\n",
            );
        },
        "'/api/v1/app/health'",
    );
}

#[test]
fn a_missing_file_is_stale_and_write_creates_it() {
    let (_tmp, root) = checkout_copy();
    let types = root.join(TYPES);
    let committed = std::fs::read_to_string(&types).unwrap();
    std::fs::remove_dir_all(types.parent().unwrap()).unwrap();

    let stale = output(&mut typegen(&root, "check"));
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stdout(&stale).starts_with("--- /dev/null\n"),
        "{}",
        stdout(&stale)
    );
    assert!(!types.exists(), "check created the file");

    run_ok(&mut typegen(&root, "write"));
    assert_eq!(std::fs::read_to_string(&types).unwrap(), committed);
}

/// The document carries the app's version, but the types do not: a release's
/// version bump does not make the committed file stale.
#[test]
fn a_version_bump_leaves_the_types_current() {
    let (_tmp, root) = checkout_copy();
    let version = app_version();
    edit(
        &root.join("python/invokeai/version/invokeai_version.py"),
        &format!("__version__ = \"{version}\""),
        "__version__ = \"99.0.0\"",
    );
    let check = run_ok(&mut typegen(&root, "check"));
    assert!(
        stderr(&check).contains("is up to date"),
        "{}",
        stderr(&check)
    );
}

/// The committed file matches the app: the check passes on the repository
/// itself, and dry-run prints exactly the committed file without touching it.
#[test]
fn committed_types_are_up_to_date() {
    venv_python();
    node_modules();
    let types = repo_root().join(TYPES);
    let committed = std::fs::read_to_string(&types).unwrap();

    let check = run_ok(xtask().args(["frontend", "typegen", "--mode", "check"]));
    assert!(
        stderr(&check).contains(&format!("typegen: {TYPES} is up to date")),
        "{}",
        stderr(&check)
    );
    assert_eq!(stdout(&check), "");

    let dry = run_ok(xtask().args(["frontend", "typegen", "--mode", "dry-run"]));
    assert_eq!(stdout(&dry), committed);
    assert_eq!(std::fs::read_to_string(&types).unwrap(), committed);
}

/// `cargo xtask openapi` prints the app's document unchanged: what
/// `python -m invokeai.app.openapi` prints, a valid OpenAPI 3.1 document.
#[test]
fn openapi_prints_the_apps_document() {
    let python = venv_python();
    let out = run_ok(xtask().arg("openapi"));
    let direct = run_ok(
        std::process::Command::new(&python)
            .args(["-m", "invokeai.app.openapi"])
            .current_dir(repo_root().join("python"))
            .env("PYTHONDONTWRITEBYTECODE", "1"),
    );
    assert_eq!(out.stdout, direct.stdout);
    let document = stdout(&out);
    assert!(document.starts_with("{\n  \"components\": {"), "{document}");
    assert!(document.ends_with("}\n"));
    assert!(document.contains("\"openapi\": \"3.1.0\""));
    assert!(document.contains("\"/api/v1/app/version\": {"));
    assert!(document.contains(&format!("\"version\": \"{}\"", app_version())));

    // And it validates as OpenAPI 3.1.
    let tmp = tempdir();
    let file = tmp.path().join("openapi.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let valid = run_ok(
        std::process::Command::new(&python)
            .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
            .arg(&file),
    );
    assert!(stdout(&valid).contains("OK"), "{}", stdout(&valid));
}
