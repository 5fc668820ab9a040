"""Atom feeds of a site's recent comments and of one thread."""

from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
