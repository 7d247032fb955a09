"""Seeded faults: named, documented deviations from the contract, to measure what the suite catches.

`FAULTS` maps each fault's name to a `Fault` (name, class, one-line description). Start a faulty
server with `create_app(fault=NAME)` or `python -m contract_tests.reference_server --fault NAME`;
`--list-faults` prints the table. Exactly one fault is on at a time, and none by default.

A fault is composed in by `create_app`, never branched on: each `Fault` carries `Seams`, the
parts to build the server from, and each seam defaults to the conforming part. The faulty parts
wrap or subclass the conforming ones, so the conforming modules hold no fault code at all:

- `responses`: rewrites of answers (shape and status faults, `created_at_changes`), composed in
  with the generic `middleware.RewriteAnswers`; `idempotency_ignored` is the generic
  `middleware.IgnoreRequestHeader` on the `Idempotency-Key` header.
- `schemas`: a loosened copy of the spec's components, from which the request schemas are compiled
  (most validation faults).
- `operations`: `SpendKeyOperations` subclasses (the remaining validation faults, most semantics).
- `store`: `SpendKeyStore` subclasses (`preview_mismatch`, `cross_wallet_visibility`, and the
  proxy faults `old_key_works_after_rotate` and `revoked_key_still_proxies`).
- `auth`: `Authenticator` subclasses (`accepts_missing_token`, `accepts_wrong_token`).

Each fault applies to the specs that declare what it breaks (`Fault.applies_to`, `faults_for`;
see `conditions`): most to every version of the API, v2's own (the totals, `request_shape`) only
where the spec declares them. Every fault shows on ordinary valid use, so a suite that exercises
the documented behaviour has a witness for it. This package does not combine faults, and does not
decide which of them a suite ought to catch.
"""

from contract_tests.reference_server.faults.registry import (
    FAULT_CLASSES,
    FAULTS,
    Fault,
    FaultClass,
    Seams,
    fault_named,
    faults_for,
)

__all__ = ["FAULTS", "FAULT_CLASSES", "Fault", "FaultClass", "Seams", "fault_named", "faults_for"]
