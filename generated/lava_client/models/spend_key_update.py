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


T = TypeVar("T", bound="SpendKeyUpdate")


@_attrs_define
class SpendKeyUpdate:
    """Every field is optional; only the fields sent change."""

    status: SpendKeyStatus | Unset = UNSET
    allowed_models: list[str] | None | Unset = UNSET
    """ Allowed values; `null` means every value is allowed. """
    allowed_providers: list[str] | None | Unset = UNSET
    """ Allowed values; `null` means every value is allowed. """
    expires_at: datetime.datetime | None | Unset = UNSET
    name: str | Unset = UNSET
    spend_limit: None | SpendLimit | Unset = UNSET
    request_limit: None | RequestLimit | Unset = UNSET
    rate_limit: None | RateLimit | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.rate_limit import RateLimit  # noqa: PLC0415
        from ..models.request_limit import RequestLimit  # noqa: PLC0415
        from ..models.spend_limit import SpendLimit  # noqa: PLC0415

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

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

        name = self.name

        spend_limit: dict[str, Any] | None | Unset
        if isinstance(self.spend_limit, Unset):
            spend_limit = UNSET
        elif isinstance(self.spend_limit, SpendLimit):
            spend_limit = self.spend_limit.to_dict()
        else:
            spend_limit = self.spend_limit

        request_limit: dict[str, Any] | None | Unset
        if isinstance(self.request_limit, Unset):
            request_limit = UNSET
        elif isinstance(self.request_limit, RequestLimit):
            request_limit = self.request_limit.to_dict()
        else:
            request_limit = self.request_limit

        rate_limit: dict[str, Any] | None | Unset
        if isinstance(self.rate_limit, Unset):
            rate_limit = UNSET
        elif isinstance(self.rate_limit, RateLimit):
            rate_limit = self.rate_limit.to_dict()
        else:
            rate_limit = self.rate_limit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if allowed_models is not UNSET:
            field_dict["allowed_models"] = allowed_models
        if allowed_providers is not UNSET:
            field_dict["allowed_providers"] = allowed_providers
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if name is not UNSET:
            field_dict["name"] = name
        if spend_limit is not UNSET:
            field_dict["spend_limit"] = spend_limit
        if request_limit is not UNSET:
            field_dict["request_limit"] = request_limit
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rate_limit import RateLimit  # noqa: PLC0415
        from ..models.request_limit import RequestLimit  # noqa: PLC0415
        from ..models.spend_limit import SpendLimit  # noqa: PLC0415

        d = dict(src_dict)
        _status = d.pop("status", UNSET)
        status: SpendKeyStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = SpendKeyStatus(_status)

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

        name = d.pop("name", UNSET)

        def _parse_spend_limit(data: object) -> None | SpendLimit | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                spend_limit_type_0 = SpendLimit.from_dict(data)

                return spend_limit_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpendLimit | Unset, data)

        spend_limit = _parse_spend_limit(d.pop("spend_limit", UNSET))

        def _parse_request_limit(data: object) -> None | RequestLimit | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                request_limit_type_0 = RequestLimit.from_dict(data)

                return request_limit_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RequestLimit | Unset, data)

        request_limit = _parse_request_limit(d.pop("request_limit", UNSET))

        def _parse_rate_limit(data: object) -> None | RateLimit | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                rate_limit_type_0 = RateLimit.from_dict(data)

                return rate_limit_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RateLimit | Unset, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit", UNSET))

        spend_key_update = cls(
            status=status,
            allowed_models=allowed_models,
            allowed_providers=allowed_providers,
            expires_at=expires_at,
            name=name,
            spend_limit=spend_limit,
            request_limit=request_limit,
            rate_limit=rate_limit,
        )

        spend_key_update.additional_properties = d
        return spend_key_update

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
