"""Where the tests find the repository's files, whichever folder under tests/ they sit in.

Facts of the spec (operations, paths, statuses, fields) are not here: tests ask `lava_spec` for them.
`spec_document()` is for the few tests that must write a changed copy of the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from lava_spec import SPEC_PATH

ROOT: Final = Path(__file__).resolve().parents[1]
SCRIPTS: Final = ROOT / "scripts"
FIXTURES: Final = ROOT / "tests" / "fixtures"


def spec_document() -> dict[str, Any]:
    """The spec as a fresh document to change and write elsewhere; ask `lava_spec` for its facts instead."""
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document
