"""A CloudFront KeyValueStore kept in a local JSON file, behind the client calls WeightStore uses.

The edge stand-in (``edge.mjs``) reads the file on every request, so ``cutover set 25 --local``
takes effect on the next request, as a KeyValueStore write does at the edge within seconds. The
contract is the real store's: every write names the current ETag (``IfMatch``) and gets a new
one; a stale ETag is a ``ConflictException`` (a botocore ``ClientError``, so WeightStore's retry
path runs unchanged). Writers serialise on a lock file; the JSON file itself is replaced
atomically, so a reader never sees half a write.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

# Inside the local state directory (.local, git-ignored) that make local uses.
STORE_IN_STATE_DIR = Path("edge/kvs.json")
DEFAULT_LOCAL_STORE = Path(".local") / STORE_IN_STATE_DIR
# What a freshly deployed edge starts from: no weight (everyone on legacy), switch off.
INITIAL_VALUES = {"weight": "0", "kill_switch": "off"}


def local_store_arn(path: Path) -> str:
    return f"file://{path.resolve()}"


class FileKeyValueStore:
    """``describe_key_value_store``, ``list_keys`` and ``update_keys`` over one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.arn = local_store_arn(path)

    def initialise(self, values: dict[str, str] | None = None) -> None:
        """Create the file with ``values`` (default: weight 0, switch off) unless it exists."""
        with self._locked():
            if not self.path.exists():
                self._save(1, dict(INITIAL_VALUES if values is None else values))

    def values(self) -> dict[str, str]:
        return self._load(self.arn)[1]

    def describe_key_value_store(self, *, KvsARN: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        version, values = self._load(KvsARN)
        return {"KvsARN": self.arn, "ETag": str(version), "ItemCount": len(values)}

    def get_paginator(self, operation_name: str) -> Any:
        if operation_name != "list_keys":
            raise NotImplementedError(operation_name)
        return self

    def paginate(self, *, KvsARN: str) -> Iterator[dict[str, Any]]:  # noqa: N803
        _, values = self._load(KvsARN)
        yield {"Items": [{"Key": key, "Value": value} for key, value in sorted(values.items())]}

    def update_keys(
        self,
        *,
        KvsARN: str,  # noqa: N803
        IfMatch: str,  # noqa: N803
        Puts: list[dict[str, str]] | None = None,  # noqa: N803
        Deletes: list[dict[str, str]] | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        with self._locked():
            version, values = self._load(KvsARN)
            if IfMatch != str(version):
                raise _client_error("ConflictException", "the store changed since it was read")
            for put in Puts or []:
                values[put["Key"]] = put["Value"]
            for delete in Deletes or []:
                values.pop(delete["Key"], None)
            self._save(version + 1, values)
        return {"ETag": str(version + 1), "ItemCount": len(values)}

    def _load(self, arn: str) -> tuple[int, dict[str, str]]:
        if arn != self.arn:
            raise _client_error("ResourceNotFoundException", f"no store {arn}")
        try:
            document = json.loads(self.path.read_text())
        except FileNotFoundError:
            raise _client_error(
                "ResourceNotFoundException", f"{self.path} does not exist; start make local"
            ) from None
        except (OSError, ValueError) as error:
            raise _client_error(
                "ValidationException", f"{self.path} is unreadable: {error}"
            ) from None
        return int(document["etag"]), {str(k): str(v) for k, v in document["values"].items()}

    def _save(self, version: int, values: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = json.dumps({"etag": str(version), "values": values}, indent=2, sort_keys=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".kvs-")
        with os.fdopen(descriptor, "w") as handle:
            handle.write(document + "\n")
        os.replace(temporary, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _client_error(code: str, message: str) -> ClientError:
    status = {"ConflictException": 409, "ResourceNotFoundException": 404}.get(code, 400)
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "UpdateKeys")
