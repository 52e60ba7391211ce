"""Each preflight check, passing and failing, through the real CLI (argparse, boto3 over HTTP).

The account is a moto server on localhost (tests/preflight/moto_account.py). Three calls moto
does not implement are answered by a botocore Stubber with AWS's documented response shape
(the Stubber validates it against botocore's service model): Lambda ``GetAccountSettings``,
SES v2 ``GetAccount`` and a non-empty DocumentDB ``DescribeOrderableDBInstanceOptions``.
Those tests do not prove how AWS fills the values for a given account, nor the permissions
the call needs; the failing DocumentDB case is moto's own (empty) answer over HTTP.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stacks.config import stage_config
from tests.preflight.conftest import READY_CONTEXT, SENDER_DOMAIN, Run, Stubs, stub_hook
from tests.preflight.moto_account import ACCOUNT, REGION, MotoAccount, bootstrap, ready
from tests.preflight.tls_origin import Origin, certificate_for
from tools.ops.preflight.checks import Target, check_cognito_domain, reserved_concurrency
from tools.ops.preflight.cli import load_config
from tools.ops.preflight.report import Result, Status

Preflight = Callable[..., Run]
ZONES = [{"Name": f"{REGION}{z}"} for z in "abc"]


def account_stubs(
    *,
    limit: int = 1000,
    unreserved: int = 1000,
    production: bool = True,
    sending: bool = True,
    zones: list[dict[str, str]] | None = None,
) -> Stubs:
    """The three answers moto lacks, in the shape botocore's models define."""
    orderable = [
        {
            "Engine": "docdb",
            "EngineVersion": "5.0.0",
            "DBInstanceClass": "db.serverless",
            "LicenseModel": "na",
            "AvailabilityZones": ZONES if zones is None else zones,
            "Vpc": True,
        }
    ]
    return {
        "lambda": [
            (
                "get_account_settings",
                {
                    "AccountLimit": {
                        "ConcurrentExecutions": limit,
                        "UnreservedConcurrentExecutions": unreserved,
                    },
                    "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
                },
            )
        ],
        "sesv2": [
            (
                "get_account",
                {
                    "ProductionAccessEnabled": production,
                    "SendingEnabled": sending,
                    "EnforcementStatus": "HEALTHY",
                    "SendQuota": {
                        "Max24HourSend": 50000.0 if production else 200.0,
                        "MaxSendRate": 14.0,
                        "SentLast24Hours": 0.0,
                    },
                },
            )
        ],
        "docdb": [
            (
                "describe_orderable_db_instance_options",
                {"OrderableDBInstanceOptions": orderable},
                {
                    "Engine": "docdb",
                    "EngineVersion": "5.0.0",
                    "DBInstanceClass": "db.serverless",
                },
            )
        ],
    }


@pytest.fixture
def ready_account(account: MotoAccount) -> MotoAccount:
    ready(account, sender_domain=SENDER_DOMAIN)
    return account


def test_a_ready_account_passes_every_check(
    ready_account: MotoAccount, preflight: Preflight, trusted_origin: Origin
) -> None:
    result = preflight(
        *READY_CONTEXT, *trusted_origin.connect_to(), hook=stub_hook(account_stubs())
    )
    assert result.code == 0, result.out
    assert result.out.startswith(f"preflight dev: account {ACCOUNT}, region {REGION}\n")
    assert "✗" not in result.out
    for check in (
        "credentials",
        "region",
        "placeholders",
        "cdk bootstrap",
        "lambda concurrency",
        "ses identity",
        "ses sending",
        "cognito domain",
        "documentdb",
        "budgets",
        "legacy origin",
    ):
        assert result.line(check).startswith("✓"), result.line(check)
    assert result.line("certificate").startswith("-")
    assert result.line("waf web acl").startswith("-")
    assert result.out.endswith("ready to deploy.\n")
    assert result.err == ""


class TestCredentialsAndRegion:
    def test_the_account_the_deploy_will_use_is_reported(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(hook=stub_hook(account_stubs()))
        assert (
            f"in account {ACCOUNT} (the stage sets none: the deploy uses the credentials' account)"
            in result.line("credentials")
        )
        assert result.line("region") == (
            f"✓ region              {REGION} (the stage sets none: the deploy uses this one)"
        )

    def test_credentials_of_another_account_fail(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight("-c", "account=111111111111")
        assert result.code == 1
        assert result.line("credentials").startswith("✗")
        assert f"is in account {ACCOUNT}, but stage dev deploys to 111111111111" in result.out
        assert "use credentials for account 111111111111" in result.fix("credentials")
        # Nothing else is read with the wrong account's credentials.
        assert result.line("cdk bootstrap").startswith("- cdk bootstrap")

    def test_the_stage_region_wins_over_the_environment(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight("-c", f"region={REGION}", "-c", f"account={ACCOUNT}")
        assert "(set by the stage)" in result.line("region")
        assert f"the stage's account {ACCOUNT}" in result.line("credentials")

    def test_no_credentials_is_one_line_not_a_traceback(
        self, account: MotoAccount, preflight: Preflight, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name)
        result = preflight()
        assert result.code == 1
        assert result.line("credentials") == (
            "✗ credentials         no working AWS credentials (Unable to locate credentials)"
        )
        assert "Traceback" not in result.out + result.err

    def test_no_region_anywhere_fails(
        self, account: MotoAccount, preflight: Preflight, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("AWS_REGION")
        monkeypatch.delenv("AWS_DEFAULT_REGION")
        result = preflight()
        assert result.code == 1
        assert result.line("region").startswith("✗ region")
        assert "export AWS_REGION=<region>" in result.fix("region")


class TestLookupRole:
    def test_ci_reads_through_the_bootstrap_lookup_role(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight("--via-lookup-role")
        role = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-lookup-role-{ACCOUNT}-{REGION}"
        assert result.line("lookup role") == (
            f"✓ lookup role         reading the account through {role}"
        )
        assert result.line("cdk bootstrap").startswith("✓")

    def test_a_role_that_cannot_be_assumed_stops_the_account_checks(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        """Stubber: moto lets anyone assume any role; AccessDenied is STS's real answer."""
        identity = {"UserId": "AROA", "Account": ACCOUNT, "Arn": f"arn:aws:sts::{ACCOUNT}:x/y"}
        hook = stub_hook(
            {"sts": [("get_caller_identity", identity)]},
            errors={"sts": ("assume_role", "AccessDenied", "not authorized to assume")},
        )
        result = preflight("--via-lookup-role", hook=hook)
        assert result.line("lookup role").startswith("✗ lookup role         cannot assume")
        assert "(An error occurred (AccessDenied) when calling the AssumeRole operation" in (
            result.line("lookup role")
        )
        assert "version 8 or later creates the role" in result.fix("lookup role")
        assert result.line("cdk bootstrap").startswith("- ")
        assert result.code == 1


class TestBootstrap:
    def test_missing_bootstrap_stack(self, account: MotoAccount, preflight: Preflight) -> None:
        result = preflight()
        assert result.line("cdk bootstrap").endswith(f"no CDKToolkit stack in {ACCOUNT}/{REGION}")
        assert result.fix("cdk bootstrap") == (
            f"npx cdk bootstrap aws://{ACCOUNT}/{REGION} --qualifier hnb659fds"
        )

    def test_another_qualifier(self, account: MotoAccount, preflight: Preflight) -> None:
        bootstrap(account, qualifier="other1")
        result = preflight()
        assert "has qualifier other1, cdk.json expects hnb659fds" in result.line("cdk bootstrap")
        assert '"@aws-cdk/core:bootstrapQualifier": "other1"' in result.fix("cdk bootstrap")
        # The same account passes when cdk.json's qualifier is given, as cdk would read it.
        again = preflight("-c", "@aws-cdk/core:bootstrapQualifier=other1")
        assert again.line("cdk bootstrap").startswith("✓")
        assert "qualifier other1" in again.line("cdk bootstrap")

    def test_too_old_a_version(self, account: MotoAccount, preflight: Preflight) -> None:
        bootstrap(account, version=6)
        result = preflight()
        assert "CDKToolkit (CREATE_COMPLETE) is version 6, 8 or later needed" in result.line(
            "cdk bootstrap"
        )
        assert "(upgrades it in place)" in result.fix("cdk bootstrap")

    def test_a_renamed_bootstrap_stack_is_found_by_its_version_parameter(
        self, account: MotoAccount, preflight: Preflight
    ) -> None:
        bootstrap(account, stack_name="OurToolkit")
        result = preflight()
        assert result.line("cdk bootstrap") == (
            "✓ cdk bootstrap       /cdk-bootstrap/hnb659fds/version: version 30, "
            "qualifier hnb659fds"
        )
        named = preflight("--toolkit-stack-name", "OurToolkit")
        assert named.line("cdk bootstrap") == (
            "✓ cdk bootstrap       OurToolkit (CREATE_COMPLETE): version 30, qualifier hnb659fds"
        )

    def test_a_named_toolkit_stack_that_does_not_exist(
        self, account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight("--toolkit-stack-name", "Mine")
        assert "no Mine stack" in result.line("cdk bootstrap")
        assert result.fix("cdk bootstrap").endswith("--toolkit-stack-name Mine")


class TestPlaceholders:
    def test_each_placeholder_is_one_line_with_where_to_set_it(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(hook=stub_hook(account_stubs()))
        assert result.code == 1
        lines = [line for line in result.out.splitlines() if line.startswith("✗ placeholder ")]
        fields = [line.split()[2] for line in lines]
        assert fields == [
            "network.nat_instance_ami",
            "auth.callback_urls",
            "auth.logout_urls",
            "compute.legacy_origin_domain",
            "compute.sender_email",
            "compute.ses_identity",
            "ops.alarm_emails",
        ]
        fixes = [line.split("fix: ")[1] for line in result.out.splitlines() if "fix: set " in line]
        assert fixes[3] == (
            "set legacy_origin_domain under [compute] in config/dev.toml to the DNS name of the "
            'legacy API (serves every route not migrated yet) (now "legacy-dev.taskly.example.com"'
            "), or for one run: -c taskly:compute.legacy_origin_domain=legacy.yourcompany.com"
        )
        assert len(fixes) == 7
        # what needs those values waits for them instead of failing a second time
        assert result.line("ses identity") == (
            "- ses identity        compute.sender_email is a placeholder; set it first"
        )

    def test_prod_placeholder_certificate_and_web_acl_are_not_looked_up(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(stage="prod", hook=stub_hook(account_stubs()))
        placeholders = [
            line.split()[2] for line in result.out.splitlines() if "✗ placeholder" in line
        ]
        assert {"edge.domain_name", "edge.certificate_arn", "edge.web_acl_arn"} <= set(placeholders)
        assert result.line("certificate") == (
            "- certificate         edge.domain_name is a placeholder; set it first"
        )
        assert result.line("waf web acl") == (
            "- waf web acl         edge.web_acl_arn is a placeholder; set it first"
        )


# The tasks function reserves 7 whatever the stage file says; the others as the file says.
TASKS_RESERVES_7 = {"taskly:compute.tasks.reserved_concurrency": "7"}


def reservations() -> tuple[int, str]:
    """dev's total reservation with TASKS_RESERVES_7, and how preflight lists it."""
    needed = reserved_concurrency(load_config("dev", TASKS_RESERVES_7))
    return sum(needed.values()), ", ".join(f"{name} {n}" for name, n in needed.items())


class TestLambdaConcurrency:
    args = tuple(arg for key, value in TASKS_RESERVES_7.items() for arg in ("-c", f"{key}={value}"))

    def test_a_new_account_quota_cannot_hold_the_reservations(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        total, listed = reservations()
        result = preflight(*self.args, hook=stub_hook(account_stubs(limit=10, unreserved=10)))
        assert result.line("lambda concurrency") == (
            f"✗ lambda concurrency  the stage reserves {total} ({listed}) but only 0 can be "
            "reserved (account limit 10, unreserved 10, AWS keeps 10 unreserved)"
        )
        assert result.fix("lambda concurrency").splitlines() == [
            "aws service-quotas request-service-quota-increase --service-code lambda "
            f"--quota-code L-B99A9384 --desired-value 1000 --region {REGION}",
            "or lower compute.<function>.reserved_concurrency in config/dev.toml",
        ]

    def test_reservations_fit_with_100_left_unreserved(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        total, _ = reservations()
        fits = preflight(*self.args, hook=stub_hook(account_stubs(unreserved=100 + total)))
        assert fits.line("lambda concurrency").startswith("✓")
        short = preflight(*self.args, hook=stub_hook(account_stubs(unreserved=99 + total)))
        assert f"only {total - 1} can be reserved" in short.line("lambda concurrency")

    def test_a_redeploy_counts_the_stage_reservations_already_made(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        total, _ = reservations()
        # Given the stage's Compute stack deployed, its function reserving all of them
        ready_account.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
        template = {
            "Resources": {
                "Tasks": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Runtime": "python3.13",
                        "Handler": "index.handler",
                        "Role": f"arn:aws:iam::{ACCOUNT}:role/fn",
                        "Code": {"ZipFile": "def handler(event, context): pass"},
                    },
                }
            }
        }
        cloudformation = ready_account.client("cloudformation")
        cloudformation.create_stack(
            StackName="Taskly-dev-Compute", TemplateBody=json.dumps(template)
        )
        name = cloudformation.describe_stack_resource(
            StackName="Taskly-dev-Compute", LogicalResourceId="Tasks"
        )["StackResourceDetail"]["PhysicalResourceId"]
        # and only the minimum left unreserved (those reservations already subtracted)
        stubs = account_stubs(unreserved=100)
        stubs["lambda"].append(
            (
                "get_function_concurrency",
                {"ReservedConcurrentExecutions": total},
                {"FunctionName": name},
            )
        )
        # Then updating the same reservations fits: they come back to the pool first
        result = preflight(*self.args, hook=stub_hook(stubs))
        assert result.line("lambda concurrency").startswith("✓"), result.line("lambda concurrency")

    def test_a_stage_without_reservations(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        config = load_config("dev", {})
        assert config.total_reserved_concurrency() == 0  # dev as it ships
        result = preflight(hook=stub_hook(account_stubs()))
        assert result.line("lambda concurrency") == (
            "✓ lambda concurrency  reserves none (every function on the unreserved pool); "
            "account limit 1000, unreserved 1000, AWS keeps 100 unreserved"
        )

    @pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
    def test_the_listing_adds_up_to_what_the_stage_reserves(self, stage: str) -> None:
        config = load_config(stage, TASKS_RESERVES_7)
        assert sum(reserved_concurrency(config).values()) == config.total_reserved_concurrency()

    def test_a_small_limit_that_holds_the_reservations_is_a_warning(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(*self.args, hook=stub_hook(account_stubs(limit=400, unreserved=400)))
        line = result.line("lambda concurrency")
        assert line.startswith("! lambda concurrency")
        assert "a new-account quota, every function shares 400" in line


class TestSes:
    def test_an_existing_verified_identity_by_arn(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(*READY_CONTEXT, hook=stub_hook(account_stubs()))
        assert result.line("ses identity") == (
            f"✓ ses identity        {SENDER_DOMAIN} (existing identity) is verified in {REGION}"
        )

    def test_an_arn_to_an_identity_that_does_not_exist(
        self, account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(*READY_CONTEXT)
        assert result.line("ses identity") == (
            f"✗ ses identity        {SENDER_DOMAIN} is not an SES identity in {REGION}"
        )

    def test_an_identity_the_stack_creates_is_a_warning_before_the_first_deploy(
        self, account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(*READY_CONTEXT, "-c", f"taskly:compute.ses_identity={SENDER_DOMAIN}")
        assert result.line("ses identity") == (
            f"! ses identity        the deploy creates {SENDER_DOMAIN} in {REGION}; share "
            "emails fail until it is verified"
        )
        assert "SesDkimRecord1-3" in result.fix("ses identity")

    def test_creating_an_identity_that_already_exists_would_fail_the_deploy(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(*READY_CONTEXT, "-c", f"taskly:compute.ses_identity={SENDER_DOMAIN}")
        assert result.line("ses identity") == (
            f"✗ ses identity        {SENDER_DOMAIN} already exists in {REGION} outside this "
            "stage: creating it again fails the deploy"
        )
        assert result.fix("ses identity") == (
            f"set compute.ses_identity in config/dev.toml to "
            f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SENDER_DOMAIN} to use it"
        )

    def test_the_sandbox_is_a_clear_warning_not_a_failure(
        self, ready_account: MotoAccount, preflight: Preflight, trusted_origin: Origin
    ) -> None:
        result = preflight(
            *READY_CONTEXT,
            *trusted_origin.connect_to(),
            hook=stub_hook(account_stubs(production=False)),
        )
        assert result.code == 0, result.out
        assert result.line("ses sending").startswith(
            f"! ses sending         SES sandbox in {REGION}"
        )
        assert "put-account-details --production-access-enabled" in result.fix("ses sending")
        assert result.out.endswith("ready to deploy (1 warning(s) above).\n")

    def test_production_access_passes_and_paused_sending_fails(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        assert (
            preflight(hook=stub_hook(account_stubs()))
            .line("ses sending")
            .startswith(
                f"✓ ses sending         production access in {REGION} (50000 emails per 24 h)"
            )
        )
        paused = preflight(hook=stub_hook(account_stubs(sending=False)))
        assert "sending is paused" in paused.line("ses sending")
        assert paused.line("ses sending").startswith("✗")


class TestCognitoDomain:
    def test_available(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        result = preflight()
        assert result.line("cognito domain").startswith("✓ cognito domain      prefix taskly-dev")

    def test_taken(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        cognito = ready_account.client("cognito-idp")
        pool = cognito.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
        cognito.create_user_pool_domain(Domain="taken-prefix", UserPoolId=pool)
        result = preflight("-c", "taskly:auth.domain_prefix=taken-prefix")
        assert result.line("cognito domain").startswith(
            f"✗ cognito domain      prefix taken-prefix is taken in {REGION} ("
        )
        assert "set auth.domain_prefix in config/dev.toml" in result.fix("cognito domain")

    def test_taken_by_another_account(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        """Stubber: moto describes only its own pools (and gives them a random account id);
        Cognito describes any account's prefix with its owner, as here."""
        description = {
            "UserPoolId": f"{REGION}_AbCdEf123",
            "AWSAccountId": "999999999999",
            "Domain": f"taskly-dev-{ACCOUNT}",
            "Status": "ACTIVE",
        }
        hook = stub_hook(
            {"cognito-idp": [("describe_user_pool_domain", {"DomainDescription": description})]}
        )
        result = preflight(hook=hook)
        assert result.line("cognito domain") == (
            f"✗ cognito domain      prefix taskly-dev-{ACCOUNT} is taken in {REGION} "
            "(account 999999999999)"
        )

    def test_the_stage_own_pool_after_a_first_deploy(self, ready_account: MotoAccount) -> None:
        """moto's CloudFormation cannot create a user pool: the Auth stack's resource list
        comes from a Stubber (the shape of ListStackResources); the domain is moto's."""
        cognito = ready_account.client("cognito-idp")
        pool = cognito.create_user_pool(PoolName="taskly-dev")["UserPool"]["Id"]
        cognito.create_user_pool_domain(Domain=f"taskly-dev-{ACCOUNT}", UserPoolId=pool)
        summary = {
            "LogicalResourceId": "UserPool6BA7E5F2",
            "PhysicalResourceId": pool,
            "ResourceType": "AWS::Cognito::UserPool",
            "LastUpdatedTimestamp": datetime.now(UTC),
            "ResourceStatus": "CREATE_COMPLETE",
        }
        hook = stub_hook(
            {
                "cloudformation": [
                    (
                        "list_stack_resources",
                        {"StackResourceSummaries": [summary]},
                        {"StackName": "Taskly-dev-Auth"},
                    )
                ]
            }
        )

        def clients(service: str, region: str) -> Any:
            return hook(service, ready_account.client(service, region))

        target = Target(
            config=stage_config("dev", account=None, region=None), account=ACCOUNT, region=REGION
        )
        assert check_cognito_domain(clients, target) == Result(
            "cognito domain",
            Status.PASS,
            f"prefix taskly-dev-{ACCOUNT} already belongs to this stage's user pool {pool}",
        )


class TestDocumentDb:
    def test_not_orderable(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        # moto's own answer for docdb (empty), over HTTP
        result = preflight()
        assert result.line("documentdb").endswith(
            f"db.serverless (engine 5.0.0) is not orderable in {REGION}"
        )

    def test_orderable_in_two_or_more_zones(
        self, ready_account: MotoAccount, preflight: Preflight
    ) -> None:
        result = preflight(hook=stub_hook(account_stubs()))
        assert result.line("documentdb") == (
            f"✓ documentdb          db.serverless (engine 5.0.0) orderable in {REGION}a, "
            f"{REGION}b, {REGION}c"
        )
        one_zone = preflight(hook=stub_hook(account_stubs(zones=ZONES[:1])))
        assert "in one availability zone only" in one_zone.line("documentdb")


def _domain_context(arn: str, domain: str = "app.taskly.test") -> tuple[str, ...]:
    # A stage with a custom domain must send Cognito back to it (checked at synth).
    return (
        "-c",
        f"taskly:edge.domain_name={domain}",
        "-c",
        f"taskly:edge.certificate_arn={arn}",
        "-c",
        f'taskly:auth.callback_urls=["https://{domain}/callback"]',
        "-c",
        f'taskly:auth.logout_urls=["https://{domain}/"]',
    )


class TestCertificate:
    def test_issued_and_covering_the_domain(
        self, ready_account: MotoAccount, preflight: Preflight, tmp_path: Path
    ) -> None:
        files = certificate_for("*.taskly.test", tmp_path)
        arn = ready_account.client("acm", "us-east-1").import_certificate(
            Certificate=files.cert_file.read_bytes(),
            PrivateKey=files.key_file.read_bytes(),
            CertificateChain=files.ca_file.read_bytes(),
        )["CertificateArn"]
        result = preflight(*_domain_context(arn))
        assert result.line("certificate") == (
            "✓ certificate         ISSUED in us-east-1, covers app.taskly.test"
        )
        other = preflight(*_domain_context(arn, domain="a.b.taskly.test"))
        assert other.line("certificate").startswith(
            "✗ certificate         certificate covers *.taskly.test, not a.b.taskly.test"
        )

    def test_pending_validation(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        arn = ready_account.client("acm", "us-east-1").request_certificate(
            DomainName="app.taskly.test", ValidationMethod="DNS"
        )["CertificateArn"]
        result = preflight(*_domain_context(arn))
        assert "is PENDING_VALIDATION" in result.line("certificate")
        assert "publish the DNS validation records" in result.fix("certificate")

    def test_unknown_certificate(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        arn = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
        result = preflight(*_domain_context(arn))
        assert result.line("certificate").endswith(f"{arn} does not exist in this account")


class TestWebAcl:
    def _acl(self, account: MotoAccount, scope: str) -> str:
        return str(
            account.client("wafv2", "us-east-1").create_web_acl(
                Name="taskly",
                Scope=scope,
                DefaultAction={"Allow": {}},
                VisibilityConfig={
                    "SampledRequestsEnabled": False,
                    "CloudWatchMetricsEnabled": False,
                    "MetricName": "taskly",
                },
            )["Summary"]["ARN"]
        )

    def test_cloudfront_scope(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        arn = self._acl(ready_account, "CLOUDFRONT")
        result = preflight("-c", f"taskly:edge.web_acl_arn={arn}")
        assert result.line("waf web acl") == (
            "✓ waf web acl         taskly (CLOUDFRONT scope, us-east-1)"
        )

    def test_regional_scope(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        arn = self._acl(ready_account, "REGIONAL")
        result = preflight("-c", f"taskly:edge.web_acl_arn={arn}")
        # The stage's own validation refuses it before anything is read.
        assert (result.code, result.out) == (2, "")
        assert result.err.startswith("preflight: error: dev.edge.web_acl_arn: ")
        assert "expected a web ACL with scope CLOUDFRONT" in result.err

    def test_missing_acl(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        arn = self._acl(ready_account, "CLOUDFRONT").rsplit("/", 1)[0] + "/nope-0000"
        result = preflight("-c", f"taskly:edge.web_acl_arn={arn}")
        assert "does not exist in us-east-1" in result.line("waf web acl")


class TestBudgets:
    def test_available(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        assert preflight().line("budgets") == (
            "✓ budgets             Budgets API available (0 budget(s) in the account)"
        )

    def test_denied(self, ready_account: MotoAccount, preflight: Preflight) -> None:
        """Stubber: moto never denies; the error code is Budgets' documented one."""
        hook = stub_hook(
            {},
            errors={
                "budgets": (
                    "describe_budgets",
                    "AccessDeniedException",
                    "not authorized to perform budgets:ViewBudget",
                )
            },
        )
        result = preflight(hook=hook)
        assert result.line("budgets").startswith(
            "✗ budgets             the Budgets API is not available to these credentials"
        )
        assert "budgets:ViewBudget" in result.fix("budgets")


class TestLegacyOrigin:
    def test_answers_https_with_a_trusted_certificate(
        self, account: MotoAccount, preflight: Preflight, trusted_origin: Origin
    ) -> None:
        result = preflight(*READY_CONTEXT, *trusted_origin.connect_to())
        assert result.line("legacy origin") == (
            f"✓ legacy origin       legacy.taskly.test (via localhost:{trusted_origin.port}) "
            "answers HTTPS (HTTP 404, certificate valid for legacy.taskly.test)"
        )

    def test_an_untrusted_certificate_fails_the_handshake(
        self, account: MotoAccount, preflight: Preflight, legacy_origin: Origin
    ) -> None:
        result = preflight(*READY_CONTEXT, *legacy_origin.connect_to())
        assert "TLS handshake failed" in result.line("legacy origin")
        assert "CERTIFICATE_VERIFY_FAILED" in result.line("legacy origin")
        assert "from a public CA" in result.fix("legacy origin")

    def test_a_certificate_for_another_name_fails(
        self, account: MotoAccount, preflight: Preflight, trusted_origin: Origin
    ) -> None:
        context = [*READY_CONTEXT, "-c", "taskly:compute.legacy_origin_domain=other.taskly.test"]
        result = preflight(*context, *trusted_origin.connect_to("other.taskly.test"))
        assert "TLS handshake failed" in result.line("legacy origin")
        assert "other.taskly.test" in result.line("legacy origin")

    def test_a_closed_port(self, account: MotoAccount, preflight: Preflight) -> None:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        result = preflight(
            *READY_CONTEXT, "--connect-to", f"legacy.taskly.test:443:localhost:{port}"
        )
        assert f"nothing answers on port {port}" in result.line("legacy origin")
        assert "open TCP" in result.fix("legacy origin")

    def test_a_name_that_does_not_resolve(self, account: MotoAccount, preflight: Preflight) -> None:
        """Every name but localhost fails to resolve in these tests (conftest._no_dns), so this
        does not prove what the system resolver answers for a real unknown name."""
        result = preflight(*READY_CONTEXT)
        assert result.line("legacy origin") == (
            "✗ legacy origin       legacy.taskly.test does not resolve "
            f"([Errno {socket.EAI_NONAME}] Name or service not known)"
        )
        assert "publish a DNS record for legacy.taskly.test" in result.fix("legacy origin")

    def test_a_placeholder_is_not_probed(self, account: MotoAccount, preflight: Preflight) -> None:
        result = preflight()
        assert result.line("legacy origin") == (
            "- legacy origin       compute.legacy_origin_domain is a placeholder; set it first"
        )
