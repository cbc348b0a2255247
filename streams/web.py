"""The worker's HTTP endpoints: ``/metrics`` (Prometheus exposition) and ``/healthz`` (aiohttp)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


@dataclass(slots=True)
class Health:
    """What ``/healthz`` says: ``ok``, or the problem that keeps the worker from making progress."""

    app: str
    problem: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    def answer(self) -> tuple[int, dict[str, object]]:
        """The HTTP status and JSON body."""
        if self.problem is None:
            return 200, {"status": "ok", "app": self.app}
        return 503, {"status": "degraded", "app": self.app, "problem": self.problem, **self.details}


def web_app(registry: CollectorRegistry, health: Health) -> web.Application:
    """The aiohttp application serving ``/metrics`` and ``/healthz``."""

    async def metrics(request: web.Request) -> web.Response:
        # As in prometheus_client's own exposition, ``?name[]=…`` restricts the answer to those names: the
        # indicator gauges alone are 35 × 9 series per unit, too many for a client polling one counter.
        names = request.query.getall("name[]", [])
        exposed = registry.restricted_registry(names) if names else registry
        return web.Response(body=generate_latest(exposed), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(request: web.Request) -> web.Response:
        status, body = health.answer()
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app`` on ``host:port``; the caller cleans the runner up."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
