"""The SNS topic that alarms needing a person publish to: KMS-encrypted, TLS-only, email."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk_constructs._emails import checked_recipients
from cdk_constructs.nag import acknowledge

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
# What SNS asks KMS for when CloudWatch publishes to the encrypted topic: a data key to encrypt
# the message (GenerateDataKey) and its plaintext again for delivery (Decrypt). Named exactly
# instead of kms:GenerateDataKey*, which would also grant the ...WithoutPlaintext and key-pair
# variants that nothing here calls (and which cfripper flags as a wildcard action).
CLOUDWATCH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Everything CloudFormation and an administrator do to a key, none of the cryptographic use:
# without PutKeyPolicy and ScheduleKeyDeletion in here the key could not be managed at all.
KEY_ADMINISTRATION_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)


class AlarmTopic(Construct):
    """An SNS topic encrypted with its own customer managed key, refusing non-TLS requests.

    Every address in ``email_recipients`` gets an email subscription (each must confirm it
    once). An empty list is allowed, e.g. for a stage whose alarms only feed the dashboard.
    ``key_removal_policy`` decides what happens to the key when the stack is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        email_recipients: Sequence[str],
        key_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ) -> None:
        super().__init__(scope, construct_id)
        recipients = checked_recipients(email_recipients, what="AlarmTopic email_recipients")

        self.key = self._key(key_removal_policy)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Taskly alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self._allow_cloudwatch_to_publish()
        for address in recipients:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))
        acknowledge(
            self.topic,
            {
                "Serverless-SNSRedrivePolicy": "Email deliveries are retried by SNS; a dead-letter "
                "queue would only hold alarm mail nobody reads, while the alarm state itself stays "
                "in CloudWatch and on the dashboard"
            },
        )

    def _key(self, removal_policy: RemovalPolicy) -> kms.Key:
        """The topic's key. Instead of CDK's default kms:* for the account: IAM principals of
        the account (CloudFormation's deploy role, an administrator) may manage the key but not
        use it; only CloudWatch encrypts with it.

        CloudWatch publishes alarm notifications as its service principal; without these two
        actions on an encrypted topic the notifications are silently dropped. Only on behalf of
        this account's alarms: a service principal grant without a source condition is open to
        any account's use of that service (confused deputy).
        """
        key = kms.Key(
            self,
            "Key",
            description="Encrypts the Taskly alarm notification topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
            policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AllowAccountToAdministerTheKey",
                        principals=[iam.AccountRootPrincipal()],
                        actions=list(KEY_ADMINISTRATION_ACTIONS),
                        resources=["*"],  # in a key policy "*" means this key
                    )
                ]
            ),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=list(CLOUDWATCH_KEY_ACTIONS),
                resources=["*"],  # in a key policy "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        return key

    def _allow_cloudwatch_to_publish(self) -> None:
        """enforce_ssl creates the topic policy, and a topic policy replaces SNS's default one:
        with only the TLS Deny in it nothing may publish, so every alarm notification would
        fail. This Allow is what lets CloudWatch deliver this account's alarms. (AWS Budgets
        does not publish here: BudgetAlerts emails its recipients directly.)"""
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )

    def notify_on(self, *alarms: cloudwatch.Alarm) -> None:
        """Send the alarms' ALARM and OK transitions to the topic."""
        notify(self.topic, *alarms)


def notify(topic: sns.ITopic, *alarms: cloudwatch.Alarm) -> None:
    """Send each alarm's ALARM and OK transitions to ``topic`` (e.g. an AlarmTopic's, passed to
    another stack): the person paged also learns when it is over."""
    action = cloudwatch_actions.SnsAction(topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
