"""Parity: does a migrated route answer like the legacy route it replaces? (docs/parity.md)

``python -m tools.ops.parity`` sends each request to legacy twice and to the new API once,
subtracts the differences between the two legacy answers (noise) and reports what remains
per route template of the migration table. ``tools/ops/cutover`` reads its JSON report as a gate.
"""
