"""HR's API: adjustments, API keys, KPIs, the outbox."""

__all__: list[str] = []
