"""The Lambda invocation being served, so lower layers can budget their time against it.

One execution environment serves one invocation at a time, so a module-level slot is enough.
"""

from __future__ import annotations

from typing import Protocol


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


_current: _Context | None = None


def begin(context: object) -> None:
    """Called first by every handler with the invocation's LambdaContext."""
    global _current  # noqa: PLW0603 - one slot per execution environment, see module docstring
    _current = context if hasattr(context, "get_remaining_time_in_millis") else None


def current() -> object | None:
    """The LambdaContext of the invocation in progress (None outside Lambda, e.g. in tests)."""
    return _current


def time_budget(*, cap_seconds: float, reserve_seconds: float = 1.0) -> float:
    """Seconds an outbound call may take: ``cap_seconds``, less if the invocation ends sooner.

    ``reserve_seconds`` is kept back so the function can still answer 503 before Lambda kills it.
    """
    if _current is None:
        return cap_seconds
    remaining = _current.get_remaining_time_in_millis() / 1000 - reserve_seconds
    return max(0.1, min(cap_seconds, remaining))
