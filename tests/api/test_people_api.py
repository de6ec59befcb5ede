"""``DELETE /api/v1/people/{platform}/{user_id}``: the admin forgets a person; the API and the pages then
show an anonymous singer, and nothing of the person is left in any table."""

from __future__ import annotations

import httpx

from core.privacy import ANONYMOUS_NAME
from karaoke.bootstrap import Container
from tests.integration.test_erasure_sql import ANN, ANNS_TRACES, _a_night
from tests.privacy_scan import tables_containing


async def test_the_admin_forgets_a_person_and_every_view_shows_an_anonymous_singer(
        container: Container, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    _, show_id = await _a_night(container)
    path = f"/api/v1/people/telegram/{ANN.user_id}"
    refused = await client.delete(path)
    assert refused.status_code == 401 and refused.json()["error"]["code"]
    show = (await client.get(f"/api/v1/shows/{show_id}")).json()
    assert "Queen Quux" in (await client.get(f"/display/{show['code']}")).text

    answer = await client.delete(path, headers=admin)

    assert answer.status_code == 204 and answer.content == b""
    assert await tables_containing(container.engine, *ANNS_TRACES) == {}
    queue = (await client.get(f"/api/v1/shows/{show_id}/queue")).json()
    assert queue["now"]["singer"]["name"] == ANONYMOUS_NAME
    assert [s["singer"]["name"] for s in queue["upcoming"]] == ["Bob Slackson"]
    for page in (f"/display/{show['code']}", f"/songbook/{show['code']}"):
        html = (await client.get(page)).text
        assert not any(trace in html for trace in ANNS_TRACES), page
    assert ANONYMOUS_NAME in (await client.get(f"/display/{show['code']}")).text
    again = await client.delete(path, headers=admin)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not-found"


async def test_forgetting_someone_never_known_is_404_and_odd_ids_are_400_never_500(
        client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    unknown = await client.delete("/api/v1/people/telegram/123456789", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not-found"
    odd = ("/api/v1/people/Tele%20gram/1", "/api/v1/people/telegram/a%00b", "/api/v1/people/telegram/" + "9" * 201)
    for path in odd:
        bad = await client.delete(path, headers=admin)
        assert bad.status_code in (400, 404) and "error" in bad.json(), (path, bad.status_code)
