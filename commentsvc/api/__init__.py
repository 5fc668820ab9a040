"""The JSON API under /api; importing the package registers its views on ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from commentsvc.api import (  # noqa: E402, F401  (views register on bp)
    comments,
    me,
    openapi,
    threads,
    votes,
)
from commentsvc.live import view as live_view  # noqa: E402, F401  (the events stream)
