"""Sign-in under /auth (the sign-in issue builds it out)."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
