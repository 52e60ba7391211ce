"""Every 4xx of the local API over real HTTP keeps one error contract (error_corpus.py).

What it does not prove: the 401 comes from tools/local/api's stand-in for the JWT authorizer;
behind API Gateway the authorizer answers ``{"message":"Unauthorized"}`` itself, with its own
``error_description`` wording, before the function runs. Likewise the 10 MB 413 here is the
stand-in's; API Gateway's own answer is ``{"message":"Request Entity Too Large"}``.
"""

from __future__ import annotations

import pytest
import requests
from api_http_support import LocalApi
from error_corpus import CORPUS, BadInput, contract_violations, send


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_bad_input_gets_a_readable_error_naming_the_field(
    local_api: LocalApi, http: requests.Session, case: BadInput
) -> None:
    response = send(http, local_api.base_url, case, local_api.token_for("error-contract"))
    assert contract_violations(case, response) == [], response.text[:2000]


def test_the_corpus_covers_the_inputs_of_the_issue() -> None:
    # A guard on the guard: the inputs the error contract was written for stay in the corpus.
    names = {case.name for case in CORPUS}
    assert {
        "share: not an email",
        "preferences: language",
        "create: title is a number",
        "create: due date is a datetime",
        "create: malformed JSON",
        "list: limit is not a number",
        "create: over API Gateway's 10 MB",
        "garbage token",
    } <= names
