"""Where Plaudit's data lives: the database, its tables and migrations, the audit log, the Redis guard."""

__all__: list[str] = []
