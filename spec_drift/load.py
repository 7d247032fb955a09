"""Read an OpenAPI 3.0 or 3.1 document from a file path or an http(s) URL.

What it does: fetch the bytes (with httpx for URLs), parse them as JSON or YAML, and check that the
result is an OpenAPI 3.x document with a `paths` object. Every failure is a `SpecLoadError` whose
message is one line saying what went wrong and what to do.

What it does not do: validate the document against the OpenAPI schema (openapi-spec-validator does
that), follow external `$ref`s, or cache anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

_TIMEOUT_SECONDS = 20.0


class SpecLoadError(Exception):
    """A document could not be read, parsed, or is not OpenAPI 3.x; the message says what to do."""


def load_document(source: str | Path) -> dict[str, Any]:
    """Return the parsed OpenAPI document at `source` (a file path or an http(s) URL)."""
    text = _fetch(str(source)) if _is_url(str(source)) else _read(Path(source))
    return _parse(text, str(source))


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _fetch(url: str) -> str:
    try:
        response = httpx.get(url, timeout=_TIMEOUT_SECONDS, follow_redirects=True)
    except httpx.HTTPError as error:
        raise SpecLoadError(
            f"could not fetch {url} ({type(error).__name__}: {error}); check the URL and your network"
        ) from error
    if response.status_code != httpx.codes.OK:
        raise SpecLoadError(
            f"fetching {url} answered HTTP {response.status_code}; check that the URL serves the spec"
        )
    return response.text


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SpecLoadError(f"no such file: {path}; pass the path of an OpenAPI document") from error
    except (OSError, UnicodeDecodeError) as error:
        raise SpecLoadError(f"cannot read {path} ({error}); check its permissions and encoding") from error


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        # YAML is a superset of JSON, so one parser reads both.
        document: object = yaml.safe_load(text)
    except yaml.YAMLError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SpecLoadError(
            f"{source} is neither JSON nor YAML ({first_line}); fix the document or pass another"
        ) from error
    if not isinstance(document, dict):
        raise SpecLoadError(
            f"{source} is not an OpenAPI document (no top-level mapping); pass an OpenAPI 3.x spec"
        )
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = "no `openapi` field" if version is None else f"openapi: {version!r}"
        raise SpecLoadError(
            f"{source} is not OpenAPI 3.x ({found}); pass a 3.x spec (convert Swagger 2.0 first)"
        )
    if not isinstance(document.get("paths", {}), dict):
        raise SpecLoadError(f"{source} has a `paths` that is not a mapping; fix the document")
    return document
