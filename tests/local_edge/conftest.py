"""The whole local path as ``make local`` starts it, once per session, every server by PID.

Slow-ish by nature (~15 s on 2 busy cores): it starts a MongoDB-wire server with TLS and SCRAM,
the legacy backend (Node), the local API (moto + the real handlers) and the edge (Node); the
suite then only sends HTTP requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.local.api.devjwt import DevKey, load_or_create_key
from tools.local.edge.launch import LocalPath, Ports, free_port, running

LOCAL_EDGE_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LOCAL_EDGE_TESTS in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"]))


@pytest.fixture(scope="session")
def local_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPath]:
    state_dir = tmp_path_factory.mktemp("local-path")
    ports = Ports(edge=free_port(), api=free_port(), direct=free_port(), legacy=free_port())
    log = (state_dir / "servers.log").open("wb")
    path = LocalPath(state_dir=state_dir, ports=ports, persistent_db=False, output=log)
    try:
        with running(path):
            yield path
    except Exception:
        log.close()
        print((state_dir / "servers.log").read_text(errors="replace")[-5000:])
        raise
    log.close()


@pytest.fixture(scope="session")
def dev_key(local_path: LocalPath) -> DevKey:
    return load_or_create_key(local_path.state_dir)
