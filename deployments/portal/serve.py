"""Serving the portal: alone in the foreground (`learning-district portal`), or in a thread
beside the Prefect server and the served deployments (`learning-district up`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from deployments.portal.app import create_app
from tasks.common.events import PrefectApi

DEFAULT_PORT = 8765
START_TIMEOUT = 60.0


class PortalNotStarted(RuntimeError):
    """The portal could not listen where it was asked to."""


def address(host: str, port: int) -> str:
    """The portal's local address as a browser on this machine reaches it."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def server_config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """How the portal is served: one process (its writer threads are what make SQLite fast),
    uvloop and httptools (the C event loop and HTTP parser: about half of a small request's
    cost in uvicorn's pure-Python defaults), no access log. The benchmark serves its bare
    endpoint with this same configuration."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )


def _config(host: str, port: int, prefect: PrefectApi | None) -> uvicorn.Config:
    return server_config(create_app(prefect=prefect), host=host, port=port)


def serve_foreground(*, host: str, port: int, prefect: PrefectApi | None) -> None:
    """Serve until Ctrl-C (uvicorn handles the signals)."""
    uvicorn.Server(_config(host, port, prefect)).run()


@contextmanager
def portal_thread(*, host: str, port: int, prefect: PrefectApi | None) -> Iterator[str]:
    """Serve the portal in a thread while the block runs; yield its address.

    uvicorn installs no signal handlers outside the main thread, so Ctrl-C reaches the block's
    owner; leaving the block asks the server to finish its requests and waits for it.
    """
    server = uvicorn.Server(_config(host, port, prefect))
    thread = threading.Thread(target=server.run, name="portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise PortalNotStarted(f"{host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise PortalNotStarted(f"{host}:{port} (no answer within {START_TIMEOUT:g} s)")
        time.sleep(0.05)
    try:
        yield address(host, port)
    finally:
        server.should_exit = True
        thread.join(timeout=40)
