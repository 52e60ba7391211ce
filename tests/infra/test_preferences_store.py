"""Preferences follow the tasks into whichever database both backends share.

Legacy keeps preferences in its ``preferences`` collection; the profile function reads and
writes that collection (docs/data-migration.md, "Preferences: one store"), so in both modes —
DocumentDB after Phase 1, or the legacy MongoDB until the end (§8) — it must get exactly the
tasks function's database secret, key and network placement, and nothing of the DynamoDB
app-state table any more.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.synth import LEGACY_DB_KEY_ARN, LEGACY_DB_SECRET_ARN, SynthesizedStage
from tools.ops.parity.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
PREFERENCES_FIELDS = ("theme", "language", "email_notifications", "tasks_page_size", "updated_at")


def _function(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    (found,) = [
        resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and logical_id.startswith(prefix)
    ]
    return found["Properties"]


def _role_statements(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    (role,) = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and logical_id.startswith(f"{prefix}Role")
    ]
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _reads(statements: list[dict[str, Any]], action: str) -> list[str]:
    return sorted(
        json.dumps(resource, sort_keys=True)
        for statement in statements
        if statement["Action"] == action
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
    )


def test_profile_uses_the_legacy_database_when_tasks_does(migration: SynthesizedStage) -> None:
    compute = migration.json("Compute")
    profile, tasks = _function(compute, "ProfileFunction"), _function(compute, "TasksFunction")
    assert profile["Environment"]["Variables"]["DOCDB_SECRET_ARN"] == LEGACY_DB_SECRET_ARN
    assert profile["VpcConfig"] == tasks["VpcConfig"]
    statements = _role_statements(compute, "Profile")
    assert LEGACY_DB_SECRET_ARN in json.dumps(_reads(statements, "secretsmanager:GetSecretValue"))
    assert _reads(statements, "kms:Decrypt") == [json.dumps(LEGACY_DB_KEY_ARN)]
    assert _reads(statements, "secretsmanager:GetSecretValue") == _reads(
        _role_statements(compute, "Tasks"), "secretsmanager:GetSecretValue"
    )


def test_profile_no_longer_touches_the_app_state_table(
    all_stages: list[SynthesizedStage],
) -> None:
    for stage in all_stages:
        compute = stage.json("Compute")
        statements = _role_statements(compute, "Profile")
        assert not [s for s in statements if str(s["Action"]).startswith("dynamodb:")]
        assert "AppState" not in json.dumps(_function(compute, "ProfileFunction"))


def test_no_parity_rule_relaxes_a_preferences_answer() -> None:
    """One store means one answer: after the same PUT both sides read the same document, so
    nothing in a preferences answer may be ignored, compared unordered or within a tolerance
    (the rule that hid the split store ignored ``$.updated_at``)."""
    rules = load_rules(ROOT / "parity" / "rules.toml")
    for route in ("GET /api/me/preferences", "PUT /api/me/preferences"):
        relaxed = rules.for_answer(route, 200)
        for field in PREFERENCES_FIELDS:
            assert not relaxed.ignored([field]), (route, field)
            assert not relaxed.is_unordered([field]), (route, field)
            assert relaxed.tolerance_at([field]) is None, (route, field)
        assert not relaxed.ignored([]), route
