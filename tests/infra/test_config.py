"""StageConfig: every stage loads from its TOML file, bad values stop synth with one line naming
the file (when the value came from one) and the field."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import stacks.config
from stacks.config import STAGE_NAMES, ConfigError, apply_overrides, config_file, stage_config
from stacks.config.overrides import check_override_arguments
from stacks.config.stages import CONFIG_DIR, STAGES, stack_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_every_stage_builds_and_is_frozen(name: str) -> None:
    config = stage_config(name, account=None, region=None)
    assert config.stack_name("Network") == f"Taskly-{name}-Network"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "other"  # type: ignore[misc]


def test_prod_protects_data_and_dev_does_not() -> None:
    assert stage_config("prod", account=None, region=None).data.protect_data
    assert not stage_config("dev", account=None, region=None).data.protect_data


def test_unknown_stage_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown stage 'qa'; choose one of: dev, staging, prod"):
        stage_config("qa", account=None, region=None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("network.vpc_cidr", "10.0.0.0/33", r"dev\.network\.vpc_cidr: .*IPv4 CIDR"),
        ("network.vpc_cidr", "not-a-cidr", r"dev\.network\.vpc_cidr"),
        ("data.docdb_instance_count", -1, r"dev\.data\.docdb_instance_count: -1 .*1 to 16"),
        ("ops.alarm_emails", ["ops-at-example.com"], r"dev\.ops\.alarm_emails: .*email"),
        ("compute.sender_email", "nobody", r"dev\.compute\.sender_email"),
        ("compute.legacy_origin_domain", "https://x.example.com/", r"legacy_origin_domain.*DNS"),
        ("edge.domain_name", "Not A Domain", r"dev\.edge\.domain_name"),
        ("compute.deployment_config", "FAST", r"one of ALL_AT_ONCE, CANARY_10_PERCENT_5_MINUTES"),
        ("network.interface_endpoints", ["sqs", "sqs"], r"no duplicates"),
        ("network.interface_endpoints", ["ec2"], r"one of secretsmanager"),
        ("network.nat_instance_type", "m5.large", r"dev\.network\.nat_instance_type: .*t4g\.nano"),
    ],
)
def test_invalid_values_name_the_field(key: str, value: object, message: str) -> None:
    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=message):
        apply_overrides(config, {key: value})


def test_an_override_is_applied_and_validated() -> None:
    config = stage_config("dev", account=None, region=None)
    changed = apply_overrides(config, {"network.vpc_cidr": "10.99.0.0/16"})
    assert changed.network.vpc_cidr == "10.99.0.0/16"
    assert config.network.vpc_cidr != changed.network.vpc_cidr


def test_dev_can_get_the_nat_gateway_back_with_one_override() -> None:
    config = stage_config("dev", account=None, region=None)
    assert config.network.nat_instance_type == "t4g.nano"
    assert (
        apply_overrides(config, {"network.nat_instance_type": "null"}).network.nat_instance_type
        is None
    )


def test_unknown_override_lists_the_valid_keys_of_its_table_only() -> None:
    """An override typo gets the same short per-table list as the same typo in the TOML file
    (it used to list all 63 keys in one 1,779-character line)."""
    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError) as raised:
        apply_overrides(config, {"compute.tasks.memroy_mb": "512"})
    assert str(raised.value) == (
        "unknown override 'compute.tasks.memroy_mb'; valid keys in [compute.tasks]: "
        "docdb_max_pool_size, memory_mb, reserved_concurrency, timeout_seconds"
    )
    with pytest.raises(ConfigError) as raised:
        apply_overrides(config, {"network.cidr": "10.0.0.0/16"})
    assert str(raised.value) == (
        "unknown override 'network.cidr'; valid keys in [network]: flow_log_retention_days, "
        "interface_endpoints, nat_instance_ami, nat_instance_type, vpc_cidr"
    )


def test_an_unknown_override_section_lists_the_sections() -> None:
    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError, match=r"^unknown override 'foo'; valid sections: auth, "):
        apply_overrides(config, {"foo": "1"})


@pytest.mark.parametrize(
    "argv",
    [
        ["node", "cdk", "synth", "-c", "taskly:foo"],
        ["node", "cdk", "synth", "--context", "taskly:compute.tasks.memory_mb"],
        ["node", "cdk", "synth", "--context=taskly:foo"],
    ],
)
def test_an_override_without_a_value_is_an_error(argv: list[str]) -> None:
    with pytest.raises(ConfigError, match=r"is not an assignment; write -c taskly:"):
        check_override_arguments(argv)


def test_assignments_and_other_context_pass_the_argument_check() -> None:
    check_override_arguments(
        ["node", "cdk", "synth", "-c", "taskly:a.b=1", "-c", "stage", "--context=taskly:x=="]
    )


def test_cdk_synth_with_an_override_without_a_value_fails_in_one_line() -> None:
    """The real CLI drops `-c taskly:foo` with a warning; the app finds it in the CLI's own
    command line and stops (it used to synthesize without it)."""
    result = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "-c", "taskly:foo"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CDK_DISABLE_CLI_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0
    assert (
        "error: -c taskly:foo is not an assignment; write -c taskly:foo=<value> "
        "(e.g. -c taskly:compute.tasks.memory_mb=512)"
    ) in result.stderr.splitlines()


def test_a_custom_domain_alone_says_the_certificate_is_missing() -> None:
    config = stage_config("dev", account=None, region=None)
    with pytest.raises(ConfigError) as raised:
        apply_overrides(config, {"edge.domain_name": "app.example.org"})
    assert str(raised.value) == (
        "dev.edge.certificate_arn is missing: edge.domain_name (app.example.org) needs an "
        "issued ACM certificate in us-east-1 covering it; set edge.certificate_arn too "
        "(arn:aws:acm:us-east-1:<account>:certificate/<id>)"
    )


def test_a_certificate_alone_says_the_domain_is_missing() -> None:
    config = stage_config("dev", account=None, region=None)
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    with pytest.raises(ConfigError, match=r"^dev\.edge\.domain_name is missing: "):
        apply_overrides(config, {"edge.certificate_arn": arn})


def test_bad_account_and_region_are_rejected() -> None:
    with pytest.raises(ConfigError, match="12-digit"):
        stage_config("dev", account="1234", region=None)
    with pytest.raises(ConfigError, match="AWS region"):
        stage_config("dev", account=None, region="Europe")


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"stage": "qa"}, "error: unknown stage 'qa'; choose one of: dev, staging, prod"),
        (
            {"stage": "dev", "taskly:data.docdb_instance_count": "-2"},
            "error: dev.data.docdb_instance_count: -2 is invalid; expected an integer from 1 to 16",
        ),
    ],
)
def test_the_app_prints_one_line_and_exits_non_zero(context: dict[str, str], expected: str) -> None:
    """Given bad context, when the app runs as the CDK CLI runs it, then stderr is one line."""
    result = _run_app(context)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [expected]


@pytest.fixture
def stage_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of config/dev.toml that stage_config("dev") reads instead."""
    directory = tmp_path / "config"
    directory.mkdir()
    copy = directory / "dev.toml"
    copy.write_text(config_file("dev").read_text())
    monkeypatch.setattr(stacks.config.stages, "CONFIG_DIR", directory)
    return copy


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "memory_mb = 512",
            "memroy_mb = 512",
            "config/dev.toml: unknown key 'compute.tasks.memroy_mb'; valid keys in "
            "[compute.tasks]: docdb_max_pool_size, memory_mb, reserved_concurrency, "
            "timeout_seconds",
        ),
        # The SQS worker is capped by its event source; a reservation is not a key it has.
        (
            "max_concurrency = 2",
            "reserved_concurrency = 2",
            "config/dev.toml: unknown key 'compute.email_worker.reserved_concurrency'; valid "
            "keys in [compute.email_worker]: max_concurrency, memory_mb, timeout_seconds",
        ),
        (
            "max_concurrency = 2",
            "max_concurrency = 1",
            "config/dev.toml: dev.compute.email_worker.max_concurrency: 1 is invalid; "
            "expected an integer from 2 to 1000",
        ),
        (
            "[edge]",
            "[edges]",
            "config/dev.toml: unknown key 'edges'; valid keys in the top level: auth, compute, "
            "data, edge, migration, network, ops, tags",
        ),
        (
            "memory_mb = 512",
            'memory_mb = "512"',
            "config/dev.toml: compute.tasks.memory_mb: '512' is invalid; expected an integer",
        ),
        (
            "protect_data = false",
            'protect_data = "no"',
            "config/dev.toml: data.protect_data: 'no' is invalid; expected true or false",
        ),
        (
            'alarm_emails = ["oncall@taskly.example.com"]',
            'alarm_emails = "oncall@taskly.example.com"',
            "config/dev.toml: ops.alarm_emails: 'oncall@taskly.example.com' is invalid; "
            "expected a list of strings",
        ),
        (
            "interface_endpoints = []",
            "interface_endpoints = [1]",
            "config/dev.toml: network.interface_endpoints: [1] is invalid; "
            "expected a list of strings",
        ),
        (
            'vpc_cidr = "10.10.0.0/16"\n',
            "",
            "config/dev.toml: missing key 'network.vpc_cidr'; expected a string",
        ),
        (
            "docdb_instance_count = 1",
            "docdb_instance_count = 0",
            "config/dev.toml: dev.data.docdb_instance_count: 0 is invalid; "
            "expected an integer from 1 to 16",
        ),
        (
            'stage = "dev"',
            'stage = "prod"',
            "config/dev.toml: dev.tags.stage: 'prod' is invalid; expected 'dev'",
        ),
        (
            "[edge]",
            "[edge",
            "config/dev.toml: not valid TOML: Expected ']' at the end of a table declaration "
            "(at line {edge_line}, column 6)",
        ),
    ],
)
def test_a_bad_stage_file_stops_with_one_line_naming_file_and_field(
    stage_file: Path, old: str, new: str, expected: str
) -> None:
    """Given one edit to the stage file, when the stage loads, then the error is that line."""
    text = stage_file.read_text()
    assert text.count(old) == 1
    stage_file.write_text(text.replace(old, new))
    edge_line = text.splitlines().index("[edge]") + 1

    with pytest.raises(ConfigError) as raised:
        stage_config("dev", account=None, region=None)

    assert str(raised.value) == expected.format(edge_line=edge_line)


def test_an_optional_key_left_out_is_unset(stage_file: Path) -> None:
    text = stage_file.read_text()
    stage_file.write_text(text.replace('nat_instance_type = "t4g.nano"\n', ""))

    assert stage_config("dev", account=None, region=None).network.nat_instance_type is None


def test_a_missing_stage_file_is_one_line(stage_file: Path) -> None:
    stage_file.unlink()
    with pytest.raises(ConfigError, match=r"^config/dev\.toml: cannot read the stage file"):
        stage_config("dev", account=None, region=None)


@pytest.mark.parametrize("name", STAGE_NAMES)
def test_every_stage_file_explains_itself(name: str) -> None:
    """The file a fork edits says what it is and how to override a value."""
    text = config_file(name).read_text()
    assert text.startswith(f'# Stage "{name}"')
    assert "-c taskly:<section>.<field>=<value>" in text


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        # Before: 'no' was kept as a string, truthy, so dev got the pre-traffic hook.
        (
            "compute.pre_traffic_hook",
            "no",
            "dev.compute.pre_traffic_hook: 'no' is invalid; expected true or false",
        ),
        (
            "compute.pre_traffic_hook",
            "False",
            "dev.compute.pre_traffic_hook: 'False' is invalid; expected true or false",
        ),
        (
            "data.protect_data",
            "False",
            "dev.data.protect_data: 'False' is invalid; expected true or false",
        ),
        # Before: a bare string became a one-item list.
        (
            "ops.alarm_emails",
            "ops@corp.test",
            "dev.ops.alarm_emails: 'ops@corp.test' is invalid; expected a JSON list of strings, "
            "e.g. -c 'taskly:ops.alarm_emails=[\"...\"]'",
        ),
        (
            "ops.alarm_emails",
            "[1]",
            "dev.ops.alarm_emails: [1] is invalid; expected a list of strings",
        ),
        (
            "compute.tasks.memory_mb",
            "1e3",
            "dev.compute.tasks.memory_mb: '1e3' is invalid; expected an integer",
        ),
        (
            "data.docdb_serverless_max_capacity",
            "lots",
            "dev.data.docdb_serverless_max_capacity: 'lots' is invalid; expected a number",
        ),
    ],
)
def test_a_bad_override_is_one_line(key: str, raw: str, expected: str) -> None:
    config = stage_config("dev", account=None, region=None)

    with pytest.raises(ConfigError) as raised:
        apply_overrides(config, {key: raw})

    assert str(raised.value) == expected


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("compute.pre_traffic_hook", "true", True),
        ("compute.pre_traffic_hook", False, False),  # typed, as from cdk.json
        ("ops.alarm_emails", '["a@corp.test", "b@corp.test"]', ("a@corp.test", "b@corp.test")),
        ("compute.tasks.memory_mb", "1024", 1024),
        ("compute.tasks.reserved_concurrency", "null", None),
        ("data.docdb_serverless_max_capacity", "4.5", 4.5),
        ("network.vpc_cidr", "10.50.0.0/16", "10.50.0.0/16"),
    ],
)
def test_a_good_override_is_parsed_for_its_field(key: str, raw: object, expected: object) -> None:
    config = apply_overrides(stage_config("dev", account=None, region=None), {key: raw})

    value: object = config
    for part in key.split("."):
        # A service's table sits in ComputeConfig.functions under the service's name.
        value = (
            value.functions[part]
            if part in getattr(value, "functions", {})
            else getattr(value, part)
        )
    assert value == expected


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        (
            "taskly:compute.pre_traffic_hook",
            "no",
            "error: dev.compute.pre_traffic_hook: 'no' is invalid; expected true or false",
        ),
        (
            "taskly:data.protect_data",
            "False",
            "error: dev.data.protect_data: 'False' is invalid; expected true or false",
        ),
    ],
)
def test_the_app_rejects_a_bad_boolean_in_one_line(key: str, raw: str, expected: str) -> None:
    """Before: '=no' synthesized dev with the hook on; '=False' here was a 40-line traceback."""
    result = _run_app({"stage": "dev", key: raw})

    assert (result.returncode, result.stderr.splitlines()) == (2, [expected])


def _run_app(context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    }
    return subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_the_stage_list_is_the_stage_files() -> None:
    """A stage is one entry of STAGES and one config/<stage>.toml, nothing else."""
    assert sorted(STAGES) == sorted(path.stem for path in CONFIG_DIR.glob("*.toml"))


def test_make_reads_the_stage_list_and_the_prefix_from_the_config_package() -> None:
    """The Makefile asks stacks/config/stages.py instead of spelling the stages again."""
    result = subprocess.run(
        ["make", "-n", "synth", "STAGE=qa"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert f"unknown stage 'qa'; choose one of: {' '.join(STAGES)}" in result.stderr
    printed = subprocess.run(
        ["make", "--no-print-directory", "print-stack-prefix", "STAGE=staging"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout.strip() == stack_name("staging", "")
