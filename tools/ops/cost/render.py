"""Render stage estimates, or the change between two synth outputs, as text, Markdown or JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tabulate import tabulate

from tools.ops.cost.assembly import STACK_NAME
from tools.ops.cost.estimate import LineItem, StageEstimate, Unpriced
from tools.ops.cost.pricebook import PriceBook

Format = Literal["text", "markdown", "json"]


@dataclass(frozen=True)
class Comparison:
    """One stage in the head (``--cdk-out``) and base (``--against``) synth outputs."""

    stage: str
    head: StageEstimate | None
    base: StageEstimate | None


# --- number formatting ------------------------------------------------------------------------


def usd(amount: float) -> str:
    return f"${amount:,.2f}"


def signed_usd(amount: float) -> str:
    sign = "+" if amount >= 0.005 else "-" if amount <= -0.005 else "±"
    return f"{sign}${abs(amount):,.2f}"


def rate(amount: float) -> str:
    """A unit price with as many decimals as it needs (Lambda GB-seconds need ten)."""
    text = f"{amount:,.10f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def quantity(amount: float) -> str:
    if amount == int(amount):
        return f"{amount:,.0f}"
    return f"{amount:,.4f}".rstrip("0").rstrip(".") if amount < 10 else f"{amount:,.2f}"


def component(stack: str) -> str:
    """``Taskly-dev-Network`` -> ``Network``: the stage is already in the section heading."""
    head, _, nested = stack.partition("/")
    match = STACK_NAME.match(head)
    short = match["component"] if match else head
    return f"{short}/{nested}" if nested else short


# A terminal or CI log is about 100 columns: the text tables wrap their long text cells to fit.
# Markdown tables (a pull-request comment) stay one row per line; the browser wraps them.
TEXT_WIDTH = 100


def _wrap(table_format: str, *widths: int | None) -> dict[str, Any]:
    """tabulate's maxcolwidths for the text tables, nothing for markdown."""
    return {"maxcolwidths": list(widths)} if table_format == "simple" else {}


def per_million(estimate: StageEstimate) -> str:
    value = estimate.per_million_requests
    return "n/a (no requests)" if value is None else usd(value)


# --- one report -----------------------------------------------------------------------------------


def render_report(estimates: Sequence[StageEstimate], book: PriceBook, fmt: Format) -> str:
    if fmt == "json":
        document = {"prices": _price_basis(book), "stages": [_estimate_json(e) for e in estimates]}
        document["assumptions"] = _assumptions_json(book)
        return json.dumps(document, indent=2)
    markdown = fmt == "markdown"
    parts = [_heading(book, estimates[0].requests_per_day if estimates else 0, markdown)]
    for estimate in estimates:
        parts.append(_stage_section(estimate, markdown))
    parts.append(_assumptions_section(book, markdown))
    return "\n\n".join(parts) + "\n"


def _heading(book: PriceBook, requests_per_day: float, markdown: bool) -> str:
    title = "Taskly cost estimate from the synthesized templates"
    basis = (
        f"Prices: {book.region}, {book.basis}; checked up to {book.last_checked.isoformat()}. "
        f"Volume: {requests_per_day:,.0f} API requests/day "
        f"({requests_per_day * book.days_per_month:,.0f}/month)."
    )
    if markdown:
        return f"## {title}\n\n{basis}"
    return f"{title}\n" + textwrap.fill(basis, TEXT_WIDTH)


def _stage_section(estimate: StageEstimate, markdown: bool) -> str:
    table_format = "github" if markdown else "simple"
    header = f"### Stage `{estimate.stage}`" if markdown else f"== Stage {estimate.stage} =="
    summary = [
        ["Fixed monthly cost", usd(estimate.fixed_total)],
        [
            f"Variable cost at {estimate.requests_per_day:,.0f} requests/day",
            f"{usd(estimate.variable_total)}/month",
        ],
        ["Variable cost per million API requests", per_million(estimate)],
    ]
    lines = [
        header,
        tabulate(summary, headers=["", "amount"], tablefmt=table_format, disable_numparse=True),
    ]
    lines.append(("#### " if markdown else "") + "Fixed monthly cost, line by line")
    lines.append(_items_table(estimate.fixed, table_format))
    lines.append(
        ("#### " if markdown else "")
        + f"Variable cost at {estimate.requests_per_day:,.0f} requests/day, per month"
    )
    lines.append(_items_table(estimate.variable, table_format))
    lines.append(_unpriced_block(estimate.unpriced, table_format, markdown))
    if estimate.findings:
        lines.append(("#### " if markdown else "") + f"Check ({len(estimate.findings)})")
        rows = [[component(f.stack), f.resource, f.message] for f in estimate.findings]
        lines.append(
            tabulate(
                rows,
                headers=["stack", "resource", "finding"],
                tablefmt=table_format,
                **_wrap(table_format, None, 24, 60),
            )
        )
    return "\n\n".join(lines)


def _items_table(items: Sequence[LineItem], table_format: str) -> str:
    if not items:
        return "(none)"
    rows = [
        [
            component(item.stack),
            item.resource,
            item.description,
            quantity(item.quantity),
            item.unit,
            rate(item.unit_price),
            usd(item.monthly_usd),
        ]
        for item in items
    ]
    rows.append(["total", "", "", "", "", "", usd(sum(i.monthly_usd for i in items))])
    headers = ["stack", "resource", "item", "qty", "unit", "price", "/month"]
    return tabulate(
        rows,
        headers=headers,
        tablefmt=table_format,
        disable_numparse=True,
        colalign=("left", "left", "left", "right", "left", "right", "right"),
        **_wrap(table_format, None, 20, 18, None, 12, None, None),
    )


def _unpriced_block(unpriced: Sequence[Unpriced], table_format: str, markdown: bool) -> str:
    title = ("#### " if markdown else "") + f"Not priced ({len(unpriced)})"
    if not unpriced:
        return f"{title}\n\nEvery resource type in this stage is priced or listed as free."
    rows = [[component(u.stack), u.resource, u.resource_type, u.reason] for u in unpriced]
    table = tabulate(
        rows,
        headers=["stack", "resource", "type", "why"],
        tablefmt=table_format,
        **_wrap(table_format, None, 24, 26, 36),
    )
    return f"{title}\n\n{table}"


def _assumptions_section(book: PriceBook, markdown: bool) -> str:
    rows = []
    for name in type(book.assumptions).model_fields:
        item = getattr(book.assumptions, name)
        rows.append([name, quantity(item.value), item.unit, item.why])
    table = tabulate(
        rows,
        headers=["assumption", "value", "unit", "why"],
        tablefmt="github" if markdown else "simple",
        disable_numparse=True,
        **_wrap("github" if markdown else "simple", 26, None, 16, 40),
    )
    if markdown:
        return f"<details><summary>Assumptions</summary>\n\n{table}\n\n</details>"
    return f"Assumptions (tools/ops/cost/prices.toml)\n\n{table}"


# --- difference between two synth outputs --------------------------------------------------------


def render_comparison(comparisons: Sequence[Comparison], book: PriceBook, fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(
            {"prices": _price_basis(book), "stages": [_comparison_json(c) for c in comparisons]},
            indent=2,
        )
    markdown = fmt == "markdown"
    table_format = "github" if markdown else "simple"
    requests_per_day = next(
        e.requests_per_day for c in comparisons for e in (c.head, c.base) if e is not None
    )
    title = "Cost change between two synth outputs (base: --against, new: --cdk-out)"
    parts = [
        _heading(book, requests_per_day, markdown).replace(
            "Taskly cost estimate from the synthesized templates", title
        )
    ]
    for comparison in comparisons:
        parts.append(_comparison_section(comparison, table_format, markdown))
    return "\n\n".join(parts) + "\n"


def _totals(estimate: StageEstimate | None) -> tuple[float, float, float | None]:
    if estimate is None:
        return (0.0, 0.0, None)
    return (estimate.fixed_total, estimate.variable_total, estimate.per_million_requests)


def _comparison_section(comparison: Comparison, table_format: str, markdown: bool) -> str:
    status = (
        " (new stage)"
        if comparison.base is None
        else " (stage removed)"
        if comparison.head is None
        else ""
    )
    header = (
        f"### Stage `{comparison.stage}`{status}"
        if markdown
        else f"== Stage {comparison.stage}{status} =="
    )
    base_fixed, base_variable, base_million = _totals(comparison.base)
    head_fixed, head_variable, head_million = _totals(comparison.head)
    rows = [
        [
            "Fixed monthly cost",
            usd(base_fixed),
            usd(head_fixed),
            signed_usd(head_fixed - base_fixed),
        ],
        [
            "Variable cost per month",
            usd(base_variable),
            usd(head_variable),
            signed_usd(head_variable - base_variable),
        ],
        [
            "Per million API requests",
            "n/a" if base_million is None else usd(base_million),
            "n/a" if head_million is None else usd(head_million),
            "n/a"
            if base_million is None or head_million is None
            else signed_usd(head_million - base_million),
        ],
    ]
    summary = tabulate(
        rows,
        headers=["", "base", "new", "change"],
        tablefmt=table_format,
        disable_numparse=True,
        colalign=("left", "right", "right", "right"),
    )
    changes = _line_changes(comparison)
    change_rows = [
        [mark, component(item.stack), item.resource, item.description, before, after, delta]
        for mark, item, before, after, delta in changes
    ]
    changed = (
        tabulate(
            change_rows,
            headers=["", "stack", "resource", "item", "base", "new", "change"],
            tablefmt=table_format,
            disable_numparse=True,
            **_wrap(table_format, None, None, 22, 26, None, None, None),
        )
        if change_rows
        else "No line item changed."
    )
    unpriced = _unpriced_changes(comparison)
    return "\n\n".join([header, summary, changed, *unpriced])


def _line_changes(comparison: Comparison) -> list[tuple[str, LineItem, str, str, str]]:
    def index(estimate: StageEstimate | None) -> dict[tuple[str, str, str], LineItem]:
        if estimate is None:
            return {}
        return {item.key: item for item in (*estimate.fixed, *estimate.variable)}

    base, head = index(comparison.base), index(comparison.head)
    changes = []
    for key in sorted(base.keys() | head.keys()):
        before, after = base.get(key), head.get(key)
        if before is not None and after is not None:
            if abs(after.monthly_usd - before.monthly_usd) < 0.005:
                continue
            changes.append(
                (
                    "~",
                    after,
                    usd(before.monthly_usd),
                    usd(after.monthly_usd),
                    signed_usd(after.monthly_usd - before.monthly_usd),
                )
            )
        elif after is not None:
            changes.append(("+", after, "", usd(after.monthly_usd), signed_usd(after.monthly_usd)))
        elif before is not None:
            changes.append(
                ("-", before, usd(before.monthly_usd), "", signed_usd(-before.monthly_usd))
            )
    return changes


def _unpriced_changes(comparison: Comparison) -> list[str]:
    def keys(estimate: StageEstimate | None) -> set[tuple[str, str, str]]:
        if estimate is None:
            return set()
        return {(u.stack, u.resource, u.resource_type) for u in estimate.unpriced}

    base, head = keys(comparison.base), keys(comparison.head)
    notes = [f"Newly not priced: {s} {r} ({t})" for s, r, t in sorted(head - base)]
    notes += [f"No longer unpriced: {s} {r} ({t})" for s, r, t in sorted(base - head)]
    still = len(head & base)
    if still:
        notes.append(f"Still not priced: {still} resource(s); see the full report.")

    def findings(estimate: StageEstimate | None) -> set[tuple[str, str, str]]:
        return (
            set()
            if estimate is None
            else {(f.stack, f.resource, f.message) for f in estimate.findings}
        )

    new_findings = findings(comparison.head) - findings(comparison.base)
    notes += [f"New finding: {component(s)} {r}: {m}" for s, r, m in sorted(new_findings)]
    return notes


# --- JSON ---------------------------------------------------------------------------------------


def _price_basis(book: PriceBook) -> dict[str, Any]:
    return {
        "region": book.region,
        "currency": book.currency,
        "basis": book.basis,
        "hours_per_month": book.hours_per_month,
        "last_checked": book.last_checked.isoformat(),
    }


def _assumptions_json(book: PriceBook) -> dict[str, Any]:
    return book.assumptions.model_dump(mode="json")


def _item_json(item: LineItem) -> dict[str, Any]:
    return {
        "stack": item.stack,
        "resource": item.resource,
        "type": item.resource_type,
        "charge": item.charge,
        "description": item.description,
        "quantity": item.quantity,
        "unit": item.unit,
        "unit_price_usd": item.unit_price,
        "monthly_usd": round(item.monthly_usd, 6),
    }


def _estimate_json(estimate: StageEstimate) -> dict[str, Any]:
    return {
        "stage": estimate.stage,
        "stacks": list(estimate.stacks),
        "requests_per_day": estimate.requests_per_day,
        "requests_per_month": estimate.requests_per_month,
        "fixed_monthly_usd": round(estimate.fixed_total, 6),
        "variable_monthly_usd": round(estimate.variable_total, 6),
        "variable_usd_per_million_requests": (
            None
            if estimate.per_million_requests is None
            else round(estimate.per_million_requests, 6)
        ),
        "fixed": [_item_json(item) for item in estimate.fixed],
        "variable": [_item_json(item) for item in estimate.variable],
        "not_priced": [
            {"stack": u.stack, "resource": u.resource, "type": u.resource_type, "reason": u.reason}
            for u in estimate.unpriced
        ],
        "findings": [
            {"stack": f.stack, "resource": f.resource, "message": f.message}
            for f in estimate.findings
        ],
    }


def _comparison_json(comparison: Comparison) -> dict[str, Any]:
    base_fixed, base_variable, base_million = _totals(comparison.base)
    head_fixed, head_variable, head_million = _totals(comparison.head)
    return {
        "stage": comparison.stage,
        "base": None if comparison.base is None else _estimate_json(comparison.base),
        "new": None if comparison.head is None else _estimate_json(comparison.head),
        "change": {
            "fixed_monthly_usd": round(head_fixed - base_fixed, 6),
            "variable_monthly_usd": round(head_variable - base_variable, 6),
            "variable_usd_per_million_requests": (
                None
                if base_million is None or head_million is None
                else round(head_million - base_million, 6)
            ),
        },
    }
