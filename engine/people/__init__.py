"""Who takes part: the roster and SCIM provisioning, the directory, the employee's own view, erasure, API keys, shoutouts."""

__all__: list[str] = []
