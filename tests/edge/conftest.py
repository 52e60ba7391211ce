"""Edge test fixtures: one synth per session, AWS emulation, no network beyond localhost."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from moto.server import ThreadedMotoServer

from cdk_constructs.cutover_rollback import ApiMetricsSource
from cdk_constructs.known_cdk_artefacts import acknowledge_known_cdk_artefacts
from cdk_constructs.origin_verify_secret import OriginVerifySecret
from cdk_constructs.strangler_http_api import LEGACY_ROUTE_KEY
from stacks.config import EdgeConfig
from stacks.edge_stack import EdgeStack
from tests.edge.fakes import InMemoryKeyValueStore
from tests.parity.reports import write_parity_report
from tests.synth import CDK_JSON_CONTEXT, SKIP_BUNDLING

REPO = Path(__file__).resolve().parents[2]
EDGE_TESTS = Path(__file__).resolve().parent
ACCOUNT = "123456789012"
REGION = "eu-west-1"
KVS_ARN = f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
API_DOMAIN = "abc123defg.execute-api.eu-west-1.amazonaws.com"
API_ID = "abc123defg"
API_METRICS = ApiMetricsSource(
    api_id=API_ID, stage_name="$default", legacy_route_key=LEGACY_ROUTE_KEY
)
LEGACY_DOMAIN = "legacy-test.taskly.example.com"
CERTIFICATE_ARN = (
    f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"
)
WEB_ACL_ARN = (
    f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/taskly/66666666-7777-8888-9999-000000000000"
)
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:taskly-test-alarms"
ALARM = "Taskly-dev-Edge-RollbackErrorRateAlarm-1A2B3C"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Unit tests must not reach AWS or anything else: sockets may connect to this machine only
    # (the moto server). Subprocesses (node, cfn-lint, checkov, pip) are not affected.
    for item in items:
        if EDGE_TESTS in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"]))


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region so boto3 never looks further (no IMDS, no profile)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server on an ephemeral port (CloudFormation and CloudWatch over HTTP)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # localhost, not 127.0.0.1: moto reads the first host label of some services as a name.
    yield f"http://localhost:{port}"
    server.stop()


@pytest.fixture
def moto(moto_endpoint: str) -> str:
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    return moto_endpoint


@pytest.fixture
def kvs() -> InMemoryKeyValueStore:
    return InMemoryKeyValueStore(KVS_ARN, {"weight": "0", "kill_switch": "off"})


@pytest.fixture
def kvs_client(kvs: InMemoryKeyValueStore) -> Any:
    return kvs.attach(boto3.client("cloudfront-keyvaluestore", region_name=REGION))


@pytest.fixture
def aws(moto: str, kvs: InMemoryKeyValueStore) -> Any:
    """A deployed-looking dev edge stack: outputs in CloudFormation, the alarm in CloudWatch."""

    def client(service: str, region: str | None = None) -> Any:
        if service == "cloudfront-keyvaluestore":
            return kvs.attach(boto3.client(service, region_name=region or REGION))
        return boto3.client(service, region_name=region or REGION, endpoint_url=moto)

    deploy_edge(client)
    return client


def deploy_edge(client: Callable[[str], Any]) -> None:
    """The dev edge stack's outputs in CloudFormation and its rollback alarm (OK) in CloudWatch."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "CutoverKvsArn": {"Value": KVS_ARN},
            "CutoverRollbackAlarmNames": {"Value": ALARM},
        },
    }
    client("cloudformation").create_stack(
        StackName="Taskly-dev-Edge", TemplateBody=json.dumps(template)
    )
    client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/ApiGateway",
        MetricName="5xx",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=3,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="quiet")


def fire(aws: Any, state: str = "ALARM") -> None:
    aws("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason="5xx at 9%")


@dataclass(frozen=True)
class EdgeSynth:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    report: dict[str, Any]
    stacks: dict[str, Any]


def _app_context() -> dict[str, Any]:
    # The real app's context (cdk.json's feature flags), so tests see what `cdk synth` produces.
    return {**CDK_JSON_CONTEXT, **SKIP_BUNDLING}


@pytest.fixture(scope="session")
def edge_synth(tmp_path_factory: pytest.TempPathFactory) -> EdgeSynth:
    """Both shapes of the edge stack, synthesized once with the cdk-nag packs attached.

    ``Taskly-test-Edge`` is a dev-like stage (no domain, no WAF, nothing retained);
    ``Taskly-prodlike-Edge`` sets every optional argument. ``Taskly-test-Upstream`` stands in
    for the stacks that own the origin-verify secret and the alarm topic.
    """
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(context=_app_context(), outdir=str(outdir))
    env = Environment(account=ACCOUNT, region=REGION)
    upstream = Stack(app, "Taskly-test-Upstream", env=env)
    secret = OriginVerifySecret(upstream, "OriginVerify", protect_data=False).secret
    common: dict[str, Any] = {
        "env": env,
        "api_domain": API_DOMAIN,
        "api_metrics": API_METRICS,
        "legacy_origin_domain": LEGACY_DOMAIN,
        "origin_verify_secret": secret,
    }
    dev = EdgeStack(
        app,
        "Taskly-test-Edge",
        settings=EdgeConfig(price_class="PRICE_CLASS_100"),
        protect_data=False,
        **common,
    )
    topic = sns.Topic.from_topic_arn(upstream, "Alarms", TOPIC_ARN)
    prod = EdgeStack(
        app,
        "Taskly-prodlike-Edge",
        settings=EdgeConfig(
            price_class="PRICE_CLASS_ALL",
            domain_name="app.taskly.example.com",
            certificate_arn=CERTIFICATE_ARN,
            web_acl_arn=WEB_ACL_ARN,
        ),
        protect_data=True,
        alarm_topic=topic,
        **common,
    )
    acknowledge_known_cdk_artefacts(app)  # as app.py does for every stage, once all are built
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    app.synth()
    names = ("Taskly-test-Edge", "Taskly-prodlike-Edge", "Taskly-test-Upstream")
    templates = {name: json.loads((outdir / f"{name}.template.json").read_text()) for name in names}
    report = json.loads((outdir / "validation-report.json").read_text())
    return EdgeSynth(
        outdir=outdir,
        templates=templates,
        report=report,
        stacks={"dev": dev, "prod": prod},
    )


@pytest.fixture
def parity_report(tmp_path: Path) -> Path:
    """A clean parity report made a minute ago."""
    return write_parity_report(
        tmp_path / "parity.json", generated_at=datetime.now(UTC) - timedelta(minutes=1)
    )
