"""Shared fixtures for the operations tests (cost report, monitoring constructs).

Unit tests here run with the network disabled: the cost tool must work offline, and the
CDK synths in these tests need no lookups.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pytest_socket import disable_socket

from tools.ops.cost.pricebook import PriceBook, load_price_book

FIXTURES = Path(__file__).parent / "fixtures"
TEST_PRICES = FIXTURES / "prices.toml"

Template = dict[str, Any]
WriteAssembly = Callable[..., Path]


def pytest_runtest_setup() -> None:
    # jsii talks to its node process over pipes; unix sockets stay allowed for it.
    disable_socket(allow_unix_socket=True)


@pytest.fixture(scope="session")
def book() -> PriceBook:
    """The round-number price book every hand computation in tests/ops uses."""
    return load_price_book(TEST_PRICES)


def resource(resource_type: str, **properties: Any) -> dict[str, Any]:
    return {"Type": resource_type, "Properties": properties}


def write_cloud_assembly(directory: Path, stacks: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write a cdk.out in CDK's format: manifest.json plus one template per stack.

    ``stacks`` maps a stack name to its resources (logical id -> resource).
    """
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = {}
    for name, resources in stacks.items():
        template_file = f"{name}.template.json"
        (directory / template_file).write_text(json.dumps({"Resources": dict(resources)}))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {"templateFile": template_file},
        }
    manifest = {"version": "48.0.0", "artifacts": artifacts}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


@pytest.fixture
def write_assembly(tmp_path: Path) -> WriteAssembly:
    """Write a cloud assembly under tmp_path (``name`` picks the directory)."""

    def write(stacks: Mapping[str, Mapping[str, Any]], name: str = "cdk.out") -> Path:
        return write_cloud_assembly(tmp_path / name, stacks)

    return write
