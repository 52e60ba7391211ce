"""Edge resources as CloudFormation and the account treat them, on every stage.

cfn-lint, checkov and cdk-nag pass all three defects these tests cover: CloudFormation itself
rejects ``Tags`` on a key value store and on a CloudFront function, CloudFront names are unique
per account (not per region), and S3 keeps noncurrent versions and multipart parts until a rule
removes them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.synth import TEST_REGION, SynthesizedStage

# CloudFront resources whose Name is unique in the whole account, whatever the region.
ACCOUNT_WIDE_NAMES = {
    "AWS::CloudFront::KeyValueStore": lambda props: props["Name"],
    "AWS::CloudFront::ResponseHeadersPolicy": lambda props: props["ResponseHeadersPolicyConfig"][
        "Name"
    ],
    "AWS::CloudFront::OriginAccessControl": lambda props: props["OriginAccessControlConfig"][
        "Name"
    ],
    "AWS::CloudFront::Function": lambda props: props["Name"],
}


def _resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


# CloudFront types whose create fails with tags, and how many each stage's edge stack has.
UNTAGGED = [
    pytest.param(
        "AWS::CloudFront::KeyValueStore",
        1,
        id="aws/aws-cdk#36765: CloudFormation fails the stack on Tags (extraneous key)",
    ),
    pytest.param(
        "AWS::CloudFront::Function",
        2,
        id="cfn-coverage#2508: a tagged function create fails with 409",
    ),
]


@pytest.mark.parametrize(("resource_type", "per_stage"), UNTAGGED)
def test_cloudfront_resources_that_refuse_tags_carry_none(
    all_stages: list[SynthesizedStage], resource_type: str, per_stage: int
) -> None:
    checked = 0
    for stage in all_stages:
        for template in stage.templates.values():
            for logical_id, resource in _resources(template, resource_type).items():
                checked += 1
                assert "Tags" not in resource["Properties"], f"{stage.name} {logical_id}"
    assert checked == per_stage * len(all_stages)


def test_the_rest_of_the_edge_stack_is_still_tagged(dev: SynthesizedStage) -> None:
    [distribution] = _resources(dev.json("Edge"), "AWS::CloudFront::Distribution").values()
    assert {"Key": "stage", "Value": "dev"} in distribution["Properties"]["Tags"]


@pytest.mark.parametrize("resource_type", sorted(ACCOUNT_WIDE_NAMES))
def test_account_wide_cloudfront_names_include_the_region(
    all_stages: list[SynthesizedStage], resource_type: str
) -> None:
    """Two regions of one account (or two stages) must never ask for the same name."""
    by_stage: dict[str, set[str]] = {}
    for stage in all_stages:  # variants of a stage deploy instead of it, with its names
        for resource in _resources(stage.json("Edge"), resource_type).values():
            name = ACCOUNT_WIDE_NAMES[resource_type](resource["Properties"])
            assert isinstance(name, str), name
            assert TEST_REGION in name, f"{resource_type} {name} lacks the region"
            by_stage.setdefault(stage.name, set()).add(name)
    names = [name for stage_names in by_stage.values() for name in stage_names]
    assert len(by_stage) == 3
    assert len(names) == len(set(names))


def test_spa_bucket_expires_old_versions_and_unfinished_uploads(
    all_stages: list[SynthesizedStage],
) -> None:
    for stage in all_stages:
        template = stage.json("Edge")
        bucket_id = stage.stacks.edge.get_logical_id(
            stage.stacks.edge.spa.bucket.node.default_child  # type: ignore[arg-type]
        )
        rules = template["Resources"][bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
        enabled = [rule for rule in rules if rule["Status"] == "Enabled"]
        assert any(
            rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", 0) > 0
            for rule in enabled
        ), stage.name
        assert any(
            rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation", 0) > 0
            for rule in enabled
        ), stage.name
