"""Background processes of the local stack: start detached with log files, find by pid, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import psutil


def spawn(
    args: Sequence[str], *, log: Path, cwd: Path, env: dict[str, str] | None = None, user: str | None = None
) -> int:
    """Start ``args`` in its own session, stdout and stderr appended to ``log``; return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - arguments are built by this package, never from input
            list(args),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            user=user,
        )
    return proc.pid


def is_running(pid: int | None, marker: str) -> bool:
    """Whether ``pid`` is alive and its command line contains ``marker`` (guards against pid reuse)."""
    if pid is None or pid <= 0:
        # PostgreSQL writes a negative pid to postmaster.pid for a standalone (single-user) backend.
        return False
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and marker in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def stop(pid: int, marker: str, *, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Send ``sig``, wait up to ``timeout`` seconds for the process to exit, then SIGKILL."""
    if not is_running(pid, marker):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid, marker):
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages."""
    if not path.exists():
        return "(no log yet)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
