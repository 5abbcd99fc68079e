from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, VERSION_FILE, app_version

# lib/ ships as it is: the tests importing it must leave no byte-code beside it.
sys.dont_write_bytecode = True


@pytest.fixture(scope="session")
def version() -> str:
    return app_version()


def build_wheel(work: Path, version: str | None = None) -> Path:
    """A wheel of the app, built from a copy of python/ (the tree stays untouched), with another version if given."""
    source = work / "python"
    shutil.copytree(
        REPO / "python",
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache", ".mypy_cache"),
    )
    if version is not None:
        version_file = source / VERSION_FILE.relative_to(REPO / "python")
        version_file.write_text(f'__version__ = "{version}"\n', encoding="utf-8")
    out = work / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, f"building the wheel failed:\n{built.stdout}\n{built.stderr}"
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def app_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's real wheel, built once per session."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def newer_version(version: str) -> str:
    return f"{version}.post1"


@pytest.fixture(scope="session")
def newer_wheel(tmp_path_factory: pytest.TempPathFactory, newer_version: str) -> Path:
    """The app's real wheel with a later version, as the next release would bring it."""
    return build_wheel(tmp_path_factory.mktemp("newer-wheel"), newer_version)
