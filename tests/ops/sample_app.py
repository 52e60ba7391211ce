"""A small CDK app shaped like the Taskly stacks, synthesized by the real CDK to feed the report.

It exists so the cost tool is tested against templates and a manifest that CDK itself wrote
(logical ids, Fn::GetAtt forms, aliases, nested keys), not only against hand-written fixtures.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_constructs.alarm_topic import AlarmTopic
from cdk_constructs.budget_alerts import BudgetAlerts

HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


class NetworkStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, interface_endpoints: bool) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                ),
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(
                    self,
                    "FlowLogs",
                    retention=logs.RetentionDays.TWO_WEEKS,
                    removal_policy=cdk.RemovalPolicy.DESTROY,
                )
            ),
        )
        if interface_endpoints:
            self.vpc.add_interface_endpoint(
                "SecretsManager", service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER
            )


class DataStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, serverless: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = docdb.DatabaseCluster(
            self,
            "Docs",
            master_user=docdb.Login(username="taskly"),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            instances=1,
            engine_version="5.0.0",
            instance_type=None if serverless else ec2.InstanceType("t4g.medium"),
            serverless_v2_scaling_configuration=docdb.ServerlessV2ScalingConfiguration(
                min_capacity=0.5, max_capacity=2
            )
            if serverless
            else None,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.table = dynamodb.TableV2(
            self,
            "State",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )


class ComputeStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self,
            "ApiLogs",
            retention=logs.RetentionDays.TWO_WEEKS,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        api_function = lambda_.Function(
            self,
            "TasksFunction",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=512,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            vpc=vpc,
        )
        live = api_function.add_alias("live")
        api = apigw.HttpApi(self, "Api")
        api.add_routes(
            path="/api/tasks",
            integration=integrations.HttpLambdaIntegration("Tasks", live),
        )
        api.add_routes(
            path="/api/{proxy+}",
            integration=integrations.HttpUrlIntegration("Legacy", "https://legacy.example.com"),
        )
        queue = sqs.Queue(self, "EmailQueue")
        worker = lambda_.Function(
            self,
            "EmailWorker",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=256,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER),
        )
        worker.add_event_source(event_sources.SqsEventSource(queue))
        self.errors_alarm = cloudwatch.Alarm(
            self,
            "ApiErrors",
            metric=api_function.metric_errors(),
            threshold=1,
            evaluation_periods=1,
        )
        self.api_domain = f"{api.api_id}.execute-api.{self.region}.{self.url_suffix}"


class EdgeStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, api_domain: str) -> None:
        super().__init__(scope, construct_id)
        store = cloudfront.KeyValueStore(self, "Weights")
        router = cloudfront.Function(
            self,
            "Router",
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) { return event.request; }"
            ),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=store,
        )
        cloudfront.Distribution(
            self,
            "Cdn",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin("spa.example.com")
            ),
            additional_behaviors={
                "/api/*": cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(api_domain),
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=router, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                        )
                    ],
                )
            },
        )


class MonitoringStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.alarms = AlarmTopic(
            self,
            "Alarms",
            email_recipients=["oncall@example.com"],
            key_removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        BudgetAlerts(
            self,
            "Budget",
            monthly_limit_usd=75,
            recipient_emails=["oncall@example.com"],
            cost_filter_tags={"stage": stage},
        )
        cloudwatch.Dashboard(self, "Dashboard")


def synth_sample(outdir: Path, *, stage: str = "test", serverless: bool = False) -> Path:
    """Synthesize the sample stacks of one stage into ``outdir`` and return it.

    Path metadata is on, as when the CDK CLI synthesizes, so resources carry construct paths.
    """
    app = cdk.App(
        outdir=str(outdir),
        context={"aws:cdk:bundling-stacks": [], "aws:cdk:enable-path-metadata": True},
    )
    network = NetworkStack(app, f"Taskly-{stage}-Network", interface_endpoints=not serverless)
    DataStack(app, f"Taskly-{stage}-Data", vpc=network.vpc, serverless=serverless)
    compute = ComputeStack(app, f"Taskly-{stage}-Compute", vpc=network.vpc)
    EdgeStack(app, f"Taskly-{stage}-Edge", api_domain=compute.api_domain)
    MonitoringStack(app, f"Taskly-{stage}-Monitoring", stage=stage)
    app.synth()
    return outdir
