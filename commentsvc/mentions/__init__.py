"""Receiving pingbacks (XML-RPC), webmentions and trackbacks; workers verify them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mentions", __name__)

from commentsvc.mentions import pingback, trackback, webmention  # noqa: E402, F401
