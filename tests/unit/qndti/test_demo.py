"""The demo notices when one of its processes stops (real subprocesses, nothing faked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qndti.commands.demo import early_exit


def testearly_exit_names_the_process_that_stopped(tmp_path: Path) -> None:
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    stopped = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    try:
        stopped.wait(10)
        assert early_exit([("worker", running)], tmp_path) is None
        message = early_exit([("worker", running), ("simulator", stopped)], tmp_path)
        assert message == f"the demo's simulator exited early (code 3); see {tmp_path / 'simulator.log'}"
    finally:
        running.kill()
        running.wait(10)
