"""Read a synthesized CDK cloud assembly (``cdk.out``) into stacks grouped by stage.

The manifest, not file names, says which stacks exist and where their templates are: CDK is
free to rename template files (nested assemblies for ``Stage``s, hashed nested-stack files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.ops.cost.errors import CostToolError

# Stacks are named <App>-<stage>-<Component>, e.g. Taskly-dev-Network.
STACK_NAME = re.compile(
    r"^(?P<app>[A-Za-z0-9]+)-(?P<stage>[A-Za-z0-9]+)-(?P<component>[A-Za-z0-9]+)$"
)
UNSTAGED = "unstaged"

_STACK_ARTIFACT = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"
_NESTED_STACK = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Resource:
    """One resource of a template, named by its stack and logical id."""

    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    path: str

    @property
    def label(self) -> str:
        """The construct path (without the stack and ``/Resource``) when CDK recorded one."""
        return self.path.removesuffix("/Resource") or self.logical_id


@dataclass(frozen=True)
class Stack:
    name: str
    stage: str
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class Assembly:
    directory: Path
    stacks: tuple[Stack, ...]

    def stages(self) -> list[str]:
        """Stage names in the order their first stack appears in the manifest."""
        return list(dict.fromkeys(stack.stage for stack in self.stacks))

    def resources(self, stage: str) -> list[Resource]:
        return [res for stack in self.stacks if stack.stage == stage for res in stack.resources]

    def stack_names(self, stage: str) -> list[str]:
        return [stack.name for stack in self.stacks if stack.stage == stage]


def stage_of(stack_name: str) -> str:
    match = STACK_NAME.match(stack_name)
    return match["stage"] if match else UNSTAGED


def load_assembly(directory: Path) -> Assembly:
    if not (directory / "manifest.json").is_file():
        # A failed synth removes cdk.out first and may leave it empty: same advice either way.
        state = "has no manifest.json" if directory.is_dir() else "does not exist"
        raise CostToolError(
            f"{directory} {state}: run `make synth STAGE=<stage>` first, or pass --cdk-out"
        )
    stacks = tuple(_stacks_in(directory))
    if not stacks:
        raise CostToolError(f"{directory}/manifest.json lists no CloudFormation stacks")
    return Assembly(directory=directory, stacks=stacks)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostToolError(f"{path} is missing: is {path.parent} a cdk.out directory?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CostToolError(f"{what} {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CostToolError(f"{what} {path} is not a JSON object")
    return data


def _stacks_in(directory: Path) -> Iterator[Stack]:
    manifest = _read_json(directory / "manifest.json", "manifest")
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == _NESTED_ASSEMBLY:
            # cdk.Stage puts its stacks in a nested assembly with its own manifest.
            yield from _stacks_in(directory / _required(properties, "directoryName", artifact_id))
        elif artifact.get("type") == _STACK_ARTIFACT:
            name = properties.get("stackName", artifact_id)
            template_path = directory / _required(properties, "templateFile", artifact_id)
            template = _read_json(template_path, "template")
            resources = tuple(_resources_of(directory, name, template))
            yield Stack(name=name, stage=stage_of(name), resources=resources)


def _required(properties: dict[str, Any], key: str, artifact_id: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str):
        raise CostToolError(f"manifest artifact {artifact_id} has no {key}")
    return value


def _resources_of(directory: Path, stack: str, template: dict[str, Any]) -> Iterator[Resource]:
    for logical_id, body in template.get("Resources", {}).items():
        if not isinstance(body, dict):
            raise CostToolError(f"resource {logical_id} of stack {stack} is not a JSON object")
        metadata = body.get("Metadata", {})
        path = metadata.get("aws:cdk:path", "")
        yield Resource(
            stack=stack,
            logical_id=logical_id,
            type=body.get("Type", ""),
            properties=body.get("Properties", {}) or {},
            path=path.removeprefix(f"{stack}/"),
        )
        nested_file = metadata.get("aws:asset:path")
        if body.get("Type") == _NESTED_STACK and nested_file:
            nested = _read_json(directory / nested_file, "nested stack template")
            yield from _resources_of(directory, f"{stack}/{logical_id}", nested)
