"""Avatars without third-party tracking: a deterministic identicon served by the service itself."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import Blueprint, Response, current_app

from commentsvc.errors import NotFound
from commentsvc.service_urls import service_url

bp = Blueprint("avatars", __name__)

_KEY_LENGTH = 20
GRAVATAR_HOST = "www.gravatar.com"  # a site opts into it (``is_gravatar_enabled``)
# A guest's Gravatar exactly as gravatar_url() writes it: any other address on that host
# (a ``d=`` fallback image of the commenter's choosing) is fetched like any foreign avatar.
_GRAVATAR_IDENTICON = re.compile(
    rf"https://{re.escape(GRAVATAR_HOST)}/avatar/[0-9a-f]{{32}}\?d=identicon&s=96"
)
_PALETTE = ("#0f766e", "#1d4ed8", "#7c3aed", "#b91c1c", "#b45309", "#15803d", "#be185d", "#334155")


def avatar_key(seed: str) -> str:
    """A keyed hash of the seed (an email address, or a name and IP hash): reveals neither."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, seed.lower().encode(), hashlib.sha256).hexdigest()[:_KEY_LENGTH]


def gravatar_url(email: str) -> str:
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://{GRAVATAR_HOST}/avatar/{digest}?d=identicon&s=96"


def is_foreign_avatar(url: str | None) -> bool:
    """An avatar on a host of its own (a provider's picture, or an address a commenter gave
    on their profile): readers' browsers must not load it from there, which would tell that
    host (or a commenter's tracking pixel) who reads the page. The service serves a copy."""
    if not url or (url.startswith("/") and not url.startswith("//")):
        return False
    public_url = current_app.config["PUBLIC_URL"]
    if public_url and url.startswith(f"{public_url}/"):
        return False
    return not _GRAVATAR_IDENTICON.fullmatch(url)  # only what gravatar_url() writes


def avatar_url(seed: str) -> str:
    """The URL of the seed's identicon (:func:`~commentsvc.service_urls.service_url`)."""
    return service_url(f"/avatar/{avatar_key(seed)}.svg")


def identicon_svg(key: str) -> str:
    """A 5x5 mirrored grid coloured from the key, as GitHub's identicons are."""
    digest = hashlib.sha256(key.encode()).digest()
    colour = _PALETTE[digest[0] % len(_PALETTE)]
    cells = []
    for row in range(5):
        for column in range(3):
            if digest[1 + row * 3 + column] % 2 == 0:
                for x in {column, 4 - column}:
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" shape-rendering="crispEdges">'
        f'<rect width="7" height="7" fill="#f1f5f9"/><g fill="{colour}">{"".join(cells)}</g></svg>'
    )


@bp.get("/avatar/<key>.svg")
def identicon(key: str) -> Response:
    if len(key) != _KEY_LENGTH or not all(c in "0123456789abcdef" for c in key):
        raise NotFound("No such avatar.")
    response = Response(identicon_svg(key), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
