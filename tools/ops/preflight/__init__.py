"""Check an AWS account for everything a stage's first deploy needs (``make preflight``)."""
