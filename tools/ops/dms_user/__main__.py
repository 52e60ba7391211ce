"""``python -m tools.ops.dms_user --admin-uri URI --secret-id ARN [--ca FILE] [--drop]``.

Creates the DocumentDB user the DMS target endpoint logs in as (docs/data-migration.md,
Phase 0 step 2): the user name and password come from the Migration stack's
``TargetCredentials`` secret, the role is ``readWrite`` on the Taskly database only. Run again
after the secret changed, it sets the user's password and role to the secret's (idempotent).
``--drop`` removes the user (Phase 3). No CloudFormation resource can create a DocumentDB user,
which is why this is a runbook step.

Exit status: 0 done; 2 nothing changed (bad arguments, unreadable secret, unreachable server,
failed login or a refused command), with one line on stderr that never carries a password.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pymongo
from botocore.exceptions import BotoCoreError, ClientError
from pymongo import errors

from tools.cli import USAGE, Parser, UsageError, error_line

DATABASE = "taskly"
USER_ALREADY_EXISTS = 51003
USER_NOT_FOUND = 11
SERVER_SELECTION_TIMEOUT_MS = 10_000


class UserError(Exception):
    """What went wrong, as one line for stderr."""


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m tools.ops.dms_user", description=__doc__)
    parser.add_argument("--admin-uri", required=True, help="DocumentDB URI of the admin user")
    parser.add_argument("--secret-id", required=True, help="the TargetCredentials secret")
    parser.add_argument("--ca", type=Path, help="CA file (certs/global-bundle.pem): TLS on")
    parser.add_argument("--database", default=DATABASE, help="the one database DMS writes")
    parser.add_argument("--region", help="the secret's region (default: its ARN's)")
    parser.add_argument("--drop", action="store_true", help="remove the user instead")
    return parser


def read_secret(secret_id: str, region: str | None) -> tuple[str, str]:
    """(username, password) of the DMS target secret."""
    if region is None and secret_id.startswith("arn:"):
        region = secret_id.split(":")[3]  # a secret lives in the region its ARN names
    try:
        client = boto3.client("secretsmanager", region_name=region)
        text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        info = error.response.get("Error", {})
        reason = f"{info.get('Code')}: {info.get('Message')}"
        raise UserError(f"cannot read {secret_id}: {reason}") from None
    except BotoCoreError as error:
        raise UserError(f"cannot read {secret_id}: {error}") from None
    try:
        values: dict[str, Any] = json.loads(text)
        return str(values["username"]), str(values["password"])
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{secret_id} is not a JSON secret with username and password") from None


def _client(uri: str, ca: Path | None) -> pymongo.MongoClient[dict[str, Any]]:
    options: dict[str, Any] = {"serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS}
    if ca is not None:
        if not ca.is_file():
            raise UserError(f"--ca {ca}: no such file")
        options.update(tls=True, tlsCAFile=str(ca))
    try:
        return pymongo.MongoClient(uri, **options)
    except (errors.ConfigurationError, errors.InvalidURI, ValueError) as error:
        raise UserError(f"--admin-uri: {error}") from None


def apply(
    client: pymongo.MongoClient[dict[str, Any]],
    *,
    username: str,
    password: str,
    database: str,
    drop: bool,
) -> str:
    """Create, update or drop the user; what was done, as a sentence."""
    admin = client.admin
    roles = [{"role": "readWrite", "db": database}]
    if drop:
        try:
            admin.command("dropUser", username)
        except errors.OperationFailure as error:
            if error.code != USER_NOT_FOUND:
                raise
            return f"{username} did not exist"
        return f"{username} dropped"
    try:
        admin.command("createUser", username, pwd=password, roles=roles)
    except errors.OperationFailure as error:
        if error.code != USER_ALREADY_EXISTS:
            raise
        admin.command("updateUser", username, pwd=password, roles=roles)
        return f"{username} updated: the secret's password, readWrite on {database} only"
    return f"{username} created with readWrite on {database} only"


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as error:
        print(error_line("dms_user", error), file=sys.stderr)
        return USAGE
    password = ""
    try:
        username, password = read_secret(args.secret_id, args.region)
        with _client(args.admin_uri, args.ca) as client:
            done = apply(
                client,
                username=username,
                password=password,
                database=args.database,
                drop=args.drop,
            )
    except UserError as error:
        print(error_line("dms_user", error), file=sys.stderr)
        return 2
    except errors.OperationFailure as error:
        print(
            error_line("dms_user", f"the server refused: {error.details or error.code}"),
            file=sys.stderr,
        )
        return 2
    except errors.PyMongoError as error:
        reason = str(error).split(",")[0]
        if password:
            reason = reason.replace(password, "***")
        print(error_line("dms_user", f"cannot reach the server: {reason}"), file=sys.stderr)
        return 2
    print(f"dms_user: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
