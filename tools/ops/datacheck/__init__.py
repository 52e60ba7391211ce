"""Compare a source and a target MongoDB/DocumentDB database before trusting a migration.

``python -m tools.ops.datacheck --source URI --target URI [--source-ca FILE] [--target-ca FILE]
[--collections a,b] [--sample N] [--format text|json]``.
See docs/data-migration.md, "datacheck reference".
"""
