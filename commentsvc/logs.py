"""Logging for the entry points (serve, worker, demo); nothing is configured at import."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("COMMENTSVC_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
