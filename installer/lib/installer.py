"""The installer's logic: check the Python, find the wheel, create or reuse the root's virtual
environment, install the wheel into it, write the launchers and check that the app starts.

The pure parts (parsing names, planning pip's command lines, filling templates) are plain
functions, kept apart from the steps that touch the disk or run programs. Every failure is raised
as an `InstallError` carrying one message that says what happened and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

import messages

# The oldest Python this code runs on; the range the app supports comes from the install script.
MIN_SUPPORTED = (3, 10)
APP_NAME = "invokeai"
VENV_DIR = ".venv"
# What `venv` puts in an environment. A broken `.venv` holding only these (or a pyvenv.cfg) was made
# by `venv` and may be recreated; anything else is left alone.
VENV_ENTRIES = frozenset({"bin", "Scripts", "include", "Include", "lib", "Lib", "lib64", "pyvenv.cfg", ".gitignore"})
MB = 1024 * 1024
# Rough size of a fresh environment holding pip, and how much an installed wheel takes beside
# its own size (unpacked files and their byte-code).
VENV_BYTES = 30 * MB
WHEEL_SPACE_FACTOR = 3
PROBE_TIMEOUT = 120.0
PIP_TIMEOUT = 3600.0
NO_SPACE_MARKERS = ("no space left on device", "[errno 28]", "not enough space on the disk")
PLACEHOLDER = re.compile(r"@[A-Z][A-Z_]*@")
# name-version(-build)?-python-abi-platform.whl, matched whole
WHEEL_NAME = re.compile(
    r"(?P<name>[A-Za-z0-9_.]+)-(?P<version>[A-Za-z0-9_.!+]+)(?:-\d\w*)?-\w[\w.]*-\w[\w.]*-\w[\w.]*\.whl"
)
# Print the interpreter's version, whether pip is there and the installed app's version.
VENV_PROBE = (
    "import sys, importlib.util\n"
    "try:\n"
    "    from importlib.metadata import version, PackageNotFoundError\n"
    "    try:\n"
    "        app = version('InvokeAI')\n"
    "    except PackageNotFoundError:\n"
    "        app = '-'\n"
    "except ImportError:\n"
    "    app = '-'\n"
    "pip = 'pip' if importlib.util.find_spec('pip') else '-'\n"
    "print('%d.%d %s %s' % (sys.version_info[0], sys.version_info[1], pip, app))\n"
)


class InstallError(Exception):
    """A failure the user can act on: `message` says what happened and what to do."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class Declined(Exception):
    """The user answered no to the confirmation question."""


# --- Python versions -------------------------------------------------------------------------


def parse_major_minor(text: str) -> tuple[int, int]:
    """`"3.10"` -> `(3, 10)`."""
    major, sep, minor = text.strip().partition(".")
    if not sep or not major.isdigit() or not minor.isdigit():
        raise ValueError(f"not a MAJOR.MINOR Python version: {text!r}")
    return int(major), int(minor)


def format_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class PythonRange:
    """The Python versions the app supports: `minimum` <= version < `maximum_exclusive`."""

    minimum: tuple[int, int]
    maximum_exclusive: tuple[int, int]

    @classmethod
    def parse(cls, minimum: str, maximum_exclusive: str) -> PythonRange:
        low, high = parse_major_minor(minimum), parse_major_minor(maximum_exclusive)
        if low[0] != high[0] or low >= high:
            raise ValueError(f"not a supported Python range: {minimum} up to {maximum_exclusive}")
        return cls(low, high)

    def accepts(self, version: tuple[int, int]) -> bool:
        return self.minimum <= version < self.maximum_exclusive

    @property
    def newest(self) -> tuple[int, int]:
        return self.maximum_exclusive[0], self.maximum_exclusive[1] - 1

    def describe(self) -> str:
        """`"3.10 and 3.13"`: both ends included, as users read it."""
        return f"{format_version(self.minimum)} and {format_version(self.newest)}"


def accepted(version: tuple[int, int], python_range: PythonRange | None) -> bool:
    if python_range is None:
        return version >= MIN_SUPPORTED
    return python_range.accepts(version)


def check_python(version: tuple[int, int], executable: str, python_range: PythonRange | None) -> None:
    """Refuse an interpreter outside the supported range (the install script checked it already)."""
    if not accepted(version, python_range):
        supported = python_range.describe() if python_range else f"{format_version(MIN_SUPPORTED)} and newer"
        raise InstallError(messages.python_unsupported(format_version(version), supported, executable))


def check_venv_support(version: tuple[int, int], executable: str) -> None:
    """Make sure this Python can create virtual environments with pip in them."""
    for module in ("venv", "ensurepip"):
        if importlib.util.find_spec(module) is None:
            raise InstallError(messages.no_venv_module(format_version(version), executable, module))


# --- the wheel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    path: Path
    version: str


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_wheel_name(path: Path) -> Wheel | None:
    """The InvokeAI wheel named by `path`, or None when it is not one."""
    match = WHEEL_NAME.fullmatch(path.name)
    if match is None or normalize_name(match["name"]) != APP_NAME:
        return None
    return Wheel(path, match["version"])


def locate_wheel(bundle_dir: Path, bundled_name: str | None, explicit: Path | None) -> Wheel:
    """The wheel to install: `--wheel FILE`, else the bundled one, by name or as the only one there."""
    if explicit is not None:
        if not explicit.is_file():
            raise InstallError(messages.wheel_not_found(explicit))
        wheel = parse_wheel_name(explicit)
        if wheel is None:
            raise InstallError(messages.not_an_invokeai_wheel(explicit))
        return wheel
    if bundled_name:
        path = bundle_dir / bundled_name
        if not path.is_file():
            raise InstallError(messages.wheel_missing(path))
        wheel = parse_wheel_name(path)
        if wheel is None:
            raise InstallError(messages.not_an_invokeai_wheel(path))
        return wheel
    try:
        entries = sorted(bundle_dir.iterdir())
    except OSError:
        entries = []
    found = [w for w in (parse_wheel_name(p) for p in entries if p.is_file()) if w is not None]
    if not found:
        raise InstallError(messages.no_bundled_wheel(bundle_dir))
    if len(found) > 1:
        raise InstallError(messages.several_bundled_wheels(bundle_dir, [w.path.name for w in found]))
    return found[0]


def requirements_of(metadata: str) -> list[str]:
    """The Requires-Dist entries of a METADATA file that always apply (not only under an extra)."""
    requirements = HeaderParser().parsestr(metadata).get_all("Requires-Dist") or []
    return [str(r) for r in requirements if not re.search(r";.*\bextra\s*==", str(r))]


def wheel_requirements(wheel: Path) -> list[str]:
    """The dependencies the wheel declares; also proves it is a readable wheel."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(names) != 1:
                raise InstallError(messages.wheel_damaged(wheel, "it has no single .dist-info/METADATA"))
            metadata = archive.read(names[0]).decode("utf-8")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        raise InstallError(messages.wheel_damaged(wheel, describe_error(exc))) from None
    return requirements_of(metadata)


# --- plans -------------------------------------------------------------------------------------

PIP_INSTALL = ("-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-warn-script-location")


def pip_commands(python: Path, wheel: Path, find_links: Sequence[Path], has_requirements: bool) -> list[list[str]]:
    """pip's command lines to install `wheel` into the environment of `python`.

    The wheel itself is always force-reinstalled without its dependencies, from the file and with no
    index: installing the same version again repairs it, a newer one upgrades, an older one
    downgrades, and the app needs no network. Only when the wheel declares dependencies does a
    first, ordinary install bring the missing ones in (from the index and the --find-links folders).
    """
    links = [f"--find-links={folder}" for folder in find_links]
    commands: list[list[str]] = []
    if has_requirements:
        commands.append([str(python), *PIP_INSTALL, *links, "--upgrade-strategy", "only-if-needed", str(wheel)])
    commands.append([str(python), *PIP_INSTALL, "--no-index", *links, "--force-reinstall", "--no-deps", str(wheel)])
    return commands


def space_needed(wheel_size: int, new_venv: bool) -> int:
    """Rough bytes an install takes: the wheel unpacked and compiled, plus a fresh environment."""
    return WHEEL_SPACE_FACTOR * wheel_size + (VENV_BYTES if new_venv else 0)


def to_mb(size: int) -> int:
    return max(1, -(-size // MB))


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder (a name in capitals between at-signs) by its value in `values`.

    Every placeholder in the template must have a value.
    """
    unknown = sorted({m[1:-1] for m in PLACEHOLDER.findall(template)} - set(values))
    if unknown:
        raise ValueError(f"the template has placeholders with no value: {', '.join(unknown)}")
    return PLACEHOLDER.sub(lambda m: values[m.group()[1:-1]], template)


def sh_value(value: str) -> str:
    """A value for a POSIX shell script: quoted when it needs to be."""
    return shlex.quote(value)


def bat_value(value: str) -> str:
    """A value for inside double quotes in a batch file: `%` would start a variable."""
    return value.replace("%", "%%")


def with_line_endings(text: str, newline: str) -> str:
    return "".join(line + newline for line in text.splitlines())


@dataclass(frozen=True)
class Launcher:
    template: str
    name: str
    windows: bool


LAUNCHER_SH = Launcher("invoke.sh.in", "invoke.sh", windows=False)
LAUNCHER_BAT = Launcher("invoke.bat.in", "invoke.bat", windows=True)


def launcher_for_platform(windows: bool) -> Launcher:
    return LAUNCHER_BAT if windows else LAUNCHER_SH


def render_launcher(template: str, launcher: Launcher, root: Path, venv: Path, version: str) -> bytes:
    """The launcher's bytes: the template filled with the root, the environment and the version."""
    quote = bat_value if launcher.windows else sh_value
    text = fill_template(template, {"ROOT": quote(str(root)), "VENV": quote(str(venv)), "VERSION": version})
    return with_line_endings(text, "\r\n" if launcher.windows else "\n").encode("utf-8")


# --- environment and effects ------------------------------------------------------------------


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def is_disk_full(exc: BaseException | None = None, output: str = "") -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = output.lower()
    return any(marker in text for marker in NO_SPACE_MARKERS)


def free_space(path: Path) -> int | None:
    """Free bytes on the disk holding `path` (or its nearest existing parent), if known."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def disk_full_error(path: Path, needed: int) -> InstallError:
    free = free_space(path)
    return InstallError(messages.disk_full(path, to_mb(needed), None if free is None else free // MB))


def unexpected_os_error(exc: OSError, root: Path) -> InstallError:
    """One message for an OSError no step expected."""
    if is_disk_full(exc):
        return disk_full_error(root, VENV_BYTES)
    return InstallError(messages.os_error(str(exc.filename or ""), describe_error(exc)))


@dataclass(frozen=True)
class Ran:
    code: int
    output: str


def run_tool(command: Sequence[str], timeout: float) -> Ran:
    """Run a program with no input, capturing its stdout and stderr together."""
    completed = subprocess.run(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    return Ran(completed.returncode, completed.stdout or "")


def venv_bin(venv: Path, program: str, windows: bool) -> Path:
    return venv / "Scripts" / f"{program}.exe" if windows else venv / "bin" / program


@dataclass(frozen=True)
class VenvState:
    """What is at `<root>/.venv`: missing, healthy (usable as it is), broken (ours to recreate) or
    foreign (not ours: left alone)."""

    kind: str
    python_version: str = ""
    app_version: str | None = None
    reason: str = ""


def looks_like_venv(folder: Path) -> bool:
    try:
        entries = {p.name for p in folder.iterdir()}
    except OSError:
        return False
    return "pyvenv.cfg" in entries or entries <= VENV_ENTRIES


def probe_venv(python: Path) -> Ran | None:
    try:
        return run_tool([str(python), "-E", "-s", "-c", VENV_PROBE], PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None


def inspect_venv(venv: Path, python_range: PythonRange | None, windows: bool) -> VenvState:
    if not os.path.lexists(venv):
        return VenvState("missing")
    if not venv.is_dir():
        return VenvState("foreign")
    state = probe_state(venv, python_range, windows)
    if state.kind == "broken" and not looks_like_venv(venv):
        return VenvState("foreign")
    return state


def probe_state(venv: Path, python_range: PythonRange | None, windows: bool) -> VenvState:
    """Healthy or broken, judged by running the environment's Python."""
    python = venv_bin(venv, "python", windows)
    ran = probe_venv(python) if python.exists() else None
    fields = ran.output.split() if ran is not None and ran.code == 0 else []
    try:
        version_text, pip, app = fields
        version = parse_major_minor(version_text)
    except ValueError:
        return VenvState("broken", reason="its Python does not run")
    app_version = None if app == "-" else app
    if not accepted(version, python_range):
        reason = f"it was made with Python {version_text}, which this version does not support"
        return VenvState("broken", version_text, app_version, reason)
    if pip != "pip":
        return VenvState("broken", version_text, app_version, "pip is missing from it")
    return VenvState("healthy", version_text, app_version)


def create_venv(venv: Path, clear: bool, needed: int) -> None:
    """Create the environment with pip; `clear` empties a broken one first."""
    import venv as venv_module

    builder = venv_module.EnvBuilder(with_pip=True, clear=clear, symlinks=os.name != "nt")
    try:
        builder.create(str(venv))
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(venv.parent, needed) from None
        raise InstallError(messages.venv_failed(venv, describe_error(exc))) from None
    except subprocess.CalledProcessError as exc:
        output = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode(errors="replace")
        if is_disk_full(output=output):
            raise disk_full_error(venv.parent, needed) from None
        raise InstallError(messages.venv_failed(venv, output or str(exc))) from None


def prepare_root(root: Path, needed: int) -> None:
    """Create the root if needed and prove it is writable, without touching what is in it."""
    if root.exists() and not root.is_dir():
        raise InstallError(messages.root_is_a_file(root))
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".invokeai-install-", dir=root)
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        raise InstallError(messages.root_is_a_file(root)) from None
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(root, needed) from None
        raise InstallError(messages.root_not_writable(root, describe_error(exc))) from None


def write_file(path: Path, data: bytes, mode: int, needed: int) -> None:
    """Write `data` to a temporary name beside `path`, then rename it into place."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(path.parent, needed) from None
        raise InstallError(messages.write_failed(path, describe_error(exc))) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def run_pip(commands: Iterable[Sequence[str]], needed: int, root: Path) -> None:
    for command in commands:
        try:
            ran = run_tool(command, PIP_TIMEOUT)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(root, needed) from None
            raise InstallError(messages.pip_did_not_start(Path(command[0]), describe_error(exc))) from None
        except subprocess.TimeoutExpired:
            raise InstallError(messages.pip_failed(-1, f"pip did not finish within {PIP_TIMEOUT:.0f} s")) from None
        if ran.code != 0:
            if is_disk_full(output=ran.output):
                raise disk_full_error(root, needed)
            raise InstallError(messages.pip_failed(ran.code, ran.output))


def check_app(program: Path) -> str:
    """Run `invokeai-web --version` from the environment; return what it printed."""
    try:
        ran = run_tool([str(program), "--version"], PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(messages.app_does_not_start(program, describe_error(exc))) from None
    if ran.code != 0:
        raise InstallError(messages.app_does_not_start(program, ran.output))
    return ran.output.strip()


# --- the whole run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What to install where, as the command line asked."""

    root: Path
    bundle_dir: Path
    bundled_wheel: str | None = None
    wheel: Path | None = None
    find_links: tuple[Path, ...] = ()
    python_range: PythonRange | None = None
    yes: bool = False


@dataclass(frozen=True)
class Outcome:
    version: str
    previous: str | None
    upgraded: bool
    root: Path
    venv: Path
    python_version: str
    launcher: Path


def install(
    request: Request,
    *,
    interactive: bool,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    windows: bool = os.name == "nt",
) -> Outcome:
    """Install or upgrade InvokeAI as `request` says; raise InstallError or Declined when it cannot."""
    version = sys.version_info[:2]
    check_python(version, sys.executable, request.python_range)
    check_venv_support(version, sys.executable)
    wheel = locate_wheel(request.bundle_dir, request.bundled_wheel, request.wheel)
    has_requirements = bool(wheel_requirements(wheel.path))
    for folder in request.find_links:
        if not folder.is_dir():
            raise InstallError(messages.find_links_missing(folder))
    templates = request.bundle_dir / "templates"
    launcher = launcher_for_platform(windows)
    try:
        launcher_template = (templates / launcher.template).read_text(encoding="utf-8")
    except OSError as exc:
        raise InstallError(messages.template_missing(templates / launcher.template, describe_error(exc))) from None

    root = request.root
    venv = root / VENV_DIR
    if root.exists() and not root.is_dir():
        raise InstallError(messages.root_is_a_file(root))
    state = inspect_venv(venv, request.python_range, windows) if root.is_dir() else VenvState("missing")
    if state.kind == "foreign":
        raise InstallError(messages.venv_foreign(venv))
    upgrading = state.kind != "missing"

    if not request.yes:
        if not interactive:
            raise InstallError(messages.not_a_terminal(root), exit_code=2)
        question = (
            messages.confirm_upgrade(wheel.version, root, state.app_version)
            if upgrading
            else messages.confirm_new(wheel.version, root)
        )
        if not confirm(question, ask):
            raise Declined(messages.cancelled(root))

    needed = space_needed(wheel.path.stat().st_size, new_venv=state.kind != "healthy")
    free = free_space(root)
    if free is not None and free < needed:
        raise disk_full_error(root, needed)
    prepare_root(root, needed)

    python = venv_bin(venv, "python", windows)
    if state.kind == "healthy":
        say(messages.reusing_venv(venv, state.python_version))
        python_version = state.python_version
    else:
        if state.kind == "broken":
            say(messages.recreating_venv(venv, state.reason))
        else:
            say(messages.creating_venv(venv))
        create_venv(venv, clear=state.kind == "broken", needed=needed)
        fresh = inspect_venv(venv, request.python_range, windows)
        if fresh.kind != "healthy":
            raise InstallError(messages.venv_failed(venv, fresh.reason or "the new environment does not work"))
        python_version = fresh.python_version

    say(messages.installing_wheel(wheel.path))
    run_pip(pip_commands(python, wheel.path, request.find_links, has_requirements), needed, root)

    target = root / launcher.name
    say(messages.writing_launcher(target))
    data = render_launcher(launcher_template, launcher, root, venv, wheel.version)
    write_file(target, data, 0o644 if windows else 0o755, needed)

    say(messages.checking_app())
    check_app(venv_bin(venv, "invokeai-web", windows))
    return Outcome(
        version=wheel.version,
        previous=state.app_version,
        upgraded=upgrading,
        root=root,
        venv=venv,
        python_version=python_version,
        launcher=target,
    )


def confirm(question: str, ask: Callable[[str], str]) -> bool:
    try:
        answer = ask(question)
    except EOFError:
        return False
    return answer.strip().lower() in messages.YES_ANSWERS
