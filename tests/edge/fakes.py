"""A stateful CloudFront KeyValueStore behind a real boto3 client.

Fake, because nothing here emulates ``cloudfront-keyvaluestore``: moto has no backend for it
and the real API needs an AWS account. Only the HTTP exchange is replaced, through the same
client events botocore's Stubber uses; the boto3 client itself is real, so every call is still
validated against the service model (required ``IfMatch``, value types, unknown parameters).
The store keeps CloudFront's optimistic-locking contract: every write needs the current ETag
and gets a new one; a stale ETag is a ``ConflictException``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse

SERVICE = "cloudfront-keyvaluestore"


class InMemoryKeyValueStore:
    def __init__(self, arn: str, values: dict[str, str] | None = None) -> None:
        self.arn = arn
        self.values: dict[str, str] = dict(values or {})
        self.version = 1
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # Runs before an UpdateKeys is applied: lets a test play a concurrent writer.
        self.before_update: Callable[[InMemoryKeyValueStore], None] | None = None
        # Every UpdateKeys loses a race against another writer (the ETag moves first).
        self.always_conflict = False
        # Operation name -> error code to answer the next call of that operation with.
        self.fail_next: dict[str, str] = {}
        self._pending: dict[str, Any] = {}

    @property
    def etag(self) -> str:
        return f"ETAG{self.version}"

    def write_concurrently(self, **values: str) -> None:
        """Another writer's change: new values, new ETag."""
        self.values.update(values)
        self.version += 1

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        events.register_first(f"before-parameter-build.{SERVICE}", self._capture)
        events.register_first(f"before-call.{SERVICE}", self._respond)
        return client

    def updates(self) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == "UpdateKeys"]

    def _capture(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._pending = dict(params)

    def _respond(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = model.name
        params = self._pending
        self.calls.append((name, params))
        if name in self.fail_next:
            return _error(self.fail_next.pop(name))
        if params.get("KvsARN") != self.arn:
            return _error("ResourceNotFoundException", 404)
        if name == "DescribeKeyValueStore":
            return _ok(
                {
                    "KvsARN": self.arn,
                    "Created": datetime(2026, 1, 1, tzinfo=UTC),
                    "ETag": self.etag,
                    "ItemCount": len(self.values),
                    "TotalSizeInBytes": self._size(),
                }
            )
        if name == "ListKeys":
            items = [{"Key": key, "Value": value} for key, value in sorted(self.values.items())]
            return _ok({"Items": items})
        if name == "UpdateKeys":
            if self.before_update is not None:
                hook, self.before_update = self.before_update, None
                hook(self)
            if self.always_conflict:
                self.write_concurrently()
            if params["IfMatch"] != self.etag:
                return _error("ConflictException", 409)
            for put in params.get("Puts", []):
                self.values[put["Key"]] = put["Value"]
            for delete in params.get("Deletes", []):
                self.values.pop(delete["Key"], None)
            self.version += 1
            return _ok(
                {"ETag": self.etag, "ItemCount": len(self.values), "TotalSizeInBytes": self._size()}
            )
        raise AssertionError(f"the fake does not implement {name}")

    def _size(self) -> int:
        return sum(len(key) + len(value) for key, value in self.values.items())


def _ok(body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}


def _error(code: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    status = {"ConflictException": 409, "AccessDeniedException": 403}.get(code, status)
    parsed = {
        "Error": {"Code": code, "Message": f"simulated {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return AWSResponse(None, status, {}, None), parsed
