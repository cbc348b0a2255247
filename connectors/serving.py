"""Listening on a port with aiohttp, with one clear line when the port cannot be had."""

from __future__ import annotations

import errno

from aiohttp import web

from connectors.errors import PortInUse


async def listen(runner: web.AppRunner, host: str, port: int, what: str, setting: str) -> int:
    """Set ``runner`` up on ``host:port`` (0: any free port) and return the bound port; raise PortInUse.

    ``what`` names the server in the message, ``setting`` says where its port is set.
    """
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            reason = "it is already in use (another `qndti connectors run`?)"
        else:
            reason = exc.strerror or str(exc)
        raise PortInUse(
            what, f"cannot listen on {host}:{port}: {reason}; stop the other process or set {setting}"
        ) from None
    bound = [address[1] for address in runner.addresses if isinstance(address, tuple)]
    return int(bound[0]) if bound else port
