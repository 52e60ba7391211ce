"""The migration table: which API routes run on Lambda, and in which service.

Single source of truth shared by the runtime routers (a test checks they agree), the CDK
compute stack (one API Gateway route per entry, everything else goes to the legacy backend)
and the local API. Standard library only: the CDK app imports this module. Each service's
handler, bundle and sizing are in ``stacks/services.py`` (the CDK side's table of services).
"""

from __future__ import annotations

from typing import NamedTuple

API_PREFIX = "/api"

# Cognito resource server identifier "taskly" + scope "api"; the HTTP API authorizer requires it.
API_SCOPE = "taskly/api"


class Route(NamedTuple):
    """One migrated route, in API Gateway route syntax (``/api/tasks/{id}``)."""

    method: str
    path: str
    service: str
    public: bool = False

    @property
    def route_key(self) -> str:
        """The API Gateway ``routeKey`` (``"GET /api/tasks/{id}"``)."""
        return f"{self.method} {self.path}"


MIGRATED_ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/health", "profile", public=True),
    Route("GET", "/api/me/preferences", "profile"),
    Route("PUT", "/api/me/preferences", "profile"),
    Route("GET", "/api/tasks", "tasks"),
    Route("POST", "/api/tasks", "tasks"),
    Route("GET", "/api/tasks/stats", "tasks"),
    Route("GET", "/api/tasks/{id}", "tasks"),
    Route("PATCH", "/api/tasks/{id}", "tasks"),
    Route("DELETE", "/api/tasks/{id}", "tasks"),
    Route("POST", "/api/tasks/{id}/share", "tasks"),
)


def routes_for(service: str) -> tuple[Route, ...]:
    """The migrated routes one service answers."""
    return tuple(route for route in MIGRATED_ROUTES if route.service == service)
