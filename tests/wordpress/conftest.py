"""A real WordPress (Debian's ``wordpress`` package) as the pingback peer, on loopback.

Once per session: a throw-away MariaDB server (its own data folder, a Unix socket, no TCP), a
copy of /usr/share/wordpress with a wp-config.php of its own, WordPress's own ``wp_install()``
(pretty permalinks, pings on, a classic theme from ``php/theme``, the must-use plugin
``php/commentsvc-test-peer.php``), and PHP's built-in server on a free loopback port. Nothing
outside the temporary folder is touched; everything stops and is removed at the end.

Per test: the service served on a loopback port (``service``) with its in-process job pool, as
the embedded default runs, every request it receives recorded; the site ``blog`` whose pages
are served by the loopback page server.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.sites import create_site
from tests.conftest import base_config, free_port
from tests.servers import HOST, wait_for_port
from tests.workers.pages import Pages, pages, pages_server  # noqa: F401 - fixtures

WORDPRESS = Path("/usr/share/wordpress")
PHP_FILES = Path(__file__).resolve().parent / "php"


# ---------------------------------------------------------------- MariaDB


def _as_mysql(folder: Path) -> list[str]:
    """mysqld refuses to run as root: as root, it runs as the ``mysql`` account instead."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, "mysql", "mysql")
    return ["--user=mysql"]


@pytest.fixture(scope="session")
def mariadb(wordpress_folder: Path) -> Iterator[Path]:
    """A MariaDB server of this session's own; yields its socket."""
    for binary in ("mariadb-install-db", "mariadbd"):
        if shutil.which(binary) is None and not Path("/usr/sbin", binary).exists():
            pytest.fail(f"{binary} is missing: .ci/run installs mariadb-server")
    folder = wordpress_folder / "mariadb"
    folder.mkdir()
    user = _as_mysql(folder)
    socket = folder / "mysqld.sock"
    log = folder / "error.log"
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={folder / 'data'}", *user,
         "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    server = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={folder / 'data'}", *user,
         f"--socket={socket}", "--skip-networking", f"--pid-file={folder / 'mysqld.pid'}",
         f"--log-error={log}", "--innodb-buffer-pool-size=16M", "--performance-schema=off",
         "--skip-log-bin"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"mariadbd did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={socket}", "-u", "root",
         "-e", "CREATE DATABASE wordpress CHARACTER SET utf8mb4"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    yield socket
    server.terminate()
    server.wait(30)


# ---------------------------------------------------------------- WordPress


@dataclass
class WordPress:
    """The running WordPress: its home URL, its folder, and the log of its outgoing requests."""

    url: str
    folder: Path
    release: Path  # once it exists, a post served with a delay is served at once

    @property
    def log(self) -> Path:
        return self.folder.parent / "http.jsonl"

    def tool(self, command: str, payload: dict | None = None) -> dict:
        done = subprocess.run(
            ["php", str(self.folder / "wp-tool.php"), command],
            input=json.dumps(payload or {}),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.folder,
        )
        if done.returncode != 0:
            pytest.fail(f"wp-tool.php {command} failed:\n{done.stderr}\n{done.stdout}")
        return json.loads(done.stdout[done.stdout.index("{") :])

    def publish(
        self,
        title: str,
        content: str,
        *,
        to_ping: tuple[str, ...] = (),
        delay: float = 0,
        date: str | None = None,
    ) -> dict:
        """Publish a post as the author Ada Lovelace; its pings are sent before this returns.
        Returns the post's state (``id``, ``url``, ``pung``, ``to_ping``, ``comments``)."""
        slug = f"post-{secrets.token_hex(4)}"
        payload = {"title": title, "content": content, "slug": slug, "to_ping": list(to_ping)}
        return self.tool("publish", {**payload, "delay": delay, "date": date})

    def inspect(self, post_id: int) -> dict:
        return self.tool("inspect", {"id": post_id})

    def requests(self) -> list[dict]:
        """Every request WordPress has sent so far, in order (logged by the must-use plugin)."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def _wp_config(folder: Path, socket: Path, url: str, run: Path) -> str:
    keys = "".join(
        f"define('{name}', '{secrets.token_hex(32)}');\n"
        for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
                     "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")
    )  # fmt: skip
    return f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{keys}$table_prefix = 'wp_';
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
define('COMMENTSVC_TEST_LOG', '{run / "http.jsonl"}');
define('COMMENTSVC_TEST_RELEASE', '{run / "release"}');
define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""


def _install_tree(folder: Path) -> None:
    """Debian's WordPress, copied (its wp-config.php reads /etc/wordpress: not ours), with a
    wp-content of our own: the classic theme and the must-use plugin."""
    if not (WORDPRESS / "wp-settings.php").exists():
        pytest.fail(f"{WORDPRESS} is missing: .ci/run installs Debian's wordpress package")
    shutil.copytree(
        WORDPRESS,
        folder,
        symlinks=True,
        ignore=shutil.ignore_patterns("wp-config.php", ".htaccess"),
    )
    content = folder / "wp-content"
    shutil.rmtree(content)
    (content / "mu-plugins").mkdir(parents=True)
    shutil.copy(PHP_FILES / "commentsvc-test-peer.php", content / "mu-plugins")
    shutil.copytree(PHP_FILES / "theme", content / "themes" / "commentsvc-classic")
    (content / "uploads").mkdir()
    shutil.copy(PHP_FILES / "wp-tool.php", folder)


@pytest.fixture(scope="session")
def wordpress_folder() -> Iterator[Path]:
    """The session's temporary folder for MariaDB and WordPress, removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="commentsvc-wordpress."))
    folder.chmod(0o755)  # the mysql account reaches its data folder inside
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def wordpress(wordpress_folder: Path, mariadb: Path) -> Iterator[WordPress]:
    """WordPress 6.1 installed by its own wp_install() and served by ``php -S`` on loopback."""
    if shutil.which("php") is None:
        pytest.fail("php is missing: .ci/run installs php-cli and php-mysql")
    port = free_port()
    url = f"http://{HOST}:{port}"
    root = wordpress_folder / "wordpress"
    _install_tree(root)
    (root / "wp-config.php").write_text(_wp_config(root, mariadb, url, wordpress_folder))
    site = WordPress(url=url, folder=root, release=wordpress_folder / "release")
    site.tool("install")
    router = wordpress_folder / "router.php"
    shutil.copy(PHP_FILES / "router.php", router)
    log = wordpress_folder / "php-server.log"
    # Several workers: a post served slowly to one client holds no other request.
    env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["php", "-S", f"{HOST}:{port}", "-t", str(root), str(router)],
            stdout=output, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True,
        )  # fmt: skip
    wait_for_port(port, server, log)
    yield site
    site.release.touch()
    # The whole group: php -S forks its workers, and they outlive a parent stopped alone.
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)


# ---------------------------------------------------------------- the service


@dataclass
class Service:
    """The service on a loopback port, and every request it received (method, path, headers,
    body, seconds taken to answer)."""

    url: str
    received: list[dict] = field(default_factory=list)

    def received_at(self, prefix: str) -> list[dict]:
        return [entry for entry in self.received if entry["path"].startswith(prefix)]


class Recorder:
    """WSGI middleware: records each request before the app reads it, and its answer time."""

    def __init__(self, app, service: Service) -> None:
        self.app, self.service = app, service

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)
        entry = {
            "method": request.method,
            "path": request.full_path.rstrip("?"),
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        }
        started = time.monotonic()
        try:
            return list(self.app(environ, start_response))
        finally:
            entry["seconds"] = time.monotonic() - started
            self.service.received.append(entry)


@pytest.fixture
def service_port() -> int:
    return free_port()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, service_port: int) -> dict[str, object]:
    """The embedded default's job pool (a ping is answered before its source is fetched), and
    the public URL the service is served at."""
    return {
        **base_config(tmp_path, database_url),
        "JOBS_IN_PROCESS_WORKERS": 2,
        "PUBLIC_URL": f"http://{HOST}:{service_port}",
    }


@pytest.fixture
def service(app, service_port: int) -> Iterator[Service]:
    recorded = Service(url=f"http://{HOST}:{service_port}")
    server = make_server(HOST, service_port, Recorder(app, recorded), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorded
    server.shutdown()
    thread.join(5)


@pytest.fixture
def blog(app, pages: Pages) -> Site:  # noqa: F811 - the pages fixture
    """The site ``blog``, whose pages the loopback page server serves."""
    created = create_site("blog", [pages.base])
    db.session.commit()
    return created
