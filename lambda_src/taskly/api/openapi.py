"""The OpenAPI document of every migrated route, generated from the routers.

``python -m taskly.api.openapi > docs/openapi.json``; a test fails when the committed file drifts.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from taskly.api import health, preferences, tasks
from taskly.api.app import build_resolver
from taskly.api.common import SECURITY_SCHEME
from taskly.routes import API_SCOPE

TITLE = "Taskly API (migrated routes)"
VERSION = "1.0.0"


def security_schemes() -> dict[str, Any]:
    return {
        SECURITY_SCHEME: HTTPBearer(
            bearerFormat="JWT",
            description=(
                f"A Cognito access token carrying the {API_SCOPE} scope (ID tokens are "
                "refused by the API Gateway authorizer)."
            ),
        )
    }


def openapi_document() -> dict[str, Any]:
    app = build_resolver(health.router, preferences.router, tasks.router)
    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=(
            "Routes served by Lambda behind API Gateway; every other /api route is proxied to "
            "the legacy backend. Errors are {code, message, details}."
        ),
        security_schemes=security_schemes(),
    )
    document: dict[str, Any] = json.loads(schema)
    return document


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
