"""Every stage synthesized once per session, without bundling (one test bundles for real).

The app is built the way ``cdk synth`` builds it: cdk.json's context (feature flags), then
``compose()`` from app.py, then ``app.synth()`` with the cdk-nag plugins attached, so a nag
error fails the session. ``aws:cdk:bundling-stacks: []`` skips pip; asset hashes are computed
from the inputs all the same. Here ``stage`` is one synthesized stage per test parameter
(inside this folder it overrides the stage factory of tests/conftest.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from app import TasklyStage, compose
from stacks.config import STAGE_NAMES, StageConfig, stage_config
from tests.synth import CDK_JSON_CONTEXT

REPOSITORY = Path(__file__).resolve().parents[2]
UNREACHABLE_INDEX = "http://localhost:9/"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "PIP_PROXY")
PIP_SOURCES = ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT")
# The pre-traffic hook is plain Python: its tests import it like Lambda does.
sys.path.insert(0, str(REPOSITORY / "lambda_src"))


def go_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, pip can reach no package index."""
    monkeypatch.setenv("PIP_INDEX_URL", UNREACHABLE_INDEX)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    for name in PIP_SOURCES:
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def cdk_context(**extra: Any) -> dict[str, Any]:
    """cdk.json's context plus the resource paths the CLI asks for (tests look resources up)."""
    return {**CDK_JSON_CONTEXT, "aws:cdk:enable-path-metadata": True, **extra}


@dataclass(frozen=True)
class SynthesizedStage:
    config: StageConfig
    stacks: TasklyStage
    templates: Mapping[str, dict[str, Any]]  # stack name -> CloudFormation template

    @property
    def compute(self) -> dict[str, Any]:
        return self.templates[self.config.stack_name("Compute")]

    @property
    def compute_template(self) -> Template:
        return Template.from_json(self.compute)


def synthesize(name: str, outdir: Path) -> SynthesizedStage:
    app = App(
        context=cdk_context(stage=name, **{"aws:cdk:bundling-stacks": []}), outdir=str(outdir)
    )
    config = stage_config(name, account=None, region=None)
    stacks = compose(app, config)
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return SynthesizedStage(config=config, stacks=stacks, templates=templates)


@pytest.fixture(scope="session")
def stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedStage]:
    return {name: synthesize(name, tmp_path_factory.mktemp(f"cdk-{name}")) for name in STAGE_NAMES}


@pytest.fixture(params=STAGE_NAMES)
def stage(request: pytest.FixtureRequest, stages: dict[str, SynthesizedStage]) -> SynthesizedStage:
    return stages[request.param]


def resources(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def by_path(template: Mapping[str, Any], path_suffix: str) -> tuple[str, dict[str, Any]]:
    """The one resource whose ``aws:cdk:path`` ends with ``path_suffix``."""
    found = [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource.get("Metadata", {}).get("aws:cdk:path", "").endswith(path_suffix)
    ]
    assert len(found) == 1, f"{len(found)} resources at */{path_suffix}"
    return found[0]
