"""Stage configuration: one frozen StageConfig per stage, loaded from ``config/<stage>.toml``.

Only ``app.py`` chooses a stage and reads context; stacks and constructs receive plain
values from here. The loader rejects unknown, missing and mistyped keys, and every value is
checked in ``__post_init__``, so a typo stops ``cdk synth`` with one line naming the file and
the field (``ConfigError``), not a CloudFormation failure an hour later.

Forks change a stage's values in its TOML file (TOML: Python reads it with the standard
``tomllib``, it allows comments, and it has no implicit typing like YAML's ``no`` -> false).
For one-off values without editing a file, ``app.py`` accepts
``-c taskly:<section>.<field>=<value>`` overrides (see README).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

STAGE_NAMES = ("dev", "staging", "prod")
# Replaced by the account id in auth.domain_prefix (by CloudFormation when synth has none).
ACCOUNT_PLACEHOLDER = "{account}"
# Cognito's limit for a hosted-domain prefix.
MAX_DOMAIN_PREFIX = 63
# Protected stages keep the HTTP API's access logs at least this long (an audit trail).
PROTECTED_ACCESS_LOG_DAYS = 365
# One TOML file per stage: config/<stage>.toml.
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

# CodeDeploy's predefined Lambda configs, spelled as the Python attributes of
# aws_codedeploy.LambdaDeploymentConfig (CANARY_10_PERCENT_5_MINUTES is
# CodeDeployDefault.LambdaCanary10Percent5Minutes).
DEPLOYMENT_CONFIGS = (
    "ALL_AT_ONCE",
    "CANARY_10_PERCENT_5_MINUTES",
    "CANARY_10_PERCENT_10_MINUTES",
    "CANARY_10_PERCENT_15_MINUTES",
    "CANARY_10_PERCENT_30_MINUTES",
    "LINEAR_10_PERCENT_EVERY_1_MINUTE",
    "LINEAR_10_PERCENT_EVERY_2_MINUTES",
    "LINEAR_10_PERCENT_EVERY_3_MINUTES",
    "LINEAR_10_PERCENT_EVERY_10_MINUTES",
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Lambda's system (platform) log levels (LoggingConfig.SystemLogLevel).
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
# Interface endpoints the Lambda functions can use without the NAT gateway.
INTERFACE_ENDPOINTS = ("secretsmanager", "sqs", "xray", "logs", "monitoring", "kms")
DOCDB_INSTANCE_CLASSES = ("serverless", "t4g.medium", "r6g.large", "r6g.xlarge", "r6g.2xlarge")
# The CloudWatch Logs retention periods that cdk_constructs.retention maps.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
PRICE_CLASSES = ("PRICE_CLASS_100", "PRICE_CLASS_200", "PRICE_CLASS_ALL")
# Graviton burstable types for a NAT instance (the AMI is the arm64 Amazon Linux 2023).
NAT_INSTANCE_TYPES = ("t4g.nano", "t4g.micro", "t4g.small", "t4g.medium")
# AWS Budgets accepts at most ten email subscribers per notification.
MAX_BUDGET_RECIPIENTS = 10
# DocumentDB Serverless limits connections by an instance's CURRENT capacity, and the number of
# connections is not a signal that scales an instance up: the connection budget must fit the
# limit at the minimum capacity. "Connections (all)" per instance by capacity (DCUs), from the
# DocumentDB developer guide, "Amazon DocumentDB serverless instance limits". A capacity between
# two rows gets the lower row's limit. The guide lists 7,250 for 1.5 DCU, out of line with its
# 500 per DCU everywhere else; the conservative 750 is used.
DOCDB_SERVERLESS_CONNECTION_LIMITS = (
    (0.5, 250),
    (1, 500),
    (1.5, 750),
    (2, 1000),
    (4, 2000),
    (8, 4000),
    (16, 8000),
    (32, 16000),
    (64, 32000),
    (128, 60000),
    (256, 60000),
)
# Monitoring sockets one PyMongo client holds to EACH server (instance) besides its pool: the
# monitor only. The RTT monitor exists only with the streaming protocol, which create_client turns
# off (serverMonitoringMode="poll", also PyMongo's default on Lambda;
# lambda_src/taskly/data/documentdb.py). A test counts them against a real server.
PYMONGO_MONITOR_CONNECTIONS = 1
# The Node driver the legacy backend uses (mongodb 7.x): a monitor and an RTT pinger per server
# when it streams; counted both, whatever the server supports.
NODE_DRIVER_MONITOR_CONNECTIONS = 2

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_AMI = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
REPOSITORY = Path(__file__).resolve().parents[1]
# DMS Serverless accepts only these capacities (ComputeConfig Min/MaxCapacityUnits, in DCUs).
DMS_CAPACITY_UNITS = (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384)


_SECTIONS = ("network", "data", "auth", "compute", "edge", "ops", "migration")


class ConfigError(ValueError):
    """A stage value is invalid; the message is one line naming the field and what is valid."""


def _fail(path: str, value: object, expected: str) -> NoReturn:
    raise ConfigError(f"{path}: {value!r} is invalid; expected {expected}")


def _check_choice(path: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices:
        _fail(path, value, "one of " + ", ".join(map(str, choices)))


def _check_range(path: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(path, value, f"an integer from {low} to {high}")


def _check_email(path: str, value: str) -> None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        _fail(path, value, "an email address like ops@example.com")


def _check_domain(path: str, value: str) -> None:
    if not isinstance(value, str) or not _DOMAIN.match(value):
        _fail(path, value, "a lower-case DNS name like api.example.com (no scheme, no path)")


def _check_https_urls(path: str, values: tuple[str, ...]) -> None:
    if not values:
        _fail(path, values, "at least one https:// URL")
    for url in values:
        host_ok = url.startswith("http://localhost") or url.startswith("https://")
        if not isinstance(url, str) or not host_ok or " " in url:
            _fail(path, url, "https:// URLs (http://localhost is allowed for development)")


def _check_arn(path: str, value: str | None, service: str) -> None:
    if value is not None and (not _ARN.match(value) or value.split(":")[2] != service):
        _fail(path, value, f"a {service} ARN or null")


def _check_secret_arn(path: str, value: str | None) -> None:
    """A complete secret ARN (with its 6-character suffix): IAM grants name it exactly."""
    _check_arn(path, value, "secretsmanager")
    if value is not None and not re.search(r":secret:.+-[A-Za-z0-9]{6}$", value):
        _fail(
            path,
            value,
            "a complete secret ARN ending in -XXXXXX (aws secretsmanager describe-secret)",
        )


def _check_cidr(path: str, value: str | None) -> None:
    if value is None:
        return
    try:
        ipaddress.IPv4Network(value)
    except (TypeError, ValueError):
        _fail(path, value, "an IPv4 CIDR such as 203.0.113.10/32, or null")


# Ranges a VPN or peering connection uses; anything else is reached through the NAT.
_PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def _is_private_range(cidr: str) -> bool:
    network = ipaddress.IPv4Network(cidr)
    return any(network.subnet_of(private) for private in _PRIVATE_RANGES)


def _check_pem_file(path: str, value: str | None) -> None:
    """A certificate file inside the repository (synth reads it; CI has no other files)."""
    if value is None:
        return
    file = REPOSITORY / value
    expected = "a repository-relative path to a PEM certificate file, e.g. certs/legacy-ca.pem"
    if not isinstance(value, str) or value.startswith("/") or ".." in Path(value).parts:
        _fail(path, value, expected)
    if not file.is_file() or "-----BEGIN CERTIFICATE-----" not in file.read_text(errors="replace"):
        _fail(path, value, expected)


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


@dataclass(frozen=True, kw_only=True)
class ComputeConfig:
    tasks: FunctionSettings
    profile: FunctionSettings
    email_worker: WorkerSettings
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

    def database_functions(self) -> list[tuple[str, FunctionSettings]]:
        """The API functions that connect to a database (``docdb_max_pool_size`` set)."""
        functions = [(name, getattr(self, name)) for name in ("tasks", "profile")]
        return [(name, fn) for name, fn in functions if fn.docdb_max_pool_size is not None]

    def validate(self, prefix: str) -> None:
        for name in ("tasks", "profile", "email_worker"):
            getattr(self, name).validate(f"{prefix}.{name}")
        for name in ("tasks", "profile"):
            # API Gateway gives up on an integration after 30 seconds.
            _check_range(
                f"{prefix}.{name}.timeout_seconds", getattr(self, name).timeout_seconds, 1, 29
            )
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
        if (self.domain_name is None) != (self.certificate_arn is None):
            _fail(
                f"{prefix}.certificate_arn",
                self.certificate_arn,
                "an ACM ARN exactly when domain_name is set",
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
        _check_choice("stage", self.name, STAGE_NAMES)
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
        for service in ("tasks", "profile"):
            if getattr(self.compute, service).docdb_max_pool_size is None:
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
        return f"Taskly-{self.name}-{component}"

    def total_reserved_concurrency(self) -> int:
        """What the stage takes out of the account's unreserved Lambda concurrency."""
        return sum(
            settings.reserved_concurrency or 0
            for settings in (self.compute.tasks, self.compute.profile)
        )


# Set by stage_config's arguments, never by the stage file or an override.
_ENVIRONMENT_FIELDS = ("name", "account", "region")


def _override_keys() -> dict[str, Any]:
    """Every value an override can set, dotted (``compute.tasks.memory_mb``), with its type."""
    keys: dict[str, Any] = {}

    def walk(cls: type[Any], prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if not prefix and item.name in _ENVIRONMENT_FIELDS:
                continue
            path = _dotted(prefix, item.name)
            if dataclasses.is_dataclass(hints[item.name]):
                walk(hints[item.name], path)
            else:
                keys[path] = hints[item.name]

    walk(StageConfig, "")
    return keys


# How a ``-c`` string spells each scalar type, and how it becomes one.
_OVERRIDE_SCALARS: dict[Any, tuple[str, typing.Callable[[str], Any]]] = {
    bool: ("true|false", lambda raw: raw == "true"),
    int: (r"-?\d+", int),
    float: (r"-?\d+(\.\d+)?", float),
    str: (r"(?s).*", str),
}


def _override_value(raw: object, hint: Any, key: str, path: str) -> Any:
    """A ``-c`` string parsed for a field of type ``hint``; other context values are typed.

    Strict on purpose: ``no``, ``False`` or ``1`` for a boolean would otherwise become a
    truthy string, and a bare string for a list a one-item list nobody asked for.
    """
    if not isinstance(raw, str):
        return _typed(raw, hint, path)
    inner = _optional_inner(hint)
    if inner is not None:
        return None if raw == "null" else _override_value(raw, inner, key, path)
    if hint in _OVERRIDE_SCALARS:
        pattern, parse = _OVERRIDE_SCALARS[hint]
        if not re.fullmatch(pattern, raw):
            _fail(path, raw, _describe(hint))
        return parse(raw)
    container = list if typing.get_origin(hint) is tuple else dict
    example = '["..."]' if container is list else '{"key": "value"}'
    noun = _describe(hint).removeprefix("a ").replace("table", "object")
    expected = f"a JSON {noun}, e.g. -c 'taskly:{key}={example}'"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        _fail(path, raw, expected)
    if not isinstance(value, container):
        _fail(path, raw, expected)
    return _typed(value, hint, path)


def _replaced(config: Any, parts: list[str], value: object) -> Any:
    """``config`` with the field at ``parts`` set to ``value`` (validated on the way back)."""
    head, *rest = parts
    new = value if not rest else _replaced(getattr(config, head), rest, value)
    return dataclasses.replace(config, **{head: new})


def apply_overrides(config: StageConfig, overrides: dict[str, object]) -> StageConfig:
    """Return ``config`` with ``{"section.field": value}`` replaced, validated again.

    Values from ``-c`` arrive as strings: booleans take ``true``/``false``, numbers their
    digits, lists and tables JSON, optional values ``null``. All overrides apply before the
    one validation, so values that are valid only together (``migration.enabled`` with its
    source settings) can be given together.
    """
    keys = _override_keys()
    sections: dict[str, Any] = {}
    for key, raw in sorted(overrides.items()):
        if key not in keys:
            raise ConfigError(f"unknown override {key!r}; valid keys: {', '.join(sorted(keys))}")
        value = _override_value(raw, keys[key], key, f"{config.name}.{key}")
        head, *rest = key.split(".")
        # Sections validate only inside StageConfig, so replacing them here checks nothing yet.
        sections[head] = (
            _replaced(sections.get(head, getattr(config, head)), rest, value) if rest else value
        )
    return dataclasses.replace(config, **sections) if sections else config


def _describe(hint: Any) -> str:
    """What a value of type ``hint`` looks like, for the one-line error."""
    inner = _optional_inner(hint)
    if inner is not None:
        return _describe(inner)
    if dataclasses.is_dataclass(hint):
        return "a table"
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list of " + _describe(typing.get_args(hint)[0]).removeprefix("a ") + "s"
    if origin is dict:
        return "a table of " + _describe(typing.get_args(hint)[1]).removeprefix("a ") + "s"
    return _TYPE_NAMES[hint]


_TYPE_NAMES: dict[Any, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
}


def _optional_inner(hint: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return inner
    return None


def _is_optional(hint: Any) -> bool:
    return _optional_inner(hint) is not None


def _typed(value: object, hint: Any, path: str) -> Any:
    """``value`` checked against ``hint`` (lists become tuples); ConfigError names ``path``."""
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else _typed(value, inner, path)
    if dataclasses.is_dataclass(hint):
        return _build(cast(type, hint), value, path=path)
    origin = typing.get_origin(hint)
    if origin is tuple and isinstance(value, list | tuple):
        item = typing.get_args(hint)[0]
        if all(_matches(element, item) for element in value):
            return tuple(value)
    elif origin is dict and isinstance(value, dict):
        key_type, value_type = typing.get_args(hint)
        if all(_matches(k, key_type) and _matches(v, value_type) for k, v in value.items()):
            return dict(value)
    elif origin is None and _matches(value, hint):
        return value
    _fail(path, value, _describe(hint))


def _matches(value: object, hint: type) -> bool:
    if hint is float:
        # TOML writes 2 for 2.0; both are numbers of DocumentDB capacity units.
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _build(cls: type[Any], table: object, *, path: str) -> Any:
    """An instance of dataclass ``cls`` from a TOML table (see ``_field_values``)."""
    return cls(**_field_values(cls, table, path=path))


def _field_values(
    cls: type[Any], table: object, *, path: str, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``cls``'s field values from a TOML table: no unknown, missing or mistyped key.

    A field with a default, or an optional (``X | None``) one, may be left out; TOML has no
    null, so leaving an optional key out is how a file says "unset".
    """
    if not isinstance(table, dict):
        _fail(path, table, "a table")
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name not in skip]
    names = sorted(f.name for f in fields)
    for key in table:
        if key not in names:
            where = f"[{path}]" if path else "the top level"
            raise ConfigError(
                f"unknown key {_dotted(path, key)!r}; valid keys in {where}: {', '.join(names)}"
            )
    values: dict[str, Any] = {}
    for f in fields:
        dotted = _dotted(path, f.name)
        if f.name in table:
            values[f.name] = _typed(table[f.name], hints[f.name], dotted)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            if not _is_optional(hints[f.name]):
                raise ConfigError(f"missing key {dotted!r}; expected {_describe(hints[f.name])}")
            values[f.name] = None
    return values


def _dotted(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def config_file(name: str) -> Path:
    """The data file that holds stage ``name``'s values."""
    return CONFIG_DIR / f"{name}.toml"


def stage_config(name: str, *, account: str | None, region: str | None) -> StageConfig:
    """Load, type-check and validate ``config/<name>.toml`` (``ConfigError``: one line)."""
    if name not in STAGE_NAMES:
        raise ConfigError(f"unknown stage {name!r}; choose one of: {', '.join(STAGE_NAMES)}")
    _check_environment(account, region)
    path = config_file(name)
    source = f"{CONFIG_DIR.name}/{path.name}"
    try:
        with path.open("rb") as stream:
            table = tomllib.load(stream)
        values = _field_values(StageConfig, table, path="", skip=_ENVIRONMENT_FIELDS)
        if account is not None:
            auth = values["auth"]
            values["auth"] = dataclasses.replace(
                auth, domain_prefix=auth.domain_prefix.replace(ACCOUNT_PLACEHOLDER, account)
            )
        return StageConfig(name=name, account=account, region=region, **values)
    except OSError as error:
        raise ConfigError(f"{source}: cannot read the stage file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


# Placeholders: values a fork must replace before a real deploy. They are ordinary, valid
# values (synth works offline with them) under names that can never be real: the domains
# RFC 2606 reserves for documentation and an ARN in account 000000000000, which AWS never
# issues.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example")
PLACEHOLDER_ACCOUNT = "000000000000"
# An image id EC2 never issues (all zeros), for the NAT instance's pinned AMI.
PLACEHOLDER_AMI = "ami-00000000000000000"

# What each value is and an example, for the hint (the field as config/<stage>.toml writes it).
_PLACEHOLDER_HINTS = {
    "auth.callback_urls": (
        "the SPA's sign-in callback URL(s)",
        "'[\"https://app.yourcompany.com/callback\"]'",
    ),
    "auth.logout_urls": ("the SPA's sign-out URL(s)", "'[\"https://app.yourcompany.com/\"]'"),
    "compute.legacy_origin_domain": (
        "the DNS name of the legacy API (serves every route not migrated yet)",
        "legacy.yourcompany.com",
    ),
    "compute.sender_email": (
        "the address the email worker sends from",
        "no-reply@yourcompany.com",
    ),
    "compute.ses_identity": (
        "the sender's domain, the sender address, or an existing SES identity's ARN",
        "yourcompany.com",
    ),
    "edge.domain_name": ("the viewers' domain for CloudFront", "app.yourcompany.com"),
    "edge.certificate_arn": (
        "an issued ACM certificate in us-east-1 covering edge.domain_name",
        "arn:aws:acm:us-east-1:<account>:certificate/<id>",
    ),
    "edge.web_acl_arn": (
        "a WAFv2 web ACL with scope CLOUDFRONT in us-east-1 (delete the key for no WAF)",
        "arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>",
    ),
    "network.nat_instance_ami": (
        "the arm64 Amazon Linux 2023 AMI of the stage's region (aws ssm get-parameter --name "
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64 --query "
        "Parameter.Value --output text)",
        "ami-0123456789abcdef0",
    ),
    "ops.alarm_emails": (
        "who receives alarms and budget alerts",
        "'[\"oncall@yourcompany.com\"]'",
    ),
}


@dataclass(frozen=True)
class Placeholder:
    """A value still set to its placeholder: ``field`` is dotted, ``hint`` says how to set it."""

    field: str
    hint: str


def is_placeholder(value: str) -> bool:
    """True for a DNS name, email address, URL, ARN or AMI id that only a placeholder can
    hold."""
    if value == PLACEHOLDER_AMI:
        return True
    if value.startswith("arn:"):
        parts = value.split(":")
        return len(parts) > 4 and parts[4] == PLACEHOLDER_ACCOUNT
    host = urlsplit(value).hostname if "://" in value else value.rpartition("@")[2]
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith(f".{domain}") for domain in PLACEHOLDER_DOMAINS)


def find_placeholders(config: StageConfig) -> list[Placeholder]:
    """Every value of ``config`` that is still a placeholder, in field order."""
    return [
        Placeholder(field=path, hint=_placeholder_hint(config.name, path, value))
        for path, value in _leaf_values(config)
        if any(is_placeholder(item) for item in _strings(value))
    ]


def _leaf_values(config: Any, prefix: str = "") -> list[tuple[str, object]]:
    leaves: list[tuple[str, object]] = []
    for item in dataclasses.fields(config):
        if item.name in _ENVIRONMENT_FIELDS:
            continue
        value = getattr(config, item.name)
        path = _dotted(prefix, item.name)
        if dataclasses.is_dataclass(value):
            leaves.extend(_leaf_values(value, path))
        else:
            leaves.append((path, value))
    return leaves


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [item for item in value if isinstance(item, str)]
    if isinstance(value, dict):
        return [item for item in value.values() if isinstance(item, str)]
    return []


def _placeholder_hint(stage: str, path: str, value: object) -> str:
    generic = ("a real value", "'[\"...\"]'" if isinstance(value, tuple) else "...")
    what, example = _PLACEHOLDER_HINTS.get(path, generic)
    section, _, key = path.rpartition(".")
    now = json.dumps(list(value) if isinstance(value, tuple) else value)
    return (
        f"set {key} under [{section}] in config/{stage}.toml to {what} (now {now}), "
        f"or for one run: -c taskly:{path}={example}"
    )
