import sys

from tools.cutover.cli import main

sys.exit(main())
