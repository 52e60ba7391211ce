"""The foundation's quality gates on the edge templates: cdk-nag, cfn-lint and checkov."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from tests.edge.conftest import EdgeSynth

EDGE_STACKS = ("Taskly-test-Edge", "Taskly-prodlike-Edge")
VAGUE = re.compile(r"^(n/?a|none|todo|tbd|fine|ok|not needed|false positive|ignore)\.?$", re.I)


NAG_PACKS = ("AwsSolutions", "Serverless")


def suppressed(edge_synth: EdgeSynth) -> list[dict[str, Any]]:
    """Findings of the cdk-nag packs that an acknowledgment silenced (CDK's own are CDK's)."""
    return [
        finding
        for report in edge_synth.report["pluginReports"]
        if report["pluginName"] in NAG_PACKS
        for finding in report["suppressedViolations"]
    ]


def test_cdk_nag_reports_nothing_unacknowledged(edge_synth: EdgeSynth) -> None:
    plugins = {report["pluginName"]: report for report in edge_synth.report["pluginReports"]}
    assert set(NAG_PACKS) <= set(plugins)
    for name, report in plugins.items():
        assert report["violations"] == [], f"{name}: {json.dumps(report['violations'], indent=1)}"
        assert report["conclusion"] == "success", name


def test_every_acknowledgment_is_specific_and_in_the_recorded_form(edge_synth: EdgeSynth) -> None:
    findings = suppressed(edge_synth)
    assert findings, "the acknowledgments should be recorded in the validation report"
    for finding in findings:
        reason = finding["reason"].strip()
        assert len(reason) >= 20 and not VAGUE.match(reason), finding["acknowledgedId"]
        # Only the prefixed form ("AwsSolutions::AwsSolutions-L1") is recorded in the report.
        pack, _, rule = finding["acknowledgedId"].partition("::")
        assert pack in NAG_PACKS
        assert rule.startswith(f"{pack}-")


def test_synth_fails_on_an_unacknowledged_error(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Plain"), "Queue")  # no TLS-only policy, no DLQ: AwsSolutions errors
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


@pytest.mark.parametrize("stack", EDGE_STACKS)
def test_cfn_lint_finds_no_errors_or_warnings(edge_synth: EdgeSynth, stack: str) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(edge_synth.outdir / f"{stack}.template.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
