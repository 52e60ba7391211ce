"""Use cases: HTTP-free and driver-free, so they are unit-tested with in-memory repositories."""
