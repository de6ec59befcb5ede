"""The show's reminders through the admin API: what was planned and how each one ended."""

from __future__ import annotations

import httpx

from karaoke.bootstrap import Container
from tests.api.test_shows_contract import SHOWS, Night
from tests.api.test_songs_contract import assert_envelope


async def test_a_kj_sees_each_reminder_with_its_singer_and_how_it_ended(
    client: httpx.AsyncClient, admin: dict[str, str], container: Container
) -> None:
    show = (await client.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()
    night = Night(client, admin, show)
    for singer, title in [("ann", "Africa"), ("bob", "Zombie"), ("cat", "Linger"), ("dan", "Dreams")]:
        assert (await night.request(singer, title)).status_code == 201
    assert (await client.post(f"{night.url}/advance", headers=admin)).status_code == 200
    # Nobody in this test ever wrote to a bot, so there is no chat to reach them in.
    while await container.reminders.run_once():
        pass
    response = await client.get(f"{night.url}/notices", headers=admin)
    assert response.status_code == 200
    items = {(i["kind"], i["singer"]): i for i in response.json()["items"]}
    assert items[("up", "ann")]["status"] == "unreachable"
    assert items[("up", "ann")]["song"] == "Africa — Artist of Africa"
    assert items[("next", "bob")]["status"] == "unreachable"
    assert items[("no_show", "bob")]["status"] == "pending"
    assert items[("heads_up", "dan")]["status"] == "unreachable"  # asked at 4th, 3rd now
    assert items[("heads_up", "cat")]["status"] == "suppressed"  # told her place when she asked


async def test_reminders_are_for_kjs_only_and_an_unknown_show_is_a_404(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    show = (await client.post(SHOWS, json={"name": "Friday"}, headers=admin)).json()
    assert_envelope(await client.get(f"{SHOWS}/{show['show_id']}/notices"), 401, "unauthorized")
    wrong = {"Authorization": "Bearer not-the-token"}
    assert_envelope(await client.get(f"{SHOWS}/{show['show_id']}/notices", headers=wrong), 401, "unauthorized")
    missing = await client.get(f"{SHOWS}/00000000-0000-0000-0000-000000000000/notices", headers=admin)
    assert_envelope(missing, 404, "not-found")
    bad = await client.get(f"{SHOWS}/not-a-uuid/notices", headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation-error"
