"""The connectors process: every configured source in its own loop, plus ``/metrics`` and ``/healthz``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from connectors.base import Connector, PushConnector, is_polled
from connectors.checkpoint import CheckpointStore
from connectors.runner import Emitter, SourceLoop, SourceState, run_push
from connectors.serving import listen


@dataclass
class HealthServer:
    """``GET /metrics`` (Prometheus text) and ``GET /healthz`` (JSON state of every source)."""

    registry: CollectorRegistry
    states: Sequence[SourceState]
    host: str = "127.0.0.1"
    port: int = 9108
    runner: web.AppRunner | None = None

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _: web.Request) -> web.Response:
        sources = {
            s.name: {
                "status": "ok" if s.healthy else "degraded",
                "breaker": s.breaker,
                "last_error": s.last_error,
                "last_success": s.last_success.isoformat() if s.last_success else None,
            }
            for s in self.states
        }
        degraded = not all(s.healthy for s in self.states)
        return web.json_response({"status": "degraded" if degraded else "ok", "sources": sources})

    async def start(self) -> int:
        """Start serving; return the bound port, or raise PortInUse."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self.runner = web.AppRunner(app, access_log=None)
        what = "/metrics and /healthz"
        return await listen(self.runner, self.host, self.port, what, "QNDTI_CONNECTORS_PORT")

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner is not None:
            await self.runner.cleanup()


async def run_sources(
    connectors: Sequence[Connector | PushConnector],
    emitter: Emitter,
    store: CheckpointStore,
    stop: asyncio.Event,
    states: list[SourceState] | None = None,
) -> None:
    """Run every source until ``stop`` is set; a source that fails keeps retrying without touching the others."""
    tasks = []
    for connector in connectors:
        state = SourceState(connector.config.name)
        if states is not None:
            states.append(state)
        checkpoint = store.load(connector.config.name)
        if is_polled(connector):
            loop = SourceLoop(connector, emitter, checkpoint, state)
            tasks.append(asyncio.create_task(loop.run(stop), name=connector.config.name))
        else:
            push = run_push(connector, emitter, checkpoint, stop, state)
            tasks.append(asyncio.create_task(push, name=connector.config.name))
    await asyncio.gather(*tasks)
