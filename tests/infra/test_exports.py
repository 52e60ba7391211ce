"""No cross-stack export comes from a resource that routine updates replace.

CloudFormation refuses to change or remove an export another stack imports, so the producer
stack cannot deploy once such a value changes (aws/aws-cdk#7602: only a deploy of the importer
that first stops importing, then one of the producer, gets out). A value that changes on
routine updates therefore must never be exported: an EC2 instance id (replaced with its
image), a launch template's version, an image resolved from SSM "latest", a Lambda version.
tests/infra/test_snapshots.py keeps the set of exports itself visible in review.
"""

from __future__ import annotations

from typing import Any

from tests.synth import SynthesizedStage

# Resource types whose physical id or exported attribute changes under routine updates:
# a new image or user data, new code, a new launch template version.
REPLACED_BY_ROUTINE_UPDATES = {
    "AWS::EC2::Instance",
    "AWS::EC2::LaunchTemplate",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::Lambda::Version",
    "AWS::Lambda::LayerVersion",
    "AWS::ApiGateway::Deployment",
    "AWS::ECS::TaskDefinition",
}
# Attributes that change on every update even though the resource stays.
CHANGING_ATTRIBUTES = {
    ("AWS::EC2::LaunchTemplate", "LatestVersionNumber"),
    ("AWS::Lambda::Function", "Version"),
}


def _source(value: Any) -> tuple[str, str | None] | None:
    """(logical id, attribute) the exported value comes from, or None for a literal."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"], None
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return logical_id, attribute
        for inner in value.values():
            found = _source(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _source(inner)
            if found:
                return found
    return None


def _uses_ssm_latest(resource: dict[str, Any], template: dict[str, Any]) -> bool:
    """Whether ``resource`` takes a value from an SSM parameter resolved at deploy time."""
    ssm_parameters = {
        name
        for name, parameter in template.get("Parameters", {}).items()
        if parameter["Type"].startswith("AWS::SSM::Parameter::Value")
    }
    text = repr(resource.get("Properties", {}))
    return "{{resolve:ssm:" in text or any(repr({"Ref": name}) in text for name in ssm_parameters)


def _unstable_exports(stage: SynthesizedStage) -> list[str]:
    problems = []
    for template in stage.templates.values():
        for output in template.get("Outputs", {}).values():
            if "Export" not in output:
                continue
            source = _source(output["Value"])
            if source is None or source[0].startswith("AWS::"):
                continue
            logical_id, attribute = source
            resource = template["Resources"][logical_id]
            kind = resource["Type"]
            if (
                kind in REPLACED_BY_ROUTINE_UPDATES
                or (kind, attribute) in CHANGING_ATTRIBUTES
                or _uses_ssm_latest(resource, template)
            ):
                problems.append(f"{output['Export']['Name']} <- {kind} {logical_id}")
    return problems


def test_every_export_of_every_stage_comes_from_a_stable_resource(
    all_stages: list[SynthesizedStage],
) -> None:
    exports = 0
    for stage in all_stages:
        exports += sum(
            "Export" in output
            for template in stage.templates.values()
            for output in template.get("Outputs", {}).values()
        )
        assert _unstable_exports(stage) == [], stage.name
    assert exports > 0


def test_the_check_catches_an_instance_id_and_a_latest_image(
    all_stages: list[SynthesizedStage],
) -> None:
    """The rule itself: an exported instance id, or any resource built on an SSM "latest"
    value, is reported."""
    stage = all_stages[0]
    template = {
        "Parameters": {"Image": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"}},
        "Resources": {
            "Nat": {"Type": "AWS::EC2::Instance", "Properties": {}},
            "Template": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {"LaunchTemplateData": {"ImageId": {"Ref": "Image"}}},
            },
            "Box": {"Type": "AWS::Foo::Bar", "Properties": {"Image": {"Ref": "Image"}}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        },
        "Outputs": {
            name: {"Value": value, "Export": {"Name": f"Probe:{name}"}}
            for name, value in (
                ("Nat", {"Ref": "Nat"}),
                ("Version", {"Fn::GetAtt": ["Template", "LatestVersionNumber"]}),
                ("Box", {"Ref": "Box"}),
                ("Table", {"Fn::GetAtt": ["Table", "Arn"]}),
            )
        },
    }
    probe = SynthesizedStage(
        name=stage.name, outdir=stage.outdir, stacks=stage.stacks, templates={"Probe": template}
    )
    assert _unstable_exports(probe) == [
        "Probe:Nat <- AWS::EC2::Instance Nat",
        "Probe:Version <- AWS::EC2::LaunchTemplate Template",
        "Probe:Box <- AWS::Foo::Bar Box",
    ]
