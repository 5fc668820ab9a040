"""WSGI entry point for gunicorn and friends: ``commentsvc.wsgi:app``."""

from commentsvc import create_app

app = create_app()
