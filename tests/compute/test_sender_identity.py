"""The SES sender: the stage creates (or names) the identity, and the worker may send only as
the configured sender, out of the sandbox and in it.

The worker's identity policy is evaluated the way SES authorizes an SES v2 ``SendEmail``
(tests/iam_policy.py): ``ses:SendEmail`` on the identity that authorizes the From address
(the address's own identity if verified, else its domain's), with ``ses:FromAddress`` in the
request context; in the sandbox SES also authorizes the call on each recipient's verified
identity, and every one of those evaluations must allow it. What this does not prove: that SES
has verified the identities (DNS or the link in the email), which only the account can tell
(preflight checks it), nor that SES hands the same context keys to each identity's evaluation
(the model assumes it does: they belong to the one request).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from cdk_constructs.sender_identity import SenderIdentity
from stacks.config import ConfigError, apply_overrides, stage_config
from tests.compute.conftest import SynthesizedStage, by_path, resources
from tests.iam_policy import (
    Decision,
    Request,
    UnsupportedPolicyError,
    evaluate_identity_policy,
    resolve,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
WORKER = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/EmailWorker"}


class _Pseudo(dict[str, str]):
    """Pseudo parameters resolved; any other reference (queues, tables) to a value that names
    no SES identity, so statements about other resources stay in the evaluation."""

    def __missing__(self, key: str) -> str:
        return f"unresolved:{key}"


def ses_arn(identity: str, *, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{identity}"


def send_decision(
    policy: dict[str, Any],
    *,
    identity: str,
    from_address: str,
    sandbox_recipients: Sequence[str] = (),
) -> Decision:
    """SES v2 ``SendEmail`` from ``from_address`` authorized by ``identity`` (a name or an ARN);
    in the sandbox, also on each verified recipient identity in ``sandbox_recipients``."""
    document = resolve(policy, _Pseudo(PSEUDO))
    for target in (identity, *sandbox_recipients):
        request = Request(
            principal=WORKER,
            action="ses:SendEmail",
            resource=target if target.startswith("arn:") else ses_arn(target),
            context={"ses:FromAddress": from_address},
        )
        decision = evaluate_identity_policy(document, request)
        if decision is not Decision.ALLOWED:
            return decision
    return Decision.ALLOWED


def send_allowed(policy: dict[str, Any], **send: Any) -> bool:
    return send_decision(policy, **send) is Decision.ALLOWED


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


def test_the_worker_sends_only_as_the_sender(stage: SynthesizedStage) -> None:
    """Out of the sandbox (production access), SES authorizes the sending identity only."""
    policy = worker_policy(stage)
    sender = stage.config.compute.sender_email
    identity = stage.config.compute.ses_identity_name

    assert send_allowed(policy, identity=identity, from_address=sender)
    # Another From address is refused, through whatever identity it is tried.
    for other_from in (f"ceo@{identity}", "no-reply@attacker.test"):
        for via in (identity, other_from, other_from.rpartition("@")[2]):
            decision = send_decision(policy, identity=via, from_address=other_from)
            assert decision is Decision.IMPLICIT_DENY, (other_from, via)
    # No identity of another account or region can be used, even for the sender.
    for foreign in (
        ses_arn(identity, account="210987654321"),
        ses_arn(identity, region="us-east-1"),
    ):
        assert not send_allowed(policy, identity=foreign, from_address=sender)


def test_a_sandbox_send_to_a_verified_recipient_is_allowed(stage: SynthesizedStage) -> None:
    """Before: only identity/<sender domain> was granted, so in the sandbox (where SES also
    authorizes the recipient's identity) every share email to a verified tester was denied,
    retried and dead-lettered, and the worker's error alarm could roll back its canary."""
    policy = worker_policy(stage)
    sender = stage.config.compute.sender_email
    identity = stage.config.compute.ses_identity_name
    tester = "tester@qa.example.org"

    for recipient_identity in (tester, "qa.example.org"):
        assert send_allowed(
            policy, identity=identity, from_address=sender, sandbox_recipients=[recipient_identity]
        )
    # The From pin holds for the recipients' identities too.
    assert not send_allowed(
        policy, identity=identity, from_address=f"ceo@{identity}", sandbox_recipients=[tester]
    )
    assert not send_allowed(
        policy,
        identity=identity,
        from_address=sender,
        sandbox_recipients=[ses_arn(tester, account="210987654321")],
    )


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
        stack, "SenderIdentity", sender="no-reply@corp.test", identity=identity, protect_data=False
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
    assert not send_allowed(policy, identity="corp.test", from_address="ops@corp.test")
    assert send_allowed(
        policy,
        identity="no-reply@corp.test",
        from_address="no-reply@corp.test",
        sandbox_recipients=["tester@qa.example.org"],
    )


def test_an_existing_identity_is_referenced_not_created() -> None:
    arn = ses_arn("corp.test")
    template = _identity_stack(identity=arn)

    assert resources(template, "AWS::SES::EmailIdentity") == {}
    policy = _policy(template)
    assert send_allowed(policy, identity="corp.test", from_address="no-reply@corp.test")
    assert not send_allowed(policy, identity="corp.test", from_address="ops@corp.test")
    assert send_allowed(
        policy,
        identity="corp.test",
        from_address="no-reply@corp.test",
        sandbox_recipients=["tester@qa.example.org"],
    )


def test_an_identity_of_another_account_is_granted_by_its_arn() -> None:
    """Sending authorization: the sender's identity may live in another account; the sandbox
    grant stays in the stack's own account and region."""
    arn = ses_arn("corp.test", account="210987654321")
    policy = _policy(_identity_stack(identity=arn))
    assert send_allowed(policy, identity=arn, from_address="no-reply@corp.test")
    assert not send_allowed(policy, identity=arn, from_address="ops@corp.test")
    other = ses_arn("tester@qa.example.org", account="210987654321")
    assert not send_allowed(policy, identity=other, from_address="no-reply@corp.test")


def test_the_model_raises_on_what_it_cannot_judge() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": ses_arn("*"),
                "Condition": {"ForAllValues:StringLike": {"ses:Recipients": "*@corp.test"}},
            }
        ]
    }
    with pytest.raises(UnsupportedPolicyError):
        send_decision(policy, identity="corp.test", from_address="no-reply@corp.test")


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
