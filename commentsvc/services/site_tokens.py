"""A site's own token: what a static-site build presents to ask for a pass over its feeds.

Only a SHA-256 digest is stored (the token is 256 random bits, so a slow hash adds nothing):
a leaked database does not leak tokens. Rotating replaces the digest, so the old token stops
working at once. A site token is not a reader's sign-in token (those are signed grants for an
account, read by :mod:`commentsvc.auth.tokens`); neither is ever accepted as the other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from commentsvc.extensions import db
from commentsvc.models import Site, SiteToken
from commentsvc.models.base import utcnow

PREFIX = "cst_"  # tells a person (and secret scanners) what kind of token this is


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token(site: Site) -> str:
    """A new token for the site, returned once (flush, never commit); the old one is void."""
    token = PREFIX + secrets.token_urlsafe(32)
    record = db.session.get(SiteToken, site.id)
    if record is None:
        record = SiteToken(site_id=site.id)
        db.session.add(record)
    record.digest = _digest(token)
    record.created_at = utcnow()
    db.session.flush()
    return token


def is_site_token(site: Site, token: str) -> bool:
    """Whether ``token`` is the site's current token (compared in constant time)."""
    record = db.session.get(SiteToken, site.id)
    if record is None or not token.startswith(PREFIX) or len(token) > 200:
        return False
    return hmac.compare_digest(record.digest, _digest(token))
