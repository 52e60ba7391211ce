"""The cut-over state in the CloudFront KeyValueStore, read and written with optimistic locking.

One implementation for both writers: the ``cutover`` CLI (``tools/ops/cutover``) and the automatic
rollback function (``handler.py`` next to this file). It reads and writes exactly the keys the
CloudFront Function reads (``lambda_src/edge/cutover.js``) and interprets them the same way:

- ``weight``: ``"0"`` to ``"100"``, the share of ``/api/*`` viewers sent to the new HTTP API.
  Missing or malformed means everyone stays on the legacy origin.
- ``kill_switch``: missing or ``"off"`` lets the weight apply; any other value sends everyone
  to legacy whatever the weight is.
- ``override_token_sha256``: SHA-256 (hex) of the tester override token; the function forces
  the origin a tester asks for only when the token sent hashes to it. The token itself is
  never stored.
- ``last_change``: who changed the state, when and why (the function never reads it).

Every write is conditional on the store's ETag (``If-Match``). A conflicting write by someone
else makes this side read again, re-check its precondition against the fresh state and retry,
so a cut-over step can never silently undo a rollback that happened in between.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

WEIGHT_KEY = "weight"
KILL_SWITCH_KEY = "kill_switch"
LAST_CHANGE_KEY = "last_change"
OVERRIDE_HASH_KEY = "override_token_sha256"
KILL_SWITCH_OFF = "off"
KILL_SWITCH_ON = "on"
MIN_WEIGHT = 0
MAX_WEIGHT = 100
# The same grammar as the function's WEIGHT pattern: "030" or " 30" must not mean 30 here
# while the edge treats them as malformed.
_WEIGHT = re.compile(r"(100|[1-9]?[0-9])")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# KeyValueStore values are at most 1 KB.
_MAX_VALUE_BYTES = 1024


class CutoverError(Exception):
    """A cut-over operation failed; the message is one line a person can act on."""


class StoreNotFoundError(CutoverError):
    pass


class KillSwitchEngagedError(CutoverError):
    pass


class KeyValueStoreClient(Protocol):
    """The part of boto3's ``cloudfront-keyvaluestore`` client used here."""

    def describe_key_value_store(self, **kwargs: Any) -> dict[str, Any]: ...

    def update_keys(self, **kwargs: Any) -> dict[str, Any]: ...

    def get_paginator(self, operation_name: str) -> Any: ...


def parse_weight(raw: str | None) -> int | None:
    """The weight ``raw`` stands for, or None when the edge would treat it as missing/malformed."""
    if raw is None or not _WEIGHT.fullmatch(raw):
        return None
    return int(raw)


@dataclass(frozen=True, kw_only=True)
class CutoverState:
    """One consistent reading of the store: values no older than ``etag``."""

    etag: str
    raw_weight: str | None
    raw_kill_switch: str | None
    last_change: str | None
    override_token_hash: str | None = None

    @property
    def weight(self) -> int | None:
        return parse_weight(self.raw_weight)

    @property
    def kill_switch_engaged(self) -> bool:
        return self.raw_kill_switch is not None and self.raw_kill_switch != KILL_SWITCH_OFF

    @property
    def effective_weight(self) -> int:
        """The share of viewers the edge actually sends to the new origin."""
        if self.kill_switch_engaged or self.weight is None:
            return 0
        return self.weight

    @property
    def is_rolled_back(self) -> bool:
        return self.kill_switch_engaged and self.weight == 0


# Decides on a fresh reading whether to write (True), skip the write (False) or abort (raise).
Precondition = Callable[[CutoverState], bool]


class WeightStore:
    """Reads and conditionally writes the cut-over keys of one KeyValueStore."""

    def __init__(
        self,
        *,
        client: KeyValueStoreClient,
        kvs_arn: str,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self.kvs_arn = kvs_arn
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._now = now

    def read(self) -> CutoverState:
        # ETag first, values second: any write after this ETag makes a later If-Match fail,
        # so values newer than the ETag can never be written back as if they were current.
        etag = self._call(self._client.describe_key_value_store, KvsARN=self.kvs_arn)["ETag"]
        values: dict[str, str] = {}
        paginator = self._client.get_paginator("list_keys")
        try:
            for page in paginator.paginate(KvsARN=self.kvs_arn):
                values.update({item["Key"]: item["Value"] for item in page.get("Items", [])})
        except ClientError as error:
            raise self._translate(error) from error
        return CutoverState(
            etag=etag,
            raw_weight=values.get(WEIGHT_KEY),
            raw_kill_switch=values.get(KILL_SWITCH_KEY),
            last_change=values.get(LAST_CHANGE_KEY),
            override_token_hash=values.get(OVERRIDE_HASH_KEY),
        )

    def set_weight(self, weight: int, *, actor: str) -> CutoverState:
        """Set the weight and release the kill switch: an explicit decision by a person."""
        check_weight(weight)
        return self._write(
            weight=weight,
            kill_switch=KILL_SWITCH_OFF,
            change=f"weight {weight} by {actor}",
            precondition=None,
        )

    def advance(self, weight: int, *, actor: str) -> CutoverState:
        """Raise the weight to ``weight`` as a scheduled step, never lowering it.

        Refuses while the kill switch is engaged (a rollback happened since the plan started)
        and leaves the store alone when the weight is already at or above ``weight``, so a step
        never moves viewers from the new origin back to legacy.
        """
        check_weight(weight)
        return self._write(
            weight=weight,
            kill_switch=KILL_SWITCH_OFF,
            change=f"weight {weight} by {actor}",
            precondition=lambda state: _raise_only(state, weight),
        )

    def roll_back(self, *, actor: str) -> CutoverState:
        """Send everyone to legacy at once: weight 0 and the kill switch on, in one write.

        A store that is already rolled back is left alone, so the record keeps saying who
        rolled back first (the alarm function and a watching plan often race for it).
        """
        return self._write(
            weight=0,
            kill_switch=KILL_SWITCH_ON,
            change=f"rollback by {actor}",
            precondition=lambda state: not state.is_rolled_back,
        )

    def set_override_token_hash(self, token_hash: str) -> CutoverState:
        """Replace the tester override token's hash; weight, switch and their record stay."""
        if not _SHA256_HEX.fullmatch(token_hash):
            raise CutoverError("the override token hash must be 64 lowercase hex digits")
        return self._put({OVERRIDE_HASH_KEY: token_hash}, precondition=None)

    def _write(
        self,
        *,
        weight: int,
        kill_switch: str,
        change: str,
        precondition: Precondition | None,
    ) -> CutoverState:
        stamp = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        last_change = _truncate(f"{stamp} {change}")
        values = {
            WEIGHT_KEY: str(weight),
            KILL_SWITCH_KEY: kill_switch,
            LAST_CHANGE_KEY: last_change,
        }
        return self._put(values, precondition=precondition)

    def _put(self, values: dict[str, str], *, precondition: Precondition | None) -> CutoverState:
        """Write ``values`` if the precondition holds on a fresh reading; the resulting state."""
        puts = [{"Key": key, "Value": value} for key, value in values.items()]
        attempt = 1
        while True:
            state = self.read()
            if precondition is not None and not precondition(state):
                return state
            try:
                response = self._client.update_keys(
                    KvsARN=self.kvs_arn, IfMatch=state.etag, Puts=puts
                )
            except ClientError as error:
                if _error_code(error) != "ConflictException" or attempt >= self._max_attempts:
                    raise self._translate(error) from error
                # Someone else wrote in between: back off with jitter, then read again.
                backoff = min(2.0, 0.2 * 2 ** (attempt - 1))
                self._sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto
                attempt += 1
                continue
            return CutoverState(
                etag=response["ETag"],
                raw_weight=values.get(WEIGHT_KEY, state.raw_weight),
                raw_kill_switch=values.get(KILL_SWITCH_KEY, state.raw_kill_switch),
                last_change=values.get(LAST_CHANGE_KEY, state.last_change),
                override_token_hash=values.get(OVERRIDE_HASH_KEY, state.override_token_hash),
            )

    def _call(self, operation: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        try:
            return operation(**params)
        except ClientError as error:
            raise self._translate(error) from error

    def _translate(self, error: ClientError) -> CutoverError:
        code = _error_code(error)
        message = error.response.get("Error", {}).get("Message") or code
        if code == "ResourceNotFoundException":
            return StoreNotFoundError(f"key value store {self.kvs_arn} not found")
        if code == "AccessDeniedException":
            return CutoverError(f"access denied to key value store {self.kvs_arn}: {message}")
        if code == "ConflictException":
            return CutoverError(
                f"key value store {self.kvs_arn} kept changing during {self._max_attempts} "
                "attempts; run status and try again"
            )
        return CutoverError(f"key value store {self.kvs_arn}: {code}: {message}")


def check_weight(weight: int) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise CutoverError(f"weight must be an integer from {MIN_WEIGHT} to {MAX_WEIGHT}")
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        raise CutoverError(
            f"weight must be an integer from {MIN_WEIGHT} to {MAX_WEIGHT}, got {weight}"
        )


def _raise_only(state: CutoverState, weight: int) -> bool:
    if state.kill_switch_engaged:
        raise KillSwitchEngagedError(
            f"kill switch is engaged ({state.last_change or 'no change recorded'}); "
            "investigate, then resume with: set <weight>"
        )
    return state.weight is None or state.weight < weight


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _truncate(value: str) -> str:
    encoded = value.encode()
    if len(encoded) <= _MAX_VALUE_BYTES:
        return value
    return encoded[: _MAX_VALUE_BYTES - 3].decode(errors="ignore") + "..."
