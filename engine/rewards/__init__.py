"""What people earn beyond points: badges, awards, milestones and payouts, and the outbox that tells HR systems."""

__all__: list[str] = []
