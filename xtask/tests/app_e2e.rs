//! End to end: build the UI, build a wheel with the reference tool, install it
//! into a fresh venv and talk to the running app on loopback.

mod support;

use support::*;

#[test]
fn built_ui_ships_in_the_wheel_and_is_served() {
    let python = venv_python();
    node_modules();
    run_ok(xtask().args(["frontend", "build"]));
    let ui = repo_root().join("python/invokeai/frontend/web/dist/index.html");
    assert!(ui.is_file(), "frontend build wrote no {}", ui.display());

    // Build in a copy: setuptools writes build/ and *.egg-info into the tree.
    let tmp = tempdir();
    let project = tmp.path().join("python");
    copy_tree(
        &repo_root().join("python"),
        &project,
        &[
            "build",
            "__pycache__",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
        ],
    );
    let wheels = tmp.path().join("wheels");
    run_ok(
        std::process::Command::new(&python)
            .args(["-m", "build", "--wheel", "--no-isolation", "--outdir"])
            .arg(&wheels)
            .arg(&project),
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel");

    let venv = tmp.path().join("venv");
    run_ok(
        std::process::Command::new(&python)
            .args(["-m", "venv"])
            .arg(&venv),
    );
    run_ok(
        std::process::Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--no-index", "--no-deps"])
            .arg(&wheel),
    );

    let version = app_version();
    let out = run_ok(std::process::Command::new(venv.join("bin/invokeai-web")).arg("--version"));
    assert_eq!(stdout(&out).trim(), format!("invokeai-web {version}"));

    let (_app, port) = start_app(
        std::process::Command::new(venv.join("bin/invokeai-web"))
            .args(["--port", "0"])
            .current_dir(tmp.path()),
    );
    let (status, body) = http_get(port, "/api/v1/app/version");
    assert_eq!(status, 200);
    assert_eq!(body.trim(), format!("{{\"version\": \"{version}\"}}"));
    let (status, page) = http_get(port, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<title>InvokeAI</title>"), "{page}");
    // The page's script is one of the built, hashed assets, and it is served.
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page references its script");
    assert!(
        script.starts_with("/assets/") && script.ends_with(".js"),
        "{script}"
    );
    let (status, js) = http_get(port, script);
    assert_eq!(status, 200);
    assert!(
        js.contains("/api/v1/app/version"),
        "the served script does not fetch the version endpoint"
    );
}
