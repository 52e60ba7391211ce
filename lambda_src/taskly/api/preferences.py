"""``/api/me/preferences`` (service ``profile``, legacy's ``preferences`` collection)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from taskly.api.auth import Caller, current_caller
from taskly.api.common import SECURED, responses
from taskly.errors import ConfigurationError
from taskly.logic.profile import PreferencesService
from taskly.models.profile import Preferences, PreferencesUpdate

router = APIGatewayHttpRouter()
TAGS = ["profile"]


def preferences_service() -> PreferencesService:
    """Dependency the mounting handler provides via ``app.dependency_overrides``."""
    raise ConfigurationError("the preferences router is mounted without a PreferencesService")


Service = Annotated[PreferencesService, Depends(preferences_service)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]


@router.get(
    "/me/preferences",
    summary="The caller's preferences (defaults until first saved)",
    tags=TAGS,
    operation_id="getPreferences",
    security=SECURED,
    responses=responses(200, Preferences, "The preferences", 503),
)
def get_preferences(*, caller: CurrentCaller, service: Service) -> Preferences:
    return service.get(user_id=caller.user_id)


@router.put(
    "/me/preferences",
    summary="Replace the caller's preferences",
    tags=TAGS,
    operation_id="putPreferences",
    security=SECURED,
    responses=responses(200, Preferences, "The saved preferences", 400, 503),
)
def put_preferences(
    *, caller: CurrentCaller, service: Service, preferences: Annotated[PreferencesUpdate, Body()]
) -> Preferences:
    return service.replace(user_id=caller.user_id, preferences=preferences)
