from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.cycle import Cycle

T = TypeVar("T", bound="SpendLimit")


@_attrs_define
class SpendLimit:
    """A cap on spend per cycle."""

    amount: str
    """ A non-negative decimal amount written as a string, e.g. "12.50". """
    cycle: Cycle
    """ The period after which a limit's counter starts again at zero. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        cycle = self.cycle.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "cycle": cycle,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        cycle = Cycle(d.pop("cycle"))

        spend_limit = cls(
            amount=amount,
            cycle=cycle,
        )

        spend_limit.additional_properties = d
        return spend_limit

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
