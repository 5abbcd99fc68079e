"""Test helpers: the placeholder filling `cargo xtask build-installer` does, and a staged installer folder.

`fill_script` follows the builder's contract: every `@NAME@` in `install.sh.in` and `install.bat.in`
is one of `SCRIPT_PLACEHOLDERS`, each is replaced everywhere, bytes otherwise unchanged (line
endings included).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

INSTALLER = Path(__file__).resolve().parent.parent
REPO = INSTALLER.parent
VERSION_FILE = REPO / "python" / "invokeai" / "version" / "invokeai_version.py"
SCRIPT_PLACEHOLDERS = ("VERSION", "WHEEL", "PYTHON_MIN", "PYTHON_MAX_EXCLUSIVE")
LAUNCHER_PLACEHOLDERS = ("ROOT", "VENV", "VERSION")
PLACEHOLDER = re.compile(rb"@([A-Z][A-Z_]*)@")
PYTHON_MIN = "3.10"
PYTHON_MAX_EXCLUSIVE = "3.14"
# What the builder copies into the zip as it is.
COPIED = ("lib", "templates", "readme.txt", "WinLongPathsEnabled.reg")
BUNDLE = "InvokeAI-Installer"


def app_version() -> str:
    match = re.search(r'__version__\s*=\s*"([^"]+)"', VERSION_FILE.read_text(encoding="utf-8"))
    assert match, f"no __version__ in {VERSION_FILE}"
    return match[1]


def placeholders(template: bytes) -> set[str]:
    return {m.decode("ascii") for m in PLACEHOLDER.findall(template)}


def fill_script(template: bytes, values: Mapping[str, str]) -> bytes:
    """Fill an install script template as the builder does; unknown or missing names are errors."""
    names = placeholders(template)
    assert names <= set(values), f"placeholders with no value: {sorted(names - set(values))}"
    filled = PLACEHOLDER.sub(lambda m: values[m[1].decode("ascii")].encode("utf-8"), template)
    assert not PLACEHOLDER.search(filled)
    return filled


def script_values(version: str, wheel_name: str) -> dict[str, str]:
    return {
        "VERSION": version,
        "WHEEL": wheel_name,
        "PYTHON_MIN": PYTHON_MIN,
        "PYTHON_MAX_EXCLUSIVE": PYTHON_MAX_EXCLUSIVE,
    }


def stage_bundle(dest: Path, wheel: Path, version: str, *, include_wheel: bool = True) -> Path:
    """An unpacked installer zip under `dest`: what the builder stages. Returns its folder."""
    bundle = dest / BUNDLE
    bundle.mkdir(parents=True)
    values = script_values(version, wheel.name)
    for name in ("install.sh", "install.bat"):
        template = (INSTALLER / f"{name}.in").read_bytes()
        (bundle / name).write_bytes(fill_script(template, values))
    os.chmod(bundle / "install.sh", 0o755)
    for name in COPIED:
        source = INSTALLER / name
        if source.is_dir():
            shutil.copytree(source, bundle / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, bundle / name)
    if include_wheel:
        shutil.copy2(wheel, bundle / wheel.name)
    return bundle


def base_python() -> Path:
    """The interpreter running the tests, outside any virtual environment."""
    return Path(getattr(sys, "_base_executable", "") or sys.executable)


def python_only_bin(dest: Path) -> Path:
    """A folder holding only `python3.X`, this Python: a PATH on which install.sh finds nothing else."""
    bin_dir = dest / "bin"
    bin_dir.mkdir()
    name = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (bin_dir / name).symlink_to(base_python())
    return bin_dir


def fake_program(bin_dir: Path, name: str, script: str) -> Path:
    """A shell script called `name` in `bin_dir`."""
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def clean_env(path: str, **extra: str) -> dict[str, str]:
    """An environment for the install script: only what it needs, with the given PATH."""
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "LC_ALL": "C.UTF-8"}
    env.update(extra)
    return env


def fake_wheel(dest: Path, version: str = "1.2.3", requires: tuple[str, ...] = ()) -> Path:
    """A minimal InvokeAI wheel (METADATA only) for the unit tests that never install it."""
    path = dest / f"invokeai-{version}-py3-none-any.whl"
    metadata = "Metadata-Version: 2.4\nName: InvokeAI\nVersion: {}\n{}\n".format(
        version, "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"invokeai-{version}.dist-info/METADATA", metadata)
    return path
