"""The console script as an operator uses it: site and user commands, and `serve` with no
configuration at all accepting a comment over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

COMMENTSVC = [sys.executable, "-c", "from commentsvc.cli import main; main()"]
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    """No COMMENTSVC_* settings, and the same code as this test process imports."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    environment["PYTHONPATH"] = str(SOURCE_ROOT)
    return environment


def run(args: list[str], cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = clean_environment()
    environment.update(env)
    return subprocess.run(
        [*COMMENTSVC, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_site_and_user_commands(tmp_path: Path) -> None:
    added = run(["site", "add", "myblog", "--origin", "https://Blog.Example.org",
                 "--origin", "http://localhost:8001", "--moderation", "first-time",
                 "--no-guests"], tmp_path)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "moderation=first-time" in added.stdout and "no guests" in added.stdout
    listed = run(["site", "list"], tmp_path).stdout
    assert "https://blog.example.org" in listed and "http://localhost:8001" in listed
    updated = run(["site", "update", "myblog", "--guests", "--moderation", "none"], tmp_path)
    assert "guests allowed" in updated.stdout
    user = run(["user", "add", "op@example.org", "--name", "Op", "--operator", "myblog"],
               tmp_path, stdin="a long enough password\n")  # fmt: skip
    assert user.returncode == 0 and "operator of myblog" in user.stdout


def test_commands_explain_bad_input(tmp_path: Path) -> None:
    no_origin = run(["site", "add", "x", "--origin", "not a url"], tmp_path)
    assert no_origin.returncode != 0 and "not an absolute http(s) URL" in no_origin.stderr
    run(["site", "add", "blog", "--origin", "https://a.example"], tmp_path)
    again = run(["site", "add", "blog", "--origin", "https://a.example"], tmp_path)
    assert again.returncode != 0 and "exists already" in again.stderr
    short = run(["user", "add", "a@example.org", "--name", "A"], tmp_path, stdin="short\n")
    assert short.returncode != 0 and "at least" in short.stderr
    unknown = run(["user", "add", "b@example.org", "--name", "B", "--operator", "nope"],
                  tmp_path, stdin="a long enough password\n")  # fmt: skip
    assert unknown.returncode != 0 and "no site named" in unknown.stderr


def test_version_names_this_service_and_help_offers_only_its_own_options(tmp_path: Path) -> None:
    from importlib.metadata import version

    shown = run(["--version"], tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"commentsvc {version('commentsvc')}"
    assert "Flask" not in shown.stdout
    usage = run(["--help"], tmp_path).stdout
    assert "--env-file" not in usage and "--app" not in usage and "--debug" not in usage
    commands = usage.split("Commands:")[1].split()
    assert "limiter" not in commands and {"db", "demo", "serve", "site", "user"} <= set(commands)


def test_user_add_without_a_password_on_stdin_says_none_was_given(tmp_path: Path) -> None:
    for stdin in ("", "\n"):
        result = run(["user", "add", "c@example.org", "--name", "C"], tmp_path, stdin=stdin)
        assert result.returncode != 0 and "no password was given" in result.stderr
        assert "at least" not in result.stderr


def test_db_upgrade_brings_a_new_database_to_head(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0 and (tmp_path / "instance" / "commentsvc.sqlite3").exists()


def test_production_settings_without_secret_key_fail_clearly(tmp_path: Path) -> None:
    database = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = run(["site", "list"], tmp_path, COMMENTSVC_DATABASE_URL=database)
    assert result.returncode != 0 and "COMMENTSVC_SECRET_KEY is not set" in result.stderr


@pytest.fixture
def served(tmp_path: Path):
    """`commentsvc serve` in an empty folder with no configuration, as a new user runs it."""
    assert (
        run(["site", "add", "myblog", "--origin", "https://blog.example.org"], tmp_path).returncode
        == 0
    )
    port = free_port()
    process = subprocess.Popen(
        [*COMMENTSVC, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"commentsvc serve did not come up: {process.communicate()[1].decode()}")
    yield base
    process.terminate()
    process.wait(10)


def test_serve_with_no_configuration_accepts_and_returns_a_comment(served: str, tmp_path) -> None:
    page = "https://blog.example.org/hello"
    comment = {"url": page, "body": "Hi *all*", "name": "Ann"}
    posted = requests.post(f"{served}/api/sites/myblog/comments", json=comment, timeout=10)
    assert posted.status_code == 201, posted.text
    thread = requests.get(f"{served}/api/sites/myblog/thread", params={"url": page}, timeout=10)
    assert thread.json()["comments"][0]["html"] == "<p>Hi <em>all</em></p>"
    assert (tmp_path / "instance" / "commentsvc.sqlite3").exists()
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_what_an_operator_gets_wrong_is_said_in_a_line_not_a_traceback(tmp_path: Path) -> None:
    settings = {"COMMENTSVC_SECRET_KEY": "k" * 40, "COMMENTSVC_PUBLIC_URL": "https://c.example"}
    cases = [
        ({"COMMENTSVC_DATABASE_URL": "postgres://u:pw@127.0.0.1:1/x"}, "postgresql+psycopg://"),
        (
            {
                "COMMENTSVC_DATABASE_URL": "postgresql+psycopg://u:topsecret@127.0.0.1:1/x",
                **settings,
            },
            "The database (COMMENTSVC_DATABASE_URL) cannot be used",
        ),
        ({"COMMENTSVC_CONFIG_FILE": str(tmp_path / "missing.toml")}, "COMMENTSVC_CONFIG_FILE"),
        ({"COMMENTSVC_PUBLIC_URL": "comments.example.org"}, "with its scheme"),
    ]
    for environment, said in cases:
        result = run(["site", "list"], tmp_path, **environment)
        assert result.returncode != 0 and said in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and "topsecret" not in result.stderr
    worker = run(["worker", "--burst"], tmp_path, COMMENTSVC_REDIS_URL="redis://127.0.0.1:1/0")
    assert (
        worker.returncode != 0 and "Redis (COMMENTSVC_REDIS_URL) cannot be reached" in worker.stderr
    )
    assert "Traceback" not in worker.stderr


def test_a_user_add_that_fails_stores_no_account(tmp_path: Path) -> None:
    """On SQLite too, where a savepoint released early used to commit the account."""
    command = ["user", "add", "ann@example.org", "--name", "Ann", "--operator", "nosuchsite"]
    for _ in range(2):
        result = run(command, tmp_path, stdin="a long enough password\n")
        assert result.returncode != 0 and "no site named" in result.stderr, result.stderr
