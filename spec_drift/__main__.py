"""Run the command as `python -m spec_drift` before the console script is installed."""

from spec_drift.cli import main

raise SystemExit(main())
