"""The contract suite for Lava's spend-key management API, and the reference server it runs against.

`reference_server/` is an ASGI app that behaves as Lava's docs say the API behaves; the suite
(`test_*.py`, with its fixtures in `conftest.py`) checks any server, that one by default, against
`openapi/lava.yaml` and the semantics the docs promise. Run it with `make contract`.
"""
