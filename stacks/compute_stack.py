"""Compute stack: one CanaryFunction per service, the strangler HTTP API, the email queue."""

from __future__ import annotations

from dataclasses import dataclass
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
from stacks import services
from stacks.config import ComputeConfig
from stacks.route_table import LAMBDA_SRC, RouteTable, TableRoute, load_route_table
from stacks.services import Service

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
    kinds = {
        "plain": PythonBundle(packages=runtime, requirements=LAMBDA_SRC / "requirements.lock"),
        "documentdb": PythonBundle(
            packages=runtime,
            requirements=LAMBDA_SRC / "requirements-docdb.lock",
            files={CA_BUNDLE_PATH: CA_BUNDLE},
        ),
    }
    return {entry.name: kinds[entry.bundle] for entry in services.SERVICES}


# Why each kind of function needs no dead-letter queue of its own (cdk-nag Serverless-LambdaDLQ).
_NO_DLQ_REASONS = {
    "http": "Invoked only synchronously, by API Gateway: the caller gets the error; a "
    "dead-letter queue applies to asynchronous calls",
    "email_queue": "Invoked only by its SQS event source mapping; failed messages go to the "
    "email queue's own dead-letter queue (redrive policy)",
}


@dataclass(frozen=True, kw_only=True)
class ComputeInputs:
    """What the Compute stack uses from the other stacks."""

    vpc: ec2.IVpc
    lambda_security_group: ec2.ISecurityGroup
    docdb_secret: secretsmanager.ISecret
    idempotency_table: dynamodb.ITable
    user_pool: cognito.IUserPool
    user_pool_client: cognito.IUserPoolClient
    api_scope: str


class ComputeStack(Stack):
    """One CanaryFunction per entry of ``stacks.services.SERVICES``.

    Exposes ``api_domain_name`` (the HTTP API's host, for the CloudFront origin), ``http_api``,
    ``functions`` (service -> CanaryFunction), ``email_queue`` and ``origin_verify`` (the secret
    CloudFront must send in ``x-origin-verify``: the API functions refuse every other caller,
    see ``taskly/api/origin.py``). ``protect_data`` retains the secret, the SES identity and
    the access logs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ComputeConfig,
        inputs: ComputeInputs,
        protect_data: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = load_route_table()
        if table.api_scope != inputs.api_scope:
            raise ValueError(
                f"the route table requires scope {table.api_scope!r} but the user pool issues "
                f"{inputs.api_scope!r}; change lambda_src/taskly/routes.py or the auth stack"
            )
        self._settings = settings
        self._inputs = inputs
        self._routes = table
        # CloudFront sends this value in x-origin-verify; direct execute-api callers lack it.
        self.origin_verify = OriginVerifySecret(self, "OriginVerify", protect_data=protect_data)
        # "New functions use the legacy database until the end": the connection secret is the
        # configured one (e.g. the legacy MongoDB's) instead of the DocumentDB cluster's.
        self._database_secret_arn = settings.tasks_db_secret_arn or inputs.docdb_secret.secret_arn
        self._hook_code = lambda_.Code.from_asset(
            str(LAMBDA_SRC / "pre_traffic_hook"), exclude=["__pycache__", "*.pyc"]
        )
        bundles = service_bundles()
        self.functions = {
            entry.name: self._service_function(entry, bundles[entry.name])
            for entry in services.SERVICES
        }
        self._email_queue(settings)
        self._grant(protect_data)
        self._http_api(table, protect_data)

    def _service_function(self, entry: Service, bundle: PythonBundle) -> CanaryFunction:
        """The function of ``entry`` with the environment its ``uses`` need."""
        settings, inputs = self._settings, self._inputs
        environment: dict[str, str] = {}
        if entry.http:
            environment["ORIGIN_VERIFY_SECRET_ARN"] = self.origin_verify.secret.secret_arn
        if "database" in entry.uses:
            # The database functions share legacy's database (tasks and preferences
            # collections): one source of truth for every piece of user data during the
            # cutover (docs/data-migration.md, "Preferences: one store").
            environment.update(
                DOCDB_SECRET_ARN=self._database_secret_arn,
                DOCDB_DATABASE=DOCDB_DATABASE,
                DOCDB_CA_FILE=CA_BUNDLE_PATH,
                # Counted in the stage's DocumentDB connection budget (StageConfig).
                DOCDB_MAX_POOL_SIZE=str(settings.function(entry.name).docdb_max_pool_size),
            )
        if "idempotency" in entry.uses:
            environment["IDEMPOTENCY_TABLE_NAME"] = inputs.idempotency_table.table_name
        if "send_email" in entry.uses:
            environment["SENDER_EMAIL"] = settings.sender_email
        in_vpc: dict[str, Any] = {}
        if entry.in_vpc:
            in_vpc = {
                "vpc": inputs.vpc,
                "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                "security_groups": [inputs.lambda_security_group],
            }
        function = self._function(
            entry,
            code=bundled_code(root=LAMBDA_SRC, bundle=bundle),
            environment=environment,
            # No smoke test for a queue consumer: any batch it fails entirely is a function
            # error, and a valid one sends mail. Its alias alarms still roll a bad version back.
            pre_traffic_hook=self._hook_for(entry.name) if entry.http else None,
            # A queue consumer's event source MaximumConcurrency caps it (EmailQueue).
            reserved_concurrency=(
                settings.function(entry.name).reserved_concurrency if entry.http else None
            ),
            **in_vpc,
        )
        acknowledge(function.function, {"Serverless-LambdaDLQ": _NO_DLQ_REASONS[entry.trigger]})
        return function

    def _hook_for(self, service: str) -> PreTrafficHook | None:
        if not self._settings.pre_traffic_hook:
            return None
        # The smoke request must pass the origin check like CloudFront's requests do.
        return PreTrafficHook(
            code=self._hook_code,
            event=_smoke_event(self._routes, service, self._inputs.api_scope),
            secret_header=(self.origin_verify.header_name, self.origin_verify.secret),
        )

    def _email_queue(self, settings: ComputeConfig) -> None:
        """The email queue, consumed by the one ``email_queue`` service."""
        (consumer,) = (e for e in services.SERVICES if e.trigger == "email_queue")
        worker = settings.worker(consumer.name)
        self.email_queue = EmailQueue(
            self,
            "EmailQueue",
            consumer=self.functions[consumer.name].alias,
            consumer_timeout=Duration.seconds(worker.timeout_seconds),
            max_concurrency=worker.max_concurrency,
        )

    def _grant(self, protect_data: bool) -> None:
        """Each role gets the calls its code makes, on its own resources only."""
        self.sender_identity = SenderIdentity(
            self,
            "SenderIdentity",
            sender=self._settings.sender_email,
            identity=self._settings.ses_identity_arn or self._settings.ses_identity_name,
            protect_data=protect_data,
        )
        for entry in services.SERVICES:
            function = self.functions[entry.name]
            if "database" in entry.uses:
                self._grant_database_secret(function.role, self._database_secret_arn)
            if entry.http:
                iam.Grant.add_to_principal(
                    grantee=function.role,
                    actions=list(READ_SECRET_ACTIONS),
                    resource_arns=[self.origin_verify.secret.secret_arn],
                )
            if "idempotency" in entry.uses:
                self._inputs.idempotency_table.grant(function.role, *IDEMPOTENCY_ACTIONS)
            if "email_queue" in entry.uses:
                function.function.add_environment(
                    "EMAIL_QUEUE_URL", self.email_queue.queue.queue_url
                )
                self.email_queue.queue.grant(function.role, *ENQUEUE_ACTIONS)
            if "send_email" in entry.uses:
                self.sender_identity.grant_send(function.role)

    def _http_api(self, table: RouteTable, protect_data: bool) -> None:
        settings, inputs = self._settings, self._inputs
        self.api = StranglerHttpApi(
            self,
            "HttpApi",
            routes=table.routes,
            services={name: function.alias for name, function in self.functions.items()},
            legacy_origin_domain=settings.legacy_origin_domain,
            user_pool=inputs.user_pool,
            user_pool_client=inputs.user_pool_client,
            required_scope=inputs.api_scope,
            throttle_rate_limit=settings.throttle_rate_limit,
            throttle_burst_limit=settings.throttle_burst_limit,
            access_log_retention=retention_days(settings.access_log_retention_days),
            protect_data=protect_data,
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
        entry: Service,
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
        function_settings = settings.functions[entry.name]
        return CanaryFunction(
            self,
            entry.construct_id,
            code=code,
            handler=entry.handler,
            description=f"Taskly {entry.name} service",
            environment={
                "POWERTOOLS_SERVICE_NAME": entry.name,
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
            snap_start=settings.snap_start and entry.snap_start,
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
