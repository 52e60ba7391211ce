"""Entry point of the ``profile`` function (in the VPC, the shared database; also serves health).

Preferences live in legacy's ``preferences`` collection of the database both backends share
during the cutover (docs/data-migration.md, "Preferences: one store"), so a viewer moved
between legacy and the new API by the weight sees what they saved on either side.

Imports neither pymongo nor boto3 at init: health checks never need them, and the preferences
routes (with the origin check they pass first) load them on their first call. With SnapStart,
``prime`` loads them before the snapshot instead.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from taskly.settings import ProfileSettings, load_settings

settings = load_settings(ProfileSettings)

from taskly import invocation, snapshot  # noqa: E402
from taskly.api import health as health_api  # noqa: E402
from taskly.api import preferences as preferences_api  # noqa: E402
from taskly.api.app import build_resolver, resolve  # noqa: E402
from taskly.api.origin import OriginCheck  # noqa: E402
from taskly.data.origin_secret import SecretsManagerOriginSecret  # noqa: E402
from taskly.logic.profile import PreferencesService  # noqa: E402
from taskly.models.common import build_models  # noqa: E402
from taskly.observability import API_CORRELATION_PATH, logger, metrics, tracer  # noqa: E402

app = build_resolver(health_api.router, preferences_api.router)
# Refuses callers that skipped CloudFront before anything else runs (taskly.api.origin).
origin = OriginCheck(
    secret=SecretsManagerOriginSecret(secret_arn=settings.origin_verify_secret_arn)
)


@functools.cache
def preferences_service() -> PreferencesService:
    from taskly.data import documentdb_preferences
    from taskly.data.documentdb import DocumentDbConnection

    connection = DocumentDbConnection(
        secret_arn=settings.docdb_secret_arn,
        database=settings.docdb_database,
        ca_file=settings.ca_file_path(),
        max_pool_size=settings.docdb_max_pool_size,
        collection=documentdb_preferences.COLLECTION,
        indexes=documentdb_preferences.INDEXES,
        store=documentdb_preferences.STORE,
    )
    return PreferencesService(
        repository=documentdb_preferences.DocumentDbPreferencesRepository(connection=connection)
    )


app.dependency_overrides[preferences_api.preferences_service] = preferences_service


@snapshot.before_snapshot
def prime() -> None:
    """Before the snapshot: load what the origin check and ``preferences_service`` load on first
    use and build the models' validators; code only, no clients or connections."""
    from taskly.data import documentdb, origin_secret

    origin_secret.prime()
    documentdb.prime()
    importlib.import_module("taskly.data.documentdb_preferences")
    build_models()


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    invocation.begin(context)
    return resolve(app, event, context, origin=origin)
