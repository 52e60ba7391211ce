"""A small evaluator of CloudWatch metric-math alarms, per datapoint, the way CloudWatch does.

Tests use it to ask "what state would this alarm reach on these metric values?" instead of
looking for a dimension name in the template.

What it models: an alarm's ``Metrics`` (MetricStat queries and Expression queries, one with
``ReturnData: true``), expressions made of numbers, query ids, ``+ - * /``, comparisons (``> >=
< <= == !=``), parentheses, ``IF(condition, a, b)`` and ``FILL(series, constant)``; then
``EvaluationPeriods``, ``DatapointsToAlarm``, the four threshold ``ComparisonOperator``s and
``TreatMissingData`` (``notBreaching``; ``missing``, the default, only where every evaluated
datapoint is present). A metric with no datapoint in a minute is *missing* there, as CloudWatch
has it when a service published nothing: arithmetic or a comparison on a missing value is
missing, ``FILL`` turns missing into its constant, ``IF`` with a missing condition is missing,
and a division by zero is missing. Anything else (another function, ``AND``/``OR``, a SEARCH, an
``ExtendedStatistic``, another comparison operator or missing-data treatment) raises, so an
alarm it cannot judge never passes silently.

What it does not prove: that CloudWatch parses the expression (it does not call AWS); metric
publication delays; the statistics themselves (the caller supplies each metric's value per
statistic and period).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Value = float | None
# (namespace, metric name, frozenset of (dimension name, value), statistic) -> the period's value.
MetricKey = tuple[str, str, frozenset[tuple[str, str]], str]
Minute = Mapping[MetricKey, float]


class UnsupportedAlarmError(ValueError):
    """The alarm uses something this evaluator does not model."""


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_FUNCTIONS = ("IF", "FILL")
_THRESHOLD: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise UnsupportedAlarmError(f"cannot read {expression[position:]!r} in {expression!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


@dataclass
class _Parser:
    """Recursive descent over the tokens; returns a function of (id -> value) per minute."""

    tokens: list[str]
    position: int = 0

    def parse(self) -> Callable[[Callable[[str], Value]], Value]:
        node = self._comparison()
        if self.position != len(self.tokens):
            raise UnsupportedAlarmError(f"unexpected {self.tokens[self.position]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise UnsupportedAlarmError(f"expected {expected or 'a term'}, got {token!r}")
        self.position += 1
        return token

    def _comparison(self) -> Callable[[Callable[[str], Value]], Value]:
        left = self._sum()
        if self._peek() in _COMPARE:
            compare, right = _COMPARE[self._take()], self._sum()
            return lambda value: _both(left(value), right(value), lambda a, b: float(compare(a, b)))
        return left

    def _sum(self) -> Callable[[Callable[[str], Value]], Value]:
        node = self._product()
        while self._peek() in ("+", "-"):
            apply, right, left = _ARITHMETIC[self._take()], self._product(), node
            node = _binary(left, right, apply)
        return node

    def _product(self) -> Callable[[Callable[[str], Value]], Value]:
        node = self._term()
        while self._peek() in ("*", "/"):
            symbol, right, left = self._take(), self._term(), node
            node = _binary(left, right, _divide if symbol == "/" else _ARITHMETIC[symbol])
        return node

    def _term(self) -> Callable[[Callable[[str], Value]], Value]:
        token = self._take()
        if token == "(":
            node = self._comparison()
            self._take(")")
            return node
        if token == "-":
            inner = self._term()
            return lambda value: None if (v := inner(value)) is None else -v
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            number = float(token)
            return lambda _value: number
        if self._peek() == "(":
            return self._function(token)
        if token.upper() in _FUNCTIONS or not re.fullmatch(r"[a-z][A-Za-z0-9_]*", token):
            raise UnsupportedAlarmError(f"{token!r} is not a query id")
        return lambda value: value(token)

    def _function(self, name: str) -> Callable[[Callable[[str], Value]], Value]:
        if name not in _FUNCTIONS:
            raise UnsupportedAlarmError(f"metric math function {name} is not modelled")
        self._take("(")
        arguments = [self._comparison()]
        while self._peek() == ",":
            self._take(",")
            arguments.append(self._comparison())
        self._take(")")
        if name == "FILL" and len(arguments) == 2:
            series, constant = arguments
            return lambda value: v if (v := series(value)) is not None else constant(value)
        if name == "IF" and len(arguments) == 3:
            condition, then, other = arguments
            return lambda value: _if(condition(value), lambda: then(value), lambda: other(value))
        raise UnsupportedAlarmError(f"{name} with {len(arguments)} arguments is not modelled")


def _both(a: Value, b: Value, apply: Callable[[float, float], Value]) -> Value:
    return None if a is None or b is None else apply(a, b)


def _binary(
    left: Callable[[Callable[[str], Value]], Value],
    right: Callable[[Callable[[str], Value]], Value],
    apply: Callable[[float, float], Value],
) -> Callable[[Callable[[str], Value]], Value]:
    return lambda value: _both(left(value), right(value), apply)


def _divide(a: float, b: float) -> Value:
    return None if b == 0 else a / b


def _if(condition: Value, then: Callable[[], Value], otherwise: Callable[[], Value]) -> Value:
    if condition is None:
        return None
    return then() if condition != 0 else otherwise()


def metric_key(metric_stat: Mapping[str, Any]) -> MetricKey:
    """The key of a MetricStat's metric and statistic (dimension values resolved strings)."""
    if "Stat" not in metric_stat:
        raise UnsupportedAlarmError(f"a MetricStat without Stat: {metric_stat}")
    metric = metric_stat["Metric"]
    dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    for _, value in dimensions:
        if not isinstance(value, str):
            raise UnsupportedAlarmError(f"unresolved dimension value {value!r}")
    return (metric["Namespace"], metric["MetricName"], dimensions, metric_stat["Stat"])


def datapoint(queries: Sequence[Mapping[str, Any]], minute: Minute) -> Value:
    """The value the alarm's returned expression takes in one minute of metric data."""
    by_id = {query["Id"]: query for query in queries}
    returned = [query for query in queries if query.get("ReturnData", True)]
    if len(returned) != 1:
        raise UnsupportedAlarmError("an alarm returns exactly one query")

    def value(query_id: str) -> Value:
        if query_id not in by_id:
            raise UnsupportedAlarmError(f"the expression names {query_id!r}, no query has it")
        query = by_id[query_id]
        if "MetricStat" in query:
            return minute.get(metric_key(query["MetricStat"]))
        if "Expression" in query:
            return _Parser(_tokens(query["Expression"])).parse()(value)
        raise UnsupportedAlarmError(f"query {query_id} is neither a metric nor an expression")

    return value(returned[0]["Id"])


def alarm_state(alarm: Mapping[str, Any], minutes: Sequence[Minute]) -> str:
    """ "ALARM" or "OK" after the last ``EvaluationPeriods`` of ``minutes`` (oldest first)."""
    if "Metrics" not in alarm:
        raise UnsupportedAlarmError("a single-metric alarm (no Metrics) is not modelled")
    compare = _THRESHOLD.get(alarm.get("ComparisonOperator", ""))
    if compare is None or "ThresholdMetricId" in alarm:
        raise UnsupportedAlarmError(f"{alarm.get('ComparisonOperator')} is not modelled")
    missing_data = alarm.get("TreatMissingData", "missing")
    if missing_data not in ("notBreaching", "missing"):
        raise UnsupportedAlarmError(f"TreatMissingData {missing_data}")
    periods = int(alarm["EvaluationPeriods"])
    needed = int(alarm.get("DatapointsToAlarm", periods))
    if len(minutes) < periods:
        raise UnsupportedAlarmError(f"{periods} minutes of data are needed")
    values = [datapoint(alarm["Metrics"], minute) for minute in minutes[-periods:]]
    if missing_data == "missing" and None in values:
        # CloudWatch then looks further back for datapoints; that is not modelled.
        raise UnsupportedAlarmError("a missing datapoint under TreatMissingData missing")
    threshold = float(alarm["Threshold"])
    breaching = sum(1 for v in values if v is not None and compare(v, threshold))
    return "ALARM" if breaching >= needed else "OK"
