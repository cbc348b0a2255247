"""``webhook`` served on a free loopback port, called with real signed HTTP requests, producing to real Kafka."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookConnector, sign
from connectors.runner import run_push
from streams.topics import Topics
from tests.conftest import StackInfo, free_port
from tests.connectors_support import CATALOG, KafkaEmitter, read_topic, sample, source

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
            server = asyncio.create_task(run_push(connector, kafka.emitter, {}, stop))
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
            stop.set()
            await asyncio.wait_for(server, 10)
            assert kafka.store.load("push") == {"seen_ids": ["d-1"]}
            assert sample(kafka.registry, "qndti_connector_observations_total", source="push") == 2
            assert sample(kafka.registry, "qndti_connector_failures_total", source="push", error_class="auth") == 2
            assert (
                sample(kafka.registry, "qndti_connector_failures_total", source="push", error_class="bad_record") == 2
            )
            return statuses, await read_topic(stack.kafka_bootstrap, topics.observations, 2)

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
    }
    assert sorted((o.id, o.unit, o.value) for o in found) == [
        ("push:HALONG:dossier.processed:2023-06-30T10:00:00Z", "HALONG", 500.0),
        ("push:HALONG:dossier.processed_online:2023-06-30T10:00:00Z", "HALONG", 470.0),
    ]
