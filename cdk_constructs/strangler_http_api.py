"""HTTP API that serves migrated routes from Lambda and proxies every other one to legacy.

The strangler fig: ``ANY /api/{proxy+}`` sends each request to the legacy backend unchanged
(method, path, query string, headers, body); every migrated route is more specific, so API
Gateway picks it first and the request goes to the service's alias instead. Migrating a route
is adding one entry to the route table; rolling it back is removing it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Protocol

import jsii
from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov
from cdk_constructs.origin_verify_secret import ORIGIN_VERIFY_HEADER
from cdk_constructs.retention import removal_policy

LEGACY_PROXY_PATH = "/api/{proxy+}"
# The catch-all's API Gateway route key: the dimension value of its per-route metrics.
LEGACY_ROUTE_KEY = f"ANY {LEGACY_PROXY_PATH}"

# One JSON object per request; HTTP API $context variables.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "routeKey": "$context.routeKey",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "user": "$context.authorizer.claims.sub",
}


class MigratedRoute(Protocol):
    """A row of the migration table (``taskly.routes.Route`` has this shape)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def public(self) -> bool: ...


class StranglerHttpApi(Construct):
    """API Gateway HTTP API: JWT-protected migrated routes, legacy proxy for the rest.

    Every route requires a Cognito access token carrying ``required_scope`` unless its table
    row is ``public``. Requiring a scope is what keeps ID tokens out: a JWT authorizer without
    one accepts any token the pool issued for the client.

    ``services`` maps a service name from the table to the alias that serves it; a route whose
    service is missing there stops synth.

    Attributes: ``http_api``, ``stage``, ``access_logs``, ``domain_name`` (for a CloudFront
    origin). Requests that did not come through CloudFront can be refused by adding a check
    to ``http_api`` (e.g. a secret origin header verified by a Lambda authorizer); the edge
    stack owns that secret.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Sequence[MigratedRoute],
        services: Mapping[str, lambda_.IFunction],
        legacy_origin_domain: str,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        required_scope: str,
        throttle_rate_limit: int,
        throttle_burst_limit: int,
        access_log_retention: logs.RetentionDays,
        protect_data: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted({route.service for route in routes} - set(services))
        if unknown:
            raise ValueError(f"routes name services without a function: {', '.join(unknown)}")

        self.http_api = apigw.HttpApi(
            self,
            "Api",
            description="Taskly API: migrated routes on Lambda, the rest proxied to legacy",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=access_log_retention,
            # Protected stages keep the trail of who called the API after the stack is gone.
            removal_policy=removal_policy(keep=protect_data),
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=throttle_rate_limit, burst_limit=throttle_burst_limit
            ),
            access_log_settings=_JsonAccessLogs(self.access_logs),
        )
        self.routes = self._migrated_routes(
            routes,
            services,
            authorizer=authorizers.HttpUserPoolAuthorizer(
                "CognitoAccessToken", user_pool, user_pool_clients=[user_pool_client]
            ),
            required_scope=required_scope,
        )
        self.legacy_route = self._legacy_route(legacy_origin_domain)
        self.legacy_route_key = LEGACY_ROUTE_KEY
        self._route_metrics(
            self.legacy_route,
            self.legacy_route_key,
            throttle_rate_limit=throttle_rate_limit,
            throttle_burst_limit=throttle_burst_limit,
        )
        stack = Stack.of(self)
        self.domain_name: str = (
            f"{self.http_api.api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        )
        self._acknowledge(routes)

    def _migrated_routes(
        self,
        routes: Sequence[MigratedRoute],
        services: Mapping[str, lambda_.IFunction],
        *,
        authorizer: apigw.IHttpRouteAuthorizer,
        required_scope: str,
    ) -> dict[str, apigw.HttpRoute]:
        """One route per table row, to its service's function, keyed ``"METHOD /path"``.

        Authorization is set on each route, not as the API's default: CDK would copy a default
        scope onto the public and legacy routes too, where scopes mean nothing.
        """
        service_integrations = {
            name: integrations.HttpLambdaIntegration(f"{_pascal(name)}Integration", target)
            for name, target in sorted(services.items())
        }
        created_routes: dict[str, apigw.HttpRoute] = {}
        for route in routes:
            (created,) = self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=service_integrations[route.service],
                authorizer=apigw.HttpNoneAuthorizer() if route.public else authorizer,
                authorization_scopes=None if route.public else [required_scope],
            )
            created_routes[f"{route.method} {route.path}"] = created
        return created_routes

    def _legacy_route(self, legacy_origin_domain: str) -> apigw.HttpRoute:
        """``ANY /api/{proxy+}`` to the legacy backend, without CloudFront's origin secret.

        CloudFront sends the origin-verify secret to this API on every request; an HTTP proxy
        integration forwards all headers, so without the mapping the legacy backend (and its
        logs) would receive the secret. x-origin-verify is not one of HTTP APIs' reserved
        headers, so parameter mapping may remove it.
        """
        legacy = integrations.HttpUrlIntegration(
            "LegacyIntegration",
            f"https://{legacy_origin_domain}/api/{{proxy}}",
            method=apigw.HttpMethod.ANY,
            parameter_mapping=apigw.ParameterMapping().remove_header(ORIGIN_VERIFY_HEADER),
        )
        (route,) = self.http_api.add_routes(
            path=LEGACY_PROXY_PATH,
            methods=[apigw.HttpMethod.ANY],
            integration=legacy,
            authorizer=apigw.HttpNoneAuthorizer(),
        )
        return route

    def _acknowledge(self, routes: Sequence[MigratedRoute]) -> None:
        """Every finding this construct acknowledges, with its reason."""
        acknowledge_checkov(
            self.access_logs,
            {
                "CKV_AWS_158": "Access-log lines hold method, route, status and latency, no "
                "tokens or bodies; CloudWatch Logs encrypts them at rest with service keys",
            },
        )
        for route in routes:
            if route.public:
                acknowledge(
                    self.routes[f"{route.method} {route.path}"],
                    {
                        "AwsSolutions-APIG4": f"{route.method} {route.path} is public by "
                        "design in the route table (a liveness check that reads no data)",
                    },
                )
        acknowledge(
            self.legacy_route,
            {
                "AwsSolutions-APIG4": "Routes not migrated yet pass through unchanged, "
                "Authorization header included: the legacy backend authenticates them "
                "exactly as it did before the migration",
            },
        )

    def _route_metrics(
        self,
        route: apigw.HttpRoute,
        route_key: str,
        *,
        throttle_rate_limit: int,
        throttle_burst_limit: int,
    ) -> None:
        """Per-route CloudWatch metrics (dimensions ApiId, Stage, Route) for ``route_key`` only.

        The edge's rollback alarm subtracts the legacy proxy route's 5xx and Count from the
        stage's totals, so that it measures only the routes this API serves itself; the other
        routes need no per-route metrics (each route costs 6 custom metrics, see `make cost`).
        """
        cfn = self.stage.node.default_child
        if not isinstance(cfn, apigw.CfnStage):
            raise TypeError("expected the HTTP stage's CfnStage")
        cfn.route_settings = {
            route_key: {
                "DetailedMetricsEnabled": True,
                # A route's settings replace the stage defaults rather than merge with them:
                # without these the route would run at the account's throttle, not the stage's
                # (terraform-aws-modules/terraform-aws-apigateway-v2#78).
                "ThrottlingBurstLimit": throttle_burst_limit,
                "ThrottlingRateLimit": throttle_rate_limit,
            }
        }
        # API Gateway refuses route settings for a route it does not have yet: "Unable to find
        # Route by key ... within the provided RouteSettings" (NotFoundException; see
        # terraform-aws-modules/terraform-aws-apigateway-v2#80, anomalyco/sst#4501). The stage
        # is created after the route.
        self.stage.node.add_dependency(route)


@jsii.implements(apigw.IAccessLogSettings)
class _JsonAccessLogs:
    """Access logs as one JSON object per request (``ACCESS_LOG_FORMAT``) in ``log_group``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return apigw.LogGroupLogDestination(self._log_group)

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT))


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))
