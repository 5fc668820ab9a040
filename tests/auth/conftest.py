"""Fixtures for sign-in tests: local OAuth/OIDC providers, a real SMTP server, and helpers
that walk the redirect flow the way a browser does."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from commentsvc.demo_provider import Provider
from tests.conftest import LiveServer, base_config, free_port
from tests.workers.pages import pages, pages_server, release  # noqa: F401 - fixtures

SITE_ORIGIN = "https://blog.example.org"


@pytest.fixture(scope="session")
def _served_providers() -> Iterator[dict[str, Provider]]:
    """Served once per session: stopping a werkzeug server costs half a second each."""
    providers, servers = {}, []
    for kind in ("twitter", "facebook", "oidc"):
        provider = Provider(kind)
        servers.append(LiveServer(provider.app))
        provider.url = servers[-1].url
        providers[kind] = provider
    yield providers
    for server in servers:
        server.stop()


@pytest.fixture
def oauth_providers(_served_providers) -> dict[str, Provider]:
    """Twitter-, Facebook- and OIDC-shaped providers, each on its own loopback port, with
    no codes or tokens left from another test."""
    for provider in _served_providers.values():
        provider.reset()
    return _served_providers


class Mailbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 10) -> list[Message]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
                self._arrived.wait(left)
        return self.messages


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a loopback port."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://{controller.hostname}:{controller.port}"
    yield box
    controller.stop()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, oauth_providers, mailbox) -> dict[str, object]:
    config = base_config(tmp_path, database_url)
    for provider in oauth_providers.values():
        config.update(provider.config(provider.url))
    config["SMTP_URL"] = mailbox.url
    config["MAIL_FROM"] = "Comments <comments@comments.test>"
    return config


# ---------------------------------------------------------------- helpers


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def consent(authorize_url: str, user: str = "alice") -> str:
    """Allow at the provider as ``user``; returns the callback URL it redirects to."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    answer = requests.post(
        authorize_url, data={"user": user, "confirm": "yes"}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def popup_message(html: str) -> dict:
    match = re.search(r"var message = (\{.*?\});\n", html)
    assert match, "the completion page carries no message"
    return json.loads(match.group(1))


def sign_in_popup(
    client: FlaskClient, provider: str, user: str = "alice", site: str = "blog"
) -> dict:
    """The whole popup flow through the test client; returns the posted message."""
    start = client.get(f"/auth/login/{provider}?site={site}&origin={SITE_ORIGIN}")
    assert start.status_code == 302, start.get_data(as_text=True)
    callback = consent(start.headers["Location"], user)
    done = client.get(local_path(callback))  # the callback itself hands the token over
    assert done.status_code == 200, done.get_data(as_text=True)
    return popup_message(done.get_data(as_text=True))
