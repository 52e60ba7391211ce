"""The cut-over tool: ``python -m tools.cutover`` (see cli.py and docs/edge.md)."""
