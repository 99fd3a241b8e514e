"""Calls to a Redis that may be down, for processes that can carry on without it.

After a Redis error, Redis is left alone for ``retry_after`` seconds: a dead Redis then costs one connect
timeout every few seconds, not one per request or per intake batch. The API's leaderboard reads, board
publishes and scoring queue all share one circuit, since they share one Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

__all__ = ["RedisCircuit"]

log = logging.getLogger("plaudit.redis")

T = TypeVar("T")


class RedisCircuit:
    def __init__(self, retry_after: float = 5.0) -> None:
        self.retry_after = retry_after
        self._down_until = 0.0

    def call(self, fn: Callable[[], T], instead: str) -> T | None:
        """``fn()``, or None when Redis is down or recently was; ``instead`` says in the log what happens
        then (e.g. "leaderboards read from SQL")."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return fn()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + self.retry_after
            log.warning("Redis unavailable (%s): %s", exc, instead)
            return None
