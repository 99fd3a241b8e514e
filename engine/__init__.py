"""Plaudit's engine: tables, event intake, scoring, ledger, standings and leaderboards.

It knows nothing of HTTP: the API and the CLI are thin layers over it.
"""

import os

# Piccolo finds its engine through this module; set before any table is defined.
os.environ.setdefault("PICCOLO_CONF", "engine.storage.piccolo_conf")

__all__: list[str] = []
