"""The comparison of two JSON answers, without HTTP: the cases a JSON diff gets wrong easily."""

from __future__ import annotations

from typing import Any

import pytest

from tools.ops.parity.compare import Answer, body_differences, compare, parse_body
from tools.ops.parity.rules import RouteRules


def names(first: Any, second: Any, rules: RouteRules | None = None) -> list[str]:
    return [d.name for d in body_differences(first, second, rules or RouteRules())]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # qlustered/deepdiff#605: DeepDiff 9.1 alone reports nothing for these.
        ([True], [1], ["$[0]"]),
        ({"flags": [1, False, 3]}, {"flags": [1, 0, 3]}, ["$.flags[1]"]),
        ([[True]], [[1]], ["$[0][0]"]),
        # Caught by DeepDiff itself.
        ({"a": True}, {"a": 1}, ["$.a"]),
        ([{"a": True}], [{"a": 1}], ["$[0].a"]),
        # Equal JSON.
        ([True, 1], [True, 1], []),
    ],
)
def test_true_is_not_1(first: Any, second: Any, expected: list[str]) -> None:
    assert names(first, second) == expected


def test_json_numbers_1_and_1_0_are_equal_but_true_is_not_1() -> None:
    assert parse_body('{"n": 1.0, "m": [2.0]}') == {"n": 1, "m": [2]}
    assert names(parse_body('{"n": 1.0}'), parse_body('{"n": 1}')) == []
    assert names(parse_body("[true]"), parse_body("[1]")) == ["$[0]"]


def test_noise_covers_the_path_and_below_it_only() -> None:
    legacy = Answer(status=200, body={"meta": {"id": "a", "at": 1}, "title": "x"})
    again = Answer(status=200, body={"meta": {"id": "b", "at": 1}, "title": "x"})
    new = Answer(status=200, body={"meta": {"id": "c", "at": 2}, "title": "x"})
    result = compare(legacy=legacy, legacy_again=again, new=new, rules=RouteRules())
    assert [d.name for d in result.noise] == ["$.meta.id"]
    assert [d.name for d in result.mismatches] == ["$.meta.at"]
