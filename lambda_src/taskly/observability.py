"""The one Logger, Tracer and Metrics of a function (service name from POWERTOOLS_SERVICE_NAME).

Handlers stack the decorators in the order Powertools documents: ``inject_lambda_context``
outermost (so every log line carries the request), then ``capture_lambda_handler``, then
``log_metrics`` innermost (metrics are flushed even when the handler raises).
"""

from __future__ import annotations

import functools

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

# X-Ray subsegments for AWS SDK calls and, in the bundle that has pymongo (tasks), for database
# commands: nothing else. Powertools' default patches every library X-Ray supports at init,
# importing the patch modules of sqlite3, requests, psycopg and more, which no function uses;
# and patching botocore or pymongo imports them, which no health check and no request refused
# before it reaches AWS or the database needs. So the tracer patches nothing at init and each
# library is patched by ``trace_library`` where the data layer first loads it
# (``taskly.data.aws.client``, ``taskly.data.documentdb.create_client``).
TRACED_LIBRARIES = ("botocore", "pymongo")

logger = Logger()
tracer = Tracer(auto_patch=False)
metrics = Metrics()

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_HTTP


@functools.cache
def trace_library(name: str) -> None:
    """Patch ``name`` (one of TRACED_LIBRARIES) for X-Ray, once; no-op with tracing off.

    Call it before the library's first client exists: X-Ray wraps botocore's client class
    (any client, any time) but registers a pymongo command listener, which only clients
    created after it get.
    """
    if name not in TRACED_LIBRARIES:
        raise ValueError(f"{name!r} is not one of the traced libraries {TRACED_LIBRARIES}")
    tracer.patch(modules=(name,))
