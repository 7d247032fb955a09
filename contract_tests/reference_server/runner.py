"""Serving an app over real HTTP: uvicorn on 127.0.0.1, on a port the OS picks, in a daemon thread.

`running_server` is for tests and tools that need a URL rather than an in-process client. It
binds the socket itself, so the port is known before uvicorn starts, and two servers can never
race for a port. It yields only once uvicorn is serving, and it stops uvicorn on exit, also when
the body of the `with` raises.

Logging stays quiet: no access log, and uvicorn's own loggers at WARNING. No handler is installed,
so the process's logging setup is left alone. Nothing here logs a request header, so no token is
ever logged.

This module does not build apps (see `app`) and does not serve other hosts. `__main__` serves
on the host and port you choose.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Final

import uvicorn
from starlette.types import ASGIApp

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS: Final = 10.0
SHUTDOWN_TIMEOUT_SECONDS: Final = 10.0
LISTEN_BACKLOG: Final = 2048
_POLL_SECONDS: Final = 0.005


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a TCP socket listening on `host` and `port` (0: a port the OS picks). Raises OSError.

    The socket is made with `IPPROTO_TCP` rather than by `socket.create_server`. asyncio turns
    Nagle's algorithm off (TCP_NODELAY) only on connections accepted from such a socket. With Nagle
    on, uvicorn's separate writes of headers and body wait for the client's delayed ACK, which costs
    about 40 ms for every response.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # As asyncio and uvicorn do: a restart can reuse a port whose old connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def quiet_server(app: ASGIApp, *, host: str, port: int) -> uvicorn.Server:
    """Return a uvicorn server for `app` that logs only warnings and never an access line."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # None: leave the process's logging configuration alone.
        log_config=None,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def running_server(app: ASGIApp) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and an ephemeral port, and yield its base URL, `http://127.0.0.1:<port>/v1`."""
    sock = listening_socket(HOST, 0)
    port: int = sock.getsockname()[1]
    server = quiet_server(app, host=HOST, port=port)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"reference-server-{port}", daemon=True
    )
    try:
        thread.start()
        _wait_until_started(server, thread)
        yield f"http://{HOST}:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        if thread.is_alive():
            # A connection kept open by a client would hold up a graceful shutdown forever.
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the reference server stopped while starting; see the log above")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the reference server did not start within {STARTUP_TIMEOUT_SECONDS} s")
        time.sleep(_POLL_SECONDS)
