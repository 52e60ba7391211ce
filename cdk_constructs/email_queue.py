"""SQS queue that feeds a consumer function, with a dead-letter queue and an alarm on it."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_constructs.nag import acknowledge, acknowledge_checkov

# AWS's guidance for Lambda consumers: visibility timeout >= 6x the function timeout, so a
# message is not redelivered while throttled retries of the same batch are still running.
VISIBILITY_TIMEOUT_FACTOR = 6
MAX_RETENTION = Duration.days(14)
DEFAULT_BATCHING_WINDOW = Duration.seconds(1)


class EmailQueue(Construct):
    """Work queue consumed by ``consumer`` with partial batch responses.

    At most ``max_concurrency`` environments of ``consumer`` run at once (the event source's
    ``MaximumConcurrency``). A message that fails ``max_receive_count`` times moves to
    ``dead_letter_queue``, where
    ``dead_letter_alarm`` fires as soon as one is waiting. Both queues are encrypted
    (SQS-managed keys) and refuse requests that are not over TLS.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: lambda_.IFunction,
        consumer_timeout: Duration,
        max_concurrency: int,
        max_receive_count: int = 5,
        batch_size: int = 10,
        max_batching_window: Duration = DEFAULT_BATCHING_WINDOW,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=MAX_RETENTION,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=MAX_RETENTION,
            visibility_timeout=Duration.seconds(
                consumer_timeout.to_seconds() * VISIBILITY_TIMEOUT_FACTOR
            ),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
        )
        # What SqsEventSource builds, kept as an object so its acknowledgment stays narrow.
        self.event_source_mapping = consumer.add_event_source_mapping(
            "EmailQueueSource",
            event_source_arn=self.queue.queue_arn,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            report_batch_item_failures=True,
            # The cap belongs here, not in reserved concurrency: past a reservation the
            # pollers keep invoking and the function throttles (aws/aws-cdk#24180 shows a
            # reservation of 1 stalling an SQS consumer altogether).
            max_concurrency=max_concurrency,
        )
        self.queue.grant_consume_messages(consumer)
        self.dead_letter_alarm = self._dead_letter_alarm()
        self._acknowledge()

    def _dead_letter_alarm(self) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description="Emails failed repeatedly and wait in the dead-letter queue: "
            "inspect, fix, then redrive them to the email queue",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=Duration.minutes(1)
            ),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            threshold=0,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _acknowledge(self) -> None:
        """Every finding this construct acknowledges, with its reason."""
        for queue in (self.queue, self.dead_letter_queue):
            resource = queue.node.default_child
            assert isinstance(resource, sqs.CfnQueue)  # noqa: S101 - Queue's own resource
            acknowledge_checkov(
                resource,
                {
                    "CKV_AWS_27": "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); "
                    "this checkov release recognises only KMS keys as queue encryption",
                },
            )
        acknowledge(
            self.event_source_mapping,
            {
                "Serverless-LambdaEventSourceMappingDestination": "Lambda supports no "
                "on-failure destination for SQS sources; the queue's redrive policy moves a "
                "message that failed max_receive_count times to the dead-letter queue",
            },
        )
        acknowledge(
            self.dead_letter_queue,
            {
                "Serverless-SQSRedrivePolicy": "This is the dead-letter queue of the email "
                "queue; a dead-letter queue of its own would hide failed messages further",
            },
        )
