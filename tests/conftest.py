"""What every test shares: independence from the caller's choice of API version.

The project's tests name the version they test (`lava_spec.spec_path("v2")`, `LAVA_API_VERSION=v2` in a
subprocess's environment); none follows the variable of the shell that runs `make test`, so
`make test LAVA_API_VERSION=v2` tests the same things as `make test`.
"""

from __future__ import annotations

import os

from lava_spec import API_VERSION_VARIABLE

os.environ.pop(API_VERSION_VARIABLE, None)
