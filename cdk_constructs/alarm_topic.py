"""The SNS topic that alarms needing a person publish to: KMS-encrypted, TLS-only, email."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk_constructs._emails import checked_recipients
from cdk_constructs.nag import acknowledge


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
        key_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        recipients = checked_recipients(email_recipients, what="AlarmTopic email_recipients")

        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the Taskly alarm notification topic",
            enable_key_rotation=True,
            removal_policy=key_removal_policy,
        )
        # CloudWatch publishes alarm notifications as its service principal; without these
        # two actions on an encrypted topic the notifications are silently dropped.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
            )
        )

        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Taskly alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
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

    def notify_on(self, alarm: cloudwatch.Alarm) -> None:
        """Send the alarm's ALARM and OK transitions to the topic."""
        action = cloudwatch_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
