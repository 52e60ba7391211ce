"""certs/global-bundle.pem: every certificate parses, none has expired, provenance matches."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from cryptography import x509

CERTS = Path(__file__).resolve().parents[2] / "certs"


def test_bundle_holds_only_valid_x509_certificates() -> None:
    data = (CERTS / "global-bundle.pem").read_bytes()
    certificates = x509.load_pem_x509_certificates(data)
    assert len(certificates) > 0
    assert data.count(b"-----BEGIN CERTIFICATE-----") == len(certificates)
    now = dt.datetime.now(dt.UTC)
    expired = [c.subject.rfc4514_string() for c in certificates if c.not_valid_after_utc <= now]
    assert expired == [], "regenerate the bundle: make certs"
    assert all(c.not_valid_before_utc <= now for c in certificates)


def test_recorded_sha256_and_count_match_the_bundle() -> None:
    source = (CERTS / "SOURCE.md").read_text()
    bundle = (CERTS / "global-bundle.pem").read_bytes()
    recorded = re.search(r"sha256 of global-bundle.pem: `([0-9a-f]{64})`", source)
    assert recorded is not None
    assert recorded.group(1) == hashlib.sha256(bundle).hexdigest()
    count = re.search(r"Certificates: (\d+)", source)
    assert count is not None
    assert int(count.group(1)) == bundle.count(b"-----BEGIN CERTIFICATE-----")
