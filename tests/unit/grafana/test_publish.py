"""``qndti grafana publish`` against a small real HTTP server that records requests and keeps state like Grafana."""

from __future__ import annotations

import asyncio
import datetime as dt
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

from grafana.errors import MissingVariables, PublishError
from grafana.generate import Artefacts
from grafana.publish import connect, publish
from index_engine.catalog import load_catalog
from qndti.cli import app
from tests.conftest import free_port

TOKEN = "glsa_" + uuid.uuid4().hex
CATALOG = load_catalog()
# Every lead unit of every plan year, successors of merged agencies included.
TASKS = [task for plan in CATALOG.plans.values() for task in plan.tasks.values()]
LEAD_UNITS = sorted(
    {i.lead_unit for i in CATALOG.indicators.values()}
    | {CATALOG.lead_unit(code, dt.date(year, 12, 31)) for code in CATALOG.indicators for year in CATALOG.plans}
    | {t.lead_unit for t in TASKS}
    | {CATALOG.task_lead(t, t.deadline) for t in TASKS}
)
# What an operator exports before publishing: the committee's addresses, its webhook, each lead unit's addresses.
ENV = {
    "DTI_ALERT_EMAIL": "bcd@quangninh.gov.vn;stttt@quangninh.gov.vn",
    "DTI_ALERT_WEBHOOK_URL": "https://ioc.quangninh.gov.vn/hooks/qndti",
} | {f"DTI_ALERT_EMAIL_{unit}": f"{unit.lower()}@quangninh.gov.vn" for unit in LEAD_UNITS}
# A shared server's own tree: its default receiver and a route of another team, which publishing must keep.
SERVER_TREE: dict[str, Any] = {
    "receiver": "grafana-default-email",
    "group_by": ["grafana_folder", "alertname"],
    "routes": [{"receiver": "network-team", "object_matchers": [["team", "=", "network"]]}],
}


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
    policy: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(SERVER_TREE)))
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
        if path == "/v1/provisioning/policies" and method == "GET":
            return web.json_response(self.policy)
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
    report = publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    assert set(grafana_server.dashboards) == set(artefacts.dashboards)
    assert all(d["folderUid"] == "qndti" and d["overwrite"] for d in grafana_server.dashboards.values())
    assert grafana_server.folders["qndti"]["title"] == "QN-DTI"
    assert set(grafana_server.rule_groups) == {g["title"] for g in artefacts.rule_groups}
    assert set(grafana_server.contact_points) == {c["uid"] for c in artefacts.contact_points}
    assert set(grafana_server.templates) == {"qndti.subject", "qndti.message"}
    assert grafana_server.playlists == {"qndti-wall": artefacts.playlist}
    assert "folder/qndti" in report.created
    assert "playlist/qndti-wall" in report.created
    assert {auth for _, _, auth, _ in grafana_server.requests} == {f"Bearer {TOKEN}"}


def test_contact_points_carry_the_addresses_from_the_environment(
    grafana_server: FakeGrafana, artefacts: Artefacts
) -> None:
    publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    points = grafana_server.contact_points
    assert points["qndti-email-ban-chi-dao"]["settings"]["addresses"] == "bcd@quangninh.gov.vn;stttt@quangninh.gov.vn"
    assert points["qndti-webhook-ban-chi-dao"]["settings"]["url"] == "https://ioc.quangninh.gov.vn/hooks/qndti"
    assert points["qndti-email-ttpvhcc"]["settings"]["addresses"] == "ttpvhcc@quangninh.gov.vn"
    assert "${" not in json.dumps(points)


def test_a_missing_variable_stops_before_any_request(grafana_server: FakeGrafana, artefacts: Artefacts) -> None:
    env = {k: v for k, v in ENV.items() if k != "DTI_ALERT_EMAIL_SYT"} | {"DTI_ALERT_WEBHOOK_URL": " "}
    with pytest.raises(MissingVariables, match="DTI_ALERT_EMAIL_SYT") as caught:
        publish(connect(grafana_server.url, TOKEN), artefacts, env)
    assert caught.value.names == ["DTI_ALERT_EMAIL_SYT", "DTI_ALERT_WEBHOOK_URL"]
    assert grafana_server.requests == []


def test_the_server_policy_tree_is_kept_and_gets_one_qndti_route(
    grafana_server: FakeGrafana, artefacts: Artefacts
) -> None:
    publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    tree = grafana_server.policy
    assert tree["receiver"] == "grafana-default-email"
    assert tree["group_by"] == ["grafana_folder", "alertname"]
    ours = [r for r in tree["routes"] if ["grafana_folder", "=", "QN-DTI"] in r.get("object_matchers", [])]
    assert len(ours) == 1
    assert tree["routes"][0] == ours[0]
    assert tree["routes"][1:] == SERVER_TREE["routes"]
    receivers = [r["receiver"] for r in ours[0]["routes"]]
    assert receivers == [f"qndti-don-vi-{u.lower()}" for u in LEAD_UNITS] + ["qndti-ban-chi-dao"]
    assert all(r["group_by"] == ["lead_unit"] for r in ours[0]["routes"][:-1])


def test_publishing_twice_changes_nothing(grafana_server: FakeGrafana, artefacts: Artefacts) -> None:
    publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    first = json.dumps(
        [grafana_server.dashboards, grafana_server.rule_groups, grafana_server.contact_points, grafana_server.policy],
        sort_keys=True,
    )
    report = publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
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
        publish(connect(grafana_server.url, TOKEN), artefacts, ENV)
    assert TOKEN not in str(caught.value)


def test_cli_reads_the_token_from_the_environment_and_never_prints_it(
    grafana_server: FakeGrafana, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app, ["grafana", "publish", "--url", grafana_server.url], env={"QNDTI_GRAFANA_TOKEN": TOKEN, **ENV}
    )
    assert result.exit_code == 0, result.output
    assert "Published" in result.output
    assert TOKEN not in result.output
    assert TOKEN not in caplog.text
    assert grafana_server.dashboards


def test_cli_with_a_wrong_token_fails_without_echoing_it(grafana_server: FakeGrafana) -> None:
    env = {"QNDTI_GRAFANA_TOKEN": "wrong-token", **ENV}
    result = CliRunner().invoke(app, ["grafana", "publish", "--url", grafana_server.url], env=env)
    assert result.exit_code == 1
    assert "401" in result.output
    assert "wrong-token" not in result.output


def test_cli_takes_no_token_on_the_command_line(grafana_server: FakeGrafana) -> None:
    result = CliRunner().invoke(app, ["grafana", "publish", "--url", grafana_server.url, "--token", TOKEN])
    assert result.exit_code == 2
    assert grafana_server.requests == []


def test_cli_without_a_token_names_the_setting(grafana_server: FakeGrafana) -> None:
    result = CliRunner().invoke(app, ["grafana", "publish", "--url", grafana_server.url], env=ENV)
    assert result.exit_code == 2
    assert "QNDTI_GRAFANA_TOKEN" in result.output
    assert grafana_server.requests == []
