"""What advocacy tools send: canonical event batches and signed webhooks."""

__all__: list[str] = []
