import sys

from tools.ops.preflight.cli import main

sys.exit(main())
