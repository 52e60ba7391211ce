"""The price data file: typed, validated, and every figure carrying where it came from.

Each field of ``Prices`` is a price the estimator uses by name, so a typo or a missing entry in
the data file fails loudly at load time instead of silently pricing something at zero.
"""

from __future__ import annotations

import tomllib
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from tools.ops.cost.errors import CostToolError

DEFAULT_PRICE_FILE = Path(__file__).with_name("prices.toml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    """One unit price in USD, with its source page and the day it was checked."""

    usd: float = Field(ge=0)
    unit: str = Field(min_length=1)
    source: HttpUrl
    checked: date
    note: str = ""


class Allowance(_Strict):
    """A published free quantity (for example a free tier) that a price applies beyond."""

    quantity: float = Field(ge=0)
    unit: str = Field(min_length=1)
    source: HttpUrl
    checked: date
    note: str = ""


class FreeType(_Strict):
    """A resource type that costs nothing by itself; the note says why."""

    source: HttpUrl
    checked: date
    note: str = Field(min_length=1)


class Assumption(_Strict):
    """A usage figure the templates cannot tell us; stated so a reader can disagree with it."""

    value: float = Field(ge=0)
    unit: str = Field(min_length=1)
    why: str = Field(min_length=1)


class Prices(_Strict):
    nat_gateway_hour: Price
    public_ipv4_hour: Price
    interface_endpoint_az_hour: Price
    docdb_storage_gb_month: Price
    docdb_io_million: Price
    docdb_serverless_dcu_hour: Price
    dms_serverless_dcu_hour: Price
    secret_month: Price
    secrets_api_10k: Price
    kms_key_month: Price
    alarm_standard_metric_month: Price
    alarm_high_resolution_metric_month: Price
    composite_alarm_month: Price
    dashboard_month: Price
    cloudwatch_metric_month: Price
    logs_ingest_gb: Price
    logs_vended_cwl_gb: Price
    logs_vended_s3_gb: Price
    logs_storage_gb_month: Price
    lambda_requests_million: Price
    lambda_arm_gb_second: Price
    lambda_x86_gb_second: Price
    lambda_arm_provisioned_gb_second: Price
    lambda_snapstart_cache_gb_second: Price
    lambda_snapstart_restore_gb: Price
    lambda_x86_provisioned_gb_second: Price
    http_api_million: Price
    cloudfront_https_10k: Price
    cloudfront_transfer_out_gb: Price
    cloudfront_transfer_to_origin_gb: Price
    cloudfront_function_million: Price
    cloudfront_kvs_read_million: Price
    dynamodb_write_million: Price
    dynamodb_read_million: Price
    dynamodb_storage_gb_month: Price
    dynamodb_pitr_gb_month: Price
    dynamodb_wcu_hour: Price
    dynamodb_rcu_hour: Price
    sqs_million: Price
    xray_trace_million: Price
    s3_storage_gb_month: Price
    ebs_gp3_gb_month: Price
    waf_web_acl_month: Price
    waf_rule_month: Price
    waf_request_million: Price
    cognito_lite_mau: Price
    cognito_essentials_mau: Price
    cognito_plus_mau: Price


class Allowances(_Strict):
    cognito_free_mau: Allowance


class Assumptions(_Strict):
    api_function_duration_ms: Assumption
    worker_function_duration_ms: Assumption
    cold_start_fraction: Assumption
    init_duration_ms: Assumption
    response_kb: Assumption
    request_kb: Assumption
    dynamodb_read_units_per_request: Assumption
    dynamodb_write_units_per_request: Assumption
    email_messages_per_request: Assumption
    sqs_requests_per_message: Assumption
    lambda_application_log_bytes_per_invocation: Assumption
    lambda_platform_log_bytes_per_invocation: Assumption
    access_log_bytes_per_request: Assumption
    log_retention_days_when_unset: Assumption
    log_group_baseline_gb_stored: Assumption
    flow_log_gb_per_month: Assumption
    docdb_io_per_request: Assumption
    docdb_storage_gb: Assumption
    dynamodb_storage_gb_per_table: Assumption
    s3_storage_gb_per_bucket: Assumption
    xray_reservoir_per_second: Assumption
    xray_fixed_rate: Assumption
    secrets_calls_per_cold_start: Assumption
    kvs_reads_per_request: Assumption
    monthly_active_users: Assumption
    sqs_poller_connections: Assumption
    sqs_long_poll_seconds: Assumption
    az_count_when_unknown: Assumption


class PriceBook(_Strict):
    region: str
    currency: Literal["USD"]
    basis: str = Field(min_length=1)
    hours_per_month: float = Field(gt=0)
    prices: Prices
    allowances: Allowances
    docdb_instance_hour: dict[str, Price]
    ec2_instance_hour: dict[str, Price]
    free: dict[str, FreeType]
    assumptions: Assumptions

    @property
    def days_per_month(self) -> float:
        return self.hours_per_month / 24

    @property
    def seconds_per_month(self) -> float:
        return self.hours_per_month * 3600

    @property
    def last_checked(self) -> date:
        dates = [price.checked for price in self.prices.__dict__.values()]
        dates += [price.checked for price in self.docdb_instance_hour.values()]
        dates += [price.checked for price in self.ec2_instance_hour.values()]
        return max(dates)

    def free_type(self, resource_type: str) -> FreeType | None:
        """The free-list entry for a type; keys may be patterns such as ``Custom::*``."""
        if resource_type in self.free:
            return self.free[resource_type]
        for pattern, entry in self.free.items():
            if fnmatchcase(resource_type, pattern):
                return entry
        return None


def load_price_book(path: Path = DEFAULT_PRICE_FILE) -> PriceBook:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostToolError(f"price file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise CostToolError(f"price file {path} is not valid TOML: {error}") from None
    try:
        return PriceBook.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CostToolError(
            f"price file {path} is invalid at {where}: {first['msg']}"
            f" ({error.error_count()} problem(s) in total)"
        ) from None
