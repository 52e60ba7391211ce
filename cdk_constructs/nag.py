"""cdk-nag acknowledgments in the one form that is recorded in the validation report.

cdk-nag 3 reads ``Validations.of(construct).acknowledge(...)``; only the prefixed id
(``AwsSolutions::AwsSolutions-IAM4``) lands in ``cdk.out/validation-report.json``, so every
acknowledgment in this project goes through :func:`acknowledge`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

MIN_REASON_LENGTH = 20


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag rules on ``construct`` (and its children) with a reason each.

    ``reasons`` maps a rule id such as ``AwsSolutions-IAM4`` or ``Serverless-LambdaDLQ``
    (optionally with a finding suffix, ``AwsSolutions-IAM5[Resource::*]``) to why the
    finding is acceptable here.
    """
    rules = []
    for rule_id, reason in reasons.items():
        if len(reason.strip()) < MIN_REASON_LENGTH:
            raise ValueError(f"acknowledgment of {rule_id} needs a specific reason")
        pack = rule_id.split("-", 1)[0]
        rules.append(Acknowledgment(id=f"{pack}::{rule_id}", reason=reason))
    Validations.of(construct).acknowledge(*rules)
