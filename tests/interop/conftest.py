"""What the interop tests share: the scripts importable by name, as `python scripts/<name>.py` runs them."""

from __future__ import annotations

import sys

from tests.repository import SCRIPTS

# Here rather than in the test module, so that `import node_sdk` reads as a plain import there.
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
