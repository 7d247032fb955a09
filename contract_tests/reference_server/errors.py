"""The error envelope: every answer other than success, as Lava's introduction page describes it.

The body of every error is `{"error": {"message": str, "code": str, "status": int}}` (the spec's
`Error` schema). `code` is a stable identifier that a program can branch on. `message` tells a
person what is wrong; for a validation error it names the field and the constraint. A message
never carries a bearer token, a raw spend key or a value from the request, so no secret can leak
through one.

There is one exception class, `ApiError`. The functions below build the errors the server uses,
one per `code`:

    ApiError
    ├── 400 invalid_json            body is empty, not UTF-8, not JSON, or holds NaN/Infinity
    ├── 400 invalid_parameter       query or header parameter breaks the spec
    ├── 401 unauthorized            Authorization missing, malformed or unknown (WWW-Authenticate)
    ├── 403 spend_key_paused        (simulated proxy only) the spend key is paused
    ├── 403 spend_key_expired       (simulated proxy only) the spend key's `expires_at` has passed
    ├── 404 not_found               no such route, or no such spend key for this wallet
    ├── 404 wallet_not_found        `wallet_id` in a create body is not the caller's wallet
    ├── 405 method_not_allowed      the path exists but not with this method (Allow)
    ├── 415 unsupported_media_type  the body is not declared as application/json
    ├── 422 validation_error        well-formed JSON that breaks the request schema
    ├── 429 rate_limited            the token's window is used up (Retry-After)
    └── 500 internal_error          a bug in this server; never expected

This module does not decide when to raise an error. That is the caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from contract_tests.reference_server.responses import json_response


class ApiError(Exception):
    """An error answer: its status, stable code, message and any extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"

    def envelope(self) -> dict[str, dict[str, object]]:
        """Return the body, in the spec's `Error` shape."""
        return {"error": {"message": self.message, "code": self.code, "status": self.status}}

    def to_response(self) -> Response:
        """Return the error as an `application/json` response."""
        return json_response(self.status, self.envelope(), self.headers)


def invalid_json(message: str) -> ApiError:
    """Return a 400 for a body that cannot be read as JSON."""
    return ApiError(400, "invalid_json", message)


def invalid_parameter(message: str) -> ApiError:
    """Return a 400 for a query or header parameter that breaks the spec."""
    return ApiError(400, "invalid_parameter", message)


def unauthorized(message: str) -> ApiError:
    """Return a 401 that asks for a bearer token (RFC 6750)."""
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def not_found(message: str) -> ApiError:
    """Return a 404 for a route or a spend key that does not exist for this caller."""
    return ApiError(404, "not_found", message)


def spend_key_not_found() -> ApiError:
    """Return the 404 for a spend key that is unknown, revoked or in another wallet.

    The three cases read the same, so a caller cannot learn which ids exist in other wallets.
    """
    return not_found("No spend key with this id exists in the wallet of this API key.")


def spend_key_paused() -> ApiError:
    """Return the simulated proxy's 403 for a spend key whose status is `paused`."""
    return ApiError(403, "spend_key_paused", "This spend key is paused: set its status to active to use it.")


def spend_key_expired() -> ApiError:
    """Return the simulated proxy's 403 for a spend key whose `expires_at` has passed."""
    return ApiError(403, "spend_key_expired", "This spend key has expired: its `expires_at` has passed.")


def wallet_not_found() -> ApiError:
    """Return the 404 for a `wallet_id` that the caller's API key cannot use."""
    return ApiError(
        404,
        "wallet_not_found",
        "`wallet_id` does not name a wallet this API key can use; leave it out to use the key's own wallet.",
    )


def method_not_allowed(allow: str) -> ApiError:
    """Return a 405 that lists the methods the path does support (RFC 9110 requires `Allow`)."""
    return ApiError(405, "method_not_allowed", f"This path supports only {allow}.", {"Allow": allow})


def unsupported_media_type(message: str) -> ApiError:
    """Return a 415 for a body that is not declared as `application/json`."""
    return ApiError(415, "unsupported_media_type", message)


def validation_error(message: str) -> ApiError:
    """Return a 422 for well-formed JSON that breaks the request schema."""
    return ApiError(422, "validation_error", message)


def rate_limited(retry_after: int) -> ApiError:
    """Return a 429 that says how many seconds to wait."""
    return ApiError(
        429,
        "rate_limited",
        f"Rate limit exceeded for this API key; retry in {retry_after} seconds.",
        {"Retry-After": str(retry_after)},
    )


def internal_error() -> ApiError:
    """Return the 500 sent if this server has a bug. Its message never includes the exception."""
    return ApiError(500, "internal_error", "The reference server failed to handle this request.")
