"""Every text the installer shows: progress lines, questions, the summary and the error messages.

Each error message says what happened and what to do about it, in one paragraph.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

DOWNLOAD_PYTHON = "https://www.python.org/downloads/"
APP_URL = "http://127.0.0.1:9090/"

# --- command line -----------------------------------------------------------------------------

DESCRIPTION = "Install InvokeAI, or upgrade an existing installation, into a root folder."
HELP_ROOT = "the folder to install into (default: $INVOKEAI_ROOT, or ~/invokeai when it is not set)"
HELP_YES = "unattended: install without asking any question"
HELP_FIND_LINKS = "a folder of extra wheels for pip to look in (may be given more than once)"
HELP_WHEEL = "install this InvokeAI wheel instead of the one that comes with the installer"
EPILOG = (
    "Running the installer again with the same root upgrades InvokeAI in place: your files under the root are kept."
)

# --- progress ---------------------------------------------------------------------------------


def banner(version: str | None, python: str, python_version: str) -> str:
    name = f"InvokeAI {version} installer" if version else "InvokeAI installer"
    return f"{name}, running on Python {python_version} ({python})"


def step(text: str) -> str:
    return f"==> {text}"


def creating_venv(venv: Path) -> str:
    return step(f"Creating the app's Python environment in {venv}")


def recreating_venv(venv: Path, reason: str) -> str:
    return step(f"Recreating the app's Python environment in {venv} ({reason})")


def reusing_venv(venv: Path, python_version: str) -> str:
    return step(f"Using the existing Python environment in {venv} (Python {python_version})")


def installing_wheel(wheel: Path) -> str:
    return step(f"Installing {wheel.name}")


def writing_launcher(launcher: Path) -> str:
    return step(f"Writing the launcher {launcher}")


def checking_app() -> str:
    return step("Checking that the app starts")


# --- the question ------------------------------------------------------------------------------


def confirm_new(version: str, root: Path) -> str:
    return f"InvokeAI {version} will be installed into {root}.\nContinue? [Y/n] "


def confirm_upgrade(version: str, root: Path, installed: str | None) -> str:
    what = f"InvokeAI {installed}" if installed else "an existing installation"
    return (
        f"{root} holds {what}; it will be upgraded to InvokeAI {version}. Your files there are kept.\nContinue? [Y/n] "
    )


def cancelled(root: Path) -> str:
    return f"Nothing was changed in {root}. To install somewhere else, run the installer again with --root DIR."


YES_ANSWERS = ("", "y", "yes")

# --- the summary -------------------------------------------------------------------------------


def command_line(path: Path, windows: bool) -> str:
    """`path` as it is typed in a terminal: quoted when it holds spaces or special characters."""
    text = str(path)
    if windows:
        return f'"{text}"' if any(c in text for c in " &()[]{}^=;!+,`~") else text
    return shlex.quote(text)


def summary(
    *,
    version: str,
    previous: str | None,
    upgraded: bool,
    root: Path,
    venv: Path,
    python_version: str,
    launcher: Path,
    windows: bool,
) -> str:
    if upgraded and previous and previous != version:
        headline = f"InvokeAI {previous} was replaced by InvokeAI {version} in {root}."
    elif upgraded:
        headline = f"InvokeAI {version} was reinstalled in {root}."
    else:
        headline = f"InvokeAI {version} is installed in {root}."
    start = command_line(launcher, windows)
    return "\n".join(
        [
            "",
            headline,
            f"  Python environment: {venv} (Python {python_version})",
            f"  launcher:           {launcher}",
            "",
            "Start InvokeAI with:",
            f"  {start}",
            f"then open {APP_URL} in your browser. Options are passed to the app, for example:",
            f"  {start} --port 9091",
            "",
            "To upgrade, run the installer of the new version with the same root: your files are kept.",
        ]
    )


# --- errors --------------------------------------------------------------------------------------


def python_unsupported(version: str, supported: str, executable: str) -> str:
    return (
        f"Python {version} ({executable}) cannot run this version of InvokeAI, which needs a Python "
        f"between {supported}. Install one from {DOWNLOAD_PYTHON} or your package manager, then run "
        "the installer again."
    )


def no_venv_module(python_version: str, executable: str, missing: str) -> str:
    return (
        f"Python {python_version} ({executable}) cannot create virtual environments: its `{missing}` module "
        "is missing. On Debian and Ubuntu, install it with `sudo apt install python3-venv` "
        f"(or `sudo apt install python{python_version}-venv` for this Python); on other systems, install "
        f"Python from {DOWNLOAD_PYTHON}. Then run the installer again."
    )


def wheel_missing(wheel: Path) -> str:
    return (
        f"The InvokeAI package {wheel.name} was not found in {wheel.parent}. The installer folder is "
        "incomplete: unzip the whole installer zip again, keeping the .whl file beside install.sh, "
        "or give the package to install with --wheel FILE."
    )


def wheel_not_found(wheel: Path) -> str:
    return f"The wheel {wheel} given with --wheel does not exist. Check the path and run the installer again."


def no_bundled_wheel(folder: Path) -> str:
    return (
        f"No InvokeAI package (invokeai-*.whl) was found in {folder}. The installer folder is incomplete: "
        "unzip the whole installer zip again, or give the package to install with --wheel FILE."
    )


def several_bundled_wheels(folder: Path, names: Sequence[str]) -> str:
    return (
        f"{folder} holds several InvokeAI packages ({', '.join(names)}), so the installer cannot tell which "
        "one to install. Remove the extra ones, or choose one with --wheel FILE."
    )


def not_an_invokeai_wheel(wheel: Path) -> str:
    return (
        f"{wheel} is not an InvokeAI wheel (expected a name like invokeai-<version>-py3-none-any.whl). "
        "Give an InvokeAI wheel with --wheel FILE."
    )


def wheel_damaged(wheel: Path, detail: str) -> str:
    return (
        f"The InvokeAI package {wheel} is damaged ({detail}). Download the installer again, "
        "unzip it, and run the installer again."
    )


def template_missing(template: Path, detail: str) -> str:
    return (
        f"The launcher template {template} cannot be read ({detail}). The installer folder is incomplete: "
        "unzip the whole installer zip again, then run the installer again."
    )


def find_links_missing(folder: Path) -> str:
    return f"The folder {folder} given with --find-links does not exist. Check the path and run the installer again."


def root_is_a_file(root: Path) -> str:
    return (
        f"{root} is a file, not a folder, so InvokeAI cannot be installed there. Choose another folder with --root DIR."
    )


def root_not_writable(root: Path, detail: str) -> str:
    return (
        f"The installer cannot write to {root} ({detail}). Choose a folder you can write to with --root DIR, "
        "or fix the folder's permissions, then run the installer again."
    )


def venv_foreign(venv: Path) -> str:
    return (
        f"{venv} exists but is not a Python environment the installer can repair, and the installer never "
        "deletes files it did not create. Move it out of the way (or choose another folder with --root DIR), "
        "then run the installer again."
    )


def venv_failed(venv: Path, output: str) -> str:
    return (
        f"Creating the Python environment in {venv} failed.{_tail(output)}\n"
        "Run the installer again; if it fails the same way, delete that .venv folder (only it: your files "
        "elsewhere in the root are not affected) and try once more."
    )


def disk_full(path: Path, needed_mb: int, free_mb: int | None) -> str:
    free = f" (about {free_mb} MB free now)" if free_mb is not None else ""
    return (
        f"The disk holding {path} is full{free}. InvokeAI needs roughly {needed_mb} MB there. Free some "
        "space, or choose a folder on another disk with --root DIR, then run the installer again."
    )


def pip_failed(code: int, output: str) -> str:
    return (
        f"pip could not install InvokeAI (exit code {code}).{_tail(output)}\n"
        "Fix the problem pip names above (on Windows, stop InvokeAI first if it is running) and run the "
        "installer again: your files under the root are kept."
    )


def pip_did_not_start(python: Path, detail: str) -> str:
    return (
        f"The Python environment's interpreter {python} could not be started ({detail}). Run the installer "
        "again: it recreates a broken environment."
    )


def app_does_not_start(command: Path, output: str) -> str:
    return (
        f"InvokeAI was installed but `{command} --version` failed.{_tail(output)}\n"
        "Run the installer again; if that does not help, please report the output above."
    )


def write_failed(path: Path, detail: str) -> str:
    return (
        f"The installer could not write {path} ({detail}). Check the folder's permissions and free space, "
        "then run the installer again."
    )


def not_a_terminal(root: Path) -> str:
    return (
        "The installer asks for confirmation before installing, but its input is not a terminal. "
        f"To install into {root} without questions, run it again with --yes."
    )


def os_error(path: str, detail: str) -> str:
    where = f" on {path}" if path else ""
    return (
        f"The installer failed{where}: {detail}. Check that the folder exists, that you can write to it and "
        "that its disk has free space, then run the installer again."
    )


def interrupted() -> str:
    return "Interrupted. Run the installer again to finish: it picks up where it stopped and keeps your files."


def _tail(output: str, lines: int = 15) -> str:
    """The last lines of a tool's output, indented, to quote under a message."""
    kept = [line.rstrip() for line in output.strip().splitlines()][-lines:]
    if not kept:
        return ""
    return " Its last lines:\n" + "\n".join(f"    {line}" for line in kept)
