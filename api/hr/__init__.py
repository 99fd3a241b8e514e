"""HR's API: adjustments, API keys, KPIs, the outbox, the review queue."""

__all__: list[str] = []
