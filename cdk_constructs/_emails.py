"""Checks on notification recipients, shared by the constructs that send email."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Token

from stacks.config.rules import EMAIL_PATTERN

# The stage config's rule (its one home): the same addresses pass here and in config/*.toml.
# SNS and Budgets do the real validation; this catches typos such as a missing "@" or a
# comma-separated string passed where a list was expected, at synth time.
_EMAIL = EMAIL_PATTERN


def checked_recipients(
    recipients: Sequence[str], *, what: str, maximum: int | None = None
) -> list[str]:
    """The recipients as a list, or ValueError naming the first problem."""
    if isinstance(recipients, str):
        raise ValueError(f"{what}: pass a list of email addresses, not a single string")
    found: list[str] = []
    for address in recipients:
        if Token.is_unresolved(address):
            found.append(address)
            continue
        if not _EMAIL.match(address):
            raise ValueError(f"{what}: {address!r} is not an email address")
        if address.lower() in (known.lower() for known in found):
            raise ValueError(f"{what}: {address} is listed twice")
        found.append(address)
    if maximum is not None and len(found) > maximum:
        raise ValueError(
            f"{what}: at most {maximum} email recipients are allowed, got {len(found)}"
        )
    return found
