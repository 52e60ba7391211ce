"""The new API's 4xx bodies for bad input are legacy's, word for word, field for field.

Each input of the error corpus (tests/integration/api/error_corpus.py) that legacy answers
with its own validation (400, 415, 422) goes to legacy's port and to the local API's port (the
CloudFront stand-in's, as the edge reaches it); status and whole body must be equal. That is
why parity/rules.toml no longer ignores 422 wording.

What it does not prove: that API Gateway passes these bodies through unchanged (the local
gateway is its stand-in; a function's response body is returned as is there too).
"""

from __future__ import annotations

import pytest
import requests

from tests.integration.api.error_corpus import CORPUS, BadInput, send
from tools.local.api.devjwt import DevKey, issue_token
from tools.local.edge.launch import LocalPath

VALIDATION_CASES = [case for case in CORPUS if case.status in {400, 415, 422}]


@pytest.mark.parametrize("case", VALIDATION_CASES, ids=[case.name for case in VALIDATION_CASES])
def test_legacy_and_the_new_api_answer_bad_input_alike(
    local_path: LocalPath, dev_key: DevKey, case: BadInput
) -> None:
    token = issue_token(dev_key, subject="error-parity")
    with requests.Session() as session:
        legacy = send(session, local_path.url(local_path.ports.legacy), case, token)
        new = send(session, local_path.url(local_path.ports.api), case, token)
    assert new.headers.get("apigw-requestid"), "the new API did not answer"
    assert (new.status_code, new.json()) == (legacy.status_code, legacy.json())
