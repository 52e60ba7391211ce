"""``GET /api/health``: public, cheap, touches no dependency (a liveness check)."""

from __future__ import annotations

import os

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from taskly.models.common import Health

router = APIGatewayHttpRouter()


@router.get(
    "/health",
    summary="Liveness check",
    tags=["health"],
    operation_id="getHealth",
    description="Public. Answers from the profile function without touching any dependency.",
)
def get_health() -> Health:
    return Health(status="ok", service=os.environ.get("POWERTOOLS_SERVICE_NAME", "taskly"))
