"""Turn the resources of one stage into priced line items.

Two kinds of cost:

* fixed: what the stage costs per month with no traffic (NAT gateway hours, database instances,
  keys, alarms, ...), one line per resource and charge;
* variable: what ``requests_per_day`` API requests add per month (Lambda, HTTP API, CloudFront,
  DynamoDB, SQS, logs, X-Ray, DocumentDB I/O), using memory sizes and wiring from the templates
  and the stated assumptions for everything a template cannot tell.

A resource type that has neither a pricing rule here nor an entry in the data file's free list is
returned as "not priced" so the report never drops it silently.
"""

from __future__ import annotations

from collections.abc import Iterator

from tools.ops.cost.assembly import Assembly
from tools.ops.cost.fixed import FIXED_RULES, PRICED_PER_REQUEST
from tools.ops.cost.model import (
    Finding,
    LineItem,
    NotPricedError,
    StageEstimate,
    Unpriced,
)
from tools.ops.cost.pricebook import PriceBook
from tools.ops.cost.stage import StageResources
from tools.ops.cost.traffic import Traffic

__all__ = ["Finding", "LineItem", "NotPricedError", "StageEstimate", "Unpriced", "estimate_stage"]


def estimate_stage(
    assembly: Assembly, stage: str, book: PriceBook, *, requests_per_day: float
) -> StageEstimate:
    stage_resources = StageResources(assembly.resources(stage))
    fixed: list[LineItem] = []
    unpriced: list[Unpriced] = []
    for resource in stage_resources.all:
        rule = FIXED_RULES.get(resource.type)
        if rule is None:
            if resource.type not in PRICED_PER_REQUEST and book.free_type(resource.type) is None:
                unpriced.append(
                    Unpriced(
                        resource.stack,
                        resource.label,
                        resource.type,
                        "no price for this resource type in the data file",
                    )
                )
            continue
        try:
            fixed.extend(rule(resource, stage_resources, book))
        except NotPricedError as not_priced:
            unpriced.append(
                Unpriced(resource.stack, resource.label, resource.type, str(not_priced))
            )
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            # e.g. a Ref to a parameter where a number is expected: unknown, not zero
            why = f"unexpected property value ({type(error).__name__}: {error})"
            unpriced.append(Unpriced(resource.stack, resource.label, resource.type, why))

    requests_per_month = requests_per_day * book.days_per_month
    traffic = Traffic(stage_resources, book, requests=requests_per_month, per_day=requests_per_day)
    findings = list(_findings(stage_resources))
    try:
        variable = list(traffic.items())
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        variable = []
        findings.append(
            Finding(
                "",
                "",
                f"the variable cost could not be computed ({type(error).__name__}: {error}); "
                "a template property the tool expects to be a literal is not",
            )
        )
    return StageEstimate(
        stage=stage,
        stacks=tuple(assembly.stack_names(stage)),
        requests_per_day=requests_per_day,
        requests_per_month=requests_per_month,
        fixed=tuple(sorted(fixed, key=lambda item: (item.stack, -item.monthly_usd, item.resource))),
        variable=tuple(variable),
        unpriced=tuple(unpriced),
        findings=tuple(findings),
    )


def _findings(stage: StageResources) -> Iterator[Finding]:
    instances = stage.of_type("AWS::DocDB::DBInstance")
    for cluster in stage.of_type("AWS::DocDB::DBCluster"):
        members = [
            instance
            for instance in instances
            if cluster
            in stage.referenced(
                instance, instance.properties.get("DBClusterIdentifier"), cluster.type
            )
        ]
        if not members:
            yield Finding(
                cluster.stack,
                cluster.label,
                "DocumentDB cluster without instances: no compute is counted, and the cluster "
                "cannot serve queries until an instance (db.serverless for a serverless "
                "cluster) is added",
            )
