"""The bucket that receives CloudFront access logs and the SPA bucket's S3 access logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_constructs.nag import acknowledge_checkov
from cdk_constructs.retention import removal_policy


class EdgeLogBucket(Construct):
    """Private, encrypted, TLS-only log bucket whose objects expire after ``retention_days``.

    CloudFront standard logging delivers through a bucket ACL, so ACLs stay enabled
    (``OBJECT_WRITER``); the newer ACL-less delivery (logging v2) must be configured in
    us-east-1, which a stack in the stage's region cannot do.
    """

    bucket: s3.Bucket

    def __init__(
        self, scope: Construct, construct_id: str, *, protect_data: bool, retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            # Versioning keeps an overwritten or deleted log recoverable until it expires.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireLogs",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal_policy(keep=protect_data),
            auto_delete_objects=not protect_data,
        )
        acknowledge_checkov(
            self.bucket,
            {"CKV_AWS_18": "This is the access-log bucket; logging it into itself would loop"},
        )
