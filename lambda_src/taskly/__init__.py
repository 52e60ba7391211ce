"""Taskly runtime: the migrated Express API as Powertools Lambda handlers.

Layers: ``handlers`` (Lambda entry points) -> ``api`` (HTTP routers) -> ``logic`` (use cases)
-> ``data`` (repository interfaces and their DocumentDB, DynamoDB, SQS and SES implementations).
"""
