"""The ``ChatDirectory`` contract on SQLite and PostgreSQL: the same checks the in-memory ones pass."""

from __future__ import annotations

import pytest

from core.chat import ChatDirectory
from karaoke.bootstrap import Container
from storage.chat_directory import SqlChatDirectory
from tests.unit.chat.test_directory import *  # noqa: F403 - the contract's tests run here against SQL


@pytest.fixture
def directory(container: Container) -> ChatDirectory:
    return SqlChatDirectory(container.engine)
