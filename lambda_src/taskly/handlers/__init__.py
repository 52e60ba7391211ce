"""Lambda entry points, one per service (``stacks/services.py`` names each one)."""
