"""Every class of bad input lands on the dead-letter topic with its reason; valid neighbours stay exact."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer

from index_engine.observation import Observation, encode_observation
from streams.deadletters import read_dead_letters, replay_dead_letters
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

    replayed, skipped = asyncio.run(
        replay_dead_letters(
            stack.kafka_bootstrap, topics, f"{topics.observations}.replay", lambda d: d.reason == "unknown_unit"
        )
    )
    assert (replayed, skipped) == (1, len(BAD) - 1)
    again = asyncio.run(
        replay_dead_letters(
            stack.kafka_bootstrap, topics, f"{topics.observations}.replay", lambda d: d.reason == "unknown_unit"
        )
    )
    # The replayed record was rejected once more by the worker; a second replay sees only that new dead letter.
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    while again == (0, 0) and dt.datetime.now(dt.UTC) < deadline:
        again = asyncio.run(
            replay_dead_letters(
                stack.kafka_bootstrap, topics, f"{topics.observations}.replay", lambda d: d.reason == "unknown_unit"
            )
        )
    assert again == (1, 0)
