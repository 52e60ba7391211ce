"""``python -m tools.ops.cost``: print the cost report for the stages in a cdk.out directory."""

from tools.cli import exit_with
from tools.ops.cost.cli import main

exit_with(main())
