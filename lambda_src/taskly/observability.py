"""The one Logger, Tracer and Metrics of a function (service name from POWERTOOLS_SERVICE_NAME).

Handlers stack the decorators in the order Powertools documents: ``inject_lambda_context``
outermost (so every log line carries the request), then ``capture_lambda_handler``, then
``log_metrics`` innermost (metrics are flushed even when the handler raises).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_HTTP
