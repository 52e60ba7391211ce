"""Guards against open aws-cdk / CloudFormation issues that would bite this app if the
templates drifted into them (docs/architecture-known-issues.md lists every type checked)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.synth import SynthesizedStage

# (resource type, where in its properties, the key that must stay absent, why)
ABSENT = [
    pytest.param(
        "AWS::Budgets::Budget",
        ("Budget",),
        "BudgetName",
        id="cfn-coverage#365: a budget replaced for new subscribers needs a fresh name",
    ),
    pytest.param(
        "AWS::Cognito::UserPool",
        (),
        "Schema",
        id="aws/aws-cdk#8585: a user pool with a Schema fails later updates",
    ),
]


@pytest.mark.parametrize(("resource_type", "path", "key"), ABSENT)
def test_resources_stay_clear_of_known_update_failures(
    all_stages: list[SynthesizedStage], resource_type: str, path: tuple[str, ...], key: str
) -> None:
    for stage in all_stages:
        found = [
            resource["Properties"]
            for template in stage.templates.values()
            for resource in template["Resources"].values()
            if resource["Type"] == resource_type
        ]
        assert found, (stage.name, resource_type)
        for properties in found:
            node: Any = properties
            for part in path:
                node = node[part]
            assert key not in node, (stage.name, resource_type)
