"""Quality gates over every stage: cdk-nag, cfn-lint, checkov, acknowledgment reasons."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from cdk_constructs.nag import LINT_REASONS_METADATA_KEY, MIN_REASON_LENGTH
from tests.synth import TEST_ACCOUNT, SynthesizedStage

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = os.environ.get("CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")
# Reasons that explain nothing: an acknowledgment must say why the finding is acceptable here.
VAGUE = re.compile(
    r"^(ok|okay|fine|n/?a|todo|tbd|false positive|not needed|needed|required|"
    r"suppress(ed)?|by design|accepted|known issue|ignore)\.?$",
    re.IGNORECASE,
)


def _validation_report(stage: SynthesizedStage) -> dict[str, Any]:
    return json.loads((stage.outdir / "validation-report.json").read_text())


def _acknowledgments(stage: SynthesizedStage) -> list[dict[str, Any]]:
    return [
        suppressed
        for plugin in _validation_report(stage)["pluginReports"]
        for suppressed in plugin.get("suppressedViolations", [])
    ]


def test_cdk_nag_packs_pass_with_no_open_findings(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        reports = {p["pluginName"]: p for p in _validation_report(stage)["pluginReports"]}
        assert "AwsSolutions" in reports
        for name, report in reports.items():
            assert report["conclusion"] == "success", (stage.name, name)
            assert report["violations"] == [], (stage.name, name)


def test_every_acknowledgment_is_prefixed_and_has_a_specific_reason(
    all_stages: list[SynthesizedStage],
) -> None:
    count = 0
    for stage in all_stages:
        for ack in _acknowledgments(stage):
            count += 1
            assert "::" in ack["acknowledgedId"], ack["acknowledgedId"]
            reason = ack["reason"].strip()
            assert len(reason) >= MIN_REASON_LENGTH, (ack["acknowledgedId"], reason)
            assert not VAGUE.match(reason), (ack["acknowledgedId"], reason)
    assert count > 0, "the report lists no acknowledgments: is cdk-nag attached?"


# A rule id written as an acknowledge() key: "AwsSolutions-IAM5[Resource::*]": "reason..."
_WRITTEN_ACK = re.compile(r'^\s*"((?:AwsSolutions|Serverless)-\w+(?:\[[^"]*\])?)":', re.MULTILINE)


def test_no_acknowledgment_in_the_code_is_stale(all_stages: list[SynthesizedStage]) -> None:
    """An acknowledgment that matches no finding in any stage hides the next real one."""
    sources = [*(ROOT / "cdk_constructs").glob("*.py"), *(ROOT / "stacks").glob("*.py")]
    written = {rule for path in sources for rule in _WRITTEN_ACK.findall(path.read_text())}
    used = {
        ack["acknowledgedId"].split("::", 1)[1]
        for stage in all_stages
        for ack in _acknowledgments(stage)
    }
    assert len(written) > 10
    stale = sorted(written - used)
    assert stale == [], f"acknowledged in code but reported by no stage: {stale}"


def test_every_cfn_lint_acknowledgment_carries_a_reason(all_stages: list[SynthesizedStage]) -> None:
    for stage in all_stages:
        for template in stage.templates.values():
            for logical_id, resource in template["Resources"].items():
                ignored = resource.get("Metadata", {}).get("cfn-lint", {}).get("config", {})
                reasons = resource.get("Metadata", {}).get(LINT_REASONS_METADATA_KEY, {})
                for rule in ignored.get("ignore_checks", []):
                    assert len(reasons.get(rule, "")) >= MIN_REASON_LENGTH, (logical_id, rule)


def test_cfn_lint_reports_nothing_for_any_stage(all_stages: list[SynthesizedStage]) -> None:
    templates = sorted(str(path) for s in all_stages for path in s.outdir.glob("*.template.json"))
    assert len(templates) >= 3 * len(all_stages)
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr


def _checkov_skips(all_stages: list[SynthesizedStage]) -> list[tuple[str, str, str]]:
    """(check, resource, reason) of every per-resource checkov skip in the templates."""
    return [
        (skip["id"], f"{stage.name}/{logical_id}", skip["comment"])
        for stage in all_stages
        for template in stage.templates.values()
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_every_checkov_skip_names_its_check_and_reason(all_stages: list[SynthesizedStage]) -> None:
    skips = _checkov_skips(all_stages)
    assert skips, "no skips recorded: is acknowledge_checkov still writing metadata?"
    for check, resource, reason in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), (check, resource)
        assert len(reason) >= 40 and not VAGUE.match(reason), (check, resource)


def test_checkov_finds_nothing_unacknowledged(all_stages: list[SynthesizedStage]) -> None:
    """checkov honours each resource's Metadata.checkov.skip; everything else must pass."""
    assert Path(CHECKOV).exists(), f"{CHECKOV} is missing: run the tests through make"
    root = all_stages[0].outdir.parent
    result = subprocess.run(
        [
            *(CHECKOV, "--directory", str(root), "--framework", "cloudformation"),
            *("--skip-download", "--quiet", "--compact", "--output", "json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert sum(report["summary"]["passed"] for report in reports) > 0
    failed = sorted(
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report["results"]["failed_checks"]
    )
    assert failed == []
    skipped = sum(report["summary"]["skipped"] for report in reports)
    assert skipped == len(_checkov_skips(all_stages))


CFRIPPER = os.environ.get("CFRIPPER", str(ROOT / ".venv-cfripper" / "bin" / "cfripper"))


def test_cfripper_finds_nothing_in_prod(all_stages: list[SynthesizedStage]) -> None:
    """cfripper's rules (wildcard actions in resource policies, principals, ...) pass on every
    prod template; it has no per-resource skips, so a finding is fixed, not acknowledged."""
    assert Path(CFRIPPER).exists(), f"{CFRIPPER} is missing: run the tests through make"
    [prod] = [stage for stage in all_stages if stage.name == "prod"]
    templates = sorted(prod.outdir.glob("*.template.json"))
    assert len(templates) >= 5
    result = subprocess.run(
        [CFRIPPER, "--format", "json", "--aws-account-id", TEST_ACCOUNT, *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    # One JSON report per template, one per line; exit 0 means every template is valid.
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(templates), result.stdout + result.stderr
    findings = [(r["rule"], r["reason"]) for report in reports for r in report["failures"]]
    errors = [error for report in reports for error in report["exceptions"]]
    assert findings == [] and errors == [], (findings, errors)
    assert result.returncode == 0, result.stderr
