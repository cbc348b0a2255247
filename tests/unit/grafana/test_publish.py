"""``qndti grafana publish`` against a small real HTTP server that records requests and keeps state like Grafana."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from typer.testing import CliRunner

from grafana.errors import PublishError
from grafana.generate import Artefacts
from grafana.publish import connect, publish
from qndti.cli import app
from tests.conftest import free_port

TOKEN = "glsa_" + uuid.uuid4().hex


@dataclass
class FakeGrafana:
    """A recording HTTP server with just enough of Grafana's API state to show idempotence."""

    port: int
    requests: list[tuple[str, str, str, Any]] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_points: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_dashboards: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, request.headers.get("Authorization", ""), body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        method, path = request.method, request.path.removeprefix("/api")
        if path.startswith("/folders/") and method == "GET":
            uid = path.rsplit("/", 1)[1]
            return web.json_response(self.folders[uid]) if uid in self.folders else _missing()
        if path == "/folders" and method == "POST":
            self.folders[body["uid"]] = body
            return web.json_response(body)
        if path.startswith("/folders/") and method == "PUT":
            self.folders[path.rsplit("/", 1)[1]].update(body)
            return web.json_response(body)
        if path == "/dashboards/db" and method == "POST":
            if self.fail_dashboards:
                return web.json_response({"message": "dashboard invalid"}, status=400)
            self.dashboards[body["dashboard"]["uid"]] = body
            return web.json_response({"status": "success", "uid": body["dashboard"]["uid"]})
        if path.startswith("/playlists/") and method == "GET":
            uid = path.rsplit("/", 1)[1]
            return web.json_response(self.playlists[uid]) if uid in self.playlists else _missing()
        if path == "/playlists" and method == "POST":
            self.playlists[body["uid"]] = body
            return web.json_response(body)
        if path.startswith("/playlists/") and method == "PUT":
            self.playlists[path.rsplit("/", 1)[1]] = body
            return web.json_response(body)
        if path.startswith("/v1/provisioning/templates/") and method == "PUT":
            self.templates[path.rsplit("/", 1)[1]] = body
            return web.json_response(body)
        if path == "/v1/provisioning/contact-points" and method == "GET":
            return web.json_response(list(self.contact_points.values()))
        if path == "/v1/provisioning/contact-points" and method == "POST":
            self.contact_points[body["uid"]] = body
            return web.json_response(body, status=202)
        if path.startswith("/v1/provisioning/contact-points/") and method == "PUT":
            self.contact_points[path.rsplit("/", 1)[1]] = body
            return web.json_response({"message": "contactpoint updated"}, status=202)
        if path == "/v1/provisioning/policies" and method == "PUT":
            self.policy = body
            return web.json_response({"message": "policies updated"}, status=202)
        if path.startswith("/v1/provisioning/folder/") and method == "PUT":
            self.rule_groups[path.rsplit("/", 1)[1]] = body
            return web.json_response(body)
        return _missing()


def _missing() -> web.Response:
    return web.json_response({"message": "not found"}, status=404)


@pytest.fixture
def grafana_server() -> Iterator[FakeGrafana]:
    server = FakeGrafana(port=free_port())
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(application)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", server.port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield server
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_publish_pushes_everything_with_the_token(grafana_server: FakeGrafana, artefacts: Artefacts) -> None:
    report = publish(connect(grafana_server.url, TOKEN), artefacts)
    assert set(grafana_server.dashboards) == set(artefacts.dashboards)
    assert all(d["folderUid"] == "qndti" and d["overwrite"] for d in grafana_server.dashboards.values())
    assert grafana_server.folders["qndti"]["title"] == "QN-DTI"
    assert set(grafana_server.rule_groups) == {g["title"] for g in artefacts.rule_groups}
    assert set(grafana_server.contact_points) == {c["uid"] for c in artefacts.contact_points}
    assert set(grafana_server.templates) == {"qndti.subject", "qndti.message"}
    assert grafana_server.policy == artefacts.policy
    assert grafana_server.playlists == {"qndti-wall": artefacts.playlist}
    assert "folder/qndti" in report.created
    assert "playlist/qndti-wall" in report.created
    assert {auth for _, _, auth, _ in grafana_server.requests} == {f"Bearer {TOKEN}"}


def test_publishing_twice_changes_nothing(grafana_server: FakeGrafana, artefacts: Artefacts) -> None:
    publish(connect(grafana_server.url, TOKEN), artefacts)
    first = json.dumps(
        [grafana_server.dashboards, grafana_server.rule_groups, grafana_server.contact_points, grafana_server.policy],
        sort_keys=True,
    )
    report = publish(connect(grafana_server.url, TOKEN), artefacts)
    again = json.dumps(
        [grafana_server.dashboards, grafana_server.rule_groups, grafana_server.contact_points, grafana_server.policy],
        sort_keys=True,
    )
    assert again == first
    assert report.created == []
    assert "playlist/qndti-wall" in report.updated
    assert len(grafana_server.folders) == 1
    posts = [p for m, p, _, _ in grafana_server.requests if m == "POST" and "contact-points" in p]
    assert len(posts) == len(artefacts.contact_points)


def test_refusal_is_a_clear_error_without_the_token(grafana_server: FakeGrafana, artefacts: Artefacts) -> None:
    grafana_server.fail_dashboards = True
    with pytest.raises(PublishError, match="400") as caught:
        publish(connect(grafana_server.url, TOKEN), artefacts)
    assert TOKEN not in str(caught.value)


def test_cli_reads_the_token_from_the_environment_and_never_prints_it(
    grafana_server: FakeGrafana, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app, ["grafana", "publish", "--url", grafana_server.url], env={"QNDTI_GRAFANA_TOKEN": TOKEN}
    )
    assert result.exit_code == 0, result.output
    assert "Published" in result.output
    assert TOKEN not in result.output
    assert TOKEN not in caplog.text
    assert grafana_server.dashboards


def test_cli_with_a_wrong_token_fails_without_echoing_it(grafana_server: FakeGrafana) -> None:
    result = CliRunner().invoke(app, ["grafana", "publish", "--url", grafana_server.url, "--token", "wrong-token"])
    assert result.exit_code == 1
    assert "401" in result.output
    assert "wrong-token" not in result.output
