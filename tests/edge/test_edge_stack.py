"""Template assertions for the edge stack: routing, the cut-over wiring, security properties."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_secretsmanager as secretsmanager

from cdk_constructs.weighted_cutover import LEGACY_ORIGIN_ID, NEW_ORIGIN_ID, WeightedCutover
from stacks.config import ConfigError, EdgeConfig
from stacks.edge_stack import EdgeStack
from tests.edge.conftest import (
    API_DOMAIN,
    API_ID,
    API_METRICS,
    CERTIFICATE_ARN,
    LEGACY_DOMAIN,
    REPO,
    TOPIC_ARN,
    WEB_ACL_ARN,
    EdgeSynth,
)

# CloudFront's managed policies (ids are fixed by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def logical_id(template: dict[str, Any], kind: str, path: str) -> str:
    """The logical id CDK derives from a construct path: the path's ids, then an 8-hex hash."""
    pattern = re.compile(re.escape(path.replace("/", "")) + r"[0-9A-F]{8}")
    matches = [k for k in resources(template, kind) if pattern.fullmatch(k)]
    assert len(matches) == 1, f"{kind} at {path}: {matches}"
    return matches[0]


@pytest.fixture(scope="module")
def dev(edge_synth: EdgeSynth) -> dict[str, Any]:
    return edge_synth.templates["Taskly-test-Edge"]


@pytest.fixture(scope="module")
def prod(edge_synth: EdgeSynth) -> dict[str, Any]:
    return edge_synth.templates["Taskly-prodlike-Edge"]


@pytest.fixture(scope="module")
def config(dev: dict[str, Any]) -> dict[str, Any]:
    return only(dev, "AWS::CloudFront::Distribution")[1]["Properties"]["DistributionConfig"]


def api_behaviour(config: dict[str, Any]) -> dict[str, Any]:
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviours) == {"/api/*"}
    return behaviours["/api/*"]


def test_both_api_origins_are_declared_with_their_stable_ids(config: dict[str, Any]) -> None:
    # Given the distribution, when its origins are listed, then legacy and the HTTP API are
    # both there (the API one although no behaviour targets it), with the ids the function uses.
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    assert set(origins) == {"spa", LEGACY_ORIGIN_ID, NEW_ORIGIN_ID}
    assert origins[LEGACY_ORIGIN_ID]["DomainName"] == LEGACY_DOMAIN
    assert origins[NEW_ORIGIN_ID]["DomainName"] == API_DOMAIN
    for origin_id in (LEGACY_ORIGIN_ID, NEW_ORIGIN_ID):
        custom = origins[origin_id]["CustomOriginConfig"]
        assert custom["OriginProtocolPolicy"] == "https-only"
        assert custom["OriginSSLProtocols"] == ["TLSv1.2"]


def test_the_function_code_selects_the_origin_id_the_distribution_declares() -> None:
    source = (REPO / "lambda_src" / "edge" / "cutover.js").read_text()
    selected = re.search(r"const NEW_ORIGIN_ID = '([^']+)';", source)
    assert selected is not None
    assert selected.group(1) == NEW_ORIGIN_ID


def test_only_the_http_api_origin_carries_the_origin_verify_secret(
    config: dict[str, Any],
) -> None:
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    headers = origins[NEW_ORIGIN_ID]["OriginCustomHeaders"]
    assert [h["HeaderName"] for h in headers] == ["x-origin-verify"]
    value = json.dumps(headers[0]["HeaderValue"])
    # A dynamic reference resolved by CloudFormation at deploy time: no secret in the template.
    assert "{{resolve:secretsmanager:" in value
    assert "Fn::ImportValue" in value
    assert "OriginCustomHeaders" not in origins[LEGACY_ORIGIN_ID]


def test_api_behaviour_defaults_to_legacy_uncached_with_every_method(
    config: dict[str, Any],
) -> None:
    api = api_behaviour(config)
    assert api["TargetOriginId"] == LEGACY_ORIGIN_ID
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(api["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    assert api["ViewerProtocolPolicy"] == "https-only"


def test_cutover_function_runs_on_api_requests_and_responses_only(
    dev: dict[str, Any], config: dict[str, Any]
) -> None:
    cutover = logical_id(dev, "AWS::CloudFront::Function", "Cutover/Function")
    fallback = logical_id(dev, "AWS::CloudFront::Function", "Spa/RouteFallback")
    api = api_behaviour(config)
    assert {
        (a["EventType"], a["FunctionARN"]["Fn::GetAtt"][0]) for a in api["FunctionAssociations"]
    } == {("viewer-request", cutover), ("viewer-response", cutover)}
    default = config["DefaultCacheBehavior"]
    assert [
        (a["EventType"], a["FunctionARN"]["Fn::GetAtt"][0]) for a in default["FunctionAssociations"]
    ] == [("viewer-request", fallback)]


def test_the_key_value_store_is_attached_to_the_cutover_function(dev: dict[str, Any]) -> None:
    store = logical_id(dev, "AWS::CloudFront::KeyValueStore", "Cutover/Store")
    function = dev["Resources"][logical_id(dev, "AWS::CloudFront::Function", "Cutover/Function")]
    config = function["Properties"]["FunctionConfig"]
    assert config["Runtime"] == "cloudfront-js-2.0"
    assert config["KeyValueStoreAssociations"] == [
        {"KeyValueStoreARN": {"Fn::GetAtt": [store, "Arn"]}}
    ]
    assert function["Properties"]["AutoPublish"] is True
    code = function["Properties"]["FunctionCode"]
    assert code == (REPO / "lambda_src" / "edge" / "cutover.js").read_text()


def test_spa_bucket_is_private_encrypted_versioned_and_read_through_oac(
    dev: dict[str, Any], config: dict[str, Any]
) -> None:
    bucket_id = logical_id(dev, "AWS::S3::Bucket", "Spa/Bucket")
    bucket = dev["Resources"][bucket_id]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    _, oac = only(dev, "AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"] | {"Name": None} == {
        "Name": None,
        "OriginAccessControlOriginType": "s3",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }
    spa = next(origin for origin in config["Origins"] if origin["Id"] == "spa")
    assert "OriginAccessControlId" in spa
    assert spa["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    policy = next(
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in resources(dev, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": bucket_id}
    )
    reads = [s for s in policy if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    assert len(reads) == 1
    assert reads[0]["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in json.dumps(reads[0]["Condition"])
    denies = [s for s in policy if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_client_routes_fall_back_without_rewriting_api_errors(config: dict[str, Any]) -> None:
    # Distribution-wide error responses would turn /api/* 404s into 200 index.html pages.
    assert "CustomErrorResponses" not in config
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_security_headers_apply_to_the_spa_and_the_api(
    dev: dict[str, Any], config: dict[str, Any]
) -> None:
    policy_id, policy = only(dev, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,
        "IncludeSubdomains": True,
        "Override": True,
    }
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"] == {
        "ReferrerPolicy": "strict-origin-when-cross-origin",
        "Override": True,
    }
    for behaviour in (config["DefaultCacheBehavior"], api_behaviour(config)):
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": policy_id}


def test_access_logs_go_to_the_log_bucket(dev: dict[str, Any], config: dict[str, Any]) -> None:
    log_bucket = logical_id(dev, "AWS::S3::Bucket", "AccessLogs/Bucket")
    assert config["Logging"] == {
        "Bucket": {"Fn::GetAtt": [log_bucket, "RegionalDomainName"]},
        "Prefix": "cloudfront/",
    }
    logs = dev["Resources"][log_bucket]["Properties"]
    # CloudFront standard logging delivers through an ACL grant.
    assert logs["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    rule = logs["LifecycleConfiguration"]["Rules"][0]
    assert rule["ExpirationInDays"] == 90
    spa = dev["Resources"][logical_id(dev, "AWS::S3::Bucket", "Spa/Bucket")]["Properties"]
    assert spa["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": log_bucket},
        "LogFilePrefix": "spa-bucket/",
    }


def test_rollback_alarm_on_the_migrated_routes_5xx_rate_invokes_the_rollback_function(
    dev: dict[str, Any],
) -> None:
    alarm_id = logical_id(dev, "AWS::CloudWatch::Alarm", "Rollback/ErrorRateAlarm")
    function_id = logical_id(dev, "AWS::Lambda::Function", "Rollback/Function")
    alarm = dev["Resources"][alarm_id]["Properties"]
    assert alarm["AlarmActions"] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 5
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
    assert alarm["TreatMissingData"] == "notBreaching"
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    assert queries["expr_1"]["Expression"] == "IF(requests >= 20, 100 * errors / requests, 0)"
    # The migrated routes' share: the stage's totals minus the legacy proxy route's
    # (tests/infra/test_rollback_signal.py evaluates it against simulated traffic).
    assert queries["errors"]["Expression"] == "all_errors - FILL(legacy_errors, 0)"
    assert queries["requests"]["Expression"] == "all_requests - FILL(legacy_requests, 0)"
    stage = [{"Name": "ApiId", "Value": API_ID}, {"Name": "Stage", "Value": "$default"}]
    legacy_route = {"Name": "Route", "Value": API_METRICS.legacy_route_key}
    for query_id, metric_name, dimensions in (
        ("all_errors", "5xx", stage),
        ("all_requests", "Count", stage),
        ("legacy_errors", "5xx", [stage[0], legacy_route, stage[1]]),
        ("legacy_requests", "Count", [stage[0], legacy_route, stage[1]]),
    ):
        metric = queries[query_id]["MetricStat"]["Metric"]
        assert metric["Namespace"] == "AWS/ApiGateway"
        assert metric["MetricName"] == metric_name
        assert metric["Dimensions"] == dimensions
    permissions = [
        p["Properties"]
        for p in resources(dev, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "lambda.alarms.cloudwatch.amazonaws.com",
            "SourceAccount": "123456789012",
            "SourceArn": {"Fn::GetAtt": [alarm_id, "Arn"]},
        }
    ]


def test_rollback_function_runtime_and_target_store(dev: dict[str, Any]) -> None:
    function = dev["Resources"][logical_id(dev, "AWS::Lambda::Function", "Rollback/Function")]
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "cutover_rollback.handler.handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    store = logical_id(dev, "AWS::CloudFront::KeyValueStore", "Cutover/Store")
    assert props["Environment"]["Variables"]["CUTOVER_KVS_ARN"] == {"Fn::GetAtt": [store, "Arn"]}
    invoke = only(dev, "AWS::Lambda::EventInvokeConfig")[1]["Properties"]
    queue = logical_id(dev, "AWS::SQS::Queue", "Rollback/FailedInvocations")
    assert invoke["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}
    }


def test_rollback_role_may_update_only_the_cutover_store(dev: dict[str, Any]) -> None:
    store = logical_id(dev, "AWS::CloudFront::KeyValueStore", "Cutover/Store")
    role = logical_id(dev, "AWS::IAM::Role", "Rollback/Role")
    statements = [
        statement
        for policy in resources(dev, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    kvs = [s for s in statements if "cloudfront-keyvaluestore" in json.dumps(s["Action"])]
    assert kvs == [
        {
            "Action": [
                "cloudfront-keyvaluestore:DescribeKeyValueStore",
                "cloudfront-keyvaluestore:ListKeys",
                "cloudfront-keyvaluestore:UpdateKeys",
            ],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [store, "Arn"]},
        }
    ]
    assert "ManagedPolicyArns" not in dev["Resources"][role]["Properties"]


@pytest.mark.parametrize("stack", ["Taskly-test-Edge", "Taskly-prodlike-Edge"])
def test_no_wildcard_actions_and_wildcard_resources_only_for_xray(
    edge_synth: EdgeSynth, stack: str
) -> None:
    template = edge_synth.templates[stack]
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert all("*" not in action for action in actions), statement
            if statement.get("Resource") == "*":
                assert all(action.startswith("xray:") for action in actions), statement


def test_outputs_name_the_store_and_the_rollback_alarms(dev: dict[str, Any]) -> None:
    store = logical_id(dev, "AWS::CloudFront::KeyValueStore", "Cutover/Store")
    alarm = logical_id(dev, "AWS::CloudWatch::Alarm", "Rollback/ErrorRateAlarm")
    outputs = dev["Outputs"]
    assert outputs["CutoverKvsArn"]["Value"] == {"Fn::GetAtt": [store, "Arn"]}
    assert outputs["CutoverRollbackAlarmNames"]["Value"] == {"Ref": alarm}
    assert {"DistributionDomainName", "DistributionId", "SpaBucketName"} <= set(outputs)
    # The edge stack consumes exports; it exports nothing a later deploy could deadlock on.
    assert all("Export" not in output for output in outputs.values())


def test_dev_buckets_are_destroyed_with_the_stack(dev: dict[str, Any]) -> None:
    for bucket in resources(dev, "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert resources(dev, "Custom::S3AutoDeleteObjects")


def test_prod_retains_buckets_and_uses_domain_certificate_and_waf(prod: dict[str, Any]) -> None:
    for bucket in resources(prod, "AWS::S3::Bucket").values():
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            "Retain",
        )
    assert not resources(prod, "Custom::S3AutoDeleteObjects")
    config = only(prod, "AWS::CloudFront::Distribution")[1]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["app.taskly.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert config["WebACLId"] == WEB_ACL_ARN
    assert config["PriceClass"] == "PriceClass_All"


def test_prod_alarms_also_notify_people(prod: dict[str, Any]) -> None:
    alarm = prod["Resources"][logical_id(prod, "AWS::CloudWatch::Alarm", "Rollback/ErrorRateAlarm")]
    assert TOPIC_ARN in alarm["Properties"]["AlarmActions"]
    assert alarm["Properties"]["OKActions"] == [TOPIC_ARN]
    failure = prod["Resources"][logical_id(prod, "AWS::CloudWatch::Alarm", "Rollback/FailureAlarm")]
    assert failure["Properties"]["AlarmActions"] == [TOPIC_ARN]


def test_origin_verify_secret_is_generated_not_written_in_the_template(
    edge_synth: EdgeSynth,
) -> None:
    upstream = edge_synth.templates["Taskly-test-Upstream"]
    _, secret = only(upstream, "AWS::SecretsManager::Secret")
    assert "SecretString" not in secret["Properties"]
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] == 64
    assert generated["ExcludePunctuation"] is True
    assert secret["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("settings", "arguments", "message"),
    [
        (
            {"domain_name": "app.example.com"},
            {},
            "edge.certificate_arn is missing: edge.domain_name (app.example.com) needs",
        ),
        (
            {
                "domain_name": "app.example.com",
                "certificate_arn": CERTIFICATE_ARN.replace("us-east-1", "eu-west-1"),
            },
            {},
            "an ARN in us-east-1 (CloudFront's region)",
        ),
        (
            {"web_acl_arn": WEB_ACL_ARN.replace("global/webacl", "regional/webacl")},
            {},
            "a web ACL with scope CLOUDFRONT",
        ),
        (
            {"web_acl_arn": WEB_ACL_ARN.replace("us-east-1", "eu-west-1")},
            {},
            "an ARN in us-east-1",
        ),
        ({}, {"rollback_error_rate_percent": 0}, "between 0 and 100"),
        ({}, {"rollback_minimum_requests": 0}, "at least 1"),
    ],
)
def test_invalid_edge_arguments_fail_with_one_line(
    settings: dict[str, Any], arguments: dict[str, Any], message: str
) -> None:
    """The stack checks its section with EdgeConfig's own rules (their one home)."""
    app = App()
    secret = secretsmanager.Secret.from_secret_name_v2(Stack(app, "Up"), "S", "origin-verify")
    with pytest.raises((ValueError, ConfigError), match=re.escape(message)) as raised:
        EdgeStack(
            app,
            "Edge",
            settings=EdgeConfig(price_class="PRICE_CLASS_100", **settings),
            api_domain=API_DOMAIN,
            api_metrics=API_METRICS,
            legacy_origin_domain=LEGACY_DOMAIN,
            origin_verify_secret=secret,
            protect_data=False,
            **arguments,
        )
    assert "\n" not in str(raised.value)


def test_a_behaviour_added_after_registering_the_api_origin_fails_synth(
    tmp_path: Path,
) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Late")
    cutover = WeightedCutover(
        stack,
        "Cutover",
        legacy_origin_domain=LEGACY_DOMAIN,
        api_domain=API_DOMAIN,
        origin_verify_header=("x-origin-verify", "value"),
    )
    policy = cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS
    distribution = cloudfront.Distribution(
        stack,
        "Distribution",
        default_behavior=cutover.behavior_options(response_headers_policy=policy),
    )
    cutover.register_new_origin(distribution)
    distribution.add_behavior("/late/*", origins.HttpOrigin("late.example.com"))
    with pytest.raises(RuntimeError, match="call register_new_origin after adding every behaviour"):
        app.synth()
