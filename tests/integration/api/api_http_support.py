"""Shared names of the HTTP API tests (a uniquely named module: conftest is not importable)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


@dataclass
class LocalApi:
    base_url: str  # through the local CloudFront stand-in: x-origin-verify is added
    direct_url: str  # like the public execute-api URL: no x-origin-verify
    moto_endpoint: str
    token_for: Callable[[str], str]
    startup_seconds: float
