"""The benchmark command's JSON output has the fields the performance table is built from (nothing is timed)."""

from __future__ import annotations

import json
import subprocess
import sys

from qndti.commands.bench import BENCH_DIR, PROGRAMS

FIELDS = {"name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "met", "details"}


def test_every_benchmark_has_its_program() -> None:
    assert sorted(p.name for p in BENCH_DIR.glob("*.py") if p.name in PROGRAMS.values()) == sorted(PROGRAMS.values())


def test_decode_json_shape_on_a_tiny_workload() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qndti", "bench", "decode", "--json", "--messages", "50", "--repeats", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result.keys() >= FIELDS
    assert result["name"] == "decode"
    assert result["details"]["messages"] == 50
    assert isinstance(result["met"], bool)
    assert result["ratio"] == result["value"] / result["anchor_value"]


def test_unknown_benchmark_is_a_clear_error() -> None:
    done = subprocess.run([sys.executable, "-m", "qndti", "bench", "nope"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "unknown benchmark 'nope'" in done.stderr
