"""The SES identity that authorizes the email worker's sender, and the grant to send as it."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from cdk_constructs.nag import acknowledge
from cdk_constructs.retention import removal_policy

# SES v2 SendEmail, the only call the worker makes (lambda_src/taskly/data/messaging.py).
SEND_EMAIL_ACTIONS = ("ses:SendEmail",)
DKIM_RECORDS = 3


class SenderIdentity(Construct):
    """Create (or reference) the SES identity ``identity`` and grant sending as ``sender``.

    ``identity`` is the sender's domain (created with Easy DKIM, 2048-bit keys; the three
    CNAME records to publish are stack outputs ``SesDkimRecord1..3``), the sender address
    (created; SES mails a verification link to it), or an existing identity's ARN (not
    managed here). ``grant_send`` allows ``ses:SendEmail`` with ``ses:FromAddress`` pinned to
    ``sender`` (no other From address) on that identity and, for the SES sandbox's recipient
    checks, on this account's and region's identities (see ``grant_send``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sender: str,
        identity: str,
        protect_data: bool,
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
        self.email_identity.apply_removal_policy(removal_policy(keep=protect_data))
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

    def grant_send(self, grantee: iam.IRole) -> None:
        """Let ``grantee`` send as ``sender``, out of the SES sandbox and in it.

        Out of the sandbox SES authorizes ``ses:SendEmail`` on the sending identity only. In
        the sandbox it also authorizes the call on each recipient's verified identity (the
        error names ``identity/<recipient>``), so a grant on the sender's identity alone denies
        every send to a verified tester. The grant therefore also covers this account's and
        region's identities (``identity/*``: the sandbox only delivers to verified identities
        of the account, whose names a stage config cannot know), under the same
        ``ses:FromAddress`` pin. Production gains nothing by it: the From address is still the
        one sender, and SES authorizes a From address only by that address's or its domain's
        identity. A per-stage list of tester identities was the alternative; it would deny
        every tester not yet listed, which is the failure this avoids.
        """
        sandbox_recipients = Stack.of(self).format_arn(
            service="ses",
            resource="identity",
            resource_name="*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(SEND_EMAIL_ACTIONS),
            resource_arns=[self.identity_arn, sandbox_recipients],
            conditions={"StringEquals": {"ses:FromAddress": self.sender}},
        )
        finding = f"AwsSolutions-IAM5[Resource::{self._nag_finding(sandbox_recipients)}]"
        acknowledge(
            grantee,
            {
                finding: "In the SES sandbox SendEmail is also authorized on each verified "
                "recipient's identity; the grant is pinned to the one sender by "
                "ses:FromAddress, so no other From address is allowed",
            },
        )

    def _nag_finding(self, arn: str) -> str:
        """``arn`` as cdk-nag spells it in a finding: pseudo parameters as ``<AWS::...>``."""
        resolved = Stack.of(self).resolve(arn)
        if isinstance(resolved, str):
            return resolved
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(
            part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts
        )
