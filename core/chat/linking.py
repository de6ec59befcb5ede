"""``/link`` and ``/unlink``: one person across Telegram, Slack (and later the web page).

``/link`` in a private chat answers with a one-time code; ``/link CODE`` sent from another account joins
the two into one person (see ``core.people.service`` for what that does to a show under way); a KJ's
``/link for NAME`` makes the code for a walk-in of their show, to hand over. ``/unlink`` undoes a link.
Codes are said only in private chats: whoever holds one can become that person.
"""

from __future__ import annotations

from core.chat.messages import Messages
from core.chat.parsing import STAGE_NAME_MAX
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps, command_id
from core.chat.vocabulary import Reply
from core.people import LINK_LIFETIME, LinkOutcome, PersonRecord

_FOR = "for "
_PLATFORMS = {"telegram": "platform.telegram", "slack": "platform.slack", "web": "platform.web"}
_OUTCOMES = {
    LinkOutcome.SELF: "link.self",
    LinkOutcome.UNKNOWN: "link.unknown",
    LinkOutcome.USED: "link.used",
    LinkOutcome.EXPIRED: "link.expired",
    LinkOutcome.LIMITED: "link.limited",
}


class Linking:
    """The ``/link`` and ``/unlink`` commands."""

    def __init__(self, steps: Steps) -> None:
        """Work through the shared ``steps``."""
        self._steps = steps

    def commands(self) -> list[CommandSpec]:
        """``/link`` and ``/unlink``, open to anyone (``/link for NAME`` checks for a KJ itself)."""
        return [CommandSpec("link", Who.ANYONE, self.link), CommandSpec("unlink", Who.ANYONE, self.unlink)]

    async def link(self, ask: Asked) -> list[Reply]:
        """``/link``: a code for me; ``/link CODE``: I am the code's person too; ``/link for NAME``: a walk-in's."""
        args = ask.args.strip()
        if not args:
            return await self._code_for_me(ask)
        if args.casefold().startswith(_FOR):
            return await self._code_for_walk_in(ask, args[len(_FOR):].strip())
        return await self._use_code(ask, args)

    async def _code_for_me(self, ask: Asked) -> list[Reply]:
        steps = self._steps
        if not ask.event.room.private:
            raise steps.refuse("link.private")
        person = await steps.person(ask.event.person)
        code = await steps.people.link_code(person.person_id)
        return [steps.tell(ask.event, steps.say("link.code", code=code, minutes=_minutes()))]

    async def _code_for_walk_in(self, ask: Asked, name: str) -> list[Reply]:
        steps = self._steps
        show_id = await steps.show_id(ask.event)
        if show_id is None:
            raise steps.refuse("not_joined")
        state = await steps.open_state(show_id)
        if not await steps.directory.is_kj(show_id, ask.event.person):
            raise steps.refuse("only_kj")
        if not ask.event.room.private:
            raise steps.refuse("link.private")
        if not name:
            raise steps.refuse("link.for.usage")
        folded = name.casefold()
        singer = next((state.singers[s] for s in state.rotation if state.singers[s].name.casefold() == folded), None)
        shown = steps.say.quoted(name, STAGE_NAME_MAX)
        if singer is None:
            raise steps.refuse("link.for.unknown", name=shown)
        if singer.platform is not None:
            raise steps.refuse("link.for.has_phone", name=singer.name)
        if singer.person_id is None:
            raise steps.refuse("link.for.old", name=singer.name)
        code = await steps.people.link_code(singer.person_id)
        return [steps.tell(ask.event, steps.say("link.for.code", name=singer.name, code=code, minutes=_minutes()))]

    async def _use_code(self, ask: Asked, typed: str) -> list[Reply]:
        steps = self._steps
        me = ask.event.person
        report = await steps.people.link(me.platform, me.user_id, typed, command_id(ask.event))
        if report.outcome is not LinkOutcome.DONE or report.person is None:
            return [steps.tell(ask.event, steps.say(_OUTCOMES[report.outcome], minutes=_minutes()))]
        # Without a name of its own the person is shown by each account's platform name, which may differ.
        accounts = accounts_text(steps.say, report.person)
        if report.person.name:
            text = steps.say("link.done.named", name=report.person.name, accounts=accounts)
        else:
            text = steps.say("link.done", accounts=accounts)
        for show in report.shows:
            key = {0: "link.done.show.none", 1: "link.done.show.one"}.get(show.waiting, "link.done.show.many")
            text += steps.say(key, show=steps.say.quoted(show.name), count=show.waiting)
        return [steps.tell(ask.event, text)]

    async def unlink(self, ask: Asked) -> list[Reply]:
        """``/unlink``: this account is a person of its own again."""
        steps = self._steps
        alone = await steps.people.unlink(ask.event.person.platform, ask.event.person.user_id)
        if alone is None:
            raise steps.refuse("unlink.alone")
        return [steps.tell(ask.event, steps.say("unlink.done"))]

def accounts_text(say: Messages, person: PersonRecord) -> str:
    """The person's kinds of account, said in a sentence: "Telegram and the web page"."""
    names = list(dict.fromkeys(say(_PLATFORMS.get(i.platform, "platform.other")) for i in person.identities))
    if len(names) < 2:
        return "".join(names)
    return say("platform.and", first=", ".join(names[:-1]), last=names[-1])


def _minutes() -> int:
    return int(LINK_LIFETIME.total_seconds() // 60)
