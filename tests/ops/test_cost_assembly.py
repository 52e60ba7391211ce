"""Reading a cloud assembly: the manifest decides which templates exist, including nested ones."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ops.conftest import resource, write_cloud_assembly
from tools.ops.cost.assembly import UNSTAGED, load_assembly


def test_stacks_of_a_cdk_stage_live_in_a_nested_assembly(tmp_path: Path) -> None:
    # Given cdk.Stage output: the top manifest points at assembly-Dev/ with its own manifest
    write_cloud_assembly(
        tmp_path / "assembly-Dev", {"Taskly-dev-Network": {"Nat": resource("AWS::EC2::NatGateway")}}
    )
    manifest = {
        "version": "48.0.0",
        "artifacts": {
            "assembly-Dev": {
                "type": "cdk:cloud-assembly",
                "properties": {"directoryName": "assembly-Dev", "displayName": "Dev"},
            }
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))

    assembly = load_assembly(tmp_path)

    assert assembly.stack_names("dev") == ["Taskly-dev-Network"]


def test_nested_stack_resources_are_read_from_their_own_template(tmp_path: Path) -> None:
    nested_file = "TasklydevDataNested1234.nested.template.json"
    (tmp_path / nested_file).write_text(
        json.dumps({"Resources": {"Key": resource("AWS::KMS::Key")}})
    )
    parent = {
        "Nested": {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {},
            "Metadata": {"aws:asset:path": nested_file},
        }
    }
    write_cloud_assembly(tmp_path, {"Taskly-dev-Data": parent})

    resources = load_assembly(tmp_path).resources("dev")

    assert [(r.stack, r.logical_id, r.type) for r in resources] == [
        ("Taskly-dev-Data", "Nested", "AWS::CloudFormation::Stack"),
        ("Taskly-dev-Data/Nested", "Key", "AWS::KMS::Key"),
    ]


def test_stack_names_outside_the_convention_are_grouped_as_unstaged(tmp_path: Path) -> None:
    write_cloud_assembly(tmp_path, {"SomethingElse": {}, "Taskly-prod-Edge": {}})

    assert load_assembly(tmp_path).stages() == [UNSTAGED, "prod"]


def test_construct_paths_label_resources(tmp_path: Path) -> None:
    nat = {
        "Type": "AWS::EC2::NatGateway",
        "Properties": {},
        "Metadata": {"aws:cdk:path": "Taskly-dev-Network/Vpc/PublicSubnet1/NATGateway"},
    }
    key = {
        "Type": "AWS::KMS::Key",
        "Properties": {},
        "Metadata": {"aws:cdk:path": "Taskly-dev-Network/Alarms/Key/Resource"},
    }
    write_cloud_assembly(
        tmp_path, {"Taskly-dev-Network": {"Nat1234": nat, "Key5678": key, "Bare": {}}}
    )

    labels = [r.label for r in load_assembly(tmp_path).resources("dev")]

    assert labels == ["Vpc/PublicSubnet1/NATGateway", "Alarms/Key", "Bare"]
