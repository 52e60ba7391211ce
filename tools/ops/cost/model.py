"""The cost report's results: priced lines, what could not be priced, findings."""

from __future__ import annotations

from dataclasses import dataclass

MILLION = 1_000_000
GB = 1024**3
KB = 1024


@dataclass(frozen=True)
class LineItem:
    """``quantity`` units at ``unit_price`` per month; ``charge`` is a stable key for diffs."""

    stack: str
    resource: str
    resource_type: str
    charge: str
    description: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_price

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.stack, self.resource, self.charge)


@dataclass(frozen=True)
class Unpriced:
    stack: str
    resource: str
    resource_type: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """Something in the templates that makes the estimate (or the stack) suspect."""

    stack: str
    resource: str
    message: str


@dataclass(frozen=True)
class StageEstimate:
    stage: str
    stacks: tuple[str, ...]
    requests_per_day: float
    requests_per_month: float
    fixed: tuple[LineItem, ...]
    variable: tuple[LineItem, ...]
    unpriced: tuple[Unpriced, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def fixed_total(self) -> float:
        return sum(item.monthly_usd for item in self.fixed)

    @property
    def variable_total(self) -> float:
        return sum(item.monthly_usd for item in self.variable)

    @property
    def per_million_requests(self) -> float | None:
        if self.requests_per_month == 0:
            return None
        return self.variable_total / self.requests_per_month * MILLION


class NotPricedError(Exception):
    """Raised by a pricing rule when the resource's configuration has no price in the data file."""
