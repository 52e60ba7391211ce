"""The services: one entry per Lambda function of the API, read by everything that needs them.

The stage config (``[compute.<name>]`` tables and their defaults), the bundles, the Compute
stack (function, grants, alarms, dashboard), the route table's check and the tests all iterate
``SERVICES``; adding a service is one entry here plus its handler module and its routes in
``lambda_src/taskly/routes.py``. The routes stay there: they ship in the bundles and the runtime
routers read them (``lambda_src`` never imports ``stacks``). Standard library only: tools read
this without the CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What a service's code uses; each grants exactly the calls for it in the Compute stack.
Use = Literal["database", "idempotency", "email_queue", "send_email"]


@dataclass(frozen=True, kw_only=True)
class Service:
    """One Lambda service.

    ``trigger``: ``http`` serves its routes behind the HTTP API (reserved concurrency optional,
    at most 29 seconds, smoke-tested before traffic); ``email_queue`` consumes the email queue
    (capped by the event source's ``max_concurrency``, never reserved concurrency).
    ``in_vpc``: runs in the private subnets (needed to reach the database).
    ``snap_start``: may use SnapStart when the stage turns it on (``compute.snap_start``).
    The sizing fields are the defaults of ``[compute.<name>]``; a stage file overrides them.
    """

    name: str
    construct_id: str
    handler: str
    trigger: Literal["http", "email_queue"]
    uses: frozenset[Use]
    in_vpc: bool
    snap_start: bool = True
    memory_mb: int = 256
    timeout_seconds: int = 10
    # http only: the DocumentDB client's maxPoolSize when the service uses the database.
    docdb_max_pool_size: int | None = None
    # email_queue only: the event source's MaximumConcurrency.
    max_concurrency: int = 2

    @property
    def bundle(self) -> Literal["documentdb", "plain"]:
        """Which bundle the code ships in: with the DocumentDB driver and CA, or without."""
        return "documentdb" if "database" in self.uses else "plain"

    @property
    def http(self) -> bool:
        return self.trigger == "http"


SERVICES: tuple[Service, ...] = (
    Service(
        name="tasks",
        construct_id="Tasks",
        handler="taskly.handlers.tasks.handler",
        trigger="http",
        uses=frozenset({"database", "idempotency", "email_queue"}),
        in_vpc=True,
        memory_mb=512,
        timeout_seconds=10,
        docdb_max_pool_size=1,
    ),
    Service(
        name="profile",
        construct_id="Profile",
        handler="taskly.handlers.profile.handler",
        trigger="http",
        uses=frozenset({"database"}),
        in_vpc=True,
        memory_mb=256,
        timeout_seconds=5,
        docdb_max_pool_size=1,
    ),
    Service(
        name="email_worker",
        construct_id="EmailWorker",
        handler="taskly.handlers.email_worker.handler",
        trigger="email_queue",
        uses=frozenset({"idempotency", "send_email"}),
        in_vpc=False,
        memory_mb=256,
        timeout_seconds=30,
        max_concurrency=2,
    ),
)


# Readers look SERVICES up when they run (``services.SERVICES``), so a test can swap the table.


def service(name: str) -> Service:
    """The entry named ``name`` (KeyError names the known ones)."""
    for entry in SERVICES:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def http() -> tuple[Service, ...]:
    """The services behind the HTTP API, in table order."""
    return tuple(entry for entry in SERVICES if entry.http)
