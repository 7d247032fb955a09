from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.spend_key_list import SpendKeyList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    wallet_id: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 10,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["wallet_id"] = wallet_id

    params["cursor"] = cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/manage/spend_keys",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | SpendKeyList | None:
    if response.status_code == 200:
        response_200 = SpendKeyList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SpendKeyList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    wallet_id: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 10,
) -> Response[Error | SpendKeyList]:
    """List spend keys

     Lists spend keys, oldest first, a page at a time. Items never carry the raw `key`.

    Args:
        wallet_id (str | Unset):
        cursor (str | Unset):
        limit (int | Unset):  Default: 10.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SpendKeyList]
    """

    kwargs = _get_kwargs(
        wallet_id=wallet_id,
        cursor=cursor,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    wallet_id: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 10,
) -> Error | SpendKeyList | None:
    """List spend keys

     Lists spend keys, oldest first, a page at a time. Items never carry the raw `key`.

    Args:
        wallet_id (str | Unset):
        cursor (str | Unset):
        limit (int | Unset):  Default: 10.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SpendKeyList
    """

    return sync_detailed(
        client=client,
        wallet_id=wallet_id,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    wallet_id: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 10,
) -> Response[Error | SpendKeyList]:
    """List spend keys

     Lists spend keys, oldest first, a page at a time. Items never carry the raw `key`.

    Args:
        wallet_id (str | Unset):
        cursor (str | Unset):
        limit (int | Unset):  Default: 10.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SpendKeyList]
    """

    kwargs = _get_kwargs(
        wallet_id=wallet_id,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    wallet_id: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 10,
) -> Error | SpendKeyList | None:
    """List spend keys

     Lists spend keys, oldest first, a page at a time. Items never carry the raw `key`.

    Args:
        wallet_id (str | Unset):
        cursor (str | Unset):
        limit (int | Unset):  Default: 10.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SpendKeyList
    """

    return (
        await asyncio_detailed(
            client=client,
            wallet_id=wallet_id,
            cursor=cursor,
            limit=limit,
        )
    ).parsed
