"""Placeholders: the values a fork must set before a real deploy are found, with how to set them.

Synth accepts placeholders (every infra test synthesizes the shipped files); deploy tooling
refuses them through ``find_placeholders``.
"""

from __future__ import annotations

import pytest

from stacks.config import (
    STAGE_NAMES,
    Placeholder,
    apply_overrides,
    find_placeholders,
    is_placeholder,
    stage_config,
)

MUST_SET_EVERYWHERE = {
    "auth.callback_urls",
    "auth.logout_urls",
    "compute.legacy_origin_domain",
    "compute.sender_email",
    "compute.ses_identity",
    "ops.alarm_emails",
}
MUST_SET_IN_PROD = {"edge.domain_name", "edge.certificate_arn", "edge.web_acl_arn"}
# Only where a NAT instance replaces the gateway: its pinned image.
MUST_SET_IN_DEV = {"network.nat_instance_ami"}

REAL_VALUES = {
    "auth.callback_urls": '["http://localhost:5173/callback", "https://app.corp.test/callback"]',
    "auth.logout_urls": '["https://app.corp.test/"]',
    "compute.legacy_origin_domain": "legacy.corp.test",
    "compute.sender_email": "no-reply@corp.test",
    "compute.ses_identity": "corp.test",
    "ops.alarm_emails": '["oncall@corp.test"]',
}
REAL_NAT = {"network.nat_instance_ami": "ami-0123456789abcdef0"}
REAL_EDGE = {
    "edge.domain_name": "app.corp.test",
    "edge.certificate_arn": "arn:aws:acm:us-east-1:210987654321:certificate/1a2b",
    "edge.web_acl_arn": "arn:aws:wafv2:us-east-1:210987654321:global/webacl/taskly/1a2b",
}


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_each_shipped_stage_reports_what_a_real_deploy_needs(name: str) -> None:
    found = find_placeholders(stage_config(name, account=None, region=None))

    expected = (
        MUST_SET_EVERYWHERE
        | (MUST_SET_IN_PROD if name == "prod" else set())
        | (MUST_SET_IN_DEV if name == "dev" else set())
    )
    assert {placeholder.field for placeholder in found} == expected
    assert len(found) == len(expected)


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_each_hint_names_the_file_the_key_and_the_override(name: str) -> None:
    for placeholder in find_placeholders(stage_config(name, account=None, region=None)):
        section, _, key = placeholder.field.rpartition(".")
        assert f"set {key} under [{section}] in config/{name}.toml" in placeholder.hint
        assert f"-c taskly:{placeholder.field}=" in placeholder.hint
        assert "\n" not in placeholder.hint


def test_a_list_hint_shows_the_json_list_an_override_takes() -> None:
    found = find_placeholders(stage_config("dev", account=None, region=None))
    emails = next(p for p in found if p.field == "ops.alarm_emails")
    assert emails == Placeholder(
        field="ops.alarm_emails",
        hint="set alarm_emails under [ops] in config/dev.toml to who receives alarms and "
        'budget alerts (now ["oncall@taskly.example.com"]), or for one run: '
        "-c taskly:ops.alarm_emails='[\"oncall@yourcompany.com\"]'",
    )


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_a_stage_with_real_values_has_no_placeholders(name: str) -> None:
    config = stage_config(name, account=None, region=None)
    real = {
        **REAL_VALUES,
        **(REAL_EDGE if name == "prod" else {}),
        **(REAL_NAT if name == "dev" else {}),
    }

    assert find_placeholders(apply_overrides(config, real)) == []


def test_one_placeholder_left_in_a_list_is_still_reported() -> None:
    config = apply_overrides(
        stage_config("dev", account=None, region=None),
        {
            **REAL_VALUES,
            **REAL_NAT,
            "ops.alarm_emails": '["oncall@corp.test", "ops@example.com"]',
        },
    )
    assert [p.field for p in find_placeholders(config)] == ["ops.alarm_emails"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("legacy.example.com", True),
        ("EXAMPLE.COM", True),
        ("no-reply@taskly.example.org", True),
        ("https://app.example.net/callback", True),
        ("api.corp.example", True),
        ("arn:aws:acm:us-east-1:000000000000:certificate/x", True),
        ("ami-00000000000000000", True),
        ("ami-0123456789abcdef0", False),
        ("legacy.example.com.evil.test", False),
        ("myexample.com", False),
        ("http://localhost:5173/callback", False),
        ("arn:aws:acm:us-east-1:210987654321:certificate/x", False),
        ("ops@corp.test", False),
    ],
)
def test_placeholder_marker(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected
