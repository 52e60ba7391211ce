"""The value rules every section of the stage schema checks with, and their limits.

Each rule raises ``ConfigError`` with one line: the dotted field, the value, what is valid.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import NoReturn

from stacks.config.stages import REPOSITORY

# Replaced by the account id in auth.domain_prefix (by CloudFormation when synth has none).
ACCOUNT_PLACEHOLDER = "{account}"
# Cognito's limit for a hosted-domain prefix.
MAX_DOMAIN_PREFIX = 63
# Protected stages keep the HTTP API's access logs at least this long (an audit trail).
PROTECTED_ACCESS_LOG_DAYS = 365
# One TOML file per stage: config/<stage>.toml.

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

EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_AMI = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
# DMS Serverless accepts only these capacities (ComputeConfig Min/MaxCapacityUnits, in DCUs).
DMS_CAPACITY_UNITS = (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384)


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
    if not isinstance(value, str) or not EMAIL_PATTERN.match(value):
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
