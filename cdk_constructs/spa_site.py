"""The single-page app: a private bucket, its CloudFront origin and the client-route fallback."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_constructs._names import regional_name
from cdk_constructs._untagged import without_tags
from cdk_constructs.retention import removal_policy

SPA_FALLBACK_CODE = Path(__file__).resolve().parents[1] / "lambda_src" / "edge" / "spa_fallback.js"
SPA_ORIGIN_ID = "spa"
# Every upload of the SPA leaves the previous objects as noncurrent versions: kept long enough
# to roll a release back by hand, then deleted, so a year of deploys does not pile up.
NONCURRENT_VERSION_DAYS = 30
# Parts of an upload that never completed (a broken `aws s3 sync`) are billed until removed.
ABORT_MULTIPART_UPLOAD_DAYS = 1


class SpaSite(Construct):
    """Private, versioned, encrypted SPA bucket read only by CloudFront (Origin Access Control).

    ``route_fallback`` (viewer request on the default behaviour) serves ``/index.html`` for
    client-side routes. It replaces the usual 403/404 -> index.html custom error responses,
    which apply to the whole distribution and would turn the API's real 404s into 200s.
    """

    bucket: s3.Bucket
    origin: cloudfront.IOrigin
    route_fallback: cloudfront.Function

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        protect_data: bool,
        access_log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersionsAndUnfinishedUploads",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        ABORT_MULTIPART_UPLOAD_DAYS
                    ),
                )
            ],
            server_access_logs_bucket=access_log_bucket,
            server_access_logs_prefix="spa-bucket/",
            removal_policy=removal_policy(keep=protect_data),
            auto_delete_objects=not protect_data,
        )
        # Named here, with the region: the name CDK would generate is the same for a second
        # region of the account, where CloudFront refuses it.
        origin_access_control = cloudfront.S3OriginAccessControl(
            self,
            "OriginAccessControl",
            origin_access_control_name=regional_name(self, "OriginAccess", max_length=64),
        )
        self.origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_id=SPA_ORIGIN_ID, origin_access_control=origin_access_control
        )
        self.route_fallback = cloudfront.Function(
            self,
            "RouteFallback",
            comment="Serves /index.html for client-side routes of the SPA",
            code=cloudfront.FunctionCode.from_file(file_path=str(SPA_FALLBACK_CODE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        # cloudformation-coverage-roadmap#2508: a create of a tagged function fails with 409.
        without_tags(self.route_fallback)
