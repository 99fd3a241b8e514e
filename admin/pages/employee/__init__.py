"""The employees' own pages: the leaderboard, their profile, the shoutouts feed."""

__all__: list[str] = []
