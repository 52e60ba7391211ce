"""Stage configuration: one frozen StageConfig per stage, loaded from ``config/<stage>.toml``.

Only ``app.py`` chooses a stage and reads context; stacks take their section of it, constructs
plain values. The loader rejects unknown, missing and mistyped keys, and every value is checked
in ``__post_init__``, so a typo stops ``cdk synth`` with one line naming the file and the field
(``ConfigError``), not a CloudFormation failure an hour later.

Forks change a stage's values in its TOML file (TOML: Python reads it with the standard
``tomllib``, it allows comments, and it has no implicit typing like YAML's ``no`` -> false).
For one-off values without editing a file, ``app.py`` accepts
``-c taskly:<section>.<field>=<value>`` overrides (see README).

One module per job: ``stages`` (the stage list and stack names), ``rules`` (value rules),
``schema`` (the sections and cross-section rules), ``loading`` (TOML to StageConfig),
``overrides`` (``-c`` values) and ``placeholders`` (values a fork must still replace).
Standard library only: tools import this package without the CDK.
"""

from stacks.config.loading import stage_config
from stacks.config.overrides import OVERRIDE_PREFIX, apply_overrides, context_overrides
from stacks.config.placeholders import (
    PLACEHOLDER_ACCOUNT,
    PLACEHOLDER_AMI,
    PLACEHOLDER_DOMAINS,
    Placeholder,
    find_placeholders,
    is_placeholder,
)
from stacks.config.rules import (
    ACCOUNT_PLACEHOLDER,
    DEPLOYMENT_CONFIGS,
    DMS_CAPACITY_UNITS,
    DOCDB_SERVERLESS_CONNECTION_LIMITS,
    LOG_RETENTION_DAYS,
    MAX_BUDGET_RECIPIENTS,
    NODE_DRIVER_MONITOR_CONNECTIONS,
    PROTECTED_ACCESS_LOG_DAYS,
    PYMONGO_MONITOR_CONNECTIONS,
    ConfigError,
)
from stacks.config.schema import (
    AuthConfig,
    ComputeConfig,
    ConnectionBudget,
    DataConfig,
    EdgeConfig,
    FunctionSettings,
    MigrationConfig,
    NetworkConfig,
    OpsConfig,
    StageConfig,
    WorkerSettings,
)
from stacks.config.stages import (
    CONFIG_DIR,
    REPOSITORY,
    STACK_PREFIX,
    STAGES,
    config_file,
    stack_name,
)

# The name tests and tools have used; STAGES is the one list.
STAGE_NAMES = STAGES

__all__ = [
    "ACCOUNT_PLACEHOLDER",
    "CONFIG_DIR",
    "DEPLOYMENT_CONFIGS",
    "DMS_CAPACITY_UNITS",
    "DOCDB_SERVERLESS_CONNECTION_LIMITS",
    "LOG_RETENTION_DAYS",
    "MAX_BUDGET_RECIPIENTS",
    "NODE_DRIVER_MONITOR_CONNECTIONS",
    "OVERRIDE_PREFIX",
    "PLACEHOLDER_ACCOUNT",
    "PLACEHOLDER_AMI",
    "PLACEHOLDER_DOMAINS",
    "PROTECTED_ACCESS_LOG_DAYS",
    "PYMONGO_MONITOR_CONNECTIONS",
    "REPOSITORY",
    "STACK_PREFIX",
    "STAGES",
    "STAGE_NAMES",
    "AuthConfig",
    "ComputeConfig",
    "ConfigError",
    "ConnectionBudget",
    "DataConfig",
    "EdgeConfig",
    "FunctionSettings",
    "MigrationConfig",
    "NetworkConfig",
    "OpsConfig",
    "Placeholder",
    "StageConfig",
    "WorkerSettings",
    "apply_overrides",
    "config_file",
    "context_overrides",
    "find_placeholders",
    "is_placeholder",
    "stack_name",
    "stage_config",
]
