"""The operators' moderation queue under /moderate (the moderation issue builds it out)."""

from flask import Blueprint

bp = Blueprint("moderate", __name__, url_prefix="/moderate")
