"""The SES sender: the stage creates (or names) the identity, and the worker may send only as
the configured sender through that one identity.

The policy is evaluated the way IAM evaluates ``ses:SendEmail`` for SES v2: the request's
resource is the identity SES authorizes against, and ``ses:FromAddress`` is the From address.
What this does not prove: that SES has verified the identity (DNS or the link in the email),
which only the account can tell (preflight checks it).
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from cdk_constructs.sender_identity import SenderIdentity
from stacks.config import ConfigError, apply_overrides, stage_config
from tests.compute.conftest import SynthesizedStage, by_path, resources

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}


def resolve(value: Any) -> str:
    """A policy resource with CloudFormation's pseudo parameters filled in."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return PSEUDO[value["Ref"]]
    separator, parts = value["Fn::Join"]
    return separator.join(resolve(part) for part in parts)


def send_allowed(policy: dict[str, Any], *, identity: str, from_address: str) -> bool:
    """Whether ``policy`` lets ``ses:SendEmail`` send from ``from_address`` via ``identity``."""
    arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if statement["Effect"] != "Allow" or not any(
            fnmatch.fnmatchcase("ses:SendEmail", action) for action in actions
        ):
            continue
        targets = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if not any(fnmatch.fnmatchcase(arn, resolve(target)) for target in targets):
            continue
        condition = statement.get("Condition", {})
        allowed_from = condition.get("StringEquals", {}).get("ses:FromAddress", from_address)
        if set(condition) <= {"StringEquals"} and from_address in (
            allowed_from if isinstance(allowed_from, list) else [allowed_from]
        ):
            return True
    return False


def worker_policy(stage: SynthesizedStage) -> dict[str, Any]:
    _, policy = by_path(stage.compute, "Compute/EmailWorker/Role/DefaultPolicy/Resource")
    document: dict[str, Any] = policy["Properties"]["PolicyDocument"]
    return document


def test_the_stage_creates_the_sender_domain_with_easy_dkim(stage: SynthesizedStage) -> None:
    """Before: nothing created the sender's identity, so sharing a task sent no email."""
    compute = stage.config.compute
    domain = compute.sender_email.rpartition("@")[2]
    assert compute.ses_identity_name == domain
    (identity,) = resources(stage.compute, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == domain
    assert identity["Properties"]["DkimSigningAttributes"] == {
        "NextSigningKeyLength": "RSA_2048_BIT"
    }
    # the three DKIM CNAME records to publish are stack outputs
    outputs = stage.compute["Outputs"]
    records = [outputs[f"SesDkimRecord{index}"]["Value"] for index in (1, 2, 3)]
    for index, record in enumerate(records, start=1):
        parts = record["Fn::Join"][1]
        assert {
            "Fn::GetAtt": [
                next(iter(resources(stage.compute, "AWS::SES::EmailIdentity"))),
                f"DkimDNSTokenName{index}",
            ]
        } in parts
        assert record["Fn::Join"][0] == " "
        assert "CNAME" in parts


def test_the_worker_sends_only_as_the_sender_through_that_identity(stage: SynthesizedStage) -> None:
    """Before: the grant covered the address and the domain identity both."""
    policy = worker_policy(stage)
    sender = stage.config.compute.sender_email
    identity = stage.config.compute.ses_identity_name

    assert send_allowed(policy, identity=identity, from_address=sender)
    assert not send_allowed(policy, identity=identity, from_address=f"ceo@{identity}")
    assert not send_allowed(policy, identity=sender, from_address=sender)
    assert not send_allowed(policy, identity="attacker.test", from_address=sender)


def test_the_stack_carries_no_stack_level_tags(stage: SynthesizedStage) -> None:
    """AWS::SES::EmailIdentity fails with "Duplicate tag keys" when a stack tag repeats a
    resource tag (aws/aws-cdk#35298); cdk.json's explicitStackTags keeps tags off the stack."""
    (identity,) = resources(stage.compute, "AWS::SES::EmailIdentity").values()
    assert {tag["Key"] for tag in identity["Properties"]["Tags"]} >= {"project", "stage"}
    outdir = Path(stage.stacks.compute.node.root.outdir)  # type: ignore[attr-defined]
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][stage.config.stack_name("Compute")]
    assert "tags" not in artifact.get("properties", {})


def _identity_stack(*, identity: str) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Probe", env=cdk.Environment(account=ACCOUNT, region=REGION))
    role = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    sender = SenderIdentity(
        stack, "SenderIdentity", sender="no-reply@corp.test", identity=identity, retain=False
    )
    sender.grant_send(role)
    return Template.from_stack(stack).to_json()


def _policy(template: dict[str, Any]) -> dict[str, Any]:
    (policy,) = resources(template, "AWS::IAM::Policy").values()
    document: dict[str, Any] = policy["Properties"]["PolicyDocument"]
    return document


def test_an_email_address_identity_is_created_and_granted() -> None:
    template = _identity_stack(identity="no-reply@corp.test")

    (identity,) = resources(template, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "no-reply@corp.test"
    assert "Outputs" not in template or not any("Dkim" in key for key in template["Outputs"])
    policy = _policy(template)
    assert send_allowed(policy, identity="no-reply@corp.test", from_address="no-reply@corp.test")
    assert not send_allowed(policy, identity="corp.test", from_address="no-reply@corp.test")


def test_an_existing_identity_is_referenced_not_created() -> None:
    arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/corp.test"
    template = _identity_stack(identity=arn)

    assert resources(template, "AWS::SES::EmailIdentity") == {}
    policy = _policy(template)
    assert send_allowed(policy, identity="corp.test", from_address="no-reply@corp.test")
    assert not send_allowed(policy, identity="other.test", from_address="no-reply@corp.test")


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ("other.test", r"dev\.compute\.ses_identity: 'other\.test' .*sender_email's domain"),
        ("ops@taskly.example.com", r"dev\.compute\.ses_identity: .*sender_email itself"),
        (
            "arn:aws:ses:eu-west-1:123456789012:identity/other.test",
            r"dev\.compute\.ses_identity: .*identity/<sender_email or its domain>",
        ),
        ("arn:aws:sns:eu-west-1:123456789012:identity/taskly.example.com", r"a ses ARN"),
    ],
)
def test_an_identity_that_cannot_authorize_the_sender_is_one_line(
    identity: str, message: str
) -> None:

    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=message):
        apply_overrides(config, {"compute.ses_identity": identity})
