"""Configuration: environment, file, coercion, and loud failures at start."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from commentsvc import create_app
from commentsvc.config import ConfigError


def test_environment_overrides_defaults(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMMENTSVC_SECRET_KEY", "12345")
    monkeypatch.setenv("COMMENTSVC_FETCH_ALLOW_NETWORKS", "127.0.0.0/8, ::1/128")
    monkeypatch.setenv("COMMENTSVC_RATELIMIT_ENABLED", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "12345"  # JSON-decoded to an int, coerced back
    assert app.config["FETCH_ALLOW_NETWORKS"] == [
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    ]
    assert app.config["RATELIMIT_ENABLED"] is False


def test_config_file_is_read(monkeypatch, tmp_path: Path) -> None:
    config_file = tmp_path / "commentsvc.toml"
    config_file.write_text('PUBLIC_URL = "https://comments.example.org/"\nTHREAD_PAGE_SIZE = 20\n')
    monkeypatch.setenv("COMMENTSVC_CONFIG_FILE", str(config_file))
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["PUBLIC_URL"] == "https://comments.example.org"
    assert app.config["THREAD_PAGE_SIZE"] == 20
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_embedded_default_keeps_one_random_secret(tmp_path: Path) -> None:
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other")}).config["SECRET_KEY"]
    assert other != first


def test_database_url_without_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COMMENTSVC_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql+psycopg://x/y"})


def test_database_url_without_public_url_is_refused(tmp_path: Path) -> None:
    """Mail links are never built from the Host header a client sends."""
    settings = {"DATABASE_URL": "postgresql+psycopg://x/y", "SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigError, match="COMMENTSVC_PUBLIC_URL"):
        create_app({"INSTANCE_PATH": str(tmp_path), **settings})


def test_malformed_network_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FETCH_ALLOW_NETWORKS"):
        create_app({"INSTANCE_PATH": str(tmp_path), "FETCH_ALLOW_NETWORKS": "not-a-network"})


@pytest.mark.parametrize("database", ["embedded", "sqlite-url"])
def test_mail_without_public_url_is_refused_on_sqlite_too(
    monkeypatch, tmp_path: Path, database: str
) -> None:
    """Reset and confirmation links would otherwise come from the client's Host header."""
    monkeypatch.setenv("COMMENTSVC_SMTP_URL", "smtp://mail.example.org:587")
    settings: dict[str, object] = {"INSTANCE_PATH": str(tmp_path)}
    if database == "sqlite-url":
        settings.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SECRET_KEY="k" * 40)
    with pytest.raises(ConfigError, match=r"COMMENTSVC_PUBLIC_URL.*COMMENTSVC_SMTP_URL"):
        create_app(settings)
    with pytest.raises(ConfigError, match="COMMENTSVC_PUBLIC_URL"):
        create_app({**settings, "TESTING": True})  # no test set-up mails Host-header links


def test_mail_with_public_url_starts_on_the_embedded_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMMENTSVC_SMTP_URL", "smtp://mail.example.org:587")
    monkeypatch.setenv("COMMENTSVC_PUBLIC_URL", "https://comments.example.org")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["PUBLIC_URL"] == "https://comments.example.org"


def test_embedded_default_without_mail_needs_no_public_url(tmp_path: Path) -> None:
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["PUBLIC_URL"] is None


@pytest.mark.parametrize(
    "public_url",
    ["comments.example.org", "ftp://comments.example.org", "https://", "https://x/?a=1"],
)
def test_a_public_url_that_is_no_address_is_refused(tmp_path: Path, public_url: str) -> None:
    """It would go into every stored avatar and mailed link as a relative path."""
    with pytest.raises(ConfigError, match="with its scheme, like https://"):
        create_app({"INSTANCE_PATH": str(tmp_path), "PUBLIC_URL": public_url})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RATELIMIT_POST", "bogus"),
        ("RATELIMIT_VOTE", "5 per fortnight"),
        ("OUTBOUND_RATE_PER_HOST", "x"),
    ],
)
def test_a_rate_limit_that_does_not_parse_is_refused_not_switched_off(
    monkeypatch, tmp_path: Path, key: str, value: str
) -> None:
    monkeypatch.setenv(f"COMMENTSVC_{key}", value)
    with pytest.raises(ConfigError, match=f"COMMENTSVC_{key} is not a rate limit"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_a_switch_spelt_wrong_is_refused(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMMENTSVC_RATELIMIT_ENABLED", "flase")
    with pytest.raises(ConfigError, match="RATELIMIT_ENABLED must be true or false"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize(("word", "expected"), [("off", False), ("no", False), ("true", True)])
def test_every_switch_reads_yes_and_no_words(monkeypatch, tmp_path: Path, word, expected) -> None:
    """'off' is a non-empty string: read as is, it would switch STARTTLS on."""
    monkeypatch.setenv("COMMENTSVC_SMTP_STARTTLS", word)
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SMTP_STARTTLS"] is expected
