"""Unit tests of the installer's logic; the failures that cannot be caused for real are simulated."""

from __future__ import annotations

import errno
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

import installer
from helpers import INSTALLER, fake_wheel
from installer import InstallError, PythonRange, Ran

RANGE = PythonRange((3, 10), (3, 14))
HERE = (sys.version_info[0], sys.version_info[1])


def bundle_with(tmp_path: Path, wheel_version: str = "1.2.3", requires: tuple[str, ...] = ()) -> Path:
    """An installer folder with the launcher templates and a fake wheel."""
    bundle = tmp_path / "bundle"
    shutil.copytree(INSTALLER / "templates", bundle / "templates")
    fake_wheel(bundle, wheel_version, requires)
    return bundle


def request(tmp_path: Path, **changes: object) -> installer.Request:
    fields: dict[str, object] = {
        "root": tmp_path / "root",
        "bundle_dir": bundle_with(tmp_path),
        "python_range": PythonRange((HERE[0], HERE[1]), (HERE[0], HERE[1] + 1)),
        "yes": True,
    }
    fields.update(changes)
    return installer.Request(**fields)  # type: ignore[arg-type]


# --- Python versions ----------------------------------------------------------------------------


def test_python_range_parses_and_describes_both_ends_included() -> None:
    parsed = PythonRange.parse("3.10", "3.14")
    assert parsed == RANGE
    assert parsed.describe() == "3.10 and 3.13"
    assert parsed.accepts((3, 10)) and parsed.accepts((3, 13))
    assert not parsed.accepts((3, 9)) and not parsed.accepts((3, 14))


@pytest.mark.parametrize(
    ("low", "high"), [("3.14", "3.10"), ("3.10", "3.10"), ("3.x", "3.14"), ("3.10", "4.0"), ("", "")]
)
def test_python_range_rejects_nonsense(low: str, high: str) -> None:
    with pytest.raises(ValueError):
        PythonRange.parse(low, high)


def test_python_outside_the_range_is_refused_with_the_range() -> None:
    with pytest.raises(InstallError) as caught:
        installer.check_python((3, 9), "/usr/bin/python3", RANGE)
    assert "Python 3.9 (/usr/bin/python3) cannot run this version of InvokeAI" in caught.value.message
    assert "between 3.10 and 3.13" in caught.value.message
    installer.check_python((3, 13), "/usr/bin/python3", RANGE)


def test_missing_venv_module_gives_the_debian_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "ensurepip" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(InstallError) as caught:
        installer.install(request(tmp_path), interactive=False, say=lambda _: None)
    message = caught.value.message
    assert "cannot create virtual environments: its `ensurepip` module is missing" in message
    assert "sudo apt install python3-venv" in message
    assert f"python{HERE[0]}.{HERE[1]}-venv" in message
    assert not (tmp_path / "root").exists()


# --- the wheel ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("invokeai-6.10.0rc1-py3-none-any.whl", "6.10.0rc1"),
        ("InvokeAI-6.10.0-py3-none-any.whl", "6.10.0"),
        ("invokeai-6.10.0.post1-1-py3-none-any.whl", "6.10.0.post1"),
        ("invokeai-6.10.0rc1-py3-none-any.whl\n", None),
        ("invokeai_web-1.0-py3-none-any.whl", None),
        ("other-1.0-py3-none-any.whl", None),
        ("invokeai-1.0.tar.gz", None),
    ],
)
def test_wheel_names(name: str, version: str | None) -> None:
    wheel = installer.parse_wheel_name(Path(name))
    assert (wheel.version if wheel else None) == version


def test_bundled_wheel_by_name(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, "6.10.0rc1")
    assert installer.locate_wheel(tmp_path, wheel.name, None) == installer.Wheel(wheel, "6.10.0rc1")


def test_bundled_wheel_missing_names_it(tmp_path: Path) -> None:
    with pytest.raises(InstallError) as caught:
        installer.locate_wheel(tmp_path, "invokeai-6.10.0rc1-py3-none-any.whl", None)
    assert caught.value.message.startswith(
        f"The InvokeAI package invokeai-6.10.0rc1-py3-none-any.whl was not found in {tmp_path}."
    )


def test_single_bundled_wheel_is_found_without_a_name(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, "2.0")
    (tmp_path / "other-1.0-py3-none-any.whl").write_bytes(b"")
    assert installer.locate_wheel(tmp_path, None, None).path == wheel


def test_no_or_several_bundled_wheels_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"No InvokeAI package \(invokeai-\*\.whl\) was found"):
        installer.locate_wheel(tmp_path, None, None)
    fake_wheel(tmp_path, "1.0")
    fake_wheel(tmp_path, "2.0")
    with pytest.raises(InstallError, match=r"several InvokeAI packages \(invokeai-1.0-.*, invokeai-2.0-.*\)"):
        installer.locate_wheel(tmp_path, None, None)


def test_wheel_option_wins_and_is_checked(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    chosen = fake_wheel(elsewhere, "3.0")
    fake_wheel(tmp_path, "1.0")
    assert installer.locate_wheel(tmp_path, "invokeai-1.0-py3-none-any.whl", chosen) == installer.Wheel(chosen, "3.0")
    other = tmp_path / "something-1.0-py3-none-any.whl"
    other.write_bytes(b"")
    with pytest.raises(InstallError, match="is not an InvokeAI wheel"):
        installer.locate_wheel(tmp_path, None, other)


def test_requirements_ignore_extras() -> None:
    metadata = (
        "Metadata-Version: 2.4\nName: InvokeAI\nRequires-Dist: numpy>=2\n"
        'Requires-Dist: pytest; extra == "test"\nRequires-Dist: colorama; sys_platform == "win32"\n'
    )
    assert installer.requirements_of(metadata) == ["numpy>=2", 'colorama; sys_platform == "win32"']


def test_damaged_wheel_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "invokeai-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InstallError, match=r"is damaged \(File is not a zip file\)"):
        installer.wheel_requirements(broken)
    assert installer.wheel_requirements(fake_wheel(tmp_path, "2.0", ("numpy",))) == ["numpy"]


# --- plans --------------------------------------------------------------------------------------


def test_pip_plan_without_dependencies_needs_no_network() -> None:
    commands = installer.pip_commands(Path("/r/.venv/bin/python"), Path("/b/app.whl"), [Path("/links")], False)
    assert commands == [
        [
            "/r/.venv/bin/python",
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-script-location",
            "--no-index",
            "--find-links=/links",
            "--force-reinstall",
            "--no-deps",
            "/b/app.whl",
        ]
    ]


def test_pip_plan_with_dependencies_installs_them_then_reinstalls_the_app() -> None:
    first, second = installer.pip_commands(Path("py"), Path("app.whl"), [], True)
    assert "--no-index" not in first and "--force-reinstall" not in first
    assert first[-3:] == ["--upgrade-strategy", "only-if-needed", "app.whl"]
    assert second[-4:] == ["--no-index", "--force-reinstall", "--no-deps", "app.whl"]


def test_fill_template_refuses_unknown_placeholders() -> None:
    assert installer.fill_template("a @X@ b @X@", {"X": "1"}) == "a 1 b 1"
    with pytest.raises(ValueError, match="no value: Y"):
        installer.fill_template("@X@ @Y@", {"X": "1"})


# --- disk full, pip failures, the root -----------------------------------------------------------


def test_disk_full_while_creating_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def create(self: venv.EnvBuilder, env_dir: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", env_dir)

    monkeypatch.setattr(venv.EnvBuilder, "create", create)
    with pytest.raises(InstallError) as caught:
        installer.create_venv(tmp_path / ".venv", clear=False, needed=45 * installer.MB)
    message = caught.value.message
    assert message.startswith(f"The disk holding {tmp_path} is full (about ")
    assert "InvokeAI needs roughly 45 MB there" in message
    assert "--root DIR" in message


def test_disk_full_inside_ensurepip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def create(self: venv.EnvBuilder, env_dir: str) -> None:
        raise subprocess.CalledProcessError(1, ["python", "-m", "ensurepip"], output="OSError: [Errno 28] No space")

    monkeypatch.setattr(venv.EnvBuilder, "create", create)
    with pytest.raises(InstallError, match=f"The disk holding {tmp_path} is full"):
        installer.create_venv(tmp_path / ".venv", clear=False, needed=installer.MB)


def test_other_environment_failures_quote_the_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def create(self: venv.EnvBuilder, env_dir: str) -> None:
        raise subprocess.CalledProcessError(1, ["python"], output="line one\nensurepip exploded\n")

    monkeypatch.setattr(venv.EnvBuilder, "create", create)
    with pytest.raises(InstallError) as caught:
        installer.create_venv(tmp_path / ".venv", clear=False, needed=installer.MB)
    assert f"Creating the Python environment in {tmp_path / '.venv'} failed. Its last lines:" in caught.value.message
    assert "    ensurepip exploded" in caught.value.message


def fake_pip(monkeypatch: pytest.MonkeyPatch, result: Ran) -> list[Sequence[str]]:
    calls: list[Sequence[str]] = []

    def run_tool(command: Sequence[str], timeout: float) -> Ran:
        calls.append(command)
        return result

    monkeypatch.setattr(installer, "run_tool", run_tool)
    return calls


def test_disk_full_during_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_pip(monkeypatch, Ran(1, "ERROR: Could not install packages due to an OSError: [Errno 28] No space left"))
    with pytest.raises(InstallError, match=f"The disk holding {tmp_path} is full .*roughly 3 MB"):
        installer.run_pip([["pip", "install"]], 3 * installer.MB, tmp_path)


def test_disk_full_raised_while_starting_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def run_tool(command: Sequence[str], timeout: float) -> Ran:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(installer, "run_tool", run_tool)
    with pytest.raises(InstallError, match="is full"):
        installer.run_pip([["pip", "install"]], installer.MB, tmp_path)


def test_pip_failure_shows_its_last_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    output = "\n".join(f"pip line {n}" for n in range(1, 31))
    calls = fake_pip(monkeypatch, Ran(2, output))
    with pytest.raises(InstallError) as caught:
        installer.run_pip([["first"], ["second"]], installer.MB, tmp_path)
    message = caught.value.message
    assert message.startswith("pip could not install InvokeAI (exit code 2). Its last lines:\n")
    assert "    pip line 30\n" in message and "    pip line 16\n" in message
    assert "pip line 15\n" not in message
    assert calls == [["first"]], "pip stops at the first failing command"


def test_root_that_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.write_text("", encoding="utf-8")
    with pytest.raises(InstallError, match="is a file, not a folder"):
        installer.prepare_root(root, installer.MB)
    with pytest.raises(InstallError, match="is a file, not a folder"):
        installer.prepare_root(root / "below", installer.MB)


def test_root_not_writable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def mkstemp(**_: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(InstallError) as caught:
        installer.prepare_root(tmp_path / "root", installer.MB)
    assert caught.value.message.startswith(
        f"The installer cannot write to {tmp_path / 'root'} (Permission denied). Choose a folder you can write to"
    )


def test_not_enough_free_space_stops_before_writing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(installer, "free_space", lambda path: 1024)
    with pytest.raises(InstallError, match=r"is full \(about 0 MB free now\)\. InvokeAI needs roughly 31 MB"):
        installer.install(request(tmp_path), interactive=False, say=lambda _: None)
    assert not (tmp_path / "root").exists()


# --- the environment in the root ----------------------------------------------------------------


def test_environment_states(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    assert installer.inspect_venv(venv_dir, RANGE, windows=False).kind == "missing"
    venv_dir.write_text("a file", encoding="utf-8")
    assert installer.inspect_venv(venv_dir, RANGE, windows=False).kind == "foreign"
    venv_dir.unlink()
    (venv_dir / "my-notes").mkdir(parents=True)
    assert installer.inspect_venv(venv_dir, RANGE, windows=False).kind == "foreign"
    (venv_dir / "pyvenv.cfg").write_text("home = /nowhere\n", encoding="utf-8")
    broken = installer.inspect_venv(venv_dir, RANGE, windows=False)
    assert (broken.kind, broken.reason) == ("broken", "its Python does not run")


def test_environment_of_an_unsupported_python_is_broken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("", encoding="utf-8")
    fake_pip(monkeypatch, Ran(0, "3.9 pip 5.0.0\n"))
    state = installer.inspect_venv(tmp_path / ".venv", RANGE, windows=False)
    assert (state.kind, state.app_version) == ("broken", "5.0.0")
    assert state.reason == "it was made with Python 3.9, which this version does not support"
    fake_pip(monkeypatch, Ran(0, "3.12 - -\n"))
    assert installer.inspect_venv(tmp_path / ".venv", RANGE, windows=False).reason == "pip is missing from it"
    fake_pip(monkeypatch, Ran(0, "3.12 pip 6.0\n"))
    healthy = installer.inspect_venv(tmp_path / ".venv", RANGE, windows=False)
    assert (healthy.kind, healthy.python_version, healthy.app_version) == ("healthy", "3.12", "6.0")


def test_foreign_venv_folder_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "root" / ".venv" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine", encoding="utf-8")
    with pytest.raises(InstallError, match="exists but is not a Python environment the installer can repair"):
        installer.install(request(tmp_path), interactive=False, say=lambda _: None)
    assert notes.read_text(encoding="utf-8") == "mine"


# --- asking ---------------------------------------------------------------------------------------


def test_without_a_terminal_it_refuses_unless_yes(tmp_path: Path) -> None:
    with pytest.raises(InstallError) as caught:
        installer.install(request(tmp_path, yes=False), interactive=False, say=lambda _: None)
    assert caught.value.exit_code == 2
    assert "run it again with --yes" in caught.value.message
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("answer", ["n", "no", "N", "later"])
def test_answering_no_changes_nothing(tmp_path: Path, answer: str) -> None:
    questions: list[str] = []

    def ask(question: str) -> str:
        questions.append(question)
        return answer

    with pytest.raises(installer.Declined, match="Nothing was changed in"):
        installer.install(request(tmp_path, yes=False), interactive=True, ask=ask, say=lambda _: None)
    assert questions == [f"InvokeAI 1.2.3 will be installed into {tmp_path / 'root'}.\nContinue? [Y/n] "]
    assert not (tmp_path / "root").exists()


def test_end_of_input_means_no(tmp_path: Path) -> None:
    def ask(question: str) -> str:
        raise EOFError

    with pytest.raises(installer.Declined):
        installer.install(request(tmp_path, yes=False), interactive=True, ask=ask, say=lambda _: None)


@pytest.mark.parametrize("answer", ["", "y", "Yes "])
def test_yes_answers(answer: str) -> None:
    assert installer.confirm("?", lambda _: answer)
