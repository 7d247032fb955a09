"""The first requests of a run against a configured target: is this the spend-key API, and can we test it?

Before hundreds of tests run, one list request (`GET <list path>?limit=1` with `LAVA_API_KEY`) tells
"this is not the spend-key API" from "this API breaks the contract". It ends the run at once, with a
`Verdict` that says what was wrong and what to check, when the target:

- cannot be reached, resets the connection, or does not answer within the preflight timeout (3);
- answers 5xx (or 429) to every one of a few spaced attempts (3);
- rejects the token with 401 or 403 (4), or, when set, `LAVA_API_KEY_2` (4);
- redirects, has no such path (404), answers another status to a valid request, or answers a body that
  is not JSON or not a list page, such as a web page (7);
- has no list at this version's path (404) but serves a list page at another version's (9): a 404 is
  followed by one request to the list path of each other version lava_spec knows (`API_VERSIONS`,
  each read from its own spec), so that a target of another version is named as such, with the
  `LAVA_API_VERSION` to run with. A 401 or 403 there counts too: a key of the version the run names
  is seldom one the other version takes (v2 takes merchant secret keys only), so a user who tests a
  server with its own version's key would otherwise hear "no spend-key API here";
- has `LAVA_PROXY_URL` set to a URL that cannot be reached or has no proxy (3 or 7).

A list page that has the right shape but breaks the spec in its details is *not* stopped here: that is
the contract being broken, and the suite reports it. The preflight never creates, changes or revokes
anything, and never prints a token: messages name the variables, not their values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from contract_tests.bounds import LIST_OPERATION, bounds
from contract_tests.redaction import Redactor
from contract_tests.settings import DEFAULT_PREFLIGHT_TIMEOUT_SECONDS, PREFLIGHT_TIMEOUT_VARIABLE, current
from contract_tests.target import (
    API_KEY_VARIABLE,
    BASE_URL_VARIABLE,
    PROXY_URL_VARIABLE,
    SECOND_API_KEY_VARIABLE,
    Target,
)
from contract_tests.traffic import retry_delay
from contract_tests.verdict import ExitStatus, Verdict
from lava_spec import API_VERSION_VARIABLE, API_VERSIONS, load_spec, spec_path

# A target that answers 5xx or 429 is asked again a few times, a little apart, before it is judged.
ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 2.0)
MAX_RETRY_AFTER_SECONDS = 10.0
_EXCERPT = 120


@dataclass(frozen=True)
class _Answer:
    response: httpx.Response | None
    error: httpx.TransportError | None
    seconds: float


def preflight(
    target: Target,
    *,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Verdict | None:
    """None when the target looks like the spend-key API and takes the token(s); else why not.

    `timeout` defaults to the run's setting (`CONTRACT_PREFLIGHT_TIMEOUT`).
    """
    timeout = timeout if timeout is not None else current().preflight_timeout
    redactor = Redactor(target.secrets)
    url = f"{target.base_url}{bounds().collection_path}"
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0))) as client:
        answer = _ask(client, url, target.token, sleep)
        verdict = _judge(answer, url, client, target, redactor)
        if verdict is not None:
            return verdict
        if target.second_token is not None:
            second = _ask(client, url, target.second_token, sleep)
            if second.response is not None and second.response.status_code in (401, 403):
                return Verdict(
                    ExitStatus.TOKEN_REJECTED,
                    f"{target.base_url} rejected {SECOND_API_KEY_VARIABLE} with "
                    f"{second.response.status_code}.",
                    f"Set {SECOND_API_KEY_VARIABLE} to a key of a second wallet of that server, or unset it "
                    "to skip the isolation tests.",
                )
        if target.proxy_url is not None:
            return _check_proxy(client, target.proxy_url)
    return None


def _ask(client: httpx.Client, url: str, token: str, sleep: Callable[[float], None]) -> _Answer:
    """The list request, asked again (a few times, spaced) while the answer is a 5xx, a 429 or a reset."""
    answer = _Answer(None, None, 0.0)
    for attempt in range(ATTEMPTS):
        started = time.monotonic()
        try:
            response = client.get(url, params={"limit": 1}, headers={"Authorization": f"Bearer {token}"})
        except httpx.TimeoutException as error:
            # A target that hangs once will hang again; waiting for it three times only delays the verdict.
            return _Answer(None, error, time.monotonic() - started)
        except httpx.TransportError as error:
            answer = _Answer(None, error, time.monotonic() - started)
        else:
            answer = _Answer(response, None, time.monotonic() - started)
            if response.status_code != 429 and response.status_code < 500:
                return answer
        if attempt + 1 < ATTEMPTS:
            sleep(_wait(answer, attempt))
    return answer


def _wait(answer: _Answer, attempt: int) -> float:
    backoff = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
    if answer.response is None:
        return backoff
    # As traffic.py reads Retry-After (seconds or an HTTP date, by httpx-retries), capped lower here.
    return retry_delay(answer.response.headers, cap=MAX_RETRY_AFTER_SECONDS, default=backoff)


def _judge(  # noqa: PLR0911 - one return per kind of answer, in the order a person would check them
    answer: _Answer, url: str, client: httpx.Client, target: Target, redactor: Redactor
) -> Verdict | None:
    if answer.error is not None:
        return _unreachable(answer.error, target.base_url, BASE_URL_VARIABLE)
    response = answer.response
    assert response is not None
    status = response.status_code
    if status in (401, 403):
        return Verdict(
            ExitStatus.TOKEN_REJECTED,
            f"{target.base_url} rejected {API_KEY_VARIABLE} with {status}{_server_says(response, redactor)}.",
            _key_needed(target.token),
        )
    if status == 429 or status >= 500:
        return Verdict(
            ExitStatus.UNREACHABLE,
            f"{target.base_url} answered {status} to {ATTEMPTS} attempts of a valid list request: it is up "
            "but failing, or throttling every request.",
            "Check the server's health and logs, then run again.",
        )
    if 300 <= status < 400:
        location = redactor.redact(response.headers.get("location", "(no Location header)"))
        return Verdict(
            ExitStatus.NOT_THE_API,
            f"GET {url} redirects ({status}) to {location}: that is not the spend-key API's own URL.",
            f"Set {BASE_URL_VARIABLE} to the API's base URL itself (https, the right host, ending in the "
            "version, e.g. https://staging.example/v1); the suite does not follow redirects.",
        )
    if status == 404:
        return _no_such_path(url, client, target)
    if not 200 <= status < 300:
        return Verdict(
            ExitStatus.NOT_THE_API,
            f"GET {url} answered {status} to a valid, authenticated list request, where the spend-key API "
            f"answers 200 (or 401 for a rejected token): {_excerpt(response, redactor)}",
            f"Check that {BASE_URL_VARIABLE} is the spend-key API's base URL and that nothing (a gateway, a "
            "proxy, a login page) stands in front of it.",
        )
    return _not_a_list_page(response, url, redactor)


def _unreachable(error: httpx.TransportError, where: str, variable: str) -> Verdict:
    if isinstance(error, httpx.TimeoutException):
        what = (
            "did not accept a connection in time"
            if isinstance(error, httpx.ConnectTimeout)
            else "accepted the connection but did not answer in time"
        )
        return Verdict(
            ExitStatus.UNREACHABLE,
            f"{where} {what} ({type(error).__name__}).",
            f"Check that the server is up and not hanging; {PREFLIGHT_TIMEOUT_VARIABLE} sets how long the "
            f"first request may take (default {DEFAULT_PREFLIGHT_TIMEOUT_SECONDS:g} s).",
        )
    if isinstance(error, httpx.ConnectError):
        return Verdict(
            ExitStatus.UNREACHABLE,
            f"cannot connect to {variable}={where} ({type(error).__name__}).",
            f"Check the URL ({variable}: scheme, host and port) and that the server is up.",
        )
    return Verdict(
        ExitStatus.UNREACHABLE,
        f"{where} closed the connection without an answer ({type(error).__name__}).",
        f"Check the URL's scheme (http or https) and port in {variable}, and the server's health.",
    )


def _no_such_path(url: str, client: httpx.Client, target: Target) -> Verdict:
    path = url.removeprefix(target.base_url)
    for version, other in _other_versions(path):
        try:
            response = client.get(
                f"{target.base_url}{other}",
                params={"limit": 1},
                headers={"Authorization": f"Bearer {target.token}"},
            )
        except httpx.TransportError:
            continue
        if response.status_code == 200 and _is_list_page(response):
            answered = "a list page"
        elif response.status_code in (401, 403):
            kinds = _prefixes_of(version)
            answered = (
                f"{response.status_code} to {API_KEY_VARIABLE}, a key for {current().api_version} "
                f"(give it one of {version}'s{f', {kinds}' if kinds else ''})"
            )
        else:
            continue
        shown = f"{httpx.URL(target.base_url).path.rstrip('/')}{other}"
        return Verdict(
            ExitStatus.OTHER_VERSION,
            f"the target speaks Lava's {version} API ({shown}), not {current().api_version}: run with "
            f"{API_VERSION_VARIABLE}={version}",
            f"GET {url} answered 404 where {version}'s list path answered {answered}: test it as "
            f"the {version} API it is, or point {BASE_URL_VARIABLE} at a server of Lava's "
            f"{current().api_version} API.",
        )
    return Verdict(
        ExitStatus.NOT_THE_API,
        f"GET {url} answered 404: there is no spend-key API under {BASE_URL_VARIABLE}={target.base_url}.",
        f"{BASE_URL_VARIABLE} is the API's base URL, ending in the version (e.g. "
        f"https://staging.example/v1), to which the suite appends {path}.",
    )


def _key_needed(token: str) -> str:
    """What to set `LAVA_API_KEY` to: a key of the kinds the run's spec states (its prefixes), if any."""
    prefixes = load_spec(current().spec_path).key_prefixes
    if not prefixes:
        return f"Set {API_KEY_VARIABLE} to a management API key of that server (it is not shown here)."
    if token.startswith(tuple(prefixes.values())):
        return (
            f"Check that {API_KEY_VARIABLE} is a key of that server, not of another (it is not shown here)."
        )
    test = f", {prefixes['test']}... for a test server" if "test" in prefixes else ""
    return (
        f"{API_KEY_VARIABLE} is no key of Lava's {current().api_version} API, which takes only keys starting "
        f"{_prefixes_of(current().api_version)} (a wallet key is refused): set it to a key of that "
        f"server{test} (it is not shown here)."
    )


def _prefixes_of(version: str) -> str:
    """`aks_live_... or aks_test_...` when `version`'s spec states its keys' prefixes, else nothing."""
    return " or ".join(f"{prefix}..." for prefix in load_spec(spec_path(version)).key_prefixes.values())


def _server_says(response: httpx.Response, redactor: Redactor) -> str:
    """` ("<the error envelope's message>")`, redacted and cut short, or nothing when there is none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    text = message.strip().replace("\n", " ")
    return f' ("{redactor.redact(text[:_EXCERPT] + ("..." if len(text) > _EXCERPT else ""))}")'


def _other_versions(path: str) -> list[tuple[str, str]]:
    """Each other version lava_spec knows, with its list path (relative to the base URL) where it differs."""
    return [
        (version, other)
        for version in API_VERSIONS
        if version != current().api_version
        and (other := load_spec(spec_path(version)).operation(LIST_OPERATION).path_for()) != path
    ]


def _is_list_page(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("data"), list) and "has_more" in body


def _not_a_list_page(response: httpx.Response, url: str, redactor: Redactor) -> Verdict | None:
    content_type = response.headers.get("content-type", "(none)")
    try:
        body = json.loads(response.content)
    except ValueError:
        kind = "a web page" if "html" in content_type.lower() else "a body that is not JSON"
        return Verdict(
            ExitStatus.NOT_THE_API,
            f"GET {url} answered {response.status_code} with {kind} ({content_type}), not a JSON list of "
            "spend keys: this is not the spend-key API.",
            f"Set {BASE_URL_VARIABLE} to the API's base URL (often the API host, not the web site's, ending "
            "in the version, e.g. https://staging.example/v1).",
        )
    if _is_list_page(response):
        return None
    shape = (
        f"an object with {', '.join(sorted(body)[:6]) or 'no fields'}"
        if isinstance(body, dict)
        else (f"a JSON {type(body).__name__}")
    )
    return Verdict(
        ExitStatus.NOT_THE_API,
        f"GET {url} answered {response.status_code} with {redactor.redact(shape)}, not a list page "
        "(data, has_more): this is not the spend-key API.",
        f"Check that {BASE_URL_VARIABLE} is the spend-key API's base URL.",
    )


def _excerpt(response: httpx.Response, redactor: Redactor) -> str:
    text = response.text.strip().replace("\n", " ")
    return redactor.redact(text[:_EXCERPT] + ("..." if len(text) > _EXCERPT else "")) or "(empty body)"


def _check_proxy(client: httpx.Client, proxy_url: str) -> Verdict | None:
    """The proxy must be there: a request without a spend key is refused (4xx other than 404)."""
    try:
        response = client.post(proxy_url, json={"model": "contract-preflight", "messages": []})
    except httpx.TransportError as error:
        return _unreachable(error, proxy_url, PROXY_URL_VARIABLE)
    if response.status_code in (404, 405):
        return Verdict(
            ExitStatus.NOT_THE_API,
            f"{PROXY_URL_VARIABLE}={proxy_url} answered {response.status_code} to a request without a spend "
            "key, where a proxy answers 401.",
            f"Set {PROXY_URL_VARIABLE} to where a raw spend key is spent (an OpenAI-compatible chat "
            "completions URL), or unset it to skip the usage tests.",
        )
    return None


def still_answers(target: Target, timeout: float = 5.0) -> bool:
    """Whether the target still gives any HTTP answer at all to the list request (after a test failed).

    A test that failed because the target went away is no finding about the contract; this tells the two
    apart after the fact, whatever exception the test ended with.
    """
    try:
        httpx.get(
            f"{target.base_url}{bounds().collection_path}",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {target.token}"},
            timeout=timeout,
        )
    except httpx.TransportError:
        return False
    return True
