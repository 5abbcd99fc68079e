from __future__ import annotations

import json
import re
import selectors
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from helpers import LOOPBACK, cli_command, cli_env

from invokeai.app.run_app import run_app
from invokeai.version import __version__

LISTENING = re.compile(r"^InvokeAI (?P<version>\S+) listening on http://(?P<host>[^/]+):(?P<port>\d+)/$")


def run_cli(*args: str, module: str = "invokeai.app.run_app") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args, module=module),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """Read one stdout line, failing instead of hanging if none arrives in time."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"no output from invokeai-web within {timeout} s")
    return process.stdout.readline()


@contextmanager
def cli_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        cli_command(*args),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=5)


@pytest.mark.parametrize("module", ["invokeai.app.run_app", "invokeai.app"])
def test_version_flag(module: str) -> None:
    result = run_cli("--version", module=module)
    assert result.returncode == 0
    assert result.stdout == f"invokeai-web {__version__}\n"
    assert result.stderr == ""


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_bad_port_is_a_clear_error(port: str) -> None:
    result = run_cli("--host", LOOPBACK, "--port", port)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"invokeai-web: error: cannot listen on {LOOPBACK}:{port}: port must be 0-65535\n"


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind((LOOPBACK, 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = run_cli("--host", LOOPBACK, "--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"invokeai-web: error: cannot listen on {LOOPBACK}:{port}: ")
    assert "in use" in result.stderr


def test_non_numeric_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_app(["--port", "http"])
    assert exit_info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_bad_port_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["--host", LOOPBACK, "--port", "70000"]) == 2
    assert capsys.readouterr().err == f"invokeai-web: error: cannot listen on {LOOPBACK}:70000: port must be 0-65535\n"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_on_ephemeral_port_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    with cli_process("--host", LOOPBACK, "--port", "0") as process:
        line = read_line(process, timeout=10).rstrip("\n")
        match = LISTENING.match(line)
        assert match, f"unexpected startup line: {line!r}"
        assert match["version"] == __version__
        assert match["host"] == LOOPBACK
        port = int(match["port"])
        assert port > 0

        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/api/v1/app/version", timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            assert json.load(response) == {"version": __version__}

        started = time.monotonic()
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=5)
        assert process.returncode == 0
        assert time.monotonic() - started < 2
        assert stdout == ""
        assert "Traceback" not in stderr
        assert f"Received {stop_signal.name}" in stderr
        assert "GET /api/v1/app/version" in stderr
