"""The stage schema: one frozen dataclass per section of ``config/<stage>.toml``, each with its
``validate``, and ``StageConfig``, which validates the whole stage in ``__post_init__`` (rules
that span sections live there). The value rules themselves are in ``rules``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from stacks import services
from stacks.config.rules import (
    _ACCOUNT,
    _AMI,
    _REGION,
    ACCOUNT_PLACEHOLDER,
    DEPLOYMENT_CONFIGS,
    DMS_CAPACITY_UNITS,
    DOCDB_INSTANCE_CLASSES,
    DOCDB_SERVERLESS_CONNECTION_LIMITS,
    INTERFACE_ENDPOINTS,
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    MAX_BUDGET_RECIPIENTS,
    MAX_DOMAIN_PREFIX,
    NAT_INSTANCE_TYPES,
    NODE_DRIVER_MONITOR_CONNECTIONS,
    PRICE_CLASSES,
    PROTECTED_ACCESS_LOG_DAYS,
    PYMONGO_MONITOR_CONNECTIONS,
    SYSTEM_LOG_LEVELS,
    ConfigError,
    _check_arn,
    _check_choice,
    _check_cidr,
    _check_domain,
    _check_email,
    _check_https_urls,
    _check_pem_file,
    _check_range,
    _check_secret_arn,
    _fail,
    _is_private_range,
)
from stacks.config.stages import STAGES, stack_name
from stacks.services import Service

_SECTIONS = ("network", "data", "auth", "compute", "edge", "ops", "migration")


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    vpc_cidr: str
    interface_endpoints: tuple[str, ...]
    flow_log_retention_days: int
    # None: one managed NAT gateway. An instance type: one NAT instance of that type instead
    # (about $29/month less; no managed availability, replaced when its AMI changes).
    nat_instance_type: str | None = None
    # The NAT instance's image, pinned (required with nat_instance_type): an arm64 Amazon
    # Linux 2023 AMI id of the stage's region. Never "the latest": a new image would replace
    # the instance under an unrelated deploy.
    nat_instance_ami: str | None = None

    def validate(self, prefix: str) -> None:
        try:
            network = ipaddress.IPv4Network(self.vpc_cidr)
        except ValueError:
            _fail(f"{prefix}.vpc_cidr", self.vpc_cidr, "an IPv4 CIDR such as 10.0.0.0/16")
        if not 16 <= network.prefixlen <= 22:
            _fail(f"{prefix}.vpc_cidr", self.vpc_cidr, "a /16 to /22 network (6 subnets in 2 AZs)")
        for name in self.interface_endpoints:
            _check_choice(f"{prefix}.interface_endpoints", name, INTERFACE_ENDPOINTS)
        if self.nat_instance_type is not None:
            _check_choice(f"{prefix}.nat_instance_type", self.nat_instance_type, NAT_INSTANCE_TYPES)
            if not isinstance(self.nat_instance_ami, str) or not _AMI.match(self.nat_instance_ami):
                _fail(
                    f"{prefix}.nat_instance_ami",
                    self.nat_instance_ami,
                    "an AMI id (ami- and 8 or 17 hex digits) with nat_instance_type: the arm64 "
                    "Amazon Linux 2023 image of the stage's region",
                )
        if len(set(self.interface_endpoints)) != len(self.interface_endpoints):
            _fail(f"{prefix}.interface_endpoints", self.interface_endpoints, "no duplicates")
        _check_choice(
            f"{prefix}.flow_log_retention_days", self.flow_log_retention_days, LOG_RETENTION_DAYS
        )


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    docdb_instance_class: str
    docdb_instance_count: int
    docdb_serverless_min_capacity: float
    docdb_serverless_max_capacity: float
    backup_retention_days: int
    secret_rotation_days: int
    # Stateful resources: deletion protection + RETAIN/SNAPSHOT when True, DESTROY when False.
    protect_data: bool
    # The DocumentDB connection budget (StageConfig.docdb_connection_budget): environments counted
    # for a database function WITHOUT reserved concurrency (nothing enforces this number; the
    # connections alarm catches more), the legacy backend's processes on DocumentDB during the
    # cutover and the maxPoolSize the runbook gives them (docs/data-migration.md), and the
    # connections DMS holds to the target while the Migration stack is enabled.
    docdb_unreserved_environments: int = 10
    docdb_legacy_processes: int = 0
    docdb_legacy_max_pool_size: int = 10
    docdb_dms_connections: int = 16

    def validate(self, prefix: str) -> None:
        _check_choice(
            f"{prefix}.docdb_instance_class", self.docdb_instance_class, DOCDB_INSTANCE_CLASSES
        )
        _check_range(
            f"{prefix}.docdb_unreserved_environments", self.docdb_unreserved_environments, 1, 1000
        )
        _check_range(f"{prefix}.docdb_legacy_processes", self.docdb_legacy_processes, 0, 1000)
        _check_range(
            f"{prefix}.docdb_legacy_max_pool_size", self.docdb_legacy_max_pool_size, 1, 100
        )
        _check_range(f"{prefix}.docdb_dms_connections", self.docdb_dms_connections, 1, 1000)
        _check_range(f"{prefix}.docdb_instance_count", self.docdb_instance_count, 1, 16)
        capacities = (self.docdb_serverless_min_capacity, self.docdb_serverless_max_capacity)
        if not 0.5 <= capacities[0] <= capacities[1] <= 256:
            _fail(
                f"{prefix}.docdb_serverless_min_capacity",
                capacities,
                "0.5 <= min_capacity <= max_capacity <= 256 (DocumentDB capacity units)",
            )
        _check_range(f"{prefix}.backup_retention_days", self.backup_retention_days, 1, 35)
        _check_range(f"{prefix}.secret_rotation_days", self.secret_rotation_days, 1, 365)


@dataclass(frozen=True, kw_only=True)
class AuthConfig:
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    self_sign_up: bool
    # Cognito hosted-domain prefix: unique among all AWS customers in the region, so it carries
    # the account id by default ({account} is replaced by it; preflight checks availability).
    domain_prefix: str

    def validate(self, prefix: str) -> None:
        _check_https_urls(f"{prefix}.callback_urls", self.callback_urls)
        _check_https_urls(f"{prefix}.logout_urls", self.logout_urls)
        path = f"{prefix}.domain_prefix"
        if self.domain_prefix.count(ACCOUNT_PLACEHOLDER) > 1:
            _fail(path, self.domain_prefix, "at most one {account}")
        # What Cognito will see: the account id is 12 digits.
        resolved = self.domain_prefix.replace(ACCOUNT_PLACEHOLDER, "0" * 12)
        if len(resolved) > MAX_DOMAIN_PREFIX:
            _fail(
                path,
                self.domain_prefix,
                f"at most {MAX_DOMAIN_PREFIX} characters with the account id",
            )
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", resolved) or (
            "aws" in resolved or "cognito" in resolved
        ):
            _fail(
                path,
                self.domain_prefix,
                "lower-case letters, digits and hyphens, without 'aws' or 'cognito'",
            )


@dataclass(frozen=True, kw_only=True)
class _Sizing:
    memory_mb: int
    timeout_seconds: int

    def validate(self, prefix: str) -> None:
        _check_range(f"{prefix}.memory_mb", self.memory_mb, 128, 10240)
        _check_range(f"{prefix}.timeout_seconds", self.timeout_seconds, 1, 900)


@dataclass(frozen=True, kw_only=True)
class FunctionSettings(_Sizing):
    """An API function. Reserved concurrency is opt-in: None (the default) leaves it on the
    account's unreserved pool. A new account's concurrency quota can be as low as 10 and AWS
    keeps a minimum unreserved, so any reservation can fail the first deploy there."""

    reserved_concurrency: int | None = None
    # Set when the function connects to a MongoDB-compatible database: its client's maxPoolSize
    # (DOCDB_MAX_POOL_SIZE), counted in the DocumentDB connection budget. None: no database.
    docdb_max_pool_size: int | None = None

    def validate(self, prefix: str) -> None:
        super().validate(prefix)
        if self.reserved_concurrency is not None:
            _check_range(f"{prefix}.reserved_concurrency", self.reserved_concurrency, 1, 1000)
        if self.docdb_max_pool_size is not None:
            _check_range(f"{prefix}.docdb_max_pool_size", self.docdb_max_pool_size, 1, 100)


@dataclass(frozen=True, kw_only=True)
class WorkerSettings(_Sizing):
    """The SQS consumer. Never reserved concurrency: the event source keeps polling past a
    reservation, so the function throttles, and throttles trip the alarm that pages and rolls
    the deployment back. The event source's MaximumConcurrency caps it instead (2 to 1000)."""

    max_concurrency: int

    def validate(self, prefix: str) -> None:
        super().validate(prefix)
        _check_range(f"{prefix}.max_concurrency", self.max_concurrency, 2, 1000)


# Marks the field that holds one settings table per service (ComputeConfig.functions).
SERVICE_TABLES = "service_tables"


def settings_type(entry: Service) -> type[FunctionSettings] | type[WorkerSettings]:
    """The settings table a service takes: an HTTP function's or a queue consumer's."""
    return FunctionSettings if entry.http else WorkerSettings


def default_settings(entry: Service) -> dict[str, int]:
    """The values of ``[compute.<service>]`` a stage file may leave out (the entry's)."""
    values = {"memory_mb": entry.memory_mb, "timeout_seconds": entry.timeout_seconds}
    if not entry.http:
        values["max_concurrency"] = entry.max_concurrency
    elif entry.docdb_max_pool_size is not None:
        values["docdb_max_pool_size"] = entry.docdb_max_pool_size
    return values


@dataclass(frozen=True, kw_only=True)
class ComputeConfig:
    # One [compute.<service>] table per entry of stacks.services.SERVICES, keyed by its name
    # (the loader and the overrides read these tables in place of a field; SERVICE_TABLES).
    functions: dict[str, FunctionSettings | WorkerSettings] = field(metadata={SERVICE_TABLES: True})
    deployment_config: str
    legacy_origin_domain: str
    sender_email: str
    throttle_rate_limit: int
    throttle_burst_limit: int
    pre_traffic_hook: bool
    # The SES identity that authorizes sender_email: its domain (created with Easy DKIM; the
    # default), the address itself (created; SES mails a verification link), or the ARN of an
    # identity that already exists (left alone). The worker may send through it only.
    ses_identity: str | None = None
    # Function and access-log retention; Powertools and Lambda's JSON log filter level.
    log_retention_days: int = 14
    # The HTTP API's access logs: retained (not deleted with the stack) in stages that protect
    # data, which must keep them at least PROTECTED_ACCESS_LOG_DAYS.
    access_log_retention_days: int = 14
    log_level: str = "INFO"
    # Lambda's own (platform) log lines: INFO writes platform.start and platform.report per
    # invocation (the dashboard's init-duration widget reads the report); WARN drops both.
    system_log_level: str = "INFO"
    # "The new functions use the legacy database until the end" (docs/data-migration.md):
    # the tasks function reads its connection from this existing secret (host, port,
    # username, password, optional tls_ca_pem/tls/replica_set/retry_writes) instead of the
    # Data stack's DocumentDB secret. null: the DocumentDB secret.
    tasks_db_secret_arn: str | None = None
    # The customer managed key that encrypts that secret, if any (kms:Decrypt is granted on it).
    tasks_db_secret_kms_key_arn: str | None = None
    # Where that database is reached from the VPC: its address range (VPN/peering CIDR, or
    # the public address /32 through the NAT) and port. The function SG gets exactly this egress.
    tasks_db_cidr: str | None = None
    tasks_db_port: int = 27017
    # Lambda SnapStart on the published versions (the ``live`` alias) of every function: a
    # restore from a snapshot taken after init instead of an init per cold start. Lambda
    # refuses it together with provisioned concurrency, EFS or ephemeral storage above
    # 512 MB; no function here configures any of those (CanaryFunction exposes none of them).
    snap_start: bool = False

    def function(self, name: str) -> FunctionSettings:
        """The settings of the HTTP service ``name``."""
        settings = self.functions[name]
        if not isinstance(settings, FunctionSettings):
            raise TypeError(f"{name} is not an HTTP service")
        return settings

    def worker(self, name: str) -> WorkerSettings:
        """The settings of the queue consumer ``name``."""
        settings = self.functions[name]
        if not isinstance(settings, WorkerSettings):
            raise TypeError(f"{name} is not a queue consumer")
        return settings

    def database_functions(self) -> list[tuple[str, FunctionSettings]]:
        """The API functions that connect to a database (``docdb_max_pool_size`` set)."""
        functions = [(entry.name, self.function(entry.name)) for entry in services.http()]
        return [(name, fn) for name, fn in functions if fn.docdb_max_pool_size is not None]

    def validate(self, prefix: str) -> None:
        for entry in services.SERVICES:
            settings = self.functions.get(entry.name)
            if not isinstance(settings, settings_type(entry)):
                _fail(f"{prefix}.{entry.name}", settings, f"a [compute.{entry.name}] table")
            settings.validate(f"{prefix}.{entry.name}")
            if entry.http:
                # API Gateway gives up on an integration after 30 seconds.
                _check_range(
                    f"{prefix}.{entry.name}.timeout_seconds", settings.timeout_seconds, 1, 29
                )
        unknown = sorted(set(self.functions) - {entry.name for entry in services.SERVICES})
        if unknown:
            _fail(f"{prefix}.{unknown[0]}", unknown[0], "a service of stacks/services.py")
        _check_choice(f"{prefix}.deployment_config", self.deployment_config, DEPLOYMENT_CONFIGS)
        _check_domain(f"{prefix}.legacy_origin_domain", self.legacy_origin_domain)
        _check_email(f"{prefix}.sender_email", self.sender_email)
        self._check_ses_identity(f"{prefix}.ses_identity")
        _check_range(f"{prefix}.throttle_rate_limit", self.throttle_rate_limit, 1, 10000)
        _check_range(f"{prefix}.throttle_burst_limit", self.throttle_burst_limit, 1, 5000)
        for name in ("log_retention_days", "access_log_retention_days"):
            _check_choice(f"{prefix}.{name}", getattr(self, name), LOG_RETENTION_DAYS)
        _check_choice(f"{prefix}.log_level", self.log_level, LOG_LEVELS)
        _check_choice(f"{prefix}.system_log_level", self.system_log_level, SYSTEM_LOG_LEVELS)
        _check_secret_arn(f"{prefix}.tasks_db_secret_arn", self.tasks_db_secret_arn)
        _check_arn(f"{prefix}.tasks_db_secret_kms_key_arn", self.tasks_db_secret_kms_key_arn, "kms")
        _check_cidr(f"{prefix}.tasks_db_cidr", self.tasks_db_cidr)
        _check_range(f"{prefix}.tasks_db_port", self.tasks_db_port, 1, 65535)
        if (self.tasks_db_secret_arn is None) != (self.tasks_db_cidr is None):
            _fail(
                f"{prefix}.tasks_db_cidr",
                self.tasks_db_cidr,
                "a CIDR exactly when tasks_db_secret_arn is set (the function must reach it)",
            )
        if self.tasks_db_secret_kms_key_arn is not None and self.tasks_db_secret_arn is None:
            _fail(
                f"{prefix}.tasks_db_secret_kms_key_arn",
                self.tasks_db_secret_kms_key_arn,
                "null unless tasks_db_secret_arn is set",
            )

    @property
    def ses_identity_name(self) -> str:
        """The identity SES authorizes the sender against: a domain or an email address."""
        identity = self.ses_identity or self.sender_email.rpartition("@")[2]
        return identity.partition(":identity/")[2] if identity.startswith("arn:") else identity

    @property
    def ses_identity_arn(self) -> str | None:
        """The ARN of an existing identity to use instead of creating one, else None."""
        identity = self.ses_identity
        return identity if identity is not None and identity.startswith("arn:") else None

    def _check_ses_identity(self, path: str) -> None:
        identity = self.ses_identity
        if identity is None:
            return
        sender = self.sender_email.lower()
        domain = sender.rpartition("@")[2]
        if identity.startswith("arn:"):
            _check_arn(path, identity, "ses")
            if self.ses_identity_name.lower() not in (sender, domain):
                _fail(
                    path,
                    identity,
                    "arn:aws:ses:<region>:<account>:identity/<sender_email or its domain>",
                )
        elif "@" in identity:
            if identity.lower() != sender:
                _fail(path, identity, f"sender_email itself ({self.sender_email}) or its domain")
        elif identity != domain:
            _fail(path, identity, f"sender_email's domain ({domain}), the address, or an SES ARN")


@dataclass(frozen=True, kw_only=True)
class MigrationConfig:
    """The optional Taskly-<stage>-Migration stack: DMS Serverless, legacy MongoDB -> DocumentDB.

    Off by default: it exists for the weeks of a migration (docs/data-migration.md), and a
    running replication costs DCU-hours. Enabling it needs the legacy side's values below.
    """

    enabled: bool = False
    # The legacy MongoDB as DMS reaches it (VPN/peering private name or public TLS name).
    source_host: str | None = None
    source_port: int = 27017
    # Its address range as seen from the VPC; the DMS security group gets egress to exactly it.
    source_cidr: str | None = None
    source_database: str = "taskly"
    source_auth_source: str = "admin"
    # An existing secret (username, password, host, port) for the legacy MongoDB; null: the
    # stack creates one with a generated password for a new read-only DMS user.
    source_secret_arn: str | None = None
    source_secret_kms_key_arn: str | None = None
    # The CA that signed the legacy server's certificate (DMS verifies it: sslMode verify-full).
    source_ca_file: str | None = None
    min_capacity_units: int = 1
    max_capacity_units: int = 4
    multi_az: bool = False
    # CDCLatencySource/Target above this many seconds for 15 minutes pages the alarm topic.
    cdc_latency_alarm_seconds: int = 300
    # dms-vpc-role and dms-cloudwatch-logs-role have fixed names, one per account. true: this
    # stage creates them, in the Taskly-DmsAccountRoles stack that `make deploy-dms-roles`
    # deploys before the stage (never in the stage's own deploy: IAM propagation); false: the
    # account already has them (the DMS console creates them on first use). Preflight checks.
    create_account_roles: bool = True

    def validate(self, prefix: str) -> None:
        if not isinstance(self.enabled, bool):
            _fail(f"{prefix}.enabled", self.enabled, "true or false")
        _check_range(f"{prefix}.source_port", self.source_port, 1, 65535)
        _check_cidr(f"{prefix}.source_cidr", self.source_cidr)
        _check_secret_arn(f"{prefix}.source_secret_arn", self.source_secret_arn)
        _check_arn(f"{prefix}.source_secret_kms_key_arn", self.source_secret_kms_key_arn, "kms")
        _check_pem_file(f"{prefix}.source_ca_file", self.source_ca_file)
        for name in ("min_capacity_units", "max_capacity_units"):
            _check_choice(f"{prefix}.{name}", getattr(self, name), DMS_CAPACITY_UNITS)
        if self.min_capacity_units > self.max_capacity_units:
            _fail(f"{prefix}.min_capacity_units", self.min_capacity_units, "<= max_capacity_units")
        _check_range(
            f"{prefix}.cdc_latency_alarm_seconds", self.cdc_latency_alarm_seconds, 10, 86_400
        )
        for name in ("source_database", "source_auth_source"):
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", str(getattr(self, name))):
                _fail(f"{prefix}.{name}", getattr(self, name), "a MongoDB database name")
        if not self.enabled:
            return
        if self.source_host is None:
            _fail(f"{prefix}.source_host", None, "the legacy MongoDB's DNS name when enabled")
        _check_domain(f"{prefix}.source_host", self.source_host)
        for name in ("source_cidr", "source_ca_file"):
            if getattr(self, name) is None:
                _fail(f"{prefix}.{name}", None, "a value when migration is enabled")


@dataclass(frozen=True, kw_only=True)
class EdgeConfig:
    price_class: str
    domain_name: str | None = None
    # ACM certificate in us-east-1 (CloudFront reads certificates only from there).
    certificate_arn: str | None = None
    # WAFv2 web ACL with scope CLOUDFRONT, created in us-east-1.
    web_acl_arn: str | None = None

    def validate(self, prefix: str) -> None:
        _check_choice(f"{prefix}.price_class", self.price_class, PRICE_CLASSES)
        if self.domain_name is not None:
            _check_domain(f"{prefix}.domain_name", self.domain_name)
        if self.domain_name is not None and self.certificate_arn is None:
            raise ConfigError(
                f"{prefix}.certificate_arn is missing: edge.domain_name "
                f"({self.domain_name}) needs an issued ACM certificate in us-east-1 covering it; "
                "set edge.certificate_arn too (arn:aws:acm:us-east-1:<account>:certificate/<id>)"
            )
        if self.domain_name is None and self.certificate_arn is not None:
            raise ConfigError(
                f"{prefix}.domain_name is missing: edge.certificate_arn is used only for a custom "
                "domain; set edge.domain_name to the name it covers, or remove the certificate"
            )
        _check_arn(f"{prefix}.certificate_arn", self.certificate_arn, "acm")
        _check_arn(f"{prefix}.web_acl_arn", self.web_acl_arn, "wafv2")
        for arn_field in ("certificate_arn", "web_acl_arn"):
            arn = getattr(self, arn_field)
            if arn is not None and arn.split(":")[3] != "us-east-1":
                _fail(f"{prefix}.{arn_field}", arn, "an ARN in us-east-1 (CloudFront's region)")
        if self.web_acl_arn is not None and ":global/webacl/" not in self.web_acl_arn:
            _fail(
                f"{prefix}.web_acl_arn",
                self.web_acl_arn,
                "a web ACL with scope CLOUDFRONT (arn:aws:wafv2:us-east-1:...:global/webacl/...)",
            )


@dataclass(frozen=True, kw_only=True)
class OpsConfig:
    # Receive every alarm that needs a person and both budget alerts (each confirms once).
    alarm_emails: tuple[str, ...]
    monthly_budget_usd: int
    # Per DocumentDB instance: the alarm fires when its connections (DatabaseConnectionsMax)
    # reach this share of its current limit (DatabaseConnectionsLimit). The connection budget at
    # minimum capacity must stay at or below it, so a legitimate peak never pages.
    docdb_connections_alarm_percent: int = 80
    docdb_cpu_alarm_percent: int = 80
    # False: the budget watches the whole account (right when each stage has its own account,
    # and never silent). True: only costs tagged stage=<name>, which needs the `stage` tag
    # activated as a cost allocation tag first, or the budget sees nothing at all.
    budget_filter_by_stage_tag: bool = False

    def validate(self, prefix: str) -> None:
        if not 1 <= len(self.alarm_emails) <= MAX_BUDGET_RECIPIENTS:
            _fail(
                f"{prefix}.alarm_emails",
                self.alarm_emails,
                f"1 to {MAX_BUDGET_RECIPIENTS} addresses (the budget alerts need a recipient)",
            )
        for email in self.alarm_emails:
            _check_email(f"{prefix}.alarm_emails", email)
        if len({email.lower() for email in self.alarm_emails}) != len(self.alarm_emails):
            _fail(f"{prefix}.alarm_emails", self.alarm_emails, "no duplicates")
        _check_range(f"{prefix}.monthly_budget_usd", self.monthly_budget_usd, 1, 1_000_000)
        _check_range(
            f"{prefix}.docdb_connections_alarm_percent",
            self.docdb_connections_alarm_percent,
            50,
            95,
        )
        _check_range(f"{prefix}.docdb_cpu_alarm_percent", self.docdb_cpu_alarm_percent, 1, 99)
        if not isinstance(self.budget_filter_by_stage_tag, bool):
            _fail(
                f"{prefix}.budget_filter_by_stage_tag",
                self.budget_filter_by_stage_tag,
                "true or false",
            )


@dataclass(frozen=True, kw_only=True)
class ConnectionBudget:
    """Connections per DocumentDB instance by client, against one instance's limit at the
    minimum capacity; ``allowed`` is the share below the connections alarm."""

    demand: tuple[tuple[str, int], ...]
    capacity: float
    limit: int
    alarm_percent: int

    @property
    def total(self) -> int:
        return sum(connections for _, connections in self.demand)

    @property
    def allowed(self) -> int:
        return self.limit * self.alarm_percent // 100

    def summary(self) -> str:
        return " + ".join(f"{what} = {connections}" for what, connections in self.demand)


def _check_environment(account: str | None, region: str | None) -> None:
    if account is not None and not _ACCOUNT.match(account):
        _fail("account", account, "a 12-digit AWS account id")
    if region is not None and not _REGION.match(region):
        _fail("region", region, "an AWS region such as eu-west-1")


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    name: str
    account: str | None
    region: str | None
    network: NetworkConfig
    data: DataConfig
    auth: AuthConfig
    compute: ComputeConfig
    edge: EdgeConfig
    ops: OpsConfig
    migration: MigrationConfig = field(default_factory=MigrationConfig)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_choice("stage", self.name, STAGES)
        _check_environment(self.account, self.region)
        if self.tags.get("stage", self.name) != self.name:
            _fail(f"{self.name}.tags.stage", self.tags["stage"], repr(self.name))
        for section in _SECTIONS:
            getattr(self, section).validate(f"{self.name}.{section}")
        self._check_public_database_paths()
        self._check_protected_trail()
        self._check_callbacks_on_custom_domain()
        ses_arn = self.compute.ses_identity_arn
        if ses_arn is not None and self.region is not None and ses_arn.split(":")[3] != self.region:
            _fail(
                f"{self.name}.compute.ses_identity",
                ses_arn,
                f"an identity in {self.region}, the stage's region (SES sends from there)",
            )
        if self.migration.enabled and "secretsmanager" not in self.network.interface_endpoints:
            # DMS Serverless reaches Secrets Manager only through a VPC endpoint
            # (docs.aws.amazon.com/dms/latest/userguide/CHAP_Serverless.Limitations.html).
            _fail(
                f"{self.name}.network.interface_endpoints",
                self.network.interface_endpoints,
                "to include secretsmanager when migration.enabled (DMS Serverless reads the "
                "endpoint secrets only through a VPC endpoint)",
            )
        self._check_docdb_connection_budget()

    def docdb_connection_budget(self) -> ConnectionBudget:
        """What may connect to each DocumentDB instance at once, against the limit of an
        instance at the minimum capacity. Every client reaches every instance (a replica-set
        client monitors each member and pools to each it reads from), so the sum is per instance.
        """
        demand: list[tuple[str, int]] = []
        for name, settings in self.compute.database_functions():
            if self.compute.tasks_db_secret_arn is not None:
                continue  # the database functions use the legacy database, not DocumentDB
            environments = settings.reserved_concurrency or self.data.docdb_unreserved_environments
            assert settings.docdb_max_pool_size is not None  # noqa: S101 - database_functions
            per_environment = settings.docdb_max_pool_size + PYMONGO_MONITOR_CONNECTIONS
            demand.append(
                (
                    f"{name}: {environments} environments x {per_environment}",
                    environments * per_environment,
                )
            )
        if self.data.docdb_legacy_processes:
            per_process = self.data.docdb_legacy_max_pool_size + NODE_DRIVER_MONITOR_CONNECTIONS
            processes = self.data.docdb_legacy_processes
            demand.append(
                (f"legacy: {processes} processes x {per_process}", processes * per_process)
            )
        if self.migration.enabled:
            demand.append(("DMS", self.data.docdb_dms_connections))
        capacity = self.data.docdb_serverless_min_capacity
        limit = max(
            connections
            for dcus, connections in DOCDB_SERVERLESS_CONNECTION_LIMITS
            if dcus <= capacity
        )
        return ConnectionBudget(
            demand=tuple(demand),
            capacity=capacity,
            limit=limit,
            alarm_percent=self.ops.docdb_connections_alarm_percent,
        )

    def _check_docdb_connection_budget(self) -> None:
        for entry in services.SERVICES:
            if "database" not in entry.uses:
                continue
            service = entry.name
            if self.compute.function(service).docdb_max_pool_size is None:
                _fail(
                    f"{self.name}.compute.{service}.docdb_max_pool_size",
                    None,
                    f"an integer from 1 to 100 (the {service} function connects to the database)",
                )
        if self.data.docdb_instance_class != "serverless":
            # Provisioned instances have a fixed limit per class that this budget does not know.
            return
        budget = self.docdb_connection_budget()
        if budget.total > budget.allowed:
            _fail(
                f"{self.name}.data.docdb_serverless_min_capacity",
                budget.capacity,
                f"a minimum capacity whose limit fits the connection budget: {budget.total} "
                f"connections per instance ({budget.summary()}) exceed "
                f"{budget.alarm_percent}% of the {budget.limit} an instance allows at "
                f"{budget.capacity:g} DCU ({budget.allowed}); raise the minimum capacity, or "
                "lower reserved concurrency or the pools",
            )

    def _check_public_database_paths(self) -> None:
        """A legacy database on a public address is reached through the NAT; a NAT instance
        forwards only the functions' HTTPS (cdk_constructs/private_network.py), so it would
        drop the database traffic silently. Private ranges (VPN, peering) do not use the NAT."""
        if self.network.nat_instance_type is None:
            return
        paths = {"compute.tasks_db_cidr": self.compute.tasks_db_cidr}
        if self.migration.enabled:
            paths["migration.source_cidr"] = self.migration.source_cidr
        for name, cidr in paths.items():
            if cidr is not None and not _is_private_range(cidr):
                _fail(
                    f"{self.name}.{name}",
                    cidr,
                    "a private range (VPN or peering) while network.nat_instance_type is set: "
                    "the NAT instance forwards only HTTPS; unset it to use the NAT gateway",
                )

    def _check_protected_trail(self) -> None:
        days = self.compute.access_log_retention_days
        if self.data.protect_data and days < PROTECTED_ACCESS_LOG_DAYS:
            _fail(
                f"{self.name}.compute.access_log_retention_days",
                days,
                f"at least {PROTECTED_ACCESS_LOG_DAYS} in a stage that protects data (audit trail)",
            )

    def _check_callbacks_on_custom_domain(self) -> None:
        domain = self.edge.domain_name
        if domain is None:
            return
        for name in ("callback_urls", "logout_urls"):
            for url in getattr(self.auth, name):
                host = urlsplit(url).hostname
                if host not in (domain, "localhost"):
                    _fail(
                        f"{self.name}.auth.{name}",
                        url,
                        f"URLs on the stage's custom domain {domain} (edge.domain_name) or "
                        "http://localhost",
                    )

    def stack_name(self, component: str) -> str:
        return stack_name(self.name, component)

    def total_reserved_concurrency(self) -> int:
        """What the stage takes out of the account's unreserved Lambda concurrency."""
        return sum(
            self.compute.function(entry.name).reserved_concurrency or 0 for entry in services.http()
        )
