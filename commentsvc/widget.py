"""Serves the browser code in embed/ (the widget issue builds it out)."""

from flask import Blueprint

bp = Blueprint("widget", __name__)
