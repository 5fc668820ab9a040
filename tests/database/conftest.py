"""A PostgreSQL server of this module's own, to stop, start and restart under a running app.

The suite's shared server is never restarted: other test sessions use it. ``.ci/start-postgres``
starts this one on a free loopback port; its tests point the app at it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from commentsvc.extensions import db
from tests.servers import pg_ctl

CI = Path(__file__).resolve().parent.parent.parent / ".ci"


@dataclass
class OwnPostgres:
    """A throw-away server: its URL, and control over its process."""

    url: str
    folder: Path

    def control(self, action: str, *options: str) -> None:
        """``pg_ctl ACTION`` as the data folder's owner; the server logs to a file, not to us."""
        command = [pg_ctl(), action, f"--pgdata={self.folder / 'data'}", "--silent", "--wait",
                   f"--log={self.folder / 'postgres.log'}", *options]  # fmt: skip
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, cwd=self.folder, check=True, timeout=60, stdout=subprocess.DEVNULL)

    def restart(self) -> None:
        """A fast restart, as an operator or a package upgrade does it: sessions are cut."""
        self.control("restart", "--mode=fast")

    def stop(self) -> None:
        self.control("stop", "--mode=fast")

    def start(self) -> None:
        """Back on the same port (``restart`` remembers the options; ``start`` must be told)."""
        settings = {"listen_addresses": "127.0.0.1", "port": urlsplit(self.url).port,
                    "unix_socket_directories": self.folder, "fsync": "off"}  # fmt: skip
        self.control("start", "--options=" + " ".join(f"-c {k}={v}" for k, v in settings.items()))


@pytest.fixture
def cut_session(app, own_postgres: OwnPostgres) -> Iterator[Callable[[str], list[str]]]:
    """``cut_session(verb) -> fired``: the server ends the app's session just before the app's
    next statement starting with ``verb`` runs, as a restart does mid-request; ``fired`` lists
    the statements it was cut under (one at most)."""
    admin = sa.create_engine(own_postgres.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    fired: list[str] = []
    verbs: list[str] = []

    def before_execute(connection, _cursor, statement, *_args) -> None:
        if fired or not verbs or not statement.lstrip().upper().startswith(verbs[0]):
            return
        fired.append(statement)
        pid = connection.connection.dbapi_connection.info.backend_pid
        with admin.connect() as other:  # waits (up to 5 s) until that backend has exited
            other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    def arm(verb: str) -> list[str]:
        verbs[:] = [verb.upper()]
        fired.clear()
        return fired

    sa.event.listen(db.engine, "before_cursor_execute", before_execute)
    yield arm
    sa.event.remove(db.engine, "before_cursor_execute", before_execute)
    admin.dispose()


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="commentsvc-pg-restart."))
    started = subprocess.run(
        [str(CI / "start-postgres"), str(folder)], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL server of its own: {started.stderr}")
    yield OwnPostgres(url=started.stdout.strip(), folder=folder)
    subprocess.run([str(CI / "stop-postgres"), str(folder)], capture_output=True, timeout=60)


@pytest.fixture
def database_url(own_postgres: OwnPostgres) -> str:
    """The app of each test here talks to the module's own server, never the shared one."""
    return own_postgres.url
