"""Every sentence the bot says to people, in one keyed catalogue.

Code never spells out what a person reads: it names a key and the values to fill in
(``say("join.done", show=...)``). Translating the bot is a data change: another mapping with the same
keys handed to ``Messages``. The few things that are grammar rather than words (ordinals, plurals,
"any moment now" under a minute) are the methods below, each reading its words from the catalogue too.
Reminders use the same catalogue, so a singer hears one voice whether they asked or were told.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from core.rotation import RotationError, SongRef

EN: Final[Mapping[str, str]] = {
    # --- shared pieces -------------------------------------------------------------------------
    "song": "{title} — {artist}",
    "entry": "{singer} — {title} ({artist})",
    "quoted": "“{text}”",
    "wait.now": "any moment now",
    "wait.minutes": "about {minutes} min",
    "ordinal.st": "{n}st",
    "ordinal.nd": "{n}nd",
    "ordinal.rd": "{n}rd",
    "ordinal.th": "{n}th",
    "on": "on",
    "off": "off",
    "singer.default_name": "Singer",
    # --- refusals anyone can get ---------------------------------------------------------------
    "sorry": "Sorry, something went wrong on our side. Please try again.",
    "not_joined": "You haven't joined a show yet. Send /join CODE with the code on the screen.",
    "only_kj": "Only the show's KJ can do that.",
    "closed": "This show is closed. Thanks for singing!",
    "too_long": "That message is too long for me. Try a few words, like /request Bohemian Rhapsody.",
    "search.not_ready": "The song list is still loading. Please try again in a minute.",
    "empty_private": "Send /help to see what I can do.",
    "unknown_command": "I don't know {command}. Try /help.",
    "unknown_command.that": "that",
    "button.expired": "That button has expired or doesn't exist. Send /request again.",
    "button.not_yours": "That button belongs to someone else. Send your own /request.",
    "refusal.limit-reached": "You already have {max_pending} songs waiting — that's the limit. /cancel one or sing "
                             "first!",
    "refusal.duplicate-song": "That song is already in tonight's queue. How about another one?",
    "refusal.show-closed": "This show is closed. Thanks for singing!",
    "refusal.blocked": "The KJ isn't taking songs from you tonight.",
    "refusal.not-found": "That isn't in the queue any more. Check /queue and try again.",
    "refusal.conflict": "The queue changed meanwhile. Check /queue and try again.",
    "refusal.nothing-to-undo": "There's nothing left to undo.",
    "refusal.busy": "It's very busy right now. Please try again in a moment.",
    "refusal.invalid-settings": "That setting value isn't allowed.",
    "refusal.invalid": "That can't be done right now. Check /queue.",
    # --- help ----------------------------------------------------------------------------------
    "help.singer": "/join CODE – join a show · /request <song or artist> – sign up to sing · /search <words> – look "
                   "up songs · /queue – who's singing · /history – what was sung tonight · /mysongs – your songs · "
                   "/top – the most sung songs · "
                   "/cancel [n] – take one back · /name <stage name> · /again – songs you sang on earlier nights · "
                   "/fav [song] – keep a song (the one being sung, or one you name) · /favs – your favourites · "
                   "/unfav n · /link – one singer on Telegram and Slack · /unlink · /mute, /unmute – reminders off "
                   "or on · /forgetme – erase what I know about you",
    "help.open": "Running a night? /open [name] starts a show, and you're its KJ.",
    "help.kj": "KJ: /open [name] · /next · /skip (the called singer) · /skip now (the one at the mic) · "
               "/pause @singer · /resume @singer · /remove n · /move n m · /undo · /block @singer · /unblock @singer · "
               "/kj @user · /settings [key value] · /add <name> <song> – sign up someone without a phone · "
               "/link for <name> – a code for them · /close",
    # --- singers -------------------------------------------------------------------------------
    "start": "Hi! I run karaoke nights. Send /join CODE with the code on the screen, then /request <song>. /help "
             "lists everything.",
    "join.usage": "Send /join followed by the code on the screen, e.g. /join K7QX2.",
    "join.unknown": "No open show has the code {code}. Check the screen and try again.",
    "join.done": "You're in {show}! Request a song with /request <title or artist>.",
    "request.usage": "Tell me what to sing: /request <title or artist>.",
    "request.pick": "Which one did you mean by {query}? Pick one:",
    "request.queued.paused": "Queued {song}. You're paused right now; the KJ will bring you back.",
    "request.queued.next": "Queued {song}. You're next, {wait}.",
    "request.queued.place": "Queued {song}. You're {place}, {wait}.",
    "request.sung_before": " (Heads up: it was already sung tonight.)",
    "request.limit.one": "You already have {limit} song waiting — that's the limit. /cancel one or sing first!",
    "request.limit.many": "You already have {limit} songs waiting — that's the limit. /cancel one or sing first!",
    "request.duplicate": "{song} is already in tonight's queue. How about another one?",
    "request.song_gone": "That song is no longer in the catalog. Try /request again.",
    "search.usage": "Tell me what to look for: /search <title or artist>.",
    "search.none": "No song matched {query}. Try the artist's name or fewer words.",
    "search.found": "Songs I found:",
    "search.found.line": "{n}. {song}",
    "search.found.join": "Join a show with /join CODE to sing one.",
    "search.pick": "Songs matching {query} — press one to sign up:",
    "queue.empty": "The queue is empty. Be the first: /request <song>.",
    "queue.now": "Now singing: {entry}",
    "queue.line.next": "{position}. {entry} · next, {wait}",
    "queue.line": "{position}. {entry} · {wait}",
    "history.none": "Nothing has been sung yet tonight. Be the first: /request <song>.",
    "history.none.closed": "Nothing was sung at {show}.",
    "history.title.tonight.one": "Sung so far tonight: 1 song.",
    "history.title.tonight.many": "Sung so far tonight: {count} songs.",
    "history.title.closed.one": "Sung at {show}: 1 song.",
    "history.title.closed.many": "Sung at {show}: {count} songs.",
    "history.earlier": "({count} earlier, then:)",
    "history.line": "{n}. {entry}",
    "mysongs.none": "You have no songs waiting. /request one!",
    "mysongs.singing": "You're singing {song} now.",
    "mysongs.title": "Your songs:",
    "mysongs.line": "{n}. {song} · {where}",
    "mysongs.where": "{place}, {wait}",
    "mysongs.next": "next, {wait}",
    "mysongs.paused": "paused",
    "mysongs.hint": "/cancel n takes one back.",
    "mysongs.cancel_button": "Cancel {n}",
    "mysongs.earlier": "Sung on earlier nights:",
    "mysongs.earlier.line": "· {song} · {day}",
    "mysongs.sung": "Songs you've sung here, the latest first:",
    "mysongs.no_show": "You're in no open show right now — /join CODE to sing again.",
    "day": "{day} {month} {year}",
    "months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "top.tonight": "Most sung tonight:",
    "top.tonight.none": "Nothing sung yet tonight.",
    "top.all": "Most sung here, ever:",
    "top.none": "Nothing has been sung here yet. Be the first: /request <song>.",
    "top.line": "{n}. {song} · {times}",
    "top.times.one": "once",
    "top.times.many": "{count} times",
    "cancel.none": "You have no songs waiting to cancel.",
    "cancel.usage": "Pick a number from 1 to {count} as listed in /mysongs, e.g. /cancel 1.",
    "cancel.done": "Cancelled {song}.",
    "cancel.your_song": "your song",
    "cancel.gone": "That song isn't waiting any more. See /mysongs.",
    "cancel.which": "Which song should I take back?",
    "cancel.button": "Cancel {song}",
    "name.empty": "A stage name needs at least one character: /name <your stage name>.",
    "name.too_long": "A stage name is at most {max} characters.",
    "name.control": "A stage name can't contain control characters.",
    "name.done": "You'll be shown as {name}.",
    "name.done.tonight": "You'll be shown as {name} — in tonight's queue and on the screen too.",
    "mute.done": "Reminders are off: I won't tell you when your turn is coming. /unmute turns them back on.",
    "unmute.done": "Reminders are on: I'll tell you when your turn is coming.",
    "onmyway.done": "Great, see you at the stage!",
    "onmyway.over": "That call is over — see /mysongs for where you are now.",
    "skipme.done": "OK, you sit this round out. {song} stays in your list.",
    "forget.confirm": "Forget you? I'd remove your name, stage name and chat ids from every show and all my "
                      "records. The nights you sang stay in the shows' history as “A singer”, with nothing "
                      "that points to you.",
    "forget.confirm.linked": "Forget this account? I'd remove its name and chat ids from every show and all my "
                             "records. You're linked to {accounts}: that stays you — your songs, your place in "
                             "line, your name and favourites.",
    "forget.songs.one": " Your song still waiting is taken out of the queue too.",
    "forget.songs.many": " Your {count} songs still waiting are taken out of the queue too.",
    "forget.yes": "Yes, forget me",
    "forget.no": "No, keep me",
    "forget.done": "Done: I've forgotten you. If you write to me again, I'll only know what you tell me then.",
    "forget.done.linked": "Done: I've forgotten this account. If you write to me from it again, I'll only know what "
                          "you tell me then; {accounts} goes on as you.",
    "forget.kept": "OK, nothing was forgotten.",
    "forget.unknown": "I had nothing about you left to forget.",
    "forget.unavailable": "I can't forget people here. Please ask the KJ or the venue.",
    # --- one person, several accounts ----------------------------------------------------------------
    "platform.telegram": "Telegram",
    "platform.slack": "Slack",
    "platform.web": "the web page",
    "platform.other": "another app",
    "platform.and": "{first} and {last}",
    "link.private": "Link codes are for your eyes only: send /link to me in a private chat.",
    "link.code": "Your link code: {code} (valid {minutes} minutes, once). Send /link {code} to me from your other "
                 "account on Telegram or Slack (or type it on the show's web page), and you'll be one singer there "
                 "too: one turn a round, one list of songs.",
    "link.done": "Linked: you're one person on {accounts} now — one singer, one turn a round.",
    "link.done.named": "Linked: you're {name} on {accounts} now — one singer, one turn a round.",
    "link.done.show.none": " In {show} you're one singer now.",
    "link.done.show.one": " In {show} you're one singer now, with {count} song waiting.",
    "link.done.show.many": " In {show} you're one singer now, your {count} songs waiting in one list (you sing once "
                           "a round).",
    "link.self": "That's your own code. Send it from your other account.",
    "link.unknown": "That isn't a link code I gave out. Check it, or send /link on your other account for a new "
                    "one.",
    "link.used": "That link code has already been used. Send /link on your other account for a new one.",
    "link.expired": "That link code has expired (they last {minutes} minutes). Send /link on your other account "
                    "for a new one.",
    "link.limited": "Too many link codes tried. Wait {minutes} minutes, then try again.",
    "link.for.usage": "Whose code? /link for <name of a singer you added>.",
    "link.for.unknown": "I can't find a singer called {name} in this show.",
    "link.for.has_phone": "{name} already talks to me; they can send /link themselves.",
    "link.for.old": "{name} was added without a person of their own; add them with /add to hand them a code.",
    "link.for.code": "Link code for {name}: {code} (valid {minutes} minutes, once). Give it to {name}: sending "
                     "/link {code} to me from their phone makes it theirs — their songs, their turn.",
    "unlink.alone": "This account isn't linked to another one. /link links it.",
    "unlink.done": "Unlinked: this account is a person of its own again. Songs already waiting stay with your other "
                   "account; from your next request here you're a singer of your own.",
    # --- regulars ------------------------------------------------------------------------------
    "again.none": "I don't remember you singing on an earlier night yet. Sing tonight, and it'll be here next time.",
    "again.list": "Songs you sang on earlier nights:",
    "again.pick": "Songs you sang on earlier nights — press one to sign up again:",
    "fav.usage": "Which song? /fav <title or artist>, or /fav while a song is being sung.",
    "fav.pick": "Which one did you mean by {query}? Pick one to keep:",
    "fav.done": "★ Kept {song} in your favourites. /favs lists them.",
    "fav.already": "{song} is already one of your favourites.",
    "favs.none": "No favourites yet. /fav keeps the song being sung, or /fav <song> one you name.",
    "favs.list": "Your favourites:",
    "favs.pick": "Your favourites — press one to sign up:",
    "unfav.usage": "Pick a number from 1 to {count} as listed in /favs, e.g. /unfav 1.",
    "unfav.done": "{song} is no longer one of your favourites.",
    # --- KJs -----------------------------------------------------------------------------------
    "add.usage": "Who and what? /add <name> <song>, e.g. /add Maria africa toto (a name with spaces in quotes: "
                 "/add \"Maria José\" africa).",
    "add.pick": "Which one for {name}, by {query}? Pick one:",
    "add.queued.paused": "Queued {song} for {name}. {name} is paused right now.",
    "add.queued.next": "Queued {song} for {name}: next, {wait}.",
    "add.queued.place": "Queued {song} for {name}: {place} in line, {wait}.",
    "add.limit": "{name} already has {limit} songs waiting — that's the limit.",
    "open.default_name": "Karaoke night",
    "open.too_long": "A show name is at most {max} characters.",
    "open.taken": "This room already has an open show, {show}. Join it with /join {code}.",
    "open.private": "{show} is open and you're its KJ. Join code: {code} — put it on the screen; singers send "
                    "/join {code} to me.",
    "open.group": "{show} is open! Join code: {code}. Sign up right here with /request <song>, or send /join "
                  "{code} to me in private.",
    "open.replace": "This room already has {old} open. Close it and open {new}, or keep {old}?",
    "open.replace.button": "Close {old}, open the new one",
    "open.keep.button": "Keep {old} open",
    "open.kept": "OK, {show} stays open. Join code: {code}.",
    "open.not_allowed": "Only this venue's KJs can open shows. Running a night? Ask the operator for a KJ invite code "
                        "and send it to me in a private chat: /redeem CODE.",
    "open.limit.global": "{max} shows are open right now, the most I can run at once. Please try again later.",
    "open.limit.person": "You already run {max} open shows — that's the limit. /close one you're done with first.",
    "redeem.usage": "Send the KJ invite code you were given, like this: /redeem KJ-ABCD-EFGH-JKMN.",
    "redeem.done": "You're a KJ now! Send /open [name] whenever you're ready to start a show.",
    "redeem.already": "That code is already yours — you're a KJ. /open [name] starts a show.",
    "redeem.unknown": "That isn't a KJ invite code I know. Check it and send /redeem CODE again.",
    "redeem.used": "That invite code has already been used. Ask the operator for a new one.",
    "redeem.expired": "That invite code has expired. Ask the operator for a new one.",
    "close.done": "{show} is closed. I'm telling its room and everyone whose songs were still waiting.",
    "next.empty": "The queue is empty — the show is still open.",
    "next.last": "That was the last song. The queue is empty — the show is still open.",
    "now_singing": "Now singing: {entry}.",
    "now_singing.up_next": " Up next: {name}.",
    "skip.nobody": "Nobody is waiting to be called.",
    "skip.done": "Passed over {name} this round — {title} stays in their list.",
    "skip.called": " Up next: {name}.",
    "skip.nobody_else": " Nobody else is waiting.",
    "skip.not_next": "{name} is no longer next, so there's nobody to skip.",
    "skip.nobody_at_mic": "Nobody is at the mic. /skip passes over the singer who's called next.",
    "void.done": "Voided {name}'s {title} — it doesn't count as sung and stays in their list.",
    "void.nobody_else": " Nobody else is waiting.",
    "wait.done": "OK, {name} keeps their place. /skip if they don't turn up.",
    "pause.already": "{name} is already paused.",
    "pause.not_paused": "{name} is not paused.",
    "pause.done": "Paused {name}: they keep their place. /resume {name} brings them back.",
    "resume.done": "{name} is back in the rotation.",
    "block.already": "{name} is already blocked.",
    "block.not_blocked": "{name} is not blocked.",
    "block.done": "Blocked {name}: they can't request songs in this show any more{taken}. /unblock {name} lets them "
                  "again.",
    "block.taken.one": ", and their waiting song is out of the queue",
    "block.taken.many": ", and their {count} waiting songs are out of the queue",
    "unblock.done": "{name} may request songs again.",
    "singer.who": "Who? /{verb} @singer (a stage name, @username or number in /queue).",
    "singer.no_number": "There's no number {number} in /queue.",
    "singer.unknown": "I can't find a singer called {name} in this show.",
    "slot.nobody": "Nobody is waiting in the queue.",
    "slot.usage": "Use {verb} with a number from 1 to {count} as in /queue.",
    "remove.done": "Removed {song} ({name}) from the queue.",
    "move.nobody": "Nobody is waiting, so there's nothing to move.",
    "move.usage": "Use /move n m with numbers from 1 to {count} as in /queue, e.g. /move 3 1.",
    "move.done": "Moved {name}'s {title} to {place} place.",
    "undo.done": "Undid the last {action}.",
    "undo.now_singing": " Now singing: {entry}.",
    "undo.action.advance": "/next",
    "undo.action.skip": "/skip",
    "undo.action.void": "/skip now",
    "undo.action.pause": "pause",
    "undo.action.resume": "resume",
    "undo.action.move": "move",
    "undo.action.remove": "removal",
    "undo.action.bump": "bump",
    "undo.action": "action",
    "kj.usage": "Who should help? /kj @username",
    "kj.unknown": "I don't know @{handle} yet. Ask them to send me a message first, then try again.",
    "kj.done": "@{handle} is now a KJ of {show} too.",
    "settings.list": "Settings: {settings}. Change one with /settings <key> <value>.",
    "settings.usage": "Use /settings <key> <value>; keys: {keys}.",
    "settings.bad_value": "{value} isn't a valid value for {key}.",
    "settings.refused": "{reason}.",
    "settings.done": "Setting changed: {key} is now {value}.",
    # --- the web join page (its JSON answers' messages) -------------------------------------------
    "web.no_show": "No open show has the code {code}. Check the screen and try again.",
    "web.not_joined": "Join the show first: tell us your name.",
    "web.no_song": "That song is not in the catalog. Search again.",
    "web.no_request": "You have no such song in this show.",
    "web.not_waiting": "That song isn't waiting any more.",
    "web.call_over": "That call is over; your songs show where you are now.",
    "web.limit.one": "You already have {limit} song waiting — that's the limit. Cancel it or sing first!",
    "web.limit.many": "You already have {limit} songs waiting — that's the limit. Cancel one or sing first!",
    "web.rejoin_limited": "New joins from this network are slowed down tonight. Try again in {wait}, or join on "
                          "mobile data.",
    "web.not_favourite": "That song isn't one of your favourites.",
    "web.link.done": "Linked: you're one singer with your {accounts} account now — one turn a round, one list of "
                     "songs, your favourites and earlier songs together.",
    "web.link.done.person": "Linked: you're {name} now — one singer, one turn a round, one list of songs.",
    "web.link.self": "This page is already linked to that account.",
    # --- reminders -----------------------------------------------------------------------------
    "remind.up": "You're up now: {song}! Head to the stage.",
    "remind.next": "You're next: {song}, {wait}. Please make your way to the stage.",
    "remind.heads_up": "Heads-up: you're {place} in line for {song}, {wait}.",
    "remind.heads_up.near": "near the front",
    "remind.soon": "Your turn is coming: {song}, {wait}.",
    "remind.button.on_my_way": "On my way",
    "remind.button.skip_me": "Skip me this round",
    "remind.button.cancel": "Cancel my song",
    "remind.no_show": "{name} hasn't answered the call for {song} in {minutes} min. Skip them (the next singer is "
                      "called; whoever is singing goes on), or wait?",
    "remind.no_show.skip": "Skip {name}",
    "remind.no_show.wait": "Wait",
    "remind.undelivered": "I couldn't deliver a reminder to {name} ({reason}). Call them by name when it's their "
                          "turn.",
    "remind.undelivered.someone": "a singer",
    "remind.undelivered.refused": "the platform refused it",
    "remind.auto_skipped.kj": "{name} didn't answer within {minutes} min, so I passed them over this round "
                              "({song} stays queued).",
    "remind.removed": "The KJ took {song} out of tonight's queue.",
    "remind.removed.others": " Your other songs keep their places.",
    "remind.closed.one": "{show} is closed for tonight, so {song} won't be sung. Thanks for coming!",
    "remind.closed.many": "{show} is closed for tonight, so your {count} waiting songs won't be sung. Thanks for "
                          "coming!",
    "remind.farewell": "{show} is closed. Thanks for singing, everyone!",
    "remind.idle_closed": "{show} closed itself after {hours} hours with nothing happening. Send /open to start a "
                          "new one.",
    "remind.fix.next": "Change of plan: you're next — {song}, {wait}.",
    "remind.fix.place": "Change of plan: {song} is now {place} in line, {wait}.",
    "remind.fix.not_up": "Change of plan: you're not on yet — {song} is {place} in line, {wait}.",
    "remind.fix.passed_over": "Change of plan: you were passed over this round. {song} stays in your list — now "
                              "{place} in line, {wait}.",
    "remind.fix.voided": "Change of plan: your turn with {song} was called off. It stays in your list — now {place} "
                         "in line, {wait}.",
    "remind.fix.paused": "Change of plan: the KJ put your turn on hold. {song} keeps its place; I'll tell you when "
                         "you're back in line.",
    "remind.fix.back": "Change of plan: {song} is back in the queue — {place} in line, {wait}.",
}


class Messages:
    """Says things from one catalogue: ``messages(key, **values)`` is the sentence with the values filled in."""

    def __init__(self, catalogue: Mapping[str, str] = EN) -> None:
        """Use ``catalogue`` (English by default); it must have every key ``EN`` has."""
        missing = set(EN) - set(catalogue)
        if missing:
            raise ValueError(f"the catalogue lacks {sorted(missing)[:5]}")
        self._catalogue = catalogue

    def __call__(self, key: str, /, **values: object) -> str:
        """The sentence under ``key`` with ``values`` filled in; a missing key or value raises ``KeyError``."""
        return self._catalogue[key].format(**values)

    def song(self, song: SongRef) -> str:
        """A song as people read it: ``Title — Artist``."""
        return self("song", title=song.title, artist=song.artist)

    def entry(self, singer: str, song: SongRef) -> str:
        """A line of the queue: ``Singer — Title (Artist)``."""
        return self("entry", singer=singer, title=song.title, artist=song.artist)

    def quoted(self, text: str, limit: int = 60) -> str:
        """``text`` in quotes, shortened with "…" past ``limit`` characters."""
        return self("quoted", text=shortened(text, limit))

    def day(self, moment: datetime) -> str:
        """A day as people read it: ``28 Nov 2026`` (the day of ``moment`` as given)."""
        months = self("months").split()
        return self("day", day=moment.day, month=months[moment.month - 1], year=moment.year)

    def ordinal(self, n: int) -> str:
        """1st, 2nd, 3rd, 4th, 11th, 21st..."""
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return self(f"ordinal.{suffix}", n=n)

    def wait(self, eta_seconds: int) -> str:
        """A wait in words: "any moment now" under a minute, else "about N min"."""
        minutes = round(eta_seconds / 60)
        return self("wait.now") if minutes < 1 else self("wait.minutes", minutes=minutes)

    def switch(self, value: bool) -> str:
        """A yes/no setting as people type it: on or off."""
        return self("on" if value else "off")

    def refusal(self, error: RotationError, max_pending: int = 3) -> str:
        """The one friendly line for a rotation refusal (never the internal message)."""
        key = f"refusal.{error.code}"
        return self(key if key in self._catalogue else "refusal.invalid", max_pending=max_pending)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one "…" when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def placeholders(template: str) -> set[str]:
    """The names a template fills in (``{song}`` → ``song``), for checking a catalogue."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
