"""The registry of seeded faults: each one's name, class, one-line description, and where it goes in.

A `Fault` names one documented deviation from the contract (`openapi/lava.yaml` and Lava's docs)
and says, in its `Seams`, which parts of the reference server `create_app` should swap for faulty
ones. Every seam defaults to the conforming part, so `Seams()` is the conforming server.

The classes say what kind of contract a fault breaks:

- shape: a response body breaks its schema.
- status: a status code, media type or error envelope differs from the spec.
- validation: a request the spec forbids is accepted.
- auth: a caller the spec shuts out is let in.
- semantics: every body is well-formed, but the behaviour differs from what the docs say.

Every fault says where it applies (`Fault.applies_to`, a `conditions.Condition` asked of the spec):
most apply to every version of the API, being about behaviour all share; `totals_decrease`,
`total_below_current`, `request_shape_not_kept` and `default_not_applied` apply where the spec
declares what they break (v2's totals and `request_shape` with its default), and a fault that
loosens a schema applies where the spec has the constraint it removes. `faults_for(spec)` lists the
faults of a spec; `create_app` refuses a fault that does not apply to the spec it serves.

This module holds the table only; the faulty parts live in `responses`, `schemas`,
`operations`, `store` and `auth`, next to nothing of the conforming server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from starlette.middleware import Middleware

from contract_tests.reference_server.auth import Authenticator
from contract_tests.reference_server.clock import Clock
from contract_tests.reference_server.faults import auth, operations, responses, schemas, store
from contract_tests.reference_server.faults.conditions import (
    ALLOWS_PAUSED,
    ALWAYS,
    DEFAULTS_A_FIELD_WITH_AN_ENUM,
    KEEPS_A_DEFAULTED_FIELD,
    SHOWS_TOTALS,
    Condition,
    list_limit_below,
    names_longer_than,
)
from contract_tests.reference_server.middleware import (
    IgnoreRequestHeader,
    Rewrite,
    RewriteAnswers,
    each_spend_key,
)
from contract_tests.reference_server.operations import SpendKeyOperations
from contract_tests.reference_server.store import Cycles, SpendKeyStore
from contract_tests.reference_server.validation import Components, RequestRules
from lava_spec import Spec

FaultClass: TypeAlias = Literal["shape", "status", "validation", "auth", "semantics"]
FAULT_CLASSES: Final[tuple[FaultClass, ...]] = ("shape", "status", "validation", "auth", "semantics")


@dataclass(frozen=True, slots=True)
class Seams:
    """The parts of the server that `create_app` builds; each default is the conforming part."""

    # Rewrites a copy of the spec's `components` before the request schemas are compiled.
    request_components: Callable[[Components], Components] | None = None
    # Given the server's clock.
    store: Callable[[Clock, Cycles], SpendKeyStore] = SpendKeyStore
    operations: Callable[[SpendKeyStore, RequestRules], SpendKeyOperations] = SpendKeyOperations
    # Given the wallets (bearer token -> wallet id) and the prefixes the spec's credential starts with.
    authenticator: Callable[[Mapping[str, str], Iterable[str]], Authenticator] = Authenticator
    # ASGI middleware around the whole app, outermost first.
    middleware: tuple[Middleware, ...] = ()


@dataclass(frozen=True, slots=True)
class Fault:
    """One seeded deviation from the contract."""

    name: str
    fault_class: FaultClass
    # One line: the contract the fault breaks, as a client that knows the spec and docs sees it.
    description: str
    seams: Seams = field(default=Seams(), repr=False)
    # The specs the fault applies to: those that declare what it is about.
    applies: Condition = field(default=ALWAYS, repr=False)

    def applies_to(self, spec: Spec) -> bool:
        """Whether the fault is about something `spec` declares, so that a server of it can have it."""
        return self.why_not(spec) is None

    def why_not(self, spec: Spec) -> str | None:
        """Why the fault does not apply to `spec` (one line naming the condition), or None when it does."""
        if not self.applies.holds(spec):
            return f"the fault {self.name} applies only where {self.applies.where}; {spec.path.name} does not"
        transform = self.seams.request_components
        if transform is not None:
            try:
                transform(spec.components_copy())
            except LookupError as error:
                return f"the fault {self.name} removes a constraint that {spec.path.name} lacks: {error}"
        return None


def _rewrite(rewrite: Rewrite) -> Seams:
    return Seams(middleware=(Middleware(RewriteAnswers, rewrite=rewrite),))


def _registry(*faults: Fault) -> Mapping[str, Fault]:
    table: dict[str, Fault] = {}
    for fault in faults:
        if fault.name in table:
            raise ValueError(f"two faults are named {fault.name!r}")
        if "\n" in fault.description:
            raise ValueError(f"the description of {fault.name!r} is not one line")
        table[fault.name] = fault
    return MappingProxyType(table)


FAULTS: Final[Mapping[str, Fault]] = _registry(
    # --- shape ---
    Fault(
        "missing_key_preview",
        "shape",
        "key_preview, a required field, is left out of every spend-key response",
        _rewrite(each_spend_key(responses.drop_key_preview)),
    ),
    Fault(
        "current_requests_as_string",
        "shape",
        'current_requests is sent as a string ("0"), not the integer the schema requires',
        _rewrite(each_spend_key(responses.current_requests_as_string)),
    ),
    Fault(
        "null_name",
        "shape",
        "get answers name: null, though name is a required string",
        _rewrite(each_spend_key(responses.null_name, only=responses.answers(responses.GET))),
    ),
    Fault(
        "status_outside_enum",
        "shape",
        'an active key is shown with status "enabled", outside the enum [active, paused]',
        _rewrite(each_spend_key(responses.active_as_enabled)),
    ),
    Fault(
        "created_at_malformed",
        "shape",
        'created_at is written like "27/11/2026 14:00", not as an RFC 3339 date-time',
        _rewrite(each_spend_key(responses.created_at_malformed)),
    ),
    Fault(
        "current_spend_as_number",
        "shape",
        'current_spend is a JSON number (0), not the decimal string ("0") the schema requires',
        _rewrite(each_spend_key(responses.current_spend_as_number)),
    ),
    Fault(
        "negative_current_requests",
        "shape",
        "every list item has current_requests -1, below the schema's minimum 0",
        _rewrite(each_spend_key(responses.negative_current_requests, only=responses.answers(responses.LIST))),
    ),
    # --- status ---
    Fault(
        "create_answers_200",
        "status",
        "a successful create answers 200 instead of the documented 201",
        _rewrite(responses.create_answers_200),
    ),
    Fault(
        "server_error_on_paused",
        "status",
        'a valid create with status "paused" answers 500 (and creates nothing) instead of 201',
        Seams(operations=operations.ServerErrorOnPaused),
        ALLOWS_PAUSED,
    ),
    Fault(
        "text_plain_content_type",
        "status",
        "success bodies are JSON but declared as text/plain, not application/json",
        _rewrite(responses.text_plain_success),
    ),
    Fault(
        "error_without_envelope",
        "status",
        '404 bodies are {"detail": ...} instead of the {"error": {message, code, status}} envelope',
        _rewrite(responses.bare_404_detail),
    ),
    Fault(
        "revoke_answers_204",
        "status",
        'revoke succeeds with 204 and no body instead of 200 {"success": true}',
        _rewrite(responses.revoke_answers_204),
    ),
    # --- validation ---
    Fault(
        "accepts_long_name",
        "validation",
        "a name longer than the spec's maxLength is accepted (create and update) instead of a 422",
        Seams(request_components=schemas.NAME_WITHOUT_MAX_LENGTH),
    ),
    Fault(
        "accepts_empty_name",
        "validation",
        'an empty name ("") is accepted (create and update) instead of a 422',
        Seams(request_components=schemas.NAME_WITHOUT_MIN_LENGTH),
    ),
    Fault(
        "accepts_limit_over_100",
        "validation",
        "list accepts a limit over the spec's maximum, up to 1000, and returns that many, not a 400",
        Seams(operations=operations.AcceptsLimitOver100),
        list_limit_below(operations.LOOSE_LIST_LIMIT_MAX),
    ),
    Fault(
        "accepts_rpm_zero",
        "validation",
        "rate_limit.rpm, rate_limit.burst and request_limit.count below 1 are accepted instead of a 422",
        Seams(request_components=schemas.LIMITS_WITHOUT_MINIMUM),
    ),
    Fault(
        "accepts_unknown_status",
        "validation",
        "a status outside [active, paused] is accepted on create (and update) and stored, not a 422",
        Seams(request_components=schemas.STATUS_WITHOUT_ENUM),
    ),
    Fault(
        "accepts_malformed_json",
        "validation",
        'an unparseable create body answers 201 with a key named "untitled" instead of a 400',
        Seams(operations=operations.AcceptsMalformedJson),
    ),
    # --- auth ---
    Fault(
        "accepts_missing_token",
        "auth",
        "a request without an Authorization header acts for the first wallet instead of a 401",
        Seams(authenticator=auth.AcceptsMissingToken),
    ),
    Fault(
        "accepts_wrong_token",
        "auth",
        "a bearer token that opens no wallet acts for the first wallet instead of a 401",
        Seams(authenticator=auth.AcceptsWrongToken),
    ),
    Fault(
        "cross_wallet_visibility",
        "auth",
        "get and list show other wallets' keys, and update, rotate and revoke them, instead of a 404",
        Seams(store=store.CrossWalletVisibility),
    ),
    # --- semantics ---
    Fault(
        "truncates_name",
        "semantics",
        "a name is stored (and echoed) cut to 64 characters, though the spec allows longer ones",
        Seams(operations=operations.TruncatesName),
        names_longer_than(operations.TRUNCATED_NAME_LENGTH),
    ),
    Fault(
        "strips_name",
        "semantics",
        "leading and trailing whitespace is stripped from a name instead of kept as sent",
        Seams(operations=operations.StripsName),
    ),
    Fault(
        "update_not_kept",
        "semantics",
        "update answers with the change, but a later get or list shows the old settings",
        Seams(operations=operations.UpdateNotKept),
    ),
    Fault(
        "rotate_returns_old_key",
        "semantics",
        "rotate answers with the raw key create returned: the secret never changes",
        Seams(operations=operations.RotateReturnsOldKey),
    ),
    Fault(
        "rotate_drops_settings",
        "semantics",
        "rotate clears spend_limit, request_limit, rate_limit and allowed_models instead of keeping them",
        Seams(operations=operations.RotateDropsSettings),
    ),
    Fault(
        "rotate_resets_usage",
        "semantics",
        'rotate resets current_spend to "0", current_requests to 0 and last_used_at to null',
        Seams(operations=operations.RotateResetsUsage),
    ),
    Fault(
        "revoke_not_done",
        "semantics",
        "revoke answers success, but the key stays in get and list and keeps working in the proxy",
        Seams(operations=operations.RevokeNotDone),
    ),
    Fault(
        "preview_mismatch",
        "semantics",
        "key_preview is the preview of another random key, not the first 16 characters of the key",
        Seams(store=store.PreviewMismatch),
    ),
    Fault(
        "key_shown_again",
        "semantics",
        "get and list items carry the raw key, which the docs say is shown only by create and rotate",
        Seams(operations=operations.KeyShownAgain),
    ),
    Fault(
        "pagination_repeats",
        "semantics",
        "each page after a cursor starts again with the previous page's last key",
        Seams(operations=operations.PaginationRepeats),
    ),
    Fault(
        "pagination_skips",
        "semantics",
        "each page after a cursor leaves out the one key that should open it",
        Seams(operations=operations.PaginationSkips),
    ),
    Fault(
        "pagination_ignores_limit",
        "semantics",
        "every page holds up to the largest limit allowed, whatever limit says (has_more agrees)",
        Seams(operations=operations.PaginationIgnoresLimit),
    ),
    Fault(
        "pagination_cycles",
        "semantics",
        "the last page says has_more and its next_cursor leads back to the first page: the list never ends",
        Seams(operations=operations.PaginationCycles),
    ),
    Fault(
        "pagination_endless",
        "semantics",
        "has_more is always true: past the last key come empty pages with fresh cursors, without end",
        Seams(operations=operations.PaginationEndless),
    ),
    Fault(
        "idempotency_ignored",
        "semantics",
        "Idempotency-Key is ignored: a retry with the same key and body creates a second key",
        Seams(middleware=(Middleware(IgnoreRequestHeader, name="Idempotency-Key"),)),
    ),
    Fault(
        "created_at_changes",
        "semantics",
        "created_at is the time of each read, not the time the key was created",
        _rewrite(each_spend_key(responses.created_at_now)),
    ),
    Fault(
        "old_key_works_after_rotate",
        "semantics",
        "the raw key a rotate replaced still works in the proxy, though it should stop at once",
        Seams(store=store.OldKeyWorksAfterRotate),
    ),
    Fault(
        "revoked_key_still_proxies",
        "semantics",
        "a revoked key still works in the proxy, though it should stop at once",
        Seams(store=store.RevokedKeyStillProxies),
    ),
    # --- semantics of what only some specs declare: the totals, a defaulted field (v2) ---
    Fault(
        "totals_decrease",
        "semantics",
        "rotate takes total_spend and total_requests back to zero, though totals never decrease",
        Seams(operations=operations.TotalsDecrease),
        SHOWS_TOTALS,
    ),
    Fault(
        "total_below_current",
        "semantics",
        "the totals leave out the current cycle, so after any use they are below the current figures",
        Seams(operations=operations.TotalBelowCurrent),
        SHOWS_TOTALS,
    ),
    Fault(
        "request_shape_not_kept",
        "semantics",
        "a request_shape sent on create or update is dropped: the key keeps the spec's default",
        Seams(operations=operations.DefaultedFieldNotKept),
        KEEPS_A_DEFAULTED_FIELD,
    ),
    Fault(
        "default_not_applied",
        "semantics",
        "a create that leaves request_shape out gets another value than the spec's default",
        Seams(operations=operations.DefaultNotApplied),
        DEFAULTS_A_FIELD_WITH_AN_ENUM,
    ),
)


def faults_for(spec: Spec) -> Mapping[str, Fault]:
    """The faults that apply to `spec`, in the registry's order."""
    return MappingProxyType({name: fault for name, fault in FAULTS.items() if fault.applies_to(spec)})


def fault_named(name: str, spec: Spec | None = None) -> Fault:
    """Return the fault called `name`, or raise a ValueError that lists every valid name.

    With `spec`, the fault must apply to it too (`Fault.applies_to`); the ValueError says why not.
    """
    fault = FAULTS.get(name)
    if fault is None:
        raise ValueError(f"unknown fault {name!r}; the faults are: {', '.join(sorted(FAULTS))}")
    reason = None if spec is None else fault.why_not(spec)
    if reason is not None:
        raise ValueError(reason)
    return fault
