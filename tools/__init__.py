"""The project's commands: ``ops/`` for a deployed stage, ``local/`` for this machine, build and
dev helpers beside them, and ``cli`` (the command-line layer they share).

The Lambda code imports itself as the runtime does (``taskly.routes``: its root is /var/task),
so tools that run or read it see ``lambda_src`` on the path too, and a module such as the
route table is loaded once, under one name (the repository root stays first on the path).
"""

import sys
from pathlib import Path

_LAMBDA_SRC = str(Path(__file__).resolve().parent.parent / "lambda_src")
if _LAMBDA_SRC not in sys.path:
    sys.path.append(_LAMBDA_SRC)
