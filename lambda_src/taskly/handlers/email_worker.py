"""Entry point of the ``email_worker`` function: SQS batches -> SES, ``...email_worker.handler``.

Each record is processed once per SQS message id (Powertools idempotency on the DynamoDB
idempotency table) and failures are reported per record, so SQS retries only those; a message
that keeps failing (a poison message) reaches the DLQ after the queue's maxReceiveCount.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from taskly.settings import EmailWorkerSettings, load_settings

settings = load_settings(EmailWorkerSettings)

from taskly import invocation, snapshot  # noqa: E402
from taskly.data.interfaces import EmailSender  # noqa: E402
from taskly.logic.email import ShareNotifier  # noqa: E402
from taskly.models.common import build_models  # noqa: E402
from taskly.models.email import TaskSharedEmail  # noqa: E402
from taskly.observability import logger, metrics, tracer  # noqa: E402

# How long a delivered message id is remembered (SQS keeps a message at most 14 days).
DELIVERY_RECORD_SECONDS = 14 * 24 * 60 * 60


class EmailWorker:
    """The batch loop, built from its collaborators so tests can run it without AWS."""

    def __init__(self, *, sender: EmailSender, sender_address: str, persistence_store: Any) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            IdempotencyConfig,
            idempotent_function,
        )

        self._notifier = ShareNotifier(sender_address=sender_address, sender=sender)
        self._processor = BatchProcessor(event_type=EventType.SQS)
        self.idempotency_config = IdempotencyConfig(
            event_key_jmespath="messageId", expires_after_seconds=DELIVERY_RECORD_SECONDS
        )
        self._deliver_once: Callable[..., dict[str, str]] = idempotent_function(
            self._deliver,
            data_keyword_argument="record",
            persistence_store=persistence_store,
            config=self.idempotency_config,
        )

    def _deliver(self, record: dict[str, Any]) -> dict[str, str]:
        sqs_record = SQSRecord(record)
        # A body that is not a valid message fails here on every receive: it ends in the DLQ.
        message = TaskSharedEmail.model_validate_json(sqs_record.body)
        provider_id = self._notifier.deliver(message)
        logger.info(
            "share email sent",
            extra={"message_id": sqs_record.message_id, "task_id": message.task_id},
        )
        return {"provider_message_id": provider_id}

    def _record_handler(self, record: SQSRecord) -> dict[str, str]:
        try:
            result = self._deliver_once(record=record.raw_event)
        except ValidationError as exc:
            # Not a message we can ever send: it will reach the DLQ after maxReceiveCount.
            metrics.add_metric(name="EmailMessageRejected", unit="Count", value=1)
            logger.error(
                "invalid email message",
                extra={
                    "message_id": record.message_id,
                    "errors": exc.errors(include_url=False, include_input=False),
                },
            )
            raise
        except Exception:
            metrics.add_metric(name="EmailDeliveryFailed", unit="Count", value=1)
            logger.exception("share email failed", extra={"message_id": record.message_id})
            raise
        metrics.add_metric(name="EmailDelivered", unit="Count", value=1)
        return result

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.idempotency_config.register_lambda_context(context)
        return process_partial_response(  # type: ignore[return-value]
            event=event,
            record_handler=self._record_handler,
            processor=self._processor,
            context=context,
        )


@functools.cache
def worker() -> EmailWorker:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from taskly.data.aws import client
    from taskly.data.messaging import SesEmailSender

    return EmailWorker(
        sender=SesEmailSender(),
        sender_address=settings.sender_email,
        persistence_store=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, boto3_client=client("dynamodb")
        ),
    )


@snapshot.before_snapshot
def prime() -> None:
    """Before the snapshot: load what ``worker`` loads on first use (boto3, idempotency, the SES
    sender) and build the models' validators; code only, no clients."""
    from taskly.data import aws

    aws.prime()
    for module in ("taskly.data.messaging", "aws_lambda_powertools.utilities.idempotency"):
        importlib.import_module(module)
    build_models()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    invocation.begin(context)
    return worker()(event, context)
