"""The command line: options, defaults, and one clear message instead of a traceback."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import installer
import main
from helpers import INSTALLER


def test_defaults_root_from_invokeai_root_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    request, bundled = main.parse_request(["--yes"], {"INVOKEAI_ROOT": str(tmp_path / "from-env")})
    assert request.root == tmp_path / "from-env"
    assert request.yes and bundled is None and request.python_range is None
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    request, _ = main.parse_request([], {"INVOKEAI_ROOT": ""})
    assert request.root == tmp_path / "home" / "invokeai"
    assert not request.yes
    assert request.bundle_dir == INSTALLER


def test_options_are_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    request, bundled = main.parse_request(
        [
            "--bundled-version=1.2.3",
            "--bundled-wheel=invokeai-1.2.3-py3-none-any.whl",
            "--python-min=3.10",
            "--python-max-exclusive=3.14",
            "-r",
            "root",
            "-y",
            "--find-links",
            "a",
            "--find-links",
            "b",
            "--wheel",
            "w.whl",
        ],
        {},
    )
    assert bundled == "1.2.3"
    assert request.bundled_wheel == "invokeai-1.2.3-py3-none-any.whl"
    assert request.python_range == installer.PythonRange((3, 10), (3, 14))
    assert (request.root, request.wheel) == (tmp_path / "root", tmp_path / "w.whl")
    assert request.find_links == (tmp_path / "a", tmp_path / "b")
    assert request.yes


def test_a_bad_python_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main.parse_request(["--python-min=3.13", "--python-max-exclusive=3.10"], {})
    assert caught.value.code == 2
    assert "not a supported Python range: 3.13 up to 3.10" in capsys.readouterr().err


def test_install_errors_become_one_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def install(request: installer.Request, *, interactive: bool) -> installer.Outcome:
        raise installer.InstallError("what happened; what to do", exit_code=3)

    monkeypatch.setattr(installer, "install", install)
    assert main.main(["--yes"]) == 3
    out, err = capsys.readouterr()
    assert err == "error: what happened; what to do\n"
    assert out.startswith("InvokeAI installer, running on Python ")


def test_unexpected_disk_full_is_still_one_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def install(request: installer.Request, *, interactive: bool) -> installer.Outcome:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr(installer, "install", install)
    assert main.main(["--yes", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: The disk holding {tmp_path} is full")
    assert "Traceback" not in err


def test_other_os_errors_name_the_file(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def install(request: installer.Request, *, interactive: bool) -> installer.Outcome:
        raise OSError(errno.EIO, "Input/output error", "/some/file")

    monkeypatch.setattr(installer, "install", install)
    assert main.main(["--yes"]) == 1
    assert capsys.readouterr().err.startswith("error: The installer failed on /some/file: Input/output error.")


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def install(request: installer.Request, *, interactive: bool) -> installer.Outcome:
        raise KeyboardInterrupt

    monkeypatch.setattr(installer, "install", install)
    assert main.main(["--yes"]) == 130
    assert "Interrupted. Run the installer again to finish" in capsys.readouterr().err


def test_run_by_hand_without_a_wheel_beside_it(tmp_path: Path) -> None:
    """`python lib/main.py` works without the script's arguments; here no wheel sits beside lib/."""
    result = subprocess.run(
        [sys.executable, "-B", str(INSTALLER / "lib" / "main.py"), "--root", str(tmp_path / "root"), "--yes"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: No InvokeAI package (invokeai-*.whl) was found in {INSTALLER}. The installer folder is "
        "incomplete: unzip the whole installer zip again, or give the package to install with --wheel FILE.\n"
    )
    assert not (tmp_path / "root").exists()
