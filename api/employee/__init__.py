"""What employees (and HR, and `read` keys) ask for: leaderboards, profiles, shoutouts, badges, awards."""

__all__: list[str] = []
