"""Fixtures every reference-server test module shares: a fresh in-process server and clients of its wallets.

The server opens the development token (wallet_dev) and three throwaway tokens: two of wallet A and
one of wallet B. `api` is the development token's client, `api_a` and `api_b` are the wallets';
each checks every management answer against the spec (`api.checked`).
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from contract_tests.reference_server import DEFAULT_DEV_TOKEN, create_app
from tests.reference_server.api import AUTH, AUTH_A, AUTH_B, TOKEN_A, TOKEN_A2, TOKEN_B, Api, TestClient

WALLETS = {DEFAULT_DEV_TOKEN: "wallet_dev", TOKEN_A: "wallet_a", TOKEN_A2: "wallet_a", TOKEN_B: "wallet_b"}


@pytest.fixture
def app() -> Starlette:
    return create_app(WALLETS)


@pytest.fixture
def client(app: Starlette) -> TestClient:
    return TestClient(app)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client, AUTH)


@pytest.fixture
def api_a(client: TestClient) -> Api:
    return Api(client, AUTH_A)


@pytest.fixture
def api_b(client: TestClient) -> Api:
    return Api(client, AUTH_B)
