"""preflight: check what a stage's first `cdk deploy --all` needs from the account.

    python -m tools.ops.preflight --stage dev
    python -m tools.ops.preflight --stage prod --via-lookup-role --format json
    python -m tools.ops.preflight --stage dev \
        -c taskly:compute.legacy_origin_domain=legacy.example.org

Run it with the credentials that will deploy. It prints one line per check (✓ passed,
! works with a caveat, ✗ must be fixed, - not applicable) and under each ✗ the fix, and exits
1 when anything failed (2 for bad arguments or configuration). It only reads: nothing in the
account changes. ``-c`` takes the same context values as ``cdk`` (``account``, ``region``,
``taskly:<section>.<field>`` overrides, the bootstrap qualifier); ``--endpoint-url`` (or
``AWS_ENDPOINT_URL``) points every AWS client at an emulator.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stacks.config import (
    STAGE_NAMES,
    ConfigError,
    StageConfig,
    apply_overrides,
    find_placeholders,
    stage_config,
)
from tools.cli import USAGE, Parser, UsageError, error_line
from tools.ops.lookup_role import lookup_role_arn, lookup_session
from tools.ops.preflight import checks
from tools.ops.preflight.origin import CHECK as ORIGIN_CHECK
from tools.ops.preflight.origin import ConnectTo, probe_origin
from tools.ops.preflight.report import (
    Result,
    Status,
    failed,
    passed,
    render_json,
    render_text,
    skipped,
)

ROOT = Path(__file__).resolve().parents[3]
OVERRIDE_PREFIX = "taskly:"
QUALIFIER_KEY = "@aws-cdk/core:bootstrapQualifier"
# Short: a preflight that hangs on an unreachable endpoint is worse than one that fails.
BOTO_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2})

# (service, client) -> client; tests use it to put a botocore Stubber in front of an API
# that the emulator lacks.
ClientHook = Callable[[str, Any], Any]


def _parser() -> Parser:
    parser = Parser(prog="python -m tools.ops.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=STAGE_NAMES)
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK context, as given to cdk (account, region, taskly:<section>.<field>, qualifier)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--endpoint-url", help="send every AWS call here (an emulator); default AWS_ENDPOINT_URL"
    )
    parser.add_argument(
        "--via-lookup-role",
        action="store_true",
        help="read the account through the CDK bootstrap lookup role (the CI deploy role "
        "may do nothing else)",
    )
    parser.add_argument(
        "--toolkit-stack-name",
        default=checks.DEFAULT_TOOLKIT_STACK,
        help="the bootstrap stack's name, if not CDKToolkit",
    )
    parser.add_argument(
        "--connect-to",
        type=_connect_to,
        metavar="HOST:PORT:TARGET_HOST:TARGET_PORT",
        help="probe the legacy origin at another address, keeping its name for TLS and Host",
    )
    parser.add_argument(
        "--origin-timeout",
        type=float,
        default=5.0,
        help="seconds for the legacy origin's connect and first response (default 5)",
    )
    return parser


def _connect_to(text: str) -> ConnectTo:
    try:
        return ConnectTo.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _context(pairs: Sequence[str]) -> dict[str, Any]:
    """cdk.json's context, then each ``-c KEY=VALUE`` on top (as the CDK CLI merges them)."""
    try:
        context = dict(json.loads((ROOT / "cdk.json").read_text())["context"])
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(f"cannot read cdk.json's context: {error}") from error
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-c {pair!r}: expected KEY=VALUE")
        context[key] = value
    return context


def load_config(stage: str, context: dict[str, Any]) -> StageConfig:
    config = stage_config(
        stage,
        account=context.get("account") or None,
        region=context.get("region") or None,
    )
    overrides = {
        key.removeprefix(OVERRIDE_PREFIX): value
        for key, value in context.items()
        if key.startswith(OVERRIDE_PREFIX)
    }
    return apply_overrides(config, overrides)


def _identity(
    client: Callable[[str, str], Any], config: StageConfig, region: str
) -> tuple[Result, dict[str, str] | None]:
    check = "credentials"
    try:
        identity = client("sts", region).get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        text = str(error).splitlines()[0]
        return failed(
            check,
            f"no working AWS credentials ({text})",
            "log in with the credentials that will deploy (aws sso login, AWS_PROFILE=..., or "
            "the CI role) and run preflight again",
        ), None
    account = identity["Account"]
    if config.account is not None and config.account != account:
        return failed(
            check,
            f"{identity['Arn']} is in account {account}, but stage {config.name} deploys to "
            f"{config.account}",
            f"use credentials for account {config.account}, or change the stage's account",
        ), None
    where = (
        f"the stage's account {account}"
        if config.account
        else f"account {account} (the stage sets none: the deploy uses the credentials' account)"
    )
    return passed(check, f"{identity['Arn']} in {where}"), identity


def _region(config: StageConfig, session: boto3.Session) -> tuple[Result, str | None]:
    check = "region"
    if config.region:
        return passed(check, f"{config.region} (set by the stage)"), config.region
    # The CDK CLI resolves AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region.
    region = os.environ.get("AWS_REGION") or session.region_name
    if not region:
        return failed(
            check,
            "no region: the stage sets none and the environment names none",
            "export AWS_REGION=<region> (or set the stage's region) and run preflight again",
        ), None
    return passed(check, f"{region} (the stage sets none: the deploy uses this one)"), region


def _unless_placeholder(name: str, config: StageConfig, check: Callable[[], Result]) -> Result:
    """Run ``check`` unless a value it needs is still a placeholder (reported on its own)."""
    placeholders = {placeholder.field for placeholder in find_placeholders(config)}
    for field in checks.NEEDS_REAL_VALUES.get(name, ()):
        if field in placeholders:
            return skipped(name, f"{field} is a placeholder; set it first")
    return check()


def _assume_lookup_role(
    session: boto3.Session,
    sts: Any,
    identity: dict[str, str],
    qualifier: str,
    region: str,
) -> tuple[Result, boto3.Session | None]:
    role = lookup_role_arn(
        caller_arn=identity["Arn"], account=identity["Account"], qualifier=qualifier, region=region
    )
    try:
        lookup = lookup_session(
            session=session,
            qualifier=qualifier,
            region=region,
            session_name="preflight",
            sts=sts,
        )
    except (ClientError, BotoCoreError) as error:
        return failed(
            "lookup role",
            f"cannot assume {role} ({str(error).splitlines()[0]})",
            "bootstrap the account (version 8 or later creates the role): "
            f"npx cdk bootstrap aws://{identity['Account']}/{region} --qualifier {qualifier}",
        ), None
    return passed("lookup role", f"reading the account through {role}"), lookup


def run(
    args: argparse.Namespace, hook: ClientHook | None
) -> tuple[dict[str, object], list[Result]]:
    context = _context(args.context)
    config = load_config(args.stage, context)
    qualifier = str(context.get(QUALIFIER_KEY) or checks.DEFAULT_QUALIFIER)
    endpoint_url = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)

    def client_of(current: boto3.Session) -> Callable[[str, str], Any]:
        def client(service: str, region: str) -> Any:
            made = current.client(
                service, region_name=region, endpoint_url=endpoint_url, config=BOTO_CONFIG
            )
            return hook(service, made) if hook else made

        return client

    results: list[Result] = []
    region_result, region = _region(config, session)
    identity = None
    if region is None:
        results.append(skipped("credentials", "needs a region to ask STS"))
    else:
        identity_result, identity = _identity(client_of(session), config, region)
        results.append(identity_result)
    results.append(region_result)
    header: dict[str, object] = {
        "stage": config.name,
        "account": identity["Account"] if identity else config.account,
        "region": region,
    }
    clients = client_of(session)
    if identity is not None and region is not None and args.via_lookup_role:
        lookup_result, lookup = _assume_lookup_role(
            session, clients("sts", region), identity, qualifier, region
        )
        results.append(lookup_result)
        if lookup is None:
            identity = None
        else:
            clients = client_of(lookup)
    results.extend(checks.check_placeholders(config))
    if identity is None or region is None:
        results.extend(
            skipped(name, "needs working credentials and a region") for name in checks.AWS_CHECKS
        )
    else:
        target = checks.Target(
            config=config,
            account=identity["Account"],
            region=region,
            qualifier=qualifier,
            toolkit_stack=args.toolkit_stack_name,
        )
        results.extend(
            _unless_placeholder(name, config, functools.partial(check, clients, target))
            for name, check in checks.AWS_CHECKS.items()
        )
    results.append(
        _unless_placeholder(
            ORIGIN_CHECK,
            config,
            lambda: probe_origin(
                config.compute.legacy_origin_domain,
                connect_to=args.connect_to,
                timeout=args.origin_timeout,
            ),
        )
    )
    return header, results


def main(
    argv: Sequence[str] | None = None,
    *,
    hook: ClientHook | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
        header, results = run(args, hook)
    except (UsageError, ConfigError) as error:
        print(error_line("preflight", error), file=err)
        return USAGE
    if args.format == "json":
        out.write(render_json(header, results))
    else:
        title = (
            f"preflight {header['stage']}: account {header['account'] or 'unknown'}, "
            f"region {header['region'] or 'unknown'}"
        )
        out.write(render_text(title, results))
    return 1 if any(result.status is Status.FAIL for result in results) else 0
