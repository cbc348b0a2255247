"""``qndti bench``: run the performance suite's programs in ``bench/``, each next to its anchor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from qndti.commands import console, fail

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"

PROGRAMS: dict[str, str] = {
    "decode": "decode_bench.py",
    "kafka-ceiling": "kafka_bench.py",
    "aggregate": "aggregate_bench.py",
    "sink": "sink_bench.py",
    "latency": "latency_bench.py",
    "index": "index_run.py",
    "memory": "memory_bench.py",
    "recovery": "recovery_bench.py",
    "queries": "queries_bench.py",
}
"""Benchmark name → program in ``bench/``, in the order ``all`` runs them."""


def command(name: str, as_json: bool, extra: list[str]) -> list[str]:
    """The command line that runs benchmark ``name``."""
    program = BENCH_DIR / PROGRAMS[name]
    if not program.exists():
        raise fail(f"{program} is missing: benchmarks run from a clone of the repository.")
    return [sys.executable, str(program), *(["--json"] if as_json else []), *extra]


def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=f"One of: {', '.join(PROGRAMS)}, or all."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per benchmark."),
) -> None:
    """Run a benchmark (or all): its figure, its anchor measured in the same run, and the ratio.

    Options after NAME that are not --json go to the benchmark program (e.g. ``--events 10000``).
    """
    names = list(PROGRAMS) if name == "all" else [name]
    if name != "all" and name not in PROGRAMS:
        raise fail(f"unknown benchmark {name!r}; choose one of {', '.join(PROGRAMS)} or all", code=2)
    failed = []
    for each in names:
        console.print(f"[bold]bench {each}[/bold]")
        done = subprocess.run(command(each, as_json, list(ctx.args)), check=False)  # noqa: S603
        if done.returncode != 0:
            failed.append(each)
    if failed:
        raise fail(f"benchmark(s) failed: {', '.join(failed)}")
