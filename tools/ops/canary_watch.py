"""Print the progress of a stage's CodeDeploy canaries while ``cdk deploy`` runs.

CloudFormation waits on the CodeDeploy deployment that shifts a Lambda alias, but its
events only say ``UPDATE_IN_PROGRESS`` for as long as the canary bakes. ``make deploy-ci``
starts this watcher beside ``cdk deploy``: it prints one line whenever a deployment of the
stage appears or changes state, so the job log shows which function is canarying, under
which configuration, for how long, and whether it rolled back.

It reads CodeDeploy through the CDK bootstrap *lookup* role (read-only), the only
read access the GitHub deploy role has besides deploying. Stop it with SIGTERM.

Usage::

    python -m tools.ops.canary_watch --qualifier hnb659fds --prefix Taskly-staging- [--interval 15]
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tools.cli import USAGE, Parser, UsageError, error_line
from tools.ops.lookup_role import lookup_session

FINAL_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})


@dataclass(frozen=True)
class DeploymentState:
    deployment_id: str
    application: str
    group: str
    config: str
    status: str
    created: datetime | None
    error: str | None
    rolled_back_by: str | None

    def line(self, now: datetime) -> str:
        elapsed = ""
        if self.created is not None:
            seconds = int((now - self.created).total_seconds())
            elapsed = f", {seconds // 60}m{seconds % 60:02d}s since start"
        text = (
            f"canary {self.deployment_id} {self.application}/{self.group}: "
            f"{self.status} ({self.config}{elapsed})"
        )
        if self.error:
            text += f": {self.error}"
        if self.rolled_back_by:
            text += f"; rolled back by {self.rolled_back_by}"
        return text


def _state(info: dict[str, Any]) -> DeploymentState:
    error = info.get("errorInformation") or {}
    rollback = info.get("rollbackInfo") or {}
    return DeploymentState(
        deployment_id=info["deploymentId"],
        application=info.get("applicationName", "?"),
        group=info.get("deploymentGroupName", "?"),
        config=info.get("deploymentConfigName", "?"),
        status=info.get("status", "?"),
        created=info.get("createTime"),
        error=error.get("message") or None,
        rolled_back_by=rollback.get("rollbackDeploymentId") or None,
    )


class CanaryWatcher:
    """Polls CodeDeploy for deployments of one stage created since ``since``."""

    def __init__(self, *, codedeploy: Any, prefix: str, since: datetime) -> None:
        self._codedeploy = codedeploy
        self._prefix = prefix
        self._since = since
        self._seen: dict[str, str] = {}

    def poll(self) -> list[DeploymentState]:
        """Return the deployments of the stage that are new or changed since the last poll."""
        ids = self._list_ids()
        pending = [i for i in ids if self._seen.get(i) not in FINAL_STATUSES]
        changes = []
        # BatchGetDeployments takes at most 25 ids per call.
        for start in range(0, len(pending), 25):
            batch = pending[start : start + 25]
            response = self._codedeploy.batch_get_deployments(deploymentIds=batch)
            for info in response.get("deploymentsInfo", []):
                state = _state(info)
                if not state.application.startswith(self._prefix):
                    self._seen[state.deployment_id] = "Succeeded"  # not ours: never ask again
                    continue
                if self._seen.get(state.deployment_id) != state.status:
                    self._seen[state.deployment_id] = state.status
                    changes.append(state)
        return changes

    def _list_ids(self) -> list[str]:
        ids: list[str] = []
        kwargs: dict[str, Any] = {"createTimeRange": {"start": self._since}}
        while True:
            page = self._codedeploy.list_deployments(**kwargs)
            ids.extend(page.get("deployments", []))
            token = page.get("nextToken")
            if not token:
                return ids
            kwargs["nextToken"] = token


def codedeploy_client(*, session: boto3.Session, qualifier: str, assume_lookup_role: bool) -> Any:
    """A CodeDeploy client, through the bootstrap lookup role unless told otherwise."""
    if not assume_lookup_role:
        return session.client("codedeploy")
    return lookup_session(
        session=session,
        qualifier=qualifier,
        region=str(session.region_name),
        session_name="canary-watch",
    ).client("codedeploy")


def watch(
    watcher: CanaryWatcher,
    *,
    interval: float,
    should_stop: Callable[[], bool],
    emit: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> None:
    """Poll until ``should_stop``; a failing poll is reported and retried, never fatal."""
    polls = 0
    while not should_stop() and (max_polls is None or polls < max_polls):
        polls += 1
        try:
            for state in watcher.poll():
                emit(state.line(datetime.now(UTC)))
        except (BotoCoreError, ClientError) as error:
            emit(f"canary watch: CodeDeploy not readable right now ({error}); retrying")
        sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m tools.ops.canary_watch", description=__doc__)
    parser.add_argument("--qualifier", required=True, help="cdk bootstrap qualifier")
    parser.add_argument("--prefix", required=True, help="CodeDeploy application name prefix")
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between polls")
    parser.add_argument(
        "--no-assume-lookup-role",
        action="store_true",
        help="read CodeDeploy with the current credentials instead of the bootstrap lookup role",
    )
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error_line("canary_watch", error), file=sys.stderr)
        return USAGE

    def on_term(_signum: int, _frame: object) -> None:
        # cdk deploy has finished: stop at once, even in the middle of a sleep.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    since = datetime.now(UTC)
    try:
        # The CDK CLI and configure-aws-credentials use AWS_REGION; botocore reads only
        # AWS_DEFAULT_REGION and the config file.
        session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
        if session.region_name is None:
            print("canary watch: no AWS region configured (AWS_REGION); not watching")
            return 0
        client = codedeploy_client(
            session=session,
            qualifier=args.qualifier,
            assume_lookup_role=not args.no_assume_lookup_role,
        )
    except (BotoCoreError, ClientError) as error:
        # Watching is a convenience: the deploy itself must not fail because of it.
        print(f"canary watch: cannot read CodeDeploy ({error}); not watching")
        return 0
    print(f"canary watch: following CodeDeploy deployments of {args.prefix}* ", flush=True)
    watch(
        CanaryWatcher(codedeploy=client, prefix=args.prefix, since=since),
        interval=args.interval,
        should_stop=lambda: False,
        emit=lambda line: print(line, flush=True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
