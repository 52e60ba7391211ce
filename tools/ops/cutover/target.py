"""Which KeyValueStore and rollback alarms a stage's cut-over uses.

By default they come from the outputs of the stage's edge stack (``Taskly-<stage>-Edge``),
so nobody copies ARNs around; ``--kvs-arn`` and ``--alarm`` override the lookup for operators
whose role cannot call ``cloudformation:DescribeStacks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lambda_src.cutover_rollback.weight_store import CutoverError
from stacks.config.stages import stack_name

# CloudFormation output keys written by stacks/edge_stack.py.
KVS_ARN_OUTPUT = "CutoverKvsArn"
ALARM_NAMES_OUTPUT = "CutoverRollbackAlarmNames"


def edge_stack_name(stage: str) -> str:
    return stack_name(stage, "Edge")


@dataclass(frozen=True, kw_only=True)
class Target:
    stage: str
    kvs_arn: str
    alarm_names: tuple[str, ...]
    source: str


def resolve_target(
    *,
    stage: str,
    cloudformation: Any,
    region: str,
    kvs_arn: str | None,
    alarm_names: tuple[str, ...],
) -> Target:
    """Use the given ARN/alarms, filling in what is missing from the edge stack's outputs."""
    if kvs_arn is not None and alarm_names:
        return Target(stage=stage, kvs_arn=kvs_arn, alarm_names=alarm_names, source="arguments")
    stack = edge_stack_name(stage)
    outputs = _stack_outputs(cloudformation, stack, region)
    found_arn = kvs_arn or outputs.get(KVS_ARN_OUTPUT)
    if not found_arn:
        raise CutoverError(
            f"stack {stack} in {region} has no {KVS_ARN_OUTPUT} output; pass --kvs-arn"
        )
    found_alarms = alarm_names or tuple(
        name for name in outputs.get(ALARM_NAMES_OUTPUT, "").split(",") if name
    )
    return Target(stage=stage, kvs_arn=found_arn, alarm_names=found_alarms, source=f"stack {stack}")


def _stack_outputs(cloudformation: Any, stack: str, region: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "does not exist" in message:
            raise CutoverError(
                f"stack {stack} not found in {region}: deploy the edge stack, check --region, "
                "or pass --kvs-arn"
            ) from error
        raise CutoverError(f"cannot read stack {stack} in {region}: {message}") from error
    return {out["OutputKey"]: out["OutputValue"] for out in stacks[0].get("Outputs", [])}
