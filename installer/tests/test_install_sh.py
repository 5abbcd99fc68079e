"""The filled install.sh, end to end: a real wheel of the app installed into a temporary root."""

from __future__ import annotations

import os
import pty
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import clean_env, fake_program, python_only_bin, stage_bundle

NO_PYTHON = (
    "error: no Python between 3.10 and 3.13 was found on PATH; install one from "
    "https://www.python.org/downloads/ or your package manager, then run this script again."
)


def run(
    command: list[str], env: dict[str, str], stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True, timeout=300, check=False)


def show(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def installed_package(root: Path) -> Path:
    packages = sorted(root.glob(".venv/lib/python3*/site-packages/invokeai"))
    assert len(packages) == 1, packages
    return packages[0]


@dataclass(frozen=True)
class Installed:
    bundle: Path
    root: Path
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]

    def install(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([str(self.bundle / "install.sh"), "--root", str(self.root), *args], self.env)

    @property
    def launcher(self) -> Path:
        return self.root / "invoke.sh"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, app_wheel: Path, version: str) -> Installed:
    """One unattended install into a root whose path has a space, shared by the tests below.

    Tests that change the root leave it installed and working.
    """
    work = tmp_path_factory.mktemp("install")
    bundle = stage_bundle(work, app_wheel, version)
    env = clean_env(str(python_only_bin(work)))
    root = work / "my root"
    first = run([str(bundle / "install.sh"), "--root", str(root), "--yes"], env)
    return Installed(bundle, root, env, first)


def test_unattended_install_succeeds_and_says_how_to_start(installed: Installed, version: str) -> None:
    result = installed.first
    assert result.returncode == 0, show(result)
    assert f"InvokeAI {version} is installed in {installed.root}." in result.stdout
    assert f"'{installed.launcher}' --port 9091" in result.stdout
    assert result.stderr == ""
    assert (installed.root / ".venv" / "pyvenv.cfg").is_file()


def test_launcher_is_executable_and_starts_the_installed_app(installed: Installed, version: str) -> None:
    assert installed.first.returncode == 0, show(installed.first)
    assert installed.launcher.stat().st_mode & 0o111 == 0o111
    result = run([str(installed.launcher), "--version"], installed.env)
    assert result.returncode == 0, show(result)
    assert result.stdout.strip() == f"invokeai-web {version}"
    text = installed.launcher.read_text(encoding="utf-8")
    assert f"INVOKEAI_ROOT='{installed.root}'\nexport INVOKEAI_ROOT\n" in text
    assert f"# Start InvokeAI {version}." in text


def test_second_install_upgrades_in_place_and_keeps_user_files(installed: Installed, version: str) -> None:
    assert installed.first.returncode == 0, show(installed.first)
    user_file = installed.root / "models" / "my.ckpt"
    user_file.parent.mkdir(exist_ok=True)
    user_file.write_bytes(b"weights")
    config = installed.root / "invokeai.yaml"
    config.write_text("port: 9091\n", encoding="utf-8")
    marker = installed.root / ".venv" / "kept-marker"
    marker.write_text("the environment was reused", encoding="utf-8")
    # A damaged installation of the same version is repaired, not skipped as already there.
    (installed_package(installed.root) / "app" / "run_app.py").unlink()

    result = installed.install("--yes")

    assert result.returncode == 0, show(result)
    assert "Using the existing Python environment" in result.stdout
    assert f"InvokeAI {version} was reinstalled in {installed.root}." in result.stdout
    assert user_file.read_bytes() == b"weights"
    assert config.read_text(encoding="utf-8") == "port: 9091\n"
    assert marker.is_file(), "a healthy environment must be upgraded in place, not recreated"
    started = run([str(installed.launcher), "--version"], installed.env)
    assert started.stdout.strip() == f"invokeai-web {version}", show(started)


def test_another_version_replaces_the_installed_one(
    installed: Installed, version: str, newer_wheel: Path, newer_version: str
) -> None:
    assert installed.first.returncode == 0, show(installed.first)
    user_file = installed.root / "models" / "other.safetensors"
    user_file.parent.mkdir(exist_ok=True)
    user_file.write_bytes(b"more weights")

    newer = installed.install("--yes", "--wheel", str(newer_wheel))

    assert newer.returncode == 0, show(newer)
    assert f"InvokeAI {version} was replaced by InvokeAI {newer_version} in {installed.root}." in newer.stdout
    started = run([str(installed.launcher), "--version"], installed.env)
    assert started.stdout.strip() == f"invokeai-web {newer_version}", show(started)
    assert f"# Start InvokeAI {newer_version}." in installed.launcher.read_text(encoding="utf-8")

    back = installed.install("--yes")

    assert back.returncode == 0, show(back)
    assert f"InvokeAI {newer_version} was replaced by InvokeAI {version} in {installed.root}." in back.stdout
    started = run([str(installed.launcher), "--version"], installed.env)
    assert started.stdout.strip() == f"invokeai-web {version}", show(started)
    assert user_file.read_bytes() == b"more weights"


def test_broken_environment_is_recreated_and_user_files_kept(installed: Installed, version: str) -> None:
    assert installed.first.returncode == 0, show(installed.first)
    user_file = installed.root / "outputs" / "image.png"
    user_file.parent.mkdir(exist_ok=True)
    user_file.write_bytes(b"png")
    python = installed.root / ".venv" / "bin" / "python"
    python.unlink()
    fake_program(python.parent, "python", "exit 1")

    result = installed.install("--yes")

    assert result.returncode == 0, show(result)
    assert "Recreating the app's Python environment" in result.stdout
    assert "its Python does not run" in result.stdout
    assert user_file.read_bytes() == b"png"
    started = run([str(installed.launcher), "--version"], installed.env)
    assert started.stdout.strip() == f"invokeai-web {version}", show(started)


def test_no_python_on_path_gives_the_message(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    empty = tmp_path / "empty-bin"
    empty.mkdir()

    result = run(["/bin/sh", str(bundle / "install.sh"), "--yes"], clean_env(str(empty)))

    assert result.returncode == 1, show(result)
    assert result.stderr.strip() == NO_PYTHON
    assert result.stdout == ""


def test_unusable_pythons_are_skipped_and_named(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_program(bin_dir, "python3.13", "exit 1")
    fake_program(bin_dir, "python3.10", 'echo "3 9"')
    fake_program(bin_dir, "python3", 'echo "3 14"')
    fake_program(bin_dir, "python", "echo hello")

    result = run([str(bundle / "install.sh"), "--yes"], clean_env(str(bin_dir)))

    assert result.returncode == 1, show(result)
    lines = result.stderr.splitlines()
    assert lines[0] == NO_PYTHON
    assert lines[1:] == [
        "Found, but not usable:",
        "  python3.13 is on PATH but does not run",
        "  python3.10 is Python 3.9",
        "  python3 is Python 3.14",
        "  python is on PATH but did not report its version",
    ]


def test_newest_supported_python_runs_main_with_all_arguments(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Too new, then the newest supported one, which records how it was run instead of installing.
    fake_program(bin_dir, "python3.14", 'echo "3 14"')
    fake_program(bin_dir, "python3.13", 'case "$*" in *" -c "*) echo "3 13" ;; *) printf "%s\\n" "$@" ;; esac')
    fake_program(bin_dir, "python3.12", 'echo "3 12"')

    result = run([str(bundle / "install.sh"), "--root", "a b", "--yes"], clean_env(str(bin_dir)))

    assert result.returncode == 0, show(result)
    assert result.stdout.splitlines() == [
        "-E",
        "-s",
        "-B",
        f"{os.path.realpath(bundle)}/lib/main.py",
        "--bundled-version",
        version,
        "--bundled-wheel",
        app_wheel.name,
        "--python-min",
        "3.10",
        "--python-max-exclusive",
        "3.14",
        "--root",
        "a b",
        "--yes",
    ]


def test_missing_wheel_is_reported_and_nothing_created(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version, include_wheel=False)
    root = tmp_path / "root"

    result = run([str(bundle / "install.sh"), "--root", str(root), "--yes"], clean_env(str(python_only_bin(tmp_path))))

    assert result.returncode == 1, show(result)
    assert f"error: The InvokeAI package {app_wheel.name} was not found in {bundle}." in result.stderr
    assert "unzip the whole installer zip again" in result.stderr
    assert "Traceback" not in result.stderr
    assert not root.exists()


def test_wheel_option_with_a_missing_file_is_reported(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    missing = tmp_path / "nowhere" / "invokeai-9.9.9-py3-none-any.whl"

    result = run(
        [str(bundle / "install.sh"), "--root", str(tmp_path / "root"), "--yes", "--wheel", str(missing)],
        clean_env(str(python_only_bin(tmp_path))),
    )

    assert result.returncode == 1, show(result)
    assert f"error: The wheel {missing} given with --wheel does not exist." in result.stderr


def test_without_a_terminal_and_without_yes_it_refuses(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    root = tmp_path / "root"

    result = run([str(bundle / "install.sh"), "--root", str(root)], clean_env(str(python_only_bin(tmp_path))))

    assert result.returncode == 2, show(result)
    assert "its input is not a terminal" in result.stderr
    assert f"To install into {root} without questions, run it again with --yes." in result.stderr
    assert not root.exists()


def test_on_a_terminal_it_asks_and_answering_no_changes_nothing(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)
    root = tmp_path / "root"
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"n\n")
        result = run(
            [str(bundle / "install.sh"), "--root", str(root)], clean_env(str(python_only_bin(tmp_path))), terminal
        )
    finally:
        os.close(terminal)
        os.close(controller)

    assert result.returncode == 1, show(result)
    assert f"InvokeAI {version} will be installed into {root}.\nContinue? [Y/n] " in result.stdout
    assert f"Nothing was changed in {root}." in result.stdout
    assert not root.exists()


def test_help_lists_the_options(tmp_path: Path, app_wheel: Path, version: str) -> None:
    bundle = stage_bundle(tmp_path, app_wheel, version)

    result = run([str(bundle / "install.sh"), "--help"], clean_env(str(python_only_bin(tmp_path))))

    assert result.returncode == 0, show(result)
    for option in ("--root DIR", "--yes", "--find-links DIR", "--wheel FILE"):
        assert option in result.stdout
    assert "--bundled" not in result.stdout
