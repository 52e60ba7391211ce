"""A small evaluator of CloudWatch alarms the way CloudWatch decides one evaluation period.

Tests use it to ask "in which state would this alarm be, given these datapoints?" instead of
looking for a threshold number: the alarm's metric (a single metric, or the one metric-math
expression with ReturnData) is computed from the datapoints the test supplies per metric
(namespace, name, dimensions, statistic), then compared with the threshold by the alarm's
operator.

What it models: one evaluation period (EvaluationPeriods 1, no DatapointsToAlarm), the four
threshold comparison operators, and math expressions made of metric ids, numbers, + - * /
and parentheses. Anything else (anomaly bands, functions such as FILL or SEARCH, several
evaluation periods, a metric the test gave no datapoint for) raises, so an alarm it cannot
judge never passes silently.

What it does not prove: the metric exists under those dimensions in CloudWatch, or CloudWatch's
handling of missing data (TreatMissingData); it calls nothing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

# (namespace, metric name, sorted dimension pairs, statistic) -> value in the period
MetricKey = tuple[str, str, tuple[tuple[str, str], ...], str]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class CannotEvaluateError(Exception):
    """The alarm uses something this evaluator does not model."""


def metric_key(
    namespace: str, name: str, dimensions: Mapping[str, str], statistic: str
) -> MetricKey:
    return (namespace, name, tuple(sorted(dimensions.items())), statistic)


def in_alarm(properties: Mapping[str, Any], datapoints: Mapping[MetricKey, float]) -> bool:
    """Whether ``AWS::CloudWatch::Alarm`` ``properties`` (intrinsics resolved) is in ALARM."""
    if properties.get("EvaluationPeriods") != 1 or "DatapointsToAlarm" in properties:
        raise CannotEvaluateError("only one evaluation period is modelled")
    compare = _OPERATORS.get(properties.get("ComparisonOperator", ""))
    if compare is None or "ThresholdMetricId" in properties:
        raise CannotEvaluateError(f"operator {properties.get('ComparisonOperator')!r}")
    value = _alarm_value(properties, datapoints)
    return compare(value, float(properties["Threshold"]))


def _alarm_value(properties: Mapping[str, Any], datapoints: Mapping[MetricKey, float]) -> float:
    if "Metrics" not in properties:
        return _datapoint(properties, properties["Statistic"], datapoints)
    values: dict[str, float] = {}
    expressions: dict[str, str] = {}
    for query in properties["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            values[query["Id"]] = _datapoint(stat["Metric"], stat["Stat"], datapoints)
        elif "Expression" in query:
            expressions[query["Id"]] = query["Expression"]
        else:
            raise CannotEvaluateError(f"metric query {query}")
    returned = [query["Id"] for query in properties["Metrics"] if query.get("ReturnData", True)]
    if len(returned) != 1 or returned[0] not in expressions:
        raise CannotEvaluateError("exactly one returned math expression is modelled")
    return _evaluate(ast.parse(expressions[returned[0]], mode="eval").body, values)


def _datapoint(
    metric: Mapping[str, Any], statistic: str, datapoints: Mapping[MetricKey, float]
) -> float:
    dimensions = {item["Name"]: item["Value"] for item in metric.get("Dimensions", [])}
    key = metric_key(metric["Namespace"], metric["MetricName"], dimensions, statistic)
    if key not in datapoints:
        raise CannotEvaluateError(f"no datapoint given for {key}")
    return datapoints[key]


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise CannotEvaluateError(f"unknown metric id {node.id!r}")
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        return _ARITHMETIC[type(node.op)](left, right)
    raise CannotEvaluateError(f"expression part {ast.dump(node)}")
