"""Every class of bad input lands on the dead-letter topic with its reason; valid neighbours stay exact."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from index_engine.observation import Observation, encode_observation
from streams.deadletters import partitions_of, read_dead_letters, replay_dead_letters
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for

pytestmark = pytest.mark.integration

T0 = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
GOOD_TEMPLATE = '"id":"{id}","source":"t","metric":"{metric}","unit":"HALONG","kind":"cumulative"'


def good(metric: str, value: float, minutes: int) -> bytes:
    ts = T0 + dt.timedelta(minutes=minutes)
    obs = Observation(
        id=f"ok:{metric}:{minutes}", source="t", metric=metric, unit="HALONG", ts=ts, kind="cumulative", value=value
    )
    return encode_observation(obs)


def body(**fields: str) -> bytes:
    base = {
        "id": '"bad"',
        "source": '"t"',
        "metric": '"dossier.processed"',
        "unit": '"HALONG"',
        "ts": '"2023-06-30T03:00:00Z"',
        "kind": '"cumulative"',
        "value": "5",
    }
    base.update(fields)
    return ("{" + ",".join(f'"{k}":{v}' for k, v in base.items() if v != "<drop>") + "}").encode()


BAD: list[tuple[str, bytes, bytes]] = [
    ("malformed_json", b"HALONG", b'{"id":"x","source":"t","metric":"dossier.proc'),
    ("schema", b"HALONG", body(value='"12"')),
    ("schema", b"HALONG", body(unit="<drop>")),
    ("unknown_metric", b"HALONG", body(metric='"dossier.lost"')),
    ("unknown_unit", b"ATLANTIS", body(unit='"ATLANTIS"')),
    ("bad_value", b"HALONG", body(value="-1")),
    ("malformed_json", b"HALONG", body(value="NaN")),
    ("bad_value", b"HALONG", body(value="1e999")),
    ("naive_timestamp", b"HALONG", body(ts='"2023-06-30T03:00:00"')),
    ("future_timestamp", b"HALONG", body(ts='"2999-01-01T00:00:00Z"')),
    ("too_large", b"HALONG", body(source='"' + "x" * 5000 + '"')),
    ("bad_encoding", b"HALONG", body().replace(b'"source":"t"', b'"source":"\xff\xfe"')),
    ("kind_mismatch", b"HALONG", body(kind='"delta"')),
    ("key_mismatch", b"CAMPHA", body()),
]


def send(stack: StackInfo, topic: str, records: list[tuple[bytes | None, bytes]]) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait(topic, value=value, key=key)
        finally:
            await producer.stop()

    asyncio.run(run())


def test_bad_input_goes_to_the_dead_letter_topic_and_valid_records_stay_exact(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    records: list[tuple[bytes | None, bytes]] = []
    for step, (_, key, raw) in enumerate(BAD):
        records.append((b"HALONG", good("dossier.processed", 100 + step, step)))
        records.append((key, raw))
        records.append((b"HALONG", good("dossier.processed_online", 50 + step, step)))
    send(stack, topics.observations, records)

    worker_factory().start()

    last = len(BAD) - 1
    wait_for(
        database_url,
        "SELECT unit_code, numerator, denominator FROM dti.indicator_latest ORDER BY unit_code",
        [("HALONG", 50.0 + last, 100.0 + last), ("QN", 50.0 + last, 100.0 + last)],
        what="CQS-04 from the valid records",
    )
    letters = asyncio.run(read_dead_letters(stack.kafka_bootstrap, topics))
    assert sorted((d.reason, d.value) for d in letters) == sorted((reason, raw) for reason, _, raw in BAD)
    assert all(d.detail and d.origin.startswith(topics.observations) and d.rejected_at for d in letters)

    first = asyncio.run(
        replay_dead_letters(
            stack.kafka_bootstrap, topics, f"{topics.observations}.replay", lambda d: d.reason == "unknown_unit"
        )
    )
    assert (first.replayed, first.skipped) == (1, len(BAD) - 1)
    # The 13 letters passed over stay replayable: a replay of everything sends them (the unknown_unit letter sits
    # alone in its key's partition, so it was committed; the worker may have rejected its replay once more).
    everything = asyncio.run(replay_dead_letters(stack.kafka_bootstrap, topics, f"{topics.observations}.replay"))
    assert len(BAD) - 1 <= everything.replayed <= len(BAD)
    assert everything.skipped == 0


def dead_letter(n: int, reason: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    headers = [("qndti-reason", reason.encode()), ("qndti-rejected-at", f"2023-06-30T03:{n % 60:02d}:00Z".encode())]
    return f"U{n % 7}".encode(), f"letter-{n}".encode(), headers


def test_a_filtered_replay_streams_commits_only_what_it_replayed_and_leaves_the_others(
    stack: StackInfo, topics: Topics
) -> None:
    # 1,200 letters over the dead-letter topic's partitions: every third is "unknown_unit", the rest "schema".
    letters = [dead_letter(n, "unknown_unit" if n % 3 == 0 else "schema") for n in range(1200)]

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for key, value, headers in letters:
                await producer.send(topics.dead_letters, value=value, key=key, headers=headers)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(produce())
    group = f"{topics.observations}.replay-filtered"
    wanted = {v for _, v, h in letters if h[0][1] == b"unknown_unit"}

    report = asyncio.run(
        replay_dead_letters(stack.kafka_bootstrap, topics, group, lambda d: d.reason == "unknown_unit")
    )
    assert (report.replayed, report.skipped) == (400, 800)
    assert sent_values(stack, topics) == sorted(wanted)
    # Per partition, the commit stops at the first letter passed over: none of the 800 is lost.
    first_skipped = asyncio.run(first_offsets(stack, topics, b"schema"))
    assert report.committed == first_skipped | {p: 0 for p in range(4) if p not in first_skipped}

    rest = asyncio.run(replay_dead_letters(stack.kafka_bootstrap, topics, group, lambda d: d.reason == "schema"))
    assert rest.replayed == 800
    assert set(sent_values(stack, topics)) == {v for _, v, _ in letters}
    everything = asyncio.run(replay_dead_letters(stack.kafka_bootstrap, topics, group))
    assert everything.skipped == 0
    assert everything.replayed > 0  # the unknown_unit letters after the schema replay's first pass-over
    last = asyncio.run(replay_dead_letters(stack.kafka_bootstrap, topics, group))
    assert (last.replayed, last.skipped) == (0, 0)
    assert sum(last.committed.values()) == len(letters)  # every partition committed to its end
    shown = asyncio.run(read_dead_letters(stack.kafka_bootstrap, topics, limit=5, reason="unknown_unit"))
    assert len(shown) == 5
    assert all(d.reason == "unknown_unit" for d in shown)
    assert [d.rejected_at for d in shown] == sorted(d.rejected_at for d in shown)
    assert shown[0].rejected_at == "2023-06-30T03:00:00Z"


def sent_values(stack: StackInfo, topics: Topics) -> list[bytes]:
    """Every value on the observations topic now, sorted."""

    async def read() -> list[bytes]:
        consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [
                TopicPartition(topics.observations, p)
                for p in await partitions_of(stack.kafka_bootstrap, topics.observations)
            ]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            values: list[bytes] = []
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    values.extend(r.value or b"" for r in records)
            return sorted(values)
        finally:
            await consumer.stop()

    return asyncio.run(read())


async def first_offsets(stack: StackInfo, topics: Topics, reason: bytes) -> dict[int, int]:
    """Per partition of the dead-letter topic, the offset of its first letter of ``reason`` (read independently)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            TopicPartition(topics.dead_letters, p)
            for p in await partitions_of(stack.kafka_bootstrap, topics.dead_letters)
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        first: dict[int, int] = {}
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for r in records:
                    if dict(r.headers)["qndti-reason"] == reason:
                        first.setdefault(tp.partition, r.offset)
        return first
    finally:
        await consumer.stop()
