"""Finding a PostgreSQL server for the tests.

Order: ``KARAOKE_TEST_DATABASE_URL``; else a throwaway cluster from the local
``initdb``/``pg_ctl``; else none (PostgreSQL tests skip, or fail when ``CI=true``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PgServer:
    url: str
    reason: str = ""
    cleanup: list[object] = field(default_factory=list)

    def stop(self) -> None:
        for action in reversed(self.cleanup):
            action()  # type: ignore[operator]


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_server() -> PgServer | None:
    """A PostgreSQL to test against, or ``None`` with nothing available."""
    url = os.environ.get("KARAOKE_TEST_DATABASE_URL")
    if url:
        return PgServer(url=url)
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    return _throwaway(initdb, pg_ctl)


def _throwaway(initdb: str, pg_ctl: str) -> PgServer | None:
    base = Path(tempfile.mkdtemp(prefix="karaoke-pg-"))
    data = base / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; run the cluster as the postgres user when there is one.
        if not shutil.which("runuser"):
            return None
        try:
            import pwd

            user = pwd.getpwnam("postgres")
        except KeyError:
            return None
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"],
                       check=True, capture_output=True)
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-o",
             f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
            check=True, capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError):
        shutil.rmtree(base, ignore_errors=True)
        return None
    server = PgServer(url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres")
    server.cleanup.append(lambda: shutil.rmtree(base, ignore_errors=True))
    server.cleanup.append(
        lambda: subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    return server
