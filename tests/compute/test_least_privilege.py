"""Least privilege, checked on every IAM policy of every template of every stage.

No Allow statement may grant ``*`` or ``service:*``; ``Resource: *`` is allowed only for actions
in RESOURCE_STAR_ALLOWLIST (each with the reason AWS gives no narrower resource). Deny statements
may use wildcards: they only take permissions away (e.g. the queues' TLS-only policy).
Then each compute role is pinned to the exact actions its code calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.compute.conftest import SynthesizedStage, by_path

RESOURCE_STAR_ALLOWLIST = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "ec2:CreateNetworkInterface": "Lambda VPC attachment; ENI ids are unknown before creation",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe* actions support no resource scoping",
    "ec2:DescribeSubnets": "EC2 Describe* actions support no resource scoping",
    "ec2:DeleteNetworkInterface": "Lambda VPC attachment; ENI ids are unknown before creation",
    "ec2:AssignPrivateIpAddresses": "Lambda VPC attachment; ENI ids are unknown before creation",
    "ec2:UnassignPrivateIpAddresses": "Lambda VPC attachment; ENI ids are unknown before creation",
}

# Properties that hold a policy document, by resource type.
POLICY_PROPERTIES = {
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy",),
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(resource id, resource type, statement) for every policy statement in ``template``."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [properties.get(name) for name in POLICY_PROPERTIES.get(resource["Type"], ())]
        if resource["Type"] == "AWS::IAM::Role":
            documents.append(properties.get("AssumeRolePolicyDocument"))
            documents.extend(policy["PolicyDocument"] for policy in properties.get("Policies", []))
        for document in documents:
            if isinstance(document, dict):
                for statement in as_list(document.get("Statement", [])):
                    yield logical_id, resource["Type"], statement


def violations(template: dict[str, Any]) -> list[str]:
    found = []
    for logical_id, resource_type, statement in statements(template):
        if statement.get("Effect") != "Allow" or "Action" not in statement:
            continue  # Deny only narrows; trust policies name principals, not resources
        actions = as_list(statement["Action"])
        for action in actions:
            if action == "*" or action.endswith(":*"):
                found.append(f"{logical_id}: wildcard action {action}")
        # In a key policy the only valid Resource is "*", and it means "this key".
        key_policy = resource_type == "AWS::KMS::Key"
        if not key_policy and "Resource" in statement and "*" in as_list(statement["Resource"]):
            for action in actions:
                if action not in RESOURCE_STAR_ALLOWLIST:
                    found.append(f"{logical_id}: {action} on Resource *")
    return found


def test_the_scan_catches_what_it_should() -> None:
    # Given a template with each kind of violation and each kind of acceptable statement
    template = {
        "Resources": {
            "Bad": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "arn:x"},
                            {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:x"},
                            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
                        ]
                    }
                },
            },
            "Fine": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"},
                            {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
                        ]
                    }
                },
            },
            "Inline": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {
                            "PolicyDocument": {
                                "Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "a"}
                            }
                        }
                    ]
                },
            },
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
                        ]
                    }
                },
            },
        }
    }
    # Then exactly the three allows, the inline role policy and the key's kms:* are reported
    # (a key policy's Resource "*" is the key itself)
    assert violations(template) == [
        "Bad: wildcard action *",
        "Bad: wildcard action s3:*",
        "Bad: sqs:SendMessage on Resource *",
        "Inline: wildcard action iam:*",
        "Key: wildcard action kms:*",
    ]


def test_allowlist_entries_carry_reasons() -> None:
    assert all(len(reason) >= 20 for reason in RESOURCE_STAR_ALLOWLIST.values())


def test_no_template_of_any_stage_grants_wildcards(stages: dict[str, SynthesizedStage]) -> None:
    report = {
        stack: problems
        for stage in stages.values()
        for stack, template in stage.templates.items()
        if (problems := violations(template))
    }
    assert report == {}
    assert sum(len(stage.templates) for stage in stages.values()) >= 12  # 4+ stacks x 3 stages


def actions_by_resource(
    stage: SynthesizedStage, construct: str, role: str = "Role"
) -> dict[str, set[str]]:
    """The role's granted actions (all its policies) grouped by resource (as JSON)."""
    role_id, _ = by_path(stage.compute, f"Compute/{construct}/{role}/Resource")
    grouped: dict[str, set[str]] = {}
    for policy in stage.compute["Resources"].values():
        properties = policy.get("Properties", {})
        if policy["Type"] != "AWS::IAM::Policy" or {"Ref": role_id} not in properties["Roles"]:
            continue
        for statement in as_list(properties["PolicyDocument"]["Statement"]):
            for resource in as_list(statement["Resource"]):
                grouped.setdefault(json.dumps(resource), set()).update(as_list(statement["Action"]))
    return grouped


def granted(stage: SynthesizedStage, construct: str, role: str = "Role") -> set[str]:
    return set().union(*actions_by_resource(stage, construct, role).values())


COMMON = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
IDEMPOTENCY = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
VPC = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


@pytest.mark.parametrize(
    ("construct", "expected"),
    [
        (
            "Tasks",
            COMMON | VPC | IDEMPOTENCY | {"secretsmanager:GetSecretValue", "sqs:SendMessage"},
        ),
        ("Profile", COMMON | VPC | {"secretsmanager:GetSecretValue"}),
        (
            "EmailWorker",
            COMMON
            | IDEMPOTENCY
            | {"ses:SendEmail"}
            | {
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
            },
        ),
    ],
)
def test_each_role_holds_only_what_its_code_calls(
    stage: SynthesizedStage, construct: str, expected: set[str]
) -> None:
    assert granted(stage, construct) == expected
    # And its managed policies are none: no AWS managed execution policy with Resource *
    _, role = by_path(stage.compute, f"Compute/{construct}/Role/Resource")
    assert "ManagedPolicyArns" not in role["Properties"]


def origin_verify_secret(stage: SynthesizedStage) -> str:
    secret_id, _ = by_path(stage.compute, "Compute/OriginVerify/Secret/Resource")
    return json.dumps({"Ref": secret_id})


def secrets_readable_by(stage: SynthesizedStage, construct: str, role: str = "Role") -> set[str]:
    return {
        resource
        for resource, actions in actions_by_resource(stage, construct, role).items()
        if "secretsmanager:GetSecretValue" in actions
    }


def test_grants_name_their_own_resources(stage: SynthesizedStage) -> None:
    tasks = actions_by_resource(stage, "Tasks")
    # Two secrets: DocumentDB's credentials (imported from the data stack) and the origin value.
    readable = secrets_readable_by(stage, "Tasks")
    assert origin_verify_secret(stage) in readable
    (docdb,) = readable - {origin_verify_secret(stage)}
    assert f"{stage.config.stack_name('Data')}:" in docdb and "Secret" in docdb
    queue = next(resource for resource, actions in tasks.items() if "sqs:SendMessage" in actions)
    assert "EmailQueue" in queue
    # The profile function reads the same two: preferences live in the shared database.
    assert secrets_readable_by(stage, "Profile") == readable
    assert not any(
        "AppStateTable" in resource for resource in actions_by_resource(stage, "Profile")
    )


HOOK = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "lambda:InvokeFunction",
    "codedeploy:PutLifecycleEventHookExecutionStatus",
    "secretsmanager:GetSecretValue",
}


@pytest.mark.parametrize("construct", ["Tasks", "Profile"])
def test_each_pre_traffic_hook_reads_only_the_origin_verify_secret(
    stages: dict[str, SynthesizedStage], construct: str
) -> None:
    stage = stages["prod"]  # the stage with hooks
    assert stage.config.compute.pre_traffic_hook
    assert granted(stage, construct, "PreTrafficHookRole") == HOOK
    readable = secrets_readable_by(stage, construct, "PreTrafficHookRole")
    assert readable == {origin_verify_secret(stage)}
