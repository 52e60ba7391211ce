"""What the pricing rules read from a stage's templates: resources, references, sizes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tools.ops.cost.assembly import Resource
from tools.ops.cost.model import LineItem
from tools.ops.cost.pricebook import Price, PriceBook

# --- template helpers ------------------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Logical ids a property value points at through Ref or Fn::GetAtt, at any depth."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


class StageResources:
    """The resources of a stage with lookups by (stack, logical id) and by type."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.all = list(resources)
        self._by_id = {(res.stack, res.logical_id): res for res in self.all}

    def of_type(self, *types: str) -> list[Resource]:
        return [res for res in self.all if res.type in types]

    def referenced(self, source: Resource, value: Any, *types: str) -> list[Resource]:
        """Resources of the given types in ``source``'s stack that ``value`` refers to."""
        targets = (self._by_id.get((source.stack, ref)) for ref in sorted(references(value)))
        return [res for res in targets if res is not None and res.type in types]

    def function_behind(self, source: Resource, value: Any) -> list[Resource]:
        """Lambda functions ``value`` refers to directly or through an alias or version."""
        functions = self.referenced(source, value, "AWS::Lambda::Function")
        for wrapper in self.referenced(source, value, "AWS::Lambda::Alias", "AWS::Lambda::Version"):
            functions += self.function_behind(wrapper, wrapper.properties.get("FunctionName"))
        return functions

    def log_retention_days(self, target: Resource, book: PriceBook) -> float:
        """Retention of the log group a function, stage or flow log writes to."""
        logging = target.properties.get("LoggingConfig", {})
        destination = (
            logging.get("LogGroup")
            or target.properties.get("AccessLogSettings", {}).get("DestinationArn")
            or target.properties.get("LogGroupName")
            or target.properties.get("LogDestination")
        )
        for group in self.referenced(target, destination, "AWS::Logs::LogGroup"):
            if "RetentionInDays" in group.properties:
                return float(group.properties["RetentionInDays"])
        # Groups named after the resource ("/aws/lambda/<fn>"), e.g. CDK's log_retention.
        for group in self.of_type("AWS::Logs::LogGroup", "Custom::LogRetention"):
            named_after = target.logical_id in references(group.properties.get("LogGroupName"))
            if (
                group.stack == target.stack
                and named_after
                and "RetentionInDays" in group.properties
            ):
                return float(group.properties["RetentionInDays"])
        return book.assumptions.log_retention_days_when_unset.value


def memory_gb(function: Resource) -> float:
    return float(function.properties.get("MemorySize", 128)) / 1024


def is_arm(function: Resource) -> bool:
    return "arm64" in function.properties.get("Architectures", ["x86_64"])


def line_item(
    resource: Resource, charge: str, description: str, quantity: float, price: Price
) -> LineItem:
    return LineItem(
        stack=resource.stack,
        resource=resource.label,
        resource_type=resource.type,
        charge=charge,
        description=description,
        quantity=quantity,
        unit=price.unit,
        unit_price=price.usd,
    )


def snap_starts(function: Resource) -> bool:
    snap_start = function.properties.get("SnapStart") or {}
    return bool(snap_start.get("ApplyOn") == "PublishedVersions")
