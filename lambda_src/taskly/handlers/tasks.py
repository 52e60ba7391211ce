"""Entry point of the ``tasks`` function (in the VPC, DocumentDB).

Handler string: ``taskly.handlers.tasks.handler``.

Init loads the router, the models and Powertools; the data layer (pymongo, boto3, the
database secret's model) loads on first use: the first request that passes the origin check
(boto3, the origin-verify secret) and then reaches the repository (pymongo). With SnapStart,
``prime`` loads all of it before the snapshot instead, so a restored environment has it.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from taskly.settings import TasksSettings, load_settings

settings = load_settings(TasksSettings)

from taskly import invocation, snapshot  # noqa: E402
from taskly.api import tasks as tasks_api  # noqa: E402
from taskly.api.app import build_resolver, resolve  # noqa: E402
from taskly.api.origin import OriginCheck  # noqa: E402
from taskly.data.origin_secret import SecretsManagerOriginSecret  # noqa: E402
from taskly.logic.tasks import TasksService  # noqa: E402
from taskly.models.common import build_models  # noqa: E402
from taskly.observability import API_CORRELATION_PATH, logger, metrics, tracer  # noqa: E402

app = build_resolver(tasks_api.router)
# Refuses callers that skipped CloudFront before anything else runs (taskly.api.origin).
origin = OriginCheck(
    secret=SecretsManagerOriginSecret(secret_arn=settings.origin_verify_secret_arn)
)


def idempotency_store() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from taskly.data.aws import client

    # Powertools' default key schema: partition key "id", TTL attribute "expiration".
    return DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table_name, boto3_client=client("dynamodb")
    )


@functools.cache
def tasks_service() -> TasksService:
    from taskly.data.documentdb import DocumentDbConnection, DocumentDbTaskRepository
    from taskly.data.messaging import SqsEmailQueue

    connection = DocumentDbConnection(
        secret_arn=settings.docdb_secret_arn,
        database=settings.docdb_database,
        ca_file=settings.ca_file_path(),
        max_pool_size=settings.docdb_max_pool_size,
    )
    return TasksService(
        repository=DocumentDbTaskRepository(connection=connection),
        email_queue=SqsEmailQueue(queue_url=str(settings.email_queue_url)),
        idempotency_store=idempotency_store,
    )


app.dependency_overrides[tasks_api.tasks_service] = tasks_service


@snapshot.before_snapshot
def prime() -> None:
    """Before the snapshot: load what ``tasks_service`` and the origin check load on first use
    and build the models' validators; code only, no clients or connections."""
    from taskly.data import documentdb, origin_secret

    origin_secret.prime()
    documentdb.prime()
    for module in ("taskly.data.messaging", "aws_lambda_powertools.utilities.idempotency"):
        importlib.import_module(module)
    build_models()


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    invocation.begin(context)
    return resolve(app, event, context, origin=origin)
