"""The HTTP API: migrated routes from the route table behind a scoped JWT, legacy for the rest."""

from __future__ import annotations

import json
from typing import Any

from cdk_constructs.origin_verify_secret import ORIGIN_VERIFY_HEADER
from stacks.route_table import load_route_table
from tests.compute.conftest import SynthesizedStage, by_path, resources

SERVICE_CONSTRUCTS = {"tasks": "Tasks", "profile": "Profile", "email_worker": "EmailWorker"}


def routes_by_key(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    return {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in resources(stage.compute, "AWS::ApiGatewayV2::Route").values()
    }


def integration_of(stage: SynthesizedStage, route: dict[str, Any]) -> dict[str, Any]:
    integration_id = route["Target"]["Fn::Join"][1][1]["Ref"]
    properties: dict[str, Any] = stage.compute["Resources"][integration_id]["Properties"]
    return properties


def test_api_routes_are_exactly_the_route_table_plus_the_legacy_catch_all(
    stage: SynthesizedStage,
) -> None:
    table = load_route_table()
    expected = {f"{route.method} {route.path}" for route in table.routes}
    assert set(routes_by_key(stage)) == expected | {"ANY /api/{proxy+}"}


def test_each_migrated_route_reaches_its_service_alias(stage: SynthesizedStage) -> None:
    routes = routes_by_key(stage)
    for route in load_route_table().routes:
        integration = integration_of(stage, routes[f"{route.method} {route.path}"])
        alias_id, _ = by_path(
            stage.compute, f"Compute/{SERVICE_CONSTRUCTS[route.service]}/LiveAlias/Resource"
        )
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        assert integration["IntegrationUri"] == {"Ref": alias_id}


def test_every_route_but_the_public_ones_requires_the_api_scope(stage: SynthesizedStage) -> None:
    (authorizer_id,) = resources(stage.compute, "AWS::ApiGatewayV2::Authorizer")
    routes = routes_by_key(stage)
    for route in load_route_table().routes:
        properties = routes[f"{route.method} {route.path}"]
        if route.public:
            assert properties["AuthorizationType"] == "NONE"
            assert "AuthorizationScopes" not in properties
        else:
            # A scope is required, so a Cognito ID token (which carries none) is refused
            assert properties["AuthorizationType"] == "JWT"
            assert properties["AuthorizationScopes"] == ["taskly/api"]
            assert properties["AuthorizerId"] == {"Ref": authorizer_id}
    assert [route.path for route in load_route_table().routes if route.public] == ["/api/health"]


def test_authorizer_trusts_the_user_pool_and_the_spa_client_only(stage: SynthesizedStage) -> None:
    ((_, authorizer),) = resources(stage.compute, "AWS::ApiGatewayV2::Authorizer").items()
    properties = authorizer["Properties"]
    assert properties["AuthorizerType"] == "JWT"
    assert properties["IdentitySource"] == ["$request.header.Authorization"]
    audience = json.dumps(properties["JwtConfiguration"]["Audience"])
    issuer = json.dumps(properties["JwtConfiguration"]["Issuer"])
    assert len(properties["JwtConfiguration"]["Audience"]) == 1
    assert f"{stage.config.stack_name('Auth')}:" in audience and "SpaClient" in audience
    assert "https://cognito-idp." in issuer and "UserPool" in issuer


def test_unmigrated_routes_are_proxied_to_the_legacy_backend_unchanged(
    stage: SynthesizedStage,
) -> None:
    legacy = routes_by_key(stage)["ANY /api/{proxy+}"]
    integration = integration_of(stage, legacy)
    assert legacy["AuthorizationType"] == "NONE"  # legacy authenticates its own routes
    assert "AuthorizationScopes" not in legacy
    assert integration["IntegrationType"] == "HTTP_PROXY"
    assert integration["IntegrationMethod"] == "ANY"
    domain = stage.config.compute.legacy_origin_domain
    assert integration["IntegrationUri"] == f"https://{domain}/api/{{proxy}}"


def test_the_origin_verify_secret_never_reaches_the_legacy_backend(
    stage: SynthesizedStage,
) -> None:
    """CloudFront adds x-origin-verify to every request for this API; an HTTP proxy
    integration forwards every header unless its parameter mapping removes it."""
    legacy = integration_of(stage, routes_by_key(stage)["ANY /api/{proxy+}"])
    mapping = legacy.get("RequestParameters", {})
    # A remove takes no value (CDK renders an empty one).
    assert f"remove:header.{ORIGIN_VERIFY_HEADER}" in mapping
    # Nothing puts it back under another operation.
    assert [key for key in mapping if ORIGIN_VERIFY_HEADER in key.lower()] == [
        f"remove:header.{ORIGIN_VERIFY_HEADER}"
    ]
    # Every other integration of the API is a Lambda proxy: only the functions see the header.
    for integration in resources(stage.compute, "AWS::ApiGatewayV2::Integration").values():
        if integration["Properties"]["IntegrationType"] == "HTTP_PROXY":
            assert integration["Properties"] == legacy


def test_default_stage_throttles_per_stage_config_and_logs_json(stage: SynthesizedStage) -> None:
    ((_, stage_resource),) = resources(stage.compute, "AWS::ApiGatewayV2::Stage").items()
    properties = stage_resource["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": stage.config.compute.throttle_burst_limit,
        "ThrottlingRateLimit": stage.config.compute.throttle_rate_limit,
    }
    access_log = json.loads(properties["AccessLogSettings"]["Format"])
    assert access_log["requestId"] == "$context.requestId"
    assert access_log["routeKey"] == "$context.routeKey"
    assert access_log["status"] == "$context.status"
    log_group_id = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert stage.compute["Resources"][log_group_id]["Properties"]["RetentionInDays"] == (
        stage.config.compute.access_log_retention_days
    )


def test_only_the_legacy_route_publishes_per_route_metrics(stage: SynthesizedStage) -> None:
    """The edge's rollback alarm subtracts the legacy route's metrics from the stage's totals.

    A route's settings replace the stage defaults, so they repeat its throttle; and API Gateway
    refuses settings for a route it does not have yet, so the stage waits for the route."""
    ((_, stage_resource),) = resources(stage.compute, "AWS::ApiGatewayV2::Stage").items()
    properties = stage_resource["Properties"]
    assert properties["RouteSettings"] == {
        "ANY /api/{proxy+}": {
            "DetailedMetricsEnabled": True,
            "ThrottlingBurstLimit": stage.config.compute.throttle_burst_limit,
            "ThrottlingRateLimit": stage.config.compute.throttle_rate_limit,
        }
    }
    assert "DetailedMetricsEnabled" not in properties["DefaultRouteSettings"]
    legacy_route = next(
        logical_id
        for logical_id, route in resources(stage.compute, "AWS::ApiGatewayV2::Route").items()
        if route["Properties"]["RouteKey"] == "ANY /api/{proxy+}"
    )
    assert legacy_route in stage_resource["DependsOn"]


def test_no_cors_and_one_api(stage: SynthesizedStage) -> None:
    ((_, api),) = resources(stage.compute, "AWS::ApiGatewayV2::Api").items()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert "CorsConfiguration" not in api["Properties"]
    assert stage.stacks.compute.api_domain_name  # handed to the edge stack
