"""WSGI entry point for gunicorn and friends: ``commentsvc.wsgi:app``.

Without Redis the jobs run in this process, so it also sweeps for lost mention checks (each
worker process does; checks are idempotent). With Redis, ``commentsvc worker`` sweeps.
"""

from commentsvc import create_app
from commentsvc.jobs import start_in_process_sweeper

app = create_app()
start_in_process_sweeper(app)
