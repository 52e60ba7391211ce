"""Runs the CloudFront Function tests (tests/edge/js, node:test) as part of the Python suite."""

from __future__ import annotations

import shutil
import subprocess

from tests.edge.conftest import EDGE_TESTS


def test_cloudfront_function_suite_passes_under_node() -> None:
    node = shutil.which("node")
    assert node, "node (20 or later) is needed to test the CloudFront Functions"
    # Files, not the folder: from Node 22 on `node --test DIR` runs DIR as a script and fails.
    files = sorted(str(path) for path in (EDGE_TESTS / "js").glob("*.test.mjs"))
    assert len(files) >= 3, files
    result = subprocess.run(
        [node, "--test", "--test-reporter=dot", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
