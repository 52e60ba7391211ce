"""Automatic rollback of the /api/* cut-over when the new HTTP API starts failing.

A CloudWatch alarm on the 5xx rate of the routes the new API serves itself (the stage's totals
minus the legacy proxy route's per-route metrics: a legacy outage must not send everyone to the
failing legacy) invokes a small function directly (alarm Lambda action, no SNS hop) that sets
the cut-over weight to 0 and engages the kill switch in one conditional KeyValueStore write.
Nobody has to be awake: the edge sends every viewer back to the legacy origin within seconds of
the alarm. The function may read and update that one store and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    Duration,
    RemovalPolicy,
)
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_constructs.local_python_bundler import PythonBundle, bundled_code
from cdk_constructs.nag import acknowledge, acknowledge_checkov

LAMBDA_SRC = Path(__file__).resolve().parents[1] / "lambda_src"
ROLLBACK_PACKAGE = LAMBDA_SRC / "cutover_rollback"
ROLLBACK_LOCK = LAMBDA_SRC / "requirements-rollback.lock"
HANDLER = "cutover_rollback.handler.handler"
KVS_ARN_VARIABLE = "CUTOVER_KVS_ARN"
# What the function calls (weight_store.py): read the ETag and keys, write conditionally.
KVS_ACTIONS = (
    "cloudfront-keyvaluestore:DescribeKeyValueStore",
    "cloudfront-keyvaluestore:ListKeys",
    "cloudfront-keyvaluestore:UpdateKeys",
)


# API Gateway's names for the two HTTP API metrics the alarm divides.
METRIC_NAMES = {"errors": "5xx", "requests": "Count"}


@dataclass(frozen=True, kw_only=True)
class ApiMetricsSource:
    """Where the HTTP API publishes its metrics: ``api_id`` and ``stage_name`` (dimensions
    ApiId, Stage) and the route key of the legacy proxy route, which must have detailed
    (per-route) metrics enabled (``StranglerHttpApi`` does)."""

    api_id: str
    stage_name: str
    legacy_route_key: str


def rollback_code() -> lambda_.Code:
    """The rollback package and its locked dependencies, bundled without Docker like every
    Taskly function (its own boto3: the runtime's has no awscrt, which SigV4A needs)."""
    return bundled_code(
        root=ROLLBACK_PACKAGE,
        bundle=PythonBundle(packages=(ROLLBACK_PACKAGE,), requirements=ROLLBACK_LOCK),
    )


class CutoverRollback(Construct):
    """5xx-rate alarm on the migrated routes -> function that rolls the cut-over back."""

    alarm: cloudwatch.Alarm
    function: lambda_.Function
    failure_alarm: cloudwatch.Alarm
    failed_invocations: sqs.Queue

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        store: cloudfront.IKeyValueStore,
        api: ApiMetricsSource,
        error_rate_percent: float,
        minimum_requests: int,
        log_retention: logs.RetentionDays,
        alarm_topic: sns.ITopic | None,
    ) -> None:
        super().__init__(scope, construct_id)
        role = self._role(store)
        # After CloudWatch's invocation and two retries fail, the alarm event lands here with
        # the error, and the failure alarm below has already paged someone.
        self.failed_invocations = sqs.Queue(
            self,
            "FailedInvocations",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Sets the /api/* cut-over weight to 0 when the new API's 5xx alarm fires",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=rollback_code(),
            role=role,
            memory_size=256,
            timeout=Duration.seconds(30),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self._log_group(log_retention, role),
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                KVS_ARN_VARIABLE: store.key_value_store_arn,
                "POWERTOOLS_SERVICE_NAME": "cutover-rollback",
            },
            retry_attempts=2,
            on_failure=destinations.SqsDestination(self.failed_invocations),
        )
        self.alarm = self._error_rate_alarm(
            api=api, error_rate_percent=error_rate_percent, minimum_requests=minimum_requests
        )
        self.alarm.add_alarm_action(cloudwatch_actions.LambdaAction(self.function))
        self.failure_alarm = self._failure_alarm()
        if alarm_topic is not None:
            notify = cloudwatch_actions.SnsAction(alarm_topic)
            self.alarm.add_alarm_action(notify)
            self.alarm.add_ok_action(notify)
            self.failure_alarm.add_alarm_action(notify)
        self._acknowledge(role)

    def _role(self, store: cloudfront.IKeyValueStore) -> iam.Role:
        """Its own role instead of AWSLambdaBasicExecutionRole: it may update the one store."""
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Cut-over rollback: update the cut-over KeyValueStore, write its logs",
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=list(KVS_ACTIONS), resources=[store.key_value_store_arn])
        )
        return role

    def _log_group(self, log_retention: logs.RetentionDays, role: iam.Role) -> logs.LogGroup:
        """The function's log group; its role writes to this one only."""
        log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        log_group.grant_write(role)
        return log_group

    def _failure_alarm(self) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            "FailureAlarm",
            alarm_description=(
                "The cut-over rollback function failed: the weight may still send viewers to the "
                "failing API. Run: python -m tools.ops.cutover rollback --stage <stage>"
            ),
            metric=self.function.metric_errors(period=Duration.minutes(1), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _error_rate_alarm(
        self, *, api: ApiMetricsSource, error_rate_percent: float, minimum_requests: int
    ) -> cloudwatch.Alarm:
        def api_metric(name: str, **route: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map={"ApiId": api.api_id, "Stage": api.stage_name, **route},
                statistic="Sum",
                period=Duration.minutes(1),
            )

        def served_by_the_new_api(name: str) -> cloudwatch.MathExpression:
            # The stage's total minus the legacy proxy route's share. API Gateway publishes a
            # route's metrics only in minutes it had requests: FILL keeps an idle legacy route
            # from blanking out the migrated routes' failures.
            return cloudwatch.MathExpression(
                expression=f"all_{name} - FILL(legacy_{name}, 0)",
                using_metrics={
                    f"all_{name}": api_metric(METRIC_NAMES[name]),
                    f"legacy_{name}": api_metric(METRIC_NAMES[name], Route=api.legacy_route_key),
                },
                period=Duration.minutes(1),
            )

        # Below minimum_requests a minute on the new side, one failed call is not a trend.
        rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {minimum_requests}, 100 * errors / requests, 0)",
            using_metrics={
                "errors": served_by_the_new_api("errors"),
                "requests": served_by_the_new_api("requests"),
            },
            period=Duration.minutes(1),
            label="5xx rate (%) of the routes the new API serves (legacy proxy route excluded)",
        )
        return cloudwatch.Alarm(
            self,
            "ErrorRateAlarm",
            alarm_description=(
                f"5xx rate of the migrated routes above {error_rate_percent}% in 2 of 3 minutes "
                "(the legacy proxy route does not count): rolls the /api/* cut-over back to "
                "legacy (weight 0, kill switch on)"
            ),
            metric=rate,
            threshold=error_rate_percent,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _acknowledge(self, role: iam.Role) -> None:
        """Every finding this construct acknowledges, with its reason."""
        acknowledge_checkov(
            self.node.find_child("Logs"),
            {
                "CKV_AWS_158": "The rollback function logs alarm names, weights and ETags only; "
                "CloudWatch Logs encrypts them at rest with service keys",
            },
        )
        acknowledge_checkov(
            self.failed_invocations,
            {
                "CKV_AWS_27": "Encrypted with SSE-SQS (SqsManagedSseEnabled); this checkov "
                "release recognises only KmsMasterKeyId as queue encryption",
            },
        )
        acknowledge_checkov(
            self.function,
            {
                "CKV_AWS_116": "Failed invocations go to the on-failure destination queue, whose "
                "records carry the error; a DLQ would duplicate them",
                "CKV_AWS_117": "The function only calls the public CloudFront KeyValueStore API; "
                "inside the VPC it would depend on the NAT gateway to roll back",
                "CKV_AWS_115": "Invoked only on alarm state changes and idempotent under "
                "concurrency (ETag writes); a reservation would only shrink the account pool",
                "CKV_AWS_173": "Its only variables are the KeyValueStore ARN and the service name, "
                "neither secret; Lambda encrypts them at rest by default",
            },
        )
        acknowledge(
            role,
            {
                "AwsSolutions-IAM5[Resource::*]": "xray:PutTraceSegments and "
                "xray:PutTelemetryRecords (added by active tracing) support no resource-level "
                "permissions",
            },
        )
        runtime_reason = (
            "python3.13 like every Taskly function: on arm64 its cold start p50 is ~80 ms vs "
            "~101 ms for python3.14 in the public lambda-perf benchmark, and a rollback must "
            "start fast"
        )
        acknowledge(
            self.function,
            {
                "AwsSolutions-L1": runtime_reason,
                "Serverless-LambdaLatestVersion": runtime_reason,
                "Serverless-LambdaDLQ": "failed alarm invocations go to the on-failure "
                "destination queue, whose record carries the error; a dead-letter queue as well "
                "would duplicate them",
            },
        )
        no_redrive = (
            "this queue is itself the failure destination of the rollback function; nothing "
            "consumes it, so there is nothing to redrive to a dead-letter queue of its own"
        )
        acknowledge(
            self.failed_invocations,
            {"AwsSolutions-SQS3": no_redrive, "Serverless-SQSRedrivePolicy": no_redrive},
        )
