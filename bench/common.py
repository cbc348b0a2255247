"""What every benchmark shares: the result record, printing, CPU clocks, a stack of its own, workers, workloads."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, Catalog, load_catalog  # noqa: E402
from index_engine.observation import Observation, encode_observation  # noqa: E402
from qndti.settings import Settings  # noqa: E402


def batch_size() -> int:
    """The most messages a bench's worker takes in one batch, read from the environment as the worker reads it."""
    return Settings().worker_batch_size


@dataclasses.dataclass
class Result:
    """One benchmark's headline figure next to its anchor; ``details`` holds every other figure of the run."""

    name: str
    value: float
    unit: str
    anchor: str
    anchor_value: float
    goal: str
    met: bool | None
    ratio: float | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.anchor_value:
            self.ratio = self.value / self.anchor_value

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return dataclasses.asdict(self)


def emit(result: Result, as_json: bool) -> None:
    """Print the figure, its anchor and the ratio (or the JSON object with ``--json``)."""
    if as_json:
        print(json.dumps(result.as_dict(), default=str))
        return
    ratio = "n/a" if result.ratio is None else f"{result.ratio:.2f}x"
    met = {True: "met", False: "NOT met", None: "no goal"}[result.met]
    print(f"[{result.name}] {result.value:,.2f} {result.unit}")
    print(f"  anchor: {result.anchor} = {result.anchor_value:,.2f}")
    print(f"  ratio:  {ratio}   goal: {result.goal} -> {met}")
    for key, value in result.details.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else value
        print(f"  {key}: {shown}")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--json``."""
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    """Progress on stderr, so stdout keeps only the figures."""
    print(f"... {message}", file=sys.stderr, flush=True)


# --- the stack ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Stack:
    """A Kafka broker and PostgreSQL server of the benchmark's own, in a temporary folder."""

    local: Any
    bootstrap: str
    database_url: str
    kafka_pid: int
    database_pid: int

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of the PostgreSQL server (with its processes, ended ones included) and the broker."""
        import psutil

        def used(process: psutil.Process) -> float:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:  # a backend that ended meanwhile: its parent counts it once reaped
                return 0.0
            return float(times.user + times.system + times.children_user + times.children_system)

        server = psutil.Process(self.database_pid)
        postgres = used(server) + sum(used(child) for child in server.children(recursive=True))
        return {"postgres": postgres, "kafka": used(psutil.Process(self.kafka_pid))}

    def restart_kafka(self) -> float:
        """Stop the broker (SIGTERM) and start it again on the same port; return the seconds it was away."""
        from qndti.stack import process
        from qndti.stack.kafka import MAIN_CLASS

        started = time.perf_counter()
        process.stop(self.kafka_pid, MAIN_CLASS)
        self.kafka_pid = self.local.kafka.start()
        return time.perf_counter() - started

    def fresh_database(self) -> str:
        """A new migrated database on the server."""
        import psycopg

        from streams.db import migrate

        name = f"b_{uuid.uuid4().hex[:10]}"
        base = self.database_url.rpartition("/")[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
        migrate(url)
        return url


@contextlib.contextmanager
def stack(kafka: bool = True) -> Iterator[Stack]:
    """Start Kafka and PostgreSQL on free ports in a temporary folder; stop and delete them afterwards."""
    from qndti.stack import LocalStack
    from streams.db import migrate

    from qndti.stack import StackError

    jars = REPO / ".stack" / "kafka" / "lib"
    if kafka and not any(jars.glob("*.jar")):
        sys.exit(f"The Kafka jars are missing in {jars}: run `make jars` (or `qndti stack fetch`) first.")
    for attempt in range(3):
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        kafka_port, controller_port, postgres_port = sorted(ports)
        local = LocalStack(
            home=Path(tempfile.mkdtemp(prefix="qndti-bench-")),
            kafka_port=kafka_port,
            kafka_controller_port=controller_port,
            postgres_port=postgres_port,
            jars=jars,
        )
        log(f"starting Kafka and PostgreSQL in {local.home}")
        try:
            status = local.up()
        except StackError as exc:
            local.down(purge=True)
            shutil.rmtree(local.home, ignore_errors=True)
            if attempt == 2:
                raise
            log(f"the stack did not start ({str(exc).splitlines()[0]}); trying again on other ports")
            continue
        break
    try:
        migrate(status.database_url)
        yield Stack(local, status.kafka_bootstrap, status.database_url, status.kafka_pid or 0, status.database_pid or 0)
    finally:
        local.down(purge=True)
        shutil.rmtree(local.home, ignore_errors=True)


# --- workloads ---------------------------------------------------------------------------------------------------

START = dt.datetime(2023, 3, 1, tzinfo=dt.UTC)


def synthetic_catalog(units: int, home: Path) -> Catalog:
    """The bundled catalog with ``units`` localities under QN (named B0000…), written under ``home`` and loaded."""
    source = CATALOG_ROOT / DEFAULT_VERSION
    folder = home / DEFAULT_VERSION
    shutil.copytree(source, folder)
    base = load_catalog()
    extra = max(0, units - (len(base.units_on(START.date())) - 1))
    with (folder / "units.csv").open("a", encoding="utf-8") as out:
        for n in range(extra):
            out.write(f"B{n:04d},Đơn vị {n},Unit {n},district,QN,locality,2023-01-01,\n")
    return load_catalog(DEFAULT_VERSION, root=home)


class Plausible:
    """Valid, plausible observations over every non-province unit and every metric, round-robin, time increasing.

    Counts are whole, levels start at 10,000 and grow by 1–100 (no tenfold jump), scores stay within 50–100: none
    breaks a plausibility rule of the catalog, so every one is applied (none quarantined). A generator continues
    where it stopped: live load after preloaded events extends the state those events built.
    """

    def __init__(self, catalog: Catalog, day: dt.date, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.units = [u for u in catalog.units_on(day) if catalog.units[u].parent is not None]
        self.metrics = list(catalog.metrics.values())
        self.bounded = set(catalog.plausibility.maximum)
        self.totals: dict[tuple[str, str], float] = {}
        self.count = 0

    def next(self, ts: dt.datetime, source: str = "bench") -> Observation:
        """The next observation, stamped ``ts``; its id is ``source:n``."""
        n = self.count
        self.count += 1
        unit = self.units[n % len(self.units)]
        metric = self.metrics[(n // len(self.units)) % len(self.metrics)]
        step = float(self.rng.randint(1, 100))
        total = self.totals[(unit, metric.code)] = self.totals.get((unit, metric.code), 10_000.0) + step
        value = step if metric.kind == "delta" else total
        if metric.code in self.bounded:
            value = 50.0 + step / 2
        return Observation(
            id=f"{source}:{n}", source=source, metric=metric.code, unit=unit, ts=ts, kind=metric.kind, value=value
        )


def observations(catalog: Catalog, count: int, seed: int = 11, start: dt.datetime = START) -> list[Observation]:
    """``count`` observations of a new :class:`Plausible` generator, 50 per second from ``start``."""
    # Units of the map on the first day (local and UTC dates agree at 00:00 UTC; the map changes only in 2025).
    return generated(Plausible(catalog, start.date(), seed), count, start)


def generated(source: Plausible, count: int, start: dt.datetime) -> list[Observation]:
    """The next ``count`` observations of ``source``, 50 per second from ``start``."""
    return [source.next(start + dt.timedelta(seconds=n // 50)) for n in range(count)]


def pairs(observations: Iterable[Observation]) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs of encoded ``observations``, keyed by unit as the connectors key them."""
    return [(o.unit.encode(), encode_observation(o)) for o in observations]


def encoded(catalog: Catalog, count: int, seed: int = 11, start: dt.datetime = START) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs of ``count`` encoded observations."""
    return pairs(observations(catalog, count, seed, start))


async def preload(bootstrap: str, topic: str, pairs: list[tuple[bytes, bytes]]) -> float:
    """Produce every pair with aiokafka and wait for all acknowledgements; return messages/s."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=512 * 1024, compression_type=None
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for key, value in pairs:
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return len(pairs) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def create_topics(bootstrap: str, prefix: str, partitions: int = 4) -> Any:
    """Topics of the service under ``prefix``, created."""
    from streams.topics import Topics, ensure_topics

    topics = Topics.with_prefix(prefix)
    asyncio.run(ensure_topics(bootstrap, topics, partitions))
    return topics


# --- the worker as a process -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Worker:
    """One ``python -m qndti worker`` process bound to the benchmark's stack."""

    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def make(cls, stack: Stack, database_url: str, prefix: str, home: Path, catalog_root: Path | None) -> Worker:
        """A worker for topics under ``prefix`` with its own consumer group, catalog and web port."""
        port = free_port()
        env = {
            **os.environ,
            "QNDTI_KAFKA_BOOTSTRAP": stack.bootstrap,
            "QNDTI_DATABASE_URL": database_url,
            "QNDTI_TOPIC_PREFIX": prefix,
            "QNDTI_STACK_DIR": str(home / "worker-stack"),
            "QNDTI_PARTITIONS": "4",
            "QNDTI_WORKER_ID": f"bench-{uuid.uuid4().hex[:8]}",
            "QNDTI_WORKER_WEB_PORT": str(port),
        }
        if catalog_root is not None:
            env["QNDTI_CATALOG_ROOT"] = str(catalog_root)
        return cls(env, port, home / f"worker-{port}.log")

    def start(self) -> Worker:
        """Start the process."""
        out = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "qndti", "worker"], env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
        )
        return self

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """kill -9."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics(self, *names: str) -> dict[str, float]:
        """The worker's /metrics (only ``names`` if given) as ``name{labels}`` → value ({} while it does not answer).

        Polling loops pass names: the whole answer holds the indicator gauges of every unit, and rendering it
        several times a second would take much of the worker's CPU away from what is measured.
        """
        if self.proc is not None and self.proc.poll() is not None:
            # The log goes with the temporary folder: show its first error here.
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            first = max(0, min((i for i in (text.find("[ERROR]"), text.find("[CRITICAL]")) if i >= 0), default=0))
            raise RuntimeError(f"the worker exited with {self.proc.returncode}; its log:\n{text[first : first + 6000]}")
        query = urllib.parse.urlencode([("name[]", name) for name in names])
        try:
            # The whole answer (every indicator gauge of every unit) takes seconds to render: wait for it.
            wait = 2 if names else 60
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics?{query}", timeout=wait) as answer:  # noqa: S310
                text = answer.read().decode()
        except OSError:
            return {}
        found: dict[str, float] = {}
        for line in text.splitlines():
            match = re.match(r"^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$", line)
            if match:
                found[match.group(1)] = float(match.group(2))
        return found

    def cpu_seconds(self) -> float:
        """CPU seconds the worker used so far."""
        import psutil

        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        """Resident memory in bytes."""
        import psutil

        return int(psutil.Process(self.pid).memory_info().rss)


MESSAGES = "qndti_worker_messages_total"


def stage_seconds(metrics: dict[str, float]) -> dict[str, float]:
    """Seconds the worker spent in each stage of its batches, summed over the run, and its batch count."""
    prefix = 'qndti_worker_batch_stage_seconds_sum{stage="'
    found = {f"worker_stage_{k[len(prefix) : -2]}_s": v for k, v in metrics.items() if k.startswith(prefix)}
    return {"worker_batches": metrics.get("qndti_worker_batch_messages_count", 0.0), **found}


def observed(metrics: dict[str, float]) -> float:
    """Observation messages the worker consumed."""
    return metrics.get('qndti_worker_messages_total{role="observations"}', 0.0)


def rollups(metrics: dict[str, float]) -> float:
    """Rollup messages the worker consumed."""
    return metrics.get('qndti_worker_messages_total{role="rollup"}', 0.0)


async def end_offsets(bootstrap: str, topic: str, partitions: int = 4) -> int:
    """Sum of the end offsets of every partition of ``topic`` (created by :func:`create_topics`)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        # Not from the consumer's metadata: it knows no topic it was not subscribed to, and a sum over no
        # partitions (0) would let a waiting loop stop before the rollup topic was consumed.
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(parts)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


@dataclasses.dataclass(frozen=True)
class Drain:
    """When a worker's observation counter first moved and when it reached lag 0 (perf_counter clock)."""

    first: float
    last: float
    before: float
    """Observations counted when the counter first moved (its first batch, whose time falls before ``first``)."""

    def rate(self, events: int) -> float:
        """Events/s between the two times: the events of the first batch are left out with its time."""
        if self.before >= events:
            raise ValueError(
                f"the worker's first batch took all {events:,} events, so no rate can be measured after it:"
                f" give more events than a batch holds ({batch_size():,}, QNDTI_WORKER_BATCH_SIZE)"
            )
        return (events - self.before) / (self.last - self.first)


def wait_drained(worker: Worker, bootstrap: str, topics: Any, events: int, timeout: float) -> Drain:
    """Wait until the worker consumed ``events`` observations and every rollup message."""
    deadline = time.monotonic() + timeout
    first: float | None = None
    before = 0.0
    while time.monotonic() < deadline:
        now = time.perf_counter()
        metrics = worker.metrics(MESSAGES)
        seen = observed(metrics)
        if first is None and seen > 0:
            first, before = now, seen
        if seen >= events:
            produced = asyncio.run(end_offsets(bootstrap, topics.rollup))
            if rollups(worker.metrics(MESSAGES)) >= produced:
                return Drain(first or now, time.perf_counter(), before)
        time.sleep(0.2)
    raise TimeoutError(f"the worker did not reach lag 0 in {timeout:.0f} s (consumed {seen:.0f} of {events})")


async def open_loop(bootstrap: str, topic: str, source: Plausible, rate: float, seconds: float, label: str) -> int:
    """Produce ``rate`` observations/s of ``source`` with ``ts`` = now for ``seconds``, on a fixed schedule.

    The schedule does not wait for the broker or the worker (open loop): a slow consumer shows up as latency, not as
    a lower offered load. Every 20 ms the observations due are stamped, encoded and handed to the producer as one
    record batch per partition (the worker's own ``send_all``), so that the load takes little of the CPU the
    worker is measured on. Their ids are ``label:n`` and their source ``label``. Returns how many were sent.
    """
    from aiokafka import AIOKafkaProducer

    from streams.outputs import send_all

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    tick = 0.02
    sent = 0
    sending: list[asyncio.Task[int]] = []
    try:
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate) - sent
            if due > 0:
                # Each stamped as it is made: a unit's two metrics of a share never carry the same time.
                due_now = [source.next(dt.datetime.now(dt.UTC), label) for _ in range(due)]
                messages = [(topic, o.unit.encode(), encode_observation(o), None) for o in due_now]
                sending.append(asyncio.create_task(send_all(producer, messages)))
                sent += due
            await asyncio.sleep(tick)
        await asyncio.gather(*sending)
        return sent
    finally:
        await producer.stop()
