"""Hypothesis-generated HTTP API events straight into each handler: no server error, ever.

At least 1,000 events per handler. Bodies, content types, base64 flags, query strings, path
segments, headers, the x-origin-verify header and authorizer claims are all generated; the
stores are in-memory fakes, so any 5xx here is a bug in our code, not a dependency. And an
event without CloudFront's x-origin-verify value never reaches a route (health excepted).
"""

from __future__ import annotations

import datetime as dt
import json
import string
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from api_unit_support import ORIGIN_SECRET, TasksFixture
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taskly.api.app import MAX_BODY_BYTES
from taskly.api.origin import ORIGIN_VERIFY_HEADER, REFUSAL
from taskly.data.memory import InMemoryEmailSender, in_memory_idempotency_store
from taskly.handlers import email_worker, profile
from taskly.handlers import tasks as tasks_handler
from taskly.models.email import TaskSharedEmail
from taskly.models.tasks import TaskCreate
from taskly.routes import API_SCOPE, MIGRATED_ROUTES

from tools.local.api.events import LocalLambdaContext, http_api_event, match_route

EVENTS_PER_HANDLER = 1000
FUZZ = settings(
    max_examples=EVENTS_PER_HANDLER,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
COUNTS: Counter[str] = Counter()

FIELD_NAMES = [
    "title",
    "description",
    "status",
    "due_date",
    "version",
    "email",
    "theme",
    "language",
    "email_notifications",
    "tasks_page_size",
    "owner",
    "id",
    "",
]
QUERY_NAMES = ["status", "due_before", "due_after", "limit", "cursor", "x", ""]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "",
]
# A small alphabet with the awkward cases keeps generation fast (~1,000 events in seconds).
texts = st.text(
    alphabet=st.characters(max_codepoint=0x17F)
    | st.sampled_from(["\x00", "\u202e", "\U0001f600", "\ufeff"]),
    max_size=24,
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["todo", "done", "in_progress", "dark", "2030-01-01", "a@b.co", "0" * 24]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=64),
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_scalars, max_size=5).map(
        lambda d: json.dumps(d).encode()
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.just(b'{"title": "x", "description": "' + b"y" * (MAX_BODY_BYTES + 10) + b'"}'),
    texts.map(str.encode),
)
segments = st.one_of(
    st.text(alphabet=string.hexdigits.lower(), min_size=24, max_size=24),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@", max_size=30),
    st.sampled_from(["stats", "share", "", "..", "%2F", "0" * 24]),
)


@st.composite
def paths(draw: st.DrawFn, known_ids: list[str]) -> str:
    if draw(st.integers(0, 9)) == 0:
        return "/api/" + draw(
            st.text(alphabet=string.printable.replace("?", "").replace("#", ""), max_size=30)
        )
    template = draw(st.sampled_from([route.path for route in MIGRATED_ROUTES]))
    identifier = draw(st.sampled_from(known_ids) if known_ids and draw(st.booleans()) else segments)
    return template.replace("{id}", identifier)


@st.composite
def events(draw: st.DrawFn, known_ids: list[str]) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]))
    path = draw(paths(known_ids))
    query = urlencode(draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), texts), max_size=4)))
    headers = [("content-type", draw(st.sampled_from(CONTENT_TYPES)))]
    if draw(st.booleans()):
        headers.append(("idempotency-key", draw(texts | st.just("k" * 300))))
    # Mostly through CloudFront; one in five direct (no header) or with a wrong value.
    origin = draw(st.integers(0, 9))
    if origin >= 2:
        headers.append((ORIGIN_VERIFY_HEADER, ORIGIN_SECRET))
    elif origin == 1:
        headers.append((ORIGIN_VERIFY_HEADER, draw(texts | st.just(ORIGIN_SECRET[:-1]))))
    claims: dict[str, Any] | None = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "sub": st.one_of(st.sampled_from(["alice", "bob", "x" * 200]), texts),
                    "scope": st.sampled_from([API_SCOPE, "", "openid", f"openid {API_SCOPE}"]),
                }
            ),
        )
    )
    matched = match_route(method, path)
    event = http_api_event(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=headers,
        body=draw(bodies),
        route=matched[0] if matched else None,
        path_parameters=matched[1] if matched else None,
        claims=claims,
        scopes=None,
    )
    if event.get("body") is not None and draw(st.integers(0, 9)) == 0:
        event["isBase64Encoded"] = not event["isBase64Encoded"]  # a lying flag
    if claims is not None and draw(st.integers(0, 19)) == 0:
        event["requestContext"]["authorizer"]["jwt"]["claims"] = draw(json_values)
    return event


def check(handler: Any, event: dict[str, Any], name: str) -> None:
    response = handler(event, LocalLambdaContext(function_name=name))
    COUNTS[name] += 1
    status = response["statusCode"]
    assert isinstance(status, int)
    assert status < 500, (status, response.get("body"), event)
    if status >= 400:
        body = json.loads(response["body"])
        assert body["code"] and body["message"], body
    through_cloudfront = event["headers"].get(ORIGIN_VERIFY_HEADER) == ORIGIN_SECRET
    health = (
        event["requestContext"]["http"]["method"] == "GET" and event["rawPath"] == "/api/health"
    )
    if not through_cloudfront and not health:
        assert (status, json.loads(response["body"])) == (
            403,
            {"code": "forbidden", "message": REFUSAL},
        ), event


def test_fuzz_tasks_handler(tasks: TasksFixture) -> None:
    known = [
        tasks.service.create(
            owner="alice", task=TaskCreate(title=f"seed {n}"), idempotency_key=None
        ).id
        for n in range(3)
    ]

    @FUZZ
    @given(event=events(known))
    def run(event: dict[str, Any]) -> None:
        check(tasks_handler.handler, event, "tasks")

    run()
    assert COUNTS["tasks"] >= EVENTS_PER_HANDLER
    print(f"\nfuzzed {COUNTS['tasks']} events into taskly.handlers.tasks.handler: 0 server errors")


def test_fuzz_profile_handler(preferences: object) -> None:
    @FUZZ
    @given(event=events([]))
    def run(event: dict[str, Any]) -> None:
        check(profile.handler, event, "profile")

    run()
    assert COUNTS["profile"] >= EVENTS_PER_HANDLER
    print(
        f"\nfuzzed {COUNTS['profile']} events into taskly.handlers.profile.handler: 0 server errors"
    )


valid_messages = st.builds(
    TaskSharedEmail,
    task_id=st.text(alphabet="0123456789abcdef", min_size=24, max_size=24),
    task_title=texts.filter(bool),
    recipient=st.sampled_from(["bob@example.com", "carol@example.org"]),
    shared_by=st.sampled_from(["alice", "bob"]),
    shared_at=st.datetimes(timezones=st.just(dt.UTC)),
).map(lambda message: message.model_dump_json())
invalid_bodies = st.one_of(texts, json_values.map(json.dumps), st.just('{"kind": "task_shared"}'))


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:email",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def test_fuzz_email_worker() -> None:
    """Generated SQS batches into the worker (in-memory SES and idempotency store: fakes)."""
    sender = InMemoryEmailSender()
    worker = email_worker.EmailWorker(
        sender=sender,
        sender_address="no-reply@example.com",
        persistence_store=in_memory_idempotency_store(),
    )

    # Each example is delivered twice (SQS redelivery): half as many examples make 1,000 events.
    @settings(FUZZ, max_examples=EVENTS_PER_HANDLER // 2)
    @given(
        records=st.lists(
            st.tuples(st.booleans(), valid_messages, invalid_bodies), min_size=1, max_size=5
        )
    )
    def run(records: list[tuple[bool, str, str]]) -> None:
        event = sqs_event([good if is_good else bad for is_good, good, bad in records])
        valid_ids = {
            record["messageId"] for record in event["Records"] if _is_valid(record["body"])
        }
        sent_before = len(sender.sent)
        for delivery in range(2):  # SQS may deliver a batch twice: still one email per message
            COUNTS["email_worker"] += 1
            try:
                result = worker(event, LocalLambdaContext(function_name="email"))
            except BatchProcessingError:
                assert not valid_ids, "only a batch with no valid message fails whole"
                continue
            failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
            all_ids = {record["messageId"] for record in event["Records"]}
            assert failed == all_ids - valid_ids
            assert len(sender.sent) == sent_before + len(valid_ids), delivery

    run()
    assert COUNTS["email_worker"] >= EVENTS_PER_HANDLER
    print(
        f"\nfuzzed {COUNTS['email_worker']} SQS events into the email worker: "
        "nothing lost or sent twice"
    )


def _is_valid(body: str) -> bool:
    try:
        TaskSharedEmail.model_validate_json(body)
    except ValueError:
        return False
    return True
