"""The stages and how their stacks are named: the one home of both.

Standard library only and runnable as a script (``python stacks/config/stages.py``), so the
Makefile and the tools read the stage list and the stack-name prefix without importing the CDK
app. A stage exists exactly when ``config/<stage>.toml`` does (a test keeps the two in step).
"""

from __future__ import annotations

import sys
from pathlib import Path

# In promotion order: the order every message lists them in.
STAGES = ("dev", "staging", "prod")
# Every stack of a stage is named <STACK_PREFIX>-<stage>-<component> (Taskly-dev-Compute).
STACK_PREFIX = "Taskly"
REPOSITORY = Path(__file__).resolve().parents[2]
# One TOML file per stage: config/<stage>.toml.
CONFIG_DIR = REPOSITORY / "config"


def stack_name(stage: str, component: str) -> str:
    """The name of ``stage``'s ``component`` stack: ``Taskly-<stage>-<component>``."""
    return f"{STACK_PREFIX}-{stage}-{component}"


def config_file(name: str) -> Path:
    """The data file that holds stage ``name``'s values."""
    return CONFIG_DIR / f"{name}.toml"


def main(argv: list[str]) -> int:
    """``stages``: the stage names; ``prefix STAGE``: the stack-name prefix (for make)."""
    if argv == ["stages"]:
        print(" ".join(STAGES))
    elif len(argv) == 2 and argv[0] == "prefix":
        print(stack_name(argv[1], ""))
    else:
        print("usage: stages.py stages | prefix STAGE", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
