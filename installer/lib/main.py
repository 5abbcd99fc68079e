"""The InvokeAI installer's entry point.

`install.sh` and `install.bat` pick a Python in the supported range and run this file with it,
passing the user's arguments through after the ones they fill in at build time (the bundled
version and wheel name, the Python range). It can also be run by hand:
`python lib/main.py --root DIR`; the wheel is then the single `invokeai-*.whl` beside `lib/`.
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 10):  # noqa: UP036 - a clear message instead of a syntax error further on
    sys.stderr.write("error: the InvokeAI installer needs Python 3.10 or newer; run install.sh or install.bat\n")
    sys.exit(1)

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import installer
import messages

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# The unpacked installer folder: lib/ and the bundled wheel sit in it.
BUNDLE_DIR = Path(__file__).resolve().parent.parent


def default_root(environ: Mapping[str, str]) -> str:
    return environ.get("INVOKEAI_ROOT") or "~/invokeai"


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="install.bat" if os.name == "nt" else "install.sh",
        description=messages.DESCRIPTION,
        epilog=messages.EPILOG,
    )
    parser.add_argument("-r", "--root", metavar="DIR", default=default_root(environ), help=messages.HELP_ROOT)
    parser.add_argument("-y", "--yes", "--yes-to-all", dest="yes", action="store_true", help=messages.HELP_YES)
    parser.add_argument(
        "--find-links", metavar="DIR", type=Path, action="append", default=[], help=messages.HELP_FIND_LINKS
    )
    parser.add_argument("--wheel", metavar="FILE", type=Path, help=messages.HELP_WHEEL)
    # Filled in by the install scripts at build time, not meant to be typed.
    parser.add_argument("--bundled-version", help=argparse.SUPPRESS)
    parser.add_argument("--bundled-wheel", help=argparse.SUPPRESS)
    parser.add_argument("--python-min", help=argparse.SUPPRESS)
    parser.add_argument("--python-max-exclusive", help=argparse.SUPPRESS)
    return parser


def absolute(path: str | Path) -> Path:
    """`path` with `~` expanded, made absolute against the current folder (symlinks kept)."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def parse_request(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[installer.Request, str | None]:
    """The install request the command line asks for, and the bundled version if the script gave it."""
    parser = build_parser(environ)
    args = parser.parse_args(argv)
    python_range = None
    if args.python_min or args.python_max_exclusive:
        try:
            python_range = installer.PythonRange.parse(args.python_min or "", args.python_max_exclusive or "")
        except ValueError as exc:
            parser.error(str(exc))
    request = installer.Request(
        root=absolute(args.root),
        bundle_dir=BUNDLE_DIR,
        bundled_wheel=args.bundled_wheel or None,
        wheel=absolute(args.wheel) if args.wheel else None,
        find_links=tuple(absolute(p) for p in args.find_links),
        python_range=python_range,
        yes=args.yes,
    )
    return request, args.bundled_version or None


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    request, bundled_version = parse_request(sys.argv[1:] if argv is None else argv, os.environ)
    version_text = "{}.{}.{}".format(*sys.version_info[:3])
    print(messages.banner(bundled_version, sys.executable, version_text), flush=True)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    try:
        outcome = installer.install(request, interactive=interactive)
    except installer.Declined as declined:
        print(declined, flush=True)
        return EXIT_FAILURE
    except installer.InstallError as error:
        print(f"error: {error.message}", file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"\n{messages.interrupted()}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        # A failure on a path no step expected: still one message, naming the file.
        unexpected = installer.unexpected_os_error(exc, request.root)
        print(f"error: {unexpected.message}", file=sys.stderr, flush=True)
        return unexpected.exit_code
    print(
        messages.summary(
            version=outcome.version,
            previous=outcome.previous,
            upgraded=outcome.upgraded,
            root=outcome.root,
            venv=outcome.venv,
            python_version=outcome.python_version,
            launcher=outcome.launcher,
            windows=os.name == "nt",
        ),
        flush=True,
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
