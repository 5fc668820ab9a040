"""The ``moderate`` blueprint object, apart so that every view module can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "moderate",
    __name__,
    url_prefix="/moderate",
    static_folder="static",
    static_url_path="/static",
)
