"""One line of the KPI report: a figure of the year against its target."""

from __future__ import annotations

from pydantic import BaseModel


class KpiLine(BaseModel):
    key: str
    label: str  # Chinese, for the report
    rule: str
    actual: int
    target: int | None
    yearly: bool = True  # False: counted from a standing register (bases, schools), not the year

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.actual >= self.target
