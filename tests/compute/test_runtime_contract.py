"""The stack and the runtime agree: each function's environment passes the runtime's own check.

The runtime validates its environment at cold start (``taskly.settings``, pydantic). Values
CloudFormation fills in at deploy time (imports, refs) are replaced by well-formed examples;
literal values (log level, sender, CA path, namespace) are checked exactly as deployed.
"""

from __future__ import annotations

from typing import Any

import pytest
from taskly import settings as runtime_settings
from taskly.errors import ConfigurationError

from stacks.compute_stack import CA_BUNDLE_PATH, service_bundles
from tests.compute.conftest import SynthesizedStage, by_path

MODELS = {
    "Tasks": runtime_settings.TasksSettings,
    "Profile": runtime_settings.ProfileSettings,
    "EmailWorker": runtime_settings.EmailWorkerSettings,
}
# What CloudFormation resolves each token-valued variable to, in the shape AWS gives it.
DEPLOY_TIME_EXAMPLES = {
    "DOCDB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docdb-AbCdEf",
    "IDEMPOTENCY_TABLE_NAME": "Taskly-prod-Data-IdempotencyTable48612DF4-1ABCDEF",
    "EMAIL_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/Taskly-prod-Email",
    "ORIGIN_VERIFY_SECRET_ARN": (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:OriginVerifySecret-AbCdEf"
    ),
}


def deployed_environment(stage: SynthesizedStage, construct: str) -> dict[str, str]:
    _, function = by_path(stage.compute, f"Compute/{construct}/Function/Resource")
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return {
        name: value if isinstance(value, str) else DEPLOY_TIME_EXAMPLES[name]
        for name, value in variables.items()
    }


@pytest.mark.parametrize("construct", sorted(MODELS))
def test_environment_passes_the_runtime_settings_model(
    stage: SynthesizedStage, construct: str
) -> None:
    environment = deployed_environment(stage, construct)
    loaded = runtime_settings.load_settings(MODELS[construct], environment)
    assert loaded.service_name == environment["POWERTOOLS_SERVICE_NAME"]


def test_the_check_rejects_a_broken_environment(stages: dict[str, SynthesizedStage]) -> None:
    environment = deployed_environment(stages["prod"], "EmailWorker")
    environment["SENDER_EMAIL"] = "not-an-address"
    with pytest.raises(ConfigurationError, match="SENDER_EMAIL"):
        runtime_settings.load_settings(runtime_settings.EmailWorkerSettings, environment)


@pytest.mark.parametrize("construct", ["Tasks", "Profile"])
def test_an_api_function_without_the_origin_secret_would_not_start(
    stages: dict[str, SynthesizedStage], construct: str
) -> None:
    # The origin check has no off switch: the variable is required, so dropping it from the
    # stack fails the function's cold start (and its pre-traffic hook), not the check.
    environment = deployed_environment(stages["prod"], construct)
    del environment["ORIGIN_VERIFY_SECRET_ARN"]
    with pytest.raises(ConfigurationError, match="ORIGIN_VERIFY_SECRET_ARN"):
        runtime_settings.load_settings(MODELS[construct], environment)


@pytest.mark.parametrize(("construct", "service"), [("Tasks", "tasks"), ("Profile", "profile")])
def test_database_functions_read_the_ca_bundle_where_the_bundle_puts_it(
    stages: dict[str, SynthesizedStage], construct: str, service: str
) -> None:
    environment = deployed_environment(stages["prod"], construct)
    loaded = runtime_settings.load_settings(MODELS[construct], environment)
    assert isinstance(loaded, runtime_settings.DatabaseSettings)
    bundle_root = "/var/task"
    ca_path = loaded.ca_file_path({"LAMBDA_TASK_ROOT": bundle_root})
    assert str(ca_path) == f"{bundle_root}/{CA_BUNDLE_PATH}"
    assert CA_BUNDLE_PATH in service_bundles()[service].files
