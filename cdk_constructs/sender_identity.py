"""The SES identity that authorizes the email worker's sender, and the grant to send as it."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from cdk_constructs.retention import removal_policy

# SES v2 SendEmail, the only call the worker makes (lambda_src/taskly/data/messaging.py).
SEND_EMAIL_ACTIONS = ("ses:SendEmail",)
DKIM_RECORDS = 3


class SenderIdentity(Construct):
    """Create (or reference) the SES identity ``identity`` and grant sending as ``sender``.

    ``identity`` is the sender's domain (created with Easy DKIM, 2048-bit keys; the three
    CNAME records to publish are stack outputs ``SesDkimRecord1..3``), the sender address
    (created; SES mails a verification link to it), or an existing identity's ARN (not
    managed here). ``grant_send`` allows ``ses:SendEmail`` on that one identity with
    ``ses:FromAddress`` pinned to ``sender``: no other identity, no other From address.

    If the sender address is also verified as an identity of its own, SES authorizes against
    that one instead and the grant does not cover it: use one identity per sender.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sender: str,
        identity: str,
        retain: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.sender = sender
        self.email_identity: ses.EmailIdentity | None = None
        if identity.startswith("arn:"):
            self.identity_arn = identity
            return
        self.email_identity = ses.EmailIdentity(
            self,
            "Identity",
            identity=ses.Identity.email(identity)
            if "@" in identity
            else ses.Identity.domain(identity),
            dkim_identity=ses.DkimIdentity.easy_dkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
        )
        # A re-created domain identity gets new DKIM tokens, so its DNS records would have to
        # be published again: protected stages keep it when the stack goes.
        self.email_identity.apply_removal_policy(removal_policy(keep=retain))
        # Built rather than read from the resource: the ARN is known before the identity exists.
        self.identity_arn = Stack.of(self).format_arn(
            service="ses",
            resource="identity",
            resource_name=identity,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        if "@" not in identity:
            self._dkim_outputs(self.email_identity)

    def _dkim_outputs(self, identity: ses.EmailIdentity) -> None:
        tokens = (
            (identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
            (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
            (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3),
        )
        stack = Stack.of(self)
        for index, (name, value) in enumerate(tokens, start=1):
            CfnOutput(
                stack,
                f"SesDkimRecord{index}",
                value=Fn.join(" ", [name, "CNAME", value]),
                description=f"DKIM record {index} of {DKIM_RECORDS} to publish in the sender "
                "domain's DNS; SES verifies the domain once all three resolve",
            )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` send as ``sender`` through this identity only."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(SEND_EMAIL_ACTIONS),
            resource_arns=[self.identity_arn],
            conditions={"StringEquals": {"ses:FromAddress": self.sender}},
        )
