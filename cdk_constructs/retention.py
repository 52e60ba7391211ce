"""How long things are kept: CloudWatch Logs retention from a number of days (StageConfig
keeps plain numbers), and the removal policy of a stateful resource from a stage's flag."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
SUPPORTED_RETENTION_DAYS = tuple(_BY_DAYS)


def retention_days(days: int) -> logs.RetentionDays:
    return _BY_DAYS[days]


def removal_policy(*, keep: bool) -> RemovalPolicy:
    """What CloudFormation does with a stateful resource when it leaves the stack.

    ``keep``: ``RetainExceptOnCreate`` with ``UpdateReplacePolicy: Retain`` (CDK's
    RETAIN_ON_UPDATE_OR_DELETE, aws/aws-cdk#26602): kept on stack delete, removal from the
    template and replacement, but deleted when the operation that created it rolls back. Plain
    ``Retain`` would also keep it then: a failed first deploy leaves the resource behind and a
    retry fails on its fixed name (an SES identity) or piles up orphans (tables, keys, buckets).
    Otherwise ``DESTROY``.
    """
    return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if keep else RemovalPolicy.DESTROY
