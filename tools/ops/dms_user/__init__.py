"""Create (or drop) DMS's own DocumentDB user from the Migration stack's target secret."""
