"""spec_drift: report how Lava's published OpenAPI spec has drifted from ours, for spend keys.

Run as `python -m spec_drift UPSTREAM [--ours PATH] [--format markdown|json|migration]
[--fail-on breaking|any] [--same-prefix /manage] [--accepted [FILE] | --write-accepted FILE]`; ours is,
unless `--ours` says otherwise, the spec of the version `LAVA_API_VERSION` names (v0 when it is not set).
Modules, each pointing only at the ones before it:

    load.py       read a JSON/YAML document from a path or URL; check it is OpenAPI 3.x
    normalise.py  keep the spend-key operations; resolve $ref, allOf and nullability spellings
    compare.py    match operations and classify each difference for our generated client
    accepted.py   the record of accepted drift: read and check it, split a comparison by it, write it
    render.py     Markdown or JSON
    migration.py  the migration page between two of our versions, for users of our client
    cli.py        arguments and exit status; the default "ours" (lava_spec.versions, the one import
                  of ours: the module that knows the versions and their files)

Why our own differ: oasdiff, the field's reference breaking-change checker, is a Go program and
cannot be installed in this environment (no Go toolchain or binary download). The Python
candidates do not fit: `openapi-spec-validator` validates but does not diff, and `deepdiff` diffs
JSON without knowing what a request or a response is, so it cannot tell a breaking change from a
harmless one. On npm, `@pb33f/openapi-changes` downloads a Go binary in its postinstall script (which
fails here too), and `@useoptic/optic` would bring Node into a Python project's CI; neither knows that
our generated models raise on an unknown response enum value, the rule that matters most here.
A few hundred lines that encode our client's rules are easier to trust than any of these.

What it does not do: validate documents, compare headers, links, callbacks or descriptions, or
edit our spec.
"""

from spec_drift.cli import main
from spec_drift.compare import Change, compare_documents
from spec_drift.load import SpecLoadError, load_document
from spec_drift.normalise import NormaliseError, spend_key_operations

__all__ = [
    "Change",
    "NormaliseError",
    "SpecLoadError",
    "compare_documents",
    "load_document",
    "main",
    "spend_key_operations",
]
