from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.spend_key_status import SpendKeyStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rate_limit import RateLimit
    from ..models.request_limit import RequestLimit
    from ..models.spend_limit import SpendLimit


T = TypeVar("T", bound="SpendKeyWithSecret")


@_attrs_define
class SpendKeyWithSecret:
    """A spend key with its raw `key`, returned by create and rotate only."""

    status: SpendKeyStatus
    spend_key_id: str
    key_preview: str
    """ Masked key preview (e.g., lava_sk_a1b2c3d4****) """
    name: str
    wallet_id: str
    current_spend: str
    """ A non-negative decimal amount written as a string, e.g. "12.50". """
    current_requests: int
    """ Current request count in this cycle """
    created_at: datetime.datetime
    key: str
    """ The raw spend key (shown once) """
    allowed_models: list[str] | None | Unset = UNSET
    """ Allowed values; `null` means every value is allowed. """
    allowed_providers: list[str] | None | Unset = UNSET
    """ Allowed values; `null` means every value is allowed. """
    expires_at: datetime.datetime | None | Unset = UNSET
    spend_limit: SpendLimit | Unset = UNSET
    """ A cap on spend per cycle. """
    request_limit: RequestLimit | Unset = UNSET
    """ A cap on the number of requests per cycle. """
    rate_limit: RateLimit | Unset = UNSET
    """ Requests per minute, with an optional burst allowance. """
    last_used_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        spend_key_id = self.spend_key_id

        key_preview = self.key_preview

        name = self.name

        wallet_id = self.wallet_id

        current_spend = self.current_spend

        current_requests = self.current_requests

        created_at = self.created_at.isoformat()

        key = self.key

        allowed_models: list[str] | None | Unset
        if isinstance(self.allowed_models, Unset):
            allowed_models = UNSET
        elif isinstance(self.allowed_models, list):
            allowed_models = self.allowed_models

        else:
            allowed_models = self.allowed_models

        allowed_providers: list[str] | None | Unset
        if isinstance(self.allowed_providers, Unset):
            allowed_providers = UNSET
        elif isinstance(self.allowed_providers, list):
            allowed_providers = self.allowed_providers

        else:
            allowed_providers = self.allowed_providers

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        spend_limit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.spend_limit, Unset):
            spend_limit = self.spend_limit.to_dict()

        request_limit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.request_limit, Unset):
            request_limit = self.request_limit.to_dict()

        rate_limit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.rate_limit, Unset):
            rate_limit = self.rate_limit.to_dict()

        last_used_at: None | str | Unset
        if isinstance(self.last_used_at, Unset):
            last_used_at = UNSET
        elif isinstance(self.last_used_at, datetime.datetime):
            last_used_at = self.last_used_at.isoformat()
        else:
            last_used_at = self.last_used_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "spend_key_id": spend_key_id,
                "key_preview": key_preview,
                "name": name,
                "wallet_id": wallet_id,
                "current_spend": current_spend,
                "current_requests": current_requests,
                "created_at": created_at,
                "key": key,
            }
        )
        if allowed_models is not UNSET:
            field_dict["allowed_models"] = allowed_models
        if allowed_providers is not UNSET:
            field_dict["allowed_providers"] = allowed_providers
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if spend_limit is not UNSET:
            field_dict["spend_limit"] = spend_limit
        if request_limit is not UNSET:
            field_dict["request_limit"] = request_limit
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rate_limit import RateLimit  # noqa: PLC0415
        from ..models.request_limit import RequestLimit  # noqa: PLC0415
        from ..models.spend_limit import SpendLimit  # noqa: PLC0415

        d = dict(src_dict)
        status = SpendKeyStatus(d.pop("status"))

        spend_key_id = d.pop("spend_key_id")

        key_preview = d.pop("key_preview")

        name = d.pop("name")

        wallet_id = d.pop("wallet_id")

        current_spend = d.pop("current_spend")

        current_requests = d.pop("current_requests")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        key = d.pop("key")

        def _parse_allowed_models(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_model_list_type_0 = cast(list[str], data)

                return componentsschemas_model_list_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_models = _parse_allowed_models(d.pop("allowed_models", UNSET))

        def _parse_allowed_providers(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_model_list_type_0 = cast(list[str], data)

                return componentsschemas_model_list_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_providers = _parse_allowed_providers(d.pop("allowed_providers", UNSET))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_nullable_date_time_type_0 = datetime.datetime.fromisoformat(data)

                return componentsschemas_nullable_date_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        _spend_limit = d.pop("spend_limit", UNSET)
        spend_limit: SpendLimit | Unset
        if isinstance(_spend_limit, Unset):
            spend_limit = UNSET
        else:
            spend_limit = SpendLimit.from_dict(_spend_limit)

        _request_limit = d.pop("request_limit", UNSET)
        request_limit: RequestLimit | Unset
        if isinstance(_request_limit, Unset):
            request_limit = UNSET
        else:
            request_limit = RequestLimit.from_dict(_request_limit)

        _rate_limit = d.pop("rate_limit", UNSET)
        rate_limit: RateLimit | Unset
        if isinstance(_rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = RateLimit.from_dict(_rate_limit)

        def _parse_last_used_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_nullable_date_time_type_0 = datetime.datetime.fromisoformat(data)

                return componentsschemas_nullable_date_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at", UNSET))

        spend_key_with_secret = cls(
            status=status,
            spend_key_id=spend_key_id,
            key_preview=key_preview,
            name=name,
            wallet_id=wallet_id,
            current_spend=current_spend,
            current_requests=current_requests,
            created_at=created_at,
            key=key,
            allowed_models=allowed_models,
            allowed_providers=allowed_providers,
            expires_at=expires_at,
            spend_limit=spend_limit,
            request_limit=request_limit,
            rate_limit=rate_limit,
            last_used_at=last_used_at,
        )

        spend_key_with_secret.additional_properties = d
        return spend_key_with_secret

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
