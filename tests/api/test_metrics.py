"""``GET /metrics``: Prometheus series for request latency by route template, the inbox and outbox (depth and
oldest age, read at scrape time), reminder delay, search latency and rate-limit waits; behind a bearer token."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from core.chat import Person, Reply, Room, Said
from core.delivery import Delivered, OutboxItem, Outgoing, SendOutcome
from core.rotation import Notice
from karaoke.bootstrap import Container, background, build
from tests.conftest import ADMIN_TOKEN, settings_for

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await client.get("/metrics", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def test_metrics_need_the_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN_TOKEN}"}):
        answer = await client.get("/metrics", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"
    assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]


async def test_a_separate_metrics_token_opens_metrics_and_nothing_else(db_url: str) -> None:
    async with build(settings_for(db_url, metrics_token="prometheus-reads-only-this"), upgrade=False) as container:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            scraper = {"Authorization": "Bearer prometheus-reads-only-this"}
            assert (await http.get("/metrics", headers=scraper)).status_code == 200
            assert (await http.get("/metrics", headers=ADMIN)).status_code == 401
            assert (await http.post("/api/v1/shows", json={"name": "x"}, headers=scraper)).status_code == 401


async def test_requests_are_timed_by_route_template_and_searches_by_the_search(
    client: httpx.AsyncClient, container: Container
) -> None:
    song = (await client.post("/api/v1/songs", json={"title": "Zombie", "artist": "The Cranberries"},
                              headers=ADMIN)).json()
    for _ in range(3):
        assert (await client.get(f"/api/v1/songs/{song['song_id']}")).status_code == 200
    assert (await client.get("/api/v1/songs/search", params={"q": "zombi"})).status_code == 200
    assert (await client.get("/no/such/page/123")).status_code == 404
    seen = await scrape(client)
    by_route = {labels: value for (name, labels), value in seen.items()
                if name == "karaoke_http_request_duration_seconds_count"}
    assert by_route[(("method", "GET"), ("route", "/api/v1/songs/{song_id}"), ("status", "200"))] == 3
    assert by_route[(("method", "POST"), ("route", "/api/v1/songs"), ("status", "201"))] == 1
    assert by_route[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert not any(song["song_id"] in dict(labels)["route"] for labels in by_route), "never the raw path"
    assert seen[("karaoke_search_duration_seconds_count", ())] >= 1
    assert 0 < seen[("karaoke_search_duration_seconds_sum", ())] < 5
    assert seen[("karaoke_database_up", ())] == 1


async def test_queue_depths_and_ages_are_read_at_scrape_time(client: httpx.AsyncClient, container: Container) -> None:
    seen = await scrape(client)
    assert seen[("karaoke_inbox_depth", ())] == 0 and seen[("karaoke_inbox_oldest_age_seconds", ())] == 0
    room = Room("telegram", "-100", private=False)
    await container.inbox.put(Said(Person("telegram", "1", "Ann"), room, "/help", "u1"))
    await container.inbox.put(Said(Person("telegram", "1", "Ann"), room, "/queue", "u2"))
    await container.outbox.enqueue(
        [Outgoing(f"k{n}", "telegram", Reply(room, None, f"hello {n}")) for n in range(3)],
        container.clock.now() - timedelta(seconds=30),
    )
    await asyncio.sleep(0.05)
    seen = await scrape(client)
    assert seen[("karaoke_inbox_depth", ())] == 2
    assert 0 < seen[("karaoke_inbox_oldest_age_seconds", ())] < 30
    assert seen[("karaoke_outbox_depth", (("platform", "telegram"),))] == 3
    assert 30 <= seen[("karaoke_outbox_oldest_age_seconds", (("platform", "telegram"),))] < 60


async def test_reminder_delay_is_how_long_after_its_due_time_a_reminder_went_out(
    client: httpx.AsyncClient, container: Container
) -> None:
    now = container.clock.now()
    await container.notices.add([Notice("n-1", "show-1", "req-1", "next", now - timedelta(seconds=7))], now)
    [due] = await container.notices.claim_due(now, 10)
    await container.notices.settle(due.notice_id, "sent", [], [], now + timedelta(seconds=1))
    seen = await scrape(client)
    assert seen[("karaoke_reminder_delay_seconds_count", (("kind", "next"),))] == 1
    assert 7.9 <= seen[("karaoke_reminder_delay_seconds_sum", (("kind", "next"),))] <= 9


class Takes:
    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.sent.append(item)
        return Delivered()


async def test_sends_held_back_by_a_platform_rate_limit_count_their_waits(
    client: httpx.AsyncClient, container: Container
) -> None:
    sender = Takes()
    room = Room("telegram", "555", private=True)
    async with background(container, {"telegram": sender}):
        # Telegram takes one message a second per chat: the second waits about a second.
        await container.outbox.enqueue([Outgoing(f"r{n}", "telegram", Reply(room, None, f"m{n}")) for n in range(2)],
                                       container.clock.now())
        container.messages_queued.set()
        for _ in range(100):
            if len(sender.sent) == 2:
                break
            await asyncio.sleep(0.05)
    assert len(sender.sent) == 2
    seen = await scrape(client)
    assert seen[("karaoke_rate_limit_wait_seconds_count", ())] >= 1
    assert 0.5 <= seen[("karaoke_rate_limit_wait_seconds_sum", ())] <= 2.5


async def test_every_service_built_has_a_registry_of_its_own(db_url: str) -> None:
    async with build(settings_for(db_url), upgrade=False) as one, build(settings_for(db_url), upgrade=False) as two:
        assert one.metrics.registry is not two.metrics.registry
        for container in (one, two, one):
            create_app(container)


async def test_guessing_the_metrics_token_is_limited_like_the_admin_token(client: httpx.AsyncClient) -> None:
    answers = [await client.get("/metrics", headers={"Authorization": f"Bearer wrong-{n}"}) for n in range(30)]
    assert {a.status_code for a in answers[:10]} == {401}
    limited = answers[-1]
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too-many-attempts"
    assert int(limited.headers["retry-after"]) >= 1
    # The same client is now refused the admin API too, even with the right token: one count of guesses.
    assert (await client.get("/api/v1/shows/00000000-0000-0000-0000-000000000000/log",
                             headers=ADMIN)).status_code == 429
