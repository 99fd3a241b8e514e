"""Where and how Plaudit runs, from the environment, read in one place.

The program is rules.yaml; everything about the machine (which database, which Redis, how many shards, how often
the cron jobs run) is an environment variable, read here into one :class:`Settings`. Nothing reads the
environment at import time: :func:`settings` builds the object on first use and again only if one of its
variables changed (a test's ``monkeypatch.setenv``), so a malformed value is refused by name when it is used.
The API's own secrets and limits are :class:`api.config.ApiConfig`, built from this module's readers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from engine.defaults import (
    CLOSE_GRACE_SECONDS,
    CRON_INTERVALS,
    DEFAULT_DATABASE_URL,
    DEFAULT_RULES_PATH,
    SHARDS,
)

__all__ = ["VARIABLES", "Settings", "env_int", "settings"]

#: Every variable :class:`Settings` reads (API secrets are read by ``api.config``).
VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "PLAUDIT_RULES",
    "PLAUDIT_SHARDS",
    "PLAUDIT_CLOSE_GRACE_SECONDS",
    *(variable for variable, _ in CRON_INTERVALS.values()),
)


def env_int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting; a malformed one is refused by name."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name}: expected at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    #: ``DATABASE_URL``: the embedded default is a SQLite file in the working directory.
    database_url: str = DEFAULT_DATABASE_URL
    #: ``REDIS_URL``: set in the scaled setup (RQ queues, Redis boards); unset embedded.
    redis_url: str | None = None
    #: ``PLAUDIT_RULES``: the program published when the database has none yet.
    rules_path: Path = Path(DEFAULT_RULES_PATH)
    #: ``PLAUDIT_SHARDS`` (see ``engine.defaults.SHARDS``).
    shards: int = SHARDS
    #: ``PLAUDIT_CLOSE_GRACE_SECONDS`` (see ``engine.defaults.CLOSE_GRACE_SECONDS``).
    close_grace_seconds: int = CLOSE_GRACE_SECONDS
    #: Seconds between runs of each cron job (``engine.defaults.CRON_INTERVALS``).
    intervals: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {job: seconds for job, (_, seconds) in CRON_INTERVALS.items()}
        )
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        default = cls()
        return cls(
            database_url=environ.get("DATABASE_URL") or default.database_url,
            redis_url=environ.get("REDIS_URL") or None,
            rules_path=Path(environ.get("PLAUDIT_RULES") or default.rules_path),
            shards=env_int(environ, "PLAUDIT_SHARDS", default.shards, minimum=1),
            close_grace_seconds=env_int(
                environ, "PLAUDIT_CLOSE_GRACE_SECONDS", default.close_grace_seconds
            ),
            intervals=MappingProxyType(
                {
                    job: env_int(environ, variable, seconds, minimum=1)
                    for job, (variable, seconds) in CRON_INTERVALS.items()
                }
            ),
        )


_built: tuple[tuple[str | None, ...], Settings] | None = None


def settings() -> Settings:
    """This process's settings: built from the environment on first use, rebuilt only if it changed."""
    global _built
    seen = tuple(os.environ.get(name) for name in VARIABLES)
    if _built is None or _built[0] != seen:
        _built = (seen, Settings.from_env())
    return _built[1]
