"""The services table: a service added as one entry (plus its code and routes) reaches the stage
config, the bundle list, the route table, the Compute stack and the dashboard."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stacks import route_table, services
from stacks.compute_stack import service_bundles
from stacks.config import ConfigError, stage_config
from stacks.route_table import ROUTES_FILE, load_route_table
from stacks.services import SERVICES, Service
from tests.compute.conftest import resources
from tests.synth import synthesize

# A fourth HTTP service, run by the profile handler (its own code is not what this proves).
REPORTS = Service(
    name="reports",
    construct_id="Reports",
    handler="taskly.handlers.profile.handler",
    trigger="http",
    uses=frozenset({"database"}),
    in_vpc=True,
    memory_mb=384,
    timeout_seconds=7,
    docdb_max_pool_size=1,
)
REPORTS_ROUTE = '    Route("GET", "/api/reports", "reports"),\n'


@pytest.fixture
def fourth_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SERVICES with REPORTS, and a copy of the runtime route table with its one route."""
    routes = tmp_path / "routes.py"
    source = ROUTES_FILE.read_text()
    anchor = "MIGRATED_ROUTES: tuple[Route, ...] = (\n"
    assert anchor in source
    routes.write_text(source.replace(anchor, anchor + REPORTS_ROUTE))
    monkeypatch.setattr(services, "SERVICES", (*SERVICES, REPORTS))
    monkeypatch.setattr(route_table, "ROUTES_FILE", routes)
    return routes


def test_a_fourth_service_appears_in_config_bundles_routes_and_stack(
    fourth_service: Path, tmp_path: Path
) -> None:
    # Given one more entry in the services table (and its route), when the stage is built
    config = stage_config("dev", account=None, region=None)
    # then the stage config has its settings, from the entry's defaults (no TOML table)
    reports = config.compute.function("reports")
    assert (reports.memory_mb, reports.timeout_seconds, reports.docdb_max_pool_size) == (384, 7, 1)
    # and it is counted in the DocumentDB connection budget
    assert any(what.startswith("reports: ") for what, _ in config.docdb_connection_budget().demand)
    # and it has a bundle, with the DocumentDB driver its uses need
    assert service_bundles()["reports"] == service_bundles()["profile"]
    # and the route table sends its route to it
    assert ("GET", "/api/reports", "reports") in load_route_table().rows()

    stage = synthesize("dev", tmp_path / "cdk.out")
    compute = stage.json("Compute")
    functions = [
        properties
        for properties in (
            resource["Properties"]
            for resource in resources(compute, "AWS::Lambda::Function").values()
        )
        if properties.get("Description") == "Taskly reports service"
    ]
    # and the Compute stack has its function, sized and wired like every HTTP service
    assert len(functions) == 1
    assert functions[0]["Handler"] == REPORTS.handler
    assert functions[0]["MemorySize"] == 384
    assert functions[0]["Timeout"] == 7
    assert "DOCDB_SECRET_ARN" in functions[0]["Environment"]["Variables"]
    assert "VpcConfig" in functions[0]
    # and an API Gateway route for it
    route_keys = {
        resource["Properties"]["RouteKey"]
        for resource in resources(compute, "AWS::ApiGatewayV2::Route").values()
    }
    assert "GET /api/reports" in route_keys
    # and its function is on the dashboard with the others
    assert "reports" in stage.stacks.compute.functions


def test_a_route_to_an_unknown_service_is_refused(tmp_path: Path) -> None:
    routes = tmp_path / "routes.py"
    anchor = "MIGRATED_ROUTES: tuple[Route, ...] = (\n"
    routes.write_text(ROUTES_FILE.read_text().replace(anchor, anchor + REPORTS_ROUTE))
    with pytest.raises(ValueError, match=r"names 'reports', not an HTTP service"):
        load_route_table(routes)


def test_an_http_service_without_routes_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "SERVICES", (*SERVICES, REPORTS))
    with pytest.raises(ValueError, match=r"HTTP service 'reports' serves no route"):
        load_route_table()


def test_a_stage_file_may_set_a_services_table_and_typos_list_its_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "SERVICES", (*SERVICES, REPORTS))
    config = stage_config("dev", account=None, region=None)
    assert set(config.compute.functions) == {entry.name for entry in (*SERVICES, REPORTS)}
    # An HTTP service must answer within API Gateway's 29 seconds, whatever its entry says.
    slow = dataclasses.replace(REPORTS, timeout_seconds=60)
    monkeypatch.setattr(services, "SERVICES", (*SERVICES, slow))
    with pytest.raises(ConfigError, match=r"compute\.reports\.timeout_seconds: 60 is invalid"):
        stage_config("dev", account=None, region=None)
