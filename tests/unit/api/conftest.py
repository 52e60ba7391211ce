"""Fixtures of the API unit tests: in-process, sockets blocked (pytest-socket)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from api_unit_support import ORIGIN_SECRET, TasksFixture
from taskly.api import preferences as preferences_api
from taskly.api import tasks as tasks_api
from taskly.api.origin import OriginCheck
from taskly.data.memory import (
    InMemoryEmailQueue,
    InMemoryOriginSecret,
    InMemoryPreferencesRepository,
    InMemoryTaskRepository,
    in_memory_idempotency_store,
)
from taskly.handlers import profile as profile_handler
from taskly.handlers import tasks as tasks_handler
from taskly.logic.profile import PreferencesService
from taskly.logic.tasks import TasksService


@pytest.fixture(autouse=True)
def origin_secret(monkeypatch: pytest.MonkeyPatch) -> InMemoryOriginSecret:
    """The secret both API handlers check x-origin-verify against (a fake: no Secrets Manager).

    A fresh OriginCheck per test, so no test inherits another's refresh clock.
    """
    secret = InMemoryOriginSecret(current=ORIGIN_SECRET)
    for handler_module in (tasks_handler, profile_handler):
        monkeypatch.setattr(handler_module, "origin", OriginCheck(secret=secret))
    return secret


@pytest.fixture
def tasks() -> Iterator[TasksFixture]:
    """The tasks handler wired to in-memory repositories (fakes: no DocumentDB, SQS or DynamoDB)."""
    repository, queue, idempotency = (
        InMemoryTaskRepository(),
        InMemoryEmailQueue(),
        in_memory_idempotency_store(),
    )
    service = TasksService(
        repository=repository, email_queue=queue, idempotency_store=lambda: idempotency
    )
    overrides = tasks_handler.app.dependency_overrides
    previous = overrides[tasks_api.tasks_service]
    overrides[tasks_api.tasks_service] = lambda: service
    yield TasksFixture(service=service, repository=repository, queue=queue, idempotency=idempotency)
    overrides[tasks_api.tasks_service] = previous


@pytest.fixture
def preferences() -> Iterator[InMemoryPreferencesRepository]:
    """The profile handler wired to an in-memory preferences repository (a fake)."""
    repository = InMemoryPreferencesRepository()
    overrides = profile_handler.app.dependency_overrides
    previous = overrides[preferences_api.preferences_service]
    overrides[preferences_api.preferences_service] = lambda: PreferencesService(
        repository=repository
    )
    yield repository
    overrides[preferences_api.preferences_service] = previous


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many generated events each handler took (the fuzz tests count them)."""
    fuzz = sys.modules.get("test_api_fuzz")
    counts = getattr(fuzz, "COUNTS", None)
    if counts:
        summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        terminalreporter.write_line(f"hypothesis events per handler (0 server errors): {summary}")
