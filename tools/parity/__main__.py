"""``python -m tools.parity`` (see cli.py and docs/parity.md)."""

import sys

from tools.parity.cli import main

sys.exit(main())
