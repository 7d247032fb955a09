"""The proof that the spec drives everything, as part of `make test`: each change of `spec_flow.CHANGES`.

Each test copies the project, applies one change to the copy's `openapi/lava.yaml` only, runs
`make generate` and `make contract` there (the copy's server on the changed spec, the copy's suite and
generated client against it), and passes when the change flows through, or, for a change declared to
need code, when the run stops by naming the module to edit. `make spec-flow` runs the same changes and
prints them as a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spec_flow  # scripts/spec_flow.py: tests/spec/conftest.py puts scripts/ on the path


@pytest.mark.parametrize("change", spec_flow.CHANGES, ids=lambda change: change.name)
def test_a_change_to_the_spec_alone_flows_through_or_names_where_code_is_needed(
    change: spec_flow.Change, tmp_path: Path
) -> None:
    # One example per property: the proof is that the run is green on the changed spec, not a search.
    result = spec_flow.run_change(change, tmp_path, examples=1)
    log = result.log.read_text(encoding="utf-8", errors="replace")
    assert result.ok, f"{change.name}: {result.summary}\n{log[-4000:]}"
    if change.needs_code is None:
        assert "contract: the server honours the contract" in log
