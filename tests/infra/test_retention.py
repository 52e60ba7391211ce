"""Stateful resources outlive a stack delete and a replacement, but not a failed first create.

Every template of every stage and variant, and the Cicd stack, is walked and each resource's
fate is evaluated the way CloudFormation decides it (tests/cfn_lifecycle.py). What this does not
prove: that CloudFormation manages to delete a resource in a rollback (it reports a failure
instead of keeping it silently, which a retry then shows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cfn_lifecycle import Fate, Operation, UnsupportedLifecycleError, fate
from tests.cicd.conftest import synth_cicd
from tests.synth import SynthesizedStage

# What a protected stage keeps when its stacks go: data, identities, keys and the audit trail.
PROTECTED = Counter(
    {
        "AWS::Cognito::UserPool": 1,
        "AWS::DynamoDB::Table": 2,
        "AWS::KMS::Key": 1,
        "AWS::Logs::LogGroup": 1,
        "AWS::S3::Bucket": 2,
        "AWS::SES::EmailIdentity": 1,
        "AWS::SecretsManager::Secret": 1,
    }
)
KEPT_ON_DELETE = {
    "dev": Counter({"AWS::Cognito::UserPool": 1}),
    "staging": PROTECTED,
    "prod": PROTECTED,
    # The migration's KMS key (DMS, endpoints, source secret) joins the protected set.
    "staging-migration": PROTECTED + Counter({"AWS::KMS::Key": 1}),
}


@pytest.fixture(scope="module")
def templates(
    all_stages: list[SynthesizedStage], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Every synthesized template by stack name: all stages, all variants, both Cicd stacks."""
    everything = synth_cicd(Path(tmp_path_factory.mktemp("cicd-retention")))
    for stage in all_stages:
        everything.update(stage.templates)
    return everything


def test_a_failed_first_create_leaves_nothing_behind(templates: dict[str, dict[str, Any]]) -> None:
    """Before: retained resources were ``Retain``, so a first deploy that rolled back left the
    SES identity (fixed name: every retry failed with "already exists"), tables, buckets, keys,
    the secret and the access-log group behind."""
    assert {name for name in templates if name.startswith("Taskly-Cicd")} == {
        "Taskly-Cicd",
        "Taskly-Cicd-Variant",
    }
    left_behind = [
        f"{stack}/{logical_id} ({resource['Type']})"
        for stack, template in templates.items()
        for logical_id, resource in template["Resources"].items()
        if fate(resource, Operation.CREATE_ROLLED_BACK) is Fate.KEPT
    ]
    assert left_behind == []


@pytest.mark.parametrize("name", sorted(KEPT_ON_DELETE))
def test_protected_resources_survive_delete_removal_and_replacement(
    name: str, stage: Callable[[str], SynthesizedStage]
) -> None:
    """The fix must not trade the data away: what a stage kept on delete it still keeps, on
    delete, on removal from the template and (UpdateReplacePolicy) on replacement."""
    resources = [
        resource
        for template in stage(name).templates.values()
        for resource in template["Resources"].values()
    ]
    kept = Counter(
        resource["Type"]
        for resource in resources
        if fate(resource, Operation.STACK_DELETED) is Fate.KEPT
    )
    assert kept == KEPT_ON_DELETE[name]
    for resource in resources:
        if fate(resource, Operation.STACK_DELETED) is Fate.KEPT:
            assert fate(resource, Operation.REMOVED_FROM_TEMPLATE) is Fate.KEPT
            assert fate(resource, Operation.REPLACED) is Fate.KEPT, resource["Type"]


@pytest.mark.parametrize(
    ("resource", "operation", "expected"),
    [
        ({"Type": "AWS::S3::Bucket"}, Operation.STACK_DELETED, Fate.DELETED),
        (
            {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            Operation.CREATE_ROLLED_BACK,
            Fate.KEPT,
        ),
        (
            {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"},
            Operation.CREATE_ROLLED_BACK,
            Fate.DELETED,
        ),
        (
            {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"},
            Operation.REMOVED_FROM_TEMPLATE,
            Fate.KEPT,
        ),
        # RetainExceptOnCreate says nothing about replacement: that is UpdateReplacePolicy's.
        (
            {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"},
            Operation.REPLACED,
            Fate.DELETED,
        ),
        ({"Type": "AWS::RDS::DBCluster"}, Operation.STACK_DELETED, Fate.SNAPSHOT_THEN_DELETED),
    ],
)
def test_the_model_follows_the_attribute_reference(
    resource: dict[str, Any], operation: Operation, expected: Fate
) -> None:
    assert fate(resource, operation) is expected


@pytest.mark.parametrize(
    "resource",
    [
        {"Type": "AWS::S3::Bucket", "DeletionPolicy": {"Fn::If": ["Prod", "Retain", "Delete"]}},
        {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Keep"},
        {"Type": "AWS::S3::Bucket", "UpdateReplacePolicy": "RetainExceptOnCreate"},
        {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Snapshot"},
        {"Type": "AWS::CloudFormation::Stack"},
    ],
)
def test_what_the_model_cannot_judge_raises(resource: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedLifecycleError):
        for operation in Operation:
            fate(resource, operation)
