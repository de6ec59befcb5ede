"""The ``karaoke`` command line: serve, db, catalog, chat, kj, people, retention, projections."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from core.catalog import ImportReport
from core.catalog.importers import (
    DEFAULT_PATTERN,
    PatternError,
    SourceError,
    compile_pattern,
    parse_catalog,
    parse_media_paths,
)
from core.catalog.search import FoundSong, QueryTooLong
from core.chat import make_invite
from karaoke.bootstrap import Container, background, build
from karaoke.demo import load_demo
from karaoke.logs import configure_logging
from karaoke.platforms import platforms
from karaoke.redact import configured_secrets, redact_also
from karaoke.settings import Settings

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="karaoke", description="Chat-bot driven karaoke service.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API (and every configured bot) in one process")
    serve.add_argument("--host", help="address to listen on (default KARAOKE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default KARAOKE_PORT, PORT or 8000)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the bundled KaraFun demo catalog first if the catalog is empty",
    )

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply every pending migration")
    db.add_parser("current", help="print the schema revision the database is at")

    catalog = commands.add_parser("catalog", help="the song catalog").add_subparsers(
        dest="catalog_command", required=True
    )
    importer = catalog.add_parser(
        "import",
        help="import a KaraFun export, a CSV with title and artist columns, or a media folder (idempotent)",
    )
    importer.add_argument("path", type=Path, help="a .csv file, or a folder of 'Artist - Title.ext' media files")
    importer.add_argument(
        "--pattern",
        default=DEFAULT_PATTERN,
        help="for folders: a regex with named groups 'artist' and 'title' matched against each file name "
        "without extension (default: 'Artist - Title', optionally after a disc id)",
    )
    searcher = catalog.add_parser("search", help="fuzzy-search the catalog as the bots do")
    searcher.add_argument("query", nargs="?", help="what a singer would type")
    searcher.add_argument("--limit", type=int, default=10, help="how many results (1..50, default 10)")
    searcher.add_argument("--json", action="store_true", help="print JSON instead of a table")
    searcher.add_argument(
        "--batch", metavar="FILE",
        help="answer one query per line of FILE ('-' for stdin), one JSON array per line; the index is built once",
    )
    kj = commands.add_parser("kj", help="who may open shows").add_subparsers(dest="kj_command", required=True)
    invite = kj.add_parser(
        "invite", help="make a one-time KJ invite code (printed once, stored only as a hash); once one exists, "
        "only people on KARAOKE_KJ_ALLOWLIST and those who redeemed an invite may open shows",
    )
    invite.add_argument("--hours", type=int, default=72, help="how long the code may be redeemed (default 72)")
    chat = commands.add_parser("chat", help="try the chat bot in this terminal (:as NAME, :room NAME, :press N)")
    chat.add_argument("--demo", action="store_true", help="load the bundled demo catalog first if the catalog is empty")
    people = commands.add_parser("people", help="people the bots know").add_subparsers(
        dest="people_command", required=True)
    forget = people.add_parser("forget", help="erase a person everywhere (names and platform ids; see README Privacy)")
    forget.add_argument("platform", help="telegram, slack or console")
    forget.add_argument("user_id", help="their id on that platform (a Telegram user id, a Slack U… id)")
    retention = commands.add_parser("retention", help="what is kept, and for how long").add_subparsers(
        dest="retention_command", required=True)
    retention.add_parser("sweep", help="remove closed shows' transient rows older than KARAOKE_RETENTION_DAYS now")
    projections = commands.add_parser("projections", help="read-side views built from the event log").add_subparsers(
        dest="projections_command", required=True)
    rebuild = projections.add_parser(
        "rebuild", help="clear a view and build it again from every show's events (running instances keep serving "
        "and help; each event is still applied once)")
    rebuild.add_argument("name", nargs="?", help="which view (default: every one)")
    return parser


def freeze_long_lived() -> None:
    """Freeze what is built by now (the catalog's search index above all: hundreds of thousands of objects), which
    lives as long as the process: the collector no longer walks it on every full collection, which otherwise stalls
    every update in flight for 150-200 ms now and then. Collected first, so the garbage of the build is not kept."""
    gc.collect()
    gc.freeze()


def server_loop(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop the server runs on: uvloop (installed with ``uvicorn[standard]``) where it is available, as
    uvicorn itself would choose; its sockets and callbacks cost less than asyncio's own, and a busy night is
    mostly sockets between the database and the platforms. Otherwise (or with KARAOKE_EVENT_LOOP=asyncio) asyncio's."""
    if settings.event_loop == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; returns the process exit code."""
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format, configured_secrets(settings))
    try:
        if args.command == "serve":
            # A short admin token is guessed in minutes even at the rate the API allows wrong ones.
            weak = settings.admin_token_problem()
            if weak:
                print(f"karaoke serve: {weak}", file=sys.stderr)
                return 2
            with asyncio.Runner(loop_factory=server_loop(settings)) as runner:
                return runner.run(_serve(settings, args))
        if args.command == "db":
            return asyncio.run(_db(settings, args.db_command))
        if args.command == "catalog" and args.catalog_command == "import":
            return asyncio.run(_import(settings, args.path, args.pattern))
        if args.command == "catalog" and args.catalog_command == "search":
            return asyncio.run(_search(settings, args))
        if args.command == "chat":
            return asyncio.run(_chat(settings, args))
        if args.command == "kj":
            return asyncio.run(_kj_invite(settings, args.hours))
        if args.command == "people":
            return asyncio.run(_forget(settings, args.platform, args.user_id))
        if args.command == "retention":
            return asyncio.run(_retention_sweep(settings))
        if args.command == "projections":
            return asyncio.run(_rebuild(settings, args.name))
    except KeyboardInterrupt:
        return 130
    return 2


async def _db(settings: Settings, command: str) -> int:
    from storage import migrate

    async with build(settings, upgrade=command == "upgrade") as container:
        revision = await migrate.current_revision(container.engine)
        print(f"database at revision {revision or '(none)'}; newest is {migrate.head_revision()}")
    return 0


async def _kj_invite(settings: Settings, hours: int) -> int:
    if not 1 <= hours <= 24 * 90:
        print("--hours must be between 1 and 2160 (90 days)", file=sys.stderr)
        return 2
    async with build(settings) as container:
        code = await make_invite(container.kjs, container.clock.now(), timedelta(hours=hours), secrets.choice)
    print(f"KJ invite: {code}  (one use, valid for {hours} hours)")
    print(f"Give it to the KJ; they send /redeem {code} to the bot in a private chat and may open shows from then on.")
    print("Only people on KARAOKE_KJ_ALLOWLIST and those who redeemed an invite may open shows now.")
    return 0


def lines_with_progress(lines: Iterable[str], total_bytes: int, *, label: str) -> Iterator[str]:
    """Yield ``lines`` unchanged, with a progress bar by bytes read on stderr when it is a terminal (tqdm)."""
    with tqdm(total=total_bytes, desc=label, unit="B", unit_scale=True, unit_divisor=1024, disable=None) as bar:
        for line in lines:
            bar.update(len(line.encode("utf-8", "surrogatepass")))
            yield line


async def import_file(container: Container, path: Path) -> ImportReport:
    """Import one catalog file into the container's catalog, with a progress bar on a terminal."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = lines_with_progress(handle, path.stat().st_size, label=f"Importing {path.name}")
        return await container.catalog.import_rows(parse_catalog(lines))


def _print_report(report: ImportReport) -> None:
    print(
        f"added {report.added}, updated {report.updated}, "
        f"unchanged {report.unchanged}, rejected {report.rejected}"
    )
    for where, reason in report.rejections or []:
        print(f"  {where}: {reason}")


def media_paths(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted ``/``-separated paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


async def _import(settings: Settings, path: Path, pattern: str) -> int:
    if not path.exists():
        print(f"karaoke: no such file or folder: {path}", file=sys.stderr)
        return 2
    try:
        compiled = compile_pattern(pattern)
    except PatternError as error:
        print(f"karaoke: --pattern: {error}", file=sys.stderr)
        return 2
    async with build(settings, upgrade=True) as container:
        try:
            if path.is_dir():
                report = await container.catalog.import_rows(parse_media_paths(media_paths(path), compiled))
            else:
                report = await import_file(container, path)
        except (SourceError, UnicodeDecodeError) as error:
            print(f"karaoke: cannot import {path}: {error}", file=sys.stderr)
            return 1
    _print_report(report)
    return 0


def _found_json(found: FoundSong) -> dict[str, object]:
    song = found.song
    return {"song_id": song.song_id, "title": song.title, "artist": song.artist, "duration": song.duration,
            "score": round(found.score, 1)}


async def _search(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 50:
        print("karaoke: --limit must be from 1 to 50", file=sys.stderr)
        return 2
    if (args.query is None) == (args.batch is None):
        print("karaoke: give a QUERY or --batch FILE", file=sys.stderr)
        return 2
    async with build(settings) as container:
        await container.search.build()
        if args.batch is None:
            return await _search_one(container, args.query, args.limit, as_json=args.json)
        source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        with source:
            for line in source:
                query = line.rstrip("\n")
                try:
                    result = await container.search.search(query, args.limit) if query.strip() else None
                except QueryTooLong:
                    result = None
                items = [_found_json(f) for f in result.items] if result else []
                print(json.dumps(items, ensure_ascii=False), flush=True)
    return 0


async def _search_one(container: Container, query: str, limit: int, *, as_json: bool) -> int:
    if not query.strip():
        print("karaoke: the query is empty", file=sys.stderr)
        return 2
    try:
        result = await container.search.search(query, limit)
    except QueryTooLong as error:
        print(f"karaoke: {error}", file=sys.stderr)
        return 2
    if as_json:
        body = {"items": [_found_json(f) for f in result.items], "confident": result.confident}
        print(json.dumps(body, ensure_ascii=False))
        return 0
    if not result.items:
        print("no match")
        return 0
    for rank, found in enumerate(result.items, start=1):
        print(f"{rank:>2}. {found.score:5.1f}  {found.song.title} — {found.song.artist}")
    if result.confident:
        print("(confident: the first match would be queued without asking)")
    return 0


def local_url(host: str, port: int) -> str:
    """Where a person on this machine opens a server listening on ``host``: any-address binds answer on loopback."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


async def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.connections import (
        ACCEPT_BACKLOG,
        ConnectionLimits,
        OverloadLog,
        guarded_protocol,
        quiet_accept_errors,
        usable_connections,
    )

    host = args.host or settings.host
    port = args.port or settings.port
    overload = OverloadLog()
    limits = ConnectionLimits(header_timeout=settings.header_timeout_seconds,
                              idle_timeout=settings.idle_timeout_seconds,
                              max_connections=usable_connections(settings.max_connections), overload=overload)
    quiet_accept_errors(asyncio.get_running_loop(), overload)
    async with build(settings) as container:
        redact_also(container.admin_token)
        if args.demo:
            await _load_demo(container)
        async with platforms(container) as chat:
            # The venue screen's QR code opens the bot by its username, known once Telegram answered getMe.
            app = create_app(container, chat.routers, telegram_username=chat.telegram_username,
                             max_body_bytes=settings.max_body_bytes)
            # JSON logs: uvicorn's own loggers pass their lines to ours instead of printing them in its format.
            log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
            # uvicorn annotates the keep-alive timeout as int, but hands it to call_later: a float works.
            keep_alive: Any = settings.idle_timeout_seconds
            config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(), lifespan="on",
                                    log_config=log_config, http=guarded_protocol(limits),
                                    timeout_keep_alive=keep_alive, backlog=ACCEPT_BACKLOG)
            server = uvicorn.Server(config)
            async with background(container, chat.senders, chat.tasks):
                print(f"Building the search index of {await container.songs.count():,} songs…", flush=True)
                announcing = asyncio.create_task(_announce_when_ready(container, server, host))
                try:
                    # Served here, not in a task: a failed start (the port is taken) exits as uvicorn means it to.
                    await server.serve()
                finally:
                    announcing.cancel()
                    await asyncio.gather(announcing, return_exceptions=True)
    return 0


_READY_POLL_SECONDS = 0.05
# Between database probes while one says the service is not ready (a failed probe logs its error).
_READY_RETRY_SECONDS = 1.0
_SAY_WHY_AFTER_SECONDS = 5.0


async def _announce_when_ready(container: Container, server: uvicorn.Server, host: str) -> None:
    """Print the address once the server listens and ``/api/v1/readyz`` would answer 200, not before.

    A wait longer than a few seconds says what it waits for, each time that changes.
    """
    loop = asyncio.get_running_loop()
    began = loop.time()
    said: str | None = None
    frozen = False
    while True:
        if not frozen and container.search.ready:
            # Done as soon as the index is built, before this says the service is up and before load
            # balancers see it ready.
            freeze_long_lived()
            frozen = True
        # The cheap checks first; the database is probed once the server listens and the index is built.
        probed = server.started and container.search.ready
        if not server.started:
            problem: str | None = "The server is not listening yet."
        elif not container.search.ready:
            problem = "The search index is still being built."
        else:
            problem = await container.readiness_problem()
        if problem is None:
            port = server.servers[0].sockets[0].getsockname()[1]
            if container.admin_token_generated:
                # Printed once, on purpose: a newcomer without KARAOKE_ADMIN_TOKEN can still make writes.
                print(f"Admin token for this run (set KARAOKE_ADMIN_TOKEN to fix one): {container.admin_token}",
                      flush=True)
            print(f"Karaoke is up: {local_url(host, port)}", flush=True)
            return
        if problem != said and loop.time() - began >= _SAY_WHY_AFTER_SECONDS:
            print(f"Not ready yet: {problem}", flush=True)
            said = problem
        await asyncio.sleep(_READY_RETRY_SECONDS if probed else _READY_POLL_SECONDS)


async def _load_demo(container: Container) -> None:
    def say(line: str) -> None:
        print(line, flush=True)

    report = await load_demo(container.songs, container.settings.demo_catalog,
                             lambda path: import_file(container, path), say=say)
    if report is not None:
        _print_report(report)


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bots.console import ConsoleChat, ConsoleSender

    async with build(settings, upgrade=True) as container:
        if args.demo:
            await _load_demo(container)
        console = ConsoleChat(container.chat, sys.stdin, sys.stdout, ready=lambda: container.search.ready)
        # Reminders for console people are printed into this console as they come due.
        async with background(container, {"console": ConsoleSender(console)}):
            await console.run()
    return 0


async def _forget(settings: Settings, platform: str, user_id: str) -> int:
    async with build(settings) as container:
        forgotten = await container.eraser.forget(platform, user_id)
    if forgotten is None:
        print(f"nobody known as {platform} {user_id}; nothing changed", file=sys.stderr)
        return 1
    print(f"forgotten: {forgotten.withdrawn} waiting songs withdrawn, "
          + ", ".join(f"{count} {what}" for what, count in sorted(forgotten.counts.items())))
    return 0


async def _retention_sweep(settings: Settings) -> int:
    async with build(settings) as container:
        counts = await container.retention.sweep()
    print(f"removed (kept {settings.retention_days} days): "
          + ", ".join(f"{count} {what}" for what, count in sorted(counts.items())))
    return 0


async def _rebuild(settings: Settings, name: str | None) -> int:
    async with build(settings) as container:
        runner = container.projections
        if name is not None and name not in runner.names:
            print(f"no projection is named {name!r}; there are: {', '.join(runner.names)}", file=sys.stderr)
            return 2
        failed = 0
        for which in [name] if name is not None else runner.names:
            started = time.monotonic()
            print(f"rebuilding {which} from the event log …", flush=True)
            done = await runner.rebuild(which)
            print(f"rebuilt {which}: {done.shows} shows, {done.events} events applied in "
                  f"{time.monotonic() - started:.1f} s")
            if done.failed:
                print(f"{which}: {done.failed} shows failed (the log says why); the service's runners keep trying "
                      "them", file=sys.stderr)
                failed += done.failed
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
