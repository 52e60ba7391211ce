"""A small evaluator of resource policies (SNS topic, KMS key) and of a role's identity
policy, the way AWS decides a request.

Tests use it to ask "would AWS let this principal do this?" instead of looking for a
statement: an explicit Deny that matches wins, otherwise an Allow must match the principal,
action, resource and every condition, otherwise the request is implicitly denied.

What it models: Principal ("*", {"AWS": ...}, {"Service": ...}), Action and Resource with
``*``/``?`` wildcards (actions case-insensitive), and the condition operators these stacks
use — StringEquals, StringLike, ArnEquals, ArnLike, Bool, with their ``IfExists`` forms.
Several values of one key are ORed, several keys and operators ANDed; a key missing from the
request fails the condition (``IfExists`` passes). Anything else (NotPrincipal, NotAction,
NotResource, another operator) raises, so a policy it cannot judge never passes silently.

:func:`evaluate_identity_policy` judges one identity policy (a role's): its statements must
have no Principal (the policy's principal is the role), the rest is evaluated as above.

What it does not prove: SCPs, permission boundaries and session policies are not evaluated,
nor the combination of a role's several policies or of identity and resource policies; nor
does it call AWS. Template intrinsics are resolved by :func:`resolve` with the values the test
supplies.
"""

from __future__ import annotations

import enum
import fnmatch
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Decision(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed (no Allow matches)"


@dataclass(frozen=True)
class Request:
    """One API call: who (``principal``: ``{"Service": ...}`` or ``{"AWS": <arn>}``), what,
    on which resource, with which request context keys (``aws:SecureTransport`` etc.)."""

    principal: Mapping[str, str]
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


class UnsupportedPolicyError(ValueError):
    """The policy uses something this evaluator does not model."""


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    """Decide ``request`` against a resource policy (every statement names its Principal)."""
    statements = _listed(policy["Statement"])
    for statement in statements:
        if statement.get("Principal") is None:
            raise UnsupportedPolicyError("a resource policy statement needs a Principal")
    return _decide(statements, request)


def evaluate_identity_policy(policy: Mapping[str, Any], request: Request) -> Decision:
    """Decide ``request`` against the identity policy of the principal making it."""
    statements = _listed(policy["Statement"])
    for statement in statements:
        if "Principal" in statement:
            raise UnsupportedPolicyError(f"an identity policy names no Principal: {statement}")
    return _decide(statements, request)


def _decide(statements: list[Mapping[str, Any]], request: Request) -> Decision:
    matching = [statement for statement in statements if _matches(statement, request)]
    if any(statement["Effect"] == "Deny" for statement in matching):
        return Decision.EXPLICIT_DENY
    if any(statement["Effect"] == "Allow" for statement in matching):
        return Decision.ALLOWED
    return Decision.IMPLICIT_DENY


def resolve(node: Any, values: Mapping[str, str]) -> Any:
    """``node`` with ``Ref``/``Fn::GetAtt``/``Fn::Join``/``Fn::ImportValue`` replaced.

    ``values`` maps a Ref target (``"AWS::AccountId"``, a logical id), ``"<id>.<attribute>"``
    for GetAtt, or an export name to its value; an unknown one raises KeyError.
    """
    if isinstance(node, list):
        return [resolve(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and next(iter(node)) in _INTRINSICS:
        [(name, argument)] = node.items()
        return _INTRINSICS[name](argument, values)
    return {key: resolve(value, values) for key, value in node.items()}


def _join(argument: Any, values: Mapping[str, str]) -> str:
    separator, parts = argument
    return str(separator).join(str(resolve(part, values)) for part in parts)


_INTRINSICS = {
    "Ref": lambda argument, values: values[argument],
    "Fn::GetAtt": lambda argument, values: values[f"{argument[0]}.{argument[1]}"],
    "Fn::ImportValue": lambda argument, values: values[resolve(argument, values)],
    "Fn::Join": _join,
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    unsupported = {"NotPrincipal", "NotAction", "NotResource"} & set(statement)
    if unsupported:
        raise UnsupportedPolicyError(f"statement uses {sorted(unsupported)}: {statement}")
    return (
        (
            "Principal" not in statement
            or _principal_matches(statement["Principal"], request.principal)
        )
        and any(
            fnmatch.fnmatchcase(request.action.lower(), pattern.lower())
            for pattern in _listed(statement["Action"])
        )
        and any(
            fnmatch.fnmatchcase(request.resource, pattern)
            for pattern in _listed(statement.get("Resource", "*"))
        )
        and _conditions_hold(statement.get("Condition", {}), request.context)
    )


def _principal_matches(principal: Any, caller: Mapping[str, str]) -> bool:
    if principal == "*":
        return True
    for kind, names in principal.items():
        if kind not in ("AWS", "Service"):
            raise UnsupportedPolicyError(f"principal type {kind} is not modelled")
        for name in _listed(names):
            if kind == "AWS" and name == "*":
                return True
            if caller.get(kind) == name:
                return True
            # An account principal (arn:...:iam::<account>:root) covers that account's roles.
            if (
                kind == "AWS"
                and name.endswith(":root")
                and caller.get("AWS", "").startswith(name.removesuffix("root"))
            ):
                return True
    return False


_OPERATORS = {
    "StringEquals": operator.eq,
    "StringLike": fnmatch.fnmatchcase,
    "ArnEquals": operator.eq,
    "ArnLike": fnmatch.fnmatchcase,
    "Bool": lambda actual, expected: actual.lower() == str(expected).lower(),
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    lowered = {key.lower(): value for key, value in context.items()}
    for condition, tests in conditions.items():
        base = condition.removesuffix("IfExists")
        if base not in _OPERATORS:
            raise UnsupportedPolicyError(f"condition operator {condition} is not modelled")
        for key, expected in tests.items():
            actual = lowered.get(key.lower())
            if actual is None:
                if condition.endswith("IfExists"):
                    continue
                return False
            if not any(_OPERATORS[base](actual, value) for value in _listed(expected)):
                return False
    return True
