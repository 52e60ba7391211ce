"""Compare one request's answers: legacy twice (A/A) and the new API once.

Whatever differs between the two legacy answers is noise for that request (a timestamp, a
request id, an order the database does not guarantee): a difference between legacy and new at
a noisy path, or below it, is counted as noise, not as a mismatch. The status code is compared
first; the bodies are compared only when the status codes agree (a 404 against a 200 is one
difference, not one per field). The JSON bodies are diffed by DeepDiff, with the route's rules:
ignored paths are excluded before comparing (so an unordered array of objects still pairs up
when an ignored field differs), unordered paths compared as multisets, tolerances applied to
numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent
from deepdiff.operator import BaseOperator
from deepdiff.path import parse_path

from tools.ops.parity.paths import Element, generalise, render
from tools.ops.parity.rules import RouteRules

STATUS = "status"


class Absent:
    """The value on a side that has no such field or item."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = Absent()


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int
    body: Any  # parsed JSON, the text when it is not JSON, None when there is no body


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One place where two answers differ; ``path`` None is the status code."""

    path: tuple[Element, ...] | None
    legacy: Any
    new: Any

    @property
    def name(self) -> str:
        return STATUS if self.path is None else render(self.path)

    @property
    def general_name(self) -> str:
        return STATUS if self.path is None else generalise(self.path)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    mismatches: list[Difference] = field(default_factory=list)
    noise: list[Difference] = field(default_factory=list)

    @property
    def mismatched(self) -> bool:
        return bool(self.mismatches)

    @property
    def noise_only(self) -> bool:
        return not self.mismatches and bool(self.noise)


def parse_body(text: str) -> Any:
    """JSON when it parses as JSON (1.0 and 1 are the same JSON number), else the text."""
    if not text:
        return None
    try:
        return json.loads(text, parse_float=_json_number)
    except ValueError:
        return text


def _json_number(text: str) -> float | int:
    number = float(text)
    # JSON has one number type: a JavaScript client cannot tell 1.0 from 1.
    if math.isfinite(number) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def compare(*, legacy: Answer, legacy_again: Answer, new: Answer, rules: RouteRules) -> Comparison:
    noise = differences(legacy, legacy_again, rules)
    noisy_paths = [difference.path for difference in noise]
    mismatches: list[Difference] = []
    explained: list[Difference] = []
    for difference in differences(legacy, new, rules):
        if any(_under(difference.path, noisy) for noisy in noisy_paths):
            explained.append(difference)
        else:
            mismatches.append(difference)
    return Comparison(mismatches=mismatches, noise=explained)


def _under(path: tuple[Element, ...] | None, noisy: tuple[Element, ...] | None) -> bool:
    if path is None or noisy is None:
        return path is None and noisy is None
    return path[: len(noisy)] == noisy


def differences(first: Answer, second: Answer, rules: RouteRules) -> list[Difference]:
    if first.status != second.status:
        return [Difference(path=None, legacy=first.status, new=second.status)]
    return body_differences(first.body, second.body, rules)


def body_differences(first: Any, second: Any, rules: RouteRules) -> list[Difference]:
    if rules.ignored(()):
        return []
    diff = DeepDiff(
        first,
        second,
        view="tree",
        ignore_order_func=lambda level: rules.is_unordered(level.path(output_format="list")),
        exclude_obj_callback=lambda _obj, path: rules.ignored(parse_path(path)),
        custom_operators=[_Tolerance(rules)] if rules.tolerance else [],
        verbose_level=2,
    )
    found = [
        Difference(
            path=tuple(level.path(output_format="list")),
            legacy=_value(level.t1),
            new=_value(level.t2),
        )
        for levels in diff.values()
        for level in levels
    ]
    found += _bools_taken_for_numbers(first, second, (), rules)
    return sorted(found, key=lambda difference: difference.name)


def _bools_taken_for_numbers(
    first: Any, second: Any, path: tuple[Element, ...], rules: RouteRules
) -> list[Difference]:
    """``true`` against ``1`` (or ``false`` against ``0``) at one index of an ordered array.

    DeepDiff 9.1 aligns ordered arrays of scalars by equality, and ``True == 1`` in Python, so
    it reports nothing for ``[true]`` against ``[1]`` (qlustered/deepdiff#605, fixed after 9.1).
    Objects and unordered arrays are not affected; this finds exactly the case it misses.
    """
    if rules.ignored(path):
        return []
    if isinstance(first, dict) and isinstance(second, dict):
        return [
            found
            for key in first.keys() & second.keys()
            for found in _bools_taken_for_numbers(first[key], second[key], (*path, key), rules)
        ]
    if (
        not isinstance(first, list)
        or not isinstance(second, list)
        or len(first) != len(second)
        or rules.is_unordered(path)
    ):
        return []
    swapped: list[Difference] = []
    for index, (one, other) in enumerate(zip(first, second, strict=True)):
        here = (*path, index)
        if isinstance(one, bool) != isinstance(other, bool) and one == other:
            if not rules.ignored(here):
                swapped.append(Difference(path=here, legacy=one, new=other))
        else:
            swapped += _bools_taken_for_numbers(one, other, here, rules)
    return swapped


def _value(value: Any) -> Any:
    return ABSENT if isinstance(value, NotPresent) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Tolerance(BaseOperator):
    """Numbers at a path with a tolerance rule are equal when they are that close."""

    def __init__(self, rules: RouteRules) -> None:
        super().__init__()
        self._rules = rules

    def match(self, level: Any) -> bool:
        return (
            _is_number(level.t1)
            and _is_number(level.t2)
            and self._rules.tolerance_at(level.path(output_format="list")) is not None
        )

    def give_up_diffing(self, level: Any, diff_instance: Any) -> bool:
        allowed = self._rules.tolerance_at(level.path(output_format="list")) or 0.0
        return bool(abs(level.t1 - level.t2) <= allowed)


def describe(value: Any, limit: int = 60) -> str:
    """A short, readable rendering of a value for the text report."""
    text = repr(value) if isinstance(value, Absent) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sample(value: Any, limit: int = 200) -> Any:
    """The value for the JSON report: as is when short, else its truncated JSON text."""
    text = json.dumps(value, sort_keys=True)
    return value if len(text) <= limit else text[: limit - 1] + "…"
