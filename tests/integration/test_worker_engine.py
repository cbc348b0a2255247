"""The worker's commit protocol on the real stack, with the faults it is built for.

A paused worker cannot commit over another, a record the database refuses is dead-lettered without its
neighbours, a 30-second database outage under load is ridden out exactly, a database that stops answering ends
the worker with an error instead of a silent hang, and one unit's year of event-level deltas keeps its state and
the worker's memory flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from index_engine.observation import Observation, encode_observation
from qndti.stack.postgres import EmbeddedPostgres
from streams.db import migrate
from streams.topics import Topics
from tests.conftest import StackInfo, free_port, fresh_database
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import CQS04_LATEST, START, cqs04_oracle, dossier_stream, produce

pytestmark = pytest.mark.integration

SOAK_DELTAS = int(os.environ.get("SOAK_DELTAS", "300000"))
"""Deltas the one-unit test sends: 300,000 in ``make test``, a whole year's (1,000,000) in ``make soak``."""
EARLY_DELTAS = 100_000
"""The state and memory at the end are compared with those after this many deltas."""

CQS07 = """
SELECT unit_code, numerator, denominator FROM dti.indicator_latest WHERE indicator_code = 'CQS-07' ORDER BY unit_code
"""


def obs(id_: str, metric: str, unit: str, ts: dt.datetime, kind: str, value: float) -> Observation:
    return Observation(id=id_, source="test", metric=metric, unit=unit, ts=ts, kind=kind, value=value)  # type: ignore[arg-type]


def fee_deltas(units: list[str], count: int, seed: int, first: int = 0) -> list[Observation]:
    """Fee payments as deltas (``fee.paid``, and ``fee.paid_cashless`` for about 70 % of them), ids unique."""
    rng = random.Random(seed)
    result = []
    for n in range(first, first + count):
        unit = units[n % len(units)]
        ts = START + dt.timedelta(seconds=n)
        amount = float(rng.randint(1, 5))
        result.append(obs(f"fee:{unit}:{n}", "fee.paid", unit, ts, "delta", amount))
        if rng.random() < 0.7:
            result.append(obs(f"cash:{unit}:{n}", "fee.paid_cashless", unit, ts, "delta", amount))
    return result


def cqs07_oracle(observations: list[Observation]) -> list[tuple[str, float, float]]:
    """Numerator and denominator of CQS-07 per unit: each delta id counted once, the province the sum."""
    unique = {o.id: o for o in observations}
    sums: dict[tuple[str, str], float] = {}
    for o in unique.values():
        sums[(o.unit, o.metric)] = sums.get((o.unit, o.metric), 0.0) + o.value
    units = sorted({u for u, _ in sums})
    rows = [(u, sums.get((u, "fee.paid_cashless"), 0.0), sums[(u, "fee.paid")]) for u in units]
    province = ("QN", sum(r[1] for r in rows), sum(r[2] for r in rows))
    return sorted([*rows, province])


def metric(worker: WorkerProcess, name: str) -> float:
    """A counter of the worker's /metrics (0 when absent)."""
    port = worker.env["QNDTI_WORKER_WEB_PORT"]
    family = name.split("{")[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics?name[]={family}", timeout=10) as response:
        text = response.read().decode()
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout:.0f} s"
        time.sleep(0.2)


def test_a_paused_worker_cannot_commit_a_batch_another_worker_applied(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    units = ["HALONG", "CAMPHA", "UONGBI", "MONGCAI", "QUANGYEN", "DONGTRIEU", "COTO", "BACHE"]
    first, second, third = (fee_deltas(units, 400, seed, first=i * 400) for i, seed in enumerate((1, 2, 3)))
    options = {"QNDTI_WORKER_SESSION_TIMEOUT": "6"}
    paused = worker_factory(**options).start()
    produce(stack.kafka_bootstrap, topics, first)
    wait_for(database_url, CQS07, cqs07_oracle(first), what="values of the first part")

    with psycopg.connect(database_url) as blocker:
        # Hold the worker's next batch at its first database read (the delta-id check), before its transaction.
        blocker.execute("LOCK TABLE dti.delta_id IN ACCESS EXCLUSIVE MODE")
        produce(stack.kafka_bootstrap, topics, second)
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%delta_id%'"
        with psycopg.connect(database_url, autocommit=True) as watch:
            wait_until(lambda: watch.execute(waiting).fetchone() == (1,), 60, "the worker waiting on dti.delta_id")
        paused.pause()
    # The lock is gone with the transaction; the paused worker's read completes, unseen, in its socket.
    taker = worker_factory(**options).start()
    wait_for(database_url, CQS07, cqs07_oracle(first + second), what="values applied by the second worker")

    paused.resume()
    wait_until(lambda: metric(paused, "qndti_worker_commit_conflicts_total") >= 1, 60, "the resumed worker's rollback")
    produce(stack.kafka_bootstrap, topics, third + second[:100])
    everything = first + second + third
    wait_for(database_url, CQS07, cqs07_oracle(everything), what="values after the paused worker resumed")
    with psycopg.connect(database_url) as conn:
        counted = conn.execute("SELECT count(*) FROM dti.delta_id").fetchone()
    assert counted == (len(everything),)
    assert paused.alive()
    assert taker.alive()


def test_a_record_the_database_refuses_is_dead_lettered_and_its_neighbours_are_exact(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    stream = dossier_stream(seed=21, steps=10)
    middle = len(stream) // 2
    # Valid for Observation v1, but PostgreSQL text cannot hold a NUL character.
    refused = obs("bad\x00id", "dossier.processed", "HALONG", START + dt.timedelta(days=1), "cumulative", 1.0)
    produce(stack.kafka_bootstrap, topics, [*stream[:middle], refused, *stream[middle:]])
    worker = worker_factory().start()

    wait_for(database_url, CQS04_LATEST, cqs04_oracle(stream), what="values without the refused record")
    letters = "SELECT reason, payload FROM dti.dead_letter"
    wait_for(database_url, letters, [("unstorable", encode_observation(refused))], what="the unstorable letter")
    more = dossier_stream(seed=22, steps=12)[-len(stream) // 10 :]
    produce(stack.kafka_bootstrap, topics, more)
    wait_for(database_url, CQS04_LATEST, cqs04_oracle(stream + more), what="values after more records")
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT count(*) FROM dti.observation").fetchone()
    assert stored == (len({o.id for o in stream + more}),)
    assert metric(worker, "qndti_worker_dead_letters_total") == 0  # no unlabelled series
    port = worker.env["QNDTI_WORKER_WEB_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        exposed = response.read().decode()
    assert 'qndti_worker_dead_letters_total{reason="unstorable"} 1.0' in exposed
    assert worker.alive()


def rss(worker: WorkerProcess) -> int:
    """Resident memory of the worker process, in kB."""
    assert worker.proc is not None
    status = Path(f"/proc/{worker.proc.pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


async def send_raw(bootstrap: str, topic: str, observations: list[Observation]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        pending = []
        for o in observations:
            pending.append(await producer.send(topic, encode_observation(o), key=o.unit.encode()))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def first_seen_sum(stream: list[Observation]) -> float:
    """The sum of each id's value as first seen in partition order (one unit: one partition)."""
    first: dict[str, float] = {}
    for o in stream:
        first.setdefault(o.id, o.value)
    return sum(first.values())


STATE_ROWS = """
SELECT (SELECT count(*) FROM dti.state_cell WHERE unit_code = 'HALONG'),
       (SELECT count(*) FROM dti.state_indicator WHERE unit_code = 'HALONG'),
       (SELECT count(*) FROM dti.state_contribution WHERE child_code = 'HALONG'),
       (SELECT sum(octet_length(memory)) FROM dti.state_indicator WHERE unit_code = 'HALONG')
"""


def counted_deltas(url: str) -> int:
    """Delta ids the worker has counted so far (committed)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM dti.delta_id").fetchone()
    return int(row[0]) if row else 0


def province_holds_halong(url: str) -> bool:
    """Whether the province has stored HALONG's inputs (applied one batch after HALONG's own deltas)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM dti.state_contribution WHERE child_code = 'HALONG'").fetchone()
    return bool(row and row[0])


def test_one_unit_with_a_year_of_event_level_deltas_is_exact_and_its_state_stays_flat(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    total = SOAK_DELTAS
    rng = random.Random(5)
    events = [
        obs(f"pay:{n}", "fee.paid", "HALONG", START + dt.timedelta(seconds=n * 15), "delta", 1.0) for n in range(total)
    ]
    # 2 % repeats: the same ids again, some with another value (a repeated id counts once, whatever it carries).
    repeats = [
        obs(e.id, e.metric, e.unit, e.ts, e.kind, 7.0 if n % 2 else e.value)
        for n, e in enumerate(rng.sample(events, total // 50))
    ]
    stream = events + repeats
    rng.shuffle(stream)
    # Every delta waits in the topic before the worker starts, so that the consumer's buffers (fetched ahead, up
    # to 64 MiB) and the batches it holds are as full at the first reading as at the last: RSS keeps its peak.
    asyncio.run(send_raw(stack.kafka_bootstrap, topics.observations, stream))
    worker = worker_factory().start()
    wait_until(
        lambda: counted_deltas(database_url) >= EARLY_DELTAS and province_holds_halong(database_url),
        300,
        "the first 100,000 deltas counted and their inputs stored by the province",
    )
    with psycopg.connect(database_url) as conn:
        state_early = conn.execute(STATE_ROWS).fetchone()
    memory_early = rss(worker)

    # CQS-07's denominator (the province takes no child without a numerator, so the unit alone is compared).
    sums = "SELECT denominator FROM dti.indicator_latest WHERE indicator_code = 'CQS-07' AND unit_code = 'HALONG'"
    end = first_seen_sum(stream)
    wait_for(database_url, sums, [(end,)], timeout=600, what="every delta")
    with psycopg.connect(database_url) as conn:
        state_end = conn.execute(STATE_ROWS).fetchone()
        counted = conn.execute("SELECT count(*) FROM dti.delta_id").fetchone()
    assert counted == (total,)
    assert state_end is not None
    assert state_early is not None
    # The same rows, and the unit's evaluation memory within 10 % in bytes (its daily history is capped).
    assert state_end[:3] == state_early[:3]
    assert state_end[3] <= 1.1 * state_early[3]
    assert rss(worker) <= 1.1 * memory_early, f"worker RSS {memory_early} kB after 100,000, {rss(worker)} kB at the end"


def health(worker: WorkerProcess) -> int:
    """The HTTP status of the worker's /healthz."""
    port = worker.env["QNDTI_WORKER_WEB_PORT"]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_30_second_database_outage_under_load_is_ridden_out_exactly(
    stack: StackInfo, topics: Topics, tmp_path: Path, worker_factory: Callable[..., WorkerProcess]
) -> None:
    server = EmbeddedPostgres(home=tmp_path / "own-postgres", port=free_port())
    server.start()
    try:
        migrate(server.url)
        stream = dossier_stream(seed=31, steps=30)
        third = len(stream) // 3
        worker = worker_factory(database=server.url).start()
        produce(stack.kafka_bootstrap, topics, stream[:third])
        wait_for(server.url, CQS04_LATEST, cqs04_oracle(stream[:third]), what="values before the outage")
        server.stop()
        produce(stack.kafka_bootstrap, topics, stream[third : 2 * third])
        wait_until(lambda: health(worker) == 503, 30, "/healthz saying the worker cannot make progress")
        time.sleep(30)
        assert worker.alive()
        server.start()
        produce(stack.kafka_bootstrap, topics, stream[2 * third :])
        wait_for(server.url, CQS04_LATEST, cqs04_oracle(stream), timeout=120, what="values after the outage")
        with psycopg.connect(server.url) as conn:
            stored = conn.execute("SELECT count(*) FROM dti.observation").fetchone()
        assert stored == (len(stream),)
        wait_until(lambda: health(worker) == 200, 30, "/healthz ok again")
        assert worker.starts == 1
        assert worker.alive()
    finally:
        server.stop()


def test_a_database_that_stops_answering_ends_the_worker_with_an_error_not_a_silent_hang(
    stack: StackInfo, topics: Topics, tmp_path: Path, worker_factory: Callable[..., WorkerProcess]
) -> None:
    server = EmbeddedPostgres(home=tmp_path / "own-postgres", port=free_port())
    postmaster = psutil.Process(server.start())
    try:
        migrate(server.url)
        stream = dossier_stream(seed=37, steps=30)
        half = len(stream) // 2
        # A hung statement fails after its 3 s and psycopg's attempt to cancel it (up to 10 s more): the budget
        # leaves time after that for /healthz to answer 503 while the worker tries again.
        options = {"QNDTI_WORKER_DATABASE_TIMEOUT": "3", "QNDTI_WORKER_RETRY_BUDGET": "30"}
        worker = worker_factory(database=server.url, **options).start()
        produce(stack.kafka_bootstrap, topics, stream[:half])
        wait_for(server.url, CQS04_LATEST, cqs04_oracle(stream[:half]), what="values before the server froze")
        # Frozen, not stopped: its connections stay open and the kernel still accepts new ones, nothing answers.
        # The postmaster first, so that it starts no process after its children are listed.
        postmaster.suspend()
        frozen = [postmaster, *postmaster.children(recursive=True)]
        try:
            for process in frozen[1:]:
                with contextlib.suppress(psutil.NoSuchProcess):  # a backend that ended meanwhile
                    process.suspend()
            produce(stack.kafka_bootstrap, topics, stream[half:])
            wait_until(lambda: health(worker) == 503, 60, "/healthz saying the worker cannot make progress")
            assert worker.proc is not None
            assert worker.proc.wait(120) == 1
        finally:
            for process in frozen:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.resume()
        said = worker.log.read_text()
        assert "the database did not answer within 3 s" in said
        assert "no progress for 30 s" in said
        assert worker.starts == 1
    finally:
        server.stop()


def test_revisions_replace_what_they_correct_and_a_replay_gives_the_same_end_state(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    ts = START + dt.timedelta(hours=2)

    def version(figure: str, metric: str, kind: str, value: float, revision: int) -> Observation:
        return Observation(
            id=f"{figure}@{revision}" if revision else figure,
            source="test",
            metric=metric,
            unit="HALONG",
            ts=ts,
            kind=kind,  # type: ignore[arg-type]
            value=value,
            revision=revision,
        )

    stream = [
        version("paid", "fee.paid", "delta", 100, 0),
        version("cash", "fee.paid_cashless", "delta", 90, 0),
        version("cash", "fee.paid_cashless", "delta", 60, 5),  # corrected: 90 was wrong
        version("paid", "fee.paid", "delta", 100, 0),  # repeated
        version("cash", "fee.paid_cashless", "delta", 75, 3),  # an older revision, late: changes nothing
        version("all", "dossier.processed", "cumulative", 500, 1),
        version("online", "dossier.processed_online", "cumulative", 450, 1),
        version("online", "dossier.processed_online", "cumulative", 400, 2),  # same ts, higher revision
    ]
    produce(stack.kafka_bootstrap, topics, stream)
    worker = worker_factory().start()
    query = """
    SELECT indicator_code, numerator, denominator FROM dti.indicator_latest
     WHERE unit_code = 'HALONG' AND indicator_code IN ('CQS-04', 'CQS-07') ORDER BY 1
    """
    expected = [("CQS-04", 400.0, 500.0), ("CQS-07", 60.0, 100.0)]
    wait_for(database_url, query, expected, what="values with revisions applied")
    assert metric(worker, 'qndti_worker_observations_total{outcome="revised"}') == 2
    with psycopg.connect(database_url) as conn:
        revisions = conn.execute("SELECT revision FROM dti.observation ORDER BY revision").fetchall()
    assert revisions == [(0,), (0,), (1,), (1,), (2,), (3,), (5,)]

    with fresh_database(stack) as empty:
        worker_factory(database=empty, group=f"replay-{time.time_ns()}").start()
        wait_for(empty, query, expected, what="the same values replayed into an empty database")
