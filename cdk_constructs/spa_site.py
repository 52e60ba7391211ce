"""The single-page app: a private bucket, its CloudFront origin and the client-route fallback."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

SPA_FALLBACK_CODE = Path(__file__).resolve().parents[1] / "lambda_src" / "edge" / "spa_fallback.js"
SPA_ORIGIN_ID = "spa"


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
        retain: bool,
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
            server_access_logs_bucket=access_log_bucket,
            server_access_logs_prefix="spa-bucket/",
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
        )
        self.origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_id=SPA_ORIGIN_ID
        )
        self.route_fallback = cloudfront.Function(
            self,
            "RouteFallback",
            comment="Serves /index.html for client-side routes of the SPA",
            code=cloudfront.FunctionCode.from_file(file_path=str(SPA_FALLBACK_CODE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
