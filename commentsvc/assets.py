"""Where the files that ship beside the code live, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    """``embed/`` and ``migrations/`` sit at the repository top and install as subpackages."""
    try:
        return Path(str(resources.files(f"commentsvc.{name}")))
    except ModuleNotFoundError:
        return _SOURCE_ROOT / name


def embed_dir() -> Path:
    return _shipped("embed")


def migrations_dir() -> Path:
    return _shipped("migrations")
