"""Template snapshots and the cross-stack export set.

A snapshot diff is the review surface for every infrastructure change. Asset hashes and
Lambda version ids are normalised so the snapshots are identical on every machine.

Exports get their own snapshot: removing an export that another stack still imports
deadlocks the deploy (aws/aws-cdk#7602), so any change to the set must be visible on its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.synth import all_stage_names, normalized, variant_names


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", all_stage_names())
def test_templates_match_their_snapshots(
    stage: Any, name: str, json_snapshot: SnapshotAssertion
) -> None:
    for stack_name, template in sorted(stage(name).templates.items()):
        assert normalized(template) == json_snapshot(name=stack_name)


@pytest.mark.parametrize("name", variant_names())
def test_variant_stacks_match_their_snapshots(
    stage: Any, name: str, json_snapshot: SnapshotAssertion
) -> None:
    """A variant's own stacks (those its base stage lacks); the rest differ only in exports."""
    base = {stack.split("-")[-1] for stack in stage(name.split("-", maxsplit=1)[0]).templates}
    for stack_name, template in sorted(stage(name).templates.items()):
        if stack_name.split("-")[-1] not in base:
            assert normalized(template) == json_snapshot(name=stack_name)


@pytest.mark.parametrize("name", (*all_stage_names(), *variant_names()))
def test_cross_stack_exports_and_imports(
    stage: Any, name: str, json_snapshot: SnapshotAssertion
) -> None:
    exports: dict[str, list[str]] = {}
    imports: dict[str, list[str]] = {}
    for stack_name, template in sorted(stage(name).templates.items()):
        exports[stack_name] = sorted(
            output["Export"]["Name"]
            for output in template.get("Outputs", {}).values()
            if "Export" in output
        )
        imports[stack_name] = sorted(set(_imports(template)))
    exported = {name for names in exports.values() for name in names}
    # Every import has its export in the same stage: a dangling import never deploys.
    assert {i for names in imports.values() for i in names} <= exported
    assert {"exports": exports, "imports": imports} == json_snapshot


def _imports(node: Any) -> list[str]:
    if isinstance(node, dict):
        if "Fn::ImportValue" in node and isinstance(node["Fn::ImportValue"], str):
            return [node["Fn::ImportValue"]]
        return [found for value in node.values() for found in _imports(value)]
    if isinstance(node, list):
        return [found for value in node for found in _imports(value)]
    return []
