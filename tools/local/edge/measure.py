"""Who answers through the local edge: ``python -m tools.local.edge.measure [--viewers 200]``.

Each viewer is a distinct signed-in user (a dev token per subject, from the local issuer) with
no cookie yet, so the function buckets it by its token's subject, as it does a first visit in
AWS. The origin that answered is read from the origins' own response headers, which CloudFront
passes through: legacy sends ``x-taskly-backend: legacy``, API Gateway sends
``apigw-requestid``.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests
from botocore.exceptions import ClientError

from tools.cli import Parser, error_line, run
from tools.local.api.devjwt import DevKey, issue_token, load_or_create_key
from tools.local.edge.store import STORE_IN_STATE_DIR, FileKeyValueStore

LEGACY_HEADER = "x-taskly-backend"
GATEWAY_HEADER = "apigw-requestid"


def answered_by(headers: requests.structures.CaseInsensitiveDict[str]) -> str:
    """'new', 'legacy', or 'new->legacy' (the new API's proxy route sent it to legacy)."""
    legacy = headers.get(LEGACY_HEADER) == "legacy"
    gateway = GATEWAY_HEADER in headers
    if legacy and gateway:
        return "new->legacy"
    if gateway:
        return "new"
    if legacy:
        return "legacy"
    return "unknown"


@dataclass(frozen=True)
class Share:
    viewers: int
    by_origin: dict[str, int]

    @property
    def new_percent(self) -> float:
        return 100.0 * self.by_origin.get("new", 0) / self.viewers


def viewer_token(key: DevKey, index: int) -> str:
    return issue_token(key, subject=f"viewer-{index:04d}")


def measure_share(edge_url: str, key: DevKey, *, viewers: int, path: str = "/api/health") -> Share:
    counts: Counter[str] = Counter()
    with requests.Session() as session:
        for index in range(viewers):
            session.cookies.clear()
            response = session.get(
                f"{edge_url}{path}",
                headers={"Authorization": f"Bearer {viewer_token(key, index)}"},
                timeout=30,
            )
            response.raise_for_status()
            counts[answered_by(response.headers)] += 1
    return Share(viewers=viewers, by_origin=dict(counts))


def main(argv: list[str] | None = None) -> int:
    return run("measure", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = Parser(prog="python -m tools.local.edge.measure")
    parser.add_argument("--edge", default="http://127.0.0.1:8080", help="the local edge's URL")
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--state-dir", type=Path, default=Path(".local"))
    args = parser.parse_args(argv)
    if args.viewers < 1:
        parser.error("--viewers must be at least 1")
    store = FileKeyValueStore(args.state_dir / STORE_IN_STATE_DIR)
    try:
        values = store.values()
        share = measure_share(args.edge, load_or_create_key(args.state_dir), viewers=args.viewers)
    except (requests.RequestException, OSError, ClientError) as error:
        print(error_line("measure", str(error).splitlines()[0]), file=sys.stderr)
        return 1
    counts = ", ".join(f"{name} {count}" for name, count in sorted(share.by_origin.items()))
    weight, kill_switch = values.get("weight", "unset"), values.get("kill_switch", "unset")
    print(
        f"weight {weight}, kill switch {kill_switch}: "
        f"{share.viewers} viewers, {share.new_percent:.1f}% answered by the new API ({counts})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
