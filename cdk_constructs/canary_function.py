"""A Lambda function that reaches its callers only through alias ``live``, shifted by CodeDeploy.

Every deploy publishes a new version (``current_version``); CloudFormation hands the alias
update to CodeDeploy (the alias's ``CodeDeployLambdaAliasUpdate`` update policy), which runs the
optional pre-traffic smoke test, shifts traffic per the deployment config, watches the alarms
on the alias and rolls back when one fires or the deployment fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov

CfnT = TypeVar("CfnT")

ALIAS_NAME = "live"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
# CodeDeploy reads the alarms while it shifts traffic; the shortest canary is 5 minutes.
ALARM_PERIOD = Duration.minutes(5)
HOOK_TIMEOUT_MARGIN = Duration.seconds(30)
HOOK_MEMORY_MB = 256
READ_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)

# What a function in a VPC needs to attach its network interfaces (the actions of the AWS
# managed AWSLambdaVPCAccessExecutionRole); EC2 supports no narrower resource for them.
VPC_ACCESS_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

RUNTIME_REASON = (
    "Python 3.13 is kept on purpose: in the public lambda-perf benchmark python3.13 on arm64 "
    "cold-starts at p50 ~80 ms against ~101 ms for python3.14"
)

# Why each acknowledged finding is acceptable (CanaryFunction._acknowledge applies them).
_REASONS = {
    "x-ray": "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions",
    "logs": "Function logs carry request metadata and errors, no credentials or bodies; "
    "CloudWatch Logs encrypts them at rest with service keys",
    "eni": "The EC2 network-interface actions Lambda needs to attach a function to a VPC "
    "support no resource-level permissions",
    "snap-start-publish": "every deploy publishes current_version and callers reach only "
    "alias live",
    "hook-dlq": "CodeDeploy invokes the hook asynchronously once per deployment and times the "
    "deployment out if it never reports; a DLQ adds nothing",
    "hook-invoke": "CDK's grant lets CodeDeploy invoke the pre-traffic hook function and its "
    "versions; the hook's own function ARN is the only resource",
    "codedeploy-policy": "CDK attaches the AWS-maintained CodeDeploy service policy for Lambda: "
    "it updates aliases and reads alarms, and may invoke only functions named "
    "CodeDeployHook_* (our hook is granted apart)",
}


@dataclass(frozen=True, kw_only=True)
class PreTrafficHook:
    """Smoke test run by CodeDeploy against each new version before it takes traffic.

    ``code`` holds ``hook.handler`` (``lambda_src/pre_traffic_hook``); ``event`` is what the
    hook sends to the new version. It must be safe to run in production: read-only, or
    rejected by the function before any side effect. ``secret_header`` (name, secret): a
    header the hook sets to the secret's current value before invoking, such as CloudFront's
    ``x-origin-verify``; the hook may read that one secret and nothing else, and the value
    never appears in the template.
    """

    code: lambda_.Code
    event: Mapping[str, Any]
    handler: str = "hook.handler"
    secret_header: tuple[str, secretsmanager.ISecret] | None = None


class CanaryFunction(Construct):
    """ARM64 Python 3.13 function + alias ``live`` + CodeDeploy canary with alarm rollback.

    Public attributes: ``function``, ``alias`` (what callers and event sources must target),
    ``role``, ``log_group``, ``deployment_group``, ``error_rate_alarm``, ``throttle_alarm``
    and ``pre_traffic_hook`` (``None`` without a hook).

    ``system_log_level`` INFO (the default) keeps Lambda's one ``platform.report`` line per
    invocation: Lambda publishes no init-duration metric, and that line's ``initDurationMs``
    is what the operations dashboard's cold-start widget reads. WARN would drop it.

    ``snap_start`` snapshots each published version after its init; the alias (and so every
    caller and CodeDeploy) only ever points at versions. CloudFormation creates the
    ``AWS::Lambda::Version`` only once the snapshot is ready (the version is Active), so the
    pre-traffic hook invokes a restorable version. An init that fails fails the version
    resource and the stack update rolls back with the alias untouched; the version's logical
    id hashes the configuration, so the next deploy publishes a fresh one (the stuck-version
    trap of hashicorp/terraform-provider-aws#49904 needs a version id that survives the failed
    attempt). The switch is in that hash too (a test checks it): a version published before
    SnapStart was on has no snapshot, and toggling it must publish a new one
    (aws/aws-cdk#23153: $LATEST never benefits).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        memory_size: int,
        timeout: Duration,
        reserved_concurrency: int | None,
        deployment_config: codedeploy.ILambdaDeploymentConfig,
        log_retention: logs.RetentionDays,
        log_level: str,
        error_rate_threshold_percent: float = 2,
        system_log_level: lambda_.SystemLogLevel = lambda_.SystemLogLevel.INFO,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        pre_traffic_hook: PreTrafficHook | None = None,
        snap_start: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = self._log_group("Logs", log_retention)
        self.role, self.vpc_access = self._role(description, in_vpc=vpc is not None)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=code,
            role=self.role,
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            environment=dict(environment),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(log_level),
            system_log_level_v2=system_log_level,
            log_group=self.log_group,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=list(security_groups) or None,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # A rolled-back alias points at the previous version: CloudFormation deletes it
            # only after the update (and so the traffic shift) succeeded.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        if self.vpc_access is not None:
            # Lambda checks the ENI permissions when it creates a function in a VPC.
            self.function.node.add_dependency(self.vpc_access)
        # A stable construct path (not under the Version, whose id changes on every code
        # change) keeps the alias's logical id fixed: aws/aws-cdk#27884.
        self.alias = lambda_.Alias(
            self, "LiveAlias", alias_name=ALIAS_NAME, version=self.function.current_version
        )
        self.error_rate_alarm, self.throttle_alarm = self._alarms(
            description, error_rate_threshold_percent
        )
        self.pre_traffic_hook = (
            self._hook(pre_traffic_hook, timeout=timeout, log_retention=log_retention)
            if pre_traffic_hook is not None
            else None
        )
        self.deployment_group = self._deployment_group(deployment_config)
        self._acknowledge(snap_start=snap_start)

    def _deployment_group(
        self, deployment_config: codedeploy.ILambdaDeploymentConfig
    ) -> codedeploy.LambdaDeploymentGroup:
        """Shifts alias ``live`` to each new version; rolls back on either alarm or failure."""
        return codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            alias=self.alias,
            deployment_config=deployment_config,
            alarms=[self.error_rate_alarm, self.throttle_alarm],
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            pre_hook=self.pre_traffic_hook,
        )

    def _role(self, description: str, *, in_vpc: bool) -> tuple[iam.Role, iam.Policy | None]:
        """Our own role instead of the AWS managed execution policies: logs only to this
        function's log group, and nothing the code does not call (grants add the rest). The
        VPC actions get a policy of their own, so the checkov skip covers them and no more."""
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {description}",
        )
        self.log_group.grant_write(role)
        vpc_access = (
            iam.Policy(
                self,
                "VpcAccess",
                roles=[role],
                statements=[iam.PolicyStatement(actions=list(VPC_ACCESS_ACTIONS), resources=["*"])],
            )
            if in_vpc
            else None
        )
        return role, vpc_access

    def _alarms(
        self, description: str, error_rate_threshold_percent: float
    ) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        """The error-rate and throttle alarms on alias ``live`` that roll a deployment back."""
        error_rate = cloudwatch.Alarm(
            self,
            "ErrorRateAlarm",
            alarm_description=f"{description}: more than {error_rate_threshold_percent}% of "
            f"invocations of alias {ALIAS_NAME} failed in 5 minutes (rolls a deployment back)",
            metric=cloudwatch.MathExpression(
                expression="100 * FILL(errors, 0) / invocations",
                using_metrics={
                    "errors": self.alias.metric_errors(statistic="Sum", period=ALARM_PERIOD),
                    "invocations": self.alias.metric_invocations(
                        statistic="Sum", period=ALARM_PERIOD
                    ),
                },
                label="Error rate (%)",
                period=ALARM_PERIOD,
            ),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            threshold=error_rate_threshold_percent,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        throttle = cloudwatch.Alarm(
            self,
            "ThrottleAlarm",
            alarm_description=f"{description}: invocations of alias {ALIAS_NAME} were "
            "throttled in 5 minutes (rolls a deployment back)",
            metric=self.alias.metric_throttles(statistic="Sum", period=ALARM_PERIOD),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            threshold=0,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return error_rate, throttle

    def _log_group(self, construct_id: str, retention: logs.RetentionDays) -> logs.LogGroup:
        return logs.LogGroup(
            self, construct_id, retention=retention, removal_policy=RemovalPolicy.DESTROY
        )

    def _hook(
        self, hook: PreTrafficHook, *, timeout: Duration, log_retention: logs.RetentionDays
    ) -> lambda_.Function:
        log_group = self._log_group("PreTrafficHookLogs", log_retention)
        role = iam.Role(
            self,
            "PreTrafficHookRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the CodeDeploy pre-traffic smoke test of one function",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            "PreTrafficHook",
            description="CodeDeploy pre-traffic hook: smoke-tests the new version",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=hook.handler,
            code=hook.code,
            role=role,
            memory_size=HOOK_MEMORY_MB,
            timeout=timeout.plus(HOOK_TIMEOUT_MARGIN),
            # No reservation: it runs once per deployment, and even a reservation of 1 fails
            # the deploy on a new account whose quota leaves nothing to reserve
            # (aws-samples/one-observability-demo#278).
            environment={
                "TARGET_VERSION_ARN": self.function.current_version.function_arn,
                "SMOKE_EVENT": json.dumps(hook.event, sort_keys=True),
                **_secret_header_environment(hook.secret_header),
            },
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
        )
        # Only the version under test; the deployment group grants the status report.
        self.function.current_version.grant_invoke(function)
        if hook.secret_header is not None:
            iam.Grant.add_to_principal(
                grantee=role,
                actions=list(READ_SECRET_ACTIONS),
                resource_arns=[hook.secret_header[1].secret_arn],
            )
        return function

    def _acknowledge(self, *, snap_start: bool) -> None:
        """Every finding this construct acknowledges, with its reason (``_REASONS``)."""
        if snap_start:
            # CDK warns on every SnapStart function that it needs published versions.
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish", _REASONS["snap-start-publish"]
            )
        acknowledge(self.role, {"AwsSolutions-IAM5[Resource::*]": _REASONS["x-ray"]})
        acknowledge(
            self.function,
            {"AwsSolutions-L1": RUNTIME_REASON, "Serverless-LambdaLatestVersion": RUNTIME_REASON},
        )
        acknowledge_checkov(self.log_group, {"CKV_AWS_158": _REASONS["logs"]})
        _acknowledge_function_checks(
            self.function,
            in_vpc=self.vpc_access is not None,
            reserved=_cfn(self.function, lambda_.CfnFunction).reserved_concurrent_executions
            is not None,
        )
        if self.vpc_access is not None:
            acknowledge(self.vpc_access, {"AwsSolutions-IAM5[Resource::*]": _REASONS["eni"]})
            acknowledge_checkov(
                _cfn(self.vpc_access, iam.CfnPolicy), {"CKV_AWS_111": _REASONS["eni"]}
            )
        hook_reason = {}
        if self.pre_traffic_hook is not None:
            hook = self.pre_traffic_hook
            acknowledge(
                self.node.find_child("PreTrafficHookRole"),
                {"AwsSolutions-IAM5[Resource::*]": _REASONS["x-ray"]},
            )
            acknowledge(
                hook,
                {
                    "AwsSolutions-L1": RUNTIME_REASON,
                    "Serverless-LambdaLatestVersion": RUNTIME_REASON,
                    "Serverless-LambdaDLQ": _REASONS["hook-dlq"],
                },
            )
            acknowledge_checkov(
                self.node.find_child("PreTrafficHookLogs"), {"CKV_AWS_158": _REASONS["logs"]}
            )
            _acknowledge_function_checks(hook, in_vpc=False, reserved=False)
            hook_id = Stack.of(self).get_logical_id(_cfn(hook, lambda_.CfnFunction))
            hook_reason[f"AwsSolutions-IAM5[Resource::<{hook_id}.Arn>:*]"] = _REASONS["hook-invoke"]
        acknowledge(
            self.deployment_group.role,
            {
                **hook_reason,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSCodeDeployRoleForLambdaLimited]": _REASONS["codedeploy-policy"],
            },
        )


def _secret_header_environment(
    secret_header: tuple[str, secretsmanager.ISecret] | None,
) -> dict[str, str]:
    if secret_header is None:
        return {}
    name, secret = secret_header
    return {"SMOKE_HEADER_NAME": name, "SMOKE_HEADER_SECRET_ARN": secret.secret_arn}


def _cfn(construct: Construct, kind: type[CfnT]) -> CfnT:
    resource = construct.node.default_child
    assert isinstance(resource, kind)  # noqa: S101 - an L2's own CloudFormation resource
    return resource


def _acknowledge_function_checks(
    function: lambda_.Function, *, in_vpc: bool, reserved: bool
) -> None:
    """The cfn-lint and checkov findings every CanaryFunction (and hook) shares."""
    resource = _cfn(function, lambda_.CfnFunction)
    reasons = {
        "CKV_AWS_116": "A dead-letter queue only catches asynchronous invocations; these "
        "functions are invoked synchronously or by an SQS mapping with its own redrive",
        "CKV_AWS_173": "The variables hold resource names and ARNs, no secrets (the DocumentDB "
        "password is read from Secrets Manager); Lambda encrypts them at rest with its key",
    }
    if not in_vpc:
        reasons["CKV_AWS_117"] = (
            "Outside the VPC on purpose: the function reaches only AWS APIs (DynamoDB, SQS, "
            "SES, Lambda, CodeDeploy), so a VPC would add ENIs and NAT traffic, not isolation"
        )
    if not reserved:
        reasons["CKV_AWS_115"] = (
            "Reserved concurrency is opt-in per stage (StageConfig): a new account's quota can "
            "leave nothing to reserve and the deploy would fail; an SQS consumer is capped by "
            "its event source's MaximumConcurrency instead"
        )
    acknowledge_checkov(resource, reasons)
