"""DocumentDB cluster: TLS enforced, encrypted, backed up, credentials rotated."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_docdb as docdb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov, acknowledge_lint

DOCDB_PORT = 27017
ENGINE_VERSION = "5.0.0"
SERVERLESS = "serverless"
# DocumentDB rejects / " @ and space in passwords (aws/aws-cdk#17347); the rest would need
# escaping in a connection URI, which the functions never build from the password. Never edit
# this for a deployed stage: any change to a secret's generator regenerates the stored value
# (aws/aws-cdk#19985) while the cluster keeps the old password.
EXCLUDED_PASSWORD_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"  # noqa: S105 - a character set, not a secret


class DocumentDbCluster(Construct):
    """DocumentDB 5.0 in the isolated subnets, reachable only from ``client_security_group``.

    ``instance_class="serverless"`` builds DocumentDB serverless (capacity between
    ``serverless_min_capacity`` and ``serverless_max_capacity`` DCUs) — the cheapest option
    for a dev cluster that idles most of the day; any other value is a provisioned class.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        client_security_group: ec2.ISecurityGroup,
        instance_class: str,
        instance_count: int,
        serverless_min_capacity: float,
        serverless_max_capacity: float,
        backup_retention: Duration,
        rotation_interval: Duration,
        protect_data: bool,
    ) -> None:
        super().__init__(scope, construct_id)

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="DocumentDB: 27017 from Taskly functions only",
            allow_all_outbound=False,
        )

        self.cluster = self._cluster(
            vpc=vpc,
            instance_class=instance_class,
            instance_count=instance_count,
            serverless_min_capacity=serverless_min_capacity,
            serverless_max_capacity=serverless_max_capacity,
            backup_retention=backup_retention,
            protect_data=protect_data,
        )
        # The rotation below opens the cluster's port to the same group; going through
        # `connections` lets CDK emit that ingress rule once instead of twice (a duplicate
        # rule fails the deploy with InvalidPermission.Duplicate).
        self.cluster.connections.allow_default_port_from(
            client_security_group, "DocumentDB from Taskly functions"
        )
        self.instances: list[docdb.CfnDBInstance] = [
            child for child in self.cluster.node.children if isinstance(child, docdb.CfnDBInstance)
        ]
        if instance_class == SERVERLESS:
            self.instances.extend(self._serverless_instances(instance_count))
        assert self.cluster.secret is not None  # noqa: S101 - master_user always creates one
        self.secret: secretsmanager.ISecret = self.cluster.secret
        self.rotation = self._rotation(
            vpc=vpc,
            client_security_group=client_security_group,
            rotation_interval=rotation_interval,
        )
        self._acknowledge()

    def _cluster(
        self,
        *,
        vpc: ec2.IVpc,
        instance_class: str,
        instance_count: int,
        serverless_min_capacity: float,
        serverless_max_capacity: float,
        backup_retention: Duration,
        protect_data: bool,
    ) -> docdb.DatabaseCluster:
        """The cluster, with the parameter group that requires TLS.

        ``engine_version`` is never changed in place: CloudFormation replaces the cluster on an
        EngineVersion change (aws-cloudformation/cloudformation-coverage-roadmap#858) and an
        in-place major version upgrade through a stack update fails (#2547). Upgrade by
        restoring a snapshot into a new cluster (docs/architecture-known-issues.md).
        """
        # tls=enabled makes the server refuse plaintext connections; audit_logs and
        # profiler must be on here for the CloudWatch exports below to carry anything.
        parameter_group = docdb.ClusterParameterGroup(
            self,
            "Parameters",
            family="docdb5.0",
            description="Taskly: TLS required, audit and profiler logs on",
            parameters={
                "tls": "enabled",
                "audit_logs": "enabled",
                "profiler": "enabled",
                "profiler_threshold_ms": "200",
            },
        )
        serverless = instance_class == SERVERLESS
        return docdb.DatabaseCluster(
            self,
            "Cluster",
            engine_version=ENGINE_VERSION,
            master_user=docdb.Login(
                username="taskly_admin", exclude_characters=EXCLUDED_PASSWORD_CHARACTERS
            ),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_group=self.security_group,
            parameter_group=parameter_group,
            port=DOCDB_PORT,
            instances=instance_count,
            instance_type=None if serverless else ec2.InstanceType(instance_class),
            serverless_v2_scaling_configuration=docdb.ServerlessV2ScalingConfiguration(
                min_capacity=serverless_min_capacity, max_capacity=serverless_max_capacity
            )
            if serverless
            else None,
            storage_encrypted=True,
            backup=docdb.BackupProps(retention=backup_retention, preferred_window="03:00-04:00"),
            preferred_maintenance_window="sun:04:30-sun:05:30",
            export_audit_logs_to_cloud_watch=True,
            export_profiler_logs_to_cloud_watch=True,
            deletion_protection=protect_data,
            removal_policy=RemovalPolicy.SNAPSHOT if protect_data else RemovalPolicy.DESTROY,
            copy_tags_to_snapshot=True,
        )

    def _serverless_instances(self, instance_count: int) -> list[docdb.CfnDBInstance]:
        """CDK creates no instances for a serverless cluster (aws/aws-cdk#37011), and a
        cluster without instances accepts no connections: add db.serverless instances."""
        instances = []
        for index in range(1, instance_count + 1):
            instance = docdb.CfnDBInstance(
                self,
                f"ServerlessInstance{index}",
                db_cluster_identifier=self.cluster.cluster_identifier,
                db_instance_class="db.serverless",
                preferred_maintenance_window="sun:05:30-sun:06:30",
            )
            # Data lives in the cluster volume (snapshotted on removal when protected);
            # instances are compute only, which is also CDK's default for them.
            instance.apply_removal_policy(RemovalPolicy.DESTROY)
            instances.append(instance)
        return instances

    def _rotation(
        self,
        *,
        vpc: ec2.IVpc,
        client_security_group: ec2.ISecurityGroup,
        rotation_interval: Duration,
    ) -> secretsmanager.SecretRotation:
        """The hosted rotation function runs in the private subnets with the functions'
        security group: that SG is what the Secrets Manager endpoint and the cluster admit."""
        rotation = secretsmanager.SecretRotation(
            self,
            "Rotation",
            application=secretsmanager.SecretRotationApplication.MONGODB_ROTATION_SINGLE_USER,
            secret=self.secret,
            target=self.cluster,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_group=client_security_group,
            automatically_after=rotation_interval,
            exclude_characters=EXCLUDED_PASSWORD_CHARACTERS,
        )
        # A rotation schedule rotates once as soon as it is created. CDK makes it depend on the
        # secret attachment only, so CloudFormation could create it while the instances are
        # still being created: the rotation function then cannot reach the database, the
        # first rotation fails and the secret is left with a pending version. Wait for them.
        schedule = self.secret.node.find_child("RotationSchedule")
        for instance in self.instances:
            schedule.node.add_dependency(instance)
        return rotation

    def _acknowledge(self) -> None:
        """Every finding this construct acknowledges, with its reason."""
        for instance in self.instances:
            if instance.db_instance_class == "db.serverless":
                acknowledge_lint(
                    instance,
                    {
                        "E3620": "The linters' instance-class tables predate DocumentDB "
                        "serverless; db.serverless is the documented class for serverless "
                        "instances (describe-orderable-db-instance-options --db-instance-class "
                        "db.serverless)",
                    },
                )
        # cluster.secret is the attachment; the generated secret is the cluster's "Secret" child.
        acknowledge_checkov(
            self.cluster.node.find_child("Secret"),
            {
                "CKV_AWS_149": "Encrypted with the aws/secretsmanager key; only the tasks and "
                "rotation functions of this account read it, so a customer managed key would "
                "add cost without narrowing access",
            },
        )
        log_export_reasons = {
            f"AwsSolutions-DOC5[LogExport::{event}]": "DocumentDB exports only the audit and "
            f"profiler logs; with audit_logs=enabled the audit export records {event} events"
            for event in ("authenticate", "createIndex", "dropCollection")
        }
        acknowledge(
            self.cluster,
            {
                "AwsSolutions-DOC2": "Port 27017 is kept so MongoDB drivers and tools work "
                "unchanged; the cluster is in isolated subnets and its security group admits "
                "only the function security group",
                "AwsSolutions-DOC3": "The rule cannot resolve the secret's dynamic reference and "
                "errors; credentials are generated into Secrets Manager and rotated by the "
                "Rotation construct below (asserted in tests/infra)",
                **log_export_reasons,
            },
        )
