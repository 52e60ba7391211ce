"""Lambda entry points, one per service (see ``taskly.routes.SERVICE_HANDLERS``)."""
