"""Configuration: defaults, then an optional TOML file, then ``COMMENTSVC_*`` variables, then
overrides, then validation. Checked once at start so that a bad setting fails loudly there."""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from limits import parse_many

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "REDIS_URL": None,  # None: jobs in-process, limits and cache in memory
    "PUBLIC_URL": None,  # e.g. https://comments.example.org; None: from the request
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_POST": "5 per minute;30 per hour",
    "RATELIMIT_POST_PER_IP": "20 per minute;200 per hour",
    "RATELIMIT_PREVIEW": "60 per minute",
    "RATELIMIT_VOTE": "30 per minute;300 per hour",  # per account, or per guest address
    "RATELIMIT_VOTE_PER_IP": "60 per minute;600 per hour",  # everyone at one address
    "FETCH_ALLOW_NETWORKS": [],
    "FETCH_TIMEOUT_SECONDS": 10.0,
    "FETCH_MAX_BYTES": 1_000_000,
    "FETCH_ALLOWED_PORTS": [80, 443, 8080, 8443],  # others only inside FETCH_ALLOW_NETWORKS
    "MENTION_MAX_ATTEMPTS": 5,
    "RATELIMIT_MENTION_CLIENT": "30 per minute;300 per hour",
    "RATELIMIT_MENTION_SOURCE_HOST": "20 per minute;200 per hour",
    "RATELIMIT_MENTION_TARGET": "30 per minute;500 per hour",
    # Outbound mentions: links a post may send to (more are reported, not sent), and manners.
    "OUTBOUND_MAX_LINKS_PER_POST": 100,
    "RATELIMIT_OUTBOUND_PING": "6 per minute;60 per hour",  # per site and caller
    "OUTBOUND_MAX_ATTEMPTS": 5,  # attempts that reach a host, then the send has failed
    "OUTBOUND_RATE_PER_HOST": "10 per minute;100 per hour",  # "" (or RATELIMIT_ENABLED off): none
    "OUTBOUND_MAX_CONCURRENT": 4,  # sends in flight at once, across every worker
    "OUTBOUND_SLOT_WAIT_SECONDS": 10.0,  # wait this long for a free slot, then postpone
    "OUTBOUND_HOST_FAILURES": 3,  # consecutive failures of a host before it is backed off
    "OUTBOUND_HOST_BACKOFF_SECONDS": 300,  # the first back-off; doubles, at most a day
    "SWEEP_INTERVAL_SECONDS": 60,  # how often `commentsvc worker` looks for lost checks
    "SWEEP_STALE_SECONDS": 120,  # a check whose next attempt is this overdue is lost
    "PROXY_COUNT": 0,
    "MAX_COMMENT_LENGTH": 10_000,
    "MAX_NAME_LENGTH": 80,
    "MAX_REQUEST_BYTES": 64 * 1024,
    # The largest file an operator may upload to import on the "Sites" page (the CLI has none).
    "IMPORT_MAX_UPLOAD_BYTES": 256 * 1024 * 1024,
    "THREAD_PAGE_SIZE": 50,
    # How long a process trusts the revisions it read (other processes' writes show within it).
    "THREAD_STATE_SECONDS": 1.0,
    # Votes show to other readers within this (docs/votes.md): a thread's revision, which its
    # cached renderings and ETags key on, moves for votes at most once per this many seconds.
    "VOTE_SHOW_SECONDS": 10.0,
    # Live threads (docs/live.md): batches kept per page for reconnects, for how long, and the
    # interval of the comment line that keeps idle streams open through proxies.
    "LIVE_LOG_LENGTH": 200,
    "LIVE_LOG_SECONDS": 86400,
    "LIVE_KEEP_ALIVE_SECONDS": 25.0,
    # Open streams one process holds, each a server thread (docs/live.md): few in the web
    # processes, whose threads do the work; the events process sets its own (gunicorn-events).
    "LIVE_MAX_STREAMS": 4,
    "SMTP_URL": None,  # smtp://user:password@host:port, or smtps:// for implicit TLS
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT_SECONDS": 10.0,
    "MAIL_FROM": "commentsvc <noreply@localhost>",
    "JOBS_IN_PROCESS_WORKERS": 2,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MIN_FILL_IN_SECONDS": 3,  # a comment posted faster than this after the form showed is held
    "AKISMET_API_KEY": None,  # set to check new comments with Akismet
    "AKISMET_URL": "https://rest.akismet.com",
    "AKISMET_TIMEOUT_SECONDS": 3.0,
    # Observability (docs/observability.md): /metrics is closed unless one of these is set.
    "METRICS_TOKEN": None,  # the scraper sends it as `Authorization: Bearer <token>`
    "METRICS_ALLOW_NETWORKS": [],  # CIDR blocks whose clients may scrape without the token
    "LOG_FORMAT": "text",  # or "json": one JSON object per line
}

# Settings that hold secrets: always strings, never logged.
SECRET_SUFFIXES = ("SECRET_KEY", "CLIENT_SECRET", "PASSWORD", "API_KEY", "METRICS_TOKEN")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; raised at start, with what to do about it."""


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    app.config.update(DEFAULTS)
    config_file = app.config.get("CONFIG_FILE") or _env_config_file()
    if config_file:
        try:
            app.config.from_file(str(config_file), load=tomllib.load, text=False)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"COMMENTSVC_CONFIG_FILE {str(config_file)!r}: {error}") from None
    app.config.from_prefixed_env("COMMENTSVC")
    if overrides:
        app.config.update(overrides)
    _coerce(app)
    _derive(app)


def instance_path() -> str:
    """Where the embedded database and secret live: ``COMMENTSVC_INSTANCE_PATH`` or ./instance."""
    return str(Path(os.environ.get("COMMENTSVC_INSTANCE_PATH") or "instance").resolve())


def _env_config_file() -> str | None:
    return os.environ.get("COMMENTSVC_CONFIG_FILE")


def is_redis_configured() -> bool:
    """Whether the settings name a Redis server (``COMMENTSVC_REDIS_URL``, else the config
    file's ``REDIS_URL``), read without building the app: gunicorn's settings choose how many
    processes to run by it, before any app exists."""
    from_env = os.environ.get("COMMENTSVC_REDIS_URL")
    if from_env is not None:
        return bool(from_env.strip())
    config_file = _env_config_file()
    if not config_file:
        return bool(DEFAULTS["REDIS_URL"])
    with Path(config_file).open("rb") as file:  # TOML is UTF-8, whatever the locale
        return bool(tomllib.load(file).get("REDIS_URL"))


def _coerce(app: Flask) -> None:
    """``from_prefixed_env`` JSON-decodes values: a numeric secret must become a string again."""
    stringly = (*SECRET_SUFFIXES, "CLIENT_ID", "_URL")
    for key, value in list(app.config.items()):
        if key.endswith(stringly) and value is not None and not isinstance(value, str):
            app.config[key] = str(value)
    for key in ("FETCH_ALLOW_NETWORKS", "METRICS_ALLOW_NETWORKS"):
        app.config[key] = _networks(key, app.config[key])
    log_format = str(app.config["LOG_FORMAT"]).strip().lower()
    if log_format not in {"text", "json"}:
        raise ConfigError(f"COMMENTSVC_LOG_FORMAT must be text or json, not {log_format!r}.")
    app.config["LOG_FORMAT"] = log_format
    for key in _SWITCH_KEYS:
        app.config[key] = _switch(key, app.config[key])
    for key in _LIMIT_KEYS:
        _check_limits(key, app.config[key])


_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
_SWITCH_KEYS = tuple(key for key, value in DEFAULTS.items() if isinstance(value, bool))
# Rate limits in the ``limits`` notation ("5 per minute;30 per hour"): a typo would switch one
# off (Flask-Limiter only logs what it cannot parse), so each is read at start.
_LIMIT_KEYS = tuple(
    key
    for key, value in DEFAULTS.items()
    if isinstance(value, str) and (key.startswith("RATELIMIT_") or key == "OUTBOUND_RATE_PER_HOST")
)


def _switch(key: str, value: object) -> bool:
    """A yes/no setting; a word that is neither (``flase``) is refused, not read as no."""
    if not isinstance(value, str):
        return bool(value)
    word = value.strip().lower()
    if word not in _ON | _OFF:
        raise ConfigError(f"COMMENTSVC_{key} must be true or false, not {value!r}.")
    return word in _ON


def _check_limits(key: str, value: object) -> None:
    if key == "OUTBOUND_RATE_PER_HOST" and not value:
        return  # none
    try:
        parse_many(str(value))
    except ValueError:
        raise ConfigError(
            f"COMMENTSVC_{key} is not a rate limit: {value!r}. Write it like "
            "'5 per minute;30 per hour'."
        ) from None


def _networks(key: str, networks: object) -> list:
    """A comma-separated string or a list of CIDR blocks, as ``ip_network`` objects."""
    if isinstance(networks, str):
        networks = [part.strip() for part in networks.split(",") if part.strip()]
    try:
        return [ipaddress.ip_network(n) for n in networks]  # type: ignore[union-attr]
    except (TypeError, ValueError) as error:
        raise ConfigError(f"COMMENTSVC_{key}: {error}") from error


def _derive(app: Flask) -> None:
    instance = Path(app.instance_path)
    url = app.config["DATABASE_URL"]
    is_embedded = not url
    if is_embedded:
        instance.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{instance / 'commentsvc.sqlite3'}"
    _check_database_url(url)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # hide_parameters: a database error's message (logged with its traceback) never carries
    # the statement's values (password hashes, addresses, tokens' hashes).
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_use_lifo": True, "hide_parameters": True} | (
        {"pool_pre_ping": True} if not url.startswith("sqlite") else {}
    )
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]
    if not app.config.get("SECRET_KEY"):
        if app.config.get("TESTING"):
            app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
        elif is_embedded:
            app.config["SECRET_KEY"] = _instance_secret(instance)
        else:
            raise ConfigError(
                "COMMENTSVC_SECRET_KEY is not set. Generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` and set it "
                "in the environment of every web and worker process."
            )
    redis_url = app.config["REDIS_URL"]
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = bool(app.config["RATELIMIT_ENABLED"])
    public_url = app.config["PUBLIC_URL"]
    sends_mail = bool(app.config["SMTP_URL"])
    if not public_url and (sends_mail or (not is_embedded and not app.config.get("TESTING"))):
        # Links in mail, avatar and status URLs are never built from the Host header, which
        # any client can set (password-reset poisoning): on SQLite too once mail can go out.
        reason = "COMMENTSVC_SMTP_URL is set" if sends_mail else "COMMENTSVC_DATABASE_URL is set"
        raise ConfigError(
            f"COMMENTSVC_PUBLIC_URL is not set ({reason}): links in mail are built from it, "
            "never from a client's Host header. Give the address browsers use for the "
            "service, e.g. https://comments.example.org."
        )
    if public_url:
        _check_public_url(public_url)
        app.config["PUBLIC_URL"] = public_url.rstrip("/")
        app.config["SESSION_COOKIE_SECURE"] = public_url.startswith("https://")


def _check_database_url(url: str) -> None:
    """A URL SQLAlchemy has no driver for fails here, with what to write, not at first use."""
    try:
        sa.engine.make_url(url).get_dialect().import_dbapi()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError) as error:
        hint = (
            " PostgreSQL's URLs start with postgresql+psycopg://"
            if url.startswith(("postgres:", "postgresql:"))
            else ""
        )
        raise ConfigError(f"COMMENTSVC_DATABASE_URL cannot be used: {error}.{hint}") from None


def _check_public_url(public_url: str) -> None:
    """Links, avatars and cookies are built from it: a host without a scheme would be stored
    into every comment as a relative path."""
    try:
        parts = urlsplit(public_url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not host
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"COMMENTSVC_PUBLIC_URL must be the address browsers use for the service, with "
            f"its scheme, like https://comments.example.org (not {public_url!r})."
        )


def _instance_secret(instance: Path) -> str:
    """The embedded default keeps a random key beside its database: per install, never shipped."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
