"""Receiving pingbacks and webmentions (the mentions issue builds it out)."""

from flask import Blueprint

bp = Blueprint("mentions", __name__)
