"""recovery: time to resume after kill -9 of a worker and after a broker restart, with the exactness check.

The known dossier stream of the integration scenarios (the bundled catalog's localities, cumulative counts,
shuffled) is produced in three parts. Part 1 goes to a fresh worker, which is killed with SIGKILL a third of the
way through; a new worker of the same group starts at once while part 2 is produced. Then the broker is
restarted (SIGTERM, start on the same port) and part 3 is produced. After each fault, ``dti.indicator_latest``
for CQS-04 must equal the independent oracle. Headline: seconds from the kill until the new worker consumes
again; anchor: the first worker's cold start (seconds from start until it consumes), measured in the same run.

    python bench/recovery_bench.py [--steps N] [--json]
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from common import MESSAGES, Result, Worker, create_topics, emit, free_port, log, observed, parser, stack

from tests.integration.scenarios import CQS04_LATEST, cqs04_oracle, dossier_stream, produce


def until(check, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    """Poll ``check()`` every 0.1 s until true; return the perf_counter time it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.perf_counter()
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen in {timeout:.0f} s")


def exact(url: str, expected: list[tuple[object, ...]]) -> bool:
    """Whether CQS-04 in dti.indicator_latest equals the oracle."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(CQS04_LATEST).fetchall() == expected


def run(steps: int = 120) -> Result:
    """Kill -9 and broker restart, each followed by the exactness check."""
    stream = dossier_stream(seed=9, steps=steps)
    random.Random(9).shuffle(stream)
    third = len(stream) // 3
    parts = stream[:third], stream[third : 2 * third], stream[2 * third :]
    home = Path(tempfile.mkdtemp(prefix="qndti-bench-recovery-"))
    try:
        with stack() as s:
            prefix = f"bench{uuid.uuid4().hex[:6]}"
            topics = create_topics(s.bootstrap, prefix)
            url = s.fresh_database()
            produce(s.bootstrap, topics, parts[0])
            first = Worker.make(s, url, prefix, home, None)
            started = time.perf_counter()
            first.start()
            moving = until(lambda: observed(first.metrics(MESSAGES)) > 0, 300, "the first worker consuming")
            cold = moving - started
            until(lambda: observed(first.metrics(MESSAGES)) >= len(parts[0]) / 3, 300, "a third of part 1")
            log("kill -9 of the worker")
            killed = time.perf_counter()
            first.kill()
            second = dataclasses.replace(first, port=free_port(), proc=None)
            second.env = {**first.env, "QNDTI_WORKER_WEB_PORT": str(second.port)}
            second.start()
            produce(s.bootstrap, topics, parts[1])
            try:
                resumed = until(lambda: observed(second.metrics(MESSAGES)) > 0, 300, "the new worker consuming") - killed
                oracle = cqs04_oracle([*parts[0], *parts[1]])
                exact_kill = until(lambda: exact(url, oracle), 300, "exact values after kill -9") - killed
                log("broker restart")
                away = s.restart_kafka()
                back = time.perf_counter()
                before = observed(second.metrics(MESSAGES))
                produce(s.bootstrap, topics, parts[2])
                resumed_broker = (
                    until(lambda: observed(second.metrics(MESSAGES)) > before, 300, "the worker consuming after the restart")
                    - back
                )
                oracle = cqs04_oracle(stream)
                exact_broker = until(lambda: exact(url, oracle), 300, "exact values after the broker restart") - back
            finally:
                second.stop()
        return Result(
            name="recovery",
            value=resumed,
            unit="s from kill -9 until a new worker consumes",
            anchor="cold start of a worker until it consumes",
            anchor_value=cold,
            goal="values exact after each fault (times reported, no time goal)",
            met=True,
            details={
                "observations": len(stream),
                "exact_after_kill_s": exact_kill,
                "broker_away_s": away,
                "resume_after_broker_restart_s": resumed_broker,
                "exact_after_broker_restart_s": exact_broker,
                "exact_after_kill": True,
                "exact_after_broker_restart": True,
            },
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--steps", type=int, default=120, help="ten-minute steps per unit in the dossier stream")
    args = p.parse_args()
    emit(run(args.steps), args.json)
