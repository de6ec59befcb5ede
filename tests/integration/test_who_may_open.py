"""Who may run a night, wired as the service runs: ``karaoke kj invite`` as a real process, the code redeemed
in chat against the real database, the allowlist from the environment, and one line at start saying so."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.chat import Person, Room, Said
from karaoke.bootstrap import Container, background, build
from storage.tables import kj_invites
from tests.conftest import settings_for

REPO = Path(__file__).resolve().parents[2]
OPEN_TO_ALL = "Anyone may open shows"


def kj_invite(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"KARAOKE_DATABASE_URL": db_url, "KARAOKE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "karaoke.cli", "kj", "invite", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=REPO)


class Chat:
    """Says things to the container's bot as a person on Telegram would."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.updates = 0

    async def say(self, user: str, text: str, room: str | None = None) -> str:
        self.updates += 1
        person = Person("telegram", user, user.title())
        where = Room("telegram", room, False) if room else Room("telegram", f"dm-{user}", True)
        replies = await self.container.chat.handle(Said(person, where, text, f"update-{self.updates}"))
        return "\n".join(r.text for r in replies)


async def test_an_invite_made_on_the_command_line_lets_exactly_its_redeemer_open_shows(db_url: str) -> None:
    made = kj_invite(db_url, "--hours", "24")
    assert made.returncode == 0, made.stderr
    found = re.search(r"KJ invite: (KJ-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", made.stdout)
    assert found, made.stdout
    code = found.group(1)
    assert f"/redeem {code}" in made.stdout
    async with build(settings_for(db_url), upgrade=False) as container:
        async with container.engine.connect() as conn:
            stored = (await conn.execute(select(kj_invites))).all()
        assert len(stored) == 1 and code not in str(stored[0]) and code.replace("-", "") not in str(stored[0])
        chat = Chat(container)
        assert "Only this venue's KJs can open shows" in await chat.say("bob", "/open Bob's night", "bar")
        assert "You're a KJ now!" in await chat.say("bob", f"/redeem {code.lower()}")
        assert "That invite code has already been used." in await chat.say("cat", f"/redeem {code}")
        assert "“Bob's night” is open!" in await chat.say("bob", "/open Bob's night", "bar")
        assert "Only this venue's KJs can open shows" in await chat.say("cat", "/open", "pub")


def test_an_invite_needs_a_sensible_lifetime(tmp_path: Path) -> None:
    refused = kj_invite(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", "--hours", "0")
    assert refused.returncode == 2 and "--hours must be between 1 and 2160" in refused.stderr


async def test_the_allowlist_from_the_environment_decides_who_may_open(db_url: str) -> None:
    settings = settings_for(db_url, kj_allowlist="telegram:kim, slack:U123", max_open_shows_per_person=2)
    async with build(settings, upgrade=False) as container:
        chat = Chat(container)
        assert "Only this venue's KJs can open shows" in await chat.say("bob", "/open", "bar")
        assert "is open!" in await chat.say("kim", "/open One", "r1")
        assert "is open!" in await chat.say("kim", "/open Two", "r2")
        assert "You already run 2 open shows" in await chat.say("kim", "/open Three", "r3")


def test_a_malformed_allowlist_stops_the_service_naming_the_entry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'555123' is not platform:user_id"):
        settings_for(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", kj_allowlist="telegram:1,555123")


async def test_an_open_service_says_so_once_at_start(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="karaoke.bootstrap")
    async with build(settings_for(db_url), upgrade=False) as container, background(container):
        pass
    said = [r.getMessage() for r in caplog.records if OPEN_TO_ALL in r.getMessage()]
    assert len(said) == 1 and "KARAOKE_KJ_ALLOWLIST" in said[0] and "docs/deploy.md" in said[0]
    caplog.clear()
    async with build(settings_for(db_url, kj_allowlist="telegram:kim"), upgrade=False) as container, \
            background(container):
        pass
    assert not [r for r in caplog.records if OPEN_TO_ALL in r.getMessage()]
    assert any("Only KJs may open shows: 1 on KARAOKE_KJ_ALLOWLIST" in r.getMessage() for r in caplog.records)


async def test_twenty_opens_in_twenty_groups_from_one_person_open_three_shows(db_url: str) -> None:
    async with build(settings_for(db_url), upgrade=False) as container:
        chat = Chat(container)
        answers = [await chat.say("spammer", f"/open Night {n}", f"group-{n}") for n in range(20)]
        assert sum("is open!" in a for a in answers) == 3
        assert set(answers[3:]) == {"You already run 3 open shows — that's the limit. /close one you're done with "
                                    "first."}
        assert (await container.rotation.list_shows("open")).total == 3
