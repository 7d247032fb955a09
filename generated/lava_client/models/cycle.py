from enum import StrEnum


class Cycle(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    TOTAL = "total"
    WEEKLY = "weekly"

    def __str__(self) -> str:
        return str(self.value)
