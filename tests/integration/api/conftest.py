"""The local API (`python -m tools.local.api serve`) as a real process, over real HTTP.

One server per test session: moto server for DynamoDB, SQS, Secrets Manager and SES, mongomock
for DocumentDB (see docs/api.md for what that stand-in does not cover). Tokens are signed with
a key generated into the session's temporary directory. It serves two ports, as `make local`
does: one through the CloudFront stand-in, one direct (no x-origin-verify).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from api_http_support import LocalApi, run_local_api


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with run_local_api(tmp_path_factory.mktemp("local-api")) as api:
        yield api


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
