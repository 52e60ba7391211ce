"""What one tasks execution environment holds open to a server, counted on real sockets.

The stage's DocumentDB connection budget (``StageConfig.docdb_connection_budget``) counts, per
environment and server, ``compute.<fn>.docdb_max_pool_size`` pooled connections plus
``PYMONGO_MONITOR_CONNECTIONS`` monitoring connections. Here the tasks function's own
``DocumentDbConnection`` (with ``create_client``, as in Lambda) runs against the real
wire-protocol server in a child process, under more concurrent operations than any Lambda
environment has (eight threads), and the child counts its established TCP sockets to the
server's port from ``/proc``. The count must be exactly the budget's figure: fewer would mean
the test did not exercise the pool, more that the budget undercounts.

Not proven here: the server has one member, so "per server" is shown for one server (PyMongo
opens the same per member of a replica set); DocumentDB's own accounting is not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from stacks.config import PYMONGO_MONITOR_CONNECTIONS, stage_config
from tools.local.db import LocalDb

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys, threading
from pathlib import Path

from taskly.data.documentdb import DocumentDbConnection

secret, pool_size, port = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
connection = DocumentDbConnection(
    secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:tasks-db",
    database="connection_budget",
    ca_file=Path("certs/global-bundle.pem"),
    max_pool_size=pool_size,
    secret_loader=lambda _arn, _force: secret,
)
collection = connection.collection()
collection.insert_many([{"n": n} for n in range(40)])


def work():
    for _ in range(15):
        list(collection.find({}).batch_size(4))


threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

own = set()
for fd in os.listdir("/proc/self/fd"):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:["):
        own.add(target[8:-1])
established = 0
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    with open(table) as rows:
        next(rows)
        for row in rows:
            fields = row.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and remote_port == port and fields[9] in own:
                established += 1
print(json.dumps({"established": established}))
"""


def test_an_environment_holds_its_pool_plus_one_monitor_per_server(wire_db: LocalDb) -> None:
    # Given the pool size prod's tasks function runs with
    pool_size = (
        stage_config("prod", account=None, region=None)
        .compute.function("tasks")
        .docdb_max_pool_size
    )
    assert pool_size is not None
    # When its connection code runs eight concurrent workers against one server
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'lambda_src'}{os.pathsep}{REPO}"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            json.dumps(wire_db.secret()),
            str(pool_size),
            str(wire_db.port),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    established = json.loads(result.stdout.strip().splitlines()[-1])["established"]
    # Then it holds exactly what the connection budget counts for it
    assert established == pool_size + PYMONGO_MONITOR_CONNECTIONS
