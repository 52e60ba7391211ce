"""``python -m tools.cost``: print the cost report for the stages in a cdk.out directory."""

import sys

from tools.cost.cli import main

sys.exit(main())
