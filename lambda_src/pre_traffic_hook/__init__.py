"""CodeDeploy pre-traffic hook shared by every CanaryFunction (boto3 only, no bundling)."""
