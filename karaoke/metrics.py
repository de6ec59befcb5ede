"""The service's Prometheus metrics: one registry per built service (nothing at import time), its instruments,
and the wrappers that feed them (search timing, rate-limit waits, queue depths read at scrape time)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.catalog.search import CatalogSearch, SearchResult
from core.clock import Clock, Sleeper
from core.repeat import Outages
from storage.observed import QueueDepths

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_DELAY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class ServiceMetrics:
    """Every instrument of one service instance, in a registry of its own.

    The queue gauges are read from the database at scrape time (``refresh``, which ``/metrics`` awaits first);
    while the database is away they are left out and ``karaoke_database_up`` is 0.
    """

    def __init__(
        self,
        *,
        token: str,
        queues: Callable[[], Awaitable[QueueDepths]],
        clock: Clock,
        outages: Outages,
        database_down: Callable[[], bool],
    ) -> None:
        """``token`` is the bearer token a scraper must send."""
        self.token = token
        self.registry = CollectorRegistry()
        self._queues = queues
        self._clock = clock
        self._outages = outages
        self._database_down = database_down
        self._depths: QueueDepths | None = None
        self._read_at: datetime | None = None
        self.requests = Histogram(
            "karaoke_http_request_duration_seconds", "HTTP requests by route template, method and status",
            ["method", "route", "status"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.search = Histogram(
            "karaoke_search_duration_seconds", "Catalog searches (API, pages and chat)",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0), registry=self.registry,
        )
        self.reminder_delay = Histogram(
            "karaoke_reminder_delay_seconds", "How long after its due time a reminder was settled and queued to send",
            ["kind"], buckets=_DELAY_BUCKETS, registry=self.registry,
        )
        self.rate_limit_waits = Histogram(
            "karaoke_rate_limit_wait_seconds", "Waits before a send to keep a platform's rate limits",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0), registry=self.registry,
        )
        self.registry.register(_Queues(self))

    async def refresh(self) -> None:
        """Read the queue depths for the scrape under way."""
        try:
            self._depths = await self._queues()
            self._read_at = self._clock.now()
        except Exception as error:
            self._depths = None
            if not self._outages.absorbs(error):
                logger.warning("reading the queue depths for /metrics failed", exc_info=True)

    def gauges(self) -> Iterator[Metric]:
        """The gauges read at scrape time."""
        up = GaugeMetricFamily("karaoke_database_up", "1 while the database answers, 0 during an outage")
        up.add_metric([], 0.0 if self._database_down() or self._depths is None else 1.0)
        yield up
        depths, now = self._depths, self._read_at
        if depths is None or now is None:
            return
        inbox = GaugeMetricFamily("karaoke_inbox_depth", "Chat updates stored and not yet handled")
        inbox.add_metric([], depths.inbox.count)
        inbox_age = GaugeMetricFamily("karaoke_inbox_oldest_age_seconds",
                                      "Age of the oldest update not handled (0: none)")
        inbox_age.add_metric([], _age(now, depths.inbox.oldest))
        outbox = GaugeMetricFamily("karaoke_outbox_depth", "Messages queued and neither sent nor failed",
                                   labels=["platform"])
        outbox_age = GaugeMetricFamily("karaoke_outbox_oldest_age_seconds",
                                       "Age of the oldest message not sent (0: none)", labels=["platform"])
        for platform, waiting in sorted(depths.outbox.items()):
            outbox.add_metric([platform], waiting.count)
            outbox_age.add_metric([platform], _age(now, waiting.oldest))
        yield from (inbox, inbox_age, outbox, outbox_age)


def _age(now: datetime, oldest: datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


class _Queues(Collector):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self._metrics.gauges()


class TimedSearch(CatalogSearch):
    """``CatalogSearch`` that reports how long every search took (``observe(seconds)``)."""

    def __init__(self, *args: Any, observe: Callable[[float], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._observe = observe

    async def search(self, query: str, limit: int = 10) -> SearchResult:
        started = time.perf_counter()
        try:
            return await super().search(query, limit)
        finally:
            self._observe(time.perf_counter() - started)


class TimedSleeper:
    """A ``Sleeper`` for the dispatcher, whose only waits are for rate limits: each is observed."""

    def __init__(self, sleeper: Sleeper, metrics: ServiceMetrics) -> None:
        self._sleeper = sleeper
        self._metrics = metrics

    async def sleep(self, seconds: float) -> None:
        self._metrics.rate_limit_waits.observe(seconds)
        await self._sleeper.sleep(seconds)
