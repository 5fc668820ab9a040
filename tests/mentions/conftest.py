from __future__ import annotations

import pytest

from tests.workers.pages import Pages


@pytest.fixture
def pages(serve) -> Pages:
    """A threaded loopback server whose routes each test sets."""
    site = Pages()
    site.base = serve(site).url
    return site
