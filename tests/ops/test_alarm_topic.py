"""AlarmTopic synthesizes an encrypted, TLS-only topic with one email subscription per address."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_constructs.alarm_topic import AlarmTopic
from tests.iam_policy import Decision, Request, evaluate, resolve


@pytest.fixture(scope="module")
def template() -> Template:
    stack = cdk.Stack(cdk.App(), "AlarmTopicTest")
    topic = AlarmTopic(stack, "Alarms", email_recipients=["oncall@example.com", "lead@example.com"])
    alarm = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="Taskly", metric_name="Errors"),
        threshold=1,
        evaluation_periods=1,
    )
    topic.notify_on(alarm)
    return Template.from_stack(stack)


def test_topic_is_encrypted_with_a_rotating_customer_managed_key(template: Template) -> None:
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    [key_id] = template.find_resources("AWS::KMS::Key")
    template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    )


def test_cloudwatch_may_use_the_key_so_alarms_reach_the_encrypted_topic(template: Template) -> None:
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            }
                        )
                    ]
                )
            }
        },
    )


def test_topic_refuses_requests_without_tls(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_each_recipient_gets_an_email_subscription(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Subscription", 2)
    for address in ("oncall@example.com", "lead@example.com"):
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": address}
        )


def test_notify_on_sends_alarm_and_ok_transitions(template: Template) -> None:
    [topic_id] = template.find_resources("AWS::SNS::Topic")
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmActions": [{"Ref": topic_id}], "OKActions": [{"Ref": topic_id}]},
    )


def test_an_empty_recipient_list_is_allowed() -> None:
    stack = cdk.Stack(cdk.App(), "NoRecipients")

    AlarmTopic(stack, "Alarms", email_recipients=[])

    Template.from_stack(stack).resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ("oncall@example.com", "not a single string"),
        (["oncall-at-example.com"], "is not an email address"),
        (["a@example.com", "A@example.com"], "listed twice"),
    ],
)
def test_bad_recipients_fail_at_synth(recipients: object, message: str) -> None:
    stack = cdk.Stack(cdk.App(), "BadRecipients")

    with pytest.raises(ValueError, match=message):
        AlarmTopic(stack, "Alarms", email_recipients=recipients)  # type: ignore[arg-type]


def test_passes_the_cdk_nag_packs_the_app_uses(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "NagCheck")
    AlarmTopic(stack, "Alarms", email_recipients=["oncall@example.com"])
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())

    app.synth()  # raises ValidationFailed on any unacknowledged finding

    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])


def test_the_account_administers_the_key_but_only_cloudwatch_uses_it(template: Template) -> None:
    [key] = template.find_resources("AWS::KMS::Key").values()
    statements = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    admin = statements["AllowAccountToAdministerTheKey"]["Action"]

    assert not [action for action in admin if action.endswith("*")]  # no kms:*, no kms:Get*
    # without these two a key can never be changed or deleted again
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} <= set(admin)
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} & set(admin)
    publisher = statements["AllowCloudWatchAlarmsToPublish"]
    assert publisher["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


# Evaluated as AWS would: an explicit Deny wins, then an Allow must match everything.
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "eu-west-1"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def _alarm_arn(account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{account}:alarm:Taskly-prod-Compute-TasksErrorRate"


def _policies(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The topic policy and the key policy with the template's intrinsics resolved."""
    [(topic_id, _)] = template.find_resources("AWS::SNS::Topic").items()
    [(key_id, key)] = template.find_resources("AWS::KMS::Key").items()
    [topic_policy] = template.find_resources("AWS::SNS::TopicPolicy").values()
    values = {
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        topic_id: TOPIC_ARN,
        f"{key_id}.Arn": KEY_ARN,
    }
    return (
        resolve(topic_policy["Properties"]["PolicyDocument"], values),
        resolve(key["Properties"]["KeyPolicy"], values),
    )


def _publish(*, secure: bool = True, account: str = ACCOUNT) -> Request:
    return Request(
        principal=CLOUDWATCH,
        action="SNS:Publish",
        resource=TOPIC_ARN,
        context={
            "aws:SecureTransport": str(secure).lower(),
            "aws:SourceAccount": account,
            "aws:SourceArn": _alarm_arn(account),
        },
    )


def _encrypt(*, account: str = ACCOUNT) -> Request:
    return Request(
        principal=CLOUDWATCH,
        action="kms:GenerateDataKey",
        resource=KEY_ARN,
        context={
            "aws:SecureTransport": "true",
            "aws:SourceAccount": account,
            "aws:SourceArn": _alarm_arn(account),
        },
    )


def test_cloudwatch_may_publish_this_accounts_alarms_over_tls(template: Template) -> None:
    topic_policy, key_policy = _policies(template)

    assert evaluate(topic_policy, _publish()) is Decision.ALLOWED
    assert evaluate(key_policy, _encrypt()) is Decision.ALLOWED
    assert evaluate(key_policy, replace(_encrypt(), action="kms:Decrypt")) is Decision.ALLOWED


def test_a_publish_without_tls_is_denied_even_for_cloudwatch(template: Template) -> None:
    topic_policy, _ = _policies(template)

    assert evaluate(topic_policy, _publish(secure=False)) is Decision.EXPLICIT_DENY


def test_cloudwatch_acting_for_another_account_is_not_allowed(template: Template) -> None:
    topic_policy, key_policy = _policies(template)

    assert evaluate(topic_policy, _publish(account=OTHER_ACCOUNT)) is not Decision.ALLOWED
    assert evaluate(key_policy, _encrypt(account=OTHER_ACCOUNT)) is not Decision.ALLOWED
    # The right account on a source that is not an alarm (e.g. a dashboard) is not enough.
    other_source = replace(
        _publish(),
        context={**_publish().context, "aws:SourceArn": f"arn:aws:cloudwatch::{ACCOUNT}:x"},
    )
    assert evaluate(topic_policy, other_source) is not Decision.ALLOWED


def test_no_other_principal_may_publish_or_use_the_key(template: Template) -> None:
    topic_policy, key_policy = _policies(template)
    anyone = {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:role/attacker"}
    budgets = {"Service": "budgets.amazonaws.com"}
    administrator = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}

    assert evaluate(topic_policy, replace(_publish(), principal=anyone)) is not Decision.ALLOWED
    assert evaluate(topic_policy, replace(_publish(), principal=budgets)) is not Decision.ALLOWED
    # Account principals administer the key but never encrypt or decrypt with it.
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        request = replace(_encrypt(), principal=administrator, action=action)
        assert evaluate(key_policy, request) is Decision.IMPLICIT_DENY
    assert (
        evaluate(
            key_policy, replace(_encrypt(), principal=administrator, action="kms:PutKeyPolicy")
        )
        is Decision.ALLOWED
    )
