"""Extension objects, created unbound so that ``create_app`` can bind them with ``init_app``."""

from __future__ import annotations

import time

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from commentsvc.clientip import client_network

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# No X-RateLimit-* headers: no client reads them (CORS does not expose them), and on every
# limited request they cost two more Redis reads than the counters themselves. A refusal
# still says when to come back: see :func:`retry_after_seconds`.
# Keyed by client: an IPv6 client holds a /64 and could pick a fresh address per request.
limiter = Limiter(key_func=client_network, default_limits=[], headers_enabled=False)


def retry_after_seconds() -> int | None:
    """Seconds until the limit that refused this request lets it through (the ``Retry-After``
    of a 429); None when no rate limit refused it. One Redis read, on refusals only."""
    refused = limiter.current_limit
    if refused is None or not refused.breached:
        return None
    return max(1, int(refused.reset_at - time.time()))
