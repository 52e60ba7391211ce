"""The checks: each reads the account with the deploying credentials and returns one Result.

Every check is read-only. A check whose API call fails reports the error as its ✗ instead of
stopping the run, so one missing permission does not hide the other findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from stacks.config import (
    ACCOUNT_PLACEHOLDER,
    CONFIG_DIR,
    FunctionSettings,
    StageConfig,
    config_file,
    find_placeholders,
)
from tools.ops.preflight.report import Result, failed, passed, skipped, warned

# (service, region) -> boto3 client
Clients = Callable[[str, str], Any]

# The CloudFormation templates' CheckBootstrapVersion rule asks for 6 (deploying); the cloud
# assembly asks for 8 for the lookup role, which `cdk diff`, the pull-request report and the
# CI tools read through. tests/infra/test_preflight_assumptions.py compares this number with
# what the pinned aws-cdk-lib synthesizes.
REQUIRED_BOOTSTRAP_VERSION = 8
DEFAULT_QUALIFIER = "hnb659fds"
DEFAULT_TOOLKIT_STACK = "CDKToolkit"
# cdk_constructs/document_db.py; the same test compares it with the synthesized cluster.
DOCDB_ENGINE_VERSION = "5.0.0"
# Lambda refuses a reservation that would leave fewer unreserved executions than this, or than
# the whole limit when that is lower: accounts whose quota is still 10 or 50 are refused any
# reservation ("minimum value of [10]", aws-samples/one-observability-demo#278,
# awslabs/amazon-neptune-tools#324).
MIN_UNRESERVED_CONCURRENCY = 100
DEFAULT_CONCURRENCY_LIMIT = 1000
LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"  # Service Quotas: Lambda "Concurrent executions"
CLOUDFRONT_REGION = "us-east-1"
# cdk_constructs/dms_account_roles.py and stacks/dms_account_roles_stack.py (not imported:
# preflight does not load aws_cdk); tests/preflight/test_dms_roles.py compares them.
DMS_VPC_ROLE_NAME = "dms-vpc-role"
DMS_LOGS_ROLE_NAME = "dms-cloudwatch-logs-role"
DMS_ROLES_STACK = "Taskly-DmsAccountRoles"
STABLE_STACK_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


def stage_file(stage: str) -> str:
    """The stage's data file as a fork sees it (config/<stage>.toml)."""
    return f"{CONFIG_DIR.name}/{config_file(stage).name}"


@dataclass(frozen=True)
class Target:
    """Where the deploy goes: the stage's values plus what the credentials resolved."""

    config: StageConfig
    account: str
    region: str
    qualifier: str = DEFAULT_QUALIFIER
    toolkit_stack: str = DEFAULT_TOOLKIT_STACK

    @property
    def config_source(self) -> str:
        """Where the stage's values are edited, for fix lines."""
        return stage_file(self.config.name)

    def bootstrap_command(self) -> str:
        command = (
            f"npx cdk bootstrap aws://{self.account}/{self.region} --qualifier {self.qualifier}"
        )
        if self.toolkit_stack != DEFAULT_TOOLKIT_STACK:
            command += f" --toolkit-stack-name {self.toolkit_stack}"
        return command


def api_error(check: str, error: Exception, action: str) -> Result:
    """A failed AWS call as one ✗ line: the error code and message, never a traceback."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        text = f"{info.get('Code', 'Error')}: {info.get('Message', '')}".strip(": ")
        if info.get("Code") in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return failed(
                check,
                f"{action} was denied ({text})",
                f"allow {action} for these credentials, or run preflight with --via-lookup-role "
                "(the bootstrap lookup role can read it)",
            )
    else:
        text = str(error).splitlines()[0]
    return failed(
        check, f"{action} failed: {text}", "check the credentials and network, then retry"
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _bootstrap_version_parameter(clients: Clients, target: Target) -> str | None:
    """The version `cdk bootstrap` wrote for this qualifier, None if it never ran with it.

    The templates' CheckBootstrapVersion rule reads this parameter, not the stack's output,
    so a renamed bootstrap stack works too (aws/aws-cdk#12594).
    """
    try:
        parameter = clients("ssm", target.region).get_parameter(
            Name=f"/cdk-bootstrap/{target.qualifier}/version"
        )
    except ClientError as error:
        if _code(error) == "ParameterNotFound":
            return None
        raise
    return str(parameter["Parameter"]["Value"])


def check_bootstrap(clients: Clients, target: Target) -> Result:  # noqa: PLR0911
    check = "cdk bootstrap"
    parameter = f"/cdk-bootstrap/{target.qualifier}/version"
    try:
        from_parameter = _bootstrap_version_parameter(clients, target)
        stacks = clients("cloudformation", target.region).describe_stacks(
            StackName=target.toolkit_stack
        )["Stacks"]
    except ClientError as error:
        if not (_code(error) == "ValidationError" and "does not exist" in _message(error)):
            return api_error(check, error, "cloudformation:DescribeStacks, ssm:GetParameter")
        if from_parameter is None:
            return failed(
                check,
                f"no {target.toolkit_stack} stack in {target.account}/{target.region}",
                target.bootstrap_command(),
            )
        stacks = []
    except BotoCoreError as error:
        return api_error(check, error, "cloudformation:DescribeStacks, ssm:GetParameter")
    stack = stacks[0] if stacks else {}
    status = stack.get("StackStatus", "?")
    if stack and status not in STABLE_STACK_STATUSES:
        return failed(
            check,
            f"{target.toolkit_stack} is {status}",
            "wait for it, or fix it in the CloudFormation console, then run "
            + target.bootstrap_command(),
        )
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    qualifier = parameters.get("Qualifier") or DEFAULT_QUALIFIER
    if stack and qualifier != target.qualifier and from_parameter is None:
        return failed(
            check,
            f"{target.toolkit_stack} has qualifier {qualifier}, "
            f"cdk.json expects {target.qualifier}",
            target.bootstrap_command(),
            f'or set "@aws-cdk/core:bootstrapQualifier": "{qualifier}" in cdk.json',
        )
    outputs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
    raw_version = from_parameter or outputs.get("BootstrapVersion")
    version = int(raw_version) if raw_version and raw_version.isdigit() else 0
    source = f"{target.toolkit_stack} ({status})" if stack else parameter
    if version < REQUIRED_BOOTSTRAP_VERSION:
        return failed(
            check,
            f"{source} is version {raw_version or 'unknown'}, "
            f"{REQUIRED_BOOTSTRAP_VERSION} or later needed",
            f"{target.bootstrap_command()}  (upgrades it in place)",
        )
    return passed(check, f"{source}: version {version}, qualifier {target.qualifier}")


def reserved_concurrency(config: StageConfig) -> dict[str, int]:
    """The stage's reservations per function (only those that reserve any)."""
    return {
        name: value.reserved_concurrency
        for name, value in config.compute.functions.items()
        if isinstance(value, FunctionSettings) and value.reserved_concurrency
    }


def _stack_physical_ids(clients: Clients, target: Target, component: str, kind: str) -> list[str]:
    """Physical ids of ``kind`` resources in the stage's deployed stack ([] before a deploy)."""
    return _physical_ids(clients, target, target.config.stack_name(component), kind)


def _physical_ids(clients: Clients, target: Target, stack_name: str, kind: str) -> list[str]:
    """Physical ids of ``kind`` resources in the deployed stack ``stack_name`` ([] if none)."""
    cloudformation = clients("cloudformation", target.region)
    ids: list[str] = []
    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack_name
        ):
            ids.extend(
                summary["PhysicalResourceId"]
                for summary in page["StackResourceSummaries"]
                if summary["ResourceType"] == kind and summary.get("PhysicalResourceId")
            )
    except ClientError as error:
        if _code(error) == "ValidationError" and "does not exist" in _message(error):
            return []
        raise
    return ids


def check_lambda_concurrency(clients: Clients, target: Target) -> Result:
    check = "lambda concurrency"
    needed = reserved_concurrency(target.config)
    lambda_client = clients("lambda", target.region)
    try:
        limits = lambda_client.get_account_settings()["AccountLimit"]
        # On a redeploy the stage's own reservations are already subtracted from the
        # unreserved pool; they come back when CloudFormation updates those functions.
        ours = sum(
            lambda_client.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions", 0
            )
            for name in _stack_physical_ids(clients, target, "Compute", "AWS::Lambda::Function")
        )
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "lambda:GetAccountSettings")
    limit = int(limits["ConcurrentExecutions"])
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    keep = min(MIN_UNRESERVED_CONCURRENCY, limit)
    available = unreserved + ours - keep
    total = target.config.total_reserved_concurrency()
    wanted = ", ".join(f"{name} {count}" for name, count in needed.items())
    quota_fix = (
        "aws service-quotas request-service-quota-increase --service-code lambda "
        f"--quota-code {LAMBDA_CONCURRENCY_QUOTA} --desired-value "
        f"{max(DEFAULT_CONCURRENCY_LIMIT, limit + total - available)} --region {target.region}"
    )
    accounting = f"account limit {limit}, unreserved {unreserved}, AWS keeps {keep} unreserved"
    if total > max(available, 0):
        return failed(
            check,
            f"the stage reserves {total} ({wanted}) but only {max(available, 0)} can be "
            f"reserved ({accounting})",
            quota_fix,
            f"or lower compute.<function>.reserved_concurrency in {target.config_source}",
        )
    detail = (
        f"reserves {total} ({wanted}); {accounting}"
        if total
        else f"reserves none (every function on the unreserved pool); {accounting}"
    )
    if limit < DEFAULT_CONCURRENCY_LIMIT:
        return warned(
            check,
            f"{detail}: a new-account quota, every function shares {limit} concurrent executions",
            quota_fix,
        )
    return passed(check, detail)


def check_ses_identity(clients: Clients, target: Target) -> Result:  # noqa: PLR0911
    """The identity that authorizes the sender: created by the Compute stack, or an ARN.

    CloudFormation cannot create an identity that already exists (the create call fails and
    the stack rolls back), so an existing identity outside the stage must be given by ARN.
    """
    check = "ses identity"
    compute = target.config.compute
    name = compute.ses_identity_name
    try:
        attributes = clients("ses", target.region).get_identity_verification_attributes(
            Identities=[name]
        )["VerificationAttributes"]
        status = attributes.get(name, {}).get("VerificationStatus")
        ours = status is not None and name in _stack_physical_ids(
            clients, target, "Compute", "AWS::SES::EmailIdentity"
        )
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "ses:GetIdentityVerificationAttributes")
    publish = (
        "click the link SES mails to it"
        if "@" in name
        else "publish the three DKIM CNAME records (the Compute stack's outputs SesDkimRecord1-3)"
    )
    if compute.ses_identity_arn is not None:
        if status == "Success":
            return passed(check, f"{name} (existing identity) is verified in {target.region}")
        return failed(
            check,
            f"{name} is {status or 'not an SES identity'} in {target.region}",
            f"create or verify it in {target.region}, or leave compute.ses_identity out of "
            f"{target.config_source} so the stack creates the identity",
        )
    if status is None:
        return warned(
            check,
            f"the deploy creates {name} in {target.region}; share emails fail until it is verified",
            f"after the deploy, {publish}",
        )
    if not ours:
        return failed(
            check,
            f"{name} already exists in {target.region} outside this stage: creating it again "
            "fails the deploy",
            f"set compute.ses_identity in {target.config_source} to "
            f"arn:aws:ses:{target.region}:{target.account}:identity/{name} to use it",
        )
    if status == "Success":
        return passed(check, f"{name} (this stage's identity) is verified in {target.region}")
    return warned(check, f"{name} (this stage's identity) is {status}", publish)


def check_ses_account(clients: Clients, target: Target) -> Result:
    check = "ses sending"
    try:
        account = clients("sesv2", target.region).get_account()
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "ses:GetAccount")
    if not account.get("SendingEnabled", True):
        return failed(
            check,
            f"sending is paused for this account in {target.region} "
            f"(enforcement {account.get('EnforcementStatus', '?')})",
            "see the SES console's reputation page; resume with aws sesv2 "
            f"put-account-sending-attributes --sending-enabled --region {target.region}",
        )
    if account.get("ProductionAccessEnabled"):
        quota = account.get("SendQuota", {}).get("Max24HourSend", 0)
        return passed(check, f"production access in {target.region} ({quota:g} emails per 24 h)")
    return warned(
        check,
        f"SES sandbox in {target.region}: share emails reach only verified addresses, 200 per 24 h",
        "request production access: aws sesv2 put-account-details --production-access-enabled "
        f"--mail-type TRANSACTIONAL --website-url https://YOUR-SITE --region {target.region}",
    )


def check_cognito_domain(clients: Clients, target: Target) -> Result:
    check = "cognito domain"
    # Loaded without an account, the prefix still holds {account}: the deploy fills it in.
    prefix = target.config.auth.domain_prefix.replace(ACCOUNT_PLACEHOLDER, target.account)
    try:
        description = clients("cognito-idp", target.region).describe_user_pool_domain(
            Domain=prefix
        )["DomainDescription"]
        owner = description.get("UserPoolId")
        ours = owner and owner in _stack_physical_ids(
            clients, target, "Auth", "AWS::Cognito::UserPool"
        )
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "cognito-idp:DescribeUserPoolDomain")
    # Empty for a free prefix; a prefix of any account's pool is described, owner included.
    if not any(description.get(key) for key in ("Domain", "UserPoolId", "AWSAccountId")):
        return passed(check, f"prefix {prefix} is available in {target.region}")
    if ours:
        return passed(check, f"prefix {prefix} already belongs to this stage's user pool {owner}")
    account = description.get("AWSAccountId")
    holder = f"user pool {owner}" if account in (None, target.account) else f"account {account}"
    return failed(
        check,
        f"prefix {prefix} is taken in {target.region} ({holder})",
        f"set auth.domain_prefix in {target.config_source} to a prefix nobody uses "
        "(unique per region across all AWS customers)",
    )


def check_docdb(clients: Clients, target: Target) -> Result:
    check = "documentdb"
    instance_class = f"db.{target.config.data.docdb_instance_class}"
    try:
        options = clients("docdb", target.region).describe_orderable_db_instance_options(
            Engine="docdb", EngineVersion=DOCDB_ENGINE_VERSION, DBInstanceClass=instance_class
        )["OrderableDBInstanceOptions"]
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "rds:DescribeOrderableDBInstanceOptions")
    zones = sorted(
        {zone["Name"] for option in options for zone in option.get("AvailabilityZones", [])}
    )
    if not options:
        return failed(
            check,
            f"{instance_class} (engine {DOCDB_ENGINE_VERSION}) is not orderable in {target.region}",
            "deploy the stage to a region that offers DocumentDB serverless, or set "
            f"data.docdb_instance_class in {target.config_source} to a provisioned class",
        )
    if 0 < len(zones) < 2:
        return failed(
            check,
            f"{instance_class} is orderable in one availability zone only ({zones[0]}); the "
            "cluster's subnet group spans two",
            "deploy the stage to another region",
        )
    where = f" in {', '.join(zones)}" if zones else ""
    return passed(check, f"{instance_class} (engine {DOCDB_ENGINE_VERSION}) orderable{where}")


def _existing_roles(clients: Clients, target: Target, names: tuple[str, ...]) -> list[str]:
    iam = clients("iam", target.region)
    found = []
    for name in names:
        try:
            iam.get_role(RoleName=name)
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
            continue
        found.append(name)
    return found


def check_dms_account_roles(clients: Clients, target: Target) -> Result:
    """dms-vpc-role and dms-cloudwatch-logs-role, which a Migration stack needs to exist.

    They have fixed names, one per account, so a create fails where they exist; and DMS
    refuses the replication subnet group until dms-vpc-role has propagated, so they are
    created by their own earlier deploy (make deploy-dms-roles), never by the stage's.
    """
    check = "dms account roles"
    settings = target.config.migration
    if not settings.enabled:
        return skipped(check, "no Migration stack (migration.enabled is false)")
    wanted = (DMS_VPC_ROLE_NAME, DMS_LOGS_ROLE_NAME)
    try:
        present = _existing_roles(clients, target, wanted)
        ours = set(_physical_ids(clients, target, DMS_ROLES_STACK, "AWS::IAM::Role"))
    except (ClientError, BotoCoreError) as error:
        return api_error(check, error, "iam:GetRole, cloudformation:ListStackResources")
    missing = [name for name in wanted if name not in present]
    foreign = [name for name in present if name not in ours]
    deploy_roles = f"make deploy-dms-roles STAGE={target.config.name}"
    if settings.create_account_roles and foreign:
        return failed(
            check,
            f"{', '.join(foreign)} already exist(s) outside {DMS_ROLES_STACK}: "
            f"{deploy_roles} would fail with 'already exists'",
            f"set migration.create_account_roles = false in {target.config_source} "
            "(the stage uses the account's roles)",
        )
    if missing and settings.create_account_roles:
        return failed(
            check,
            f"{', '.join(missing)} not created yet; the Migration stack's subnet group "
            "needs dms-vpc-role to exist and have propagated",
            f"{deploy_roles}, then deploy the stage (a separate, earlier deploy: the stage's "
            "own never creates them)",
        )
    if missing:
        return failed(
            check,
            f"{', '.join(missing)} missing and migration.create_account_roles is false",
            f"set migration.create_account_roles = true in {target.config_source} and run "
            f"{deploy_roles}",
        )
    source = DMS_ROLES_STACK if not foreign else "the account's own"
    return passed(check, f"{', '.join(wanted)} exist ({source})")


def covers(names: list[str], domain: str) -> bool:
    """Certificate name matching: exact, or a wildcard for exactly one leftmost label."""
    for name in (n.lower() for n in names):
        if name == domain:
            return True
        if name.startswith("*.") and domain.split(".", 1)[-1] == name[2:] and "." in domain:
            return True
    return False


def check_certificate(clients: Clients, target: Target) -> Result:  # noqa: PLR0911
    check = "certificate"
    arn, domain = target.config.edge.certificate_arn, target.config.edge.domain_name
    if arn is None or domain is None:
        return skipped(check, "no custom domain: CloudFront serves its *.cloudfront.net name")
    region = arn.split(":")[3]
    if region != CLOUDFRONT_REGION:
        return failed(
            check,
            f"{arn} is in {region}; CloudFront reads certificates only from {CLOUDFRONT_REGION}",
            f"aws acm request-certificate --domain-name {domain} --validation-method DNS "
            f"--region {CLOUDFRONT_REGION}, and set edge.certificate_arn to its ARN",
        )
    try:
        certificate = clients("acm", CLOUDFRONT_REGION).describe_certificate(CertificateArn=arn)[
            "Certificate"
        ]
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return failed(
                check,
                f"{arn} does not exist in this account",
                f"set edge.certificate_arn in {target.config_source} to a certificate of "
                f"account {target.account} in {CLOUDFRONT_REGION}",
            )
        return api_error(check, error, "acm:DescribeCertificate")
    except BotoCoreError as error:
        return api_error(check, error, "acm:DescribeCertificate")
    status = certificate.get("Status")
    names = [certificate.get("DomainName", ""), *certificate.get("SubjectAlternativeNames", [])]
    if status != "ISSUED":
        return failed(
            check,
            f"certificate for {certificate.get('DomainName')} is {status}",
            "publish the DNS validation records shown by aws acm describe-certificate "
            f"--certificate-arn {arn} --region {CLOUDFRONT_REGION}",
        )
    if not covers(names, domain):
        return failed(
            check,
            f"certificate covers {', '.join(sorted(set(names)))}, not {domain}",
            f"request one for {domain} in {CLOUDFRONT_REGION} and set edge.certificate_arn",
        )
    not_after = certificate.get("NotAfter")
    if isinstance(not_after, datetime) and not_after <= datetime.now(UTC):
        return failed(check, f"certificate expired on {not_after:%Y-%m-%d}", "renew or replace it")
    return passed(check, f"ISSUED in {CLOUDFRONT_REGION}, covers {domain}")


def check_web_acl(clients: Clients, target: Target) -> Result:
    check = "waf web acl"
    arn = target.config.edge.web_acl_arn
    if arn is None:
        return skipped(check, "no web ACL configured (edge.web_acl_arn)")
    # arn:aws:wafv2:us-east-1:ACCOUNT:global/webacl/NAME/ID; "global" is the CLOUDFRONT scope.
    region, resource = arn.split(":")[3], arn.split(":", 5)[5]
    parts = resource.split("/")
    if region != CLOUDFRONT_REGION or len(parts) != 4 or parts[:2] != ["global", "webacl"]:
        return failed(
            check,
            f"{arn} is not a CLOUDFRONT-scope web ACL in {CLOUDFRONT_REGION}",
            f"create it with --scope CLOUDFRONT --region {CLOUDFRONT_REGION} and set "
            f"edge.web_acl_arn in {target.config_source}",
        )
    try:
        acl = clients("wafv2", CLOUDFRONT_REGION).get_web_acl(
            Name=parts[2], Scope="CLOUDFRONT", Id=parts[3]
        )["WebACL"]
    except ClientError as error:
        if _code(error) == "WAFNonexistentItemException":
            return failed(
                check,
                f"web ACL {parts[2]} ({parts[3]}) does not exist in {CLOUDFRONT_REGION}",
                "create it with --scope CLOUDFRONT, or fix edge.web_acl_arn in "
                + target.config_source,
            )
        return api_error(check, error, "wafv2:GetWebACL")
    except BotoCoreError as error:
        return api_error(check, error, "wafv2:GetWebACL")
    return passed(check, f"{acl.get('Name', parts[2])} (CLOUDFRONT scope, {CLOUDFRONT_REGION})")


def check_budgets(clients: Clients, target: Target) -> Result:
    check = "budgets"
    try:
        budgets = (
            clients("budgets", CLOUDFRONT_REGION)
            .describe_budgets(AccountId=target.account, MaxResults=100)
            .get("Budgets", [])
        )
    except ClientError as error:
        if _code(error) == "NotFoundException":  # no budget yet: the API works
            budgets = []
        elif _code(error) == "AccessDeniedException":
            return failed(
                check,
                f"the Budgets API is not available to these credentials ({_message(error)})",
                "allow budgets:ViewBudget and budgets:ModifyBudget for the deploying role; for "
                "IAM users, activate IAM access to billing in the account settings",
            )
        else:
            return api_error(check, error, "budgets:DescribeBudgets")
    except BotoCoreError as error:
        return api_error(check, error, "budgets:DescribeBudgets")
    return passed(check, f"Budgets API available ({len(budgets)} budget(s) in the account)")


def check_placeholders(config: StageConfig) -> list[Result]:
    """One ✗ per value that still needs a real one, with where to set it."""
    found = find_placeholders(config)
    if not found:
        return [passed("placeholders", "every value needed for a real deploy is set")]
    return [
        failed("placeholder", f"{placeholder.field} is still a placeholder", placeholder.hint)
        for placeholder in found
    ]


# Checks that only make sense once these values are real: skipped while they are placeholders
# (the placeholder's own ✗ says what to set).
NEEDS_REAL_VALUES: dict[str, tuple[str, ...]] = {
    "ses identity": ("compute.sender_email", "compute.ses_identity"),
    "certificate": ("edge.domain_name", "edge.certificate_arn"),
    "waf web acl": ("edge.web_acl_arn",),
    "legacy origin": ("compute.legacy_origin_domain",),
}

# The checks that read the account, in the order they are printed.
AWS_CHECKS: dict[str, Callable[[Clients, Target], Result]] = {
    "cdk bootstrap": check_bootstrap,
    "lambda concurrency": check_lambda_concurrency,
    "ses identity": check_ses_identity,
    "ses sending": check_ses_account,
    "cognito domain": check_cognito_domain,
    "documentdb": check_docdb,
    "dms account roles": check_dms_account_roles,
    "certificate": check_certificate,
    "waf web acl": check_web_acl,
    "budgets": check_budgets,
}
