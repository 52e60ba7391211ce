"""Placeholders: the values a fork must replace before a real deploy (``make preflight``)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stacks.config.loading import _ENVIRONMENT_FIELDS, _dotted
from stacks.config.schema import StageConfig

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
