"""The AWS adapters (SQS, SES, idempotency) and the email worker, against moto's in-process mock."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from taskly.data import aws
from taskly.data.messaging import SqsEmailQueue
from taskly.errors import DependencyUnavailableError
from taskly.handlers import email_worker
from taskly.models.email import TaskSharedEmail

from tools.local.api.events import LocalLambdaContext
from tools.local.api.stack import create_tables

SENDER = "no-reply@taskly.example.com"
IDEMPOTENCY_TABLE = "taskly-test-idempotency"
APP_STATE_TABLE = "taskly-test-app-state"


@pytest.fixture
def account() -> Iterator[None]:
    with mock_aws():
        aws.client.cache_clear()
        email_worker.worker.cache_clear()
        create_tables(
            boto3.client("dynamodb"),
            app_state_table=APP_STATE_TABLE,
            idempotency_table=IDEMPOTENCY_TABLE,
        )
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        yield
        aws.client.cache_clear()
        email_worker.worker.cache_clear()


def sent_emails() -> int:
    return int(boto3.client("ses").get_send_quota()["SentLast24Hours"])


def test_queue_sends_the_message_json(account: None) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="email")["QueueUrl"]
    message = share_message()
    SqsEmailQueue(queue_url=queue_url).send(message)
    [received] = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"]
    assert TaskSharedEmail.model_validate_json(received["Body"]) == message
    assert received["MessageAttributes"]["kind"]["StringValue"] == "task_shared"


def test_missing_queue_is_not_hidden_as_unavailable(account: None) -> None:
    queue = SqsEmailQueue(queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    with pytest.raises(ClientError):
        queue.send(share_message())


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "ThrottlingException"}}, "PutItem"),
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem"),
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
)
def test_transient_aws_errors_become_503(error: Exception) -> None:
    with pytest.raises(DependencyUnavailableError), aws.translate_aws_errors("store"):
        raise error


def test_permanent_aws_errors_propagate() -> None:
    denied = ClientError({"Error": {"Code": "AccessDeniedException"}}, "PutItem")
    with pytest.raises(ClientError), aws.translate_aws_errors("store"):
        raise denied


def share_message(recipient: str = "bob@example.com") -> TaskSharedEmail:
    return TaskSharedEmail(
        task_id="0" * 24,
        task_title="Write report",
        recipient=recipient,
        shared_by="alice",
        shared_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:email",
        "awsRegion": "us-east-1",
    }


def test_worker_sends_good_messages_and_reports_poison_ones(account: None) -> None:
    # Given a batch with two valid messages and one that can never be processed...
    good = [sqs_record(share_message().model_dump_json()) for _ in range(2)]
    poison = sqs_record('{"kind": "task_shared", "recipient": 42')
    event = {"Records": [good[0], poison, good[1]]}
    # ...when the worker runs, then the valid ones are sent and only the poison one is retried.
    result = email_worker.handler(event, LocalLambdaContext(function_name="email"))
    assert result == {"batchItemFailures": [{"itemIdentifier": poison["messageId"]}]}
    assert sent_emails() == 2
    # When SQS delivers the same messages again, nothing is sent twice.
    again = email_worker.handler(event, LocalLambdaContext(function_name="email"))
    assert again == result
    assert sent_emails() == 2


def test_worker_retries_a_message_ses_rejects(account: None) -> None:
    # An unverified sender address is rejected by SES: the record fails and stays on the queue.
    boto3.client("sesv2").delete_email_identity(EmailIdentity=SENDER)
    record = sqs_record(share_message().model_dump_json())
    other = sqs_record(json.dumps({"not": "a message"}))
    with pytest.raises(BatchProcessingError):
        email_worker.handler(
            {"Records": [record, other]}, LocalLambdaContext(function_name="email")
        )
    assert sent_emails() == 0
