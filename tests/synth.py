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
from stacks.config import STAGE_NAMES, apply_overrides, stage_config

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


# Stages as a fork would configure them beyond the defaults, synthesized and gated like the
# named stages: label -> (stage, overrides). The Migration stack is off in every stage by
# default, so it is built and checked here (legacy values are test placeholders). The same
# variant also points the tasks function at a legacy database secret (the "legacy until the
# end" mode), so one extra synth covers both switches of docs/data-migration.md.
MIGRATION_OVERRIDES: dict[str, object] = {
    "migration.enabled": True,
    "migration.source_host": "legacy-mongodb.taskly.example.com",
    "migration.source_cidr": "10.99.0.0/24",
    "migration.source_ca_file": "tests/fixtures/legacy-mongodb-ca.pem",
}
LEGACY_DB_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy/mongodb-AbCdEf"
LEGACY_DB_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LEGACY_DB_OVERRIDES: dict[str, object] = {
    "compute.tasks_db_secret_arn": LEGACY_DB_SECRET_ARN,
    "compute.tasks_db_secret_kms_key_arn": LEGACY_DB_KEY_ARN,
    "compute.tasks_db_cidr": "10.99.0.0/24",
    "compute.tasks_db_port": 27018,
}
VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    "staging-migration": ("staging", {**MIGRATION_OVERRIDES, **LEGACY_DB_OVERRIDES}),
}


def synthesize(
    name: str,
    outdir: Path,
    *,
    env_agnostic: bool = False,
    overrides: dict[str, object] | None = None,
) -> SynthesizedStage:
    app = App(outdir=str(outdir), context={**CDK_JSON_CONTEXT, **SKIP_BUNDLING})
    config = stage_config(
        name,
        account=None if env_agnostic else TEST_ACCOUNT,
        region=None if env_agnostic else TEST_REGION,
    )
    config = apply_overrides(config, overrides or {})
    stacks = compose(app, config)
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return SynthesizedStage(name=name, outdir=outdir, stacks=stacks, templates=templates)


def all_stage_names() -> tuple[str, ...]:
    return STAGE_NAMES


def variant_names() -> tuple[str, ...]:
    return tuple(VARIANTS)


_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_VERSION_ID = re.compile(r"(CurrentVersion)[0-9A-Fa-f]{8,}")


def normalized(template: dict[str, Any]) -> Any:
    """The template with what differs across machines/builds replaced by placeholders."""
    text = json.dumps(template, sort_keys=True)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<hash>", text)
    return json.loads(text)
