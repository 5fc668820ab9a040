"""The JSON API under /api; importing the package registers its views on ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from commentsvc.api import comments, me, openapi, threads  # noqa: E402, F401  (views register on bp)
