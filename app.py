#!/usr/bin/env python3
"""Composition root: pick the stage, build its stacks, attach cdk-nag.

The only module that reads CDK context or the environment. ``-c stage=dev|staging|prod``
selects the StageConfig; ``-c taskly:<section>.<field>=<value>`` overrides one value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Environment, Tags, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_constructs.alarm_topic import notify
from cdk_constructs.cutover_rollback import ApiMetricsSource
from cdk_constructs.dms_replication import regional_ca_bundle
from cdk_constructs.document_db import DOCDB_PORT
from cdk_constructs.known_cdk_artefacts import acknowledge_known_cdk_artefacts
from cdk_constructs.local_python_bundler import BUNDLING_FAILED, BundlingError
from cdk_constructs.ops_dashboard import DashboardFunction
from cdk_constructs.retention import retention_days
from stacks.alerts_stack import AlertsStack
from stacks.auth_stack import AuthStack
from stacks.cicd_stack import CicdConfigError, CicdSettings, CicdStack
from stacks.compute_stack import (
    CA_BUNDLE,
    DOCDB_DATABASE,
    METRICS_NAMESPACE,
    ComputeInputs,
    ComputeStack,
)
from stacks.config import (
    REPOSITORY,
    ConfigError,
    FunctionSettings,
    StageConfig,
    apply_overrides,
    context_overrides,
    stage_config,
)
from stacks.config.overrides import check_override_arguments
from stacks.data_stack import DataStack
from stacks.dms_account_roles_stack import STACK_NAME as DMS_ROLES_STACK
from stacks.dms_account_roles_stack import DmsAccountRolesStack
from stacks.edge_stack import EdgeStack
from stacks.migration_stack import MigrationStack
from stacks.monitoring_stack import MonitoringStack
from stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class TasklyStage:
    """The stacks of one stage, for tests and for tools that need their attributes."""

    network: NetworkStack
    data: DataStack
    auth: AuthStack
    alerts: AlertsStack
    compute: ComputeStack
    edge: EdgeStack
    monitoring: MonitoringStack
    migration: MigrationStack | None = None


def load_config(app: App) -> StageConfig:
    """Read the stage, account, region and overrides from context and the environment."""
    name = str(app.node.try_get_context("stage") or "dev")
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    check_override_arguments(cdk_cli_arguments())
    config = stage_config(name, account=account, region=region)
    return apply_overrides(config, context_overrides(app.node.get_all_context()))


def cdk_cli_arguments(pid: int | None = None) -> list[str]:
    """The arguments of the ``cdk`` processes this app runs under (empty when there is none).

    The CLI drops a ``-c`` argument that is not an assignment before the app sees its
    context; this is where the app can still find it. Read from /proc (Linux) or ``ps``.
    """
    arguments: list[str] = []
    pid = os.getppid() if pid is None else pid
    for _ in range(8):
        argv, parent = _process(pid)
        if any(item.endswith("cdk") or "aws-cdk" in item for item in argv):
            arguments.extend(argv)
        if parent <= 1:
            break
        pid = parent
    return arguments


def _process(pid: int) -> tuple[list[str], int]:
    """``pid``'s arguments and parent id; ([], 0) when the system does not tell."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.is_dir():
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            parent = int((proc / "stat").read_text().rpartition(")")[2].split()[1])
            return [item for item in argv if item], parent
        out = subprocess.run(  # noqa: S603 - fixed program, numeric argument
            ["/bin/ps", "-o", "ppid=", "-o", "args=", "-p", str(pid)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return out[1:], int(out[0])
    except (OSError, ValueError, IndexError, subprocess.CalledProcessError):
        return [], 0


def compose(app: App, config: StageConfig) -> TasklyStage:
    """Build every stack of ``config``'s stage in ``app`` and attach the cdk-nag packs."""
    env = Environment(account=config.account, region=config.region)
    # First: the network stack's NAT alarms and every later stack's alarms notify its topic.
    alerts = AlertsStack(
        app,
        config.stack_name("Alerts"),
        env=env,
        description="Taskly alerts: encrypted alarm topic with email subscriptions, monthly budget",
        settings=config.ops,
        stage=config.name,
        protect_data=config.data.protect_data,
    )
    nat_kind = "instance" if config.network.nat_instance_type else "gateway"
    network = NetworkStack(
        app,
        config.stack_name("Network"),
        env=env,
        description=f"Taskly network: VPC, one NAT {nat_kind}, VPC endpoints, flow logs",
        settings=config.network,
        alarm_topic=alerts.alarm_topic,
    )
    data = DataStack(
        app,
        config.stack_name("Data"),
        env=env,
        description="Taskly data: DocumentDB over TLS, DynamoDB app-state and idempotency",
        vpc=network.vpc,
        client_security_group=network.lambda_security_group,
        settings=config.data,
    )
    auth = AuthStack(
        app,
        config.stack_name("Auth"),
        env=env,
        description="Taskly auth: Cognito user pool, API scope, SPA client",
        settings=config.auth,
        protect_data=config.data.protect_data,
    )
    compute = _compute(app, config, env=env, network=network, data=data, auth=auth)
    edge = _edge(app, config, env=env, compute=compute, alerts=alerts)
    # The compute stack's alarms also roll deployments back; here they page a person too.
    compute_alarms = [
        *(
            alarm
            for function in compute.functions.values()
            for alarm in (function.error_rate_alarm, function.throttle_alarm)
        ),
        compute.email_queue.dead_letter_alarm,
    ]
    notify(alerts.alarm_topic, *compute_alarms)
    monitoring = _monitoring(
        app,
        config,
        env=env,
        alerts=alerts,
        network=network,
        data=data,
        compute=compute,
        edge=edge,
        other_alarms=[*network.nat_alarms, *compute_alarms],
    )
    migration = _migration(app, config, env=env, network=network, data=data, alerts=alerts)
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    acknowledge_known_cdk_artefacts(app)
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())
    return TasklyStage(
        network=network,
        data=data,
        auth=auth,
        alerts=alerts,
        compute=compute,
        edge=edge,
        monitoring=monitoring,
        migration=migration,
    )


def _compute(
    app: App,
    config: StageConfig,
    *,
    env: Environment,
    network: NetworkStack,
    data: DataStack,
    auth: AuthStack,
) -> ComputeStack:
    """The Compute stack, after opening the path to a legacy database outside the VPC."""
    if config.compute.tasks_db_cidr is not None:
        # The database functions' database is outside the VPC (legacy until the end): open
        # exactly its address range and port on the function security group.
        network.lambda_security_group.add_egress_rule(
            ec2.Peer.ipv4(config.compute.tasks_db_cidr),
            ec2.Port.tcp(config.compute.tasks_db_port),
            "Legacy MongoDB (tasks function's database)",
        )
    compute = ComputeStack(
        app,
        config.stack_name("Compute"),
        env=env,
        description="Taskly compute: canary-deployed functions, strangler HTTP API, email queue",
        settings=config.compute,
        inputs=ComputeInputs(
            vpc=network.vpc,
            lambda_security_group=network.lambda_security_group,
            docdb_secret=data.docdb_secret,
            idempotency_table=data.idempotency_table,
            user_pool=auth.user_pool,
            user_pool_client=auth.spa_client,
            api_scope=auth.api_scope_name,
        ),
        protect_data=config.data.protect_data,
    )
    # Compute no longer imports the app-state table's ARN (preferences moved to the shared
    # database); keep exporting it for a release so deployed Compute stacks can drop the import
    # first (aws/aws-cdk#7602). Remove once every stage has deployed this release.
    data.export_value(data.app_state_table.table_arn)
    return compute


def _edge(
    app: App, config: StageConfig, *, env: Environment, compute: ComputeStack, alerts: AlertsStack
) -> EdgeStack:
    """CloudFront in front of the SPA and, by weight, the HTTP API or the legacy backend."""
    return EdgeStack(
        app,
        config.stack_name("Edge"),
        env=env,
        description="Taskly edge: CloudFront, SPA bucket, weighted cutover to the HTTP API",
        settings=config.edge,
        api_domain=compute.api_domain_name,
        api_metrics=ApiMetricsSource(
            api_id=compute.http_api.api_id,
            stage_name=compute.api.stage.stage_name,
            legacy_route_key=compute.api.legacy_route_key,
        ),
        legacy_origin_domain=config.compute.legacy_origin_domain,
        origin_verify_secret=compute.origin_verify.secret,
        protect_data=config.data.protect_data,
        alarm_topic=alerts.alarm_topic,
    )


def _monitoring(
    app: App,
    config: StageConfig,
    *,
    env: Environment,
    alerts: AlertsStack,
    network: NetworkStack,
    data: DataStack,
    compute: ComputeStack,
    edge: EdgeStack,
    other_alarms: list[cloudwatch.IAlarm],
) -> MonitoringStack:
    """The stage dashboard and the alarms on resources the other stacks do not watch."""
    # Drawn on each function's concurrency graph: what caps it, where anything does.
    concurrency_limits: dict[str, dict[str, int | None]] = {
        name: (
            {"reserved_concurrency": settings.reserved_concurrency}
            if isinstance(settings, FunctionSettings)
            else {"max_concurrency": settings.max_concurrency}
        )
        for name, settings in config.compute.functions.items()
    }
    return MonitoringStack(
        app,
        config.stack_name("Monitoring"),
        env=env,
        description="Taskly monitoring: stage dashboard, DocumentDB and NAT alarms",
        stage=config.name,
        alarm_topic=alerts.alarm_topic,
        other_alarms=[*other_alarms, edge.rollback.alarm, edge.rollback.failure_alarm],
        http_api=compute.http_api,
        functions=[
            DashboardFunction(
                service=service,
                function=function.function,
                log_group=function.log_group,
                **concurrency_limits[service],
            )
            for service, function in compute.functions.items()
        ],
        metrics_namespace=METRICS_NAMESPACE,
        tables={"app-state": data.app_state_table, "idempotency": data.idempotency_table},
        email_queue=compute.email_queue.queue,
        email_dead_letter_queue=compute.email_queue.dead_letter_queue,
        docdb_cluster_identifier=data.docdb_cluster_identifier,
        docdb_instance_identifiers=data.docdb_instance_identifiers,
        docdb_cpu_alarm_percent=config.ops.docdb_cpu_alarm_percent,
        docdb_connections_alarm_percent=config.ops.docdb_connections_alarm_percent,
        nat_gateway_ids=network.nat_gateway_ids,
        nat_alarms=network.nat_alarms,
        distribution_id=edge.distribution.distribution_id,
        cutover_function_name=edge.cutover.function.function_name,
    )


def _migration(
    app: App,
    config: StageConfig,
    *,
    env: Environment,
    network: NetworkStack,
    data: DataStack,
    alerts: AlertsStack,
) -> MigrationStack | None:
    """The optional DMS stack (``migration.enabled``), paging the stage's alarm topic."""
    settings = config.migration
    if not settings.enabled or settings.source_ca_file is None:
        return None
    migration = MigrationStack(
        app,
        config.stack_name("Migration"),
        env=env,
        description="Taskly migration: DMS Serverless from the legacy MongoDB into DocumentDB",
        settings=settings,
        vpc=network.vpc,
        docdb_host=data.docdb_endpoint_address,
        docdb_security_group_id=data.docdb_security_group_id,
        docdb_port=DOCDB_PORT,
        docdb_database=DOCDB_DATABASE,
        docdb_ca_pem=regional_ca_bundle(CA_BUNDLE.read_text(), config.region),
        secrets_endpoint_security_group_id=network.endpoints_security_group_id,
        source_ca_pem=(REPOSITORY / settings.source_ca_file).read_text(),
        log_retention=retention_days(config.compute.log_retention_days),
        protect_data=config.data.protect_data,
    )
    notify(alerts.alarm_topic, *migration.alarms.alarms)
    return migration


def compose_cicd(app: App) -> CicdStack:
    """The once-per-account CI/CD stack (GitHub OIDC roles), built only with -c cicd=true.

    Kept out of the stage apps so `cdk deploy --all` of a stage never rewrites the roles
    that run it.
    """
    settings = CicdSettings.from_context(app.node.try_get_context)
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    stack = CicdStack(
        app,
        "Taskly-Cicd",
        env=Environment(account=account, region=region),
        description="Taskly CI/CD: GitHub OIDC provider, pull-request diff role, deploy role",
        settings=settings,
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())
    return stack


def compose_dms_account_roles(app: App, config: StageConfig) -> DmsAccountRolesStack:
    """The account's DMS roles alone, built only with -c dms_account_roles=true.

    Kept out of the stage apps so a stage's deploy never creates them in the same run as the
    replication subnet group that needs them propagated (docs/data-migration.md, Phase 0).
    """
    stack = DmsAccountRolesStack(
        app,
        DMS_ROLES_STACK,
        env=Environment(account=config.account, region=config.region),
        description="Taskly: the account's dms-vpc-role and dms-cloudwatch-logs-role for DMS",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())
    return stack


def main() -> int:
    app = App()
    try:
        if str(app.node.try_get_context("cicd")).lower() == "true":
            compose_cicd(app)
        elif str(app.node.try_get_context("dms_account_roles")).lower() == "true":
            compose_dms_account_roles(app, load_config(app))
        else:
            compose(app, load_config(app))
    except (ConfigError, CicdConfigError, BundlingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        # A bundle is built while CDK binds the function's code: its error comes back through
        # jsii as a plain RuntimeError that keeps only the message.
        if not str(error).startswith(BUNDLING_FAILED):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        app.synth()
    except RuntimeError as error:
        # cdk-nag has already printed each finding above; the jsii traceback adds nothing.
        if "ValidationFailed" not in str(error):
            raise
        print("error: cdk-nag validation failed (findings listed above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
