"""The local Taskly API: the real handlers behind a stand-in for API Gateway (``make local``).

``gateway`` builds HTTP API (payload 2.0) events the way API Gateway does and verifies dev JWTs
like the Cognito authorizer; ``stack`` brings up moto (DynamoDB, SQS, Secrets Manager, SES)
and mongomock for DocumentDB; ``server`` serves it all on http://127.0.0.1:3000.
"""
