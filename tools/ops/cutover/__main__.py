import sys

from tools.ops.cutover.cli import main

sys.exit(main())
