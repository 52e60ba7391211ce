"""Synthesize a stage in-process once per test session.

``import aws_cdk`` costs seconds and a synth several more, so every infra test shares the
assemblies built here. Bundling is skipped (``aws:cdk:bundling-stacks: []``): the one test
that needs a real bundle builds it itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from app import TasklyStage, compose
from stacks.config import STAGE_NAMES, stage_config

# Stable, fake values so templates do not depend on the machine's AWS environment.
TEST_ACCOUNT = "123456789012"
TEST_REGION = "eu-west-1"
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}
ROOT = Path(__file__).resolve().parents[1]
# The feature flags the CLI passes from cdk.json: tests must build what `cdk synth` builds.
CDK_JSON_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


@dataclass
class SynthesizedStage:
    name: str
    outdir: Path
    stacks: TasklyStage
    templates: dict[str, dict[str, Any]]

    def template(self, component: str) -> Template:
        return Template.from_json(self.templates[f"Taskly-{self.name}-{component}"])

    def json(self, component: str) -> dict[str, Any]:
        return self.templates[f"Taskly-{self.name}-{component}"]


def synthesize(name: str, outdir: Path, *, env_agnostic: bool = False) -> SynthesizedStage:
    app = App(outdir=str(outdir), context={**CDK_JSON_CONTEXT, **SKIP_BUNDLING})
    config = stage_config(
        name,
        account=None if env_agnostic else TEST_ACCOUNT,
        region=None if env_agnostic else TEST_REGION,
    )
    stacks = compose(app, config)
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return SynthesizedStage(name=name, outdir=outdir, stacks=stacks, templates=templates)


def all_stage_names() -> tuple[str, ...]:
    return STAGE_NAMES


_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_VERSION_ID = re.compile(r"(CurrentVersion)[0-9A-Fa-f]{8,}")


def normalized(template: dict[str, Any]) -> Any:
    """The template with what differs across machines/builds replaced by placeholders."""
    text = json.dumps(template, sort_keys=True)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<hash>", text)
    return json.loads(text)
