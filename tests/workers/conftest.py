"""Fixtures of the mention and worker tests: the loopback page server."""

from tests.workers.pages import pages, pages_server, release  # noqa: F401 - fixtures
