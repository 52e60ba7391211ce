"""One real MongoDB-wire-protocol server per test session (SecantusDB, TLS + SCRAM, rs0).

Started in a child process by ``tools.local.db`` and stopped by its PID at the end of the
session. When it cannot start, every test that needs it errors (never skips): this suite is
the only place the DocumentDB code meets a wire protocol, TLS and authentication.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.local.db import LocalDb, running


@pytest.fixture(scope="session")
def wire_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDb]:
    with running(state_dir=tmp_path_factory.mktemp("wire-db")) as db:
        yield db
