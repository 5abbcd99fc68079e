"""The placeholder contract of the templates, their line endings, and the launchers they give."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import installer
from helpers import (
    INSTALLER,
    LAUNCHER_PLACEHOLDERS,
    SCRIPT_PLACEHOLDERS,
    fake_program,
    fill_script,
    placeholders,
    script_values,
)

CRLF_FILES = ("install.bat.in", "templates/invoke.bat.in", "WinLongPathsEnabled.reg")
LF_FILES = (
    "install.sh.in",
    "templates/invoke.sh.in",
    "readme.txt",
    "lib/main.py",
    "lib/installer.py",
    "lib/messages.py",
)


@pytest.mark.parametrize("name", ["install.sh.in", "install.bat.in"])
def test_install_scripts_use_exactly_the_build_time_placeholders(name: str) -> None:
    assert placeholders((INSTALLER / name).read_bytes()) == set(SCRIPT_PLACEHOLDERS)


@pytest.mark.parametrize("name", ["invoke.sh.in", "invoke.bat.in"])
def test_launcher_templates_use_exactly_the_install_time_placeholders(name: str) -> None:
    assert placeholders((INSTALLER / "templates" / name).read_bytes()) == set(LAUNCHER_PLACEHOLDERS)


@pytest.mark.parametrize("name", ["readme.txt", "WinLongPathsEnabled.reg", "lib/main.py", "lib/installer.py"])
def test_files_copied_as_they_are_have_no_placeholders(name: str) -> None:
    assert placeholders((INSTALLER / name).read_bytes()) == set()


@pytest.mark.parametrize("name", CRLF_FILES)
def test_windows_files_have_crlf_line_endings(name: str) -> None:
    data = (INSTALLER / name).read_bytes()
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.count(b"\r") == data.count(b"\r\n")


@pytest.mark.parametrize("name", LF_FILES)
def test_other_files_have_lf_line_endings(name: str) -> None:
    data = (INSTALLER / name).read_bytes()
    assert data.endswith(b"\n")
    assert b"\r" not in data


def test_long_paths_registry_file() -> None:
    text = (INSTALLER / "WinLongPathsEnabled.reg").read_bytes().decode("ascii")
    assert text.splitlines() == [
        "Windows Registry Editor Version 5.00",
        "",
        r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\FileSystem]",
        '"LongPathsEnabled"=dword:00000001',
    ]


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_filled_install_sh_is_valid_shell(shell: str, tmp_path: Path) -> None:
    program = shutil.which(shell)
    if program is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / "install.sh"
    filled = fill_script((INSTALLER / "install.sh.in").read_bytes(), script_values("1.2.3", "x.whl"))
    script.write_bytes(filled)
    checked = subprocess.run([program, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_filled_install_bat_keeps_crlf_and_passes_the_values() -> None:
    values = script_values("1.2.3", "invokeai-1.2.3-py3-none-any.whl")
    filled = fill_script((INSTALLER / "install.bat.in").read_bytes(), values)
    assert filled.count(b"\n") == filled.count(b"\r\n")
    text = filled.decode("ascii")
    assert 'set "VERSION=1.2.3"' in text
    assert 'set "WHEEL=invokeai-1.2.3-py3-none-any.whl"' in text
    assert 'set "PYTHON_MIN=3.10"' in text
    assert 'set "PYTHON_MAX_EXCLUSIVE=3.14"' in text
    assert '"%HERE%lib\\main.py"' in text
    assert "error: no Python between %SUPPORTED% was found" in text


def test_unfilled_install_sh_refuses_to_run(tmp_path: Path) -> None:
    script = tmp_path / "install.sh"
    shutil.copy(INSTALLER / "install.sh.in", script)
    result = subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "this install.sh was not built properly" in result.stderr


def test_sh_launcher_quotes_the_paths_and_passes_arguments(tmp_path: Path) -> None:
    root = tmp_path / "it's my $HOME `root`"
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    fake_program(venv / "bin", "invokeai-web", 'printf "%s\\n" "root=$INVOKEAI_ROOT" "$@"')
    template = (INSTALLER / "templates" / "invoke.sh.in").read_text(encoding="utf-8")
    launcher = root / "invoke.sh"
    launcher.write_bytes(installer.render_launcher(template, installer.LAUNCHER_SH, root, venv, "1.2.3"))
    launcher.chmod(0o755)

    result = subprocess.run(
        [str(launcher), "--port", "9091", "two words"], capture_output=True, text=True, check=False, env={}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"root={root}", "--port", "9091", "two words"]


def test_bat_launcher_escapes_percent_and_uses_crlf() -> None:
    template = (INSTALLER / "templates" / "invoke.bat.in").read_text(encoding="utf-8")
    root = Path("C:/Users/100% me/invokeai")
    data = installer.render_launcher(template, installer.LAUNCHER_BAT, root, root / ".venv", "1.2.3")
    assert data.count(b"\n") == data.count(b"\r\n")
    text = data.decode("utf-8")
    assert f'set "INVOKEAI_ROOT={str(root).replace("%", "%%")}"' in text
    assert f'"{str(root / ".venv").replace("%", "%%")}\\Scripts\\invokeai-web.exe" %*' in text
    assert "rem Start InvokeAI 1.2.3." in text
