"""`python -m contract_tests.reference_server`: run the reference server by hand, until Ctrl-C.

It serves the spec of one version of Lava's API: `--api-version VERSION` names it, or, when the flag
is left out, LAVA_API_VERSION does (v0, `openapi/lava.yaml`, when neither is given; v2 is
`openapi/lava-v2.yaml`). An unknown version exits with status 2 and names the versions.

The bearer token in LAVA_API_KEY (default: the development token that the README names, with the
spec's test prefix where the spec states its credential's prefixes: `aks_test_...` for v2) acts for
the wallet "wallet_1". The token in LAVA_API_KEY_2, when it is set, acts for a second wallet,
"wallet_2", so that cross-wallet behaviour can be tried. Under a spec that states prefixes, a token
without one exits with status 2. The server prints its base URL and the version it serves; of the
tokens, it prints only the development token, when no LAVA_API_KEY is given (it opens nothing but
this loopback server), and never a token given to it.

`--fault NAME` serves the server with one seeded fault (see `faults`); when the flag is left out,
the environment variable LAVA_REFERENCE_FAULT names it instead. An empty name (or neither)
means the conforming server. An unknown name exits with status 2 and lists the valid names.
`--list-faults` prints the faults that apply to the version served, one a line (name, class,
description), and exits; a fault that does not apply to it exits with status 2 and says why.

`--staging-like` serves the server with the preset `STAGING_LIKE` (see `staging`): it still
honours the contract, but behaves like a real, shared staging server. Every wallet starts with 5
keys of other people (`preexisting-1` to `preexisting-5`), every 25th management request per token
is a 429 with `Retry-After: 1`, `list_spend_keys` takes 0.5 s longer, and every spend key carries
the undeclared fields `request_shape`, `total_spend` and `total_requests` of Lava's later API
versions. It goes with `--fault` as well as without. The first line printed says which
conditions are on.

`--transient LIST` makes the first attempts of each request meet transient failures, in order (see
`transient`): e.g. `--transient 429,503,drop_after` answers a request's first attempt 429 (with
`Retry-After: 1`), its second 503, serves its third but cuts the answer off, and serves the fourth.
It is for trying a client's retries by hand; it goes with the other flags.

Bad flags exit with status 2 and a usage message (argparse). A port that is in use, or a host
that cannot be bound, exits with status 1 and one line saying why, not a traceback.

This module does not daemonise, reload or log requests.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import Final

from contract_tests.reference_server.app import create_app
from contract_tests.reference_server.auth import dev_token
from contract_tests.reference_server.faults import faults_for
from contract_tests.reference_server.runner import listening_socket, quiet_server
from contract_tests.reference_server.staging import STAGING_LIKE
from contract_tests.reference_server.transient import KINDS, TransientFailures
from lava_spec import (
    API_VERSION_VARIABLE,
    API_VERSIONS,
    Spec,
    UnknownApiVersionError,
    load_spec,
    selected_api_version,
    spec_path,
    version_of,
)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8400
MAX_PORT: Final = 65535
EXIT_CANNOT_SERVE: Final = 1
FAULT_VARIABLE: Final = "LAVA_REFERENCE_FAULT"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is from 0 to {MAX_PORT}, not {port}")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.reference_server",
        description=(
            "Run the reference server for Lava's spend-key management API. The bearer token in "
            "LAVA_API_KEY (default: the development token named in the README) acts for wallet_1; "
            "the token in LAVA_API_KEY_2, if set, acts for wallet_2."
        ),
    )
    parser.add_argument(
        "--api-version",
        metavar="VERSION",
        choices=API_VERSIONS,
        help=(
            f"the version of Lava's API to serve, one of {', '.join(API_VERSIONS)} "
            f"(default: ${API_VERSION_VARIABLE}, else {API_VERSIONS[0]})"
        ),
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on, 0 for any (default: {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--fault",
        metavar="NAME",
        help=f"serve with this seeded fault (default: ${FAULT_VARIABLE}, else none); see --list-faults",
    )
    parser.add_argument(
        "--list-faults",
        action="store_true",
        help="print every seeded fault that applies to the version served, one a line, and exit",
    )
    parser.add_argument(
        "--staging-like",
        action="store_true",
        help=(
            "behave like a shared staging server, within the contract: "
            f"{STAGING_LIKE.describe()} (the preset STAGING_LIKE)"
        ),
    )
    parser.add_argument(
        "--transient",
        metavar="LIST",
        type=_transient,
        help=(
            "the first attempts of each request meet these failures, in order (comma-separated: "
            f"{', '.join(KINDS)}), then it is served"
        ),
    )
    return parser


def _transient(text: str) -> TransientFailures:
    try:
        return TransientFailures.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fault_table(spec: Spec) -> str:
    faults = faults_for(spec)
    width = max(map(len, faults))
    return "".join(
        f"{fault.name:<{width}}  {fault.fault_class:<10}  {fault.description}\n" for fault in faults.values()
    )


def _spec(version: str | None, environ: Mapping[str, str], parser: argparse.ArgumentParser) -> Spec:
    """The spec of the version the flag names, else the variable; a usage error for an unknown one."""
    try:
        return load_spec(spec_path(selected_api_version(environ) if version is None else version))
    except UnknownApiVersionError as error:
        parser.error(str(error))


def _wallets(spec: Spec, environ: Mapping[str, str], parser: argparse.ArgumentParser) -> dict[str, str]:
    first = environ.get("LAVA_API_KEY") or dev_token(spec)
    second = environ.get("LAVA_API_KEY_2")
    if not second:
        return {first: "wallet_1"}
    if second == first:
        parser.error("LAVA_API_KEY_2 must differ from LAVA_API_KEY: each wallet needs its own token")
    return {first: "wallet_1", second: "wallet_2"}


def _bind(host: str, port: int) -> socket.socket:
    """Return a listening socket, or exit with one line that says why there is none."""
    try:
        return listening_socket(host, port)
    except OSError as error:
        reason = "the port is already in use" if error.errno == errno.EADDRINUSE else error.strerror or error
        sys.stderr.write(f"error: cannot listen on {host}:{port}: {reason}\n")
        raise SystemExit(EXIT_CANNOT_SERVE) from None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Parse the flags, bind the port and serve until interrupted."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    spec = _spec(arguments.api_version, environ, parser)
    if arguments.list_faults:
        sys.stdout.write(_fault_table(spec))
        return
    wallets = _wallets(spec, environ, parser)
    # Empty means none, so that `--fault "$(FAULT)"` with FAULT unset serves the conforming server.
    fault = (arguments.fault if arguments.fault is not None else environ.get(FAULT_VARIABLE, "")) or None
    staging = STAGING_LIKE.for_spec(spec) if arguments.staging_like else None
    try:
        app = create_app(
            wallets, spec_path=spec.path, fault=fault, staging=staging, transient=arguments.transient
        )
    except ValueError as error:
        # The message names the problem, never the token.
        parser.error(str(error))
    sock = _bind(arguments.host, arguments.port)
    port = sock.getsockname()[1]
    shown_host = f"[{arguments.host}]" if ":" in arguments.host else arguments.host
    wallet_ids = " and ".join(sorted(set(wallets.values())))
    seeded = "" if fault is None else f"; SEEDED FAULT: {fault}"
    staged = "" if staging is None else f"; staging-like: {staging.describe()}"
    transient = (
        ""
        if arguments.transient is None
        else f"; transient failures: {','.join(arguments.transient.sequence)}"
    )
    # The development token is printed, since it opens only this server; a token given never is.
    token = "" if environ.get("LAVA_API_KEY") else f"; development token: {dev_token(spec)}"
    sys.stdout.write(
        f"Lava reference server: http://{shown_host}:{port}{spec.base_path} "
        f"(API {version_of(spec.path)}, {spec.path.name}; wallets: {wallet_ids}{token}"
        f"{seeded}{staged}{transient}; Ctrl-C stops it)\n"
    )
    sys.stdout.flush()
    with sock:
        quiet_server(app, host=arguments.host, port=port).run(sockets=[sock])


if __name__ == "__main__":
    main()
