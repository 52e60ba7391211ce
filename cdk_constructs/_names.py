"""Physical names for resources whose names are unique in the whole account."""

from __future__ import annotations

from aws_cdk import Names, Stack
from constructs import Construct

# The longest region code (e.g. "ap-southeast-5") plus the separator, with room to spare.
REGION_BUDGET = 20


def regional_name(scope: Construct, purpose: str, *, max_length: int) -> str:
    """``<region>-<unique name of scope><purpose>``, at most ``max_length`` characters.

    CloudFront key value stores, response headers policies and origin access controls are
    named per account, not per region: CDK's generated names (stack and construct path) are
    the same for the stage deployed to a second region, and that deploy fails on the name.
    The region in front keeps them apart; ``scope``'s unique name keeps two stages apart.
    """
    unique = Names.unique_resource_name(scope, max_length=max_length - REGION_BUDGET - len(purpose))
    return f"{Stack.of(scope).region}-{unique}{purpose}"
