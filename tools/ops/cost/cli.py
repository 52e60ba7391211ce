"""Command line of the cost report. Every user error ends as one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from tools import cli
from tools.cli import Parser
from tools.ops.cost.assembly import Assembly, load_assembly
from tools.ops.cost.errors import CostToolError
from tools.ops.cost.estimate import estimate_stage
from tools.ops.cost.pricebook import DEFAULT_PRICE_FILE, load_price_book
from tools.ops.cost.render import Comparison, Format, render_comparison, render_report

PROG = "python -m tools.ops.cost"
DEFAULT_REQUESTS_PER_DAY = 100_000


def _non_negative(text: str) -> float:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=(
            "Estimate the monthly AWS cost of each stage in a synthesized cloud assembly: "
            "fixed cost line by line, variable cost at a request volume, and the cost per "
            "million API requests. Prices and assumptions come from tools/ops/cost/prices.toml."
        ),
    )
    parser.add_argument(
        "--cdk-out",
        type=Path,
        default=Path("cdk.out"),
        metavar="DIR",
        help="cloud assembly written by `make synth` (default: cdk.out)",
    )
    parser.add_argument(
        "--stage",
        action="append",
        dest="stages",
        metavar="STAGE",
        help="stage to report (repeatable; default: every stage in the assembly)",
    )
    parser.add_argument(
        "--requests-per-day",
        type=_non_negative,
        default=DEFAULT_REQUESTS_PER_DAY,
        metavar="N",
        help=f"API requests per day for the variable cost (default: {DEFAULT_REQUESTS_PER_DAY:,})",
    )
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json"],
        default="text",
        help="output format (default: text; markdown suits a pull-request comment)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="OTHER_CDK_OUT",
        help="print the change from this other synth output (the base) to --cdk-out",
    )
    parser.add_argument(
        "--prices",
        type=Path,
        default=DEFAULT_PRICE_FILE,
        metavar="FILE",
        help="price and assumption file (default: tools/ops/cost/prices.toml)",
    )
    return parser


def _chosen_stages(requested: list[str] | None, *assemblies: Assembly) -> list[str]:
    available = list(dict.fromkeys(stage for asm in assemblies for stage in asm.stages()))
    if not requested:
        return available
    unknown = [stage for stage in requested if stage not in available]
    if unknown:
        where = " or ".join(str(asm.directory) for asm in assemblies)
        raise CostToolError(
            f"stage {', '.join(unknown)} is not in {where} (found: {', '.join(available)}); "
            f"run `make synth STAGE={unknown[0]}` first"
        )
    return list(dict.fromkeys(requested))


def run(args: argparse.Namespace) -> str:
    book = load_price_book(args.prices)
    head = load_assembly(args.cdk_out)
    fmt: Format = args.format
    if args.against is None:
        stages = _chosen_stages(args.stages, head)
        estimates = [
            estimate_stage(head, stage, book, requests_per_day=args.requests_per_day)
            for stage in stages
        ]
        return render_report(estimates, book, fmt)

    base = load_assembly(args.against)
    stages = _chosen_stages(args.stages, head, base)
    comparisons = [
        Comparison(
            stage=stage,
            head=(
                estimate_stage(head, stage, book, requests_per_day=args.requests_per_day)
                if stage in head.stages()
                else None
            ),
            base=(
                estimate_stage(base, stage, book, requests_per_day=args.requests_per_day)
                if stage in base.stages()
                else None
            ),
        )
        for stage in stages
    ]
    return render_comparison(comparisons, book, fmt)


def main(argv: Sequence[str] | None = None) -> int:
    def body() -> int:
        sys.stdout.write(run(build_parser().parse_args(argv)))
        return 0

    return cli.run("cost", body, bad_input=(CostToolError,))
