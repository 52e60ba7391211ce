"""The cut-over's kill switch reads the new side only, evaluated on every stage's templates.

The rollback alarm (edge stack) is evaluated with tests/metric_math.py against one simulated
minute after another of the metrics the HTTP API (compute stack) would publish for some traffic
per route: every request counts in the stage's totals (dimensions ApiId and ApiId + Stage), and
a route has metrics of its own (ApiId + Stage + Route) only when the compute template's stage
enables detailed metrics for that route key, and only in minutes in which it had requests
(API Gateway publishes nothing for an idle route). The route keys come from the route table
(lambda_src/taskly/routes.py), and each must be a route of the template's API.

What it does not prove: that CloudWatch accepts the expression (cfn-lint checks the alarm's
shape, not its math), or how late API Gateway publishes; see tests/metric_math.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from stacks.route_table import load_route_table
from tests.metric_math import MetricKey, Minute, alarm_state
from tests.synth import SynthesizedStage

TABLE = load_route_table()
MIGRATED = [f"{route.method} {route.path}" for route in TABLE.routes]
LEGACY = "{} {}".format(*TABLE.rows()[-1][:2])
NAMESPACE = "AWS/ApiGateway"
MINUTES = 3  # the alarm's evaluation window (EvaluationPeriods, checked below)


@dataclass(frozen=True)
class Traffic:
    """One minute of requests on one route, and how many of them answered 5xx."""

    requests: int
    errors: int = 0


@dataclass(frozen=True)
class HttpApi:
    """The compute template's HTTP API as CloudWatch sees it."""

    api_id: str
    stage: str
    route_keys: frozenset[str]
    detailed: frozenset[str]  # route keys with per-route metrics

    def publish(self, traffic: Mapping[str, Traffic]) -> Minute:
        unknown = set(traffic) - self.route_keys
        assert not unknown, f"no such route in the template: {unknown}"
        active = {key: t for key, t in traffic.items() if t.requests > 0}
        if not active:
            return {}
        minute: dict[MetricKey, float] = {}
        totals = Traffic(
            sum(t.requests for t in active.values()), sum(t.errors for t in active.values())
        )
        for dimensions in ({"ApiId": self.api_id}, {"ApiId": self.api_id, "Stage": self.stage}):
            minute.update(_metrics(dimensions, totals))
        for key, route_traffic in active.items():
            if key in self.detailed:
                dimensions = {"ApiId": self.api_id, "Stage": self.stage, "Route": key}
                minute.update(_metrics(dimensions, route_traffic))
        return minute


def _metrics(dimensions: Mapping[str, str], traffic: Traffic) -> dict[MetricKey, float]:
    key = frozenset(dimensions.items())
    return {
        (NAMESPACE, "Count", key, "Sum"): float(traffic.requests),
        (NAMESPACE, "5xx", key, "Sum"): float(traffic.errors),
    }


def _resolve(node: Any, exports: Mapping[str, Any]) -> Any:
    """Imports replaced by what the exporting stack exports; a Ref becomes ``<ref Id>``."""
    if isinstance(node, dict):
        if set(node) == {"Fn::ImportValue"}:
            return _resolve(exports[node["Fn::ImportValue"]], exports)
        if set(node) == {"Ref"}:
            return f"<ref {node['Ref']}>"
        return {key: _resolve(value, exports) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, exports) for item in node]
    return node


def _exports(stage: SynthesizedStage) -> dict[str, Any]:
    return {
        output["Export"]["Name"]: output["Value"]
        for template in stage.templates.values()
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    }


def _http_api(stage: SynthesizedStage) -> HttpApi:
    resources = stage.json("Compute")["Resources"]
    [api_id] = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
        and resource["Properties"].get("ProtocolType") == "HTTP"
    ]

    def of_api(resource_type: str) -> list[dict[str, Any]]:
        return [
            resource["Properties"]
            for resource in resources.values()
            if resource["Type"] == resource_type
            and resource["Properties"]["ApiId"] == {"Ref": api_id}
        ]

    [api_stage] = of_api("AWS::ApiGatewayV2::Stage")
    route_keys = frozenset(route["RouteKey"] for route in of_api("AWS::ApiGatewayV2::Route"))
    if api_stage.get("DefaultRouteSettings", {}).get("DetailedMetricsEnabled") is True:
        detailed = route_keys
    else:
        detailed = frozenset(
            key
            for key, settings in api_stage.get("RouteSettings", {}).items()
            if settings.get("DetailedMetricsEnabled") is True
        )
    return HttpApi(
        api_id=f"<ref {api_id}>",
        stage=api_stage["StageName"],
        route_keys=route_keys,
        detailed=detailed,
    )


def _rollback_alarm(stage: SynthesizedStage) -> dict[str, Any]:
    edge = stage.stacks.edge
    logical_id = edge.get_logical_id(edge.rollback.alarm.node.default_child)  # type: ignore[arg-type]
    alarm = stage.json("Edge")["Resources"][logical_id]["Properties"]
    assert alarm["EvaluationPeriods"] == MINUTES
    return dict(_resolve(alarm, _exports(stage)))


def _state(stage: SynthesizedStage, traffic: Mapping[str, Traffic]) -> str:
    api = _http_api(stage)
    return alarm_state(_rollback_alarm(stage), [api.publish(traffic)] * MINUTES)


def test_the_route_table_is_what_the_api_serves(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        assert _http_api(stage).route_keys == {*MIGRATED, LEGACY}, stage.name


def test_the_alarm_stays_within_cloudwatch_limits(all_stages: list[SynthesizedStage]) -> None:
    """An alarm on metric math may reference at most 10 metrics (a hard limit)."""
    for stage in all_stages:
        metrics = [q for q in _rollback_alarm(stage)["Metrics"] if "MetricStat" in q]
        assert len(metrics) <= 10, stage.name


@pytest.mark.parametrize("migrated_traffic", [0, 10], ids=["new API idle", "new API healthy"])
def test_a_legacy_outage_through_the_proxy_route_does_not_roll_back(
    all_stages: list[SynthesizedStage], migrated_traffic: int
) -> None:
    """Legacy answering 5xx to every request must not send every viewer to legacy."""
    traffic = {LEGACY: Traffic(requests=1000, errors=1000)}
    traffic |= {key: Traffic(requests=migrated_traffic) for key in MIGRATED}
    for stage in all_stages:
        assert _state(stage, traffic) == "OK", stage.name


@pytest.mark.parametrize("route_key", MIGRATED)
@pytest.mark.parametrize("legacy_requests", [0, 5000], ids=["legacy idle", "legacy busy"])
def test_a_failing_migrated_route_rolls_back(
    all_stages: list[SynthesizedStage], route_key: str, legacy_requests: int
) -> None:
    """One migrated route failing trips the alarm, however much legacy traffic dilutes it."""
    traffic = {LEGACY: Traffic(requests=legacy_requests), route_key: Traffic(25, errors=25)}
    for stage in all_stages:
        assert _state(stage, traffic) == "ALARM", (stage.name, route_key)


def test_the_minimum_traffic_guard_counts_only_the_new_side(
    all_stages: list[SynthesizedStage],
) -> None:
    """Below 20 requests a minute on the migrated routes nothing rolls back; at 20 with 2
    failures (10 % > 5 %) it does, even with 5,000 legacy requests in the same minute."""
    quiet = {MIGRATED[0]: Traffic(19, errors=19), LEGACY: Traffic(5000)}
    failing = {MIGRATED[0]: Traffic(18), MIGRATED[1]: Traffic(2, errors=2), LEGACY: Traffic(5000)}
    for stage in all_stages:
        assert _state(stage, quiet) == "OK", stage.name
        assert _state(stage, failing) == "ALARM", stage.name
