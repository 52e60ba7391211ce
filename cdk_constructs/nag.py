"""Acknowledged findings, in the forms the gates record and a test can read back.

cdk-nag 3 reads ``Validations.of(construct).acknowledge(...)``; only the prefixed id
(``AwsSolutions::AwsSolutions-IAM4``) lands in ``cdk.out/validation-report.json``, so every
cdk-nag acknowledgment in this project goes through :func:`acknowledge`. cfn-lint reads
``Metadata.cfn-lint.config.ignore_checks``; :func:`acknowledge_lint` writes that together
with the reason, which cfn-lint itself has no field for. checkov reads
``Metadata.checkov.skip``; :func:`acknowledge_checkov` writes it with the reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

MIN_REASON_LENGTH = 20
LINT_REASONS_METADATA_KEY = "TasklyLintAcknowledgments"


def _checked(rule_id: str, reason: str) -> str:
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgment of {rule_id} needs a specific reason")
    return reason


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag rules on ``construct`` (and its children) with a reason each.

    ``reasons`` maps a rule id such as ``AwsSolutions-IAM4`` or ``Serverless-LambdaDLQ``
    (optionally with a finding suffix, ``AwsSolutions-IAM5[Resource::*]``) to why the
    finding is acceptable here.
    """
    Validations.of(construct).acknowledge(
        *(
            Acknowledgment(
                id=f"{rule_id.split('-', 1)[0]}::{rule_id}", reason=_checked(rule_id, reason)
            )
            for rule_id, reason in reasons.items()
        )
    )


def _cfn_resource(construct: IConstruct) -> CfnResource:
    """The CloudFormation resource itself, or an L2 construct's own (default child)."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    return resource


def acknowledge_lint(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cfn-lint rules (``E3620``...) on one resource, for cfn-lint and CDK's
    own template validation (which reports the same rule ids as ``CloudFormation-Validate``).
    Earlier acknowledgments on the same resource are kept.
    """
    resource = _cfn_resource(construct)
    for rule_id, reason in reasons.items():
        _checked(rule_id, reason)
    recorded = {**(resource.get_metadata(LINT_REASONS_METADATA_KEY) or {}), **reasons}
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": sorted(recorded)}})
    resource.add_metadata(LINT_REASONS_METADATA_KEY, dict(sorted(recorded.items())))
    Validations.of(resource).acknowledge(
        *(
            Acknowledgment(id=f"CloudFormation-Validate::{rule_id}", reason=reason)
            for rule_id, reason in reasons.items()
        )
    )


def acknowledge_checkov(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Skip checkov checks (``CKV_AWS_116``...) on one resource, each with its reason.

    checkov reads ``Metadata.checkov.skip`` per resource, so a skip is exactly as narrow as
    the resource and travels with the construct that needs it. Earlier skips are kept.
    """
    resource = _cfn_resource(construct)
    for check, reason in reasons.items():
        _checked(check, reason)
    existing = (resource.get_metadata("checkov") or {}).get("skip", [])
    recorded = {skip["id"]: skip["comment"] for skip in existing} | reasons
    resource.add_metadata(
        "checkov",
        {"skip": [{"id": check, "comment": recorded[check]} for check in sorted(recorded)]},
    )
