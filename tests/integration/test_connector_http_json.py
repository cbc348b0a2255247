"""``http_json`` against a real aiohttp server on a free loopback port, producing to the real Kafka broker."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from connectors.adapters.http_json import HttpJsonConnector
from connectors.checkpoint import CheckpointStore
from connectors.runner import SourceLoop, SourceState
from connectors.service import run_sources
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.connectors_support import CATALOG, KafkaEmitter, ListSink, emitter, read_topic, sample, source

pytestmark = pytest.mark.integration

TOKEN = "t0ken-value"  # noqa: S105 - a test credential
ENV = {"DVC_TOKEN": TOKEN, "DVC_USER": "qn", "DVC_PASSWORD": "pw", "DVC_KEY": "k3y"}
UNITS = ["Hạ Long", "Cam Pha", "TP. Uông Bí", "MONG CAI", "Thị xã Đông Triều"]
RECORDS = [
    {"tenDonVi": name, "thoiDiem": "2023-06-30T17:00:00+07:00", "daXuLy": 1000 + i, "xuLyTrucTuyen": f"{900 + i}"}
    for i, name in enumerate(UNITS)
]
FIELDS = {"unit": "tenDonVi", "ts": "thoiDiem"}
METRICS = {"daXuLy": "dossier.processed", "xuLyTrucTuyen": "dossier.processed_online"}

Handler = Callable[[web.Request], Any]


@asynccontextmanager
async def serve(routes: dict[str, Handler]) -> AsyncIterator[str]:
    """A real HTTP server on a free loopback port; yields its base URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def http_source(tmp_path: Path, url: str, name: str = "dvc", **settings: Any) -> Any:
    options = {"url": url, "records": "data", **settings.pop("options", {})}
    settings.setdefault("auth", {"type": "bearer", "token_env": "DVC_TOKEN"})
    return source(tmp_path / "sources", name, fields=FIELDS, metrics=METRICS, options=options, **settings)


def paged(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return web.json_response({"error": "unauthorised"}, status=401)
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304)
    page, size = int(request.query["page"]), int(request.query["size"])
    items = RECORDS[(page - 1) * size : page * size]
    return web.json_response({"data": items}, headers={"ETag": '"v1"'})


def test_pages_are_produced_once_and_an_unchanged_answer_is_skipped(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    async def scenario() -> list[Any]:
        async with (
            serve({"/ho-so": paged}) as base,
            KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka,
        ):
            paging = {"type": "page", "param": "page", "start": 1, "size_param": "size", "size": 2}
            config = http_source(tmp_path, f"{base}/ho-so", options={"pagination": paging})
            loop = SourceLoop(HttpJsonConnector(config, CATALOG, ENV), kafka.emitter, {}, SourceState("dvc"))
            await loop.poll_once()
            assert kafka.store.load("dvc")["etag"] == '"v1"'
            assert kafka.store.load("dvc")["watermark"] == "2023-06-30T10:00:00+00:00"
            await loop.poll_once()  # 304: nothing new
            assert sample(kafka.registry, "qndti_connector_polls_total", source="dvc", outcome="ok") == 1
            assert sample(kafka.registry, "qndti_connector_polls_total", source="dvc", outcome="not_modified") == 1
            assert sample(kafka.registry, "qndti_connector_observations_total", source="dvc") == 10
            assert sample(kafka.registry, "qndti_connector_source_lag_seconds", source="dvc") > 0
            await loop.connector.aclose()
            return await read_topic(stack.kafka_bootstrap, topics.observations, 10)

    found = asyncio.run(scenario())
    assert sorted((o.unit, o.metric, o.value) for o in found) == sorted(
        [
            (u, "dossier.processed", 1000.0 + i)
            for i, u in enumerate(["HALONG", "CAMPHA", "UONGBI", "MONGCAI", "DONGTRIEU"])
        ]
        + [
            (u, "dossier.processed_online", 900.0 + i)
            for i, u in enumerate(["HALONG", "CAMPHA", "UONGBI", "MONGCAI", "DONGTRIEU"])
        ]
    )


def _offset(request: web.Request) -> web.Response:
    offset, limit = int(request.query["offset"]), int(request.query["limit"])
    return web.json_response({"data": RECORDS[offset : offset + limit]})


def _cursor(request: web.Request) -> web.Response:
    start = int(request.query.get("after", "0"))
    nxt = start + 2 if start + 2 < len(RECORDS) else None
    return web.json_response({"data": RECORDS[start : start + 2], "meta": {"next": None if nxt is None else str(nxt)}})


def _link(request: web.Request) -> web.Response:
    start = int(request.query.get("from", "0"))
    headers = {}
    if start + 2 < len(RECORDS):
        headers["Link"] = f'<{request.url.with_query({"from": start + 2})}>; rel="next"'
    return web.json_response({"data": RECORDS[start : start + 2]}, headers=headers)


@pytest.mark.parametrize(
    ("route", "pagination"),
    [
        (_offset, {"type": "offset", "param": "offset", "size_param": "limit", "size": 2}),
        (_cursor, {"type": "cursor", "param": "after", "next": "meta.next"}),
        (_link, {"type": "link"}),
    ],
    ids=["offset", "cursor", "link"],
)
def test_offset_cursor_and_link_pagination(tmp_path: Path, route: Handler, pagination: dict[str, Any]) -> None:
    async def scenario() -> list[str]:
        async with serve({"/api": route}) as base:
            config = http_source(tmp_path, f"{base}/api", options={"pagination": pagination}, auth={"type": "none"})
            connector = HttpJsonConnector(config, CATALOG, ENV)
            batch = await connector.poll({}, dt.datetime.now(dt.UTC))
            await connector.aclose()
            return sorted({o.unit for o in batch.observations})

    assert asyncio.run(scenario()) == sorted(["HALONG", "CAMPHA", "UONGBI", "MONGCAI", "DONGTRIEU"])


def test_basic_and_api_key_auth_and_post_with_if_modified_since(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append({**request.headers, "query": request.query_string, "body": await request.text()})
        return web.json_response({"data": RECORDS[:1]}, headers={"Last-Modified": "Fri, 30 Jun 2023 10:00:00 GMT"})

    async def scenario() -> None:
        async with serve({"/api": record}) as base:
            basic = http_source(
                tmp_path,
                f"{base}/api",
                auth={"type": "basic", "username_env": "DVC_USER", "password_env": "DVC_PASSWORD"},
                options={"method": "POST", "body": {"nam": 2023}},
            )
            key = http_source(
                tmp_path,
                f"{base}/api",
                name="k",
                auth={"type": "api_key", "key_env": "DVC_KEY", "name": "apikey", "location": "query"},
            )
            now = dt.datetime.now(dt.UTC)
            for config in (basic, key):
                connector = HttpJsonConnector(config, CATALOG, ENV)
                batch = await connector.poll({}, now)
                await connector.poll(batch.checkpoint, now)
                await connector.aclose()

    asyncio.run(scenario())
    assert seen[0]["Authorization"] == "Basic " + base64.b64encode(b"qn:pw").decode()
    assert seen[0]["body"] == '{"nam":2023}' or seen[0]["body"] == '{"nam": 2023}'
    assert seen[1]["If-Modified-Since"] == "Fri, 30 Jun 2023 10:00:00 GMT"
    assert "apikey=k3y" in seen[2]["query"]


def _json(body: Any, status: int = 200) -> Handler:
    async def handler(_: web.Request) -> web.Response:
        if isinstance(body, str):
            return web.Response(text=body, status=status, content_type="application/json")
        return web.json_response(body, status=status)

    return handler


def _with(**changes: Any) -> dict[str, Any]:
    return {"data": [RECORDS[0], {**RECORDS[1], **changes}]}


@pytest.mark.parametrize(
    ("answer", "error_class", "message"),
    [
        (_json('{"data": [{"tenDonVi": "Ha Long"'), "invalid_response", "not JSON"),
        (_json({"items": RECORDS}), "invalid_response", "no list of records at 'data'"),
        (
            _json({"data": [{**RECORDS[0], "daXuLy": None}, {"tenDonVi": "Cam Pha", "soLieu": 3}]}),
            "bad_record",
            "changed its format",
        ),
        (_json(_with(daXuLy=-4)), "bad_record", "negative"),
        (_json(_with(daXuLy="khoảng 100")), "bad_record", "not a number"),
        (_json(_with(tenDonVi="Huyện Hoành Bồ")), "bad_record", "Hoành Bồ.*not in the catalog"),
        (_json({"error": "token expired"}, 401), "auth", "credential was refused"),
    ],
    ids=[
        "malformed",
        "schema-change",
        "field-renamed",
        "negative",
        "non-numeric",
        "unknown-unit",
        "expired-credential",
    ],
)
def test_bad_answers_produce_nothing_and_keep_the_checkpoint(
    stack: StackInfo,
    topics: Topics,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    answer: Handler,
    error_class: str,
    message: str,
) -> None:
    async def scenario() -> list[Any]:
        async with (
            serve({"/api": answer}) as base,
            KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka,
        ):
            config = http_source(tmp_path, f"{base}/api")
            kafka.store.save("dvc", {"watermark": "2023-06-29T00:00:00+00:00"})
            state = SourceState("dvc")
            loop = SourceLoop(HttpJsonConnector(config, CATALOG, ENV), kafka.emitter, kafka.store.load("dvc"), state)
            await loop.poll_once()
            await loop.connector.aclose()
            assert sample(kafka.registry, "qndti_connector_failures_total", source="dvc", error_class=error_class) == 1
            assert sample(kafka.registry, "qndti_connector_polls_total", source="dvc", outcome="failed") == 1
            assert kafka.store.load("dvc") == {"watermark": "2023-06-29T00:00:00+00:00"}
            assert state.last_error is not None
            assert re.search(message, state.last_error), state.last_error
            return await read_topic(stack.kafka_bootstrap, topics.observations, 0, timeout=1)

    assert asyncio.run(scenario()) == []
    assert any(error_class in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text


def test_a_5xx_storm_opens_the_breaker_while_another_source_goes_on(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    hits = {"storm": 0}

    async def storm(_: web.Request) -> web.Response:
        hits["storm"] += 1
        return web.Response(status=503, text="maintenance")

    async def scenario() -> list[Any]:
        async with (
            serve({"/storm": storm, "/ok": _json({"data": RECORDS[:2]})}) as base,
            KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka,
        ):
            bad = HttpJsonConnector(http_source(tmp_path, f"{base}/storm", name="storm"), CATALOG, ENV)
            good = HttpJsonConnector(http_source(tmp_path, f"{base}/ok", name="good"), CATALOG, ENV)
            stop = asyncio.Event()
            states: list[SourceState] = []
            task = asyncio.create_task(run_sources([bad, good], kafka.emitter, kafka.store, stop, states))
            await asyncio.sleep(2)
            stop.set()
            await asyncio.wait_for(task, 10)
            by_name = {s.name: s for s in states}
            assert by_name["storm"].breaker == "open"
            assert by_name["good"].breaker == "closed"
            assert hits["storm"] == 3  # the breaker stopped the storm after 3 failures
            assert (
                sample(kafka.registry, "qndti_connector_failures_total", source="storm", error_class="unavailable") == 3
            )
            assert sample(kafka.registry, "qndti_connector_polls_total", source="storm", outcome="skipped") >= 1
            assert CheckpointStore(tmp_path / "state").load("storm") == {}
            assert CheckpointStore(tmp_path / "state").load("good")["watermark"]
            return await read_topic(stack.kafka_bootstrap, topics.observations, 4)

    assert sorted(o.unit for o in asyncio.run(scenario())) == ["CAMPHA", "CAMPHA", "HALONG", "HALONG"]


def test_a_slow_source_times_out(tmp_path: Path) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({"data": RECORDS})

    async def scenario() -> float:
        async with serve({"/slow": slow}) as base:
            config = http_source(tmp_path, f"{base}/slow", timeout=0.3)
            emit, registry = emitter(ListSink(), tmp_path / "state")
            loop = SourceLoop(HttpJsonConnector(config, CATALOG, ENV), emit, {}, SourceState("dvc"))
            await loop.poll_once()
            await loop.connector.aclose()
            return sample(registry, "qndti_connector_failures_total", source="dvc", error_class="timeout")

    assert asyncio.run(scenario()) == 1


def test_a_count_sent_again_for_the_same_time_with_a_fix_is_a_higher_revision(
    stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    answers = [RECORDS[:2], [RECORDS[0], {**RECORDS[1], "daXuLy": 1101}]]

    async def api(_: web.Request) -> web.Response:
        return web.json_response({"data": answers.pop(0)})

    async def scenario() -> list[Any]:
        async with (
            serve({"/api": api}) as base,
            KafkaEmitter(stack.kafka_bootstrap, topics.observations, tmp_path / "state") as kafka,
        ):
            config = http_source(tmp_path, f"{base}/api", auth={"type": "none"})
            loop = SourceLoop(HttpJsonConnector(config, CATALOG, ENV), kafka.emitter, {}, SourceState("dvc"))
            await loop.poll_once()
            await asyncio.sleep(0.01)
            await loop.poll_once()
            await loop.connector.aclose()
            assert sample(kafka.registry, "qndti_connector_observations_total", source="dvc") == 8
            return await read_topic(stack.kafka_bootstrap, topics.observations, 8)

    found = asyncio.run(scenario())
    assert len(found) == 8
    # Seven figures came twice unchanged (the same id: a repeat); Cẩm Phả's processed count came with a fix.
    assert len({o.id for o in found}) == 5
    fixed = sorted(
        (o for o in found if o.unit == "CAMPHA" and o.metric == "dossier.processed"), key=lambda o: o.revision
    )
    assert [o.value for o in fixed] == [1001.0, 1101.0]
    assert fixed[1].revision > fixed[0].revision
    assert fixed[0].ts == fixed[1].ts
    assert {o.revision for o in found if o is not fixed[1]} == {fixed[0].revision}
