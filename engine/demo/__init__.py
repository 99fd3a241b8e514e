"""Demo and benchmark data: a generated roster and a month of events, and seeding a database with them."""

__all__: list[str] = []
