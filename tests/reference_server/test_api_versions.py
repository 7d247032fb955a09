"""The reference server speaks every version of Lava's API, each with the semantics its spec declares.

A server is built for each version's spec (`lava_spec.spec_path`), with two wallets, the development
tokens as that spec takes them (`dev_token`) and a `ManualClock`, so that a test moves time past the
end of a cycle instead of waiting for it. Behaviour both versions share is parametrized over
`API_VERSIONS`, with what differs asked of the spec (does its SpendKey show the totals? does its list
declare `wallet_id`?); what only v2's spec makes so (merchant secret keys, `request_shape` and its
default, the totals) is tested against v2. Every management answer is checked against the version's
spec (`Api(..., spec=...)`).

Cycles are calendar periods in UTC, weeks from Monday (see `contract_tests.reference_server.store`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests.reference_server import (
    DEFAULT_DEV_TOKEN,
    ManualClock,
    StagingConditions,
    create_app,
    dev_token,
)
from contract_tests.reference_server.__main__ import main
from contract_tests.reference_server.clock import rfc3339
from contract_tests.reference_server.runner import server_process
from contract_tests.reference_server.store import Cycles, SpendKeySettings
from lava_spec import API_VERSION_VARIABLE, API_VERSIONS, Spec, load_spec, spec_path, version_of
from tests.reference_server.api import Api, TestClient, bearer, error_of

# A Wednesday, mid-morning, mid-month, in UTC.
START = datetime(2026, 1, 14, 10, 30, tzinfo=UTC)
NEXT_MIDNIGHT = datetime(2026, 1, 15, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 1, 19, tzinfo=UTC)
NEXT_MONTH = datetime(2026, 2, 1, tzinfo=UTC)
JUST_BEFORE = timedelta(seconds=1)
# What the simulated proxy charges for one request.
COST = Decimal("0.0125")
SECOND_WALLET_TOKEN = "token_for_the_second_wallet"  # noqa: S105 - opens a throwaway in-process app
V2 = "v2"
# A wallet API key of Lava's: v2 refuses it, since only merchant secret keys are credentials there.
WALLET_KEY = "lava_wk_0123456789abcdef"
FIGURES = ("current_spend", "total_spend", "current_requests", "total_requests")
TOTALS = {"current_spend": "total_spend", "current_requests": "total_requests"}


def _spec(version: str) -> Spec:
    return load_spec(spec_path(version))


@dataclass
class Served:
    """A server of one version: its spec, its clock, and clients of its two wallets."""

    spec: Spec
    clock: ManualClock
    client: TestClient
    api: Api
    api_b: Api

    def spend(self, raw_key: str, times: int = 1) -> None:
        for _ in range(times):
            assert self.api.proxy(raw_key).status_code == 200

    def figures(self, spend_key_id: str) -> dict[str, Any]:
        """The usage figures get shows, those of `FIGURES` the spec declares."""
        spend_key = self.api.get(spend_key_id).json()
        return {name: spend_key[name] for name in FIGURES if name in spend_key}

    @property
    def shows_totals(self) -> bool:
        return {"total_spend", "total_requests"} <= self.spec.spend_key_fields

    @property
    def create_schema(self) -> Any:
        return self.spec.operation("create_spend_key").request_schema


def _serve(version: str, **options: Any) -> Served:
    spec = _spec(version)
    clock = ManualClock(START)
    app = create_app(
        {dev_token(spec): "wallet_1", dev_token(spec, SECOND_WALLET_TOKEN): "wallet_2"},
        spec_path=spec.path,
        clock=clock,
        **options,
    )
    client = TestClient(app)
    return Served(
        spec=spec,
        clock=clock,
        client=client,
        api=Api(client, bearer(dev_token(spec)), spec=spec),
        api_b=Api(client, bearer(dev_token(spec, SECOND_WALLET_TOKEN)), spec=spec),
    )


@pytest.fixture(params=API_VERSIONS)
def served(request: pytest.FixtureRequest) -> Served:
    return _serve(request.param)


@pytest.fixture
def v2() -> Served:
    return _serve(V2)


def _spent(requests: int) -> str:
    """The spend of this many proxied requests, as the spec's decimal string writes it."""
    return format((requests * COST).normalize(), "f")


def _amount(figure: object) -> Decimal:
    return Decimal(str(figure))


# --- which version is served ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", API_VERSIONS)
def test_create_app_without_a_spec_serves_the_version_lava_api_version_names(
    version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_VERSION_VARIABLE, version)
    spec = _spec(version)
    client = TestClient(create_app())
    api = Api(client, bearer(dev_token(spec)), spec=spec)
    assert api.created()["spend_key_id"] in api.all_ids()
    for other in API_VERSIONS:
        other_path = Api(client, {}, spec=_spec(other), check=False).paths.collection
        if other_path != api.paths.collection:
            assert client.get(other_path, headers=api.headers).status_code == 404


def test_create_app_without_a_spec_serves_v0_when_the_variable_is_not_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(API_VERSION_VARIABLE, raising=False)
    client = TestClient(create_app())
    v0 = _spec("v0")
    assert Api(client, bearer(DEFAULT_DEV_TOKEN), spec=v0).list_page().status_code == 200


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_development_token_is_a_credential_of_every_version(version: str) -> None:
    spec = _spec(version)
    token = dev_token(spec)
    assert token.endswith(DEFAULT_DEV_TOKEN)
    assert dev_token(spec, token) == token
    if spec.key_prefixes:
        assert token == spec.key_prefixes["test"] + DEFAULT_DEV_TOKEN
        assert dev_token(spec, SECOND_WALLET_TOKEN).startswith(spec.key_prefixes["test"])
    else:
        assert token == DEFAULT_DEV_TOKEN
    default_app = Api(TestClient(create_app(spec_path=spec.path)), bearer(token), spec=spec)
    assert default_app.created()["wallet_id"] == "wallet_dev"


# --- credentials -----------------------------------------------------------------------------------------


def test_v0_takes_any_token_it_knows_as_before() -> None:
    spec = _spec("v0")
    assert not spec.key_prefixes
    app = create_app({"any_token_at_all": "wallet"}, spec_path=spec.path)
    assert Api(TestClient(app), bearer("any_token_at_all"), spec=spec).list_page().status_code == 200


@pytest.mark.parametrize("token", [WALLET_KEY, "any_other_token", DEFAULT_DEV_TOKEN])
def test_v2_refuses_a_token_that_is_no_merchant_secret_key_and_says_which_keys_it_takes(
    v2: Served, token: str
) -> None:
    response = Api(v2.client, bearer(token), spec=v2.spec).list_page()
    assert response.status_code == 401
    message = error_of(response)["message"]
    for prefix in v2.spec.key_prefixes.values():
        assert f"{prefix}*" in message
    assert "merchant secret key" in message
    assert token not in message


@pytest.mark.parametrize("kind", ["live", "test"])
def test_v2_refuses_an_unknown_merchant_secret_key_as_an_invalid_api_key(v2: Served, kind: str) -> None:
    token = v2.spec.key_prefixes[kind] + "unknown_to_this_server"
    response = Api(v2.client, bearer(token), spec=v2.spec).list_page()
    assert response.status_code == 401
    assert error_of(response)["message"] == "Invalid API key."


def test_v2_accepts_a_live_merchant_secret_key_it_knows() -> None:
    spec = _spec(V2)
    token = spec.key_prefixes["live"] + "known"
    app = create_app({token: "wallet"}, spec_path=spec.path)
    assert Api(TestClient(app), bearer(token), spec=spec).created()["wallet_id"] == "wallet"


def test_a_v2_server_cannot_be_built_with_a_token_that_is_no_merchant_secret_key() -> None:
    spec = _spec(V2)
    with pytest.raises(ValueError, match="merchant secret key") as raised:
        create_app({WALLET_KEY: "wallet"}, spec_path=spec.path)
    assert WALLET_KEY not in str(raised.value)


# --- defaults and request_shape ------------------------------------------------------------------------


def test_a_field_left_out_takes_the_default_the_spec_states_and_only_where_it_states_one(
    served: Served,
) -> None:
    spec, schema = served.spec, served.create_schema
    created = served.api.created({"name": "k"})
    defaulted = {
        name: constraints.default
        for name in spec.properties(schema)
        if (constraints := spec.constraints(schema, name)).has_default
    }
    for name, default in defaulted.items():
        if name in spec.spend_key_fields:
            assert created[name] == default
    # A field without a stated default keeps the server's own: an active key.
    assert created["status"] == "active"
    assert ("request_shape" in defaulted) == (version_of(spec.path) == V2)


def test_v2_stores_the_default_request_shape_and_every_operation_echoes_it(v2: Served) -> None:
    default = v2.spec.constraints(v2.create_schema, "request_shape").default
    created = v2.api.created({"name": "k"})
    spend_key_id = created["spend_key_id"]
    assert created["request_shape"] == default
    assert v2.api.get(spend_key_id).json()["request_shape"] == default
    assert [item["request_shape"] for item in v2.api.list_page().json()["data"]] == [default]
    assert v2.api.update(spend_key_id, {"name": "renamed"}).json()["request_shape"] == default
    assert v2.api.rotate(spend_key_id).json()["request_shape"] == default


def test_v2_keeps_the_request_shape_sent_and_update_changes_it(v2: Served) -> None:
    shapes = [str(shape) for shape in v2.spec.enum("RequestShape")]
    default = v2.spec.constraints(v2.create_schema, "request_shape").default
    other = next(shape for shape in shapes if shape != default)
    created = v2.api.created({"name": "k", "request_shape": other})
    spend_key_id = created["spend_key_id"]
    assert created["request_shape"] == other
    assert v2.api.get(spend_key_id).json()["request_shape"] == other
    assert v2.api.update(spend_key_id, {"request_shape": default}).json()["request_shape"] == default
    assert v2.api.get(spend_key_id).json()["request_shape"] == default
    assert v2.api.rotate(spend_key_id).json()["request_shape"] == default
    assert v2.api.list_page().json()["data"][0]["request_shape"] == default


def test_v2_refuses_a_request_shape_outside_its_enum(v2: Served) -> None:
    assert v2.api.create({"name": "k", "request_shape": "gemini"}).status_code == 422
    spend_key_id = v2.api.created()["spend_key_id"]
    assert v2.api.update(spend_key_id, {"request_shape": "gemini"}).status_code == 422


def test_v0_shows_no_request_shape_and_ignores_one_sent() -> None:
    v0 = _serve("v0")
    created = v0.api.created({"name": "k", "request_shape": "anthropic"})
    assert "request_shape" not in created
    assert "request_shape" not in v0.api.get(created["spend_key_id"]).json()


def test_v2_keys_a_server_starts_with_take_the_defaults_too() -> None:
    v2 = _serve(V2, staging=StagingConditions(preexisting_keys=2))
    default = v2.spec.constraints(v2.create_schema, "request_shape").default
    # `Api` checks the list against v2's SpendKey, which requires request_shape.
    listed = v2.api.list_page().json()["data"]
    assert [spend_key["request_shape"] for spend_key in listed] == [default, default]


def _changed_v2(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Spec:
    document = yaml.safe_load(spec_path(V2).read_text(encoding="utf-8"))
    change(document)
    copy = tmp_path / "lava-v2-changed.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_spec(copy)


def test_a_default_the_spec_changes_is_the_default_served(tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        create = document["components"]["schemas"]["SpendKeyCreate"]["properties"]
        create["request_shape"]["default"] = "anthropic"
        create["status"] = {"$ref": "#/components/schemas/SpendKeyStatus", "default": "paused"}

    spec = _changed_v2(tmp_path, change)
    app = create_app(spec_path=spec.path)
    created = Api(TestClient(app), bearer(dev_token(spec)), spec=spec).created({"name": "k"})
    assert (created["request_shape"], created["status"]) == ("anthropic", "paused")


# --- validation and the list -----------------------------------------------------------------------------


def test_an_empty_allowed_models_is_refused_exactly_where_the_spec_sets_a_minimum(served: Served) -> None:
    min_items = served.spec.constraints(served.create_schema, "allowed_models").min_items
    response = served.api.create({"name": "k", "allowed_models": []})
    assert response.status_code == (422 if min_items else 201)
    spend_key_id = served.api.created()["spend_key_id"]
    assert served.api.update(spend_key_id, {"allowed_models": []}).status_code == (422 if min_items else 200)
    assert served.api.create({"name": "k", "allowed_models": ["gpt-4o-mini"]}).status_code == 201


def test_v2_sets_a_minimum_on_allowed_models_and_v0_none() -> None:
    def min_items(version: str) -> int | None:
        spec = _spec(version)
        schema = spec.operation("create_spend_key").request_schema
        assert schema is not None
        return spec.constraints(schema, "allowed_models").min_items

    assert (min_items("v0"), min_items(V2)) == (None, 1)


def test_the_list_filters_by_wallet_id_exactly_where_the_spec_declares_it(served: Served) -> None:
    mine = served.api.created()["spend_key_id"]
    served.api_b.created()
    declared = "wallet_id" in {
        parameter.name for parameter in served.spec.operation("list_spend_keys").parameters
    }
    assert served.api.ids(wallet_id="wallet_2") == ([] if declared else [mine])
    assert served.api.ids(wallet_id="wallet_1") == [mine]
    assert declared == (version_of(served.spec.path) == "v0")


# --- usage: totals and cycles ------------------------------------------------------------------------------


def test_usage_counts_in_the_current_figures_and_the_totals_where_the_spec_shows_them(served: Served) -> None:
    created = served.api.created({"name": "k"})
    assert {name: created[name] for name in FIGURES if name in created} == served.figures(
        created["spend_key_id"]
    )
    served.spend(created["key"], 3)
    figures = served.figures(created["spend_key_id"])
    assert (figures["current_spend"], figures["current_requests"]) == (_spent(3), 3)
    if served.shows_totals:
        assert (figures["total_spend"], figures["total_requests"]) == (_spent(3), 3)
    else:
        assert set(figures) == {"current_spend", "current_requests"}
    assert served.api.list_page().json()["data"][0] == served.api.get(created["spend_key_id"]).json()


def test_the_clock_dates_created_at_and_last_used_at(served: Served) -> None:
    created = served.api.created()
    assert created["created_at"] == rfc3339(START)
    served.clock.advance(timedelta(hours=2))
    served.spend(created["key"])
    spend_key = served.api.get(created["spend_key_id"]).json()
    assert spend_key["last_used_at"] == rfc3339(START + timedelta(hours=2))
    assert spend_key["created_at"] == rfc3339(START)


def test_the_proxy_asks_the_clock_whether_a_key_has_expired(served: Served) -> None:
    created = served.api.created({"name": "k", "expires_at": rfc3339(START + timedelta(days=1))})
    assert served.api.proxy(created["key"]).status_code == 200
    served.clock.advance(timedelta(days=1))
    response = served.api.proxy(created["key"])
    assert response.status_code == 403
    assert error_of(response)["code"] == "spend_key_expired"


def test_the_current_figures_start_again_at_zero_when_a_daily_cycle_ends(served: Served) -> None:
    limits = {
        "spend_limit": {"amount": "10.00", "cycle": "daily"},
        "request_limit": {"count": 50, "cycle": "daily"},
    }
    created = served.api.created({"name": "k", **limits})
    served.spend(created["key"], 2)
    served.clock.set(NEXT_MIDNIGHT - JUST_BEFORE)
    assert served.figures(created["spend_key_id"])["current_requests"] == 2
    served.clock.set(NEXT_MIDNIGHT)
    figures = served.figures(created["spend_key_id"])
    assert (figures["current_spend"], figures["current_requests"]) == ("0", 0)
    if served.shows_totals:
        assert (figures["total_spend"], figures["total_requests"]) == (_spent(2), 2)
    served.spend(created["key"])
    figures = served.figures(created["spend_key_id"])
    assert (figures["current_spend"], figures["current_requests"]) == (_spent(1), 1)
    # Every answer settles the figures alike: list and get agree after the boundary.
    assert served.api.list_page().json()["data"][0] == served.api.get(created["spend_key_id"]).json()


@pytest.mark.parametrize(
    ("cycle", "boundary"), [("daily", NEXT_MIDNIGHT), ("weekly", NEXT_MONDAY), ("monthly", NEXT_MONTH)]
)
def test_v2_cycles_are_calendar_periods_in_utc_weeks_from_monday(
    v2: Served, cycle: str, boundary: datetime
) -> None:
    assert START.weekday() == 2  # a Wednesday: the week began two days ago
    created = v2.api.created({"name": "k", "spend_limit": {"amount": "1.00", "cycle": cycle}})
    v2.spend(created["key"])
    v2.clock.set(boundary - JUST_BEFORE)
    assert v2.figures(created["spend_key_id"])["current_spend"] == _spent(1)
    v2.clock.set(boundary)
    figures = v2.figures(created["spend_key_id"])
    assert figures["current_spend"] == "0"
    assert figures["total_spend"] == _spent(1)


def test_v2_the_spend_figure_follows_spend_limit_and_the_request_figure_request_limit(v2: Served) -> None:
    created = v2.api.created(
        {
            "name": "k",
            "spend_limit": {"amount": "10.00", "cycle": "monthly"},
            "request_limit": {"count": 100, "cycle": "daily"},
        }
    )
    v2.spend(created["key"], 2)
    v2.clock.set(NEXT_MIDNIGHT)
    assert v2.figures(created["spend_key_id"]) == {
        "current_spend": _spent(2),
        "total_spend": _spent(2),
        "current_requests": 0,
        "total_requests": 2,
    }
    v2.clock.set(NEXT_MONTH)
    assert v2.figures(created["spend_key_id"])["current_spend"] == "0"


@pytest.mark.parametrize(
    "limits",
    [
        {},
        {
            "spend_limit": {"amount": "10.00", "cycle": "total"},
            "request_limit": {"count": 9, "cycle": "total"},
        },
    ],
    ids=["no limits", "total cycles"],
)
def test_v2_a_key_without_a_cycle_that_ends_never_starts_its_figures_again(
    v2: Served, limits: dict[str, Any]
) -> None:
    created = v2.api.created({"name": "k", **limits})
    v2.spend(created["key"], 2)
    v2.clock.advance(timedelta(days=400))
    v2.spend(created["key"])
    figures = v2.figures(created["spend_key_id"])
    assert figures == {
        "current_spend": _spent(3),
        "total_spend": _spent(3),
        "current_requests": 3,
        "total_requests": 3,
    }


def test_v2_a_cycle_an_update_sets_starts_the_figure_again_if_its_period_began_since(v2: Served) -> None:
    created = v2.api.created({"name": "k"})
    v2.spend(created["key"], 2)
    v2.clock.advance(timedelta(days=2))
    updated = v2.api.update(
        created["spend_key_id"], {"request_limit": {"count": 10, "cycle": "daily"}}
    ).json()
    assert (updated["current_requests"], updated["total_requests"]) == (0, 2)
    # The spend figure has no limit, so it keeps counting.
    assert updated["current_spend"] == _spent(2)


def test_v2_totals_never_decrease_and_never_fall_below_the_current_figures(v2: Served) -> None:
    created = v2.api.created({"name": "k", "spend_limit": {"amount": "5.00", "cycle": "daily"}})
    spend_key_id, raw_key = created["spend_key_id"], created["key"]
    seen: list[dict[str, Any]] = []

    def observe(spend_key: dict[str, Any] | None = None) -> None:
        figures = (
            v2.figures(spend_key_id) if spend_key is None else {name: spend_key[name] for name in FIGURES}
        )
        for current, total in TOTALS.items():
            assert _amount(figures[total]) >= _amount(figures[current]), figures
        if seen:
            for total in TOTALS.values():
                assert _amount(figures[total]) >= _amount(seen[-1][total]), (seen[-1], figures)
        seen.append(figures)

    observe(created)
    v2.spend(raw_key, 2)
    observe()
    rotated = v2.api.rotate(spend_key_id).json()
    observe(rotated)
    raw_key = rotated["key"]
    v2.spend(raw_key)
    observe()
    observe(v2.api.update(spend_key_id, {"name": "renamed", "request_shape": "anthropic"}).json())
    observe(v2.api.update(spend_key_id, {"spend_limit": {"amount": "9.00", "cycle": "weekly"}}).json())
    v2.clock.set(NEXT_MONDAY)
    observe()
    v2.spend(raw_key)
    observe()
    observe(v2.api.update(spend_key_id, {"spend_limit": None}).json())
    assert seen[-1] == {
        "current_spend": _spent(1),
        "total_spend": _spent(4),
        "current_requests": 4,
        "total_requests": 4,
    }


def test_v2_rotate_keeps_the_totals_and_the_current_figures(v2: Served) -> None:
    created = v2.api.created()
    v2.spend(created["key"], 3)
    before = v2.figures(created["spend_key_id"])
    rotated = v2.api.rotate(created["spend_key_id"]).json()
    assert {name: rotated[name] for name in FIGURES} == before


@pytest.mark.parametrize("version", API_VERSIONS)
@pytest.mark.parametrize("cycle", ["total", "yearly", None])
def test_a_cycle_that_never_ends_or_is_unknown_has_no_period(version: str, cycle: object) -> None:
    assert Cycles.of(_spec(version)).start(cycle, START) is None


def test_the_server_takes_each_cycles_period_and_each_figures_limit_from_the_spec(tmp_path: Path) -> None:
    document = yaml.safe_load(spec_path("v2").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    # A changed spec: `daily` now lasts a week, and the request figure follows the spend limit's cycle.
    schemas["Cycle"]["x-lava-cycle-periods"]["daily"] = "week"
    schemas["SpendKey"]["properties"]["current_requests"]["x-lava-cycle"] = "spend_limit.cycle"
    changed = tmp_path / "lava-v2.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    cycles = Cycles.of(load_spec(changed))
    assert cycles.start("daily", START) == NEXT_MONDAY - timedelta(weeks=1)
    settings = SpendKeySettings(name="k", spend_limit={"amount": "1", "cycle": "monthly"})
    assert cycles.cycle_of("current_requests", settings) == "monthly"
    assert Cycles.of(_spec(V2)).cycle_of("current_requests", settings) is None


# --- the clock -------------------------------------------------------------------------------------------


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(START)
    assert clock() == START
    assert clock.advance(timedelta(hours=1)) == START + timedelta(hours=1)
    clock.set(START)
    assert clock() == START
    assert "2026-01-14T10:30:00Z" in repr(clock)


def test_a_manual_clock_refuses_a_naive_time_and_going_back_by_advancing() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive time is the point
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="set"):
        clock.advance(timedelta(seconds=-1))
    assert clock() == START


# --- the command line ------------------------------------------------------------------------------------


def _environment(**variables: str) -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("LAVA_")},
        **variables,
    }


@pytest.fixture
def served_v2_from_the_command_line() -> Iterator[str]:
    with server_process(environ=_environment(**{API_VERSION_VARIABLE: V2})) as served:
        yield served.first_line


def test_the_command_line_serves_the_version_of_the_variable_and_prints_it_and_the_dev_token(
    served_v2_from_the_command_line: str,
) -> None:
    line = served_v2_from_the_command_line
    spec = _spec(V2)
    assert f"API {V2}" in line
    assert dev_token(spec) in line
    base_url = line.split()[3]
    collection = spec.operation("list_spend_keys").path
    response = httpx.post(f"{base_url}{collection}", json={"name": "k"}, headers=bearer(dev_token(spec)))
    assert response.status_code == 201
    assert (
        response.json()["request_shape"]
        == spec.constraints(spec.operation("create_spend_key").request_schema or {}, "request_shape").default
    )


def test_the_command_line_never_prints_a_token_it_was_given() -> None:
    spec = _spec(V2)
    given = spec.key_prefixes["test"] + "given_secret_token"
    with server_process("--api-version", V2, environ=_environment(LAVA_API_KEY=given)) as served:
        assert f"API {V2}" in served.first_line
        assert "given_secret_token" not in served.first_line


@pytest.mark.parametrize(
    ("argv", "environ"),
    [([], {API_VERSION_VARIABLE: "v9"}), (["--api-version", "v9"], {})],
    ids=["variable", "flag"],
)
def test_the_command_line_refuses_an_unknown_version_with_status_2_and_names_the_versions(
    argv: list[str], environ: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--port", "0"], environ=environ)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert all(version in err for version in API_VERSIONS)
    assert "Traceback" not in err


def test_the_command_line_refuses_a_wallet_key_for_v2_without_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--api-version", V2, "--port", "0"], environ={"LAVA_API_KEY": WALLET_KEY})
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "merchant secret key" in err
    assert WALLET_KEY not in err


def test_a_limit_a_key_lacks_is_null_where_the_spec_lets_it_be_and_left_out_elsewhere(served: Served) -> None:
    created = served.api.create({"name": "no limits"}).json()
    shown = served.api.get(created["spend_key_id"]).json()
    listed = served.api.list_page().json()["data"]
    for answer in (created, shown, *listed):
        for limit in ("spend_limit", "request_limit", "rate_limit"):
            if limit in served.spec.nullable_spend_key_fields:
                assert answer[limit] is None
            else:
                assert limit not in answer


def test_a_wallet_id_sent_to_create_counts_exactly_where_the_spec_declares_it(served: Served) -> None:
    declared = "wallet_id" in served.spec.properties(served.create_schema)
    response = served.api.create({"name": "elsewhere", "wallet_id": "wallet_2", "connection_id": "c"})
    if declared:
        assert response.status_code == 404
        assert served.api.list_page().json()["data"] == []
    else:
        # Undeclared, it means nothing: the key is the caller's, and no 404 the spec does not document.
        assert response.status_code == 201
        assert response.json()["wallet_id"] == "wallet_1"
        assert served.api_b.list_page().json()["data"] == []
