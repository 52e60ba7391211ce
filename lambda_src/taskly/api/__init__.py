"""HTTP layer: Powertools routers (one per module), caller identity and the error mapping."""
