"""Listening on a port with aiohttp, with one clear line when the port cannot be had."""

from __future__ import annotations

import errno

from aiohttp import web

from connectors.errors import PortInUse


async def listen(runner: web.AppRunner, host: str, port: int, what: str) -> int:
    """Set ``runner`` up on ``host:port`` (0: any free port) and return the bound port; raise PortInUse."""
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            reason = "is already in use (is another `qndti connectors run` running?)"
        else:
            reason = f"cannot be used: {exc.strerror or exc}"
        raise PortInUse(what, f"port {port} on {host} {reason}") from None
    bound = [address[1] for address in runner.addresses if isinstance(address, tuple)]
    return int(bound[0]) if bound else port
