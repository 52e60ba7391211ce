"""The one Logger, Tracer and Metrics of a function (service name from POWERTOOLS_SERVICE_NAME).

Handlers stack the decorators in the order Powertools documents: ``inject_lambda_context``
outermost (so every log line carries the request), then ``capture_lambda_handler``, then
``log_metrics`` innermost (metrics are flushed even when the handler raises).
"""

from __future__ import annotations

import importlib.util

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

# X-Ray subsegments for AWS SDK calls and, in the bundle that has pymongo (tasks), for database
# commands. Powertools' default patches every library X-Ray supports, importing at init the
# patch modules of sqlite3, requests, psycopg and more, which no function uses.
TRACED_LIBRARIES = tuple(
    name for name in ("botocore", "pymongo") if importlib.util.find_spec(name) is not None
)

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_HTTP
