"""Operational command-line tools (cutover, cost report)."""
