"""The cut-over tool: ``python -m tools.ops.cutover`` (see cli.py and docs/edge.md)."""
