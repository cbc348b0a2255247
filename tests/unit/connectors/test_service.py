import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from connectors.adapters.http_json import HttpJsonConnector
from connectors.errors import PortInUse
from connectors.runner import SourceLoop, SourceState
from connectors.service import HealthServer
from tests.connectors_support import CATALOG, ListSink, emitter, source, write_source

GOOD = {"data": [{"unit": "Hạ Long", "ts": "2023-06-30T17:00:00+07:00", "processed": 10, "online": 9}]}


def test_healthz_is_degraded_while_polls_get_invalid_json_and_ok_again_after_a_good_one(tmp_path: Path) -> None:
    answers: list[Any] = ['{"data": [{"unit": "Ha Long"', "<html>Bảo trì hệ thống</html>", GOOD]

    def handler(_: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, str):
            return httpx.Response(200, text=answer, headers={"Content-Type": "application/json"})
        return httpx.Response(200, json=answer)

    config = source(tmp_path / "sources", "dvc", options={"url": "https://dvc.example.vn/api", "records": "data"})
    connector = HttpJsonConnector(config, CATALOG, {}, transport=httpx.MockTransport(handler))
    emit, registry = emitter(ListSink(), tmp_path / "state")
    state = SourceState("dvc")
    loop = SourceLoop(connector, emit, {}, state)

    async def scenario() -> list[dict[str, Any]]:
        health = HealthServer(registry, [state], "127.0.0.1", 0)
        port = await health.start()
        seen = []
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(3):
                    await loop.poll_once()
                    seen.append((await client.get("/healthz")).json())
                metrics = (await client.get("/metrics")).text
        finally:
            await health.stop()
            await connector.aclose()
        assert 'qndti_connector_polls_total{outcome="failed",source="dvc"} 2.0' in metrics
        return seen

    first, second, third = asyncio.run(scenario())
    # The breaker is still closed after two failures (it opens at three): health must not wait for it.
    assert first["status"] == "degraded"
    assert first["sources"]["dvc"]["status"] == "degraded"
    assert first["sources"]["dvc"]["breaker"] == "closed"
    assert "page 1: the answer is not JSON" in first["sources"]["dvc"]["last_error"]
    assert second["status"] == "degraded"
    assert third["status"] == "ok"
    assert third["sources"]["dvc"] == {
        "status": "ok",
        "breaker": "closed",
        "last_error": None,
        "last_success": third["sources"]["dvc"]["last_success"],
    }
    assert third["sources"]["dvc"]["last_success"] is not None


def test_a_taken_port_is_one_clear_error() -> None:
    async def scenario(port: int) -> None:
        await HealthServer(CollectorRegistry(), [], "127.0.0.1", port).start()

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            asyncio.run(scenario(port))
    assert str(caught.value) == (
        f"/metrics and /healthz: cannot listen on 127.0.0.1:{port}: it is already in use (another `qndti connectors"
        " run`?); stop the other process or set QNDTI_CONNECTORS_PORT"
    )


def test_a_second_connectors_process_on_a_taken_port_fails_with_one_line(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    write_source(
        sources,
        "reports",
        type="file_drop",
        fields={"unit": "Đơn vị"},
        metrics={"Hồ sơ đã xử lý": "dossier.processed"},
        options={"folder": str(tmp_path / "drop")},
    )
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = {
            **os.environ,
            "QNDTI_CONNECTOR_SOURCES": str(sources),
            "QNDTI_CONNECTOR_STATE_DIR": str(tmp_path / "state"),
            "QNDTI_CONNECTORS_PORT": str(port),
            "QNDTI_KAFKA_BOOTSTRAP": "127.0.0.1:1",  # never reached: the port is taken first
        }
        result = subprocess.run(
            [sys.executable, "-m", "qndti", "connectors", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: /metrics and /healthz: cannot listen on 127.0.0.1:{port}: it is already in use (another `qndti "
        "connectors run`?); stop the other process or set QNDTI_CONNECTORS_PORT"
    ]
    assert result.stdout == ""
