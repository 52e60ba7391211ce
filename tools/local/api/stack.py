"""Backing services for the local API: moto server for AWS, mongomock or a wire server for data.

The handlers run unchanged: boto3 reaches moto through ``AWS_ENDPOINT_URL``, the functions
read the DocumentDB and the origin-verify secrets from moto's Secrets Manager through
Powertools. By default only the pymongo client is swapped, for mongomock (see docs/api.md for
what that does not cover); with ``docdb_secret`` (``make local``: the local wire server that
the legacy backend uses too) nothing is swapped: the secret in moto names that server, with its
CA, and the function connects with its own connection code.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.local.api.events import LocalLambdaContext

logger = logging.getLogger("taskly.local.stack")

REGION = "us-east-1"
SENDER_EMAIL = "no-reply@taskly.example.com"
# Short locally so a failing email is retried (and reaches the DLQ) within seconds.
EMAIL_VISIBILITY_TIMEOUT = 2
EMAIL_MAX_RECEIVE_COUNT = 5


def create_tables(dynamodb: Any, *, app_state_table: str, idempotency_table: str) -> None:
    """The two DynamoDB tables in the shapes the data stack deploys (pk/sk; Powertools' id)."""
    dynamodb.create_table(
        TableName=app_state_table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=idempotency_table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


class LocalStack:
    """moto on ``http://localhost:<port>`` plus the resources the data stack would create."""

    def __init__(
        self,
        *,
        moto_port: int,
        log_level: str = "INFO",
        docdb_secret: dict[str, Any] | None = None,
    ) -> None:
        self.moto_port = moto_port
        self.docdb_secret = docdb_secret
        # localhost, not 127.0.0.1: moto takes a host's first label for an S3 bucket name.
        self.endpoint = f"http://localhost:{moto_port}"
        self.log_level = log_level
        self._moto: Any = None
        self._poller: threading.Thread | None = None
        self._stopping = threading.Event()
        self.queue_url = ""
        self.dlq_url = ""
        # The value the local CloudFront stand-in sends in x-origin-verify (a fresh one per run).
        self.origin_verify_value = ""

    def start(self) -> dict[str, str]:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        environment = self._create_resources()
        os.environ.update(environment)
        return environment

    def _create_resources(self) -> dict[str, str]:
        import boto3

        create_tables(
            boto3.client("dynamodb"),
            app_state_table="taskly-local-app-state",
            idempotency_table="taskly-local-idempotency",
        )
        sqs = boto3.client("sqs")
        self.dlq_url = sqs.create_queue(QueueName="taskly-local-email-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.queue_url = sqs.create_queue(
            QueueName="taskly-local-email",
            Attributes={
                "VisibilityTimeout": str(EMAIL_VISIBILITY_TIMEOUT),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": EMAIL_MAX_RECEIVE_COUNT}
                ),
            },
        )["QueueUrl"]
        secret_arn = boto3.client("secretsmanager").create_secret(
            Name="taskly-local-docdb",
            SecretString=json.dumps(
                # The attached-secret shape; mongomock ignores the values.
                self.docdb_secret
                or {"host": "localhost", "port": 27017, "username": "taskly", "password": "local"}
            ),
        )["ARN"]
        # Like OriginVerifySecret: 64 random alphanumeric characters (hex here).
        self.origin_verify_value = secrets.token_hex(32)
        origin_verify_arn = boto3.client("secretsmanager").create_secret(
            Name="taskly-local-origin-verify", SecretString=self.origin_verify_value
        )["ARN"]
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER_EMAIL)
        return {
            "POWERTOOLS_SERVICE_NAME": "taskly-local",
            "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
            "POWERTOOLS_LOG_LEVEL": self.log_level,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "DOCDB_SECRET_ARN": secret_arn,
            "ORIGIN_VERIFY_SECRET_ARN": origin_verify_arn,
            "DOCDB_DATABASE": "taskly",
            "IDEMPOTENCY_TABLE_NAME": "taskly-local-idempotency",
            "EMAIL_QUEUE_URL": self.queue_url,
            "SENDER_EMAIL": SENDER_EMAIL,
        }

    def functions(self) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
        """The real handlers, imported after the environment is in place."""
        from taskly.handlers import email_worker, profile, tasks

        handlers = {
            "tasks": tasks.handler,
            "profile": profile.handler,
            "email_worker": email_worker.handler,
        }
        if self.docdb_secret is not None:
            return handlers  # the real wiring: the function reads the secret and connects
        import mongomock
        from taskly.api import preferences as preferences_api
        from taskly.api import tasks as tasks_api
        from taskly.data import documentdb_preferences
        from taskly.data.documentdb import DocumentDbConnection, DocumentDbTaskRepository
        from taskly.data.messaging import SqsEmailQueue
        from taskly.logic.profile import PreferencesService
        from taskly.logic.tasks import TasksService

        # One fake database for both functions, as both share one database in AWS.
        documentdb: Any = mongomock.MongoClient(tz_aware=True)

        def connection(**collection: Any) -> DocumentDbConnection:
            return DocumentDbConnection(
                secret_arn=tasks.settings.docdb_secret_arn,
                database=tasks.settings.docdb_database,
                ca_file=Path("unused-by-mongomock.pem"),
                client_factory=lambda _secret, _ca_file: documentdb,
                **collection,
            )

        service = TasksService(
            repository=DocumentDbTaskRepository(connection=connection()),
            email_queue=SqsEmailQueue(queue_url=str(tasks.settings.email_queue_url)),
            idempotency_store=tasks.idempotency_store,
        )
        tasks.app.dependency_overrides[tasks_api.tasks_service] = lambda: service
        preferences = PreferencesService(
            repository=documentdb_preferences.DocumentDbPreferencesRepository(
                connection=connection(
                    collection=documentdb_preferences.COLLECTION,
                    indexes=documentdb_preferences.INDEXES,
                    store=documentdb_preferences.STORE,
                )
            )
        )
        profile.app.dependency_overrides[preferences_api.preferences_service] = lambda: preferences
        return handlers

    def start_email_poller(self, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        """What the SQS event source mapping does: batches in, failed records left for retry."""
        self._poller = threading.Thread(
            target=self._poll_email_queue, args=(handler,), name="email-poller", daemon=True
        )
        self._poller.start()

    def _poll_email_queue(self, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        import boto3

        sqs = boto3.client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        while not self._stopping.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:  # the server is shutting down
                if self._stopping.is_set():
                    return
                raise
            if not messages:
                continue
            event = {"Records": [_sqs_record(message, queue_arn) for message in messages]}
            try:
                result = handler(event, LocalLambdaContext(function_name="taskly-local-email"))
            except Exception:
                logger.exception("the email worker failed the whole batch")
                continue
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )

    def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout=3)
        if self._moto is not None:
            self._moto.stop()


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
