"""What preflight assumes about the synthesized app, checked against a real synth of dev.

preflight runs before a synth exists, so it carries two facts as constants: the bootstrap
version the cloud assembly requires and the DocumentDB engine version of the cluster.
"""

from __future__ import annotations

import json
from typing import Any

from tests.synth import SynthesizedStage
from tools.ops.preflight.checks import DOCDB_ENGINE_VERSION, REQUIRED_BOOTSTRAP_VERSION


def _required_versions(node: Any) -> list[int]:
    if isinstance(node, dict):
        found = (
            [node["requiresBootstrapStackVersion"]]
            if "requiresBootstrapStackVersion" in node
            else []
        )
        return found + [v for value in node.values() for v in _required_versions(value)]
    if isinstance(node, list):
        return [v for value in node for v in _required_versions(value)]
    return []


def test_preflight_requires_the_bootstrap_version_the_assembly_requires(
    dev: SynthesizedStage,
) -> None:
    manifest = json.loads((dev.outdir / "manifest.json").read_text())
    # deploy and asset roles (6) and the lookup role (8) of every stack
    assert max(_required_versions(manifest)) == REQUIRED_BOOTSTRAP_VERSION
    for template in dev.templates.values():
        rule = template["Rules"]["CheckBootstrapVersion"]["Assertions"][0]["Assert"]
        refused = rule["Fn::Not"][0]["Fn::Contains"][0]
        assert max(int(version) for version in refused) < REQUIRED_BOOTSTRAP_VERSION


def test_preflight_asks_for_the_documentdb_engine_and_class_the_cluster_uses(
    dev: SynthesizedStage,
) -> None:
    resources = dev.json("Data")["Resources"].values()
    clusters = [r for r in resources if r["Type"] == "AWS::DocDB::DBCluster"]
    instances = [r for r in resources if r["Type"] == "AWS::DocDB::DBInstance"]
    assert [c["Properties"]["EngineVersion"] for c in clusters] == [DOCDB_ENGINE_VERSION]
    assert {i["Properties"]["DBInstanceClass"] for i in instances} == {"db.serverless"}
