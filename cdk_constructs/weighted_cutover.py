"""Weighted, sticky cut-over of /api/* from the legacy origin to the new HTTP API.

A CloudFront Function (``lambda_src/edge/cutover.js``) on the ``/api/*`` behaviour reads the
weight and a kill switch from a CloudFront KeyValueStore and, for the viewer buckets below the
weight, selects the HTTP API origin by id. Everyone else, and every request the function
cannot decide, stays on the behaviour's own origin: legacy. Changing the weight is one
KeyValueStore write (``python -m tools.ops.cutover``), visible at the edge within seconds, no
deploy.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsii
from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from constructs import Construct, IValidation

from cdk_constructs._names import regional_name
from cdk_constructs._untagged import without_tags

CUTOVER_CODE = Path(__file__).resolve().parents[1] / "lambda_src" / "edge" / "cutover.js"
# Stable origin ids: cutover.js selects NEW_ORIGIN_ID by name, and a renamed id would silently
# send everyone to legacy. tests/edge keeps the JS constant and these in step.
LEGACY_ORIGIN_ID = "legacy"
NEW_ORIGIN_ID = "http-api"
# The L2 Distribution puts each origin it binds under a child scope named Origin<n>.
_BOUND_ORIGIN_SCOPE = re.compile(r"Origin\d+")


class WeightedCutover(Construct):
    """The KeyValueStore, the routing function and both API origins with their stable ids.

    Use ``behavior_options(...)`` for the ``/api/*`` behaviour, then call
    ``register_new_origin(distribution)`` once the distribution has all its behaviours.
    """

    store: cloudfront.KeyValueStore
    function: cloudfront.Function
    legacy_origin: origins.HttpOrigin
    new_origin: origins.HttpOrigin

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        legacy_origin_domain: str,
        api_domain: str,
        origin_verify_header: tuple[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        # Empty on creation: cutover.js treats a missing weight as 0 and a missing kill
        # switch as off, so a fresh store sends every viewer to legacy.
        self.store = cloudfront.KeyValueStore(
            self,
            "Store",
            comment="Taskly /api/* cut-over: weight and kill switch",
            key_value_store_name=regional_name(self, "Store", max_length=64),
        )
        # aws/aws-cdk#36765: CloudFormation rejects the `Tags` CDK renders on a store.
        without_tags(self.store)
        self.function = cloudfront.Function(
            self,
            "Function",
            comment="Weighted sticky choice between the legacy origin and the HTTP API",
            code=cloudfront.FunctionCode.from_file(file_path=str(CUTOVER_CODE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=self.store,
        )
        # cloudformation-coverage-roadmap#2508: a create of a tagged function fails with 409.
        without_tags(self.function)
        header_name, header_value = origin_verify_header
        self.legacy_origin = origins.HttpOrigin(
            legacy_origin_domain,
            origin_id=LEGACY_ORIGIN_ID,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(30),
        )
        # Only the HTTP API origin gets the shared secret: the legacy operator never sees it.
        self.new_origin = origins.HttpOrigin(
            api_domain,
            origin_id=NEW_ORIGIN_ID,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(30),
            custom_headers={header_name: header_value},
        )

    def behavior_options(
        self, *, response_headers_policy: cloudfront.IResponseHeadersPolicy
    ) -> cloudfront.BehaviorOptions:
        """``/api/*``: legacy by default, never cached, every method, all headers but Host."""
        return cloudfront.BehaviorOptions(
            origin=self.legacy_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # Host must be the origin's own name: API Gateway and the legacy TLS endpoint route
            # and present certificates by it.
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=response_headers_policy,
            compress=False,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                ),
                cloudfront.FunctionAssociation(
                    function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_RESPONSE
                ),
            ],
        )

    def register_new_origin(self, distribution: cloudfront.Distribution) -> None:
        """Add the HTTP API origin to ``distribution``, which no behaviour targets.

        CDK's ``Distribution`` renders only the origins its behaviours use and has no public
        ``addOrigin`` (aws/aws-cdk#37652), yet ``cf.selectRequestOriginById`` can only pick an
        origin the distribution declares. A second behaviour aimed at the HTTP API would
        register it, but would also open a path that skips the weight and the kill switch.
        So the origin is bound exactly as the L2 binds its own (``IOrigin.bind``), converted to
        CloudFormation by the L1's renderer (no hand-written JSON), and appended after the
        origins the L2 rendered. A synth-time validation fails if a behaviour added later
        changes that count, so the override can never land on another origin.
        """
        cfn = distribution.node.default_child
        if not isinstance(cfn, cloudfront.CfnDistribution):
            raise TypeError("register_new_origin needs an L2 cloudfront.Distribution")
        bound = self.new_origin.bind(self, origin_id=NEW_ORIGIN_ID)
        rendered = cfn._render_properties(  # the L1's own CloudFormation renderer
            {
                "distributionConfig": {
                    "enabled": True,
                    "origins": [bound.origin_property],
                    "defaultCacheBehavior": {
                        "targetOriginId": NEW_ORIGIN_ID,
                        "viewerProtocolPolicy": "https-only",
                    },
                }
            }
        )
        origin = rendered["DistributionConfig"]["Origins"][0]
        index = _bound_origin_count(distribution)
        if index == 0:
            # At least the legacy origin must be bound by now; zero means CDK changed how it
            # names bound origins, and appending at 0 would replace a real origin.
            raise RuntimeError("found no origins bound by the distribution's behaviours")
        cfn.add_property_override(f"DistributionConfig.Origins.{index}", origin)
        distribution.node.add_validation(_OriginCountUnchanged(distribution, index))


def _bound_origin_count(distribution: cloudfront.Distribution) -> int:
    return sum(
        1 for child in distribution.node.children if _BOUND_ORIGIN_SCOPE.fullmatch(child.node.id)
    )


@jsii.implements(IValidation)
class _OriginCountUnchanged:
    def __init__(self, distribution: cloudfront.Distribution, expected: int) -> None:
        self._distribution = distribution
        self._expected = expected

    def validate(self) -> list[str]:
        count = _bound_origin_count(self._distribution)
        if count == self._expected:
            return []
        return [
            f"the distribution now renders {count} origins, not {self._expected}: the HTTP API "
            "origin override would overwrite one; call register_new_origin after adding "
            "every behaviour"
        ]
