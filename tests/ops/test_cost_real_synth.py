"""The report on templates and a manifest written by the real CDK (tests/ops/sample_app.py).

Guards the parts hand-written fixtures cannot: CDK's logical ids and construct paths, how it
writes Fn::GetAtt, aliases, event source mappings, TableV2 (a GlobalTable), and the
AlarmTopic/BudgetAlerts constructs of this repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.ops.sample_app import synth_sample
from tools.ops.cost.assembly import Assembly, load_assembly
from tools.ops.cost.estimate import LineItem, StageEstimate, estimate_stage
from tools.ops.cost.pricebook import DEFAULT_PRICE_FILE, PriceBook, load_price_book
from tools.ops.cost.render import TEXT_WIDTH, render_report


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    return load_assembly(synth_sample(tmp_path_factory.mktemp("cdk") / "cdk.out", stage="qa"))


@pytest.fixture(scope="module")
def report(assembly: Assembly, book: PriceBook) -> StageEstimate:
    return estimate_stage(assembly, "qa", book, requests_per_day=10_000)


@pytest.fixture(scope="module")
def shipped_price_report(assembly: Assembly) -> StageEstimate:
    """The same stage priced with the real tools/ops/cost/prices.toml."""
    return estimate_stage(
        assembly, "qa", load_price_book(DEFAULT_PRICE_FILE), requests_per_day=10_000
    )


def charges(items: Iterable[LineItem]) -> set[tuple[str, str]]:
    return {(item.resource, item.charge) for item in items}


def test_the_manifest_gives_the_stage_and_its_stacks(assembly: Assembly) -> None:
    assert assembly.stages() == ["qa"]
    assert sorted(assembly.stack_names("qa")) == [
        "Taskly-qa-Compute",
        "Taskly-qa-Data",
        "Taskly-qa-Edge",
        "Taskly-qa-Monitoring",
        "Taskly-qa-Network",
    ]


def test_every_resource_type_cdk_wrote_is_priced_or_free(
    shipped_price_report: StageEstimate,
) -> None:
    assert shipped_price_report.unpriced == ()
    assert shipped_price_report.findings == ()


def test_fixed_lines_follow_the_construct_paths(report: StageEstimate) -> None:
    assert {
        ("Vpc/publicSubnet1/NATGateway", "hours"),
        ("Vpc/publicSubnet1/EIP", "hours"),
        ("Vpc/SecretsManager", "az-hours"),
        ("Docs/Instance1", "hours"),
        ("State", "storage"),
        ("Alarms/Key", "key"),
        ("Dashboard", "dashboard"),
        ("ApiErrors", "metrics"),
    } <= charges(report.fixed)
    endpoint = next(i for i in report.fixed if i.charge == "az-hours")
    assert endpoint.quantity == 2 * 720  # CDK placed the endpoint in both AZs


def test_variable_lines_follow_the_wiring(report: StageEstimate) -> None:
    assert {
        ("Api", "requests"),
        ("TasksFunction", "duration"),
        ("TasksFunction", "traces"),
        ("EmailWorker", "requests"),
        ("Cdn", "requests"),
        ("Router", "invocations"),
        ("Weights", "reads"),
        ("State", "writes"),
        ("Docs", "io"),
    } <= charges(report.variable)
    duration = next(
        i for i in report.variable if i.charge == "duration" and i.resource == "TasksFunction"
    )
    # 300,000 requests x 512 MB x (100 ms + 10% of a 1 s INIT), read from MemorySize
    assert duration.quantity == pytest.approx(300_000 * 0.5 * 0.2)
    # the legacy HTTP_PROXY route invokes no function: only the tasks function and the worker
    functions = {i.resource for i in report.variable if i.resource_type == "AWS::Lambda::Function"}
    assert functions == {"TasksFunction", "EmailWorker"}


def test_serverless_cluster_is_flagged_without_instances(tmp_path: Path, book: PriceBook) -> None:
    assembly = load_assembly(synth_sample(tmp_path / "cdk.out", stage="qa", serverless=True))

    report = estimate_stage(assembly, "qa", book, requests_per_day=0)

    # CDK's DatabaseCluster creates no instance for a serverless cluster
    assert [f.resource for f in report.findings] == ["Docs"]


def test_the_text_report_fits_a_100_column_terminal(shipped_price_report: StageEstimate) -> None:
    """Long cells (units, item descriptions, construct paths) wrap inside their column; the
    markdown format (a pull-request comment) is not held to it."""
    book = load_price_book(DEFAULT_PRICE_FILE)
    text = render_report([shipped_price_report], book, "text")
    widest = max(text.splitlines(), key=len)
    assert TEXT_WIDTH == 100
    assert len(widest) <= 100, widest
    assert "customer managed" in text  # the wrapped cells are still there
