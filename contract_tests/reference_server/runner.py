"""Serving an app over real HTTP: uvicorn on 127.0.0.1, on a port the OS picks, in a daemon thread.

`running_server` is for tests and tools that need a URL rather than an in-process client. It
binds the socket itself, so the port is known before uvicorn starts, and two servers can never
race for a port. It yields only once uvicorn is serving, and it stops uvicorn on exit, also when
the body of the `with` raises.

Logging stays quiet: no access log, and uvicorn's own loggers at WARNING. No handler is installed,
so the process's logging setup is left alone. Nothing here logs a request header, so no token is
ever logged.

`server_process` starts the command line, `python -m contract_tests.reference_server`, in a
process of its own on a port the OS picks, for tests of the command line and for benchmarks that
must not share this interpreter with the server. It yields the first line the server printed (its
URL, or why it did not start) and stops the process on exit.

This module does not build apps (see `app`) and does not serve other hosts. `__main__` serves
on the host and port you choose.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import uvicorn
from starlette.types import ASGIApp

from lava_spec import load_spec

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS: Final = 10.0
SHUTDOWN_TIMEOUT_SECONDS: Final = 10.0
LISTEN_BACKLOG: Final = 2048
_POLL_SECONDS: Final = 0.005
# The line the command line prints first once it serves; the base URL is its fourth word.
STARTED_PREFIX: Final = "Lava reference server: "
_REPOSITORY: Final = Path(__file__).resolve().parents[2]


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
def running_server(app: ASGIApp, *, base_path: str | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and an ephemeral port, and yield its base URL, `http://127.0.0.1:<port>/v1`.

    The URL's path is `base_path`: by default the repository spec's server path (`Spec.base_path`);
    pass a changed spec's own when `app` serves one.
    """
    base_path = load_spec().base_path if base_path is None else base_path
    sock = listening_socket(HOST, 0)
    port: int = sock.getsockname()[1]
    server = quiet_server(app, host=HOST, port=port)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"reference-server-{port}", daemon=True
    )
    try:
        thread.start()
        _wait_until_started(server, thread)
        yield f"http://{HOST}:{port}{base_path}"
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


@dataclass(frozen=True)
class ServerProcess:
    """A reference server started from the command line, and the first line it printed."""

    process: subprocess.Popen[str]
    first_line: str

    @property
    def started(self) -> bool:
        """Whether the server printed its URL, that is, serves."""
        return self.first_line.startswith(STARTED_PREFIX)

    @property
    def base_url(self) -> str:
        """The URL the first line names, `http://127.0.0.1:<port>/v1`.

        Raises:
            RuntimeError: the server did not start (the message holds what it printed).
        """
        if not self.started:
            raise RuntimeError(f"the reference server did not start: {self.first_line.strip()!r}")
        return self.first_line.split()[3]


@contextlib.contextmanager
def server_process(*flags: str, environ: Mapping[str, str]) -> Iterator[ServerProcess]:
    """Run `python -m contract_tests.reference_server --port 0 FLAGS` with `environ`; stop it on exit.

    Its stdout and stderr are pipes: a caller that wants stderr stops the process and calls
    `process.communicate()` itself, before the `with` ends.
    """
    process = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
        [sys.executable, "-m", "contract_tests.reference_server", "--port", "0", *flags],
        cwd=_REPOSITORY,
        env=dict(environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline() if process.stdout is not None else ""
        yield ServerProcess(process, first_line)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
