//! `cargo xtask build-installer` on the repository: the artifacts, the
//! checksum files, the step outputs for GitHub Actions and the UI cache.
//! The checkout may hold a developer's uncommitted edits, so every build of
//! it says `--allow-dirty` (the refusal itself is tested on a copy, in
//! release_build.rs).

mod support;

use support::*;

#[test]
fn builds_every_artifact_with_checksums_and_step_outputs() {
    node_modules();
    let out = tempdir();
    let github_output = out.path().join("github-output");
    // Something from an earlier build that is not ours stays where it is;
    // an earlier build's artifact moves aside, so no `dist/*.whl` ships it.
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    std::fs::write(out.path().join("invokeai-0.0.1-py3-none-any.whl"), "old").unwrap();

    // The dry run names what the build will write, and writes nothing.
    let dry = run_ok(
        xtask()
            .args([
                "build-installer",
                "--allow-dirty",
                "--skip-frontend-checks",
                "--dry-run",
                "--out",
            ])
            .arg(out.path())
            .arg("--github-output")
            .arg(&github_output),
    );
    let plan = stdout(&dry);
    let predicted: Vec<String> = plan
        .lines()
        .find_map(|l| l.strip_prefix("artifacts: "))
        .unwrap_or_else(|| panic!("no artifacts line in\n{plan}"))
        .split(", ")
        .map(str::to_owned)
        .collect();
    for step in ["frontend", "dist", "stage", "zip", "checksums", "publish"] {
        assert!(plan.contains(step), "no step {step} in\n{plan}");
    }
    let mut before: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    before.sort();
    assert_eq!(before, ["invokeai-0.0.1-py3-none-any.whl", "notes.txt"]);

    let run = run_ok(
        xtask()
            .args([
                "build-installer",
                "--allow-dirty",
                "--skip-frontend-checks",
                "--out",
            ])
            .arg(out.path())
            .arg("--github-output")
            .arg(&github_output),
    );
    // The build runs the very steps the dry run showed: it prints each one,
    // from the same plan value, before running it.
    assert_eq!(
        step_lines(&stderr(&run)),
        step_lines(&plan),
        "the build's steps are not the dry run's:\n{}",
        stderr(&run)
    );
    assert_eq!(step_lines(&plan).len(), 12, "{plan}");
    let version = app_version();
    let zip = format!("InvokeAI-installer-v{version}.zip");
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = vec![
        zip.clone(),
        "SHA256SUMS".to_owned(),
        "github-output".to_owned(),
        format!("invokeai-{version}-py3-none-any.whl"),
        format!("invokeai-{version}-ui.cdx.json"),
        format!("invokeai-{version}.tar.gz"),
        "manifest.json".to_owned(),
        "notes.txt".to_owned(),
        "stale".to_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        std::fs::read(out.path().join("stale/invokeai-0.0.1-py3-none-any.whl")).unwrap(),
        b"old"
    );
    // The names the gates predict are exactly the names built.
    let mut built: Vec<String> = std::fs::read_to_string(out.path().join("SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_owned())
        .collect();
    built.sort();
    let mut predicted = predicted;
    predicted.sort();
    assert_eq!(predicted, built);
    assert_eq!(
        std::fs::read_to_string(out.path().join("notes.txt")).unwrap(),
        "mine"
    );

    // sha256sum reads SHA256SUMS as it is.
    let check = run_ok(
        std::process::Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(out.path()),
    );
    assert_eq!(
        stdout(&check)
            .lines()
            .filter(|l| l.ends_with(": OK"))
            .count(),
        4,
        "{}",
        stdout(&check)
    );

    // Exactly the five step outputs.
    let outputs = std::fs::read_to_string(&github_output).unwrap();
    let dir = out.path().to_string_lossy();
    assert_eq!(
        outputs,
        format!(
            "INSTALLER_FILENAME={zip}\nINSTALLER_PATH={dir}/{zip}\nDIST_PATH={dir}\nSBOM_FILENAME=invokeai-{version}-ui.cdx.json\nSBOM_PATH={dir}/invokeai-{version}-ui.cdx.json\n"
        )
    );

    // The summary table names every artifact with its sha256, and every step.
    let summary = stdout(&run);
    for line in std::fs::read_to_string(out.path().join("SHA256SUMS"))
        .unwrap()
        .lines()
    {
        let (sha, name) = line.split_once("  ").unwrap();
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with(name) && l.ends_with(sha)),
            "{name} missing from\n{summary}"
        );
    }
    for step in [
        "frontend",
        "dist",
        "stage",
        "zip",
        "checksums",
        "publish",
        "total",
    ] {
        assert!(
            summary.lines().any(|l| l.starts_with(step)),
            "no step {step} in\n{summary}"
        );
    }
    assert!(
        summary.contains("notes.txt"),
        "strangers in the output folder are named:\n{summary}"
    );

    // Unchanged UI: the second build skips the front end and gives the same bytes.
    let again = run_ok(
        xtask()
            .args([
                "build-installer",
                "--allow-dirty",
                "--skip-frontend-checks",
                "--out",
            ])
            .arg(out.path())
            .env_remove("GITHUB_OUTPUT"),
    );
    assert!(
        stderr(&again).contains("frontend: UI unchanged since its last build: skipped"),
        "{}",
        stderr(&again)
    );
    let first = std::fs::read_to_string(out.path().join("SHA256SUMS")).unwrap();
    let forced = run_ok(
        xtask()
            .args([
                "build-installer",
                "--allow-dirty",
                "--skip-frontend-checks",
                "--rebuild-frontend",
                "--out",
            ])
            .arg(out.path())
            .env_remove("GITHUB_OUTPUT"),
    );
    assert!(
        stderr(&forced).contains("frontend: built (--rebuild-frontend)"),
        "{}",
        stderr(&forced)
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("SHA256SUMS")).unwrap(),
        first,
        "a rebuilt UI gives the same artifacts"
    );
}

/// The plan's step lines (`  N. name  reads` and `-> writes`), the work
/// folder's process id left out.
fn step_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let numbered = l.strip_prefix("  ").is_some_and(|rest| {
                rest.split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
            numbered || (l.starts_with("     ") && l.trim_start().starts_with("-> "))
        })
        .map(without_pid)
        .collect()
}

/// `build-installer-<pid>` as `build-installer-N`.
fn without_pid(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("build-installer-") {
        let (head, tail) = rest.split_at(at + "build-installer-".len());
        out.push_str(head);
        out.push('N');
        rest = &tail[tail.bytes().take_while(u8::is_ascii_digit).count()..];
    }
    out.push_str(rest);
    out
}
