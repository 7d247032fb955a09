"""Tests of other clients of Lava's API (interop/), run against the reference server as their users would."""
