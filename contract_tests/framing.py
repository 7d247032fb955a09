"""What makes a request broken at the HTTP framing level, for the suite's generation filter and tripwire.

The suite tests Lava's API, not HTTP parsers. A request that carries a header the HTTP layer itself acts
on (`Content-Length`, `Transfer-Encoding`, `Host`, `Connection`, `Expect`, `Upgrade`, ... and the other
hop-by-hop headers), or a header value with a line break, is answered by the server's HTTP layer (uvicorn:
a text/plain 400 "Invalid HTTP request received."), never by the API, so any verdict on that answer is
noise. Schemathesis draws such names in negative mode: it adds undeclared headers whose names Hypothesis
draws partly from the string constants of our own code (the reference server spells "content-length").

Two users, two questions:
- `framing_problem(headers)`, at generation (schemathesis_hooks.py rejects the case): does any drawn
  header touch the framing at all? Any of these names, any value with a control character or outside
  latin-1, any name that is not an HTTP token.
- `refuse_malformed(...)`, the tripwire in traffic.py just before a request goes out: the same, except
  for the values the HTTP client derives itself (the `Host` of the URL, a `Content-Length` equal to the
  body's length, `Connection: keep-alive`). It raises `MalformedRequestError`, naming the header: after the
  generation filter it never fires, so when it does the suite has a bug.

Neither judges anything else: a wrong Content-Type, an invalid body or an unknown header with an ordinary
name are contract cases and stay. Neither ever repeats a header's value (it may be a token).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

# Headers the HTTP layer acts on, not the application: message framing (RFC 9112 section 6), routing (Host),
# and the hop-by-hop headers of RFC 9110 section 7.6.1 and RFC 2616 section 13.5.1, with the spellings
# proxies still honour (Proxy-Connection, Trailers) and the h2c upgrade's HTTP2-Settings.
FRAMING_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "upgrade",
        "expect",
        "proxy-authenticate",
        "proxy-authorization",
        "http2-settings",
    }
)
# RFC 9110 section 5.6.2: a field name is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.5: no control character but HTAB in a field value (CR and LF would end the field).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# What both HTTP clients (requests, httpx) send on their own; harmless, and not ours to remove.
_CLIENT_CONNECTION = "keep-alive"


class MalformedRequestError(RuntimeError):
    """The suite was about to send a request broken at the framing level: a suite bug, not the server's."""


def header_problem(name: object, value: object) -> str | None:
    """Why a drawn header `name: value` would touch the request's framing, or None when it would not."""
    if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
        return f"the header name {name!r} is not an HTTP token"
    if name.lower() in FRAMING_HEADERS:
        return f"{name} is a framing or hop-by-hop header"
    return value_problem(name, value)


def value_problem(name: str, value: object) -> str | None:
    """Why the value of header `name` would break the framing, or None (the value itself is never shown)."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if _CONTROL.search(text):
        return f"the value of {name} holds a control character (a line break, NUL, ...)"
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return f"the value of {name} is not latin-1, so it cannot be sent as a header"
    return None


def framing_problem(headers: object) -> str | None:
    """The first reason drawn `headers` (a case's) would touch the framing, or None when none would."""
    if not isinstance(headers, Mapping):
        return None  # no headers drawn (None), or a container the transport does not send as headers
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None:
            return problem
    return None


def is_well_framed(headers: object) -> bool:
    """Whether drawn `headers` leave the request's framing to the HTTP client."""
    return framing_problem(headers) is None


def refuse_malformed(url: str, headers: Iterable[tuple[str, str]], body_length: int | None) -> None:
    """Raise `MalformedRequestError` if a request about to be sent carries a framing header it should not.

    `headers` are what the client is about to send; `body_length` is the length of the body in bytes (0
    for none), or None when it is not known up front (a streamed body). The client's own derivations are
    let through: `Host` naming the URL's authority, `Content-Length` equal to `body_length` and
    `Connection: keep-alive`.
    """
    authority = urlsplit(url).netloc
    for name, value in headers:
        lowered = name.lower()
        derived = (
            (lowered == "host" and value == authority)
            or (lowered == "content-length" and body_length is not None and value == str(body_length))
            or (lowered == "connection" and value.lower() == _CLIENT_CONNECTION)
        )
        problem = value_problem(name, value) if derived else header_problem(name, value)
        if problem is not None:
            raise MalformedRequestError(
                f"suite bug: refusing to send {url.split('?', 1)[0]} because {problem}; "
                "requests broken at the HTTP framing level never reach the target "
                "(see contract_tests/framing.py)"
            )
