"""Cold-start settings validation and the committed OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_unit_support import run_fresh
from taskly.api.openapi import render
from taskly.errors import ConfigurationError
from taskly.settings import EmailWorkerSettings, ProfileSettings, TasksSettings, load_settings

REPO = Path(__file__).resolve().parents[3]
BASE = {
    "POWERTOOLS_SERVICE_NAME": "tasks",
    "POWERTOOLS_METRICS_NAMESPACE": "Taskly",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
ORIGIN = {
    "ORIGIN_VERIFY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ov-x1",
}
DATABASE = {
    "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docdb-x1",
}
TASKS = {
    **BASE,
    **ORIGIN,
    "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docdb-x1",
    "IDEMPOTENCY_TABLE_NAME": "idem",
    "EMAIL_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/email",
}


def test_tasks_settings_defaults() -> None:
    settings = load_settings(TasksSettings, TASKS)
    assert (settings.docdb_database, settings.docdb_ca_file) == (
        "taskly",
        "certs/global-bundle.pem",
    )
    root = Path("/var/task")
    assert (
        settings.ca_file_path({"LAMBDA_TASK_ROOT": str(root)}) == root / "certs/global-bundle.pem"
    )


@pytest.mark.parametrize(
    ("model", "environment", "named"),
    [
        (
            TasksSettings,
            {k: v for k, v in TASKS.items() if k != "DOCDB_SECRET_ARN"},
            ["DOCDB_SECRET_ARN"],
        ),
        (
            TasksSettings,
            {**TASKS, "DOCDB_SECRET_ARN": "not-an-arn", "EMAIL_QUEUE_URL": "nope"},
            ["DOCDB_SECRET_ARN", "EMAIL_QUEUE_URL"],
        ),
        # Preferences live in the shared database: no profile function starts without it.
        (ProfileSettings, {**BASE, **ORIGIN}, ["DOCDB_SECRET_ARN"]),
        # The origin check has no off switch: an API function without the secret does not start.
        (
            TasksSettings,
            {k: v for k, v in TASKS.items() if k != "ORIGIN_VERIFY_SECRET_ARN"},
            ["ORIGIN_VERIFY_SECRET_ARN"],
        ),
        (ProfileSettings, {**BASE, **DATABASE}, ["ORIGIN_VERIFY_SECRET_ARN"]),
        (
            ProfileSettings,
            {**BASE, **DATABASE, "ORIGIN_VERIFY_SECRET_ARN": ""},
            ["ORIGIN_VERIFY_SECRET_ARN"],
        ),
        (
            EmailWorkerSettings,
            {**BASE, "IDEMPOTENCY_TABLE_NAME": "t1x", "SENDER_EMAIL": "nobody"},
            ["SENDER_EMAIL"],
        ),
        (
            ProfileSettings,
            {**BASE, **ORIGIN, **DATABASE, "POWERTOOLS_LOG_LEVEL": "LOUD"},
            ["POWERTOOLS_LOG_LEVEL"],
        ),
    ],
)
def test_bad_environment_is_one_clear_error(
    model: type, environment: dict[str, str], named: list[str]
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(model, environment)
    message = str(raised.value)
    assert "\n" not in message
    for variable in named:
        assert variable in message


def test_only_the_api_functions_need_the_origin_verify_secret() -> None:
    worker = load_settings(
        EmailWorkerSettings,
        {**BASE, "IDEMPOTENCY_TABLE_NAME": "idem", "SENDER_EMAIL": "no-reply@example.com"},
    )
    assert not hasattr(worker, "origin_verify_secret_arn")
    profile = load_settings(ProfileSettings, {**BASE, **ORIGIN, **DATABASE})
    assert profile.origin_verify_secret_arn == ORIGIN["ORIGIN_VERIFY_SECRET_ARN"]


def test_committed_openapi_matches_the_routers() -> None:
    committed = (REPO / "docs" / "openapi.json").read_text()
    assert committed == render(), "docs/openapi.json is stale: run `make openapi` and commit it"


@pytest.mark.parametrize(
    ("handler", "model"),
    [
        ("tasks", "TasksSettings"),
        ("profile", "ProfileSettings"),
        ("email_worker", "EmailWorkerSettings"),
    ],
)
def test_a_function_builds_only_its_own_settings_model(handler: str, model: str) -> None:
    # In a fresh interpreter: the other settings models stay unbuilt (defer_build).
    built = run_fresh(
        f"import json, taskly.handlers.{handler}\n"
        "from taskly import settings\n"
        "models = [m for m in vars(settings).values()\n"
        "          if isinstance(m, type) and issubclass(m, settings.FunctionSettings)]\n"
        "print(json.dumps(sorted(m.__name__ for m in models if m.__pydantic_complete__)))"
    )
    assert built == [model]


FIRST_LIST_PROBE = """
import json, sys
sys.path[:0] = [{repo!r}, {here!r}]
import taskly.handlers.tasks as handler
from taskly.models import common, email, tasks as task_models


def built():
    return sorted(
        name
        for module in (common, email, task_models)
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__
        and getattr(value, "__pydantic_complete__", False)
    )


at_init = built()
from api_unit_support import ORIGIN_SECRET, invoke
from taskly.api import tasks as tasks_api
from taskly.api.origin import OriginCheck
from taskly.data.memory import InMemoryEmailQueue, InMemoryOriginSecret, InMemoryTaskRepository
from taskly.data.memory import in_memory_idempotency_store
from taskly.logic.tasks import TasksService

service = TasksService(
    repository=InMemoryTaskRepository(),
    email_queue=InMemoryEmailQueue(),
    idempotency_store=in_memory_idempotency_store,
)
handler.app.dependency_overrides[tasks_api.tasks_service] = lambda: service
handler.origin = OriginCheck(secret=InMemoryOriginSecret(current=ORIGIN_SECRET))
status = invoke(handler.handler, "GET", "/api/tasks").status
print(json.dumps({{"at_init": at_init, "status": status, "after_list": built()}}))
"""


def test_a_request_builds_the_models_of_its_own_route_only() -> None:
    # In a fresh interpreter: init builds no API model (defer_build, taskly.models.common.
    # ApiModel); listing tasks builds the page and the query, not the create, update, share,
    # stats, error or email models of the other routes.
    here = Path(__file__).resolve().parent
    seen = run_fresh(FIRST_LIST_PROBE.format(repo=str(here.parents[2]), here=str(here)))
    assert seen["at_init"] == []
    assert seen["status"] == 200
    assert seen["after_list"] == ["TaskPage", "TaskQuery"]
