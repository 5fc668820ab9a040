"""Sign-in under /auth: OAuth providers, site accounts, the popup hand-off, account self-service.

``bp`` holds the HTML pages; ``commentsvc.auth.api.api_bp`` the widget's JSON endpoints under
/api/auth.
"""

from flask import Blueprint

from commentsvc.auth import pages

bp = Blueprint("auth", __name__, url_prefix="/auth")
pages.install(bp)

# The views attach themselves to ``bp``.
from commentsvc.auth import (  # noqa: E402
    account_views,
    awaiting,
    oauth_views,
    session_views,
    site_views,
    unsubscribe,
)

__all__ = [
    "account_views",
    "awaiting",
    "bp",
    "oauth_views",
    "session_views",
    "site_views",
    "unsubscribe",
]
