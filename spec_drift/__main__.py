"""`python -m spec_drift`: how the drift tool runs (it is in no distribution, so it has no console script)."""

from spec_drift.cli import main

raise SystemExit(main())
