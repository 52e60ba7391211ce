"""What CloudFormation does with a template's resource when a stack operation lets go of it.

Tests use it to ask "is this resource still in the account after X?" instead of looking for a
policy string, following the DeletionPolicy and UpdateReplacePolicy attribute reference:

- No ``DeletionPolicy`` means ``Delete``, except ``AWS::RDS::DBCluster`` and an
  ``AWS::RDS::DBInstance`` without ``DBClusterIdentifier`` (``Snapshot``). No
  ``UpdateReplacePolicy`` means ``Delete``.
- ``DeletionPolicy`` decides a stack delete and a removal from the template by an update;
  ``UpdateReplacePolicy`` decides the old physical resource of a replacement.
- ``RetainExceptOnCreate`` behaves like ``Retain``, except in the stack operation that created
  the resource: when that operation rolls back, the resource is deleted. ``Retain`` keeps it
  then too (the first deploy that fails leaves it behind).
- ``Snapshot`` is accepted for the types that support it only.

Anything else raises: a policy given by an intrinsic function (``Fn::If``), an unknown value,
``RetainExceptOnCreate`` as an UpdateReplacePolicy (not one of its values), ``Snapshot`` on a
type without snapshots, and a nested stack (its own resources are not in this template).

What it does not prove: that CloudFormation succeeds in deleting a resource (a non-empty bucket,
deletion protection) or takes a snapshot during a rollback; it tells which resources are meant
to outlive the operation, from the template alone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


class Operation(enum.Enum):
    CREATE_ROLLED_BACK = "the stack operation that created it rolled back"
    STACK_DELETED = "the stack was deleted"
    REMOVED_FROM_TEMPLATE = "an update removed it from the template"
    REPLACED = "an update replaced it"


class Fate(enum.Enum):
    KEPT = "kept in the account, outside the stack"
    DELETED = "deleted"
    SNAPSHOT_THEN_DELETED = "deleted after a snapshot"


class UnsupportedLifecycleError(ValueError):
    """The resource uses something this model does not evaluate."""


# Types whose DeletionPolicy/UpdateReplacePolicy may be Snapshot (attribute reference).
SNAPSHOT_TYPES = frozenset(
    {
        "AWS::DocDB::DBCluster",
        "AWS::EC2::Volume",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::Neptune::DBCluster",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::Redshift::Cluster",
    }
)
_DELETION_VALUES = {"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}
_REPLACE_VALUES = {"Delete", "Retain", "Snapshot"}


def fate(resource: Mapping[str, Any], operation: Operation) -> Fate:
    """What happens to ``resource`` (a template's resource entry) when ``operation`` drops it."""
    resource_type = resource["Type"]
    if resource_type == "AWS::CloudFormation::Stack":
        raise UnsupportedLifecycleError("a nested stack's resources are not in this template")
    if operation is Operation.REPLACED:
        policy = _policy(resource, "UpdateReplacePolicy", "Delete", _REPLACE_VALUES)
    else:
        policy = _policy(resource, "DeletionPolicy", _default_deletion(resource), _DELETION_VALUES)
    if policy == "Snapshot":
        if resource_type not in SNAPSHOT_TYPES:
            raise UnsupportedLifecycleError(f"{resource_type} has no snapshots")
        return Fate.SNAPSHOT_THEN_DELETED
    if policy == "Retain":
        return Fate.KEPT
    if policy == "RetainExceptOnCreate":
        return Fate.DELETED if operation is Operation.CREATE_ROLLED_BACK else Fate.KEPT
    return Fate.DELETED


def _default_deletion(resource: Mapping[str, Any]) -> str:
    if resource["Type"] == "AWS::RDS::DBCluster" or (
        resource["Type"] == "AWS::RDS::DBInstance"
        and "DBClusterIdentifier" not in resource.get("Properties", {})
    ):
        return "Snapshot"
    return "Delete"


def _policy(resource: Mapping[str, Any], attribute: str, default: str, allowed: set[str]) -> str:
    value = resource.get(attribute, default)
    if not isinstance(value, str):
        raise UnsupportedLifecycleError(f"{attribute} {value!r} is not a plain value")
    if value not in allowed:
        raise UnsupportedLifecycleError(f"{attribute} {value!r} is not one of {sorted(allowed)}")
    return value
