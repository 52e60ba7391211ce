"""Edge: one CloudFront domain for the SPA and for /api/*, with the weighted cut-over.

    viewer -> CloudFront (security headers, optional WAF, access logs)
              |- default  -> S3 SPA bucket (OAC), client routes -> /index.html
              |- /api/*   -> legacy origin, or the HTTP API for the viewers the
                             cut-over weight selects (CloudFront Function + KeyValueStore)
    5xx-rate alarm on the migrated routes (not the legacy proxy route)
                          -> rollback function -> weight 0, kill switch on

Deployed in the stage's region like the other stacks (CloudFront itself is global). The ACM
certificate and the WAF web ACL it references must live in us-east-1: CloudFront reads them
only from there.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import (
    CfnOutput,
    Duration,
    Fn,
    Stack,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_constructs._names import regional_name
from cdk_constructs.cutover_rollback import ApiMetricsSource, CutoverRollback
from cdk_constructs.edge_log_bucket import EdgeLogBucket
from cdk_constructs.nag import acknowledge, acknowledge_checkov
from cdk_constructs.origin_verify_secret import ORIGIN_VERIFY_HEADER
from cdk_constructs.spa_site import SpaSite
from cdk_constructs.weighted_cutover import WeightedCutover
from stacks.config import EdgeConfig


class EdgeStack(Stack):
    """CloudFront distribution, SPA bucket, weighted /api/* cut-over and its automatic rollback.

    ``api_domain`` is the HTTP API's ``{apiId}.execute-api.{region}.amazonaws.com``;
    ``api_metrics`` names its id, stage and legacy proxy route key, the dimensions of the metrics
    the rollback alarm reads (tokens from the compute stack are fine; nothing here parses them).
    ``origin_verify_secret`` holds the value CloudFront sends in ``x-origin-verify`` to the HTTP
    API, which refuses requests without it (see ``cdk_constructs/origin_verify_secret.py``).
    """

    distribution: cloudfront.Distribution
    spa: SpaSite
    cutover: WeightedCutover
    rollback: CutoverRollback
    security_headers: cloudfront.ResponseHeadersPolicy

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EdgeConfig,
        api_domain: str,
        api_metrics: ApiMetricsSource,
        legacy_origin_domain: str,
        origin_verify_secret: secretsmanager.ISecret,
        protect_data: bool,
        alarm_topic: sns.ITopic | None = None,
        rollback_error_rate_percent: float = 5.0,
        rollback_minimum_requests: int = 20,
        access_log_retention_days: int = 90,
        function_log_retention: logs.RetentionDays = logs.RetentionDays.TWO_WEEKS,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The stage config has checked these already; a stack built on its own gets the same
        # rules (EdgeConfig.validate, their one home) and the same one-line ConfigError.
        settings.validate("edge")
        if not 0 < rollback_error_rate_percent < 100:
            raise ValueError("EdgeStack: rollback_error_rate_percent must be between 0 and 100")
        if rollback_minimum_requests < 1:
            raise ValueError("EdgeStack: rollback_minimum_requests must be at least 1")
        logs_bucket = EdgeLogBucket(
            self, "AccessLogs", protect_data=protect_data, retention_days=access_log_retention_days
        ).bucket
        self.spa = SpaSite(self, "Spa", protect_data=protect_data, access_log_bucket=logs_bucket)
        self.cutover = WeightedCutover(
            self,
            "Cutover",
            legacy_origin_domain=legacy_origin_domain,
            api_domain=api_domain,
            origin_verify_header=(
                ORIGIN_VERIFY_HEADER,
                # A dynamic reference: CloudFormation resolves it at deploy time, so the value
                # never appears in the template or in cdk.out.
                origin_verify_secret.secret_value.unsafe_unwrap(),
            ),
        )
        self.security_headers = _security_headers(self)
        self.distribution = self._distribution(settings, logs_bucket)
        self.cutover.register_new_origin(self.distribution)
        self.rollback = CutoverRollback(
            self,
            "Rollback",
            store=self.cutover.store,
            api=api_metrics,
            error_rate_percent=rollback_error_rate_percent,
            minimum_requests=rollback_minimum_requests,
            log_retention=function_log_retention,
            alarm_topic=alarm_topic,
        )
        self._acknowledge(custom_domain=settings.domain_name, web_acl_arn=settings.web_acl_arn)
        self._outputs()

    def _distribution(
        self, settings: EdgeConfig, logs_bucket: s3.IBucket
    ) -> cloudfront.Distribution:
        """The distribution: the SPA by default, ``/api/*`` through the weighted cut-over."""
        certificate_arn = settings.certificate_arn
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Taskly {self.stack_name}: SPA and /api/* cut-over",
            default_behavior=cloudfront.BehaviorOptions(
                origin=self.spa.origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.security_headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.spa.route_fallback,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
            additional_behaviors={
                "/api/*": self.cutover.behavior_options(
                    response_headers_policy=self.security_headers
                )
            },
            default_root_object="index.html",
            price_class=cloudfront.PriceClass[settings.price_class],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Only a custom certificate can carry a policy; *.cloudfront.net has a fixed one.
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate_arn else None
            ),
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
            domain_names=[settings.domain_name] if settings.domain_name else None,
            certificate=(
                acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
                if certificate_arn
                else None
            ),
            web_acl_id=settings.web_acl_arn,
        )
        distribution_skips = {}
        if settings.web_acl_arn is None:
            distribution_skips["CKV_AWS_68"] = (
                "The web ACL is per stage (EdgeConfig.web_acl_arn, us-east-1); stages without "
                "one accept CloudFront's built-in DDoS protection only"
            )
        if certificate_arn is None:
            distribution_skips["CKV_AWS_174"] = (
                "Without a custom domain CloudFront serves *.cloudfront.net with a fixed TLS "
                "policy; stages with a domain get TLSv1.2_2021"
            )
        if distribution_skips:
            acknowledge_checkov(distribution, distribution_skips)
        return distribution

    def _outputs(self) -> None:
        # tools/ops/cutover reads CutoverKvsArn and CutoverRollbackAlarmNames by these exact keys.
        CfnOutput(
            self,
            "DistributionDomainName",
            value=self.distribution.distribution_domain_name,
            description="CloudFront domain serving the SPA and /api/*",
        )
        CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        CfnOutput(
            self,
            "SpaBucketName",
            value=self.spa.bucket.bucket_name,
            description="Upload the SPA build here (aws s3 sync dist/ s3://<bucket>/)",
        )
        CfnOutput(
            self,
            "CutoverKvsArn",
            value=self.cutover.store.key_value_store_arn,
            description="KeyValueStore holding the /api/* cut-over weight and kill switch",
        )
        CfnOutput(
            self,
            "CutoverRollbackAlarmNames",
            value=Fn.join(",", [self.rollback.alarm.alarm_name]),
            description=(
                "Alarms that roll the cut-over back; python -m tools.ops.cutover watches them"
            ),
        )

    def _acknowledge(self, *, custom_domain: str | None, web_acl_arn: str | None) -> None:
        reasons = {
            "AwsSolutions-CFR1": "Taskly serves its users wherever they are; geo restriction "
            "would be a product decision, and the optional WAF web ACL can add it per stage",
        }
        if custom_domain is None:
            reasons["AwsSolutions-CFR4"] = (
                "without a custom domain CloudFront serves *.cloudfront.net with its own fixed "
                "security policy; set the stage's domain and us-east-1 certificate to enforce "
                "TLSv1.2_2021"
            )
        if web_acl_arn is None:
            reasons["AwsSolutions-CFR2"] = (
                "this stage's config sets no web ACL (a CLOUDFRONT-scope ACL in us-east-1 costs "
                "per rule); set EdgeConfig.web_acl_arn to attach one"
            )
        acknowledge(self.distribution, reasons)


def _security_headers(scope: Construct) -> cloudfront.ResponseHeadersPolicy:
    return cloudfront.ResponseHeadersPolicy(
        scope,
        "SecurityHeaders",
        # Response headers policy names are account-wide: the region keeps two regions apart.
        response_headers_policy_name=regional_name(scope, "SecurityHeaders", max_length=128),
        comment="HSTS, nosniff, frame denial and referrer policy for the SPA and the API",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.days(730),
                include_subdomains=True,
                override=True,
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                override=True,
            ),
        ),
    )
