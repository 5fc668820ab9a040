"""Where the files that ship beside the code live, installed or in a source checkout."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    """``embed/`` and ``migrations/`` sit at the repository top and install as subpackages.

    They have no ``__init__.py``: installed they are namespace packages, whose
    ``resources.files()`` is a MultiplexedPath that ``str()`` does not turn into a folder.
    """
    spec = find_spec(f"commentsvc.{name}")
    if spec is None or not spec.submodule_search_locations:
        return _SOURCE_ROOT / name
    return Path(next(iter(spec.submodule_search_locations)))


def embed_dir() -> Path:
    return _shipped("embed")


def migrations_dir() -> Path:
    return _shipped("migrations")
