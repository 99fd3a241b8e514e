"""Standings and the leaderboards read from them: SQL, in memory, Redis, and the pages over them."""

__all__: list[str] = []
