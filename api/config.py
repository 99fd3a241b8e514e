"""How the API process runs, from the environment: where the data is, how people and tools authenticate."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from engine.settings import env_int, settings

__all__ = ["ApiConfig", "embedded_jwt_secret", "webhook_secret_variable"]


def embedded_jwt_secret(database_url: str | None) -> str:
    """The embedded default's token secret: made once, kept beside the SQLite file (mode 0600), never printed.

    ``PLAUDIT_JWT_SECRET`` takes precedence; with an identity provider neither is used.
    """
    from engine.storage.database import resolve_url

    url = resolve_url(database_url)
    folder = (
        Path(url.removeprefix("sqlite:///")).resolve().parent
        if url.startswith("sqlite:")
        else Path.cwd()
    )
    path = folder / ".plaudit-jwt-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def webhook_secret_variable(source: str) -> str:
    """``advocacy-tool`` → ``PLAUDIT_WEBHOOK_SECRET_ADVOCACY_TOOL``: secrets live in the environment only."""
    return "PLAUDIT_WEBHOOK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", source.upper())


@dataclass(frozen=True)
class ApiConfig:
    database_url: str | None = None
    #: HS256 secret for employee and HR tokens on the embedded default (``PLAUDIT_JWT_SECRET``).
    jwt_secret: str | None = None
    #: An identity provider's key instead: ``PLAUDIT_JWT_PUBLIC_KEY`` (PEM) with RS256 or ES256.
    jwt_public_key: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    #: Signs the web pages' session cookies (``PLAUDIT_SESSION_SECRET``); derived from the HS256 secret when
    #: unset, required with an identity provider's public key.
    session_secret: str | None = None
    #: Requests per second for one API key, token or address on /v1 (``PLAUDIT_RATE_LIMIT``; 0 turns it off).
    #: A one-second window: Litestar's limiter keeps every request time of the window, so a short window stays
    #: cheap. Webhooks are not limited: a signature check rejects strangers faster than a limiter would.
    rate_limit_per_second: int = 50
    #: Tools sending events (``/v1/events``, ``PLAUDIT_RATE_LIMIT_EVENTS``) and identity providers (``/scim/``,
    #: ``PLAUDIT_RATE_LIMIT_SCIM``) have limits of their own: a bulk sync or a backfill is not a person
    #: clicking, and must not be throttled by their limit (0 turns one off).
    events_rate_limit_per_second: int = 100
    scim_rate_limit_per_second: int = 500
    #: A batch of 1,000 events is ~0.5 MB; anything far larger is a mistake or an attack.
    max_body_bytes: int = 2 * 1024 * 1024
    max_batch_events: int = 1000
    #: Score in a thread of this process (the embedded default); off when RQ workers score.
    run_worker: bool = True
    #: ``REDIS_URL``: the scaled setup; accepted events are queued for ``plaudit worker`` per shard.
    redis_url: str | None = None
    webhook_secrets: dict[str, list[str]] = field(default_factory=dict)
    #: Database connections of the request threads (``PLAUDIT_DB_CONNECTIONS``): each worker thread of the
    #: API keeps one, so this caps both. Add two per process (intake writer, embedded worker) when sizing
    #: PostgreSQL's max_connections for N API processes.
    db_connections: int = 16
    #: Where this API is reached from outside (``PLAUDIT_PUBLIC_URL``): Open Badges documents name their own
    #: URLs under it, so it must be the address badge verifiers can fetch.
    public_url: str = "http://localhost:8000"
    #: The badge issuer's contact address (``PLAUDIT_ISSUER_EMAIL``; Open Badges requires one).
    issuer_email: str = "badges@example.com"
    #: Web origins whose pages may call the API from a browser (``PLAUDIT_CORS_ORIGINS``, comma-separated, e.g.
    #: the intranet portal): CORS answers their preflights. None by default: same-origin pages need none.
    cors_origins: tuple[str, ...] = ()

    def secrets_for(self, source: str) -> list[str]:
        """The source's signing secrets (several at once while rotating); from the config or the environment."""
        if source in self.webhook_secrets:
            return self.webhook_secrets[source]
        return os.environ.get(webhook_secret_variable(source), "").replace(",", " ").split()

    @classmethod
    def from_env(cls, **overrides: object) -> ApiConfig:
        env = os.environ
        values: dict[str, object] = {
            "database_url": env.get("DATABASE_URL"),
            "redis_url": settings().redis_url,
            "jwt_secret": env.get("PLAUDIT_JWT_SECRET"),
            "jwt_public_key": env.get("PLAUDIT_JWT_PUBLIC_KEY"),
            "jwt_algorithm": env.get(
                "PLAUDIT_JWT_ALGORITHM", "RS256" if env.get("PLAUDIT_JWT_PUBLIC_KEY") else "HS256"
            ),
            "jwt_issuer": env.get("PLAUDIT_JWT_ISSUER"),
            "jwt_audience": env.get("PLAUDIT_JWT_AUDIENCE"),
            "session_secret": env.get("PLAUDIT_SESSION_SECRET"),
            "rate_limit_per_second": env_int(env, "PLAUDIT_RATE_LIMIT", 50),
            "events_rate_limit_per_second": env_int(env, "PLAUDIT_RATE_LIMIT_EVENTS", 100),
            "scim_rate_limit_per_second": env_int(env, "PLAUDIT_RATE_LIMIT_SCIM", 500),
            "db_connections": env_int(env, "PLAUDIT_DB_CONNECTIONS", 16, minimum=1),
            "public_url": env.get("PLAUDIT_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
            "issuer_email": env.get("PLAUDIT_ISSUER_EMAIL", "badges@example.com"),
            "cors_origins": tuple(env.get("PLAUDIT_CORS_ORIGINS", "").replace(",", " ").split()),
            # off: this process only serves; separate workers score (see `plaudit worker`).
            "run_worker": env.get("PLAUDIT_WORKER", "on").lower()
            not in ("off", "0", "false", "no"),
        }
        values.update(overrides)
        if not values.get("jwt_secret") and not values.get("jwt_public_key"):
            if values.get("redis_url"):
                # Scaled: every API process must accept every other's tokens, so none may make its own secret.
                raise ValueError(
                    "PLAUDIT_JWT_SECRET (or PLAUDIT_JWT_PUBLIC_KEY): required when REDIS_URL is set, "
                    "so that every API process accepts the same tokens"
                )
            values["jwt_secret"] = embedded_jwt_secret(values.get("database_url"))  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]
