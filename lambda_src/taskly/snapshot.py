"""Lambda SnapStart restore hooks: what must not outlive a snapshot.

With SnapStart a stage's functions run their init once per published version; every cold
start then resumes that one snapshot. Whatever init left in memory is shared by every
environment restored from it: connections (their sockets are gone), credentials (they expire)
and random state (every environment would draw the same numbers). The code keeps connections
and credentials out of init altogether (MongoClient, boto3 clients and secrets are created on
first use, so after the restore); the hooks below drop them anyway should init ever create
one, and renew the random state init does create (bson's ObjectId process identity).

Before the snapshot, ``before_snapshot`` hooks prime the environment: they load what the
handlers import only on first use (pymongo, boto3, Powertools utilities), so a restored
environment has it in memory, as AWS recommends for SnapStart ("preload dependencies ... in
your initialization code", or prime them). Priming loads code only: it creates no client,
connection or credential, which would not survive the restore.

The Python managed runtimes ship ``snapshot_restore_py`` (the Snapshot Restore for Python
library; https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html):
its ``register_after_restore`` hooks run in registration order, within the restore's
10-second limit; its ``register_before_snapshot`` hooks run in reverse registration order,
within the init phase's time limit, and only for a function with SnapStart on. It is not
installed anywhere else (tests, ``make local``), so hooks go to a local registry there that
nothing runs but ``run_after_restore_hooks`` and ``run_before_snapshot_hooks`` (what the
tests and ``make bench`` call to simulate a snapshot and a restore).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

Hook = TypeVar("Hook", bound=Callable[[], Any])

_LOCAL_HOOKS: list[Callable[[], Any]] = []
_LOCAL_BEFORE_SNAPSHOT_HOOKS: list[Callable[[], Any]] = []


def _runtime_registry(
    name: str = "register_after_restore",
) -> Callable[[Callable[[], Any]], Any] | None:
    try:
        import snapshot_restore_py
    except ImportError:
        return None
    registry: Callable[[Callable[[], Any]], Any] = getattr(snapshot_restore_py, name)
    return registry


_RUNTIME_REGISTER = _runtime_registry()
_RUNTIME_REGISTER_BEFORE_SNAPSHOT = _runtime_registry("register_before_snapshot")


def _register(
    hook: Hook, runtime: Callable[[Callable[[], Any]], Any] | None, local: list[Callable[[], Any]]
) -> Hook:
    if runtime is not None:
        runtime(hook)
    else:
        local.append(hook)
    return hook


def after_restore(hook: Hook) -> Hook:
    """Run ``hook`` after each restore from a snapshot (usable as a decorator)."""
    return _register(hook, _RUNTIME_REGISTER, _LOCAL_HOOKS)


def run_after_restore_hooks() -> None:
    """What the runtime does after a restore, for the hooks of the local registry."""
    for hook in list(_LOCAL_HOOKS):
        hook()


def before_snapshot(hook: Hook) -> Hook:
    """Run ``hook`` once before Lambda takes the snapshot (SnapStart only; a decorator too)."""
    return _register(hook, _RUNTIME_REGISTER_BEFORE_SNAPSHOT, _LOCAL_BEFORE_SNAPSHOT_HOOKS)


def run_before_snapshot_hooks() -> None:
    """What the runtime does before a snapshot, for the local registry (reverse order)."""
    for hook in reversed(list(_LOCAL_BEFORE_SNAPSHOT_HOOKS)):
        hook()
