"""Lambda SnapStart restore hooks: what must not outlive a snapshot.

With SnapStart a stage's functions run their init once per published version; every cold
start then resumes that one snapshot. Whatever init left in memory is shared by every
environment restored from it: connections (their sockets are gone), credentials (they expire)
and random state (every environment would draw the same numbers). The code keeps connections
and credentials out of init altogether (MongoClient, boto3 clients and secrets are created on
first use, so after the restore); the hooks below drop them anyway should init ever create
one, and renew the random state init does create (bson's ObjectId process identity).

The Python managed runtimes ship ``snapshot_restore_py`` (the Snapshot Restore for Python
library; https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html):
its ``register_after_restore`` hooks run in registration order, within the restore's
10-second limit. It is not installed anywhere else (tests, ``make local``), so hooks go to a
local registry there that nothing runs but ``run_after_restore_hooks`` (what the tests call
to simulate a restore).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

Hook = TypeVar("Hook", bound=Callable[[], Any])

_LOCAL_HOOKS: list[Callable[[], Any]] = []


def _runtime_registry() -> Callable[[Callable[[], Any]], Any] | None:
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return None
    registry: Callable[[Callable[[], Any]], Any] = register_after_restore
    return registry


_RUNTIME_REGISTER = _runtime_registry()


def after_restore(hook: Hook) -> Hook:
    """Run ``hook`` after each restore from a snapshot (usable as a decorator)."""
    if _RUNTIME_REGISTER is not None:
        _RUNTIME_REGISTER(hook)
    else:
        _LOCAL_HOOKS.append(hook)
    return hook


def run_after_restore_hooks() -> None:
    """What the runtime does after a restore, for the hooks of the local registry."""
    for hook in list(_LOCAL_HOOKS):
        hook()
