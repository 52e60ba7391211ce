"""``python -m tools.ops.parity`` (see cli.py and docs/parity.md)."""

import sys

from tools.ops.parity.cli import main

sys.exit(main())
