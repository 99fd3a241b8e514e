"""``/health`` (database and worker lag) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.runtime import Runtime

__all__ = ["HealthController"]


class Health(msgspec.Struct):
    status: str
    database: str
    pending_events: int
    worker_lag_seconds: float | None
    worker_last_error: str | None
    ruleset: str
    #: False for the few seconds after start while the current periods' boards load into memory.
    boards_warm: bool = True
    #: Scaled: ``ok`` or ``unavailable`` (events are still taken and queued once it is back); embedded: ``not used``.
    redis: str = "not used"
    #: Scaled: RQ workers listening on the scoring queue (0 while Redis is unavailable: unknown).
    workers: int | None = None


class HealthController(Controller):
    tags = ["operations"]

    @get(
        "/health",
        sync_to_thread=True,
        exclude_from_auth=True,
        responses={503: ResponseSpec(Health, description="The database does not answer")},
    )
    def health(self, state: State) -> Response[Health]:
        """503 when the database does not answer; ``degraded`` (200: events are still taken) when Redis does
        not; ``worker_lag_seconds`` is the age of the oldest pending event."""
        runtime: Runtime = state.runtime
        redis, workers = runtime.redis_status()
        try:
            pending, lag = runtime.pending()
        except (
            Exception
        ) as exc:  # the database is down: say so instead of failing the probe with a 500
            body = Health(
                "unavailable",
                f"error: {type(exc).__name__}",
                0,
                None,
                runtime.worker.stats.last_error,
                runtime.rules.version,
                redis=redis,
                workers=workers,
            )
            return Response(body, status_code=503)
        return Response(
            Health(
                "degraded" if redis == "unavailable" else "ok",
                "ok",
                pending,
                lag,
                runtime.worker.stats.last_error,
                runtime.rules.version,
                runtime.boards_warm.is_set(),
                redis,
                workers,
            )
        )

    @get("/metrics", sync_to_thread=True, exclude_from_auth=True, media_type=CONTENT_TYPE_LATEST)
    def metrics(self, state: State) -> bytes:
        """Prometheus exposition: intake by outcome, scoring, lag."""
        registry = CollectorRegistry()
        registry.register(_RuntimeCollector(state.runtime))
        return generate_latest(registry)


class _RuntimeCollector(Collector):
    """Reads the figures when scraped, so nothing is counted twice or kept in a second place."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runtime = self.runtime
        pending, lag = runtime.pending()
        w = runtime.worker.stats
        events = CounterMetricFamily(
            "plaudit_events", "Events seen by intake, by outcome.", labels=["outcome"]
        )
        for outcome in ("accepted", "duplicate", "rejected"):
            events.add_metric([outcome], getattr(runtime.intake, outcome))
        yield events
        yield CounterMetricFamily(
            "plaudit_events_scored", "Events scored by this process's worker.", value=w.scored
        )
        yield CounterMetricFamily(
            "plaudit_events_parked", "Events parked for an unknown employee.", value=w.parked
        )
        yield CounterMetricFamily(
            "plaudit_scoring_failures", "Scoring batches rolled back and retried.", value=w.failures
        )
        rate = w.scored / w.busy_seconds if w.busy_seconds else 0.0
        yield GaugeMetricFamily(
            "plaudit_scoring_rate_events_per_second",
            "Events scored per second of scoring work.",
            value=rate,
        )
        yield GaugeMetricFamily(
            "plaudit_pending_events", "Events waiting to be scored.", value=pending
        )
        yield GaugeMetricFamily(
            "plaudit_worker_lag_seconds", "Age of the oldest pending event.", value=lag or 0.0
        )
        yield GaugeMetricFamily(
            "plaudit_uptime_seconds",
            "Seconds since this process started.",
            value=time.time() - runtime.started_at,
        )
