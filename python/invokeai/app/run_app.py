"""Command line entry point: ``invokeai-web``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import Any, TypeAlias

from invokeai.app.server import DEFAULT_HOST, DEFAULT_PORT, InvokeAIServer, make_server
from invokeai.version import __version__

PROG = "invokeai-web"
EXIT_USAGE = 2

logger = logging.getLogger(__name__)

_SignalHandler: TypeAlias = "Callable[[int, FrameType | None], Any] | int | None"


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``invokeai-web``."""
    parser = argparse.ArgumentParser(prog=PROG, description="Serve the InvokeAI web UI and API.")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on, 0 for any free port (default: %(default)s)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def configure_logging() -> None:
    """Send log records to stderr, keeping stdout for the startup line."""
    logging.basicConfig(
        level=logging.INFO,
        format="[%(asctime)s]::[%(name)s]::%(levelname)s --> %(message)s",
        stream=sys.stderr,
    )


class _StopOnSignals:
    """Shut a running server down on SIGINT or SIGTERM.

    ``shutdown()`` blocks until ``serve_forever()`` returns, so it runs on its own thread
    rather than inside the signal handler, which runs on the serving thread.
    """

    signals = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, server: InvokeAIServer) -> None:
        self._server = server
        self._previous: dict[signal.Signals, _SignalHandler] = {}
        self.received: signal.Signals | None = None

    def __enter__(self) -> _StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum)
            threading.Thread(target=self._server.shutdown, name=f"{PROG}-shutdown", daemon=True).start()


def _describe_bind_error(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_app(argv: Sequence[str] | None = None) -> int:
    """Run the InvokeAI web server until SIGINT or SIGTERM; return the exit code."""
    args = build_parser().parse_args(argv)
    host: str = args.host
    port: int = args.port
    configure_logging()

    try:
        server = make_server(host, port)
    except (OSError, OverflowError, ValueError) as exc:
        address = _format_address(host, port)
        print(f"{PROG}: error: cannot listen on {address}: {_describe_bind_error(exc)}", file=sys.stderr)
        return EXIT_USAGE

    with server, _StopOnSignals(server) as stopper:
        print(f"InvokeAI {__version__} listening on {server.url}", flush=True)
        server.serve_forever(poll_interval=0.1)

    if stopper.received is not None:
        logger.info("Received %s, server stopped", stopper.received.name)
    return 0


if __name__ == "__main__":
    sys.exit(run_app())
