"""Data access: repository interfaces and their implementations.

``interfaces`` is what the logic layer depends on; ``documentdb`` (pymongo), ``dynamodb``,
``sqs`` and ``ses`` (boto3) are imported only by the function that needs them, and
``memory`` holds the in-memory implementations the unit tests and the benchmark use.
"""
