"""Every publisher of the alarm topic can deliver to it, on every stage, as AWS evaluates it.

The topic's policy replaces SNS's default one (``enforce_ssl``) and its messages are encrypted
with a customer managed key, so a publisher needs an Allow in both the topic policy and the
key policy. The tests find every resource that refers to the topic in any stack of the stage
and evaluate the request each one makes (tests/iam_policy.py), instead of looking for a
statement. A new kind of publisher fails here until its request is modelled.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_policy import Decision, Request, evaluate, resolve
from tests.synth import TEST_ACCOUNT, TEST_REGION, SynthesizedStage

TOPIC_ARN = f"arn:aws:sns:{TEST_REGION}:{TEST_ACCOUNT}:taskly-alarms"
KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{TEST_ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}
BUDGETS = {"Service": "budgets.amazonaws.com"}
# Resources that refer to the topic without publishing to it.
NOT_PUBLISHERS = {"AWS::SNS::Subscription", "AWS::SNS::TopicPolicy"}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _only(resources: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in resources.items() if v["Type"] == resource_type]
    assert len(found) == 1, (resource_type, [k for k, _ in found])
    return found[0]


def _policies(stage: SynthesizedStage) -> tuple[dict[str, Any], dict[str, Any], set[Any]]:
    """Topic policy, key policy and every template value that means "the topic"."""
    alerts = stage.json("Alerts")
    resources = alerts["Resources"]
    topic_id, _ = _only(resources, "AWS::SNS::Topic")
    key_id, key = _only(resources, "AWS::KMS::Key")
    _, topic_policy = _only(resources, "AWS::SNS::TopicPolicy")
    values = {
        "AWS::AccountId": TEST_ACCOUNT,
        "AWS::Region": TEST_REGION,
        "AWS::Partition": "aws",
        topic_id: TOPIC_ARN,
        f"{key_id}.Arn": KEY_ARN,
    }
    exports = {
        output["Export"]["Name"]
        for output in alerts.get("Outputs", {}).values()
        if "Export" in output and output["Value"] == {"Ref": topic_id}
    }
    references = {repr({"Ref": topic_id})} | {repr({"Fn::ImportValue": name}) for name in exports}
    return (
        resolve(topic_policy["Properties"]["PolicyDocument"], values),
        resolve(key["Properties"]["KeyPolicy"], values),
        references,
    )


def _refers_to(node: Any, references: set[str]) -> bool:
    if isinstance(node, dict):
        return repr(node) in references or any(_refers_to(v, references) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(item, references) for item in node)
    return False


def _publishers(stage: SynthesizedStage, references: set[str]) -> list[tuple[str, str, Any]]:
    """(stack, logical id, resource) for every resource that refers to the topic."""
    return [
        (stack, logical_id, resource)
        for stack, template in sorted(stage.templates.items())
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] not in NOT_PUBLISHERS
        and _refers_to(resource.get("Properties", {}), references)
    ]


def _delivery(principal: dict[str, str], source_arn: str, *, secure: bool = True) -> list[Request]:
    context = {
        "aws:SecureTransport": str(secure).lower(),
        "aws:SourceAccount": TEST_ACCOUNT,
        "aws:SourceArn": source_arn,
    }
    return [
        Request(principal, "sns:Publish", TOPIC_ARN, context),
        Request(principal, "kms:GenerateDataKey", KEY_ARN, context),
        Request(principal, "kms:Decrypt", KEY_ARN, context),
    ]


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_publisher_of_the_alarm_topic_can_deliver(stage: Any, name: str) -> None:
    synthesized = stage(name)
    topic_policy, key_policy, references = _policies(synthesized)
    publishers = _publishers(synthesized, references)
    alarms = 0
    for stack, logical_id, resource in publishers:
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            alarms += 1
            arn = f"arn:aws:cloudwatch:{TEST_REGION}:{TEST_ACCOUNT}:alarm:{stack}-{logical_id}"
            publish, encrypt, decrypt = _delivery(CLOUDWATCH, arn)
            assert evaluate(topic_policy, publish) is Decision.ALLOWED, (stack, logical_id)
            assert evaluate(key_policy, encrypt) is Decision.ALLOWED, (stack, logical_id)
            assert evaluate(key_policy, decrypt) is Decision.ALLOWED, (stack, logical_id)
        elif resource["Type"] == "AWS::Budgets::Budget":
            arn = f"arn:aws:budgets::{TEST_ACCOUNT}:budget/{logical_id}"
            for request in _delivery(BUDGETS, arn):
                assert (
                    evaluate(
                        topic_policy if request.action == "sns:Publish" else key_policy, request
                    )
                    is Decision.ALLOWED
                ), (stack, logical_id, request.action)
        else:
            pytest.fail(
                f"{stack} {logical_id} ({resource['Type']}) refers to the alarm topic; "
                "model its request here so its delivery is checked"
            )
    # Compute, edge and monitoring alarms all page through the topic.
    assert alarms >= 10, alarms


def test_the_budget_emails_its_recipients_directly(all_stages: list[SynthesizedStage]) -> None:
    """AWS Budgets is not a publisher of the topic: its subscribers are email addresses."""
    for stage in all_stages:
        _, budget = _only(stage.json("Alerts")["Resources"], "AWS::Budgets::Budget")
        for notification in budget["Properties"]["NotificationsWithSubscribers"]:
            kinds = {s["SubscriptionType"] for s in notification["Subscribers"]}
            assert kinds == {"EMAIL"}, (stage.name, kinds)


def test_no_publisher_gets_through_without_tls_or_for_another_account(
    all_stages: list[SynthesizedStage],
) -> None:
    for stage in all_stages:
        topic_policy, key_policy, _ = _policies(stage)
        alarm = f"arn:aws:cloudwatch:{TEST_REGION}:{TEST_ACCOUNT}:alarm:any"
        publish, _, _ = _delivery(CLOUDWATCH, alarm, secure=False)
        assert evaluate(topic_policy, publish) is Decision.EXPLICIT_DENY, stage.name
        other = "999988887777"
        foreign = Request(
            CLOUDWATCH,
            "sns:Publish",
            TOPIC_ARN,
            {
                "aws:SecureTransport": "true",
                "aws:SourceAccount": other,
                "aws:SourceArn": f"arn:aws:cloudwatch:{TEST_REGION}:{other}:alarm:any",
            },
        )
        assert evaluate(topic_policy, foreign) is not Decision.ALLOWED, stage.name
        foreign_key = Request(CLOUDWATCH, "kms:GenerateDataKey", KEY_ARN, foreign.context)
        assert evaluate(key_policy, foreign_key) is not Decision.ALLOWED, stage.name


# Every KMS action that uses a key's material for data keys or messages.
KMS_CRYPTO_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def test_cloudwatch_may_use_the_key_for_exactly_what_an_encrypted_topic_needs(
    all_stages: list[SynthesizedStage],
) -> None:
    """SNS asks for a data key (GenerateDataKey) and its plaintext (Decrypt) on CloudWatch's
    behalf; nothing else. A wildcard such as kms:GenerateDataKey* would also allow the
    ...WithoutPlaintext and key-pair calls, and cfripper fails the prod template on it."""
    alarm = f"arn:aws:cloudwatch:{TEST_REGION}:{TEST_ACCOUNT}:alarm:any"
    context = {
        "aws:SecureTransport": "true",
        "aws:SourceAccount": TEST_ACCOUNT,
        "aws:SourceArn": alarm,
    }
    for stage in all_stages:
        _, key_policy, _ = _policies(stage)
        allowed = {
            action
            for action in KMS_CRYPTO_ACTIONS
            if evaluate(key_policy, Request(CLOUDWATCH, action, KEY_ARN, context))
            is Decision.ALLOWED
        }
        assert allowed == {"kms:Decrypt", "kms:GenerateDataKey"}, stage.name
        wildcards = [
            action
            for statement in key_policy["Statement"]
            for action in _listed(statement["Action"])
            if "*" in action
        ]
        assert wildcards == [], (stage.name, wildcards)
