"""``webhook``: an HTTP endpoint (aiohttp) for sources that push their counts.

A delivery is ``POST <path>`` with a JSON body ``{"id": "...", "records": [{...}, ...]}`` (or one record
without ``records``) and two headers:

- ``X-QNDTI-Timestamp``: Unix seconds when it was sent; refused when further than ``tolerance_seconds`` away;
- ``X-QNDTI-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the shared secret.

Answers: 202 once the observations are acknowledged by the broker (or the id was already accepted: deliveries are
idempotent by id); 401 bad or old signature; 400 not JSON or no id; 413 body too large; 422 a record cannot be
mapped (nothing of the delivery is produced); 503 the broker did not acknowledge (send again).

A source with ``produces: task_reports`` takes task progress reports the same way, signed the same way: one report
``{"id": "...", "task": "NV23-02", "progress": 100, "state": "done", "date": "2023-06-30", "evidence": "..."}``
(``note`` too; the names of :mod:`connectors.tasks`), or ``{"id": "...", "records": [{...}, ...]}`` where each
record's ``id`` (else ``<delivery id>/<n>``) becomes its report's id. Each becomes a TaskReport v1 with the source's
name as ``source``; a record that cannot be one (no task code, progress not a number, no date) answers 422 and
nothing of the delivery is produced. What the worker judges (an unknown task, progress outside 0–100, …) is not
checked here.

Options::

    host: 127.0.0.1
    port: 8081
    path: /webhook
    max_body_bytes: 1048576
    tolerance_seconds: 300
    id_field: id
    records: records
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from connectors.base import Batch, Emit, Report, parse_options, secret
from connectors.checkpoint import Checkpoint
from connectors.config import HmacAuth, SourceConfig
from connectors.errors import (
    ConfigError,
    ConnectorError,
    ProduceFailed,
    SourceAuthFailed,
    SourceResponseInvalid,
)
from connectors.mapping import Mapper
from connectors.revisions import remember
from connectors.serving import listen
from connectors.tasks import TaskRecordParser, Where
from connectors.units import fold
from index_engine.catalog import Catalog

MAX_REMEMBERED: Final = 10_000
SIGNATURE_HEADER: Final = "X-QNDTI-Signature"
TIMESTAMP_HEADER: Final = "X-QNDTI-Timestamp"


class WebhookOptions(BaseModel):
    """Options of a ``webhook`` source."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8081
    path: str = "/webhook"
    max_body_bytes: int = 1 << 20
    tolerance_seconds: float = 300
    id_field: str = "id"
    records: str = "records"


def sign(secret_value: str, timestamp: str, body: bytes) -> str:
    """The signature header value a sender computes for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret_value.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookConnector:
    """Accepts signed deliveries from one pushing source."""

    def __init__(
        self,
        config: SourceConfig,
        catalog: Catalog,
        env: Mapping[str, str],
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.config = config
        self.options = parse_options(config, WebhookOptions)
        if not isinstance(config.auth, HmacAuth):
            raise ConfigError(config.file.rsplit("/", 1)[-1], "a webhook needs auth of type hmac", "auth")
        self._secret = secret(config, env, config.auth.secret_env)
        self.mapper = Mapper(config, catalog)
        self.tasks = TaskRecordParser(config) if config.produces == "task_reports" else None
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = asyncio.Lock()
        self.bound_port: int | None = None

    def _verify(self, request: web.Request, body: bytes) -> None:
        name = self.config.name
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        try:
            sent = float(stamp)
        except ValueError:
            raise SourceAuthFailed(name, f"delivery without a valid {TIMESTAMP_HEADER}") from None
        if abs(self.clock().timestamp() - sent) > self.options.tolerance_seconds:
            raise SourceAuthFailed(name, "delivery timestamp is too old or in the future (replay?)")
        if not hmac.compare_digest(given, sign(self._secret, stamp, body)):
            raise SourceAuthFailed(name, "delivery signature does not match")

    async def _handle(self, request: web.Request, state: dict[str, Any], emit: Emit, report: Report) -> web.Response:
        name = self.config.name
        if (request.content_length or 0) > self.options.max_body_bytes:
            report(SourceResponseInvalid(name, f"delivery of {request.content_length} bytes is over the limit"))
            return web.json_response({"error": "body too large"}, status=413)
        body = await request.content.read(self.options.max_body_bytes + 1)
        if len(body) > self.options.max_body_bytes:
            report(SourceResponseInvalid(name, "delivery body is over the limit"))
            return web.json_response({"error": "body too large"}, status=413)
        try:
            self._verify(request, body)
        except SourceAuthFailed as exc:
            report(exc)
            return web.json_response({"error": exc.detail}, status=401)
        try:
            payload = json.loads(body)
            delivery = str(payload[self.options.id_field]) if isinstance(payload, dict) else None
        except (ValueError, KeyError):
            delivery = None
        if delivery is None:
            report(SourceResponseInvalid(name, f"delivery is not a JSON object with {self.options.id_field!r}"))
            return web.json_response({"error": f"a JSON object with {self.options.id_field!r} is required"}, status=400)
        records = payload.get(self.options.records, [payload])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            report(SourceResponseInvalid(name, f"delivery {delivery}: {self.options.records!r} is not a list"))
            return web.json_response({"error": f"{self.options.records!r} must be a list of objects"}, status=422)
        async with self._lock:
            seen: list[str] = state.setdefault("seen_ids", [])
            if delivery in seen:
                return web.json_response({"id": delivery, "duplicate": True}, status=202)
            now = self.clock()
            checkpoint = {**state, "seen_ids": [*seen, delivery][-MAX_REMEMBERED:]}
            try:
                if self.tasks is not None:
                    single = self.options.records not in payload
                    batch = self._task_batch(self.tasks, records, delivery, single, checkpoint)
                else:
                    mapped = self.mapper.map(records, now, label=f"delivery {delivery}, record")
                    batch = Batch.of(mapped, checkpoint)
                    batch.observations, batch.checkpoint = remember(batch.observations, batch.checkpoint, now)
            except ConnectorError as exc:
                report(exc)
                return web.json_response({"error": str(exc)}, status=422)
            try:
                produced = await emit(batch)
            except ProduceFailed as exc:
                report(exc)
                return web.json_response({"error": "not stored; send again"}, status=503)
            except ConnectorError as exc:
                report(exc)
                return web.json_response({"error": str(exc)}, status=422)
            state.clear()
            state.update(batch.checkpoint)
        what = "task_reports" if self.tasks is not None else "observations"
        return web.json_response({"id": delivery, what: produced}, status=202)

    def _task_batch(
        self,
        parser: TaskRecordParser,
        records: list[dict[str, Any]],
        delivery: str,
        single: bool,
        checkpoint: Checkpoint,
    ) -> Batch:
        """The task reports of a delivery (``single``: a body that is one report); raise on the first bad record."""
        reports = []
        for number, record in enumerate(records, start=1):
            folded = {fold(str(k)): v for k, v in record.items()}
            where = Where(f"delivery {delivery}, record {number}, field", {fold(str(k)): str(k) for k in record})
            # A record without an id of its own: the delivery's id for a one-report body, else numbered under it.
            fallback = delivery if single else f"{delivery}/{number}"
            reports.append(parser.parse(folded, parser.names.find(folded), where, record_id=fallback))
        return Batch([], checkpoint, task_reports=reports, produces="task_reports")

    async def serve(
        self, checkpoint: Checkpoint, emit: Emit, report: Report, stop: Callable[[], Awaitable[object]]
    ) -> None:
        """Serve deliveries until ``stop()`` returns."""
        state = dict(checkpoint)

        async def handler(request: web.Request) -> web.Response:
            return await self._handle(request, state, emit, report)

        app = web.Application(client_max_size=self.options.max_body_bytes + 1024)
        app.router.add_post(self.options.path, handler)
        runner = web.AppRunner(app, access_log=None)
        what, setting = f"webhook {self.config.name!r}", f"options.port in {self.config.file.rsplit('/', 1)[-1]}"
        self.bound_port = await listen(runner, self.options.host, self.options.port, what, setting)
        try:
            await stop()
        finally:
            await runner.cleanup()


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> WebhookConnector:
    """A ``webhook`` connector for ``config``."""
    return WebhookConnector(config, catalog, env)
