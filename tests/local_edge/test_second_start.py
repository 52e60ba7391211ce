"""A second `make local` on a state directory that one already runs on.

The running path is the session's (tests/local_edge/conftest.py); the second start is the
real `python -m tools.local.edge` in another process, as `make local` runs it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import requests

from tools.local.edge.launch import LocalPath, free_port

REPO = Path(__file__).resolve().parents[2]


def _fingerprints(directory: Path) -> dict[str, str]:
    """Every file the database's start writes (connection details, TLS, credentials)."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file() and not path.name.endswith(".log")
    }


def test_a_second_start_is_one_line_and_leaves_the_running_one_alone(
    local_path: LocalPath,
) -> None:
    db_dir = local_path.state_dir / "db"
    before = _fingerprints(db_dir)
    assert "connection.json" in before

    second = subprocess.run(
        [sys.executable, "-m", "tools.local.edge", "--state-dir", str(local_path.state_dir),
         "--edge-port", str(free_port()), "--api-port", str(free_port()),
         "--direct-port", str(free_port()), "--legacy-port", str(free_port())],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert second.returncode == 1, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith(
        f"local: error: the local path is already running on {local_path.state_dir} (pid "
    )
    assert _fingerprints(db_dir) == before
    health = requests.get(f"{local_path.url(local_path.ports.direct)}/api/health", timeout=10)
    assert health.status_code == 200
