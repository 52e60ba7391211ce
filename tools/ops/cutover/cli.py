"""cutover: move /api/* from the legacy backend to the new HTTP API, percent by percent.

    python -m tools.ops.cutover status   --stage dev
    python -m tools.ops.cutover set 10   --stage dev
    python -m tools.ops.cutover rollback --stage prod
    python -m tools.ops.cutover plan     --stage prod --steps 1,5,10,25,50,100 --over 48h
    python -m tools.ops.cutover set 25   --local          (the local edge of ``make local``)
    python -m tools.ops.cutover override-token rotate --stage prod

The weight lives in the stage's CloudFront KeyValueStore; a change reaches the edge in
seconds with no deploy. ``--local`` acts on the file-backed store the local edge reads.
Errors are one line on stderr: exit 2 for bad arguments, 1 otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    MissingDependencyException,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from lambda_src.cutover_rollback.weight_store import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    CutoverError,
    CutoverState,
    WeightStore,
)
from stacks.config.stages import STAGES
from tools.cli import FAILURE, USAGE, Parser, UsageError, error_line
from tools.local.edge.store import DEFAULT_LOCAL_STORE, FileKeyValueStore
from tools.ops.cutover.alarms import AlarmState, alarm_states
from tools.ops.cutover.gate import (
    GateResult,
    ParityGateError,
    accepted_line,
    check_accepted,
    check_parity,
)
from tools.ops.cutover.plan import (
    DEFAULT_STEPS,
    PlanRunner,
    Step,
    human,
    parse_duration,
    parse_steps,
    schedule,
    timestamp,
)
from tools.ops.cutover.target import Target, edge_stack_name, resolve_target

# The token testers send in x-taskly-override-token: 32 random bytes, URL-safe (43 characters).
OVERRIDE_TOKEN_BYTES = 32

# (service name, region or None) -> boto3 client; tests pass one that returns stubbed clients.
ClientFactory = Callable[[str, str | None], Any]


def _stage(text: str) -> str:
    if text not in STAGES:
        raise argparse.ArgumentTypeError(
            f"unknown stage {text!r}; choose one of {', '.join(STAGES)}"
        )
    return text


def _weight(text: str) -> int:
    try:
        weight = int(text)
    except ValueError:
        weight = -1
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT or text.strip() != text:
        raise argparse.ArgumentTypeError(
            f"weight must be an integer from {MIN_WEIGHT} to {MAX_WEIGHT}, got {text!r}"
        )
    return weight


def _poll_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"poll must be 1 to 3600 seconds, got {text!r}")
    return seconds


def _parsed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _add_parity_gate(command: argparse.ArgumentParser) -> None:
    gate = command.add_mutually_exclusive_group()
    gate.add_argument(
        "--parity-report",
        type=Path,
        metavar="FILE",
        help="JSON report of python -m tools.ops.parity (at most 24 h old) to raise the weight",
    )
    gate.add_argument(
        "--no-parity-gate",
        action="store_true",
        help="raise the weight without a parity report (prints a warning)",
    )
    command.add_argument(
        "--accept-uncovered",
        action="append",
        default=[],
        type=_migrated_route,
        metavar="'METHOD PATH'",
        help="go on although the report compared no request of this migrated route "
        "(repeatable; printed and recorded in the cut-over state)",
    )


def _migrated_route(text: str) -> str:
    try:
        check_accepted((text,))
    except ParityGateError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--accept-uncovered ")) from None
    return text


def resolve_region(explicit: str | None, environ: dict[str, str] | None = None) -> str | None:
    """--region, then AWS_REGION, then AWS_DEFAULT_REGION, as the AWS CLI reads them.

    botocore itself reads only AWS_DEFAULT_REGION (and the profile; boto/boto3#3620), so an
    operator whose shell sets AWS_REGION would otherwise act on another region's store. None
    leaves the profile's region to botocore.
    """
    env = os.environ if environ is None else environ
    return explicit or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


def _target_options() -> Parser:
    """Where a command acts: a stage's store (AWS) or the local edge's file."""
    target = Parser(add_help=False)
    target.add_argument(
        "--region",
        help="AWS region of the stage (default: AWS_REGION, AWS_DEFAULT_REGION, your AWS config)",
    )
    where = target.add_mutually_exclusive_group(required=True)
    where.add_argument("--stage", type=_stage, help="dev, staging or prod")
    where.add_argument(
        "--local",
        action="store_true",
        help=f"the local edge's store (make local): {DEFAULT_LOCAL_STORE}, or --local-store FILE",
    )
    target.add_argument(
        "--local-store",
        type=Path,
        default=DEFAULT_LOCAL_STORE,
        metavar="FILE",
        help=f"with --local: another state directory's store (default: {DEFAULT_LOCAL_STORE})",
    )
    target.add_argument(
        "--kvs-arn", help="KeyValueStore ARN (default: output CutoverKvsArn of Taskly-<stage>-Edge)"
    )
    target.add_argument(
        "--alarm",
        action="append",
        default=[],
        metavar="NAME",
        help="rollback alarm to watch, repeatable (default: the edge stack's rollback alarms)",
    )
    return target


def _add_plan(commands: Any, target: Parser) -> None:
    plan = commands.add_parser(
        "plan", parents=[target], help="raise the weight step by step while the alarms stay OK"
    )
    plan.add_argument(
        "--steps",
        type=_parsed(parse_steps),
        default=DEFAULT_STEPS,
        help="increasing weights (default: 1,5,10,25,50,100)",
    )
    plan.add_argument(
        "--over",
        type=_parsed(parse_duration),
        default=parse_duration("48h"),
        help="time from the first step to the last, e.g. 48h, 90m, 1d12h (default: 48h)",
    )
    plan.add_argument(
        "--poll",
        type=_poll_seconds,
        default=60.0,
        help="seconds between alarm checks (default: 60)",
    )
    plan.add_argument(
        "--dry-run",
        action="store_true",
        help="print the schedule and the parity gate's verdict and exit; offline, no credentials",
    )
    plan.add_argument(
        "--from-weight",
        type=_weight,
        default=None,
        metavar="WEIGHT",
        help=(
            "with --dry-run: the weight to schedule from (default: with --local the local "
            "store's weight, else 0; a real run reads it from the store)"
        ),
    )
    _add_parity_gate(plan)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m tools.ops.cutover",
        description="Shift /api/* traffic between the legacy backend and the new HTTP API.",
    )
    target = _target_options()
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser(
        "status", parents=[target], help="show weight, kill switch and alarm states"
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")

    set_weight = commands.add_parser(
        "set",
        parents=[target],
        help="send WEIGHT%% of viewers to the new API; releases the kill switch",
    )
    set_weight.add_argument("weight", type=_weight, help="0 to 100")
    set_weight.add_argument(
        "--force", action="store_true", help="raise the weight even while a rollback alarm fires"
    )
    _add_parity_gate(set_weight)

    commands.add_parser(
        "rollback",
        parents=[target],
        help="send every viewer to legacy now (weight 0, kill switch on)",
    )

    _add_plan(commands, target)

    override = commands.add_parser(
        "override-token", help="the token testers send to force an origin for their requests"
    )
    actions = override.add_subparsers(dest="token_action", required=True, metavar="ACTION")
    actions.add_parser(
        "rotate",
        parents=[target],
        help="new token, printed once; only its SHA-256 is stored, the old token stops working",
    )
    return parser


def default_client_factory(service: str, region: str | None) -> Any:
    return boto3.session.Session(region_name=region).client(service)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


class _Command:
    def __init__(
        self,
        args: argparse.Namespace,
        *,
        client_factory: ClientFactory,
        now: Callable[[], datetime],
        sleep: Callable[[float], None],
        out: TextIO,
        err: TextIO,
    ) -> None:
        self.args = args
        self.now = now
        self.sleep = sleep
        self.out = out
        self.err = err
        self._clients = client_factory
        if args.local:
            # No AWS at all: the store is a file, and nothing local raises CloudWatch alarms.
            local = FileKeyValueStore(args.local_store)
            local.initialise()
            self.region = "this machine"
            self.target = Target(
                stage="local", kvs_arn=local.arn, alarm_names=(), source=f"file {args.local_store}"
            )
            kvs_client: Any = local
            self._cloudwatch: Any = None
        else:
            region = resolve_region(args.region)
            cloudformation = client_factory("cloudformation", region)
            self.region = region or cloudformation.meta.region_name
            self.target = resolve_target(
                stage=args.stage,
                cloudformation=cloudformation,
                region=self.region,
                kvs_arn=args.kvs_arn,
                alarm_names=tuple(args.alarm),
            )
            kvs_client = client_factory("cloudfront-keyvaluestore", self.region)
            self._cloudwatch = client_factory("cloudwatch", self.region)
        self.store = WeightStore(
            client=kvs_client, kvs_arn=self.target.kvs_arn, sleep=sleep, now=now
        )

    def alarms(self) -> list[AlarmState]:
        return alarm_states(self._cloudwatch, self.target.alarm_names)

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def status(self) -> int:
        state = self.store.read()
        alarms = self.alarms()
        if self.args.json:
            self.say(json.dumps(self._status_document(state, alarms), sort_keys=True))
            return 0
        self.say(f"stage        {self.target.stage} ({self.target.source}, {self.region})")
        self.say(f"store        {self.target.kvs_arn}")
        self.say(f"weight       {_describe_weight(state)}")
        kill = state.raw_kill_switch or "off (not set)"
        if state.kill_switch_engaged:
            kill = f"{state.raw_kill_switch}: every viewer stays on legacy"
        self.say(f"kill switch  {kill}")
        override = "set" if state.override_token_hash else "not set: tester overrides are ignored"
        self.say(f"override     {override}")
        self.say(f"last change  {state.last_change or 'none recorded'}")
        if not alarms:
            self.say("alarms       none configured")
        for index, alarm in enumerate(alarms):
            label = "alarms      " if index == 0 else "            "
            self.say(f"{label} {alarm.state:<17} {alarm.name}")
        return 0

    def _status_document(self, state: CutoverState, alarms: list[AlarmState]) -> dict[str, Any]:
        return {
            "stage": self.target.stage,
            "kvs_arn": self.target.kvs_arn,
            "etag": state.etag,
            "weight": state.weight,
            "raw_weight": state.raw_weight,
            "kill_switch": state.kill_switch_engaged,
            "effective_weight": state.effective_weight,
            "last_change": state.last_change,
            "override_token_set": bool(state.override_token_hash),
            "alarms": [{"name": alarm.name, "state": alarm.state} for alarm in alarms],
        }

    def set(self) -> int:
        weight: int = self.args.weight
        firing = [alarm.name for alarm in self.alarms() if alarm.firing]
        if firing and weight > 0 and not self.args.force:
            raise CutoverError(
                f"rollback alarm {', '.join(firing)} is in ALARM; fix the cause first "
                "or pass --force"
            )
        before = self.store.read()
        note = ""
        if weight > before.effective_weight:
            note = _record_note(self.passes_parity_gate())
        self.store.set_weight(weight, actor=f"{_actor()} (cutover set{note})")
        self.say(
            f"{self.target.stage}: weight {_short_weight(before)} -> {weight}% (kill switch off)"
        )
        return 0

    def passes_parity_gate(self) -> GateResult:
        """ParityGateError unless the parity report allows a higher weight; says why it does."""
        result = self._check_parity()
        for warning in result.warnings:
            print(f"cutover: warning: {warning}", file=self.err, flush=True)
        if not self.args.no_parity_gate:
            self.say(result.summary)
        accepted = accepted_line(result)
        if accepted is not None:
            self.say(f"parity gate: {accepted} (by {_actor()}; kept in the cut-over state)")
        return result

    def _check_parity(self) -> GateResult:
        return check_parity(
            self.args.parity_report,
            skip=self.args.no_parity_gate,
            now=self.now(),
            accepted=tuple(self.args.accept_uncovered),
        )

    def _gate_refusal(self) -> str | None:
        """Before each plan step: None to go on, or why the gate now refuses (e.g. report aged)."""
        try:
            self._check_parity()
        except ParityGateError as error:
            return str(error)
        return None

    def rollback(self) -> int:
        before = self.store.read()
        if before.is_rolled_back:
            self.say(f"{self.target.stage}: already rolled back ({before.last_change})")
            return 0
        self.store.roll_back(actor=f"{_actor()} (cutover rollback)")
        self.say(
            f"{self.target.stage}: rolled back, every viewer on legacy "
            f"(weight 0, kill switch on; was {_short_weight(before)})"
        )
        return 0

    def plan(self) -> int:
        state = self.store.read()
        start = self.now()
        steps = schedule(
            self.args.steps,
            current_weight=state.effective_weight,
            start=start,
            duration=self.args.over,
        )
        if state.kill_switch_engaged:
            raise CutoverError(
                f"kill switch is engaged ({state.last_change or 'no change recorded'}); "
                "investigate, then release it with: set <weight>"
            )
        if not steps:
            self.say(f"{self.target.stage}: weight is {_short_weight(state)}; no step left")
            return 0
        self.say(
            f"{self.target.stage}: {len(steps)} steps from {_short_weight(state)} over "
            f"{human(steps[-1].at - start)}, watching "
            f"{', '.join(self.target.alarm_names) or 'no alarms'}"
        )
        _print_steps(steps, self.say)
        if not self.target.alarm_names and not self.args.local:
            raise CutoverError("no rollback alarms to watch; pass --alarm NAME")
        note = _record_note(self.passes_parity_gate())
        runner = PlanRunner(
            store=self.store,
            read_alarms=self.alarms,
            actor=_actor(),
            note=note,
            now=self.now,
            sleep=self.sleep,
            poll_seconds=self.args.poll,
            out=self.out,
            gate_refusal=self._gate_refusal,
        )
        return runner.run(steps)

    def override_token(self) -> int:
        token = secrets.token_urlsafe(OVERRIDE_TOKEN_BYTES)
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.store.set_override_token_hash(digest)
        self.say(
            f"{self.target.stage}: override token rotated; the previous one no longer works. "
            "Shown once, keep it in a secret store. Send it with x-taskly-origin: new|legacy as:"
        )
        self.say(f"x-taskly-override-token: {token}")
        return 0


def _print_steps(steps: list[Step], say: Callable[[str], None]) -> None:
    for index, step in enumerate(steps, start=1):
        say(f"  step {index}: {step.weight:>3}% at {timestamp(step.at)}")


def dry_run_plan(args: argparse.Namespace, *, now: datetime, out: TextIO) -> int:
    """The schedule and the gate's verdict, without AWS: no client, no credentials, no network.

    The store is not read, so the schedule starts from --from-weight (default 0); a real run
    starts from the store's weight and skips the steps at or below it.
    """

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    target = "local" if args.local else args.stage
    start, origin = _dry_run_start(args)
    steps = schedule(args.steps, current_weight=start, start=now, duration=args.over)
    watching = ", ".join(args.alarm) or (
        "no alarms (local)" if args.local else f"the rollback alarms of {edge_stack_name(target)}"
    )
    if not steps:
        say(f"{target} (dry run): no step above {start}% ({origin})")
        return 0
    say(
        f"{target} (dry run, from {start}%: {origin}): "
        f"{len(steps)} step{'s' if len(steps) != 1 else ''} over {human(steps[-1].at - now)}, "
        f"watching {watching}"
    )
    _print_steps(steps, say)
    try:
        result = check_parity(
            args.parity_report,
            skip=args.no_parity_gate,
            now=now,
            accepted=tuple(args.accept_uncovered),
        )
        say(result.summary)
        accepted = accepted_line(result)
        if accepted is not None:
            say(f"parity gate: {accepted}")
    except ParityGateError as error:
        say(f"{error} (a real run would refuse to raise the weight)")
    return 0


def _dry_run_start(args: argparse.Namespace) -> tuple[int, str]:
    """The weight a dry run schedules from, and where it came from (for the first line).

    The local store is a file on this machine, so a local dry run reads it (read only: a
    missing file is weight 0, and nothing is created); a stage's store would need AWS.
    """
    if args.from_weight is not None:
        return args.from_weight, "--from-weight; nothing read or written"
    if not args.local:
        return 0, "the store is not read, see --from-weight; nothing read or written"
    if not args.local_store.is_file():
        return 0, f"{args.local_store} does not exist yet; nothing written"
    local = FileKeyValueStore(args.local_store)
    client: Any = local  # the file store speaks the KeyValueStore client's calls
    state = WeightStore(client=client, kvs_arn=local.arn).read()
    return state.effective_weight, f"stored in {args.local_store}; nothing written"


def _record_note(result: GateResult) -> str:
    """What goes into the state's last_change beside who raised the weight."""
    accepted = accepted_line(result)
    return "" if accepted is None else f"; {accepted}"


def _short_weight(state: CutoverState) -> str:
    if state.kill_switch_engaged:
        return f"{state.effective_weight}% (kill switch on)"
    if state.weight is None:
        return "0% (weight not set)" if state.raw_weight is None else "0% (weight malformed)"
    return f"{state.weight}%"


def _describe_weight(state: CutoverState) -> str:
    if state.raw_weight is None:
        return "not set: every viewer stays on legacy"
    if state.weight is None:
        return f"{state.raw_weight!r} is malformed: every viewer stays on legacy"
    return f"{state.weight}% of /api/* viewers go to the new HTTP API"


def main(
    argv: Sequence[str] | None = None,
    *,
    client_factory: ClientFactory = default_client_factory,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "accept_uncovered", None) and args.no_parity_gate:
            raise UsageError("--accept-uncovered needs --parity-report, not --no-parity-gate")
    except UsageError as error:
        print(error_line("cutover", error), file=err)
        return USAGE
    try:
        if args.command == "plan" and args.dry_run:
            return dry_run_plan(args, now=now(), out=out)
        command = _Command(
            args, client_factory=client_factory, now=now, sleep=sleep, out=out, err=err
        )
        result: int = getattr(command, args.command.replace("-", "_"))()
    except KeyboardInterrupt:
        print("cutover: interrupted; run status to see where the cut-over stands", file=err)
        return 130
    except Exception as error:  # every failure becomes one line, never a traceback
        print(error_line("cutover", _one_line(error)), file=err)
        return FAILURE
    return result


def _one_line(error: Exception) -> str:
    if isinstance(error, CutoverError):
        message = str(error)
    elif isinstance(error, NoCredentialsError | PartialCredentialsError):
        message = "no AWS credentials found; set AWS_PROFILE or run: aws sso login"
    elif isinstance(error, NoRegionError):
        message = "no AWS region; pass --region or set AWS_REGION"
    elif isinstance(error, MissingDependencyException):
        message = "the KeyValueStore API needs awscrt: pip install -r requirements-dev.txt"
    elif isinstance(error, ClientError):
        details = error.response.get("Error", {})
        message = f"{error.operation_name}: {details.get('Code')}: {details.get('Message')}"
    elif isinstance(error, BotoCoreError):
        message = str(error)
    else:
        message = f"unexpected {type(error).__name__}: {error}"
    return " ".join(message.split())
