"""``make routes``: print the migration table (which /api routes run where).

Reads ``lambda_src/taskly/routes.py`` exactly as the compute stack does, so what this prints
is what API Gateway serves: each migrated route goes to its service's ``live`` alias, and
every other /api request to the legacy backend.
"""

from __future__ import annotations

import sys

from stacks.route_table import LEGACY, load_route_table


def render() -> str:
    table = load_route_table()
    public = {(route.method, route.path) for route in table.routes if route.public}
    rows = [("METHOD", "PATH", "SERVICE", "AUTH")]
    for method, path, target in table.rows():
        if target == LEGACY:
            auth = "legacy backend"
        elif (method, path) in public:
            auth = "public"
        else:
            auth = f"JWT, scope {table.api_scope}"
        rows.append((method, path, target, auth))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    migrated = len(table.routes)
    lines.append(f"{migrated} routes migrated; every other /api request goes to legacy.")
    return "\n".join(lines)


def main() -> int:
    try:
        print(render())
    except (FileNotFoundError, ImportError, AttributeError) as error:
        print(f"error: cannot read the route table: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
