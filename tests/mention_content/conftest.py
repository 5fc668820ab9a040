"""Fixtures of the mention content tests: the loopback server for linking pages and photos."""

from tests.workers.pages import pages, pages_server, release  # noqa: F401 - fixtures
