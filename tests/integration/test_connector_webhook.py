"""``webhook`` served on a free loopback port, called with real signed HTTP requests, producing to real Kafka."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookConnector, sign
from connectors.runner import SourceState, run_push
from streams.topics import Topics
from tests.conftest import StackInfo, free_port
from tests.connectors_support import CATALOG, KafkaEmitter, read_topic, sample, source, write_source
from tests.integration.conftest import service_env

pytestmark = pytest.mark.integration

SECRET = "shared-s3cret"  # noqa: S105 - a test secret
RECORD = {"donVi": "Hạ Long", "thoiDiem": "2023-06-30T17:00:00+07:00", "daXuLy": 500, "xuLyTrucTuyen": 470}


def delivery(delivery_id: str, *records: dict[str, Any]) -> bytes:
    return json.dumps({"id": delivery_id, "records": list(records or [RECORD])}, ensure_ascii=False).encode()


def headers(body: bytes, secret: str = SECRET, sent: float | None = None) -> dict[str, str]:
    stamp = str(int(sent if sent is not None else time.time()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body), "Content-Type": "application/json"}


def test_signed_deliveries_are_accepted_once_and_bad_ones_refused(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    port = free_port()
    config = source(
        tmp_path / "sources",
        "push",
        type="webhook",
        auth={"type": "hmac", "secret_env": "PUSH_SECRET"},
        fields={"unit": "donVi", "ts": "thoiDiem"},
        metrics={"daXuLy": "dossier.processed", "xuLyTrucTuyen": "dossier.processed_online"},
        options={"port": port, "path": "/push", "max_body_bytes": 2048},
    )

    async def scenario() -> tuple[dict[str, int], list[Any]]:
        async with KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka:
            connector = WebhookConnector(config, CATALOG, {"PUSH_SECRET": SECRET})
            stop = asyncio.Event()
            state = SourceState("push")
            server = asyncio.create_task(run_push(connector, kafka.emitter, {}, stop, state))
            url = f"http://127.0.0.1:{port}/push"
            statuses: dict[str, int] = {}
            async with httpx.AsyncClient(timeout=10) as client:
                for _ in range(50):  # wait until the server listens
                    try:
                        await client.get(url)
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                ok = delivery("d-1")
                statuses["accepted"] = (await client.post(url, content=ok, headers=headers(ok))).status_code
                statuses["again"] = (await client.post(url, content=ok, headers=headers(ok))).status_code
                bad = delivery("d-2")
                statuses["bad-signature"] = (await client.post(url, content=bad, headers=headers(bad, "x"))).status_code
                old = headers(bad, sent=time.time() - 3600)
                statuses["replayed-old"] = (await client.post(url, content=bad, headers=old)).status_code
                big = delivery("d-3", *[RECORD] * 40)
                statuses["too-large"] = (await client.post(url, content=big, headers=headers(big))).status_code
                junk = b'{"id": "d-4", "records": ['
                statuses["malformed"] = (await client.post(url, content=junk, headers=headers(junk))).status_code
                negative = delivery("d-5", RECORD, {**RECORD, "donVi": "Cẩm Phả", "daXuLy": -1})
                statuses["negative"] = (await client.post(url, content=negative, headers=headers(negative))).status_code
                unknown = delivery("d-6", {**RECORD, "donVi": "Hoành Bồ"})
                statuses["unknown-unit"] = (
                    await client.post(url, content=unknown, headers=headers(unknown))
                ).status_code
                assert not state.healthy  # the last delivery was refused
                await asyncio.sleep(0.01)  # a later delivery is a later revision, to the millisecond
                # A new delivery for the same date corrects one count and repeats the other.
                fixed = delivery("d-7", {**RECORD, "daXuLy": 510})
                statuses["corrected"] = (await client.post(url, content=fixed, headers=headers(fixed))).status_code
                assert state.healthy
            stop.set()
            await asyncio.wait_for(server, 10)
            assert kafka.store.load("push")["seen_ids"] == ["d-1", "d-7"]
            assert sample(kafka.registry, "qndti_connector_observations_total", source="push") == 4
            assert sample(kafka.registry, "qndti_connector_polls_total", source="push", outcome="ok") == 2
            assert sample(kafka.registry, "qndti_connector_polls_total", source="push", outcome="failed") == 6
            assert sample(kafka.registry, "qndti_connector_failures_total", source="push", error_class="auth") == 2
            assert (
                sample(kafka.registry, "qndti_connector_failures_total", source="push", error_class="bad_record") == 2
            )
            return statuses, await read_topic(stack.kafka_bootstrap, topics.observations, 4)

    statuses, found = asyncio.run(scenario())
    assert statuses == {
        "accepted": 202,
        "again": 202,
        "bad-signature": 401,
        "replayed-old": 401,
        "too-large": 413,
        "malformed": 400,
        "negative": 422,
        "unknown-unit": 422,
        "corrected": 202,
    }
    by_metric: dict[str, list[Any]] = {}
    for obs in sorted(found, key=lambda o: o.revision):
        by_metric.setdefault(obs.metric, []).append(obs)
    processed, online = by_metric["dossier.processed"], by_metric["dossier.processed_online"]
    assert [o.value for o in processed] == [500.0, 510.0]
    assert processed[1].revision > processed[0].revision
    assert processed[1].ts == processed[0].ts
    assert processed[0].id == f"push:HALONG:dossier.processed:2023-06-30T10:00:00Z@{processed[0].revision}"
    assert processed[1].id == f"push:HALONG:dossier.processed:2023-06-30T10:00:00Z@{processed[1].revision}"
    # The unchanged count came again with its first id and revision: a repeat, which changes nothing.
    assert [o.value for o in online] == [470.0, 470.0]
    assert online[0] == online[1]
    assert online[0].revision == processed[0].revision


def test_a_webhook_port_already_taken_is_one_line(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    port = free_port()
    sources = tmp_path / "sources"
    write_source(
        sources,
        "push",
        type="webhook",
        auth={"type": "hmac", "secret_env": "PUSH_SECRET"},
        fields={"unit": "donVi", "ts": "thoiDiem"},
        metrics={"daXuLy": "dossier.processed"},
        options={"port": port},
    )
    env = service_env(
        stack,
        "postgresql://unused",
        topics,
        tmp_path,
        QNDTI_CONNECTOR_SOURCES=str(sources),
        QNDTI_CONNECTOR_STATE_DIR=str(tmp_path / "state"),
        QNDTI_CONNECTORS_PORT="0",
        PUSH_SECRET=SECRET,
    )
    with socket.socket() as held:
        held.bind(("127.0.0.1", port))
        held.listen()
        result = subprocess.run(
            [sys.executable, "-m", "qndti", "connectors", "run"], env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: webhook 'push': cannot listen on 127.0.0.1:{port}: it is already in use (another `qndti connectors"
        " run`?); stop the other process or set options.port in push.yaml"
    )
