"""Compute stack: one CanaryFunction per service, the strangler HTTP API, the email queue."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_constructs.canary_function import CanaryFunction, PreTrafficHook
from cdk_constructs.email_queue import EmailQueue
from cdk_constructs.local_python_bundler import PythonBundle, bundled_code
from cdk_constructs.nag import acknowledge
from cdk_constructs.origin_verify_secret import OriginVerifySecret
from cdk_constructs.retention import retention_days
from cdk_constructs.sender_identity import SenderIdentity
from cdk_constructs.strangler_http_api import StranglerHttpApi
from stacks.config import ComputeConfig
from stacks.route_table import LAMBDA_SRC, RouteTable, TableRoute, load_route_table

REPOSITORY = LAMBDA_SRC.parent
CA_BUNDLE = REPOSITORY / "certs" / "global-bundle.pem"
CA_BUNDLE_PATH = "certs/global-bundle.pem"  # inside the database bundle (DOCDB_CA_FILE)
DOCDB_DATABASE = "taskly"
METRICS_NAMESPACE = "Taskly"
SMOKE_TEST_USER = "codedeploy-smoke-test"

# Exactly the calls each function's code makes (see lambda_src/taskly/data/ and the handlers).
IDEMPOTENCY_ACTIONS = (  # Powertools DynamoDBPersistenceLayer
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
ENQUEUE_ACTIONS = ("sqs:SendMessage",)  # SqsEmailQueue
READ_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)  # DocumentDB, origin-verify secrets


def service_bundles() -> dict[str, PythonBundle]:
    """What each service's bundle holds: the runtime package, its locked deps, the CA bundle."""
    runtime = (LAMBDA_SRC / "taskly",)
    common = PythonBundle(packages=runtime, requirements=LAMBDA_SRC / "requirements.lock")
    documentdb = PythonBundle(
        packages=runtime,
        requirements=LAMBDA_SRC / "requirements-docdb.lock",
        files={CA_BUNDLE_PATH: CA_BUNDLE},
    )
    return {"tasks": documentdb, "profile": documentdb, "email_worker": common}


class ComputeStack(Stack):
    """Exposes ``api_domain_name`` (the HTTP API's host, for the CloudFront origin),
    ``http_api``, ``functions`` (service -> CanaryFunction), ``email_queue`` and
    ``origin_verify`` (the secret CloudFront must send in ``x-origin-verify``: the API
    functions refuse every other caller, see ``taskly/api/origin.py``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ComputeConfig,
        vpc: ec2.IVpc,
        lambda_security_group: ec2.ISecurityGroup,
        docdb_secret: secretsmanager.ISecret,
        idempotency_table: dynamodb.ITable,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        api_scope: str,
        protect_data: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = load_route_table()
        if table.api_scope != api_scope:
            raise ValueError(
                f"the route table requires scope {table.api_scope!r} but the user pool issues "
                f"{api_scope!r}; change lambda_src/taskly/routes.py or the auth stack"
            )
        self._settings = settings
        self._routes = table
        bundles = service_bundles()
        # CloudFront sends this value in x-origin-verify; direct execute-api callers lack it.
        self.origin_verify = OriginVerifySecret(self, "OriginVerify", retain=protect_data)
        origin_verify_arn = self.origin_verify.secret.secret_arn
        hook_code = lambda_.Code.from_asset(
            str(LAMBDA_SRC / "pre_traffic_hook"), exclude=["__pycache__", "*.pyc"]
        )

        def hook_for(service: str) -> PreTrafficHook | None:
            if not settings.pre_traffic_hook:
                return None
            # The smoke request must pass the origin check like CloudFront's requests do.
            return PreTrafficHook(
                code=hook_code,
                event=_smoke_event(table, service, api_scope),
                secret_header=(self.origin_verify.header_name, self.origin_verify.secret),
            )

        # "New functions use the legacy database until the end": the connection secret is the
        # configured one (e.g. the legacy MongoDB's) instead of the DocumentDB cluster's.
        database_secret_arn = settings.tasks_db_secret_arn or docdb_secret.secret_arn
        # Both database functions share legacy's database (tasks and preferences collections):
        # one source of truth for every piece of user data during the cutover
        # (docs/data-migration.md, "Preferences: one store").
        database = {
            "DOCDB_SECRET_ARN": database_secret_arn,
            "ORIGIN_VERIFY_SECRET_ARN": origin_verify_arn,
            "DOCDB_DATABASE": DOCDB_DATABASE,
            "DOCDB_CA_FILE": CA_BUNDLE_PATH,
        }
        in_vpc: dict[str, Any] = {
            "vpc": vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            "security_groups": [lambda_security_group],
        }
        tasks = self._function(
            "tasks",
            "Tasks",
            code=bundled_code(root=LAMBDA_SRC, bundle=bundles["tasks"]),
            environment={
                **database,
                # Counted in the stage's DocumentDB connection budget (StageConfig).
                "DOCDB_MAX_POOL_SIZE": str(settings.tasks.docdb_max_pool_size),
                "IDEMPOTENCY_TABLE_NAME": idempotency_table.table_name,
            },
            pre_traffic_hook=hook_for("tasks"),
            reserved_concurrency=settings.tasks.reserved_concurrency,
            **in_vpc,
        )
        profile = self._function(
            "profile",
            "Profile",
            code=bundled_code(root=LAMBDA_SRC, bundle=bundles["profile"]),
            environment={
                **database,
                "DOCDB_MAX_POOL_SIZE": str(settings.profile.docdb_max_pool_size),
            },
            pre_traffic_hook=hook_for("profile"),
            reserved_concurrency=settings.profile.reserved_concurrency,
            **in_vpc,
        )
        # No smoke test for the worker: any SQS batch it fails entirely is a function error,
        # and a valid one sends mail. Its alias alarms still roll a bad version back.
        email_worker = self._function(
            "email_worker",
            "EmailWorker",
            code=bundled_code(root=LAMBDA_SRC, bundle=bundles["email_worker"]),
            environment={
                "SENDER_EMAIL": settings.sender_email,
                "IDEMPOTENCY_TABLE_NAME": idempotency_table.table_name,
            },
            pre_traffic_hook=None,
            # None: the SQS event source's MaximumConcurrency caps the worker (EmailQueue).
            reserved_concurrency=None,
        )
        self.functions = {"tasks": tasks, "profile": profile, "email_worker": email_worker}
        for synchronous in (tasks, profile):
            acknowledge(
                synchronous.function,
                {
                    "Serverless-LambdaDLQ": "Invoked only synchronously, by API Gateway: the "
                    "caller gets the error; a dead-letter queue applies to asynchronous calls",
                },
            )
        acknowledge(
            email_worker.function,
            {
                "Serverless-LambdaDLQ": "Invoked only by its SQS event source mapping; failed "
                "messages go to the email queue's own dead-letter queue (redrive policy)",
            },
        )

        self.email_queue = EmailQueue(
            self,
            "EmailQueue",
            consumer=email_worker.alias,
            consumer_timeout=Duration.seconds(settings.email_worker.timeout_seconds),
            max_concurrency=settings.email_worker.max_concurrency,
        )
        tasks.function.add_environment("EMAIL_QUEUE_URL", self.email_queue.queue.queue_url)

        # Grants: each role gets the calls its code makes, on its own resources only.
        for database_function in (tasks, profile):
            self._grant_database_secret(database_function.role, database_secret_arn)
        for api_function in (tasks, profile):
            iam.Grant.add_to_principal(
                grantee=api_function.role,
                actions=list(READ_SECRET_ACTIONS),
                resource_arns=[origin_verify_arn],
            )
        idempotency_table.grant(tasks.role, *IDEMPOTENCY_ACTIONS)
        self.email_queue.queue.grant(tasks.role, *ENQUEUE_ACTIONS)
        idempotency_table.grant(email_worker.role, *IDEMPOTENCY_ACTIONS)
        self.sender_identity = SenderIdentity(
            self,
            "SenderIdentity",
            sender=settings.sender_email,
            identity=settings.ses_identity_arn or settings.ses_identity_name,
            retain=protect_data,
        )
        self.sender_identity.grant_send(email_worker.role)

        self.api = StranglerHttpApi(
            self,
            "HttpApi",
            routes=table.routes,
            services={name: function.alias for name, function in self.functions.items()},
            legacy_origin_domain=settings.legacy_origin_domain,
            user_pool=user_pool,
            user_pool_client=user_pool_client,
            required_scope=api_scope,
            throttle_rate_limit=settings.throttle_rate_limit,
            throttle_burst_limit=settings.throttle_burst_limit,
            access_log_retention=retention_days(settings.access_log_retention_days),
            retain_access_logs=protect_data,
        )
        self.http_api = self.api.http_api
        self.api_domain_name: str = self.api.domain_name
        # Read by `make smoke` from the deploy's outputs file (e.g. /api/health answers 200).
        CfnOutput(
            self,
            "ApiEndpoint",
            value=self.http_api.api_endpoint,
            description="HTTP API base URL (reach it through CloudFront in production)",
        )

    def _grant_database_secret(self, role: iam.IRole, secret_arn: str) -> None:
        iam.Grant.add_to_principal(
            grantee=role, actions=list(READ_SECRET_ACTIONS), resource_arns=[secret_arn]
        )
        if self._settings.tasks_db_secret_kms_key_arn is not None:
            # A secret under a customer managed key: decrypt through Secrets Manager only.
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self._settings.tasks_db_secret_kms_key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"
                        }
                    },
                )
            )

    def _function(
        self,
        service: str,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: dict[str, str],
        pre_traffic_hook: PreTrafficHook | None,
        reserved_concurrency: int | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: tuple[ec2.ISecurityGroup, ...] | list[ec2.ISecurityGroup] = (),
    ) -> CanaryFunction:
        settings = self._settings
        function_settings = getattr(settings, service)
        return CanaryFunction(
            self,
            construct_id,
            code=code,
            handler=self._routes.service_handlers[service],
            description=f"Taskly {service} service",
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": settings.log_level,
                **environment,
            },
            memory_size=function_settings.memory_mb,
            timeout=Duration.seconds(function_settings.timeout_seconds),
            reserved_concurrency=reserved_concurrency,
            deployment_config=deployment_config(settings.deployment_config),
            log_retention=retention_days(settings.log_retention_days),
            log_level=_lambda_log_level(settings.log_level),
            # A changed level was reported as not applied after the first deploy
            # (aws/aws-cdk#34337, closed unreproduced): check LoggingConfig after changing it.
            system_log_level=lambda_.SystemLogLevel(settings.system_log_level),
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=list(security_groups),
            pre_traffic_hook=pre_traffic_hook,
            snap_start=settings.snap_start,
        )


def deployment_config(name: str) -> codedeploy.ILambdaDeploymentConfig:
    """The predefined config ``name`` (a ``LambdaDeploymentConfig`` attribute name)."""
    config: codedeploy.ILambdaDeploymentConfig = getattr(codedeploy.LambdaDeploymentConfig, name)
    return config


def _lambda_log_level(level: str) -> str:
    """Powertools' level name as Lambda's log filter spells it."""
    return {"WARNING": "WARN"}.get(level, level)


def _smoke_event(table: RouteTable, service: str, scope: str) -> dict[str, Any]:
    """An HTTP API (payload 2.0) request a signed-in user could send to ``service``.

    A read: the first GET of the service without path parameters, preferring one that needs
    a user (it reaches the service's data store). The claims are what the JWT authorizer
    would have verified; the pre-traffic hook invokes the version directly.
    """
    candidates = [
        route
        for route in table.routes
        if route.service == service and route.method == "GET" and "{" not in route.path
    ]
    if not candidates:
        raise ValueError(f"service {service!r} has no GET route to smoke-test")
    route: TableRoute = sorted(candidates, key=lambda candidate: candidate.public)[0]
    claims = {"sub": SMOKE_TEST_USER, "scope": scope, "token_use": "access"}
    jwt = {"claims": claims, "scopes": [scope]}
    return {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": route.path,
        "rawQueryString": "",
        "headers": {"user-agent": "codedeploy-pre-traffic-hook"},
        "requestContext": {
            "apiId": "pre-traffic-hook",
            "domainName": "pre-traffic-hook.invalid",
            "http": {
                "method": route.method,
                "path": route.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "codedeploy-pre-traffic-hook",
            },
            "requestId": "codedeploy-smoke-test",
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "time": "01/Jan/2025:00:00:00 +0000",
            "timeEpoch": 1735689600000,
            **({} if route.public else {"authorizer": {"jwt": jwt}}),
        },
        "isBase64Encoded": False,
    }
